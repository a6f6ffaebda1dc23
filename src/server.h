/*
 * server.h: the epoll workers. Each worker thread runs its own epoll loop
 * over its own connections; all of them wait on the one listening socket
 * (EPOLLEXCLUSIVE wakes one worker per connection). A connection belongs to
 * the worker that accepted it until it closes, so no lock is taken on the
 * request path.
 */
#ifndef TINYHOOK_SERVER_H
#define TINYHOOK_SERVER_H

#include <stddef.h>
#include <stdint.h>
#include "conn.h"

struct server_config {
	const char		*listen;	/* "host:port", ":port", "[v6]:port" */
	const char		*probe_listen;	/* health and metrics only, or NULL */
	int			 workers;
	int			 max_conns;
	size_t			 max_buffer_bytes;	/* pool.h: 0 = pool_budget_auto() */
	struct conn_limits	 conn;		/* body size and timeouts */
};

/* Whether spec is an address --listen takes (numeric host or localhost). */
int	server_addr_ok(const char *spec);

/*
 * Binds and listens on cfg->listen and cfg->probe_listen, or takes the
 * listening sockets systemd passed (socket activation: LISTEN_PID,
 * LISTEN_FDS; fd 3 the webhook, fd 4 if passed the probe listener).
 * Returns 0, or -1 with a one-line reason in err.
 */
int	server_listen(const struct server_config *cfg, char *err, size_t errlen);

/* Whether the webhook socket came from systemd (server_listen). */
int	server_inherited(void);

/* "ip:port" of the webhook (probe 0) or probe listener, or NULL. */
const char *server_address(int probe);

/* Starts cfg->workers threads serving the listener. Returns 0 or -1. */
int	server_start(const struct server_config *cfg);

/*
 * Begins the drain: /readyz answers 503, every response says
 * "Connection: close", idle keep-alive connections are closed, requests in
 * flight finish. New connections are still served (with close), since the
 * apiserver may route to us until the endpoint update reaches it.
 */
void	server_drain(void);

/*
 * Stops accepting: the workers leave the listeners and they are closed, so
 * new connections are refused (a refused connect loses no request; one
 * accepted at the very deadline would), or, on a socket systemd holds,
 * wait in its backlog for the next process. Called near the end of the
 * drain, or at its start on a socket from systemd.
 */
void	server_stop_accepting(void);

/*
 * Whether the listener is closed after server_stop_accepting(): from then
 * on server_open_conns() counts every connection that will ever be served.
 */
int	server_listener_closed(void);

/*
 * Number of open connections (all workers). Used by main to decide that
 * the drain is complete.
 */
int	server_open_conns(void);

/* Stops the workers and closes every connection; returns when they exited. */
void	server_stop(void);

/* Monotonic clock in microseconds. */
uint64_t server_now_us(void);

#endif
