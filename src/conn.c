/*
 * conn.c: the plaintext connection state machine (see conn.h).
 *
 * A request moves HEAD -> (BODY | CHUNKED) -> RESPOND -> HEAD again (or
 * DONE). Route, method and length are checked when the head is complete,
 * before any body byte is buffered, so an oversized or misdirected body is
 * refused without reading it.
 */
#include <stdio.h>
#include <string.h>

#include "accesslog.h"
#include "clock.h"
#include "conn.h"
#include "json.h"
#include "limit.h"
#include "log.h"
#include "metrics.h"

#define CONN_RETRY_AFTER	"Retry-After: 1\r\n"	/* on a 503: the budget frees in ms */

static const char conn_continue_line[] = "HTTP/1.1 100 Continue\r\n\r\n";

static const char *const method_names[] = {
	[HTTP_GET] = "GET", [HTTP_HEAD] = "HEAD", [HTTP_POST] = "POST",
	[HTTP_OTHER_METHOD] = "OTHER",
};

static void	conn_process(struct conn *c, uint64_t now);

void
conn_init(struct conn *c, const struct conn_env *env, const char *remote,
    uint64_t now)
{
	memset(c, 0, sizeof(*c));
	c->env = env;
	c->remote = remote;
	c->state = CONN_HEAD;
	c->route = R_NONE;
	c->is_idle = 1;
	c->start_us = now;
	c->deadline_us = now + (uint64_t)env->lim->idle_timeout_ms * 1000;
}

/*
 * Queues the response whose body is already at out.p + CONN_HEAD_RESERVE
 * (body_len bytes): the head is written right before it, so the body is
 * never copied. Counts it and logs it.
 */
static void
conn_respond(struct conn *c, int status, const char *ctype, size_t body_len,
    const char *extra, const struct verdict *v)
{
	char head[CONN_HEAD_RESERVE];
	struct accesslog_entry e;
	struct buf b;

	if (atomic_load(c->env->draining) || !c->req.keep_alive || status >= 400)
		c->close_after = 1;
	buf_init(&b, head, sizeof(head));
	http_response_head(&b, status, c->req.minor, c->close_after, ctype,
	    body_len, extra);
	c->out_off = CONN_HEAD_RESERVE - b.len;
	memcpy(c->out.p + c->out_off, head, b.len);
	c->out_len = CONN_HEAD_RESERVE + (c->req.method == HTTP_HEAD ? 0 : body_len);
	c->status = status;
	c->handled_us = clock_now_us();
	c->state = CONN_RESPOND;
	c->deadline_us = c->handled_us + (uint64_t)c->env->lim->write_timeout_ms * 1000;
	if (c->in_flight) {
		c->in_flight = 0;
		METRICS_ADD(c->env->metrics->in_flight, -1);
	}
	metrics_observe(c->env->metrics, c->route, v, status, c->handled_us - c->start_us);
	if (!c->env->lim->log_requests)
		return;
	e.remote = c->remote;
	e.method = c->req.target ? method_names[c->req.method] : NULL;
	e.path = c->req.target;
	e.path_len = c->req.path_len;
	e.status = status;
	e.bytes = body_len;
	e.us = c->handled_us - c->start_us;
	e.v = v;
	accesslog_write(&e);
}

/* Responds with a small JSON body {"error": msg}; closes if even that fails. */
static void
conn_error(struct conn *c, int status, const char *msg, const char *extra)
{
	struct verdict v;
	struct buf b;

	if (pool_get_small(c->env->pool, &c->out,
	    CONN_HEAD_RESERVE + CONN_ERROR_BODY) != POOL_OK) {
		c->close_after = 1;
		c->state = CONN_DONE;
		return;
	}
	buf_init(&b, c->out.p + CONN_HEAD_RESERVE, CONN_ERROR_BODY);
	memset(&v, 0, sizeof(v));
	status = verdict_fail(&b, &v, status, msg);	/* before b.len is read */
	conn_respond(c, status, "application/json", b.len, extra, &v);
}

/*
 * Answers a request whose buffer the pool refused (pool_get's rc): over the
 * memory budget it is 503 with Retry-After (the failure names the cause, and
 * kubectl users can retry); malloc itself failing is a 500.
 */
static void
conn_refuse(struct conn *c, int rc)
{
	if (rc == POOL_BUSY) {
		METRICS_ADD(c->env->metrics->busy_refusals, 1);
		conn_error(c, 503, "server busy: request buffers are at the memory "
		    "budget (--max-buffer-bytes), retry", CONN_RETRY_AFTER);
	} else {
		conn_error(c, 500, "out of memory", NULL);
	}
}

/* Runs the route's handler on the complete request and queues its answer. */
static void
conn_dispatch(struct conn *c)
{
	const struct route *r = &routes[c->route];
	size_t cap = r->out_cap(r->arg, c->body_len);
	struct route_answer a;
	struct route_call call;
	struct buf b;
	int status, rc;

	/* RFC 7231 5.1.1: a 100 may be omitted once the body is here. */
	if (c->interim == sizeof(conn_continue_line) - 1)
		c->interim = 0;
	if ((rc = pool_get(c->env->pool, &c->out, CONN_HEAD_RESERVE + cap,
	    CONN_HEAD_RESERVE + cap)) != POOL_OK) {
		conn_refuse(c, rc);
		return;
	}
	buf_init(&b, c->out.p + CONN_HEAD_RESERVE, cap);
	memset(&a, 0, sizeof(a));
	a.ctype = "application/json";
	a.v.allowed = -1;
	call.body = c->in.p + c->body_off;
	call.len = c->body_len;
	call.review = c->env->review;
	call.draining = atomic_load(c->env->draining);
	call.render_metrics = c->env->render_metrics;
	status = r->fn(&call, r->arg, &b, &a);
	if (b.overflow) {
		conn_error(c, 500, "response larger than the output buffer", NULL);
		return;
	}
	if (status >= 400 && a.v.error[0])
		log_msg(LOG_WARN, "%s %.*s: %d %s", c->remote,
		    (int)c->req.path_len, c->req.target, status, a.v.error);
	if (status == 503 && a.has_verdict)
		METRICS_ADD(c->env->metrics->busy_refusals, 1);
	conn_respond(c, status, a.ctype, b.len,
	    status == 503 && a.has_verdict ? CONN_RETRY_AFTER : a.extra,
	    a.has_verdict ? &a.v : NULL);
}

/*
 * The head is complete: route, method and length are checked before any
 * body byte is read. A Content-Length body takes its whole buffer now: one
 * that does not fit the memory budget is refused before its first byte,
 * and a large one is not reallocated as it arrives.
 */
static void
conn_head_done(struct conn *c, uint64_t now)
{
	const struct conn_limits *lim = c->env->lim;
	char *old = c->in.p;
	int rc;

	c->route = route_find(c->req.target, c->req.path_len, c->env->probe_only);
	c->body_off = c->req.header_len;
	c->body_len = 0;
	c->in_flight = 1;
	METRICS_ADD(c->env->metrics->in_flight, 1);
	if (c->route == R_NONE) {
		conn_error(c, 404, "not found", NULL);
		return;
	}
	if (!route_method_ok(c->route, c->req.method)) {
		conn_error(c, 405, "method not allowed", routes[c->route].allow);
		return;
	}
	if (c->req.has_length && c->req.content_length > lim->max_body) {
		conn_error(c, 413, "request body too large", NULL);
		return;
	}
	if (c->req.method == HTTP_POST && !c->req.has_length && !c->req.chunked) {
		conn_error(c, 411, "Content-Length required", NULL);
		return;
	}
	c->deadline_us = now + (uint64_t)lim->body_timeout_ms * 1000;
	if (c->req.chunked) {
		http_chunked_init(&c->chunked, lim->max_body);
		c->chunk_have = 0;
		c->state = CONN_CHUNKED;
	} else {
		c->body_len = c->req.has_length ? (size_t)c->req.content_length : 0;
		c->req_end = c->body_off + c->body_len;
		c->state = CONN_BODY;
		if ((rc = pool_get(c->env->pool, &c->in, c->req_end,
		    c->req_end)) != POOL_OK) {
			conn_refuse(c, rc);
			return;
		}
		if (old != NULL && c->in.p != old)	/* the head moved with it */
			c->req.target = c->in.p + (c->req.target - old);
	}
	/* curl waits for the interim answer before sending the body */
	if (c->req.expect_continue && (c->req.chunked || c->body_len > 0))
		c->interim = sizeof(conn_continue_line) - 1;
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

/* A malformed or timed-out head: answer as HTTP/1.1 without a request. */
static void
conn_head_error(struct conn *c, int status, const char *msg)
{
	c->req.target = NULL;
	c->req.method = HTTP_OTHER_METHOD;
	c->req.minor = 1;
	c->req.keep_alive = 0;
	conn_error(c, status, msg, NULL);
}

/*
 * Whether the bytes that came since the last call hold the end of an empty
 * line ("\n\r\n" or "\n\n", looking back two bytes across calls). Each
 * byte is scanned once.
 */
static int
conn_head_may_end(struct conn *c)
{
	size_t seen = c->head_seen, i = seen > 2 ? seen - 2 : 0, end;
	const char *p = c->in.p;
	int found = 0;

	for (; i + 1 < c->in_len && !found; i++) {
		if (p[i] != '\n')
			continue;
		if (p[i + 1] == '\n')
			end = i + 1;
		else if (p[i + 1] == '\r' && i + 2 < c->in_len && p[i + 2] == '\n')
			end = i + 2;
		else
			continue;
		found = end >= seen;	/* only an end that arrived since */
	}
	c->head_seen = c->in_len;
	return found;
}

/* Parses what is buffered, advancing the state; may queue a response. */
static void
conn_process(struct conn *c, uint64_t now)
{
	int rc;

	if (c->state == CONN_HEAD) {
		/*
		 * The parser reads a head from its first byte: call it only
		 * once an empty line may have ended the head (LF CRLF, or the
		 * LF LF it refuses), so a head sent a byte per TLS record is
		 * parsed once, not once per byte. Past the limit it says 431.
		 */
		if (!conn_head_may_end(c) && c->in_len <= HTTP_MAX_HEADER_BYTES)
			return;
		rc = http_parse_request(c->in.p, c->in_len, &c->req);
		if (rc == HTTP_INCOMPLETE)
			return;
		if (rc < 0) {
			conn_head_error(c, -rc, -rc == 431 ? "request head too large" :
			    -rc == 501 ? "unsupported transfer encoding" :
			    -rc == 505 ? "HTTP version not supported" :
			    "malformed request");
			return;
		}
		conn_head_done(c, now);
	}
	if (c->state == CONN_CHUNKED && conn_dechunk(c) == 1)
		conn_dispatch(c);
	else if (c->state == CONN_BODY && c->in_len >= c->req_end)
		conn_dispatch(c);
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
		/* decoded body + at most one TLS record of raw bytes in flight */
		return c->body_off + c->env->lim->max_body + CONN_INPUT_SLACK;
	default:
		return 0;
	}
}

int
conn_wants_input(const struct conn *c)
{
	return c->in_len < conn_in_limit(c);
}

size_t
conn_input(struct conn *c, const char *p, size_t n, uint64_t now)
{
	size_t room, need, want, limit = conn_in_limit(c);
	char *old;
	int rc;

	if (c->in_len >= limit || n == 0)
		return 0;
	if (c->is_idle) {
		c->is_idle = 0;
		c->start_us = now;
		c->deadline_us = now + (uint64_t)c->env->lim->header_timeout_ms * 1000;
	}
	room = c->in_len + n > limit ? limit - c->in_len : n;
	old = c->in.p;
	need = c->in_len + room < CONN_IN_MIN ? CONN_IN_MIN : c->in_len + room;
	/* Grow geometrically: a chunked body costs O(log n) reallocations. */
	want = need < c->in.cap * 2 ? c->in.cap * 2 : need;
	if ((rc = pool_get(c->env->pool, &c->in, need,
	    want < limit ? want : need)) != POOL_OK) {
		conn_refuse(c, rc);
		return 0;
	}
	/* The parsed head points into the buffer: follow it if it moved. */
	if (old != NULL && c->in.p != old && c->req.target != NULL)
		c->req.target = c->in.p + (c->req.target - old);
	memcpy(c->in.p + c->in_len, p, room);
	c->in_len += room;
	conn_process(c, now);
	return room;
}

const char *
conn_output(const struct conn *c, size_t *n)
{
	if (c->interim > 0) {
		*n = c->interim;
		return conn_continue_line + (sizeof(conn_continue_line) - 1 - c->interim);
	}
	if (c->state != CONN_RESPOND || c->out_off >= c->out_len)
		return NULL;
	*n = c->out_len - c->out_off;
	return c->out.p + c->out_off;
}

/*
 * The response is out. Close only if the head said so: a drain that began
 * after a keep-alive head was written must not close under a client that
 * is about to reuse the connection (its next answer says close).
 */
static void
conn_finish(struct conn *c, uint64_t now)
{
	size_t n;

	if (c->close_after) {
		pool_put(c->env->pool, &c->in);
		pool_put(c->env->pool, &c->out);
		c->in_len = c->out_off = c->out_len = 0;
		c->state = CONN_DONE;
		return;
	}
	/* Next request: keep pipelined bytes, return idle buffers. */
	n = c->in_len > c->req_end ? c->in_len - c->req_end : 0;
	if (n > 0)
		memmove(c->in.p, c->in.p + c->req_end, n);
	c->in_len = n;
	c->out_off = c->out_len = 0;
	pool_put(c->env->pool, &c->out);
	memset(&c->req, 0, sizeof(c->req));
	c->route = R_NONE;
	c->head_seen = 0;
	c->state = CONN_HEAD;
	c->start_us = now;
	if (n == 0) {
		pool_put(c->env->pool, &c->in);
		c->is_idle = 1;		/* idle since now */
		c->deadline_us = now + (uint64_t)c->env->lim->idle_timeout_ms * 1000;
	} else {
		c->deadline_us = now + (uint64_t)c->env->lim->header_timeout_ms * 1000;
		conn_process(c, now);
	}
}

void
conn_sent(struct conn *c, size_t n, uint64_t now)
{
	if (c->interim > 0) {
		c->interim -= n < c->interim ? n : c->interim;
		return;
	}
	c->out_off += n;
	if (c->state == CONN_RESPOND && c->out_off >= c->out_len)
		conn_finish(c, now);
}

int
conn_tick(struct conn *c, uint64_t now)
{
	if (atomic_load(c->env->draining) && c->is_idle && c->state == CONN_HEAD &&
	    now - c->start_us >= CONN_DRAIN_IDLE_MS * 1000u) {
		conn_release(c);
		c->state = CONN_DONE;
		return 1;
	}
	if (now < c->deadline_us)
		return 0;
	if (c->state == CONN_HEAD && !c->is_idle) {
		conn_head_error(c, 408, "request timeout");
		return 1;
	}
	if (c->state == CONN_BODY || c->state == CONN_CHUNKED) {
		conn_error(c, 408, "request timeout", NULL);
		return 1;
	}
	return -1;
}

void
conn_release(struct conn *c)
{
	if (c->in_flight) {
		c->in_flight = 0;
		METRICS_ADD(c->env->metrics->in_flight, -1);
	}
	pool_put(c->env->pool, &c->in);
	pool_put(c->env->pool, &c->out);
	c->in_len = c->out_off = c->out_len = 0;
}
