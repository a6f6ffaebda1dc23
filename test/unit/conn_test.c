/*
 * conn_test.c: the plaintext connection state machine (src/conn.c) fed byte
 * strings, each split at every offset (and fed one byte at a time), with
 * its answers read back as the transport would: statuses in order, the
 * interim 100, whether it closes. Then the deadlines (408, idle, drain) and
 * the memory budget's 503.
 *
 * Expectations come from RFC 9112 / 9110 and the contract (CONTRACT.md
 * rules 1-7), not from the code: a keep-alive client gets every answer on
 * one connection, any error >= 400 closes, HTTP/1.0 closes unless it asks
 * for keep-alive, a 100 is sent only while the body is still to come.
 */
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conn.h"
#include "log.h"
#include "metrics.h"
#include "pool.h"
#include "review.h"

#include "check.h"

#define UIDJ	"\"uid\":\"u-1\""
#define REVIEW	"{\"apiVersion\":\"admission.k8s.io/v1\",\"kind\":\"AdmissionReview\"," \
		"\"request\":{" UIDJ ",\"kind\":{\"group\":\"\",\"version\":\"v1\",\"kind\":\"Pod\"}," \
		"\"resource\":{\"group\":\"\",\"version\":\"v1\",\"resource\":\"pods\"}," \
		"\"operation\":\"CREATE\",\"namespace\":\"default\",\"userInfo\":{}," \
		"\"object\":{\"metadata\":{\"name\":\"p\"},\"spec\":{\"containers\":" \
		"[{\"name\":\"c\",\"image\":\"nginx:1\"}]}},\"oldObject\":null,\"dryRun\":false}}"
#define LEN(s)	(sizeof(s) - 1)
/* A format: the table's inputs are printed with (LEN(REVIEW), REVIEW). */
#define POST(path, extra) "POST " path " HTTP/1.1\r\nHost: x\r\nContent-Length: %zu\r\n" \
		extra "\r\n%s"

static const struct {
	const char	*name;
	const char	*in;
	const char	*statuses;	/* the answers' status codes in order, "100" included */
	int		 closes;	/* the connection ends after the last answer */
	const char	*split;		/* also right when split (NULL: none) */
} cases[] = {
	{ "GET /healthz keep-alive", "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n", "200", 0, NULL },
	{ "HEAD /healthz", "HEAD /healthz HTTP/1.1\r\nHost: x\r\n\r\n", "200", 0, NULL },
	{ "two requests pipelined", "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"
	  "GET /readyz HTTP/1.1\r\nHost: x\r\n\r\n", "200 200", 0, NULL },
	{ "review then health pipelined", POST("/validate", "")
	  "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n", "200 200", 0, NULL },
	{ "Connection: close", "GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
	  "200", 1, NULL },
	{ "close stops the pipeline", "GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
	  "GET /readyz HTTP/1.1\r\nHost: x\r\n\r\n", "200", 1, NULL },
	{ "HTTP/1.0 closes", "GET /healthz HTTP/1.0\r\n\r\n", "200", 1, NULL },
	{ "HTTP/1.0 keep-alive", "GET /healthz HTTP/1.0\r\nConnection: keep-alive\r\n\r\n", "200", 0, NULL },
	{ "POST /validate", POST("/validate", ""), "200", 0, NULL },
	{ "POST /mutate", POST("/mutate", ""), "200", 0, NULL },
	{ "query ignored (rule 2)", "GET /healthz?timeout=10s HTTP/1.1\r\nHost: x\r\n\r\n", "200", 0, NULL },
	{ "chunked body", "POST /validate HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
	  "10\r\n" "{\"apiVersion\":\"a" "\r\n" "0\r\n\r\n", "400", 1, NULL },
	{ "leading empty lines skipped (RFC 9112 2.2)",
	  "\r\n\r\nGET /healthz HTTP/1.1\r\nHost: x\r\n\r\n", "200", 0, NULL },
	{ "more than HTTP_MAX_EMPTY_LINES empty lines: 400",
	  "\r\n\r\n\r\n\r\n\r\nGET /healthz HTTP/1.1\r\nHost: x\r\n\r\n", "400", 1, NULL },
	{ "head without Host in HTTP/1.1: 400", "GET /healthz HTTP/1.1\r\n\r\n", "400", 1, NULL },
	{ "bare LF LF ends nothing: 400", "GET /healthz HTTP/1.1\nHost: x\n\n", "400", 1, NULL },
	{ "404", "GET /nope HTTP/1.1\r\nHost: x\r\n\r\n", "404", 1, NULL },
	{ "405", "GET /validate HTTP/1.1\r\nHost: x\r\n\r\n", "405", 1, NULL },
	{ "411", "POST /validate HTTP/1.1\r\nHost: x\r\n\r\n", "411", 1, NULL },
	{ "413 by Content-Length", "POST /validate HTTP/1.1\r\nHost: x\r\nContent-Length: 4097\r\n\r\n",
	  "413", 1, NULL },
	{ "413 chunked", "POST /validate HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
	  "1001\r\n", "413", 1, NULL },
	{ "400 malformed", "GET /healthz HTTP/1.1\nHost: x\r\n\r\n", "400", 1, NULL },
	{ "400 CL+TE smuggling", "POST /validate HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n"
	  "Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n", "400", 1, NULL },
	{ "400 bad JSON", "POST /validate HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\n\r\n{", "400", 1, NULL },
	{ "501 gzip", "POST /validate HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip\r\n\r\n", "501", 1, NULL },
	{ "505", "GET /healthz HTTP/2.0\r\nHost: x\r\n\r\n", "505", 1, NULL },
	/* Split after the head, the body is still to come: then 100 first. */
	{ "100-continue omitted when the body came with the head",
	  POST("/validate", "Expect: 100-continue\r\n"), "200", 0, "100 200" },
};

static struct conn_limits lim = {
	.max_body = 4096, .header_timeout_ms = 1000, .body_timeout_ms = 1000,
	.idle_timeout_ms = 5000, .write_timeout_ms = 1000, .log_requests = 0,
};
static struct pool pool;
static struct metrics metrics;
static atomic_int draining;
static struct conn_env env;

static void
render(struct buf *b)
{
	buf_puts(b, "# metrics\n");
}

/* Sends everything c has to send; appends the status codes to st. */
static void
drain_out(struct conn *c, char *st, size_t cap, uint64_t now)
{
	const char *p;
	size_t n;

	while ((p = conn_output(c, &n)) != NULL) {
		const char *q = p;

		while ((q = memmem(q, n - (size_t)(q - p), "HTTP/1.", 7)) != NULL &&
		    q + 12 <= p + n) {
			if (q == p || q[-1] == '\n') {
				size_t l = strlen(st);

				snprintf(st + l, cap - l, "%s%.3s", l ? " " : "", q + 9);
			}
			q += 7;
		}
		conn_sent(c, n, now);
	}
}

/* Feeds in[0, n) in pieces split at the offsets in cuts; returns 1 if it ended. */
static int
run(const char *in, size_t n, const size_t *cuts, int ncuts, char *st, size_t cap)
{
	struct conn c;
	size_t off = 0, end, k;
	int i, closed;

	st[0] = '\0';
	conn_init(&c, &env, "test", 0);
	for (i = 0; i <= ncuts && off < n; i++) {
		end = i < ncuts ? cuts[i] : n;
		while (off < end && c.state != CONN_DONE) {
			k = conn_input(&c, in + off, end - off, 1);
			drain_out(&c, st, cap, 1);
			if (k == 0)
				break;
			off += k;
		}
	}
	drain_out(&c, st, cap, 1);
	closed = c.state == CONN_DONE;
	conn_release(&c);
	return closed;
}

static void
test_table(void)
{
	char st[256], what[160], in[2048];
	size_t i, k, n, one[4096];
	int closed, bad, j;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		n = (size_t)snprintf(in, sizeof(in), cases[i].in, LEN(REVIEW), REVIEW);
		closed = run(in, n, NULL, 0, st, sizeof(st));
		snprintf(what, sizeof(what), "%s: answers", cases[i].name);
		check(strcmp(st, cases[i].statuses) == 0 && closed == cases[i].closes, what, st);
		/* Every split in two must give the same answers. */
		for (k = 1, bad = 0; k < n; k++) {
			closed = run(in, n, &k, 1, st, sizeof(st));
			bad += (strcmp(st, cases[i].statuses) != 0 && (cases[i].split == NULL ||
			    strcmp(st, cases[i].split) != 0)) || closed != cases[i].closes;
		}
		snprintf(what, sizeof(what), "%s: split at every offset", cases[i].name);
		check(bad == 0, what, "answers differ");
		/* And byte by byte. */
		for (j = 0; j < (int)n && j < 4096; j++)
			one[j] = (size_t)j + 1;
		closed = run(in, n, one, (int)(n < 4096 ? n : 4096), st, sizeof(st));
		snprintf(what, sizeof(what), "%s: one byte at a time", cases[i].name);
		check(strcmp(st, cases[i].split ? cases[i].split : cases[i].statuses) == 0 &&
		    closed == cases[i].closes, what, st);
	}
}

/* 100-continue is sent while the body is still to come, then the answer. */
static void
test_continue(void)
{
	char st[64] = "", head[256];
	struct conn c;
	size_t n = (size_t)snprintf(head, sizeof(head), "POST /validate HTTP/1.1\r\nHost: x\r\n"
	    "Expect: 100-continue\r\nContent-Length: %zu\r\n\r\n", LEN(REVIEW));

	conn_init(&c, &env, "test", 0);
	check(conn_input(&c, head, n, 1) == n, "100: head taken", "");
	drain_out(&c, st, sizeof(st), 1);
	check(strcmp(st, "100") == 0, "100: interim answer before the body", st);
	conn_input(&c, REVIEW, LEN(REVIEW), 1);
	drain_out(&c, st, sizeof(st), 1);
	check(strcmp(st, "100 200") == 0 && c.state == CONN_HEAD,
	    "100: then the answer, connection kept", st);
	conn_release(&c);
}

/* Deadlines and the drain (conn_tick). */
static void
test_ticks(void)
{
	char st[64] = "";
	struct conn c;

	conn_init(&c, &env, "test", 0);
	check(conn_tick(&c, 4999 * 1000) == 0, "idle: kept before --idle-timeout", "");
	check(conn_tick(&c, 5000 * 1000) == -1, "idle: dropped at --idle-timeout", "");
	conn_release(&c);

	conn_init(&c, &env, "test", 0);
	conn_input(&c, "GET /heal", 9, 0);
	check(conn_tick(&c, 999 * 1000) == 0, "slow head: waits until --header-timeout", "");
	check(conn_tick(&c, 1000 * 1000) == 1, "slow head: 408 queued", "");
	drain_out(&c, st, sizeof(st), 1);
	check(strcmp(st, "408") == 0 && c.state == CONN_DONE, "slow head: 408 and close", st);
	conn_release(&c);

	st[0] = '\0';
	conn_init(&c, &env, "test", 0);
	{
		char req[1024];
		size_t n = (size_t)snprintf(req, sizeof(req), POST("/validate", ""),
		    LEN(REVIEW), REVIEW);

		conn_input(&c, req, n - 10, 0);
	}
	check(conn_tick(&c, 1000 * 1000) == 1, "slow body: 408 queued", "");
	drain_out(&c, st, sizeof(st), 1);
	check(strcmp(st, "408") == 0 && c.state == CONN_DONE, "slow body: 408 and close", st);
	conn_release(&c);

	/* Draining: an answer says close; an idle connection closes after 1 s. */
	st[0] = '\0';
	atomic_store(&draining, 1);
	conn_init(&c, &env, "test", 0);
	conn_input(&c, "GET /readyz HTTP/1.1\r\nHost: x\r\n\r\n", 34, 0);
	check(c.out.p != NULL && memmem(c.out.p + c.out_off, c.out_len - c.out_off,
	    "Connection: close", 17) != NULL, "drain: the answer says Connection: close", "");
	drain_out(&c, st, sizeof(st), 1);
	check(strcmp(st, "503") == 0 && c.state == CONN_DONE, "drain: /readyz 503, then close", st);
	conn_release(&c);
	conn_init(&c, &env, "test", 0);
	check(conn_tick(&c, (CONN_DRAIN_IDLE_MS - 1) * 1000) == 0,
	    "drain: an idle connection is kept under 1 s (rule 5)", "");
	check(conn_tick(&c, CONN_DRAIN_IDLE_MS * 1000) == 1 && c.state == CONN_DONE,
	    "drain: an idle connection closes after 1 s", "");
	conn_release(&c);
	atomic_store(&draining, 0);
}

/* An error answer carries its JSON reason (gcc once read b.len too early). */
static void
test_error_body(void)
{
	static const char req[] = "GET /nope HTTP/1.1\r\nHost: x\r\n\r\n";
	static const char body[] = "{\"error\":\"not found\"}";
	const char *p;
	struct conn c;
	size_t n;

	conn_init(&c, &env, "test", 0);
	conn_input(&c, req, LEN(req), 0);
	p = conn_output(&c, &n);
	check(p != NULL && n > LEN(body) && memcmp(p + n - LEN(body), body, LEN(body)) == 0 &&
	    memmem(p, n, "Content-Length: 21\r\n", 20) != NULL,
	    "404: the body is the JSON reason, and Content-Length says so", p ? p : "");
	conn_release(&c);
}

/* Body size boundary: exactly max_body is served, one more is 413. */
static void
test_boundaries(void)
{
	char req[8192], st[64];
	size_t n;
	int i;

	for (i = 0; i < 2; i++) {
		size_t len = lim.max_body + (size_t)i;

		n = (size_t)snprintf(req, sizeof(req), "POST /validate HTTP/1.1\r\nHost: x\r\n"
		    "Content-Length: %zu\r\n\r\n", len);
		memset(req + n, ' ', len);
		run(req, n + len, NULL, 0, st, sizeof(st));
		check(strcmp(st, i == 0 ? "400" : "413") == 0,
		    i == 0 ? "Content-Length = max-body: read (400: blanks are no JSON)" :
		    "Content-Length = max-body + 1: 413", st);
	}
}

/* Over the memory budget: 503 with Retry-After at the head. */
static void
test_budget(void)
{
	char st[64];
	struct conn c;
	struct pool_buf hog = { NULL, 0 };
	static const char req[] = "POST /validate HTTP/1.1\r\nHost: x\r\nContent-Length: 4000\r\n\r\n";

	pool_budget_set(POOL_BUDGET_MIN);
	check(pool_get(&pool, &hog, POOL_BUDGET_MIN - 2048, POOL_BUDGET_MIN - 2048) == POOL_OK,
	    "budget: the hog takes almost all", "");
	st[0] = '\0';
	conn_init(&c, &env, "test", 0);
	conn_input(&c, req, LEN(req), 0);
	check(c.out.p != NULL && memmem(c.out.p + c.out_off, c.out_len - c.out_off,
	    "Retry-After: 1\r\n", 16) != NULL, "budget: 503 says Retry-After", "");
	drain_out(&c, st, sizeof(st), 1);
	check(strcmp(st, "503") == 0 && c.state == CONN_DONE, "budget: 503 and close", st);
	conn_release(&c);
	check(pool_held() <= pool_budget() + POOL_SMALL_EXEMPT, "budget: never passed", "");
	pool_put(&pool, &hog);
	pool_trim(&pool);
	pool_budget_set(POOL_BUDGET_DEFAULT);
}

int
main(void)
{
	env.lim = &lim;
	env.pool = &pool;
	env.metrics = &metrics;
	env.draining = &draining;
	env.render_metrics = render;
	env.review = review_ctx_new(lim.max_body);
	log_level = LOG_ERROR;	/* the 4xx cases would log a warning each */
	test_table();
	test_continue();
	test_ticks();
	test_boundaries();
	test_error_body();
	test_budget();
	pool_trim(&pool);
	review_ctx_free(env.review);
	check(pool_held() == 0, "every buffer returned", "");
	printf("conn_test: %d passed, %d failed\n", passed, failed);
	return failed != 0;
}
