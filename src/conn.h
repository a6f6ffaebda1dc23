/*
 * conn.h: one client connection's HTTP/1.1 in plaintext: request head, body
 * (Content-Length or chunked), routing, the response, keep-alive,
 * pipelining, 100-continue, timeouts and the drain. No sockets and no TLS:
 * the transport (pump.c) feeds it decrypted bytes and sends what it
 * answers, and a unit test can do the same with byte strings.
 *
 *	conn_input()	takes request bytes, as many as the state may buffer;
 *	conn_output()	the bytes to send next (an interim 100, a response);
 *	conn_sent()	that many were handed on; a finished response starts
 *			the next request (pipelined bytes included) or, when the
 *			head said close, makes the connection CONN_DONE;
 *	conn_tick()	deadlines: 408 for a slow head or body, close for idle.
 *
 * Buffers come from the worker's pool (pool.h) from the first request byte
 * until the response is sent, so an idle connection holds none.
 *
 * Errors: HTTP status numbers (quark's convention): every failure of a
 * request becomes a response with that status and a JSON reason; the
 * connection closes after any status >= 400.
 */
#ifndef TINYHOOK_CONN_H
#define TINYHOOK_CONN_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include "buf.h"
#include "http.h"
#include "limit.h"
#include "pool.h"
#include "route.h"

/* What a worker's connections share; set up once per worker. */
struct conn_limits {
	size_t	 max_body;
	int	 header_timeout_ms;	/* TLS handshake + request head */
	int	 body_timeout_ms;	/* the whole body, from the end of the head */
	int	 idle_timeout_ms;	/* between requests */
	int	 write_timeout_ms;	/* a client that stops reading */
	int	 log_requests;		/* one JSON line per request on stdout */
};

struct metrics;
struct review_ctx;

struct conn_env {
	const struct conn_limits *lim;
	struct pool		*pool;
	struct metrics		*metrics;	/* this worker's */
	struct review_ctx	*review;	/* this worker's */
	atomic_int		*draining;	/* SIGTERM seen */
	void			(*render_metrics)(struct buf *b);
	int			 probe_only;	/* --probe-listen: only routes marked probe */
};

enum conn_state {
	CONN_HEAD,		/* waiting for (the rest of) a request head */
	CONN_BODY,		/* reading a Content-Length body */
	CONN_CHUNKED,		/* reading a chunked body */
	CONN_RESPOND,		/* response queued; input paused */
	CONN_DONE,		/* answered with close: the transport closes */
};

struct conn {
	const struct conn_env	*env;
	const char		*remote;	/* "ip:port", for logs */
	enum conn_state		 state;
	enum route_id		 route;
	int			 close_after;	/* close once the response is sent */
	int			 is_idle;	/* between requests, no byte received */
	int			 in_flight;	/* counted in the in-flight gauge */
	int			 status;	/* of the response being sent */
	size_t			 interim;	/* bytes of "100 Continue" still to send */
	uint64_t		 deadline_us;
	uint64_t		 start_us;	/* first byte of the request (or idle since) */
	uint64_t		 handled_us;	/* when the response was ready */
	struct pool_buf		 in, out;
	size_t			 in_len;	/* bytes in in.p */
	size_t			 head_seen;	/* of in_len, scanned for a line end */
	size_t			 out_off, out_len;	/* pending response bytes */
	size_t			 req_end;	/* end of the current request in in.p */
	size_t			 body_off, body_len;
	size_t			 chunk_have;	/* decoded chunked bytes so far */
	struct http_request	 req;
	struct http_chunked	 chunked;
};

/* Starts c idle, waiting for a first request until the idle timeout. */
void	conn_init(struct conn *c, const struct conn_env *env, const char *remote,
	    uint64_t now);

/*
 * Takes up to n request bytes from p; returns how many it took (0 while a
 * response is pending or the state's limit is reached). May queue a
 * response.
 */
size_t	conn_input(struct conn *c, const char *p, size_t n, uint64_t now);

/* Whether conn_input() would take a byte now. */
int	conn_wants_input(const struct conn *c);

/* The next bytes to send (*n of them), or NULL when there are none. */
const char *conn_output(const struct conn *c, size_t *n);

/* n bytes of conn_output() were sent. */
void	conn_sent(struct conn *c, size_t n, uint64_t now);

/*
 * Checks c's deadline and the drain at time now. Returns 1 when c changed
 * (a 408 is queued, or a drained idle connection became CONN_DONE), -1
 * when it must be dropped at once (idle timeout, a client that does not
 * read), 0 otherwise.
 */
int	conn_tick(struct conn *c, uint64_t now);

/* Returns c's buffers to the pool; c is not used after. */
void	conn_release(struct conn *c);

#endif
