/*
 * pump.h: one client's transport: socket <-> BearSSL engine <-> conn.
 *
 * The engine says what it can do next: SENDREC (ciphertext to write),
 * RECVREC (ciphertext wanted), SENDAPP (room for plaintext), RECVAPP
 * (plaintext ready). pump_run() moves bytes until nothing more can happen
 * without the socket, and says which socket events to wait for; a slow or
 * idle client only ever waits in epoll, so it never delays the others.
 * It knows no HTTP: requests and responses are conn.h's.
 *
 * Errors: pump_run() and pump_tick() return -1 when the link is finished
 * (closed by either side, an error, a timeout); the caller then frees it
 * with pump_close().
 */
#ifndef TINYHOOK_PUMP_H
#define TINYHOOK_PUMP_H

#include <stdint.h>
#include "conn.h"
#include "limit.h"
#include "tls.h"

enum pump_state {
	PUMP_HANDSHAKE,		/* TLS handshake in progress */
	PUMP_OPEN,		/* requests flow through conn */
	PUMP_CLOSING,		/* close_notify sent or being sent */
	PUMP_PLAIN,		/* plain HTTP on the TLS port: answered, draining */
};

struct link {
	struct tls_conn		 tls;	/* first: large, alignment-friendly */
	struct conn		 conn;
	const struct conn_env	*env;
	int			 fd;
	enum pump_state		 state;
	int			 peeked;	/* first byte looked at (plain HTTP?) */
	/*
	 * Ciphertext read ahead of what the engine asked for, still in
	 * tls.ibuf (see pump_recv()): [ahead_off, ahead_off + ahead_len).
	 */
	size_t			 ahead_off, ahead_len;
	int			 drained;	/* a read came up short: wait for epoll */
	uint64_t		 deadline_us;	/* of the handshake, of the linger */
	char			 remote[64];	/* "ip:port" */
};

/*
 * Starts a link on a connected, non-blocking socket. Returns 0, or -1 (the
 * caller closes fd).
 */
int	pump_open(struct link *l, int fd, const struct conn_env *env,
	    const char *remote, uint64_t now);

/* Moves bytes; returns the epoll events to wait for, or -1 (finished). */
int	pump_run(struct link *l);

/* Deadlines at now: -1 finished, 1 run the pump, 0 nothing. */
int	pump_tick(struct link *l, uint64_t now);

/* Closes the socket and returns every buffer; l may be freed after. */
void	pump_close(struct link *l);

#endif
