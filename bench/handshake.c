/*
 * handshake.c: N full TLS handshakes in memory between a BearSSL client and
 * tinyhook's real server set-up (tls_store_init, tls_conn_init, the shared
 * session cache, tls_conn_done), for `make bench-handshake`.
 *
 *   handshake CERT KEY [N=100] [x25519|p256]
 *
 * Each handshake is what the server does for one new connection of
 * `hey -disable-keepalive`: allocate the connection's TLS state (calloc, as
 * server.c does for a client), set it up, run a full handshake (the client
 * never resumes), drop it. The client offers X25519 and P-256 in Go's order
 * (x25519, the default) or P-256 only (p256), ECDHE-ECDSA with AES-128-GCM,
 * as Go's client would get from us.
 *
 * valgrind --tool=callgrind --toggle-collect='srv_*' counts only the server's
 * side: every call into the server's engine goes through a srv_ function
 * (the client's work and the copying between the two are left out), so
 * instructions / N is the server's cost of one handshake. Instruction counts
 * do not depend on machine load. Run without valgrind it is a check: it
 * prints the curve and suite the server chose and exits 1 unless every
 * handshake completed, fresh (not resumed), on the curve the mode expects
 * (X25519 whenever the client offers it).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "tls.h"

#define HS_MAX_ROUNDS	64	/* record exchanges per handshake; a full one takes < 10 */
#define HS_CURVE_P256	23	/* TLS NamedCurve ids (RFC 8422) */
#define HS_CURVE_X25519	29

struct hs_client {
	br_ssl_client_context	 cc;
	br_x509_knownkey_context xk;
	br_ec_impl		 ec;	/* the default, with the offered curves narrowed */
	unsigned char		 buf[BR_SSL_BUFSIZE_BIDI];
};

/* Not static and not inlined, so callgrind finds them by name. */
struct tls_conn	*srv_open(void);
size_t		 srv_out(struct tls_conn *, unsigned char *, size_t);
size_t		 srv_in(struct tls_conn *, const unsigned char *, size_t);
void		 srv_close(struct tls_conn *);
unsigned long	 bench_loop(struct hs_client *, const br_x509_pkey *, unsigned, int,
		    unsigned long, uint16_t *);

static const uint16_t hs_client_suites[] = {
	BR_TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
	BR_TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
	BR_TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256,
};

/*
 * HS_TIME=1 in the environment: the server's CPU time is summed around
 * each srv_ call (clock_gettime outside them, so callgrind counts stay
 * those of the server alone). A wall-clock figure: noisy, for comparing
 * builds on one machine.
 */
static int hs_timing;
static uint64_t hs_srv_ns;

static uint64_t
hs_cpu_ns(void)
{
	struct timespec ts;

	if (!hs_timing)
		return 0;
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

#define HS_TIMED(expr)	do { uint64_t t0_ = hs_cpu_ns(); expr; \
	hs_srv_ns += hs_cpu_ns() - t0_; } while (0)

/* The server's side: each one is counted by callgrind (toggle 'srv_*'). */
__attribute__((noinline)) struct tls_conn *
srv_open(void)
{
	struct tls_conn *s = calloc(1, sizeof(*s));

	if (s != NULL && tls_conn_init(s, 0) < 0) {
		tls_conn_done(s);
		free(s);
		return NULL;
	}
	return s;
}

/* Moves the server's pending records into out; returns their length. */
__attribute__((noinline)) size_t
srv_out(struct tls_conn *s, unsigned char *out, size_t cap)
{
	size_t len, n = 0;
	unsigned char *p;

	while ((p = br_ssl_engine_sendrec_buf(&s->sc.eng, &len)) != NULL && n < cap) {
		if (len > cap - n)
			len = cap - n;
		memcpy(out + n, p, len);
		br_ssl_engine_sendrec_ack(&s->sc.eng, len);
		n += len;
	}
	return n;
}

/* Gives the server n bytes of the client's records; returns what it took. */
__attribute__((noinline)) size_t
srv_in(struct tls_conn *s, const unsigned char *in, size_t n)
{
	size_t len, k = 0;
	unsigned char *p;

	while (k < n && (p = br_ssl_engine_recvrec_buf(&s->sc.eng, &len)) != NULL) {
		if (len > n - k)
			len = n - k;
		memcpy(p, in + k, len);
		br_ssl_engine_recvrec_ack(&s->sc.eng, len);
		k += len;
	}
	return k;
}

/* The handshake is over on the server: what pump.c then does, and the close. */
__attribute__((noinline)) void
srv_close(struct tls_conn *s)
{
	tls_conn_opened(s);
	tls_conn_done(s);
	free(s);
}

/* The same two moves for the client (not counted). */
static size_t
cli_out(br_ssl_engine_context *e, unsigned char *out, size_t cap)
{
	size_t len, n = 0;
	unsigned char *p;

	while ((p = br_ssl_engine_sendrec_buf(e, &len)) != NULL && n < cap) {
		if (len > cap - n)
			len = cap - n;
		memcpy(out + n, p, len);
		br_ssl_engine_sendrec_ack(e, len);
		n += len;
	}
	return n;
}

static size_t
cli_in(br_ssl_engine_context *e, const unsigned char *in, size_t n)
{
	size_t len, k = 0;
	unsigned char *p;

	while (k < n && (p = br_ssl_engine_recvrec_buf(e, &len)) != NULL) {
		if (len > n - k)
			len = n - k;
		memcpy(p, in + k, len);
		br_ssl_engine_recvrec_ack(e, len);
		k += len;
	}
	return k;
}

/* Sets up the client for a fresh full handshake (no session to resume). */
static void
cli_reset(struct hs_client *c, const br_x509_pkey *pk, unsigned curves, unsigned seq)
{
	static const unsigned char seed[32] = "tinyhook handshake bench client";
	br_ssl_engine_context *e = &c->cc.eng;

	br_ssl_client_zero(&c->cc);
	br_ssl_engine_set_versions(e, BR_TLS12, BR_TLS12);
	br_ssl_engine_set_suites(e, hs_client_suites,
	    sizeof(hs_client_suites) / sizeof(hs_client_suites[0]));
	c->ec = *br_ec_get_default();
	c->ec.supported_curves = curves;
	br_ssl_engine_set_ec(e, &c->ec);
	br_ssl_engine_set_ecdsa(e, br_ecdsa_vrfy_asn1_get_default());
	br_ssl_engine_set_hash(e, br_sha256_ID, &br_sha256_vtable);
	br_ssl_engine_set_hash(e, br_sha384_ID, &br_sha384_vtable);
	br_ssl_engine_set_prf_sha256(e, &br_tls12_sha256_prf);
	br_ssl_engine_set_prf_sha384(e, &br_tls12_sha384_prf);
	br_ssl_engine_set_default_aes_gcm(e);
	br_ssl_engine_set_default_chapol(e);
	br_x509_knownkey_init_ec(&c->xk, &pk->key.ec, BR_KEYTYPE_KEYX | BR_KEYTYPE_SIGN);
	br_ssl_engine_set_x509(e, &c->xk.vtable);
	br_ssl_engine_set_buffer(e, c->buf, sizeof(c->buf), 1);
	br_ssl_engine_inject_entropy(e, seed, sizeof(seed));
	br_ssl_engine_inject_entropy(e, &seq, sizeof(seq));
	br_ssl_client_reset(&c->cc, "localhost", 0);
}

/*
 * One handshake. Returns the curve the server used (its TLS id), or -1
 * with the reason on stderr.
 */
static int
hs_one(struct hs_client *c, const br_x509_pkey *pk, unsigned curves, unsigned seq,
    uint16_t *suite)
{
	static unsigned char wire[BR_SSL_BUFSIZE_BIDI];
	br_ssl_engine_context *ce = &c->cc.eng;
	struct tls_conn *s;
	size_t n;
	int r, curve = -1;

	cli_reset(c, pk, curves, seq);
	HS_TIMED(s = srv_open());
	if (s == NULL) {
		fprintf(stderr, "handshake %u: tls_conn_init failed\n", seq);
		return -1;
	}
	for (r = 0; r < HS_MAX_ROUNDS; r++) {
		int moved = 0;

		if ((n = cli_out(ce, wire, sizeof(wire))) > 0) {
			moved = 1;
			size_t k;

			HS_TIMED(k = srv_in(s, wire, n));
			if (k != n)
				break;
		}
		HS_TIMED(n = srv_out(s, wire, sizeof(wire)));
		if (n > 0) {
			moved = 1;
			if (cli_in(ce, wire, n) != n)
				break;
		}
		if (!moved)
			break;
	}
	if ((br_ssl_engine_current_state(ce) & BR_SSL_SENDAPP) &&
	    (br_ssl_engine_current_state(&s->sc.eng) & BR_SSL_SENDAPP) && !s->resumed) {
		curve = s->sc.eng.ecdhe_curve;
		*suite = s->sc.eng.session.cipher_suite;
	} else {
		fprintf(stderr, "handshake %u: not completed (client error %d, server error %d, "
		    "resumed %d)\n", seq, br_ssl_engine_last_error(ce),
		    br_ssl_engine_last_error(&s->sc.eng), s->resumed);
	}
	HS_TIMED(srv_close(s));
	return curve;
}

/*
 * The measured loop: n handshakes. Every one must land on want. Returns
 * the number that did.
 */
__attribute__((noinline)) unsigned long
bench_loop(struct hs_client *c, const br_x509_pkey *pk, unsigned curves, int want,
    unsigned long n, uint16_t *suite)
{
	unsigned long i, ok = 0;

	for (i = 0; i < n; i++)
		ok += hs_one(c, pk, curves, (unsigned)i, suite) == want;
	return ok;
}

int
main(int argc, char **argv)
{
	static struct hs_client client;
	static unsigned char pkbuf[BR_EC_KBUF_PUB_MAX_SIZE];
	br_x509_decoder_context xd;
	const br_x509_pkey *pk;
	br_x509_pkey pkc;
	unsigned long n = 100, ok;
	unsigned curves;
	uint16_t suite = 0;
	char err[512];
	int want;

	if (argc < 3 || argc > 5) {
		fprintf(stderr, "usage: %s CERT KEY [N] [x25519|p256]\n", argv[0]);
		return 2;
	}
	if (argc > 3 && (n = strtoul(argv[3], NULL, 10)) == 0)
		n = 1;
	if (argc < 5 || strcmp(argv[4], "x25519") == 0) {
		/* Go's client: X25519, then P-256 (and more BearSSL does not do) */
		curves = (1u << HS_CURVE_X25519) | (1u << HS_CURVE_P256);
		want = HS_CURVE_X25519;
	} else if (strcmp(argv[4], "p256") == 0) {
		curves = 1u << HS_CURVE_P256;
		want = HS_CURVE_P256;
	} else {
		fprintf(stderr, "%s: mode is x25519 or p256\n", argv[0]);
		return 2;
	}
	if (tls_store_init(argv[1], argv[2], err, sizeof(err)) < 0) {
		fprintf(stderr, "%s: %s\n", argv[0], err);
		return 1;
	}
	/* The client pins the server's key (knownkey): no chain to validate. */
	{
		struct tls_conn *probe = srv_open();

		if (probe == NULL) {
			fprintf(stderr, "%s: tls_conn_init failed\n", argv[0]);
			return 1;
		}
		br_x509_decoder_init(&xd, NULL, NULL);
		const br_x509_certificate *leaf = &probe->sc.chain_handler.single_ec.chain[0];

		br_x509_decoder_push(&xd, leaf->data, leaf->data_len);
		pk = br_x509_decoder_get_pkey(&xd);
		if (pk == NULL || pk->key_type != BR_KEYTYPE_EC ||
		    pk->key.ec.qlen > sizeof(pkbuf)) {
			fprintf(stderr, "%s: %s: the bench needs an EC (ECDSA) certificate\n",
			    argv[0], argv[1]);
			return 1;
		}
		memcpy(pkbuf, pk->key.ec.q, pk->key.ec.qlen);
		pkc = *pk;
		/*
		 * The client's EC implementation also verifies the server's
		 * signature: it must know the certificate's curve (offered,
		 * as Go offers P-384 and P-521 too; the server's order puts
		 * X25519 and P-256 first).
		 */
		curves |= 1u << pk->key.ec.curve;
		pkc.key.ec.q = pkbuf;
		srv_close(probe);
	}
	/* Warm-up, outside the loop: the first handshake fills lazy state. */
	if (hs_one(&client, &pkc, curves, 0xFFFFFFFFu, &suite) != want) {
		fprintf(stderr, "%s: the server did not choose curve %d\n", argv[0], want);
		return 1;
	}
	hs_timing = getenv("HS_TIME") != NULL;
	hs_srv_ns = 0;
	ok = bench_loop(&client, &pkc, curves, want, n, &suite);
	printf("handshake: %lu of %lu full handshakes on curve %d (%s), suite 0x%04x\n",
	    ok, n, want, want == HS_CURVE_X25519 ? "X25519" : "P-256", suite);
	if (hs_timing)
		printf("server CPU per handshake: %.1f us (HS_TIME)\n",
		    (double)hs_srv_ns / 1000.0 / (double)n);
	return ok == n ? 0 : 1;
}
