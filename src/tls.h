/*
 * tls.h: BearSSL server side for tinyhook.
 *
 * Three pieces:
 * - credentials (a PEM certificate chain and its private key), loaded from
 *   files, checked to match, and reference counted so that a certificate
 *   reload never pulls a key from under a connection still using it;
 * - the store: the credentials new connections get, re-read when the files
 *   change (the kubelet ..data symlink swap, cert-manager renewals) or on
 *   SIGHUP; a broken new pair is refused and the old one stays in service;
 * - the per-connection server context: TLS 1.2 only, ECDHE suites only
 *   (Go 1.22+ clients refuse RSA key exchange, CONTRACT rule 6), AES-GCM and
 *   ChaCha20-Poly1305, ALPN "http/1.1" (never h2), and a session cache
 *   shared by every worker so reconnecting clients skip the full handshake.
 */
#ifndef TINYHOOK_TLS_H
#define TINYHOOK_TLS_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>
#include <bearssl.h>
#include "pemfile.h"
#include "limit.h"

struct tls_creds;
struct auth_conn;

/* One connection's BearSSL state. About 20 KiB plus the context. sc must
 * stay first: the session cache finds the connection from it. */
struct tls_conn {
	br_ssl_server_context	 sc;
	struct tls_creds	*creds;
	struct auth_conn	*auth;		/* client-certificate check (auth.h), handshake only */
	int			 resumed;	/* set when the cache served the session */
	unsigned char		 ibuf[TLS_IBUF_BYTES];
	unsigned char		 obuf[TLS_OBUF_BYTES];
};

/*
 * Loads the store's first credentials from cert_path and key_path.
 * Returns 0, or -1 with a one-line reason naming the file in err.
 */
int	tls_store_init(const char *cert_path, const char *key_path,
	    char *err, size_t errlen);

/*
 * Re-reads the files if they changed since the last load (or always, when
 * force is set). Returns 1 when new credentials are in service, 0 when
 * nothing changed, -1 when a changed pair was refused (reason in err; the
 * old pair stays). A refused pair is not retried until the files change
 * again, so a broken file is logged once, not every second.
 */
int	tls_store_check(int force, char *err, size_t errlen);

/*
 * Checks that PEM bytes hold a usable chain and matching key, exactly as a
 * load would (the fuzz target's entry point). Returns 0 or -1 with err set.
 */
int	tls_check_pem(const unsigned char *cert, size_t clen,
	    const unsigned char *key, size_t klen, char *err, size_t errlen);

/* Seconds since the epoch at which the served certificate expires. */
int64_t	tls_store_not_after(void);

/* The served certificate's problems (certinfo.h bits), 0 when none. */
unsigned tls_store_problems(void);

/*
 * Prepares c for a new connection with the current credentials (taking a
 * reference). On the webhook listener (probe 0) with --client-ca set, the
 * client must present a certificate (auth.h). On the probe listener
 * (probe 1) no certificate is asked for and no session is cached or
 * resumed: a session made there must never resume on the webhook port,
 * where it would skip the client certificate. Returns 0, or -1 if the
 * context could not be set up.
 */
int	tls_conn_init(struct tls_conn *c, int probe);

/* The handshake completed: frees what only the handshake needed. */
void	tls_conn_opened(struct tls_conn *c);

/*
 * When the failed handshake of c refused the client's certificate (or
 * its absence), writes who and why on one line into out and returns 1;
 * else returns 0.
 */
int	tls_conn_refusal(const struct tls_conn *c, char *out, size_t cap);

/* Drops the connection's reference to its credentials. */
void	tls_conn_done(struct tls_conn *c);

/*
 * Forgets every cached session. Called when the client CA changes: a
 * session resumes without a certificate, so one authenticated under the
 * old CA must not outlive it.
 */
void	tls_cache_flush(void);


#endif
