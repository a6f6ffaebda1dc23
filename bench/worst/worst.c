/*
 * worst.c: one worst-case input (bench/worst/gen.py) through the real parser
 * or walker it aims at, for `make bench-worst` (bench/worst/run.py) and
 * test/it/worst.py. No I/O inside the measured call but what the code under
 * test does itself (the offline reviewer reads its file).
 *
 *   worst MODE FILE [ARG]
 *
 *   head FILE [P]       http_parse_request() over a stream of pipelined
 *                       heads, each handed over P bytes more at a time and
 *                       parsed again from its first byte, as src/server.c
 *                       does after every TLS record (P = 0: all at once)
 *   chunked FILE [P]    http_chunked_decode() over a raw chunked body, P
 *                       new bytes per call (P = 0: one call)
 *   review FILE ROUTE   review_handle() on the body, ROUTE validate, mutate
 *                       or convert
 *   request FILE        a whole request: http_parse_request() on its head,
 *                       then review_handle() on the route its path names
 *   pem FILE            tls_check_pem() with FILE as chain and as key
 *   offline FILE        review_cli(): `tinyhook review --json FILE`, its
 *                       output sent to /dev/null
 *
 * valgrind --tool=callgrind --toggle-collect=worst_run counts only what
 * worst_run() executes: reading the file, the allocations a warm worker
 * already has (the token array, the answer buffer) are left out. Prints
 * "status=N allowed=A" (the HTTP status of a review and its decision, -1
 * for none; 0 for a head stream or chunked body read to its end, else the
 * negated error; tls_check_pem()'s and review_cli()'s return) so the
 * caller can check the input reached the code it aims at instead of being
 * refused at its first byte. WORST_SHOW=1 also prints the answer's start.
 */
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../slurp.h"

#include "conn.h"
#include "http.h"
#include "metrics.h"
#include "log.h"
#include "offline.h"
#include "review.h"
#include "tls.h"

/* Bodies a chunked input may decode to: beyond any generated size. */
#define WORST_MAX_BODY	((uint64_t)1 << 30)

enum worst_mode { W_HEAD, W_CHUNKED, W_REVIEW, W_REQUEST, W_PEM, W_OFFLINE, W_CONN, NUM_W };

static const char *const worst_modes[NUM_W] = {
	[W_HEAD] = "head", [W_CHUNKED] = "chunked", [W_REVIEW] = "review",
	[W_REQUEST] = "request", [W_PEM] = "pem", [W_OFFLINE] = "offline",
	[W_CONN] = "conn",
};

static const char *const worst_routes[NUM_REVIEW_ROUTES] = {
	[ROUTE_VALIDATE] = "validate",
	[ROUTE_MUTATE] = "mutate",
	[ROUTE_CONVERT] = "convert",
};

/* What worst_run() needs; everything allocated before it runs. */
struct worst {
	enum worst_mode		 mode;
	const char		*path;
	char			*in;
	size_t			 len;
	size_t			 piece;
	enum review_route	 route;
	struct review_ctx	*ctx;
	struct buf		 out;
	struct verdict	 info;		/* of the measured review */
	char			*scratch;	/* chunked: the connection's buffer */
	struct conn_env		 env;		/* conn: a worker's */
	struct conn_limits	 lim;
	struct pool		 pool;
	struct metrics		 metrics;
	atomic_int		 draining;
};

int	worst_run(struct worst *w);

/* Parses the heads of in[0, len) one after another; 0 when all were read. */
static int
worst_heads(const char *in, size_t len, size_t piece)
{
	struct http_request req;
	size_t off = 0, avail;
	int rc;

	while (off < len) {
		avail = piece == 0 || piece > len - off ? len - off : piece;
		while ((rc = http_parse_request(in + off, avail, &req)) == HTTP_INCOMPLETE &&
		    avail < len - off)
			avail += piece < len - off - avail ? piece : len - off - avail;
		if (rc <= 0)
			return rc;
		off += (size_t)rc + (size_t)req.content_length;
	}
	return 0;
}

/*
 * Decodes the chunked body in[0, len), piece raw bytes per call, in the
 * server's manner: new bytes land after the decoded ones, in one buffer.
 */
static int
worst_chunked(const char *in, size_t len, size_t piece, char *body)
{
	struct http_chunked c;
	size_t have = 0, off = 0, n;
	int rc = HTTP_INCOMPLETE;

	http_chunked_init(&c, WORST_MAX_BODY);
	while (off < len && rc == HTTP_INCOMPLETE) {
		n = piece == 0 || piece > len - off ? len - off : piece;
		memcpy(body + have, in + off, n);
		off += n;
		rc = http_chunked_decode(&c, body + have, &n);
		have += n;
	}
	return rc >= 0 ? 0 : rc;
}

/*
 * The real connection state machine (src/conn.c) fed in[0, len) piece bytes
 * at a time, as TLS records hand it over; a connection that closes (an
 * answer said close) is followed by a new one, as a client reconnects.
 * 0 when all input was taken.
 */
static int
worst_conn(struct worst *w)
{
	struct conn c;
	const char *p;
	size_t off = 0, k, n;

	conn_init(&c, &w->env, "worst", 0);
	while (off < w->len) {
		n = w->piece == 0 || w->piece > w->len - off ? w->len - off : w->piece;
		k = conn_input(&c, w->in + off, n, 1);
		while ((p = conn_output(&c, &n)) != NULL)
			conn_sent(&c, n, 1);
		off += k;
		if (c.state == CONN_DONE) {
			conn_release(&c);
			conn_init(&c, &w->env, "worst", 0);
		} else if (k == 0) {
			break;
		}
	}
	conn_release(&c);
	return off == w->len ? 0 : -1;
}

static void
worst_render(struct buf *b)
{
	buf_puts(b, "# worst\n");
}

/* The route a request path names, or -1. */
static int
worst_route_of(const struct http_request *req)
{
	int i;

	for (i = 0; i < NUM_REVIEW_ROUTES; i++)
		if (req->path_len == strlen(worst_routes[i]) + 1 &&
		    memcmp(req->target + 1, worst_routes[i], req->path_len - 1) == 0)
			return i;
	return -1;
}

/* A whole request: its head, then its body through review_handle(). */
static int
worst_request(struct worst *w)
{
	struct http_request req;
	int rc, route;

	if ((rc = http_parse_request(w->in, w->len, &req)) <= 0)
		return rc;
	if ((route = worst_route_of(&req)) < 0 ||
	    req.content_length > w->len - (size_t)rc)
		return -400;
	return review_handle(w->ctx, (enum review_route)route, w->in + rc,
	    (size_t)req.content_length, &w->out, &w->info);
}

/*
 * The measured call: one run of the mode over the input. Not static and
 * not inlined, so callgrind finds it by name.
 */
__attribute__((noinline)) int
worst_run(struct worst *w)
{
	char err[256];
	char *argv[] = { "review", "--json", (char *)w->path, NULL };

	switch (w->mode) {
	case W_HEAD:
		return worst_heads(w->in, w->len, w->piece);
	case W_CHUNKED:
		return worst_chunked(w->in, w->len, w->piece, w->scratch);
	case W_REVIEW:
		return review_handle(w->ctx, w->route, w->in, w->len, &w->out, &w->info);
	case W_REQUEST:
		return worst_request(w);
	case W_CONN:
		return worst_conn(w);
	case W_PEM:
		return tls_check_pem((const unsigned char *)w->in, w->len,
		    (const unsigned char *)w->in, w->len, err, sizeof(err));
	default:
		return review_cli(3, argv);
	}
}

/*
 * Grows the worker's token array as a worker that already served a body of
 * len bytes has it: a body of n bytes has at most n / 2 + 1 tokens ("[0,0]",
 * "[[]]"), and an array of that many zeros is tokenized (and refused: not an
 * object) here, outside the measured call.
 */
static int
worst_warm(struct worst *w)
{
	size_t n = w->len / 2 + 2, i, blen = 2 * n + 2;
	char *b = malloc(blen);
	struct verdict info;
	struct buf out;

	if (b == NULL)
		return -1;
	b[0] = '[';
	for (i = 0; i < n; i++) {
		b[1 + 2 * i] = '0';
		b[2 + 2 * i] = ',';
	}
	b[2 * n] = ']';
	out = w->out;
	(void)review_handle(w->ctx, ROUTE_VALIDATE, b, 2 * n + 1, &out, &info);
	free(b);
	return 0;
}

/* Sets up w for its mode: contexts and buffers a running server already has. */
static int
worst_setup(struct worst *w, const char *arg)
{
	int i;

	if (w->mode == W_CONN) {
		w->piece = arg != NULL ? strtoul(arg, NULL, 10) : 0;
		w->lim.max_body = (size_t)WORST_MAX_BODY;
		w->lim.header_timeout_ms = w->lim.body_timeout_ms = 10000;
		w->lim.idle_timeout_ms = w->lim.write_timeout_ms = 10000;
		w->env.lim = &w->lim;
		w->env.pool = &w->pool;
		w->env.metrics = &w->metrics;
		w->env.draining = &w->draining;
		w->env.render_metrics = worst_render;
		pool_budget_set((size_t)1 << 40);
		w->env.review = review_ctx_new(w->len);
		log_level = LOG_ERROR;
		return w->env.review != NULL ? 0 : -1;
	}
	if (w->mode == W_HEAD || w->mode == W_CHUNKED) {
		w->piece = arg != NULL ? strtoul(arg, NULL, 10) : 0;
		w->scratch = malloc(w->len + 1);
		return w->scratch != NULL ? 0 : -1;
	}
	if (w->mode == W_REVIEW) {
		for (i = 0; i < NUM_REVIEW_ROUTES && (arg == NULL ||
		    strcmp(arg, worst_routes[i]) != 0); i++)
			;
		if (i == NUM_REVIEW_ROUTES) {
			fprintf(stderr, "worst: review needs validate, mutate or convert\n");
			return -1;
		}
		w->route = (enum review_route)i;
	}
	if (w->mode == W_REVIEW || w->mode == W_REQUEST) {
		w->ctx = review_ctx_new(w->len);
		w->scratch = malloc(review_out_cap(w->len));
		if (w->ctx == NULL || w->scratch == NULL)
			return -1;
		buf_init(&w->out, w->scratch, review_out_cap(w->len));
		return worst_warm(w);
	}
	if (w->mode == W_OFFLINE && freopen("/dev/null", "w", stdout) == NULL)
		return -1;
	return 0;
}

int
main(int argc, char **argv)
{
	struct worst w;
	int i, st;

	memset(&w, 0, sizeof(w));
	if (argc < 3 || argc > 4) {
		fprintf(stderr, "usage: %s head|chunked|review|request|pem|offline FILE [ARG]\n",
		    argv[0]);
		return 2;
	}
	for (i = 0; i < NUM_W && strcmp(argv[1], worst_modes[i]) != 0; i++)
		;
	if (i == NUM_W) {
		fprintf(stderr, "%s: unknown mode %s\n", argv[0], argv[1]);
		return 2;
	}
	w.mode = (enum worst_mode)i;
	w.path = argv[2];
	if ((w.in = slurp(argv[2], &w.len)) == NULL) {
		perror(argv[2]);
		return 1;
	}
	if (worst_setup(&w, argc > 3 ? argv[3] : NULL) < 0) {
		fprintf(stderr, "%s: cannot set up %s\n", argv[0], argv[1]);
		return 1;
	}
	st = worst_run(&w);
	fprintf(stderr, "status=%d allowed=%d bytes=%zu\n", st, w.info.allowed, w.len);
	if (getenv("WORST_SHOW") != NULL && w.ctx != NULL)
		fprintf(stderr, "%.*s\n", (int)(w.out.len < 600 ? w.out.len : 600), w.out.p);
	review_ctx_free(w.ctx);
	free(w.scratch);
	free(w.in);
	return 0;
}
