/*
 * server.c: the listener, the epoll workers, accepting, the timeout sweep
 * and the drain. A connection is a struct link (pump.h: socket, TLS, HTTP)
 * that belongs to the worker that accepted it until it closes, so no lock
 * is taken on the request path.
 *
 * Memory: a connection owns only its link (TLS context and record buffers,
 * about 27 KiB). Request and response buffers come from the worker's pool
 * (pool.h), lent from the first request byte until the response is sent,
 * and count against the process-wide budget.
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
#include <unistd.h>
#include <arpa/inet.h>

#include "clock.h"
#include "log.h"
#include "metrics.h"
#include "pool.h"
#include "pump.h"
#include "review.h"
#include "server.h"
#include "tls.h"

#define SERVER_MAX_WORKERS	64
#define SERVER_EVENTS		64	/* epoll events taken per wait */
#define SERVER_TICK_MS		100	/* timeout sweep and drain check period */
#define SERVER_BACKLOG		1024
#define ACCEPT_PAUSE_MS		100	/* out of descriptors: stop accepting this long */
#define SERVER_SPARE_FDS	64	/* descriptors besides connections (logs, certs) */

/* A connection as a worker holds it. */
struct client {
	struct link	 link;		/* first: its TLS context must stay aligned */
	struct worker	*w;
	struct client	*prev, *next;	/* the worker's list, for timeouts */
	uint32_t	 events;	/* current epoll interest */
};

struct worker {
	pthread_t		 thread;
	int			 ep;
	struct client		*clients;
	int			 nclients;
	int			 listening;	/* the listener is in this epoll */
	uint64_t		 accept_resume_us;	/* when paused by EMFILE */
	struct conn_env		 env;
	struct pool		 pool;
	unsigned		 pressure_seen;	/* pool_pressure() at the last trim */
	const struct server_config *cfg;
	struct metrics		 metrics;	/* written by this worker only */
};

static int listen_fd = -1;
static struct worker workers[SERVER_MAX_WORKERS];
static int nworkers;
static atomic_int draining, stopping, open_conns, no_accept, listener_closed;

uint64_t
server_now_us(void)
{
	return clock_now_us();
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

/* Frees a connection: its socket, TLS state, buffers and list entry. */
static void
client_free(struct client *c)
{
	struct worker *w = c->w;

	epoll_ctl(w->ep, EPOLL_CTL_DEL, c->link.fd, NULL);
	pump_close(&c->link);
	if (c->prev)
		c->prev->next = c->next;
	else
		w->clients = c->next;
	if (c->next)
		c->next->prev = c->prev;
	w->nclients--;
	atomic_fetch_sub(&open_conns, 1);
	free(c);
}

/* Runs c's pump and waits for what it needs next (or frees c). */
static void
client_run(struct client *c)
{
	struct epoll_event e = { .data.ptr = c };
	int ev = pump_run(&c->link);

	if (ev < 0) {
		client_free(c);
		return;
	}
	e.events = (uint32_t)ev;
	if (e.events != c->events && epoll_ctl(c->w->ep, EPOLL_CTL_MOD, c->link.fd, &e) == 0)
		c->events = e.events;
}

/* Every worker's metrics summed, for GET /metrics (conn_env.render_metrics). */
static void
server_render_metrics(struct buf *b)
{
	struct metrics *all[SERVER_MAX_WORKERS];
	struct metrics_gauges g;
	int i;

	for (i = 0; i < nworkers; i++)
		all[i] = &workers[i].metrics;
	g.open_conns = atomic_load(&open_conns);
	g.cert_not_after = tls_store_not_after();
	g.cert_problems = tls_store_problems();
	g.buffer_bytes = pool_held();
	g.buffer_budget = pool_budget();
	g.draining = atomic_load(&draining);
	metrics_render(b, all, nworkers, &g);
}

/* "ip:port" of a peer address. */
static void
server_peer_name(const struct sockaddr_storage *ss, char *out, size_t cap)
{
	char ip[INET6_ADDRSTRLEN];

	if (ss->ss_family == AF_INET6) {
		const struct sockaddr_in6 *a = (const struct sockaddr_in6 *)ss;

		inet_ntop(AF_INET6, &a->sin6_addr, ip, sizeof(ip));
		snprintf(out, cap, "[%s]:%u", ip, ntohs(a->sin6_port));
	} else {
		const struct sockaddr_in *a = (const struct sockaddr_in *)ss;

		inet_ntop(AF_INET, &a->sin_addr, ip, sizeof(ip));
		snprintf(out, cap, "%s:%u", ip, ntohs(a->sin_port));
	}
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
	w->accept_resume_us = clock_now_us() + ACCEPT_PAUSE_MS * 1000u;
	log_msg(LOG_WARN, "out of file descriptors (%d connections open): "
	    "not accepting for %d ms", atomic_load(&open_conns), ACCEPT_PAUSE_MS);
}

/* Puts the listener back into the worker's epoll after a pause. */
static void
worker_accept_resume(struct worker *w)
{
	struct epoll_event e = { .events = EPOLLIN | EPOLLEXCLUSIVE, .data.ptr = NULL };

	if (!w->listening && !atomic_load(&no_accept) &&
	    clock_now_us() >= w->accept_resume_us &&
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
		w->accept_resume_us = clock_now_us() + 2 * SERVER_TICK_MS * 1000u;
	} else if (w == &workers[0] && listen_fd >= 0 &&
	    clock_now_us() >= w->accept_resume_us) {
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
	struct client *c;
	char remote[64];
	int fd = -1, one = 1, n;

	for (n = 0; n < max && (fd = accept4(listen_fd, (struct sockaddr *)&ss, &sl,
	    SOCK_NONBLOCK | SOCK_CLOEXEC)) >= 0; n++, sl = sizeof(ss)) {
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
		server_peer_name(&ss, remote, sizeof(remote));
		c->w = w;
		c->next = w->clients;
		if (w->clients)
			w->clients->prev = c;
		w->clients = c;
		w->nclients++;
		c->events = EPOLLIN | EPOLLRDHUP;
		e.events = c->events;
		e.data.ptr = c;
		if (pump_open(&c->link, fd, &w->env, remote, clock_now_us()) < 0 ||
		    epoll_ctl(w->ep, EPOLL_CTL_ADD, fd, &e) < 0) {
			client_free(c);
			continue;
		}
	}
	if (fd < 0 && (errno == EMFILE || errno == ENFILE))
		worker_accept_pause(w);
}

/*
 * Applies every connection's deadlines: a slow head or body gets a 408, an
 * idle keep-alive connection is closed; while draining, idle connections
 * are closed after CONN_DRAIN_IDLE_MS.
 */
static void
worker_sweep(struct worker *w)
{
	uint64_t now = clock_now_us();
	struct client *c, *next;
	int r;

	for (c = w->clients; c != NULL; c = next) {
		next = c->next;
		if ((r = pump_tick(&c->link, now)) < 0)
			client_free(c);
		else if (r > 0)
			client_run(c);
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
				client_run(ev[i].data.ptr);
		}
		if (atomic_load(&draining) && !drained) {
			drained = 1;
			last_sweep = 0;
		}
		if (atomic_load(&no_accept))
			worker_leave_listener(w);
		if (clock_now_us() - last_sweep >= SERVER_TICK_MS * 1000u) {
			worker_accept_resume(w);
			worker_sweep(w);
			if (pool_pressure() != w->pressure_seen) {
				w->pressure_seen = pool_pressure();
				pool_trim(&w->pool);
			}
			last_sweep = clock_now_us();
		}
	}
	while (w->clients)
		client_free(w->clients);
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
		w->env.lim = &cfg->conn;
		w->env.pool = &w->pool;
		w->env.metrics = &w->metrics;
		w->env.draining = &draining;
		w->env.render_metrics = server_render_metrics;
		if ((w->ep = epoll_create1(EPOLL_CLOEXEC)) < 0 ||
		    epoll_ctl(w->ep, EPOLL_CTL_ADD, listen_fd, &e) < 0 ||
		    (w->env.review = review_ctx_new(cfg->conn.max_body)) == NULL ||
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
