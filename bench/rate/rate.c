/*
 * rate: a fixed-rate (open-loop) HTTPS load generator for the bench.
 *
 *   rate [--rate R] [--conns N] [--secs S] [--warmup S] [--max N]
 *        [--timeout S] (--ca FILE [--name NAME] | --insecure)
 *        HOST:PORT PATH BODYFILE
 *
 * POSTs BODYFILE (Content-Type: application/json) to https://HOST:PORT/PATH
 * over N keep-alive TLS connections (BearSSL client engine, TLS 1.2), one
 * request in flight per connection, and prints one line:
 *
 *   RATE rate= conns= secs= sent= done= errors= non200= p50_us= p90_us=
 *        p99_us= p999_us= max_us= achieved_rps= late= closes= reconnects=
 *        all_done= gen_cpu_pct=
 *
 * Pacing (why the figures are honest). The schedule is fixed before the
 * first request: request k is due at t0 + k*P, P = 1/R rounded down to the
 * nanosecond (CLOCK_MONOTONIC, computed from k, never accumulated, so a late wake-up does not shift the ones after
 * it). A periodic timerfd armed at t0 with period P wakes the single epoll
 * loop at every due time; each wake-up appends every request whose time has
 * passed to a FIFO (two counters: due and dispatched) and hands the FIFO's
 * head to an idle connection while there is one. A request that finds no
 * idle connection waits in the FIFO with its clock already running: latency
 * is the time its response was fully read minus its SCHEDULED send time, so
 * a server stall shows as the whole queue behind it (no coordinated
 * omission: a closed-loop tool would record one slow request per
 * connection). late counts recorded requests that waited more than
 * RATE_LATE_NS for a connection. The figures include the generator's own
 * wake-up and TLS costs (tens of microseconds on an idle core: pin it to a
 * core of its own).
 *
 * Counting. Requests due in the first --warmup seconds are sent but not
 * counted. sent = counted requests due; done = those whose response was
 * fully read (status line, headers, then exactly Content-Length body bytes,
 * or a chunked body to its last chunk); errors = sent - done (connection
 * failures, malformed or unterminated responses, and requests unanswered
 * --timeout seconds after the last was due); all_done = responses read,
 * warm-up included (what the server did); gen_cpu_pct = the generator's
 * own CPU time over the wall time from t0 to the end, in percent of one
 * core (near 100: the figures are the generator's, not the server's); non200 = done with a status
 * other than 200. A failed request is not retried (nor does the apiserver
 * retry one). closes = connections the server closed; each is reopened.
 * achieved_rps = the rate of completions: (done - 1) / (time of the last
 * counted response - time of the first), i.e. R when the server keeps up
 * and its capacity when it does not. Bounded: --secs (+ --warmup + --timeout) in
 * time, --max requests in count.
 *
 * HOST is a numeric IPv4 address (the bench runs on 127.0.0.1). --ca FILE
 * trusts the first certificate of a PEM file (a CA, or the self-signed
 * server certificate itself); --name NAME is the name checked against the
 * certificate (and sent as SNI; no name: no check). --insecure checks
 * nothing but still uses the server's key.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include "bearssl.h"
#include "hist.h"

#define RATE_MAX_CONNS	4096	/* more than any bench cell; each costs ~40 KB */
#define RATE_MAX_BODY	(8u << 20)	/* 8 MiB: above the apiserver's 3 MiB request limit */
#define RATE_MAX_HEAD	8192	/* response header block; more is an error */
#define RATE_MAX_PEM	(64u << 10)	/* a CA file of a few certificates */
#define RATE_MAX_DER	8192	/* one certificate */
#define RATE_MAX_DN	1024	/* its subject name */
#define RATE_MAX_KEY	1024	/* its public key (RSA 8192 modulus) */
#define RATE_LATE_NS	1000000LL	/* 1 ms waiting for a free connection is "late" */
#define RATE_RETRY_NS	10000000LL	/* 10 ms before redialling after a failed connect */
#define RATE_EVENTS	64	/* epoll events per wake-up */
#define RATE_MAX_RATE	1000000.0	/* 1 us between requests: the timer's floor */
#define NS	1000000000LL

enum cstate { C_DOWN, C_CONNECTING, C_HANDSHAKE, C_IDLE, C_BUSY };
enum pump { P_OK = 0, P_ERROR = -1, P_CLOSED = -2 };	/* conn_pump's results */
enum body { B_HEAD, B_LENGTH, B_CHUNK_SIZE, B_CHUNK_DATA, B_CHUNK_CRLF, B_TRAILER };

/* the --insecure x509 wrapper: br_x509_minimal, "not trusted" forgiven */
struct noanchor {
	const br_x509_class *vtable;
	const br_x509_class **inner;
};

struct conn {
	int fd;
	enum cstate st;
	int64_t retry_at;	/* C_DOWN: when to dial again */
	/* the request in flight */
	int64_t due;	/* its scheduled send time */
	int counted;	/* outside the warm-up */
	size_t sent;	/* bytes handed to the engine */
	/* its response */
	enum body bst;
	char head[RATE_MAX_HEAD];
	size_t head_len;
	int status, close_after;
	uint64_t left;	/* body (or chunk) bytes still to come */
	br_ssl_client_context cc;
	br_x509_minimal_context xc;
	struct noanchor na;
	unsigned char iobuf[BR_SSL_BUFSIZE_BIDI];
};

static struct {
	double rate, secs, warmup, timeout;
	long conns, max;
	const char *ca, *name;
	int insecure;
	struct sockaddr_in addr;
	char *req;
	size_t req_len;
	br_x509_trust_anchor ta;
	int nta;
} opt = { .rate = 100, .secs = 5, .conns = 4, .max = 1000000, .timeout = 10 };

static struct {
	struct conn *c;
	int *idle, nidle;
	int ep, tfd;
	int64_t t0;	/* schedule origin */
	int64_t period;	/* ns between due times: the timer's period, so ticks and due times agree */
	uint64_t k_warm, k_end;	/* first counted request, one past the last */
	uint64_t due, dispatched;	/* the FIFO: requests [dispatched, due) wait */
	uint64_t done, non200, late, closes, reconnects;
	uint64_t all_done;	/* responses read, warm-up included (the server's work) */
	int64_t cpu0, t_end;	/* own CPU time at t0; when the run ended */
	int64_t first_done, last_done;	/* completion times of counted responses */
	struct hist h;
} g;

static int64_t
now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * NS + ts.tv_nsec;
}

/* due_ns: the scheduled send time of request k (from k, not accumulated). */
static int64_t
due_ns(uint64_t k)
{
	return g.t0 + (int64_t)k * g.period;
}

static void
die(const char *msg)
{
	fprintf(stderr, "rate: %s\n", msg);
	exit(2);
}

/* ---------------------------------------------------------------- certificates */

static unsigned char ta_der[RATE_MAX_DER], ta_dn[RATE_MAX_DN], ta_key[RATE_MAX_KEY], ta_key2[RATE_MAX_KEY];
static size_t ta_der_len, ta_dn_len;
static int ta_overflow;

static void
append_to(unsigned char *dst, size_t cap, size_t *len, const void *src, size_t n)
{
	if (*len + n > cap) {
		ta_overflow = 1;
		return;
	}
	memcpy(dst + *len, src, n);
	*len += n;
}

static void
der_append(void *ctx, const void *buf, size_t n)
{
	if (ctx)
		append_to(ta_der, sizeof ta_der, &ta_der_len, buf, n);
}

static void
dn_append(void *ctx, const void *buf, size_t n)
{
	(void)ctx;
	append_to(ta_dn, sizeof ta_dn, &ta_dn_len, buf, n);
}

/* pem_first_cert: the DER of the first CERTIFICATE in the PEM text p[0..n). */
static void
pem_first_cert(const unsigned char *p, size_t n)
{
	br_pem_decoder_context pc;
	int in_cert = 0, found = 0;

	br_pem_decoder_init(&pc);
	while (n > 0 && !found) {
		size_t k = br_pem_decoder_push(&pc, p, n);

		p += k, n -= k;
		switch (br_pem_decoder_event(&pc)) {
		case BR_PEM_BEGIN_OBJ:
			in_cert = strcmp(br_pem_decoder_name(&pc), "CERTIFICATE") == 0;
			ta_der_len = 0;
			br_pem_decoder_setdest(&pc, der_append, in_cert ? &pc : NULL);
			break;
		case BR_PEM_END_OBJ:
			found = in_cert;
			break;
		case BR_PEM_ERROR:
			die("--ca: not a PEM file");
		}
	}
	if (!found || ta_overflow)
		die("--ca: no CERTIFICATE (or one too large) in the file");
}

/* load_ca: opt.ta from the first certificate of FILE. */
static void
load_ca(const char *file)
{
	static unsigned char pem[RATE_MAX_PEM + 1];
	static br_x509_decoder_context dc;
	const br_x509_pkey *pk;
	size_t n;
	FILE *f = fopen(file, "rb");

	if (!f)
		die("--ca: cannot open the file");
	n = fread(pem, 1, RATE_MAX_PEM, f);
	fclose(f);
	pem[n++] = '\n';	/* the decoder needs the END line's newline */
	pem_first_cert(pem, n);
	br_x509_decoder_init(&dc, dn_append, NULL);
	br_x509_decoder_push(&dc, ta_der, ta_der_len);
	pk = br_x509_decoder_get_pkey(&dc);
	if (!pk || ta_overflow)
		die("--ca: the certificate does not decode");
	opt.ta.dn.data = ta_dn;
	opt.ta.dn.len = ta_dn_len;
	opt.ta.flags = br_x509_decoder_isCA(&dc) ? BR_X509_TA_CA : 0;
	opt.ta.pkey = *pk;
	if (pk->key_type == BR_KEYTYPE_EC) {
		if (pk->key.ec.qlen > sizeof ta_key)
			die("--ca: key too large");
		memcpy(ta_key, pk->key.ec.q, pk->key.ec.qlen);
		opt.ta.pkey.key.ec.q = ta_key;
	} else {
		if (pk->key.rsa.nlen > sizeof ta_key || pk->key.rsa.elen > sizeof ta_key2)
			die("--ca: key too large");
		memcpy(ta_key, pk->key.rsa.n, pk->key.rsa.nlen);
		memcpy(ta_key2, pk->key.rsa.e, pk->key.rsa.elen);
		opt.ta.pkey.key.rsa.n = ta_key;
		opt.ta.pkey.key.rsa.e = ta_key2;
	}
	opt.nta = 1;
}

#define NA_INNER(ctx) (((struct noanchor *)(void *)(ctx))->inner)
static void na_start_chain(const br_x509_class **c, const char *name) { (*NA_INNER(c))->start_chain(NA_INNER(c), name); }
static void na_start_cert(const br_x509_class **c, uint32_t n) { (*NA_INNER(c))->start_cert(NA_INNER(c), n); }
static void na_append(const br_x509_class **c, const unsigned char *b, size_t n) { (*NA_INNER(c))->append(NA_INNER(c), b, n); }
static void na_end_cert(const br_x509_class **c) { (*NA_INNER(c))->end_cert(NA_INNER(c)); }
static unsigned
na_end_chain(const br_x509_class **c)
{
	unsigned r = (*NA_INNER(c))->end_chain(NA_INNER(c));

	return r == BR_ERR_X509_NOT_TRUSTED ? 0 : r;
}
static const br_x509_pkey *
na_get_pkey(const br_x509_class *const *c, unsigned *usages)
{
	const br_x509_class **in = ((const struct noanchor *)(const void *)c)->inner;

	return (*in)->get_pkey(in, usages);
}
static const br_x509_class noanchor_vtable = {
	sizeof(struct noanchor), na_start_chain, na_start_cert, na_append,
	na_end_cert, na_end_chain, na_get_pkey
};

/* ---------------------------------------------------------------- connections */

static void
conn_idle(struct conn *c)
{
	c->st = C_IDLE;
	g.idle[g.nidle++] = (int)(c - g.c);
}

/* conn_dial: a new non-blocking TCP connection; C_DOWN (retry later) on failure. */
static void
conn_dial(struct conn *c)
{
	struct epoll_event ev = { .events = EPOLLIN | EPOLLOUT | EPOLLET };
	int one = 1;

	c->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (c->fd < 0)
		die("socket");
	setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
	ev.data.ptr = c;
	if (epoll_ctl(g.ep, EPOLL_CTL_ADD, c->fd, &ev) < 0)
		die("epoll_ctl");
	c->st = C_CONNECTING;
	if (connect(c->fd, (struct sockaddr *)&opt.addr, sizeof opt.addr) < 0 && errno != EINPROGRESS) {
		close(c->fd);
		c->fd = -1;
		c->st = C_DOWN;
		c->retry_at = now_ns() + RATE_RETRY_NS;
	}
}

/*
 * conn_drop: the connection is gone (error, or the server closed it:
 * closed_by_server, counted in closes). The
 * request in flight, if any, fails (errors = sent - done counts it); the
 * connection is dialled again, at once if it had served, after
 * RATE_RETRY_NS if it never finished a handshake.
 */
static void
conn_drop(struct conn *c, int closed_by_server)
{
	int served = c->st == C_IDLE || c->st == C_BUSY;

	if (c->st == C_IDLE) {
		for (int i = 0; i < g.nidle; i++)
			if (g.c + g.idle[i] == c) {
				g.idle[i] = g.idle[--g.nidle];
				break;
			}
	}
	if (closed_by_server)
		g.closes++;
	close(c->fd);	/* also leaves the epoll set */
	c->fd = -1;
	c->st = C_DOWN;
	c->retry_at = served ? 0 : now_ns() + RATE_RETRY_NS;
}

static void
resp_start(struct conn *c)
{
	c->bst = B_HEAD;
	c->head_len = 0;
	c->status = 0;
	c->close_after = 0;
	c->left = 0;
}

/* resp_done: the response is complete: count it, free the connection. */
static void
resp_done(struct conn *c)
{
	int64_t t = now_ns();

	g.all_done++;
	if (c->counted) {
		if (g.done++ == 0)
			g.first_done = t;
		g.last_done = t;
		if (c->status != 200)
			g.non200++;
		hist_record(&g.h, (uint64_t)(t > c->due ? t - c->due : 0) / 1000);
	}
	if (c->close_after || c->sent < opt.req_len) {	/* answered before it was sent: do not reuse */
		br_ssl_engine_close(&c->cc.eng);
		conn_drop(c, 1);
		return;
	}
	conn_idle(c);
}

/* head_value: the value of header NAME in the header block, or NULL. */
static const char *
head_value(const char *h, const char *name)
{
	size_t n = strlen(name);

	for (const char *l = strstr(h, "\r\n"); l; l = strstr(l + 2, "\r\n")) {
		if (strncasecmp(l + 2, name, n) == 0 && l[2 + n] == ':') {
			const char *v = l + 3 + n;

			while (*v == ' ' || *v == '\t')
				v++;
			return v;
		}
	}
	return NULL;
}

/* resp_head: parse the header block c->head; -1 if malformed or undelimited. */
static int
resp_head(struct conn *c)
{
	const char *v;
	char *end;

	if (strncmp(c->head, "HTTP/1.", 7) != 0 || c->head[8] != ' ')
		return -1;
	c->status = (int)strtol(c->head + 9, &end, 10);
	if (end != c->head + 12)
		return -1;
	v = head_value(c->head, "connection");
	c->close_after = v && strncasecmp(v, "close", 5) == 0;
	v = head_value(c->head, "transfer-encoding");
	if (v && strncasecmp(v, "chunked", 7) == 0) {
		c->bst = B_CHUNK_SIZE;
		c->left = 0;
		return 0;
	}
	v = head_value(c->head, "content-length");
	if (!v || *v < '0' || *v > '9')
		return -1;	/* a body delimited by close: the bench does not accept it */
	c->left = strtoull(v, &end, 10);
	c->bst = B_LENGTH;
	return 0;
}

/*
 * resp_feed: n bytes of response on connection c. Returns the number of
 * bytes consumed, or -1 on a protocol error (bytes beyond the response
 * included: nothing is pipelined, so the server sent what was not asked).
 */
static long
resp_feed(struct conn *c, const unsigned char *p, size_t n)
{
	size_t i = 0;

	if (c->st != C_BUSY)
		return -1;
	while (i < n && c->st == C_BUSY) {
		unsigned char ch = p[i];

		switch (c->bst) {
		case B_HEAD:
			if (c->head_len + 1 >= sizeof c->head)
				return -1;
			c->head[c->head_len++] = (char)ch;
			i++;
			if (c->head_len >= 4 && memcmp(c->head + c->head_len - 4, "\r\n\r\n", 4) == 0) {
				c->head[c->head_len] = 0;
				if (resp_head(c) < 0)
					return -1;
				if (c->bst == B_LENGTH && c->left == 0)
					resp_done(c);
			}
			break;
		case B_LENGTH: {
			size_t k = n - i < c->left ? n - i : (size_t)c->left;

			i += k;
			c->left -= k;
			if (c->left == 0)
				resp_done(c);
			break;
		}
		case B_CHUNK_SIZE:	/* hex digits, an optional extension, CRLF */
			i++;
			if (ch == '\n') {
				c->bst = c->left ? B_CHUNK_DATA : B_TRAILER;
				c->head_len = 0;
			} else if (c->head_len == 0 && ch >= '0' && ch <= '9') {
				c->left = c->left * 16 + (ch - '0');
			} else if (c->head_len == 0 && (ch | 0x20) >= 'a' && (ch | 0x20) <= 'f') {
				c->left = c->left * 16 + ((ch | 0x20) - 'a' + 10);
			} else {
				c->head_len = 1;	/* past the digits: skip to the newline */
			}
			if (c->left > RATE_MAX_BODY)
				return -1;
			break;
		case B_CHUNK_DATA: {
			size_t k = n - i < c->left ? n - i : (size_t)c->left;

			i += k;
			c->left -= k;
			if (c->left == 0)
				c->bst = B_CHUNK_CRLF;
			break;
		}
		case B_CHUNK_CRLF:
			i++;
			if (ch == '\n') {
				c->bst = B_CHUNK_SIZE;
				c->head_len = 0;
			}
			break;
		case B_TRAILER:	/* lines until an empty one */
			i++;
			if (ch == '\n') {
				if (c->head_len == 0)
					resp_done(c);
				c->head_len = 0;
			} else if (ch != '\r') {
				c->head_len = 1;
			}
			break;
		}
	}
	return i < n ? -1 : (long)i;
}

/*
 * conn_pump: move bytes between socket, engine and request/response until
 * nothing moves (the socket would block). Edge-triggered epoll is safe
 * with it: it stops only on EAGAIN or on an engine that wants neither.
 * Returns P_OK, or why the caller has to drop the connection: P_CLOSED
 * (the server closed it: EOF, reset, close_notify), P_ERROR (TLS or HTTP
 * error). A fast server may answer, or close, within one call.
 */
static enum pump
conn_pump(struct conn *c)
{
	br_ssl_engine_context *e = &c->cc.eng;

	for (;;) {
		unsigned st = br_ssl_engine_current_state(e);
		unsigned char *b;
		size_t len;
		ssize_t n;
		int moved = 0;

		if (st & BR_SSL_CLOSED)
			return br_ssl_engine_last_error(e) == BR_ERR_OK ? P_CLOSED : P_ERROR;
		if (c->st == C_HANDSHAKE && (st & BR_SSL_SENDAPP))
			conn_idle(c);	/* handshake done */
		if (st & BR_SSL_SENDREC) {
			b = br_ssl_engine_sendrec_buf(e, &len);
			n = write(c->fd, b, len);
			if (n > 0) {
				br_ssl_engine_sendrec_ack(e, (size_t)n);
				moved = 1;
			} else if (n < 0 && errno != EAGAIN) {
				return errno == EPIPE || errno == ECONNRESET ? P_CLOSED : P_ERROR;
			}
		}
		if (st & BR_SSL_RECVAPP) {
			b = br_ssl_engine_recvapp_buf(e, &len);
			if (resp_feed(c, b, len) < 0)
				return P_ERROR;
			if (c->fd < 0)
				return P_OK;	/* "Connection: close" honoured, redialled later */
			br_ssl_engine_recvapp_ack(e, len);
			moved = 1;
		}
		if (c->st == C_BUSY && c->sent < opt.req_len && (st & BR_SSL_SENDAPP)) {
			b = br_ssl_engine_sendapp_buf(e, &len);
			if (len > opt.req_len - c->sent)
				len = opt.req_len - c->sent;
			memcpy(b, opt.req + c->sent, len);
			br_ssl_engine_sendapp_ack(e, len);
			c->sent += len;
			if (c->sent == opt.req_len)
				br_ssl_engine_flush(e, 0);
			moved = 1;
		}
		if (st & BR_SSL_RECVREC) {
			b = br_ssl_engine_recvrec_buf(e, &len);
			n = read(c->fd, b, len);
			if (n > 0) {
				br_ssl_engine_recvrec_ack(e, (size_t)n);
				moved = 1;
			} else if (n == 0 || errno == ECONNRESET) {
				return P_CLOSED;
			} else if (errno != EAGAIN) {
				return P_ERROR;
			}
		}
		if (!moved)
			return P_OK;
	}
}

/* conn_event: epoll said the socket of c is ready. */
static void
conn_event(struct conn *c)
{
	enum pump r;

	if (c->st == C_DOWN)
		return;
	if (c->st == C_CONNECTING) {
		int err = 0;
		socklen_t l = sizeof err;

		getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &l);
		if (err == EINPROGRESS)
			return;
		if (err) {
			conn_drop(c, 0);
			return;
		}
		br_ssl_client_reset(&c->cc, opt.name, 0);
		c->st = C_HANDSHAKE;
	}
	r = conn_pump(c);
	if (r != P_OK && c->fd >= 0)
		conn_drop(c, r == P_CLOSED);
}

static void
conn_init(struct conn *c)
{
	br_ssl_client_init_full(&c->cc, &c->xc, opt.nta ? &opt.ta : NULL, (size_t)opt.nta);
	br_ssl_engine_set_buffer(&c->cc.eng, c->iobuf, sizeof c->iobuf, 1);
	if (opt.insecure) {
		c->na.vtable = &noanchor_vtable;
		c->na.inner = &c->xc.vtable;
		br_ssl_engine_set_x509(&c->cc.eng, &c->na.vtable);
	}
	c->fd = -1;
	conn_dial(c);
}

/* ---------------------------------------------------------------- the schedule */

/* dispatch: the FIFO's head goes out on an idle connection. */
static void
dispatch(int64_t now)
{
	while (g.dispatched < g.due && g.nidle > 0) {
		struct conn *c = g.c + g.idle[--g.nidle];
		uint64_t k = g.dispatched++;

		c->st = C_BUSY;
		c->due = due_ns(k);
		c->counted = k >= g.k_warm;
		c->sent = 0;
		resp_start(c);
		if (c->counted && now - c->due > RATE_LATE_NS)
			g.late++;
		enum pump r = conn_pump(c);

		if (r != P_OK && c->fd >= 0)
			conn_drop(c, r == P_CLOSED);
	}
}

static void
redial(int64_t now)
{
	for (long i = 0; i < opt.conns; i++)
		if (g.c[i].st == C_DOWN && g.c[i].retry_at <= now) {
			g.reconnects++;
			conn_dial(&g.c[i]);
		}
}

/* wait_events: one epoll_wait (ms timeout), every ready socket served. */
static void
wait_events(int ms)
{
	struct epoll_event ev[RATE_EVENTS];
	int n = epoll_wait(g.ep, ev, RATE_EVENTS, ms);

	for (int i = 0; i < n; i++) {
		if (ev[i].data.ptr == NULL) {
			uint64_t ticks;

			if (read(g.tfd, &ticks, sizeof ticks) < 0 && errno != EAGAIN)
				die("timerfd read");
		} else {
			conn_event(ev[i].data.ptr);
		}
	}
}

static void
arm_timer(void)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.ptr = NULL };
	struct itimerspec its = {
		.it_value = { g.t0 / NS, g.t0 % NS },
		.it_interval = { g.period / NS, g.period % NS },
	};

	g.tfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	if (g.tfd < 0 || epoll_ctl(g.ep, EPOLL_CTL_ADD, g.tfd, &ev) < 0 ||
	    timerfd_settime(g.tfd, TFD_TIMER_ABSTIME, &its, NULL) < 0)
		die("timerfd");
}

/* cpu_ns: this process's user + system CPU time. */
static int64_t
cpu_ns(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return ((int64_t)ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * NS +
	    ((int64_t)ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) * 1000;
}

static long
busy_count(void)
{
	long n = 0;

	for (long i = 0; i < opt.conns; i++)
		n += g.c[i].st == C_BUSY;
	return n;
}

static void
run(void)
{
	int64_t t, deadline;
	long ready;

	/* every connection through its handshake before the clock starts */
	deadline = now_ns() + (int64_t)(opt.timeout * NS);
	do {
		redial(now_ns());
		wait_events(10);
		ready = g.nidle;
	} while (ready < opt.conns && now_ns() < deadline);
	if (ready == 0)
		die("no connection completed a TLS handshake");
	if (ready < opt.conns)
		fprintf(stderr, "rate: only %ld of %ld connections up; running with them\n",
		    ready, opt.conns);

	g.period = (int64_t)(1e9 / opt.rate);
	g.t0 = now_ns() + 1000000;	/* 1 ms: the timer is armed before the first due time */
	g.k_warm = (uint64_t)(opt.warmup * opt.rate + 0.5);
	g.k_end = (uint64_t)((opt.warmup + opt.secs) * opt.rate + 0.5);
	if (g.k_end - g.k_warm > (uint64_t)opt.max)
		g.k_end = g.k_warm + (uint64_t)opt.max;
	arm_timer();
	g.cpu0 = cpu_ns();
	deadline = due_ns(g.k_end) + (int64_t)(opt.timeout * NS);
	while ((t = now_ns()) < deadline) {
		while (g.due < g.k_end && due_ns(g.due) <= t)
			g.due++;
		if (g.due == g.k_end && g.tfd >= 0) {
			close(g.tfd);	/* schedule over: no more ticks */
			g.tfd = -1;
		}
		redial(t);
		dispatch(t);
		if (g.dispatched == g.k_end && busy_count() == 0)
			break;
		wait_events(g.tfd >= 0 ? 100 : 10);
	}
	g.t_end = now_ns();
}

/* ---------------------------------------------------------------- set-up, report */

static double
num_arg(const char *flag, const char *v, double lo, double hi)
{
	char *end;
	double d = v ? strtod(v, &end) : 0;

	if (!v || end == v || *end || d < lo || d > hi) {
		fprintf(stderr, "rate: %s wants a number in [%g, %g]\n", flag, lo, hi);
		exit(2);
	}
	return d;
}

static void
usage(void)
{
	fputs("usage: rate [--rate R] [--conns N] [--secs S] [--warmup S] [--max N] [--timeout S]\n"
	    "            (--ca FILE [--name NAME] | --insecure) HOST:PORT PATH BODYFILE\n", stderr);
	exit(2);
}

/* build_request: the POST, headers and body, in one buffer sent as is. */
static void
build_request(const char *hostport, const char *path, const char *file)
{
	FILE *f = fopen(file, "rb");
	char head[1024];
	size_t n;
	int hn;
	char *body = malloc(RATE_MAX_BODY + 1);

	if (!f || !body)
		die("cannot read the body file");
	n = fread(body, 1, RATE_MAX_BODY + 1, f);
	fclose(f);
	if (n > RATE_MAX_BODY)
		die("body file above RATE_MAX_BODY");
	hn = snprintf(head, sizeof head, "POST %s%s HTTP/1.1\r\nHost: %s\r\n"
	    "Content-Type: application/json\r\nContent-Length: %zu\r\n\r\n",
	    path[0] == '/' ? "" : "/", path, hostport, n);
	if (hn < 0 || (size_t)hn >= sizeof head)
		die("path too long");
	opt.req = malloc((size_t)hn + n);
	if (!opt.req)
		die("out of memory");
	memcpy(opt.req, head, (size_t)hn);
	memcpy(opt.req + hn, body, n);
	opt.req_len = (size_t)hn + n;
	free(body);
}

static void
parse_addr(const char *hp)
{
	char host[64];
	const char *colon = strrchr(hp, ':');
	long port;

	if (!colon || (size_t)(colon - hp) >= sizeof host)
		usage();
	memcpy(host, hp, (size_t)(colon - hp));
	host[colon - hp] = 0;
	port = strtol(colon + 1, NULL, 10);
	opt.addr.sin_family = AF_INET;
	opt.addr.sin_port = htons((uint16_t)port);
	if (port < 1 || port > 65535 || inet_pton(AF_INET, host, &opt.addr.sin_addr) != 1)
		die("HOST:PORT wants a numeric IPv4 address and a port");
}

static void
parse_args(int argc, char **argv)
{
	int i, pos = 0;
	char *p[3];

	for (i = 1; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;

		if (strcmp(a, "--rate") == 0)
			opt.rate = num_arg(a, v, 1, RATE_MAX_RATE), i++;
		else if (strcmp(a, "--conns") == 0)
			opt.conns = (long)num_arg(a, v, 1, RATE_MAX_CONNS), i++;
		else if (strcmp(a, "--secs") == 0)
			opt.secs = num_arg(a, v, 0.01, 3600), i++;
		else if (strcmp(a, "--warmup") == 0)
			opt.warmup = num_arg(a, v, 0, 3600), i++;
		else if (strcmp(a, "--max") == 0)
			opt.max = (long)num_arg(a, v, 1, 1e9), i++;
		else if (strcmp(a, "--timeout") == 0)
			opt.timeout = num_arg(a, v, 0.01, 600), i++;
		else if (strcmp(a, "--ca") == 0 && v)
			opt.ca = v, i++;
		else if (strcmp(a, "--name") == 0 && v)
			opt.name = v, i++;
		else if (strcmp(a, "--insecure") == 0)
			opt.insecure = 1;
		else if (a[0] == '-' && a[1] == '-')
			usage();
		else if (pos < 3)
			p[pos++] = argv[i];
		else
			usage();
	}
	if (pos != 3 || !opt.ca == !opt.insecure)
		usage();
	parse_addr(p[0]);
	build_request(p[0], p[1], p[2]);
	if (opt.ca)
		load_ca(opt.ca);
}

int
main(int argc, char **argv)
{
	uint64_t sent;
	double span;

	parse_args(argc, argv);
	g.c = calloc((size_t)opt.conns, sizeof *g.c);
	g.idle = calloc((size_t)opt.conns, sizeof *g.idle);
	g.ep = epoll_create1(EPOLL_CLOEXEC);
	if (!g.c || !g.idle || g.ep < 0)
		die("out of memory");
	g.tfd = -1;
	for (long i = 0; i < opt.conns; i++)
		conn_init(&g.c[i]);
	run();
	sent = g.due > g.k_warm ? g.due - g.k_warm : 0;
	span = (double)(g.last_done - g.first_done) / 1e9;
	printf("RATE rate=%g conns=%ld secs=%g sent=%llu done=%llu errors=%llu non200=%llu "
	    "p50_us=%llu p90_us=%llu p99_us=%llu p999_us=%llu max_us=%llu achieved_rps=%.1f "
	    "late=%llu closes=%llu reconnects=%llu all_done=%llu gen_cpu_pct=%.1f\n",
	    opt.rate, opt.conns, opt.secs, (unsigned long long)sent, (unsigned long long)g.done,
	    (unsigned long long)(sent - g.done), (unsigned long long)g.non200,
	    (unsigned long long)hist_percentile(&g.h, 50), (unsigned long long)hist_percentile(&g.h, 90),
	    (unsigned long long)hist_percentile(&g.h, 99), (unsigned long long)hist_percentile(&g.h, 99.9),
	    (unsigned long long)g.h.max, g.done > 1 && span > 0 ? (double)(g.done - 1) / span : 0.0,
	    (unsigned long long)g.late, (unsigned long long)g.closes, (unsigned long long)g.reconnects,
	    (unsigned long long)g.all_done,
	    g.t_end > g.t0 ? 100.0 * (double)(cpu_ns() - g.cpu0) / (double)(g.t_end - g.t0) : 0.0);
	return 0;
}
