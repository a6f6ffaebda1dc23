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
#include <fcntl.h>
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
#include <sys/stat.h>
#include <unistd.h>
#include <arpa/inet.h>

#include "clock.h"
#include "limit.h"
#include "log.h"
#include "metrics.h"
#include "pool.h"
#include "pump.h"
#include "review.h"
#include "server.h"
#include "tls.h"

#define SD_LISTEN_FDS_START	3	/* systemd's first passed descriptor (sd_listen_fds(3)) */

/*
 * A listening socket. Its address in the epoll data tells it from a
 * client. The probe listener serves only health and metrics, and asks for
 * no client certificate.
 */
struct listener {
	int	 fd;
	int	 probe;
	char	 addr[64];		/* "ip:port", for logs */
};

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
	int			 listening;	/* the listeners are in this epoll */
	uint64_t		 accept_resume_us;	/* when paused by EMFILE */
	struct conn_env		 env[2];	/* [probe]: per listener kind */
	struct pool		 pool;
	unsigned		 pressure_seen;	/* pool_pressure() at the last trim */
	const struct server_config *cfg;
	struct metrics		 metrics;	/* written by this worker only */
};

static struct listener listeners[SERVER_MAX_LISTENERS];
static int nlisteners, inherited;
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

/* "ip:port" of a socket address. */
static void
server_addr_name(const struct sockaddr_storage *ss, char *out, size_t cap)
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

/* Adds fd as a listener and names it from its bound address. */
static void
server_add_listener(int fd, int probe)
{
	struct listener *l = &listeners[nlisteners++];
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);

	l->fd = fd;
	l->probe = probe;
	if (getsockname(fd, (struct sockaddr *)&ss, &len) == 0)
		server_addr_name(&ss, l->addr, sizeof(l->addr));
}

/*
 * Opens, binds and listens on spec (flag names the flag, for errors);
 * falls back to IPv4 when IPv6 is disabled. Returns the socket or -1.
 */
static int
server_bind(const char *flag, const char *spec, char *err, size_t errlen)
{
	struct sockaddr_storage ss;
	struct sockaddr_in *a4 = (struct sockaddr_in *)&ss;
	socklen_t len;
	int fd, one = 1, zero = 0, any;

	if (server_parse_addr(spec, &ss, &len) < 0) {
		snprintf(err, errlen, "%s %s: expected IP:port, :port, [IPv6]:port "
		    "or localhost:port", flag, spec);
		return -1;
	}
	any = spec[0] == ':';
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
		snprintf(err, errlen, "%s %s: %s", flag, spec, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	return fd;
}

/*
 * Checks that fd, passed by systemd, is a listening TCP socket (a socket
 * unit with ListenStream=), and makes it non-blocking: the workers accept
 * until EAGAIN. Returns 0 or -1 with a reason in err.
 */
static int
server_check_inherited(int fd, char *err, size_t errlen)
{
	int type = 0, acc = 0, dom = 0, fl;
	socklen_t l1 = sizeof(type), l2 = sizeof(acc), l3 = sizeof(dom);
	struct stat st;

	if (fstat(fd, &st) < 0 || !S_ISSOCK(st.st_mode) ||
	    getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &l1) < 0 ||
	    getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &acc, &l2) < 0 ||
	    getsockopt(fd, SOL_SOCKET, SO_DOMAIN, &dom, &l3) < 0 ||
	    type != SOCK_STREAM || !acc || (dom != AF_INET && dom != AF_INET6)) {
		snprintf(err, errlen, "socket activation: descriptor %d is not a listening "
		    "TCP socket (the socket unit needs ListenStream=IP:PORT)", fd);
		return -1;
	}
	if ((fl = fcntl(fd, F_GETFL)) < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0 ||
	    fcntl(fd, F_SETFD, FD_CLOEXEC) < 0) {
		snprintf(err, errlen, "socket activation: descriptor %d: %s", fd, strerror(errno));
		return -1;
	}
	return 0;
}

/*
 * systemd socket activation (sd_listen_fds(3)): when LISTEN_PID is ours,
 * LISTEN_FDS descriptors from 3 are listening sockets systemd holds open,
 * so connections queue in their backlog while tinyhook restarts. Fd 3 is
 * the webhook listener; a second one (fd 4) the probe listener. Returns
 * the number taken (0: not activated), or -1 with a reason in err.
 */
static int
server_inherit(char *err, size_t errlen)
{
	const char *pid = getenv("LISTEN_PID"), *fds = getenv("LISTEN_FDS");
	char *end;
	long n;
	int i;

	if (pid == NULL || fds == NULL || strtol(pid, &end, 10) != (long)getpid() || *end)
		return 0;
	errno = 0;
	n = strtol(fds, &end, 10);
	if (errno || end == fds || *end || n < 1 || n > SERVER_MAX_LISTENERS) {
		snprintf(err, errlen, "socket activation: LISTEN_FDS=%s: expected 1 (webhook) "
		    "or 2 (webhook, probe) sockets", fds);
		return -1;
	}
	/* Not passed on to anything we might start (sd_listen_fds(1) does the same). */
	unsetenv("LISTEN_PID");
	unsetenv("LISTEN_FDS");
	unsetenv("LISTEN_FDNAMES");
	for (i = 0; i < n; i++) {
		if (server_check_inherited(SD_LISTEN_FDS_START + i, err, errlen) < 0)
			return -1;
		server_add_listener(SD_LISTEN_FDS_START + i, i == 1);
	}
	return (int)n;
}

int
server_addr_ok(const char *spec)
{
	struct sockaddr_storage ss;
	socklen_t len;

	return server_parse_addr(spec, &ss, &len) == 0;
}

int
server_listen(const struct server_config *cfg, char *err, size_t errlen)
{
	int n, fd;

	if ((n = server_inherit(err, errlen)) < 0)
		return -1;
	inherited = n > 0;
	if (n == 0) {
		if ((fd = server_bind("--listen", cfg->listen, err, errlen)) < 0)
			return -1;
		server_add_listener(fd, 0);
	}
	if (n < 2 && cfg->probe_listen != NULL) {
		if ((fd = server_bind("--probe-listen", cfg->probe_listen, err, errlen)) < 0)
			return -1;
		server_add_listener(fd, 1);
	}
	return 0;
}

int
server_inherited(void)
{
	return inherited;
}

const char *
server_address(int probe)
{
	int i;

	for (i = 0; i < nlisteners; i++)
		if (listeners[i].probe == probe)
			return listeners[i].addr;
	return NULL;
}

/*
 * Frees a connection: its socket, TLS state, buffers and list entry.
 * Closing the socket takes it out of the epoll set: no other descriptor
 * refers to it (accept4 with SOCK_CLOEXEC, never dup'd, nothing forked),
 * so an EPOLL_CTL_DEL first would be one more system call per connection
 * for nothing.
 */
static void
client_free(struct client *c)
{
	struct worker *w = c->w;

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

/* Adds (op EPOLL_CTL_ADD) or removes every listener from w's epoll. */
static int
worker_listeners(struct worker *w, int op)
{
	struct epoll_event e = { .events = EPOLLIN | EPOLLEXCLUSIVE };
	int i, rc = 0;

	for (i = 0; i < nlisteners; i++) {
		e.data.ptr = &listeners[i];
		if (listeners[i].fd >= 0 && epoll_ctl(w->ep, op, listeners[i].fd, &e) < 0)
			rc = -1;
	}
	return rc;
}

/* The listener an epoll event is for, or NULL for a client. */
static struct listener *
worker_listener_of(void *ptr)
{
	uintptr_t p = (uintptr_t)ptr, first = (uintptr_t)&listeners[0];

	return p >= first && p < (uintptr_t)&listeners[SERVER_MAX_LISTENERS] ?
	    (struct listener *)ptr : NULL;
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
	worker_listeners(w, EPOLL_CTL_DEL);
	w->listening = 0;
	w->accept_resume_us = clock_now_us() + ACCEPT_PAUSE_MS * 1000u;
	log_msg(LOG_WARN, "out of file descriptors (%d connections open): "
	    "not accepting for %d ms", atomic_load(&open_conns), ACCEPT_PAUSE_MS);
}

/* Puts the listeners back into the worker's epoll after a pause. */
static void
worker_accept_resume(struct worker *w)
{
	if (!w->listening && !atomic_load(&no_accept) &&
	    clock_now_us() >= w->accept_resume_us) {
		worker_listeners(w, EPOLL_CTL_DEL);	/* a partial add is undone */
		if (worker_listeners(w, EPOLL_CTL_ADD) == 0)
			w->listening = 1;
	}
}

static void worker_accept(struct worker *w, struct listener *l, int max);

/* Accepts everything queued on every listener. */
static void
worker_accept_all(struct worker *w)
{
	int i;

	for (i = 0; i < nlisteners; i++)
		if (listeners[i].fd >= 0)
			worker_accept(w, &listeners[i], INT_MAX);
}

/*
 * Once accepting stops, each worker takes what is queued and leaves the
 * listeners; worker 0 closes them a tick later, right after a last accept,
 * so no completed handshake is left in the queue to be reset. A socket
 * systemd passed stays open in systemd: closing our descriptor leaves what
 * arrives later queued for the next process.
 */
static void
worker_leave_listener(struct worker *w)
{
	int i;

	if (w->listening) {
		worker_accept_all(w);
		worker_listeners(w, EPOLL_CTL_DEL);
		w->listening = 0;
		/* two ticks: every other worker has left the listener by then */
		w->accept_resume_us = clock_now_us() + 2 * SERVER_TICK_MS * 1000u;
	} else if (w == &workers[0] && !atomic_load(&listener_closed) &&
	    clock_now_us() >= w->accept_resume_us) {
		worker_accept_all(w);
		for (i = 0; i < nlisteners; i++) {
			if (listeners[i].fd >= 0)
				close(listeners[i].fd);
			listeners[i].fd = -1;
		}
		/* after the last accept: what it took is in open_conns */
		atomic_store(&listener_closed, 1);
	}
}

/*
 * Accepts up to max connections from l. Serving takes one per wakeup: the
 * listener stays readable, so EPOLLEXCLUSIVE wakes a worker that is idle
 * in epoll_wait for the next one, and a burst of connects spreads over the
 * workers instead of landing on whichever woke first.
 */
static void
worker_accept(struct worker *w, struct listener *l, int max)
{
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	struct epoll_event e;
	struct client *c;
	char remote[64];
	int fd = -1, one = 1, n;

	for (n = 0; n < max && (fd = accept4(l->fd, (struct sockaddr *)&ss, &sl,
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
		server_addr_name(&ss, remote, sizeof(remote));
		c->w = w;
		c->next = w->clients;
		if (w->clients)
			w->clients->prev = c;
		w->clients = c;
		w->nclients++;
		c->events = EPOLLIN | EPOLLRDHUP;
		e.events = c->events;
		e.data.ptr = c;
		if (pump_open(&c->link, fd, &w->env[l->probe], remote, clock_now_us()) < 0 ||
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
			struct listener *l = worker_listener_of(ev[i].data.ptr);

			if (l != NULL)
				worker_accept(w, l, 1);
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
	int i, k;

	nworkers = cfg->workers < 1 ? 1 : cfg->workers > SERVER_MAX_WORKERS ?
	    SERVER_MAX_WORKERS : cfg->workers;
	for (i = 0; i < nworkers; i++) {
		struct worker *w = &workers[i];

		w->cfg = cfg;
		w->listening = 1;
		if ((w->ep = epoll_create1(EPOLL_CLOEXEC)) < 0 ||
		    worker_listeners(w, EPOLL_CTL_ADD) < 0 ||
		    (w->env[0].review = review_ctx_new(cfg->conn.max_body)) == NULL) {
			log_msg(LOG_ERROR, "cannot start worker %d: %s", i, strerror(errno));
			return -1;
		}
		for (k = 0; k < 2; k++) {
			w->env[k].lim = &cfg->conn;
			w->env[k].pool = &w->pool;
			w->env[k].metrics = &w->metrics;
			w->env[k].draining = &draining;
			w->env[k].render_metrics = server_render_metrics;
			w->env[k].review = w->env[0].review;
			w->env[k].probe_only = k;
		}
		if (pthread_create(&w->thread, NULL, worker_main, w) != 0) {
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
	for (i = 0; i < nlisteners; i++)
		if (listeners[i].fd >= 0)
			close(listeners[i].fd);
}
