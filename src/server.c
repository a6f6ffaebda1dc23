/*
 * server.c: epoll workers, the connection state machine, routing.
 *
 * A connection moves through: TLS handshake -> request head -> body ->
 * response -> (keep-alive) head again. All I/O is non-blocking and driven
 * by BearSSL's engine state: SENDREC (ciphertext to write), RECVREC
 * (ciphertext wanted), SENDAPP (room for plaintext), RECVAPP (plaintext
 * ready). A slow or idle connection only ever waits in epoll, so it never
 * delays the others.
 *
 * Memory: a connection owns only its struct conn (TLS context and record
 * buffers, about 25 KiB). Request and response buffers belong to the
 * worker and are lent to a connection from the first request byte until
 * its response is sent, so idle connections cost no buffer and steady
 * state does not allocate.
 */
#include <errno.h>
#include <limits.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>

#include "http.h"
#include "json.h"
#include "log.h"
#include "metrics.h"
#include "pool.h"
#include "review.h"
#include "server.h"
#include "tls.h"

#define SERVER_MAX_WORKERS	64
#define SERVER_EVENTS		64	/* epoll events taken per wait */
#define SERVER_TICK_MS		100	/* timeout sweep and drain check period */
#define SERVER_BACKLOG		1024
#define ACCEPT_PAUSE_MS		100	/* out of descriptors: stop accepting this long */
#define SERVER_SPARE_FDS	64	/* descriptors besides connections (logs, certs) */
#define CONN_HEAD_RESERVE	512	/* response head is written before the body */
#define CONN_IN_MIN		(8 * 1024)
#define LOG_REQ_MAX		1024
#define METRICS_OUT_MAX		(64 * 1024)	/* the exposition is ~10 KiB */
#define CONN_LINGER_MS		2000	/* wait for the peer's close after ours */
#define CONN_RETRY_AFTER	"Retry-After: 1\r\n"	/* on a 503: the budget frees in ms */
/*
 * While draining, an idle keep-alive connection is closed only after this
 * long without a request: closing it at once races a client that is
 * reusing it right now, and the apiserver does not retry (CONTRACT rule 5).
 */
#define DRAIN_IDLE_MS		1000

enum conn_state {
	CONN_HANDSHAKE,		/* TLS handshake in progress */
	CONN_HEAD,		/* waiting for (the rest of) a request head */
	CONN_BODY,		/* reading a Content-Length body */
	CONN_CHUNKED,		/* reading a chunked body */
	CONN_RESPOND,		/* response queued; input paused */
	CONN_CLOSING,		/* close_notify sent or being sent */
	CONN_PLAIN,		/* plain HTTP on the TLS port: answered, draining */
};

struct conn {
	struct tls_conn	 tls;		/* first: large, alignment-friendly */
	struct worker	*w;
	struct conn	*prev, *next;	/* the worker's list, for timeouts */
	int		 fd;
	enum conn_state	 state;
	int		 close_after;	/* close once the response is sent */
	int		 is_idle;	/* between requests, no byte received */
	int		 peeked;	/* first bytes looked at (plain HTTP?) */
	uint32_t	 events;	/* current epoll interest */
	uint64_t	 deadline_us;
	uint64_t	 start_us;	/* first byte of the current request */
	struct pool_buf	 in, out;
	size_t		 in_len;	/* bytes in in.p */
	size_t		 out_off, out_len;	/* pending response bytes */
	size_t		 req_end;	/* end of the current request in in.p */
	size_t		 body_off, body_len;
	size_t		 chunk_have;	/* decoded chunked bytes so far */
	struct http_request req;
	struct http_chunked chunked;
	int		 status;	/* of the response being sent */
	int		 in_flight;	/* counted in the in-flight gauge */
	uint64_t	 handled_us;	/* when the response was ready */
	char		 remote[64];
};

struct worker {
	pthread_t		 thread;
	int			 ep;
	struct conn		*conns;
	int			 nconns;
	int			 listening;	/* the listener is in this epoll */
	uint64_t		 accept_resume_us;	/* when paused by EMFILE */
	struct review_ctx	*review;
	struct pool		 pool;
	unsigned		 pressure_seen;	/* pool_pressure() at the last trim */
	const struct server_config *cfg;
	struct metrics		 metrics;	/* written by this worker only */
};

static const char *const method_names[] = {
	[HTTP_GET] = "GET", [HTTP_HEAD] = "HEAD", [HTTP_POST] = "POST",
	[HTTP_OTHER_METHOD] = "OTHER",
};

static int listen_fd = -1;
static struct worker workers[SERVER_MAX_WORKERS];
static int nworkers;
static atomic_int draining, stopping, open_conns, no_accept, listener_closed;

static void conn_pump(struct conn *c);
static void conn_close(struct conn *c);

uint64_t
server_now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

/*
 * Fills ss from "host:port", ":port" or "[v6]:port". Hosts are numeric
 * (or "localhost"): a webhook listens on an address it owns, and leaving
 * the resolver out keeps some 10 KB of DNS code out of the binary. An
 * empty host is every address: IPv6 with IPv4 mapped.
 */
static int
server_parse_addr(const char *spec, struct sockaddr_storage *ss, socklen_t *len)
{
	struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)ss;
	struct sockaddr_in *a4 = (struct sockaddr_in *)ss;
	char host[INET6_ADDRSTRLEN + 2], *end;
	const char *colon = strrchr(spec, ':');
	size_t hl;
	long port;

	if (colon == NULL || (hl = (size_t)(colon - spec)) >= sizeof(host))
		return -1;
	errno = 0;
	port = strtol(colon + 1, &end, 10);
	if (errno || end == colon + 1 || *end || port < 0 || port > 65535)
		return -1;
	memcpy(host, spec, hl);
	host[hl] = '\0';
	memset(ss, 0, sizeof(*ss));
	if (hl == 0 || (host[0] == '[' && host[hl - 1] == ']')) {
		if (hl > 0)
			host[hl - 1] = '\0';
		a6->sin6_family = AF_INET6;
		a6->sin6_port = htons((uint16_t)port);
		*len = sizeof(*a6);
		return hl == 0 || inet_pton(AF_INET6, host + 1, &a6->sin6_addr) == 1 ? 0 : -1;
	}
	a4->sin_family = AF_INET;
	a4->sin_port = htons((uint16_t)port);
	*len = sizeof(*a4);
	if (strcmp(host, "localhost") == 0)
		snprintf(host, sizeof(host), "127.0.0.1");
	return inet_pton(AF_INET, host, &a4->sin_addr) == 1 ? 0 : -1;
}

/* Opens, binds and listens; falls back to IPv4 when IPv6 is disabled. */
int
server_listen(const struct server_config *cfg, char *err, size_t errlen)
{
	struct sockaddr_storage ss;
	struct sockaddr_in *a4 = (struct sockaddr_in *)&ss;
	socklen_t len;
	int fd, one = 1, zero = 0, any;

	if (server_parse_addr(cfg->listen, &ss, &len) < 0) {
		snprintf(err, errlen, "--listen %s: expected IP:port, :port, [IPv6]:port "
		    "or localhost:port", cfg->listen);
		return -1;
	}
	any = cfg->listen[0] == ':';
	fd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0 && any && errno == EAFNOSUPPORT) {
		uint16_t port = ((struct sockaddr_in6 *)&ss)->sin6_port;

		memset(&ss, 0, sizeof(ss));
		a4->sin_family = AF_INET;
		a4->sin_port = port;
		len = sizeof(*a4);
		fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	}
	if (fd >= 0 && ss.ss_family == AF_INET6 && any)
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof(zero));
	if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
	    bind(fd, (struct sockaddr *)&ss, len) < 0 || listen(fd, SERVER_BACKLOG) < 0) {
		snprintf(err, errlen, "--listen %s: %s", cfg->listen, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	listen_fd = fd;
	return 0;
}

/* Sets the epoll interest of c to ev if it changed. */
static void
conn_watch(struct conn *c, uint32_t ev)
{
	struct epoll_event e = { .events = ev, .data.ptr = c };

	if (ev != c->events && epoll_ctl(c->w->ep, EPOLL_CTL_MOD, c->fd, &e) == 0)
		c->events = ev;
}

static void
conn_free(struct conn *c)
{
	struct worker *w = c->w;

	if (c->in_flight)
		METRICS_ADD(w->metrics.in_flight, -1);
	if (c->state == CONN_HANDSHAKE && br_ssl_engine_last_error(&c->tls.sc.eng) == BR_ERR_OK)
		METRICS_ADD(w->metrics.handshake_failures, 1);	/* timed out or hung up */
	epoll_ctl(w->ep, EPOLL_CTL_DEL, c->fd, NULL);
	close(c->fd);
	tls_conn_done(&c->tls);
	pool_put(&w->pool, &c->in);
	pool_put(&w->pool, &c->out);
	if (c->prev)
		c->prev->next = c->next;
	else
		w->conns = c->next;
	if (c->next)
		c->next->prev = c->prev;
	w->nconns--;
	atomic_fetch_sub(&open_conns, 1);
	free(c);
}

/* Appends the JSON request log line for the finished response. */
static void
conn_log(struct conn *c, const struct review_info *ri, size_t bytes)
{
	char line[LOG_REQ_MAX];
	struct buf b;

	if (!c->w->cfg->log_requests || log_level < LOG_INFO)
		return;
	buf_init(&b, line, sizeof(line) - 1);
	buf_puts(&b, "{\"time\":\"");
	log_put_time(&b);
	buf_puts(&b, "\",\"remote\":");
	json_put_cstr(&b, c->remote);
	buf_puts(&b, ",\"method\":\"");
	buf_puts(&b, c->req.target ? method_names[c->req.method] : "-");
	buf_puts(&b, "\"");
	buf_puts(&b, ",\"path\":");
	json_put_str(&b, c->req.target ? c->req.target : "-",
	    c->req.target ? c->req.path_len : 1);
	buf_puts(&b, ",\"status\":");
	buf_put_u64(&b, (uint64_t)c->status);
	buf_puts(&b, ",\"bytes\":");
	buf_put_u64(&b, bytes);
	buf_puts(&b, ",\"us\":");
	buf_put_u64(&b, c->handled_us - c->start_us);
	if (ri != NULL && ri->uid[0]) {
		buf_puts(&b, ",\"uid\":");
		json_put_cstr(&b, ri->uid);
		buf_puts(&b, ",\"kind\":");
		json_put_cstr(&b, ri->kind);
		buf_puts(&b, ",\"namespace\":");
		json_put_cstr(&b, ri->ns);
		buf_puts(&b, ",\"name\":");
		json_put_cstr(&b, ri->name);
		buf_puts(&b, ",\"operation\":");
		json_put_cstr(&b, ri->op);
		if (ri->allowed >= 0)
			buf_puts(&b, ri->allowed ? ",\"allowed\":true" : ",\"allowed\":false");
		if (ri->patched)
			buf_puts(&b, ",\"patched\":true");
		if (ri->warnings) {
			buf_puts(&b, ",\"warnings\":");
			buf_put_u64(&b, (uint64_t)ri->warnings);
		}
	}
	if (ri != NULL && ri->error[0]) {
		buf_puts(&b, ",\"error\":");
		json_put_cstr(&b, ri->error);
	}
	buf_puts(&b, ",\"policy\":\"");
	buf_puts(&b, policy_hash);
	buf_puts(&b, "\"}");
	if (b.overflow)
		return;
	b.cap++;
	buf_putc(&b, '\n');
	log_write(1, &b);
}

/*
 * Queues a response: the body must already be at out.p + CONN_HEAD_RESERVE
 * (body_len bytes); the head is written right before it, so the body is
 * never copied.
 */
static void
conn_respond(struct conn *c, int status, const char *ctype, size_t body_len,
    const char *extra, const struct review_info *ri)
{
	char head[CONN_HEAD_RESERVE];
	struct buf b;

	if (atomic_load(&draining) || !c->req.keep_alive || status >= 400)
		c->close_after = 1;
	buf_init(&b, head, sizeof(head));
	http_response_head(&b, status, c->req.minor, c->close_after, ctype,
	    body_len, extra);
	c->out_off = CONN_HEAD_RESERVE - b.len;
	memcpy(c->out.p + c->out_off, head, b.len);
	c->out_len = CONN_HEAD_RESERVE + (c->req.method == HTTP_HEAD ? 0 : body_len);
	c->status = status;
	c->handled_us = server_now_us();
	c->state = CONN_RESPOND;
	c->deadline_us = c->handled_us + (uint64_t)c->w->cfg->write_timeout_ms * 1000;
	if (c->in_flight) {
		c->in_flight = 0;
		METRICS_ADD(c->w->metrics.in_flight, -1);
	}
	metrics_observe(&c->w->metrics, c->req.target ? metrics_path_of(c->req.target,
	    c->req.path_len) : MP_OTHER, ri, status, c->handled_us - c->start_us);
	conn_log(c, ri, body_len);
}

/* Responds with a small JSON body {"error": msg}. */
static void
conn_error(struct conn *c, int status, const char *msg, const char *extra)
{
	struct review_info ri;
	struct buf b;

	if (pool_get_small(&c->w->pool, &c->out, CONN_HEAD_RESERVE + 256) != POOL_OK) {
		conn_close(c);
		return;
	}
	buf_init(&b, c->out.p + CONN_HEAD_RESERVE, 256);
	buf_puts(&b, "{\"error\":");
	json_put_cstr(&b, msg);
	buf_puts(&b, "}");
	memset(&ri, 0, sizeof(ri));
	snprintf(ri.error, sizeof(ri.error), "%s", msg);
	conn_respond(c, status, "application/json", b.len, extra, &ri);
}

/*
 * Answers a request whose buffer the pool refused (pool_get's rc): over the
 * memory budget it is 503 with Retry-After (the apiserver retries nothing,
 * but the failure names the cause, and kubectl users can retry); malloc
 * itself failing is a 500.
 */
static void
conn_refuse(struct conn *c, int rc)
{
	if (rc == POOL_BUSY) {
		METRICS_ADD(c->w->metrics.busy_refusals, 1);
		conn_error(c, 503, "server busy: request buffers are at the memory "
		    "budget (--max-buffer-bytes), retry", CONN_RETRY_AFTER);
	} else {
		conn_error(c, 500, "out of memory", NULL);
	}
}

/* Responds with a fixed JSON body. */
static void
conn_json(struct conn *c, int status, const char *body)
{
	size_t n = strlen(body);

	if (pool_get(&c->w->pool, &c->out, CONN_HEAD_RESERVE + n,
	    CONN_HEAD_RESERVE + n) != POOL_OK) {
		conn_close(c);
		return;
	}
	memcpy(c->out.p + CONN_HEAD_RESERVE, body, n);
	conn_respond(c, status, "application/json", n, NULL, NULL);
}

/* Runs an AdmissionReview / ConversionReview through the policy engine. */
static void
conn_review(struct conn *c, enum review_route route)
{
	struct review_info ri;
	size_t cap = review_out_cap_for(route, c->body_len);
	struct buf b;
	int status, rc;

	rc = pool_get(&c->w->pool, &c->out, CONN_HEAD_RESERVE + cap,
	    CONN_HEAD_RESERVE + cap);
	if (rc != POOL_OK) {
		conn_refuse(c, rc);
		return;
	}
	buf_init(&b, c->out.p + CONN_HEAD_RESERVE, cap);
	memset(&ri, 0, sizeof(ri));
	ri.allowed = -1;
	status = review_handle(c->w->review, route, c->in.p + c->body_off,
	    c->body_len, &b, &ri);
	if (b.overflow) {
		conn_error(c, 500, "response larger than the output buffer", NULL);
		return;
	}
	if (status >= 400 && ri.error[0])
		log_msg(LOG_WARN, "%s %.*s: %d %s", c->remote,
		    (int)c->req.path_len, c->req.target, status, ri.error);
	if (status == 503)
		METRICS_ADD(c->w->metrics.busy_refusals, 1);
	conn_respond(c, status, "application/json", b.len,
	    status == 503 ? CONN_RETRY_AFTER : NULL, &ri);
}

/* Renders the sum of every worker's metrics. */
static void
conn_metrics(struct conn *c)
{
	struct metrics *all[SERVER_MAX_WORKERS];
	struct metrics_gauges g;
	struct buf b;
	int i;

	if (pool_get(&c->w->pool, &c->out, CONN_HEAD_RESERVE + METRICS_OUT_MAX,
	    CONN_HEAD_RESERVE + METRICS_OUT_MAX) != POOL_OK) {
		conn_error(c, 500, "out of memory", NULL);
		return;
	}
	for (i = 0; i < nworkers; i++)
		all[i] = &workers[i].metrics;
	g.open_conns = atomic_load(&open_conns);
	g.cert_not_after = tls_store_not_after();
	g.buffer_bytes = pool_held();
	g.cert_problems = tls_store_problems();
	g.buffer_budget = pool_budget();
	g.draining = atomic_load(&draining);
	buf_init(&b, c->out.p + CONN_HEAD_RESERVE, METRICS_OUT_MAX);
	metrics_render(&b, all, nworkers, &g);
	if (b.overflow) {
		conn_error(c, 500, "metrics larger than the output buffer", NULL);
		return;
	}
	conn_respond(c, 200, "text/plain; version=0.0.4; charset=utf-8", b.len, NULL, NULL);
}

/* Endpoints. Adding one: a row here, and a case in conn_route(). */
enum route_id {
	R_VALIDATE, R_MUTATE, R_CONVERT, R_HEALTHZ, R_READYZ, R_METRICS, NUM_ROUTES
};

static const struct {
	const char	*path;
	int		 method;	/* the one method it serves (HEAD goes with GET) */
	const char	*allow;		/* the Allow header for a 405 */
} routes[NUM_ROUTES] = {
	[R_VALIDATE] = { "/validate", HTTP_POST, "Allow: POST\r\n" },
	[R_MUTATE] = { "/mutate", HTTP_POST, "Allow: POST\r\n" },
	[R_CONVERT] = { "/convert", HTTP_POST, "Allow: POST\r\n" },
	[R_HEALTHZ] = { "/healthz", HTTP_GET, "Allow: GET, HEAD\r\n" },
	[R_READYZ] = { "/readyz", HTTP_GET, "Allow: GET, HEAD\r\n" },
	[R_METRICS] = { "/metrics", HTTP_GET, "Allow: GET, HEAD\r\n" },
};

/* Finds the route for the request's path (query ignored); -1 if none. */
static int
conn_find_route(const struct http_request *r)
{
	int i;

	for (i = 0; i < NUM_ROUTES; i++)
		if (strlen(routes[i].path) == r->path_len &&
		    memcmp(routes[i].path, r->target, r->path_len) == 0)
			return i;
	return -1;
}

/* Whether the request's method is the one the route serves. */
static int
conn_method_ok(int route, int method)
{
	return method == routes[route].method ||
	    (method == HTTP_HEAD && routes[route].method == HTTP_GET);
}

/* Dispatches a complete request (head and body). */
static void
conn_route(struct conn *c, int route)
{
	switch (route) {
	case R_VALIDATE:
		conn_review(c, ROUTE_VALIDATE);
		break;
	case R_MUTATE:
		conn_review(c, ROUTE_MUTATE);
		break;
	case R_CONVERT:
		conn_review(c, ROUTE_CONVERT);
		break;
	case R_HEALTHZ:
		conn_json(c, 200, "{\"status\":\"ok\"}");
		break;
	case R_METRICS:
		conn_metrics(c);
		break;
	case R_READYZ:
		if (atomic_load(&draining))
			conn_json(c, 503, "{\"status\":\"draining\"}");
		else
			conn_json(c, 200, "{\"status\":\"ready\"}");
		break;
	}
}

/* Queues "100 Continue" ahead of reading the body (curl waits for it). */
static void
conn_continue(struct conn *c)
{
	static const char cont[] = "HTTP/1.1 100 Continue\r\n\r\n";
	br_ssl_engine_context *eng = &c->tls.sc.eng;
	unsigned char *p;
	size_t n;

	p = br_ssl_engine_sendapp_buf(eng, &n);
	if (p != NULL && n >= sizeof(cont) - 1) {
		memcpy(p, cont, sizeof(cont) - 1);
		br_ssl_engine_sendapp_ack(eng, sizeof(cont) - 1);
		br_ssl_engine_flush(eng, 0);
	}
}

/*
 * Called when the head is complete: checks route, method and length
 * before any body byte is read, so an oversized or misdirected body is
 * refused without buffering it.
 */
static void
conn_head_done(struct conn *c)
{
	const struct server_config *cfg = c->w->cfg;
	int route = conn_find_route(&c->req), rc;
	uint64_t now = server_now_us();
	char *old;

	c->body_off = c->req.header_len;
	c->body_len = 0;
	c->in_flight = 1;
	METRICS_ADD(c->w->metrics.in_flight, 1);
	if (route < 0) {
		conn_error(c, 404, "not found", NULL);
		return;
	}
	if (!conn_method_ok(route, c->req.method)) {
		conn_error(c, 405, "method not allowed", routes[route].allow);
		return;
	}
	if (c->req.has_length && c->req.content_length > cfg->max_body) {
		conn_error(c, 413, "request body too large", NULL);
		return;
	}
	if (c->req.method == HTTP_POST && !c->req.has_length && !c->req.chunked) {
		conn_error(c, 411, "Content-Length required", NULL);
		return;
	}
	c->deadline_us = now + (uint64_t)cfg->body_timeout_ms * 1000;
	if (c->req.chunked) {
		http_chunked_init(&c->chunked, cfg->max_body);
		c->chunk_have = 0;
		c->state = CONN_CHUNKED;
	} else {
		c->body_len = c->req.has_length ? (size_t)c->req.content_length : 0;
		c->req_end = c->body_off + c->body_len;
		c->state = CONN_BODY;
		/*
		 * The whole body in one buffer, taken now: a body that does
		 * not fit the memory budget is refused before its first byte,
		 * and a large one is not reallocated as it arrives.
		 */
		old = c->in.p;
		if ((rc = pool_get(&c->w->pool, &c->in, c->req_end,
		    c->req_end)) != POOL_OK) {
			conn_refuse(c, rc);
			return;
		}
		if (old != NULL && c->in.p != old)	/* the head moved with it */
			c->req.target = c->in.p + (c->req.target - old);
	}
	if (c->req.expect_continue && (c->req.chunked || c->body_len > 0))
		conn_continue(c);
}

/*
 * Decodes the chunked bytes that arrived since the last call. Returns 1
 * when the body is complete, 0 when more is needed, -1 after queuing an
 * error response.
 */
static int
conn_dechunk(struct conn *c)
{
	size_t start = c->body_off + c->chunk_have;
	size_t n = c->in_len - start;
	int rc;

	if (n == 0)
		return 0;
	rc = http_chunked_decode(&c->chunked, c->in.p + start, &n);
	if (rc < HTTP_INCOMPLETE) {
		conn_error(c, -rc, rc == -413 ? "request body too large" :
		    "malformed chunked body", NULL);
		return -1;
	}
	c->chunk_have += n;
	c->in_len = c->body_off + c->chunk_have + (rc > 0 ? (size_t)rc : 0);
	if (rc == HTTP_INCOMPLETE)
		return 0;
	c->body_len = c->chunk_have;
	c->req_end = c->body_off + c->body_len;
	/* Pipelined bytes sit after the body; keep them for the next request. */
	return 1;
}

/* Parses what is buffered, advancing the state; may queue a response. */
static void
conn_process(struct conn *c)
{
	int rc;

	if (c->state == CONN_HEAD) {
		rc = http_parse_request(c->in.p, c->in_len, &c->req);
		if (rc == HTTP_INCOMPLETE)
			return;
		if (rc < 0) {
			c->req.target = NULL;
			c->req.method = HTTP_OTHER_METHOD;
			c->req.minor = 1;
			c->req.keep_alive = 0;
			conn_error(c, -rc, -rc == 431 ? "request head too large" :
			    -rc == 501 ? "unsupported transfer encoding" :
			    -rc == 505 ? "HTTP version not supported" :
			    "malformed request", NULL);
			return;
		}
		conn_head_done(c);
	}
	if (c->state == CONN_CHUNKED && conn_dechunk(c) == 1)
		conn_route(c, conn_find_route(&c->req));
	else if (c->state == CONN_BODY && c->in_len >= c->req_end)
		conn_route(c, conn_find_route(&c->req));
}

/* How many input bytes the current state may buffer in total. */
static size_t
conn_in_limit(const struct conn *c)
{
	switch (c->state) {
	case CONN_HEAD:
		return HTTP_MAX_HEADER_BYTES + 1;	/* one more proves 431 */
	case CONN_BODY:
		return c->req_end;
	case CONN_CHUNKED:
		/* decoded body + at most one record of raw bytes in flight */
		return c->body_off + c->w->cfg->max_body + BR_SSL_BUFSIZE_INPUT;
	default:
		return 0;
	}
}

/*
 * Copies decrypted bytes from the engine into the request buffer, growing
 * it within the state's limit. Returns 1 if bytes were taken.
 */
static int
conn_take_input(struct conn *c)
{
	br_ssl_engine_context *eng = &c->tls.sc.eng;
	size_t n, room, need, want, limit = conn_in_limit(c);
	unsigned char *p;
	char *old;
	int rc;

	if (c->in_len >= limit || (p = br_ssl_engine_recvapp_buf(eng, &n)) == NULL)
		return 0;
	if (c->is_idle) {
		c->is_idle = 0;
		c->start_us = server_now_us();
		c->deadline_us = c->start_us +
		    (uint64_t)c->w->cfg->header_timeout_ms * 1000;
	}
	room = c->in_len + n > limit ? limit - c->in_len : n;
	old = c->in.p;
	need = c->in_len + room < CONN_IN_MIN ? CONN_IN_MIN : c->in_len + room;
	/* Grow geometrically: a chunked body costs O(log n) reallocations. */
	want = need < c->in.cap * 2 ? c->in.cap * 2 : need;
	if ((rc = pool_get(&c->w->pool, &c->in, need,
	    want < limit ? want : need)) != POOL_OK) {
		conn_refuse(c, rc);
		return 1;
	}
	/* The parsed head points into the buffer: follow it if it moved. */
	if (old != NULL && c->in.p != old && c->req.target != NULL)
		c->req.target = c->in.p + (c->req.target - old);
	memcpy(c->in.p + c->in_len, p, room);
	c->in_len += room;
	br_ssl_engine_recvapp_ack(eng, room);
	conn_process(c);
	return 1;
}

/*
 * Moves pending response bytes into the engine. When all are in and
 * flushed, finishes the request: closes, or starts the next one with any
 * pipelined bytes.
 */
static int
conn_give_output(struct conn *c)
{
	br_ssl_engine_context *eng = &c->tls.sc.eng;
	unsigned char *p;
	size_t n;

	if (c->out_off < c->out_len) {
		if ((p = br_ssl_engine_sendapp_buf(eng, &n)) == NULL)
			return 0;
		if (n > c->out_len - c->out_off)
			n = c->out_len - c->out_off;
		memcpy(p, c->out.p + c->out_off, n);
		br_ssl_engine_sendapp_ack(eng, n);
		c->out_off += n;
		if (c->out_off < c->out_len)
			return 1;
		br_ssl_engine_flush(eng, 0);
	}
	/*
	 * Close only if the head said so: a drain that began after a
	 * keep-alive head was written must not close under a client that is
	 * about to reuse the connection (its next answer says close).
	 */
	if (c->close_after) {
		conn_close(c);
		return 1;
	}
	/* Next request: keep pipelined bytes, return idle buffers. */
	n = c->in_len > c->req_end ? c->in_len - c->req_end : 0;
	if (n > 0)
		memmove(c->in.p, c->in.p + c->req_end, n);
	c->in_len = n;
	c->out_off = c->out_len = 0;
	pool_put(&c->w->pool, &c->out);
	memset(&c->req, 0, sizeof(c->req));
	c->state = CONN_HEAD;
	if (n == 0) {
		pool_put(&c->w->pool, &c->in);
		c->is_idle = 1;
		c->start_us = server_now_us();	/* idle since */
		c->deadline_us = c->start_us +
		    (uint64_t)c->w->cfg->idle_timeout_ms * 1000;
	} else {
		c->start_us = server_now_us();
		conn_process(c);
	}
	return 1;
}

/*
 * Sends close_notify once everything queued is out. The socket is closed
 * when the peer answers or hangs up, or CONN_LINGER_MS later: closing at
 * once with unread input would RST away the response we just sent.
 */
static void
conn_close(struct conn *c)
{
	/* Everything to send is in the engine: the buffers are free again. */
	pool_put(&c->w->pool, &c->in);
	pool_put(&c->w->pool, &c->out);
	c->in_len = c->out_off = c->out_len = 0;
	br_ssl_engine_close(&c->tls.sc.eng);
	c->state = CONN_CLOSING;
	c->deadline_us = server_now_us() + CONN_LINGER_MS * 1000u;
}

/* Writes ciphertext to the socket. Returns 1 progress, 0 would block, -1 dead. */
static int
conn_send(struct conn *c)
{
	br_ssl_engine_context *eng = &c->tls.sc.eng;
	unsigned char *p;
	size_t len;
	ssize_t n;

	p = br_ssl_engine_sendrec_buf(eng, &len);
	n = send(c->fd, p, len, MSG_NOSIGNAL);
	if (n > 0) {
		METRICS_ADD(c->w->metrics.bytes_out, (uint64_t)n);
		br_ssl_engine_sendrec_ack(eng, (size_t)n);
		return 1;
	}
	return n < 0 && (errno == EAGAIN || errno == EINTR) ? 0 : -1;
}

/*
 * A client that speaks plain HTTP to the TLS port (a curl without https://,
 * a probe misconfigured) gets what Go's net/http answers, in clear text,
 * instead of a reset it cannot explain. A TLS record starts with its
 * content type (22 for a handshake, 0x80 for SSLv2's hello); an HTTP
 * request starts with an upper-case method.
 */
static int
conn_plain_http(struct conn *c)
{
	static const char msg[] = "HTTP/1.0 400 Bad Request\r\n\r\n"
	    "Client sent an HTTP request to an HTTPS server.\n";
	char first;

	c->peeked = 1;
	if (recv(c->fd, &first, 1, MSG_PEEK) != 1 || first < 'A' || first > 'Z')
		return 0;
	log_msg(LOG_INFO, "%s: plain HTTP request on the TLS port, answered 400", c->remote);
	METRICS_ADD(c->w->metrics.handshake_failures, 1);
	(void)send(c->fd, msg, sizeof(msg) - 1, MSG_NOSIGNAL);
	shutdown(c->fd, SHUT_WR);
	/* Read and drop the request until the peer closes: closing with
	 * unread input would reset the connection under our answer. */
	c->state = CONN_PLAIN;
	c->deadline_us = server_now_us() + CONN_LINGER_MS * 1000u;
	conn_watch(c, EPOLLIN | EPOLLRDHUP);
	return 1;
}

/* CONN_PLAIN: drops input; frees c at EOF. */
static void
conn_plain_drain(struct conn *c)
{
	char sink[4096];
	ssize_t n;

	while ((n = recv(c->fd, sink, sizeof(sink), 0)) > 0)
		;
	if (n == 0 || (errno != EAGAIN && errno != EINTR))
		conn_free(c);
}

/* Reads ciphertext from the socket. Returns 1 progress, 0 would block, -1 EOF/error. */
static int
conn_recv(struct conn *c)
{
	br_ssl_engine_context *eng = &c->tls.sc.eng;
	unsigned char *p;
	size_t len;
	ssize_t n;

	if (c->state == CONN_PLAIN ||
	    (!c->peeked && c->state == CONN_HANDSHAKE && conn_plain_http(c)))
		return 0;

	p = br_ssl_engine_recvrec_buf(eng, &len);
	n = recv(c->fd, p, len, 0);
	if (n > 0) {
		METRICS_ADD(c->w->metrics.bytes_in, (uint64_t)n);
		br_ssl_engine_recvrec_ack(eng, (size_t)n);
		return 1;
	}
	return n < 0 && (errno == EAGAIN || errno == EINTR) ? 0 : -1;
}

/* Logs why the engine closed, when it is worth an operator's attention. */
static void
conn_log_tls_close(struct conn *c)
{
	int err = br_ssl_engine_last_error(&c->tls.sc.eng);

	if (err != BR_ERR_OK && c->state == CONN_HANDSHAKE)
		METRICS_ADD(c->w->metrics.handshake_failures, 1);
	if (err != BR_ERR_OK && err != BR_ERR_IO)
		log_msg(c->state == CONN_HANDSHAKE ? LOG_INFO : LOG_WARN,
		    "%s: TLS %s failed: BearSSL error %d", c->remote,
		    c->state == CONN_HANDSHAKE ? "handshake" : "session", err);
}

/*
 * Drives the engine until nothing more can happen without the socket,
 * then sets the epoll interest (or frees the connection).
 */
static void
conn_pump(struct conn *c)
{
	br_ssl_engine_context *eng = &c->tls.sc.eng;
	int progress, r;
	unsigned st;

	if (c->state == CONN_PLAIN) {
		conn_plain_drain(c);
		return;
	}
	do {
		progress = 0;
		st = br_ssl_engine_current_state(eng);
		if (st & BR_SSL_CLOSED) {
			conn_log_tls_close(c);
			conn_free(c);
			return;
		}
		if (c->state == CONN_HANDSHAKE && (st & (BR_SSL_SENDAPP | BR_SSL_RECVAPP))) {
			if (c->tls.resumed)
				METRICS_ADD(c->w->metrics.handshakes_resumed, 1);
			else
				METRICS_ADD(c->w->metrics.handshakes_full, 1);
			c->state = CONN_HEAD;
			c->is_idle = 1;
			c->start_us = server_now_us();
			c->deadline_us = c->start_us +
			    (uint64_t)c->w->cfg->idle_timeout_ms * 1000;
		}
		if ((st & BR_SSL_SENDREC) && (r = conn_send(c)) != 0) {
			if (r < 0)
				goto dead;
			progress = 1;
		}
		if (c->state == CONN_RESPOND && (st & BR_SSL_SENDAPP))
			progress |= conn_give_output(c);
		if ((st & BR_SSL_RECVAPP) && c->state != CONN_RESPOND &&
		    c->state != CONN_CLOSING)
			progress |= conn_take_input(c);
		if ((st & BR_SSL_RECVREC) && (r = conn_recv(c)) != 0) {
			if (r < 0)
				goto dead;
			progress = 1;
		}
	} while (progress);
	/*
	 * Wait only for what the engine can use: asking for EPOLLIN while
	 * input is paused (a response pending) would spin on level triggers.
	 */
	st = br_ssl_engine_current_state(eng);
	conn_watch(c, ((st & BR_SSL_SENDREC) ? EPOLLOUT : 0) |
	    ((st & BR_SSL_RECVREC) ? EPOLLIN | EPOLLRDHUP : 0));
	return;
dead:
	conn_free(c);
}

/*
 * Out of descriptors: the listener stays readable, and with level-triggered
 * epoll it would wake this worker in a loop. Leave it alone for a moment;
 * connections already open are served meanwhile.
 */
static void
worker_accept_pause(struct worker *w)
{
	if (!w->listening)
		return;
	epoll_ctl(w->ep, EPOLL_CTL_DEL, listen_fd, NULL);
	w->listening = 0;
	w->accept_resume_us = server_now_us() + ACCEPT_PAUSE_MS * 1000u;
	log_msg(LOG_WARN, "out of file descriptors (%d connections open): "
	    "not accepting for %d ms", atomic_load(&open_conns), ACCEPT_PAUSE_MS);
}

/* Puts the listener back into the worker's epoll after a pause. */
static void
worker_accept_resume(struct worker *w)
{
	struct epoll_event e = { .events = EPOLLIN | EPOLLEXCLUSIVE, .data.ptr = NULL };

	if (!w->listening && !atomic_load(&no_accept) &&
	    server_now_us() >= w->accept_resume_us &&
	    epoll_ctl(w->ep, EPOLL_CTL_ADD, listen_fd, &e) == 0)
		w->listening = 1;
}

static void worker_accept(struct worker *w, int max);

/*
 * Once accepting stops, each worker takes what is queued and leaves the
 * listener; worker 0 closes it a tick later, right after a last accept,
 * so no completed handshake is left in the queue to be reset.
 */
static void
worker_leave_listener(struct worker *w)
{
	if (w->listening) {
		worker_accept(w, INT_MAX);
		epoll_ctl(w->ep, EPOLL_CTL_DEL, listen_fd, NULL);
		w->listening = 0;
		/* two ticks: every other worker has left the listener by then */
		w->accept_resume_us = server_now_us() + 2 * SERVER_TICK_MS * 1000u;
	} else if (w == &workers[0] && listen_fd >= 0 &&
	    server_now_us() >= w->accept_resume_us) {
		worker_accept(w, INT_MAX);
		close(listen_fd);
		listen_fd = -1;
		/* after the last accept: what it took is in open_conns */
		atomic_store(&listener_closed, 1);
	}
}

/*
 * Accepts up to max connections. Serving takes one per wakeup: the
 * listener stays readable, so EPOLLEXCLUSIVE wakes a worker that is idle
 * in epoll_wait for the next one, and a burst of connects spreads over the
 * workers instead of landing on whichever woke first.
 */
static void
worker_accept(struct worker *w, int max)
{
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	struct epoll_event e;
	struct conn *c;
	int fd = -1, one = 1, n;

	for (n = 0; n < max && (fd = accept4(listen_fd, (struct sockaddr *)&ss, &sl,
	    SOCK_NONBLOCK | SOCK_CLOEXEC)) >= 0; n++) {
		if (atomic_fetch_add(&open_conns, 1) >= w->cfg->max_conns ||
		    (c = calloc(1, sizeof(*c))) == NULL) {
			/* Refuse cleanly: the others keep their service. */
			atomic_fetch_sub(&open_conns, 1);
			METRICS_ADD(w->metrics.refused, 1);
			close(fd);
			log_msg(LOG_WARN, "refused a connection: --max-conns %d reached",
			    w->cfg->max_conns);
			continue;
		}
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		c->fd = fd;
		c->w = w;
		c->state = CONN_HANDSHAKE;
		c->start_us = server_now_us();
		c->deadline_us = c->start_us + (uint64_t)w->cfg->header_timeout_ms * 1000;
		if (ss.ss_family == AF_INET6) {
			struct sockaddr_in6 *a = (struct sockaddr_in6 *)&ss;
			char ip[INET6_ADDRSTRLEN];

			inet_ntop(AF_INET6, &a->sin6_addr, ip, sizeof(ip));
			snprintf(c->remote, sizeof(c->remote), "[%s]:%u", ip, ntohs(a->sin6_port));
		} else {
			struct sockaddr_in *a = (struct sockaddr_in *)&ss;
			char ip[INET_ADDRSTRLEN];

			inet_ntop(AF_INET, &a->sin_addr, ip, sizeof(ip));
			snprintf(c->remote, sizeof(c->remote), "%s:%u", ip, ntohs(a->sin_port));
		}
		c->next = w->conns;
		if (w->conns)
			w->conns->prev = c;
		w->conns = c;
		w->nconns++;
		c->events = EPOLLIN | EPOLLRDHUP;
		e.events = c->events;
		e.data.ptr = c;
		if (tls_conn_init(&c->tls) < 0 || epoll_ctl(w->ep, EPOLL_CTL_ADD, fd, &e) < 0) {
			conn_free(c);
			continue;
		}
		sl = sizeof(ss);
	}
	if (fd < 0 && (errno == EMFILE || errno == ENFILE))
		worker_accept_pause(w);
}

/*
 * Closes connections whose deadline passed: a slow head or body gets a 408
 * (if the handshake is done), an idle keep-alive connection is closed
 * quietly. While draining, idle connections are closed at once.
 */
static void
worker_sweep(struct worker *w, int drain)
{
	uint64_t now = server_now_us();
	struct conn *c, *next;

	for (c = w->conns; c != NULL; c = next) {
		next = c->next;
		if (drain && c->is_idle && c->state == CONN_HEAD &&
		    now - c->start_us >= DRAIN_IDLE_MS * 1000u) {
			conn_close(c);
			conn_pump(c);
			continue;
		}
		if (now < c->deadline_us)
			continue;
		if (c->state == CONN_HEAD && !c->is_idle) {
			c->req.target = NULL;
			c->req.method = HTTP_OTHER_METHOD;
			c->req.keep_alive = 0;
			c->req.minor = 1;
			conn_error(c, 408, "request timeout", NULL);
			conn_pump(c);
		} else if (c->state == CONN_BODY || c->state == CONN_CHUNKED) {
			conn_error(c, 408, "request timeout", NULL);
			conn_pump(c);
		} else {
			conn_free(c);
		}
	}
}

static void *
worker_main(void *arg)
{
	struct worker *w = arg;
	struct epoll_event ev[SERVER_EVENTS];
	uint64_t last_sweep = 0;
	int i, n, drained = 0;

	while (!atomic_load(&stopping)) {
		n = epoll_wait(w->ep, ev, SERVER_EVENTS, SERVER_TICK_MS);
		for (i = 0; i < n; i++) {
			if (ev[i].data.ptr == NULL)
				worker_accept(w, 1);
			else
				conn_pump(ev[i].data.ptr);
		}
		if (atomic_load(&draining) && !drained) {
			drained = 1;
			last_sweep = 0;
		}
		if (atomic_load(&no_accept))
			worker_leave_listener(w);
		if (server_now_us() - last_sweep >= SERVER_TICK_MS * 1000u) {
			worker_accept_resume(w);
			worker_sweep(w, drained);
			if (pool_pressure() != w->pressure_seen) {
				w->pressure_seen = pool_pressure();
				pool_trim(&w->pool);
			}
			last_sweep = server_now_us();
		}
	}
	while (w->conns)
		conn_free(w->conns);
	pool_trim(&w->pool);
	return NULL;
}

/*
 * Raises the soft descriptor limit to hold --max-conns connections (the
 * usual soft default, 1024, is below the default cap). Returns the number
 * of connections the limit allows.
 */
static int
server_fd_limit(int want)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) < 0)
		return want;
	if (rl.rlim_cur < (rlim_t)want + SERVER_SPARE_FDS) {
		rl.rlim_cur = rl.rlim_max < (rlim_t)want + SERVER_SPARE_FDS ?
		    rl.rlim_max : (rlim_t)want + SERVER_SPARE_FDS;
		setrlimit(RLIMIT_NOFILE, &rl);
		getrlimit(RLIMIT_NOFILE, &rl);
	}
	return rl.rlim_cur < (rlim_t)want + SERVER_SPARE_FDS ?
	    (int)rl.rlim_cur - SERVER_SPARE_FDS : want;
}

int
server_start(const struct server_config *cfg)
{
	int fit = server_fd_limit(cfg->max_conns);

	if (fit < cfg->max_conns)
		log_msg(LOG_WARN, "descriptor limit allows %d connections, not --max-conns %d",
		    fit, cfg->max_conns);
	struct epoll_event e = { .events = EPOLLIN | EPOLLEXCLUSIVE, .data.ptr = NULL };
	int i;

	nworkers = cfg->workers < 1 ? 1 : cfg->workers > SERVER_MAX_WORKERS ?
	    SERVER_MAX_WORKERS : cfg->workers;
	for (i = 0; i < nworkers; i++) {
		struct worker *w = &workers[i];

		w->cfg = cfg;
		w->listening = 1;
		if ((w->ep = epoll_create1(EPOLL_CLOEXEC)) < 0 ||
		    epoll_ctl(w->ep, EPOLL_CTL_ADD, listen_fd, &e) < 0 ||
		    (w->review = review_ctx_new(cfg->max_body)) == NULL ||
		    pthread_create(&w->thread, NULL, worker_main, w) != 0) {
			log_msg(LOG_ERROR, "cannot start worker %d: %s", i, strerror(errno));
			return -1;
		}
	}
	return 0;
}

void
server_drain(void)
{
	atomic_store(&draining, 1);
}

void
server_stop_accepting(void)
{
	atomic_store(&no_accept, 1);
}

int
server_listener_closed(void)
{
	return atomic_load(&listener_closed);
}

int
server_open_conns(void)
{
	return atomic_load(&open_conns);
}

void
server_stop(void)
{
	int i;

	atomic_store(&stopping, 1);
	for (i = 0; i < nworkers; i++)
		pthread_join(workers[i].thread, NULL);
	if (listen_fd >= 0)
		close(listen_fd);
}
