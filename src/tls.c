/*
 * tls.c: credentials loading, hot reload, and the per-connection BearSSL
 * server context. See tls.h for the why.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "auth.h"
#include "certinfo.h"
#include "limit.h"
#include "log.h"
#include "tls.h"

#define TLS_DAYS_TO_1970	719528u	/* BearSSL counts days from 1 January 0 AD */

struct tls_creds {
	atomic_int		 refs;
	br_x509_certificate	 chain[TLS_MAX_CHAIN];
	size_t			 chain_len;
	int			 key_type;	/* BR_KEYTYPE_EC or BR_KEYTYPE_RSA */
	br_ec_private_key	 ec;
	br_rsa_private_key	 rsa;
	unsigned char		 key[TLS_MAX_KEY_BYTES];
	int64_t			 not_after;	/* seconds since the epoch */
};

static struct {
	pthread_mutex_t		 lock;	/* guards cur and its reference count */
	struct tls_creds	*cur;
	char			 cert_path[4096], key_path[4096];
	struct pemfile_sig	 seen[2];	/* last loaded or refused */
	atomic_uint		 problems;	/* certinfo.h, of cur */
} store = { .lock = PTHREAD_MUTEX_INITIALIZER };

/*
 * The session cache is shared by every worker, so a client whose next
 * connection lands on another thread still resumes. BearSSL's LRU cache is
 * not thread-safe: the vtable below wraps it in a mutex.
 */
static struct {
	const br_ssl_session_cache_class	*vtable;
	pthread_mutex_t				 lock;
	br_ssl_session_cache_lru		 lru;
	unsigned char				 store[TLS_SESSION_CACHE_BYTES];
} cache = { .lock = PTHREAD_MUTEX_INITIALIZER };

/*
 * Server preference: AES-GCM first (AES-NI makes it the fastest here),
 * then ChaCha20 for CPUs without it. ECDHE only: Go 1.22+ refuses RSA key
 * exchange, and static ECDH has no forward secrecy.
 */
static const uint16_t tls_suites[] = {
	BR_TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
	BR_TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
	BR_TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
	BR_TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
	BR_TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256,
	BR_TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256,
};

/*
 * The record-layer implementations BearSSL's defaults pick (AES-NI and
 * PCLMUL, SSE2 ChaCha20, 64-bit Poly1305, or their portable fallbacks),
 * chosen once: br_ssl_engine_set_default_aes_gcm() and _chapol() ask the
 * CPU with cpuid on every call, four cpuids per connection, and in a
 * virtual machine each one traps to the hypervisor (about 3% of a new
 * connection's CPU, perf). Set by tls_impl_init(), read-only after.
 */
static struct {
	const br_block_ctr_class	*aes_ctr;
	br_ghash			 ghash;
	br_chacha20_run			 chacha;
	br_poly1305_run			 poly;
} impl;

/* The apiserver offers "h2,http/1.1"; we only ever speak HTTP/1.1. */
static const char *tls_alpn[] = { "http/1.1" };

static const br_ssl_session_cache_class tls_cache_class;

/* Collects "CERTIFICATE" objects into the chain; ignores anything else. */
static int
tls_add_cert(void *arg, const char *name, const unsigned char *der, size_t len)
{
	struct tls_creds *c = arg;
	unsigned char *copy;

	if (strcmp(name, "CERTIFICATE") != 0 && strcmp(name, "X509 CERTIFICATE") != 0)
		return 0;
	if (c->chain_len == TLS_MAX_CHAIN || (copy = malloc(len)) == NULL)
		return -1;
	memcpy(copy, der, len);
	c->chain[c->chain_len].data = copy;
	c->chain[c->chain_len].data_len = len;
	c->chain_len++;
	return 0;
}

/* Copies n bytes into the key area at *off; NULL if it does not fit. */
static unsigned char *
tls_key_copy(struct tls_creds *c, size_t *off, const unsigned char *src, size_t n)
{
	unsigned char *dst = c->key + *off;

	if (n > sizeof(c->key) - *off)
		return NULL;
	memcpy(dst, src, n);
	*off += n;
	return dst;
}

/*
 * Decodes the first private key object (PKCS#8 "PRIVATE KEY", or
 * traditional "EC PRIVATE KEY" / "RSA PRIVATE KEY") into c.
 */
static int
tls_add_key(void *arg, const char *name, const unsigned char *der, size_t len)
{
	struct tls_creds *c = arg;
	br_skey_decoder_context kc;
	size_t off = 0;
	int ok = 1;

	if (c->key_type != 0 || strstr(name, "PRIVATE KEY") == NULL)
		return 0;
	br_skey_decoder_init(&kc);
	br_skey_decoder_push(&kc, der, len);
	if (br_skey_decoder_last_error(&kc) != 0)
		return -1;
	c->key_type = br_skey_decoder_key_type(&kc);
	if (c->key_type == BR_KEYTYPE_EC) {
		const br_ec_private_key *k = br_skey_decoder_get_ec(&kc);

		c->ec.curve = k->curve;
		c->ec.xlen = k->xlen;
		ok = (c->ec.x = tls_key_copy(c, &off, k->x, k->xlen)) != NULL;
	} else if (c->key_type == BR_KEYTYPE_RSA) {
		const br_rsa_private_key *k = br_skey_decoder_get_rsa(&kc);

		c->rsa = *k;
		ok = (c->rsa.p = tls_key_copy(c, &off, k->p, k->plen)) &&
		    (c->rsa.q = tls_key_copy(c, &off, k->q, k->qlen)) &&
		    (c->rsa.dp = tls_key_copy(c, &off, k->dp, k->dplen)) &&
		    (c->rsa.dq = tls_key_copy(c, &off, k->dq, k->dqlen)) &&
		    (c->rsa.iq = tls_key_copy(c, &off, k->iq, k->iqlen));
	} else {
		ok = 0;
	}
	return ok ? 0 : -1;
}

static void
tls_creds_free(struct tls_creds *c)
{
	size_t i;

	if (c == NULL)
		return;
	for (i = 0; i < c->chain_len; i++)
		free(c->chain[i].data);
	memset(c->key, 0, sizeof(c->key));
	free(c);
}

static void
tls_creds_put(struct tls_creds *c)
{
	if (c != NULL && atomic_fetch_sub(&c->refs, 1) == 1)
		tls_creds_free(c);
}

/*
 * Checks that the leaf certificate's public key is the private key's
 * (a renewal writing tls.crt before tls.key must not put a mismatched pair
 * in service), and reads its expiry. Returns 0 or -1 with err set.
 */
static int
tls_check_pair(struct tls_creds *c, char *err, size_t errlen)
{
	br_x509_decoder_context xc;
	const br_x509_pkey *pk;
	unsigned char buf[BR_EC_KBUF_PUB_MAX_SIZE > 512 ? BR_EC_KBUF_PUB_MAX_SIZE : 512];
	int match = 0;

	br_x509_decoder_init(&xc, NULL, NULL);
	br_x509_decoder_push(&xc, c->chain[0].data, c->chain[0].data_len);
	if ((pk = br_x509_decoder_get_pkey(&xc)) == NULL) {
		snprintf(err, errlen, "certificate: cannot decode (error %d)",
		    br_x509_decoder_last_error(&xc));
		return -1;
	}
	c->not_after = ((int64_t)xc.notafter_days - TLS_DAYS_TO_1970) * 86400 +
	    xc.notafter_seconds;
	if (pk->key_type == BR_KEYTYPE_EC && c->key_type == BR_KEYTYPE_EC) {
		br_ec_public_key pub;
		size_t n = br_ec_compute_pub(br_ec_get_default(), &pub, buf, &c->ec);

		match = n != 0 && pub.curve == pk->key.ec.curve &&
		    pub.qlen == pk->key.ec.qlen &&
		    memcmp(pub.q, pk->key.ec.q, pub.qlen) == 0;
	} else if (pk->key_type == BR_KEYTYPE_RSA && c->key_type == BR_KEYTYPE_RSA) {
		br_rsa_compute_modulus mod = br_rsa_compute_modulus_get_default();
		size_t n = mod(NULL, &c->rsa);
		const unsigned char *m = pk->key.rsa.n;
		size_t mlen = pk->key.rsa.nlen;

		while (mlen > 0 && *m == 0)
			m++, mlen--;
		match = n == mlen && n <= sizeof(buf) && mod(buf, &c->rsa) == n &&
		    memcmp(buf, m, n) == 0;
	}
	if (!match)
		snprintf(err, errlen, "the private key does not match the certificate");
	return match ? 0 : -1;
}

/*
 * Parses a PEM chain and key held in memory. Returns new credentials with
 * one reference, or NULL with a one-line reason in err (cert_name and
 * key_name name the sources in it).
 */
static struct tls_creds *
tls_creds_parse(const unsigned char *cert, size_t clen, const char *cert_name,
    const unsigned char *key, size_t klen, const char *key_name,
    char *err, size_t errlen)
{
	struct tls_creds *c = calloc(1, sizeof(*c));
	char why[160];
	int n;

	if (c == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	atomic_init(&c->refs, 1);
	n = pemfile_each(cert, clen, tls_add_cert, c);
	if (n < 0 || c->chain_len == 0) {
		snprintf(err, errlen, "%s: no PEM certificate found", cert_name);
		goto fail;
	}
	n = pemfile_each(key, klen, tls_add_key, c);
	if (n < 0 || c->key_type == 0) {
		snprintf(err, errlen, "%s: no EC or RSA private key found (PEM, PKCS#8 or traditional)",
		    key_name);
		goto fail;
	}
	if (tls_check_pair(c, why, sizeof(why)) < 0) {
		snprintf(err, errlen, "%s, %s: %s", cert_name, key_name, why);
		goto fail;
	}
	return c;
fail:
	tls_creds_free(c);
	return NULL;
}

int
tls_check_pem(const unsigned char *cert, size_t clen, const unsigned char *key,
    size_t klen, char *err, size_t errlen)
{
	struct tls_creds *c = tls_creds_parse(cert, clen, "certificate", key, klen,
	    "key", err, errlen);

	tls_creds_put(c);
	return c != NULL ? 0 : -1;
}

/*
 * Loads a chain and key from files. Returns new credentials with one
 * reference, or NULL with a one-line reason naming the file in err.
 */
static struct tls_creds *
tls_creds_load(const char *cert_path, const char *key_path, char *err, size_t errlen)
{
	struct tls_creds *c = NULL;
	unsigned char *cert, *key;
	size_t clen, klen;

	if ((cert = pemfile_read(cert_path, &clen, err, errlen)) == NULL)
		return NULL;
	if ((key = pemfile_read(key_path, &klen, err, errlen)) != NULL) {
		c = tls_creds_parse(cert, clen, cert_path, key, klen, key_path, err, errlen);
		memset(key, 0, klen);
		free(key);
	}
	free(cert);
	return c;
}

/* Installs c as the store's current credentials. */
static void
tls_store_swap(struct tls_creds *c)
{
	struct tls_creds *old;

	pthread_mutex_lock(&store.lock);
	old = store.cur;
	store.cur = c;
	pthread_mutex_unlock(&store.lock);
	tls_creds_put(old);
}

/*
 * Logs a warning for each problem of the leaf that the apiserver would
 * refuse now or soon (certinfo.h); the certificate is served all the same.
 */
static void
tls_store_inspect(const struct tls_creds *c)
{
	struct certinfo ci;
	char when[32];
	time_t t;
	int i;

	if (certinfo_read(c->chain[0].data, c->chain[0].data_len, time(NULL), &ci) < 0) {
		atomic_store(&store.problems, 0);
		return;
	}
	atomic_store(&store.problems, ci.problems);
	t = (time_t)ci.not_after;
	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", gmtime(&t));
	for (i = 0; i < NUM_CERT_PROBLEMS; i++)
		if (ci.problems & (1u << i))
			log_msg(LOG_WARN, "certificate %s: %s (subject \"%s\", SANs \"%s\", "
			    "notAfter %s)", store.cert_path, certinfo_problem_names[i],
			    ci.subject, ci.sans, when);
}

/* Lets BearSSL's defaults choose the record implementations, once (impl). */
static void
tls_impl_init(void)
{
	static br_ssl_engine_context scratch;

	br_ssl_engine_set_default_aes_gcm(&scratch);
	br_ssl_engine_set_default_chapol(&scratch);
	impl.aes_ctr = scratch.iaes_ctr;
	impl.ghash = scratch.ighash;
	impl.chacha = scratch.ichacha;
	impl.poly = scratch.ipoly;
}

int
tls_store_init(const char *cert_path, const char *key_path, char *err, size_t errlen)
{
	tls_impl_init();
	snprintf(store.cert_path, sizeof(store.cert_path), "%s", cert_path);
	snprintf(store.key_path, sizeof(store.key_path), "%s", key_path);
	cache.vtable = &tls_cache_class;
	br_ssl_session_cache_lru_init(&cache.lru, cache.store, sizeof(cache.store));
	return tls_store_check(1, err, errlen) < 0 ? -1 : 0;
}

int
tls_store_check(int force, char *err, size_t errlen)
{
	struct pemfile_sig now[2];
	struct tls_creds *c;

	pemfile_sig(store.cert_path, &now[0]);
	pemfile_sig(store.key_path, &now[1]);
	if (!force && memcmp(now, store.seen, sizeof(now)) == 0)
		return 0;
	memcpy(store.seen, now, sizeof(now));
	if ((c = tls_creds_load(store.cert_path, store.key_path, err, errlen)) == NULL)
		return -1;
	tls_store_swap(c);
	tls_store_inspect(c);
	return 1;
}

unsigned
tls_store_problems(void)
{
	return atomic_load(&store.problems);
}

int64_t
tls_store_not_after(void)
{
	int64_t t;

	pthread_mutex_lock(&store.lock);
	t = store.cur ? store.cur->not_after : 0;
	pthread_mutex_unlock(&store.lock);
	return t;
}

/*
 * Session cache vtable: the LRU under a mutex; a hit marks the connection.
 * BearSSL saves only after a full handshake, and a hit can still end in
 * one (RFC 7627 5.3: a session made without Extended Master Secret never
 * resumes with it; nor does one whose suite the client no longer offers),
 * so a save clears the mark.
 */
static void
tls_cache_save(const br_ssl_session_cache_class **ctx,
    br_ssl_server_context *sc, const br_ssl_session_parameters *params)
{
	(void)ctx;
	((struct tls_conn *)(void *)sc)->resumed = 0;
	pthread_mutex_lock(&cache.lock);
	cache.lru.vtable->save(&cache.lru.vtable, sc, params);
	pthread_mutex_unlock(&cache.lock);
}

static int
tls_cache_load(const br_ssl_session_cache_class **ctx,
    br_ssl_server_context *sc, br_ssl_session_parameters *params)
{
	int hit;

	(void)ctx;
	pthread_mutex_lock(&cache.lock);
	hit = cache.lru.vtable->load(&cache.lru.vtable, sc, params);
	pthread_mutex_unlock(&cache.lock);
	/* sc is the first member of struct tls_conn (see tls.h). */
	if (hit)
		((struct tls_conn *)(void *)sc)->resumed = 1;
	return hit;
}

static const br_ssl_session_cache_class tls_cache_class = {
	sizeof(cache), tls_cache_save, tls_cache_load
};

/* Takes a reference to the current credentials. */
static struct tls_creds *
tls_store_get(void)
{
	struct tls_creds *c;

	pthread_mutex_lock(&store.lock);
	c = store.cur;
	atomic_fetch_add(&c->refs, 1);
	pthread_mutex_unlock(&store.lock);
	return c;
}

/* The engine parameters every connection shares, whatever the key type. */
static void
tls_engine_setup(br_ssl_engine_context *eng)
{
	br_ssl_engine_set_versions(eng, BR_TLS12, BR_TLS12);
	br_ssl_engine_set_suites(eng, tls_suites,
	    sizeof(tls_suites) / sizeof(tls_suites[0]));
	br_ssl_engine_set_default_ec(eng);
	br_ssl_engine_set_hash(eng, br_sha1_ID, &br_sha1_vtable);
	br_ssl_engine_set_hash(eng, br_sha256_ID, &br_sha256_vtable);
	br_ssl_engine_set_hash(eng, br_sha384_ID, &br_sha384_vtable);
	br_ssl_engine_set_hash(eng, br_sha512_ID, &br_sha512_vtable);
	br_ssl_engine_set_prf_sha256(eng, &br_tls12_sha256_prf);
	br_ssl_engine_set_prf_sha384(eng, &br_tls12_sha384_prf);
	br_ssl_engine_set_gcm(eng, &br_sslrec_in_gcm_vtable, &br_sslrec_out_gcm_vtable);
	br_ssl_engine_set_aes_ctr(eng, impl.aes_ctr);
	br_ssl_engine_set_ghash(eng, impl.ghash);
	br_ssl_engine_set_chapol(eng, &br_sslrec_in_chapol_vtable,
	    &br_sslrec_out_chapol_vtable);
	br_ssl_engine_set_chacha20(eng, impl.chacha);
	br_ssl_engine_set_poly1305(eng, impl.poly);
	br_ssl_engine_set_protocol_names(eng, tls_alpn, 1);
	/* Renegotiation buys nothing here and is an attack surface. */
	br_ssl_engine_add_flags(eng, BR_OPT_ENFORCE_SERVER_PREFERENCES |
	    BR_OPT_NO_RENEGOTIATION);
}

int
tls_conn_init(struct tls_conn *c, int probe)
{
	struct tls_creds *cr = tls_store_get();
	br_ssl_engine_context *eng = &c->sc.eng;
	unsigned char seed[32];

	br_ssl_server_zero(&c->sc);
	c->creds = cr;
	c->auth = NULL;
	c->resumed = 0;
	tls_engine_setup(eng);
	if (cr->key_type == BR_KEYTYPE_EC)
		br_ssl_server_set_single_ec(&c->sc, cr->chain, cr->chain_len,
		    &cr->ec, BR_KEYTYPE_SIGN, 0, br_ec_get_default(),
		    br_ecdsa_sign_asn1_get_default());
	else
		br_ssl_server_set_single_rsa(&c->sc, cr->chain, cr->chain_len,
		    &cr->rsa, BR_KEYTYPE_SIGN, br_rsa_private_get_default(),
		    br_rsa_pkcs1_sign_get_default());
	if (!probe)
		br_ssl_server_set_cache(&c->sc, &cache.vtable);
	if (!probe && auth_enabled()) {
		if ((c->auth = auth_conn_new()) == NULL)
			return -1;
		auth_conn_setup(c->auth, &c->sc);
	}
	br_ssl_engine_set_buffers_bidi(eng, c->ibuf, sizeof(c->ibuf),
	    c->obuf, sizeof(c->obuf));
	/*
	 * Seed from getrandom(2) only: a scratch container or chroot has no
	 * /dev for BearSSL's urandom seeder, and its RDRAND seeder (a cpuid
	 * and 32 draws per engine, about 1.5% of a new connection's CPU)
	 * adds nothing to 256 bits from the kernel. rng_os_rand_done is the
	 * field bearssl_ssl.h documents as "OS seeding attempted".
	 */
	if (getrandom(seed, sizeof(seed), 0) != (ssize_t)sizeof(seed))
		return -1;
	br_ssl_engine_inject_entropy(eng, seed, sizeof(seed));
	memset(seed, 0, sizeof(seed));
	eng->rng_os_rand_done = 1;
	return br_ssl_server_reset(&c->sc) ? 0 : -1;
}

/* Renegotiation is off (tls_engine_setup), so the X.509 engine is done. */
void
tls_conn_opened(struct tls_conn *c)
{
	auth_conn_free(c->auth);
	c->auth = NULL;
}

int
tls_conn_refusal(const struct tls_conn *c, char *out, size_t cap)
{
	if (c->auth == NULL)
		return 0;
	return auth_conn_refusal(c->auth, br_ssl_engine_last_error(&c->sc.eng), out, cap);
}

void
tls_conn_done(struct tls_conn *c)
{
	tls_conn_opened(c);
	tls_creds_put(c->creds);
	c->creds = NULL;
}

void
tls_cache_flush(void)
{
	pthread_mutex_lock(&cache.lock);
	br_ssl_session_cache_lru_init(&cache.lru, cache.store, sizeof(cache.store));
	pthread_mutex_unlock(&cache.lock);
}
