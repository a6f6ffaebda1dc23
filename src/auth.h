/*
 * auth.h: client certificates (--client-ca, --client-cn). Only the
 * apiserver should reach the webhook: it presents the certificate its
 * AdmissionConfiguration's kubeconfig names, and every other client is
 * refused during the TLS handshake, before it can send a byte of HTTP.
 *
 * Two pieces:
 * - the trust store: the CA certificates of --client-ca as BearSSL trust
 *   anchors, reference counted and re-read when the file changes or on
 *   SIGHUP, like the serving pair (tls.h): a broken new file is refused and
 *   the old anchors stay; connections keep the anchors they started with;
 * - per connection, during the handshake only, an X.509 engine: BearSSL's
 *   "minimal" path validation (chain to an anchor, validity dates, key
 *   usage, signatures) wrapped to keep the client's leaf for the log and to
 *   check its subject CN against --client-cn.
 *
 * Errors: functions that load return 0 / -1 with a one-line reason in
 * err; the handshake fails with BearSSL's error code, which
 * auth_conn_refusal() turns into a sentence.
 */
#ifndef TINYHOOK_AUTH_H
#define TINYHOOK_AUTH_H

#include <stddef.h>
#include <bearssl.h>
#include "limit.h"

/*
 * Loads the anchors of ca_path and keeps the accepted CNs (ncns of them,
 * none: any CN). Returns 0, or -1 with a reason naming the file in err.
 */
int	auth_init(const char *ca_path, const char *const *cns, int ncns,
	    char *err, size_t errlen);

/* Whether --client-ca is set. */
int	auth_enabled(void);

/*
 * Re-reads --client-ca if it changed since the last load (or always, when
 * force is set). Returns 1 when new anchors are in service, 0 when nothing
 * changed or client auth is off, -1 when a changed file was refused
 * (reason in err; the old anchors stay, and the file is not retried until
 * it changes again).
 */
int	auth_check(int force, char *err, size_t errlen);

/* A one-line description of the anchors in service, for the log. */
void	auth_describe(char *out, size_t cap);

struct auth_conn;

/* A connection's X.509 engine on the current anchors; NULL if out of memory. */
struct auth_conn *auth_conn_new(void);

/*
 * Makes sc ask for a client certificate (the anchors' names go in the
 * CertificateRequest) and validate it with a's engine. The handshake then
 * fails without one (BR_OPT_TOLERATE_NO_CLIENT_AUTH stays off).
 */
void	auth_conn_setup(struct auth_conn *a, br_ssl_server_context *sc);

/*
 * If the handshake error err (br_ssl_engine_last_error) is a refusal of
 * the client's certificate, or of its absence, writes why and whose
 * certificate (subject, validity) into out and returns 1; else 0.
 */
int	auth_conn_refusal(const struct auth_conn *a, int err, char *out, size_t cap);

/* Frees a (NULL is fine), dropping its reference to the anchors. */
void	auth_conn_free(struct auth_conn *a);

#endif
