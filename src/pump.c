/*
 * pump.c: socket <-> BearSSL engine <-> conn (see pump.h).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "clock.h"
#include "log.h"
#include "metrics.h"
#include "pump.h"

static struct metrics *
pump_metrics(const struct link *l)
{
	return l->env->metrics;
}

int
pump_open(struct link *l, int fd, const struct conn_env *env, const char *remote,
    uint64_t now)
{
	l->fd = fd;
	l->env = env;
	l->state = PUMP_HANDSHAKE;
	l->peeked = 0;
	l->ahead_off = l->ahead_len = 0;
	l->drained = 0;
	l->deadline_us = now + (uint64_t)env->lim->header_timeout_ms * 1000;
	snprintf(l->remote, sizeof(l->remote), "%s", remote);
	memset(&l->conn, 0, sizeof(l->conn));
	/* The listener the connection came through decides its TLS. */
	return tls_conn_init(&l->tls, env->probe_only);
}

/*
 * A client that speaks plain HTTP to the TLS port (a curl without https://,
 * a misconfigured probe) gets what Go's net/http answers, in clear text,
 * instead of a reset it cannot explain. The test is Go's own
 * (tlsRecordHeaderLooksLikeHTTP): the 5 bytes where a TLS record header
 * would be start one of these requests. A single capital letter is not
 * enough: one random first byte in ten is one, and garbage must get no
 * HTTP answer. Fewer than 5 bytes so far are judged on what is there.
 */
#define PUMP_HTTP_PEEK 5	/* the size of a TLS record header */

static const char pump_http_starts[][PUMP_HTTP_PEEK + 1] = {
	"GET /", "HEAD ", "POST ", "PUT /", "OPTIO",
};

static int
pump_looks_like_http(const char *b, size_t n)
{
	size_t i;

	for (i = 0; i < sizeof(pump_http_starts) / sizeof(pump_http_starts[0]); i++)
		if (n > 0 && memcmp(b, pump_http_starts[i], n) == 0)
			return 1;
	return 0;
}

static int
pump_plain_http(struct link *l)
{
	static const char msg[] = "HTTP/1.0 400 Bad Request\r\n\r\n"
	    "Client sent an HTTP request to an HTTPS server.\n";
	char head[PUMP_HTTP_PEEK];
	ssize_t n;

	l->peeked = 1;
	n = recv(l->fd, head, sizeof(head), MSG_PEEK);
	if (n <= 0 || !pump_looks_like_http(head, (size_t)n))
		return 0;
	log_msg(LOG_INFO, "%s: plain HTTP request on the TLS port, answered 400", l->remote);
	METRICS_ADD(pump_metrics(l)->handshake_failures, 1);
	(void)send(l->fd, msg, sizeof(msg) - 1, MSG_NOSIGNAL);
	shutdown(l->fd, SHUT_WR);
	/* Read and drop the request until the peer closes: closing with
	 * unread input would reset the connection under our answer. */
	l->state = PUMP_PLAIN;
	l->deadline_us = clock_now_us() + PUMP_LINGER_MS * 1000u;
	return 1;
}

/* PUMP_PLAIN: drops input. Returns -1 at EOF, else the events to wait for. */
static int
pump_plain_drain(struct link *l)
{
	char sink[4096];
	ssize_t n;

	while ((n = recv(l->fd, sink, sizeof(sink), 0)) > 0)
		;
	if (n == 0 || (errno != EAGAIN && errno != EINTR))
		return -1;
	return EPOLLIN | EPOLLRDHUP;
}

/*
 * MSG_MORE while the answer has plaintext the engine has not taken yet:
 * the records of one large answer (a ConversionReview of 100 objects is
 * 28 records of 4 KiB) then leave as a few large segments instead of one
 * segment, and one wake-up of the peer, per record: about 30% of the
 * server CPU of such a conversion (bench, conversion-100 at c=32). The
 * last record goes without it, which pushes everything out.
 */
static int
pump_more(const struct link *l)
{
	size_t n;

	return l->state == PUMP_OPEN && conn_output(&l->conn, &n) != NULL ? MSG_MORE : 0;
}

/* Writes ciphertext to the socket. Returns 1 progress, 0 would block, -1 dead. */
static int
pump_send(struct link *l)
{
	br_ssl_engine_context *eng = &l->tls.sc.eng;
	unsigned char *p;
	size_t len;
	ssize_t n;

	p = br_ssl_engine_sendrec_buf(eng, &len);
	n = send(l->fd, p, len, MSG_NOSIGNAL | pump_more(l));
	if (n > 0) {
		METRICS_ADD(pump_metrics(l)->bytes_out, (uint64_t)n);
		br_ssl_engine_sendrec_ack(eng, (size_t)n);
		return 1;
	}
	return n < 0 && (errno == EAGAIN || errno == EINTR) ? 0 : -1;
}

/*
 * How far a read into the engine's input buffer at p may go. BearSSL asks
 * for a record's 5-byte header, then for its body, each at its place in
 * the input buffer (header at the start, body right after it, decrypted
 * in place): a read of exactly what it asks costs two recv() per record
 * and a third that says EAGAIN. Once the session is open the read takes
 * what the buffer has room for, so one recv() brings a whole request
 * (several records if they fit); bytes past the record the engine is
 * filling wait in the buffer, beyond that record, where the engine never
 * writes, and are handed over (moved to where it asks) as it asks.
 */
static size_t
pump_read_room(const struct link *l, const unsigned char *p, size_t len)
{
	const unsigned char *end = l->tls.ibuf + sizeof(l->tls.ibuf);

	if (l->state != PUMP_OPEN || p < l->tls.ibuf || p + len > end)
		return len;
	return (size_t)(end - p);
}

/*
 * Feeds the engine ciphertext: bytes read ahead first, else what one
 * recv() brings. After a short read the socket is empty: no recv() until
 * epoll (level-triggered) says there is more, so no read ends in EAGAIN.
 * Returns 1 progress, 0 would block, -1 EOF/error.
 */
static int
pump_recv(struct link *l)
{
	br_ssl_engine_context *eng = &l->tls.sc.eng;
	unsigned char *p, *src;
	size_t len, room, k;
	ssize_t n;

	if (l->state == PUMP_PLAIN ||
	    (!l->peeked && l->state == PUMP_HANDSHAKE && pump_plain_http(l)))
		return 0;
	p = br_ssl_engine_recvrec_buf(eng, &len);
	if (l->ahead_len == 0) {
		if (l->drained)
			return 0;
		room = pump_read_room(l, p, len);
		n = recv(l->fd, p, room, 0);
		if (n <= 0)
			return n < 0 && (errno == EAGAIN || errno == EINTR) ? 0 : -1;
		METRICS_ADD(pump_metrics(l)->bytes_in, (uint64_t)n);
		l->drained = (size_t)n < room;
		l->ahead_off = (size_t)(p - l->tls.ibuf);
		l->ahead_len = (size_t)n;
	}
	/* The engine asks at or before where the bytes are: move them down. */
	src = l->tls.ibuf + l->ahead_off;
	k = l->ahead_len < len ? l->ahead_len : len;
	if (src != p)
		memmove(p, src, k);
	l->ahead_off += k;
	l->ahead_len -= k;
	br_ssl_engine_recvrec_ack(eng, k);
	return 1;
}

/* Hands the conn's pending output to the engine. */
static int
pump_give(struct link *l)
{
	br_ssl_engine_context *eng = &l->tls.sc.eng;
	const char *out;
	unsigned char *p;
	size_t n, room, k;

	if ((out = conn_output(&l->conn, &n)) == NULL ||
	    (p = br_ssl_engine_sendapp_buf(eng, &room)) == NULL)
		return 0;
	k = n > room ? room : n;
	memcpy(p, out, k);
	br_ssl_engine_sendapp_ack(eng, k);
	conn_sent(&l->conn, k, clock_now_us());
	/* A whole answer (the interim 100, a response) is in: send it now,
	 * not together with a pipelined request's answer. */
	if (k == n)
		br_ssl_engine_flush(eng, 0);
	return 1;
}

/* Hands decrypted bytes to the conn, as many as it takes. */
static int
pump_take(struct link *l)
{
	br_ssl_engine_context *eng = &l->tls.sc.eng;
	enum conn_state before = l->conn.state;
	unsigned char *p;
	size_t n, k;

	if (!conn_wants_input(&l->conn) || (p = br_ssl_engine_recvapp_buf(eng, &n)) == NULL)
		return 0;
	k = conn_input(&l->conn, (const char *)p, n, clock_now_us());
	if (k > 0)
		br_ssl_engine_recvapp_ack(eng, k);
	return k > 0 || l->conn.state != before;
}

/*
 * Sends close_notify once everything queued is out. The socket is closed
 * when the peer answers or hangs up, or PUMP_LINGER_MS later: closing at
 * once with unread input would RST away the response we just sent.
 */
static void
pump_linger(struct link *l)
{
	conn_release(&l->conn);
	br_ssl_engine_close(&l->tls.sc.eng);
	l->state = PUMP_CLOSING;
	l->deadline_us = clock_now_us() + PUMP_LINGER_MS * 1000u;
}

/* Logs why the engine closed, when it is worth an operator's attention. */
static void
pump_log_close(struct link *l)
{
	int err = br_ssl_engine_last_error(&l->tls.sc.eng);
	char why[LOG_LINE_MAX / 2];

	if (err != BR_ERR_OK && l->state == PUMP_HANDSHAKE)
		METRICS_ADD(pump_metrics(l)->handshake_failures, 1);
	/* Who was refused and why: an operator's first question. */
	if (l->state == PUMP_HANDSHAKE && tls_conn_refusal(&l->tls, why, sizeof(why)))
		log_msg(LOG_WARN, "%s: %s", l->remote, why);
	else if (err != BR_ERR_OK && err != BR_ERR_IO)
		log_msg(l->state == PUMP_HANDSHAKE ? LOG_INFO : LOG_WARN,
		    "%s: TLS %s failed: BearSSL error %d", l->remote,
		    l->state == PUMP_HANDSHAKE ? "handshake" : "session", err);
}

/* The handshake just completed: count it and start the first request. */
static void
pump_opened(struct link *l)
{
	if (l->tls.resumed)
		METRICS_ADD(pump_metrics(l)->handshakes_resumed, 1);
	else
		METRICS_ADD(pump_metrics(l)->handshakes_full, 1);
	tls_conn_opened(&l->tls);
	l->state = PUMP_OPEN;
	conn_init(&l->conn, l->env, l->remote, clock_now_us());
}

int
pump_run(struct link *l)
{
	br_ssl_engine_context *eng = &l->tls.sc.eng;
	int progress, r;
	unsigned st;

	if (l->state == PUMP_PLAIN)
		return pump_plain_drain(l);
	l->drained = 0;		/* called on an event: the socket may have more */
	do {
		progress = 0;
		st = br_ssl_engine_current_state(eng);
		if (st & BR_SSL_CLOSED) {
			pump_log_close(l);
			return -1;
		}
		if (l->state == PUMP_HANDSHAKE && (st & (BR_SSL_SENDAPP | BR_SSL_RECVAPP)))
			pump_opened(l);
		if ((st & BR_SSL_SENDREC) && (r = pump_send(l)) != 0) {
			if (r < 0)
				return -1;
			progress = 1;
		}
		if (l->state == PUMP_OPEN && (st & BR_SSL_SENDAPP))
			progress |= pump_give(l);
		if (l->state == PUMP_OPEN && (st & BR_SSL_RECVAPP))
			progress |= pump_take(l);
		if ((st & BR_SSL_RECVREC) && (r = pump_recv(l)) != 0) {
			if (r < 0)
				return -1;
			progress = 1;
		}
		if (l->state == PUMP_PLAIN)
			return EPOLLIN | EPOLLRDHUP;
		if (l->state == PUMP_OPEN && l->conn.state == CONN_DONE) {
			pump_linger(l);
			progress = 1;
		}
	} while (progress);
	/*
	 * Wait only for what the engine can use: asking for EPOLLIN while
	 * input is paused (a response pending) would spin on level triggers.
	 */
	st = br_ssl_engine_current_state(eng);
	return ((st & BR_SSL_SENDREC) ? EPOLLOUT : 0) |
	    ((st & BR_SSL_RECVREC) ? EPOLLIN | EPOLLRDHUP : 0);
}

int
pump_tick(struct link *l, uint64_t now)
{
	if (l->state == PUMP_OPEN)
		return conn_tick(&l->conn, now);
	return now >= l->deadline_us ? -1 : 0;
}

void
pump_close(struct link *l)
{
	if (l->state == PUMP_HANDSHAKE &&
	    br_ssl_engine_last_error(&l->tls.sc.eng) == BR_ERR_OK)
		METRICS_ADD(pump_metrics(l)->handshake_failures, 1);	/* timed out or hung up */
	if (l->state == PUMP_OPEN)
		conn_release(&l->conn);
	close(l->fd);
	tls_conn_done(&l->tls);
}
