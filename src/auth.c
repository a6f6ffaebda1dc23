/*
 * auth.c: client-certificate validation for the webhook listener (see
 * auth.h for the why).
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "auth.h"
#include "certinfo.h"
#include "limit.h"
#include "pemfile.h"

/* The anchors of one load of --client-ca. */
struct auth_trust {
	atomic_int		 refs;
	br_x509_trust_anchor	 ta[AUTH_MAX_ANCHORS];
	size_t			 n;
	char			 desc[AUTH_DESC_BYTES];	/* "CN=a, CN=b" */
};

static struct {
	pthread_mutex_t		 lock;		/* guards cur and its reference count */
	struct auth_trust	*cur;
	int			 enabled;
	char			 path[4096];
	struct pemfile_sig	 seen;		/* last loaded or refused */
	const char		*cns[AUTH_MAX_CNS];	/* set once at start */
	int			 ncns;
} store = { .lock = PTHREAD_MUTEX_INITIALIZER };

/*
 * One connection's engine. vtable is first: BearSSL calls the engine
 * through a pointer to it, and the methods below find the rest from it.
 */
struct auth_conn {
	const br_x509_class	*vtable;
	br_x509_minimal_context	 xc;
	struct auth_trust	*trust;
	br_name_element		 cn;
	char			 cn_buf[AUTH_CN_BYTES];
	unsigned char		 leaf[AUTH_LEAF_BYTES];
	size_t			 leaf_len;
	int			 certs;		/* started so far in this chain */
	int			 leaf_cut;	/* the leaf did not fit leaf[] */
	int			 cn_refused;	/* valid chain, CN not in --client-cn */
};

/* id-at-commonName 2.5.4.3, in BearSSL's form: length byte, then the OID. */
static const unsigned char auth_oid_cn[] = { 3, 0x55, 0x04, 0x03 };

static void
auth_trust_free(struct auth_trust *t)
{
	size_t i;

	if (t == NULL)
		return;
	for (i = 0; i < t->n; i++)
		free(t->ta[i].dn.data);	/* the key bytes share this block */
	free(t);
}

static void
auth_trust_put(struct auth_trust *t)
{
	if (t != NULL && atomic_fetch_sub(&t->refs, 1) == 1)
		auth_trust_free(t);
}

static struct auth_trust *
auth_trust_get(void)
{
	struct auth_trust *t;

	pthread_mutex_lock(&store.lock);
	t = store.cur;
	atomic_fetch_add(&t->refs, 1);
	pthread_mutex_unlock(&store.lock);
	return t;
}

/* The DN collector for the X.509 decoder, bounded by AUTH_MAX_DN_BYTES. */
struct auth_dn {
	unsigned char	 buf[AUTH_MAX_DN_BYTES];
	size_t		 len;
	int		 overflow;
};

static void
auth_dn_append(void *ctx, const void *data, size_t len)
{
	struct auth_dn *d = ctx;

	if (d->overflow || len > sizeof(d->buf) - d->len) {
		d->overflow = 1;
		return;
	}
	memcpy(d->buf + d->len, data, len);
	d->len += len;
}

/*
 * Makes anchor ta from a CA certificate: its subject DN and public key,
 * copied into one block. Returns 0, or -1 with a reason in err.
 */
static int
auth_anchor(br_x509_trust_anchor *ta, const unsigned char *der, size_t len,
    char *err, size_t errlen)
{
	br_x509_decoder_context dc;
	const br_x509_pkey *pk;
	struct auth_dn dn = { .len = 0 };
	const unsigned char *k1, *k2 = NULL;
	size_t l1, l2 = 0;
	unsigned char *p;

	br_x509_decoder_init(&dc, auth_dn_append, &dn);
	br_x509_decoder_push(&dc, der, len);
	if ((pk = br_x509_decoder_get_pkey(&dc)) == NULL || dn.overflow) {
		snprintf(err, errlen, dn.overflow ? "a subject DN over %d bytes" :
		    "cannot decode a certificate (BearSSL error %d)",
		    dn.overflow ? AUTH_MAX_DN_BYTES : br_x509_decoder_last_error(&dc));
		return -1;
	}
	if (!br_x509_decoder_isCA(&dc)) {
		snprintf(err, errlen, "a certificate that is not a CA (no basicConstraints CA:TRUE)");
		return -1;
	}
	if (pk->key_type == BR_KEYTYPE_EC) {
		k1 = pk->key.ec.q, l1 = pk->key.ec.qlen;
	} else {
		k1 = pk->key.rsa.n, l1 = pk->key.rsa.nlen;
		k2 = pk->key.rsa.e, l2 = pk->key.rsa.elen;
	}
	if ((p = malloc(dn.len + l1 + l2 + 1)) == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	memcpy(p, dn.buf, dn.len);
	memcpy(p + dn.len, k1, l1);
	if (l2)
		memcpy(p + dn.len + l1, k2, l2);
	memset(ta, 0, sizeof(*ta));
	ta->dn.data = p;
	ta->dn.len = dn.len;
	ta->flags = BR_X509_TA_CA;
	ta->pkey.key_type = pk->key_type;
	if (pk->key_type == BR_KEYTYPE_EC) {
		ta->pkey.key.ec.curve = pk->key.ec.curve;
		ta->pkey.key.ec.q = p + dn.len;
		ta->pkey.key.ec.qlen = l1;
	} else {
		ta->pkey.key.rsa.n = p + dn.len;
		ta->pkey.key.rsa.nlen = l1;
		ta->pkey.key.rsa.e = p + dn.len + l1;
		ta->pkey.key.rsa.elen = l2;
	}
	return 0;
}

/* pemfile_each() callback: one anchor per CERTIFICATE object. */
struct auth_load {
	struct auth_trust	*t;
	char			 why[160];
};

static int
auth_add_cert(void *arg, const char *name, const unsigned char *der, size_t len)
{
	struct auth_load *l = arg;
	struct auth_trust *t = l->t;
	struct certinfo ci;
	size_t dl = strlen(t->desc);

	if (strcmp(name, "CERTIFICATE") != 0 && strcmp(name, "X509 CERTIFICATE") != 0)
		return 0;
	if (t->n == AUTH_MAX_ANCHORS) {
		snprintf(l->why, sizeof(l->why), "more than %d certificates", AUTH_MAX_ANCHORS);
		return -1;
	}
	if (auth_anchor(&t->ta[t->n], der, len, l->why, sizeof(l->why)) < 0)
		return -1;
	t->n++;
	if (certinfo_read(der, len, (int64_t)time(NULL), &ci) == 0)
		snprintf(t->desc + dl, sizeof(t->desc) - dl, "%s\"%s\"%s", dl ? ", " : "",
		    ci.subject, ci.problems & CERT_EXPIRED ? " (expired)" : "");
	return 0;
}

/* Loads path's anchors. Returns them with one reference, or NULL and err. */
static struct auth_trust *
auth_trust_load(const char *path, char *err, size_t errlen)
{
	struct auth_load l = { .why = "" };
	unsigned char *pem;
	size_t len;
	int n;

	if ((pem = pemfile_read(path, &len, err, errlen)) == NULL)
		return NULL;
	if ((l.t = calloc(1, sizeof(*l.t))) == NULL) {
		free(pem);
		snprintf(err, errlen, "%s: out of memory", path);
		return NULL;
	}
	atomic_init(&l.t->refs, 1);
	n = pemfile_each(pem, len, auth_add_cert, &l);
	free(pem);
	if (n < 0 || l.t->n == 0) {
		snprintf(err, errlen, "%s: %s", path, l.why[0] ? l.why :
		    n < 0 ? "malformed PEM" : "no PEM certificate found");
		auth_trust_free(l.t);
		return NULL;
	}
	return l.t;
}

int
auth_init(const char *ca_path, const char *const *cns, int ncns, char *err, size_t errlen)
{
	int i;

	snprintf(store.path, sizeof(store.path), "%s", ca_path);
	for (i = 0; i < ncns && i < AUTH_MAX_CNS; i++)
		store.cns[i] = cns[i];
	store.ncns = i;
	store.enabled = 1;
	return auth_check(1, err, errlen) < 0 ? -1 : 0;
}

int
auth_enabled(void)
{
	return store.enabled;
}

int
auth_check(int force, char *err, size_t errlen)
{
	struct pemfile_sig now;
	struct auth_trust *t, *old;

	if (!store.enabled)
		return 0;
	pemfile_sig(store.path, &now);
	if (!force && memcmp(&now, &store.seen, sizeof(now)) == 0)
		return 0;
	store.seen = now;
	if ((t = auth_trust_load(store.path, err, errlen)) == NULL)
		return -1;
	pthread_mutex_lock(&store.lock);
	old = store.cur;
	store.cur = t;
	pthread_mutex_unlock(&store.lock);
	auth_trust_put(old);
	return 1;
}

void
auth_describe(char *out, size_t cap)
{
	struct auth_trust *t = auth_trust_get();
	int i, n;

	n = snprintf(out, cap, "%zu CA certificate%s (%s), CN %s", t->n,
	    t->n == 1 ? "" : "s", t->desc, store.ncns ? "one of" : "any");
	for (i = 0; i < store.ncns && n >= 0 && (size_t)n < cap; i++)
		n += snprintf(out + n, cap - (size_t)n, "%s\"%s\"", i ? ", " : " ", store.cns[i]);
	auth_trust_put(t);
}

static struct auth_conn *
auth_self(const br_x509_class *const *ctx)
{
	return (struct auth_conn *)(void *)ctx;
}

static void
auth_start_chain(const br_x509_class **ctx, const char *server_name)
{
	struct auth_conn *a = auth_self(ctx);

	a->certs = 0;
	a->leaf_len = 0;
	a->leaf_cut = 0;
	a->cn_refused = 0;
	a->xc.vtable->start_chain(&a->xc.vtable, server_name);
}

static void
auth_start_cert(const br_x509_class **ctx, uint32_t length)
{
	struct auth_conn *a = auth_self(ctx);

	a->certs++;
	a->xc.vtable->start_cert(&a->xc.vtable, length);
}

/* Keeps the leaf (the first certificate) for the log, then validates. */
static void
auth_append(const br_x509_class **ctx, const unsigned char *buf, size_t len)
{
	struct auth_conn *a = auth_self(ctx);

	if (a->certs == 1 && !a->leaf_cut) {
		if (len > sizeof(a->leaf) - a->leaf_len)
			a->leaf_cut = 1;
		else
			memcpy(a->leaf + a->leaf_len, buf, len);
		a->leaf_len += len;
	}
	a->xc.vtable->append(&a->xc.vtable, buf, len);
}

static void
auth_end_cert(const br_x509_class **ctx)
{
	struct auth_conn *a = auth_self(ctx);

	a->xc.vtable->end_cert(&a->xc.vtable);
}

/* Whether the validated leaf's CN is one of --client-cn (any, when none). */
static int
auth_cn_ok(const struct auth_conn *a)
{
	int i;

	if (store.ncns == 0)
		return 1;
	if (a->cn.status != 1)	/* no CN, or one BearSSL could not decode */
		return 0;
	for (i = 0; i < store.ncns; i++)
		if (strcmp(a->cn_buf, store.cns[i]) == 0)
			return 1;
	return 0;
}

/*
 * The chain's verdict: BearSSL's, then the CN. A refused CN reads as "not
 * trusted" to the engine; cn_refused tells the log the real reason.
 */
static unsigned
auth_end_chain(const br_x509_class **ctx)
{
	struct auth_conn *a = auth_self(ctx);
	unsigned err = a->xc.vtable->end_chain(&a->xc.vtable);

	if (err == 0 && !auth_cn_ok(a)) {
		a->cn_refused = 1;
		return BR_ERR_X509_NOT_TRUSTED;
	}
	return err;
}

static const br_x509_pkey *
auth_get_pkey(const br_x509_class *const *ctx, unsigned *usages)
{
	const struct auth_conn *a = auth_self(ctx);

	return a->xc.vtable->get_pkey(&a->xc.vtable, usages);
}

static const br_x509_class auth_x509_class = {
	sizeof(struct auth_conn), auth_start_chain, auth_start_cert, auth_append,
	auth_end_cert, auth_end_chain, auth_get_pkey
};

struct auth_conn *
auth_conn_new(void)
{
	struct auth_conn *a = malloc(sizeof(*a));

	if (a == NULL)
		return NULL;
	a->vtable = &auth_x509_class;
	a->trust = auth_trust_get();
	/*
	 * The hashes and signatures certificates use, from implementations
	 * the server links anyway (br_x509_minimal_init_full would add MD5
	 * and every RSA and EC variant: 30 KB). The time is time(2)'s.
	 */
	br_x509_minimal_init(&a->xc, &br_sha256_vtable, a->trust->ta, a->trust->n);
	br_x509_minimal_set_hash(&a->xc, br_sha1_ID, &br_sha1_vtable);
	br_x509_minimal_set_hash(&a->xc, br_sha224_ID, &br_sha224_vtable);
	br_x509_minimal_set_hash(&a->xc, br_sha256_ID, &br_sha256_vtable);
	br_x509_minimal_set_hash(&a->xc, br_sha384_ID, &br_sha384_vtable);
	br_x509_minimal_set_hash(&a->xc, br_sha512_ID, &br_sha512_vtable);
	br_x509_minimal_set_rsa(&a->xc, br_rsa_pkcs1_vrfy_get_default());
	br_x509_minimal_set_ecdsa(&a->xc, br_ec_get_default(), br_ecdsa_vrfy_asn1_get_default());
	a->cn.oid = auth_oid_cn;
	a->cn.buf = a->cn_buf;
	a->cn.len = sizeof(a->cn_buf);
	a->cn.status = 0;
	br_x509_minimal_set_name_elements(&a->xc, &a->cn, 1);
	a->leaf_len = 0;
	a->certs = a->leaf_cut = a->cn_refused = 0;
	return a;
}

void
auth_conn_setup(struct auth_conn *a, br_ssl_server_context *sc)
{
	br_ssl_server_set_trust_anchor_names_alt(sc, a->trust->ta, a->trust->n);
	br_ssl_engine_set_x509(&sc->eng, &a->vtable);
	/* CertificateVerify: the client signs the handshake with its key. */
	br_ssl_engine_set_default_rsavrfy(&sc->eng);
	br_ssl_engine_set_default_ecdsa(&sc->eng);
}

/* Why the handshake error err refused the client, or NULL if it did not. */
static const char *
auth_why(const struct auth_conn *a, int err)
{
	if (err == BR_ERR_NO_CLIENT_AUTH)
		return "no client certificate presented";
	if (a->cn_refused)
		return "its CN is not one of --client-cn";
	switch (err) {
	case BR_ERR_X509_NOT_TRUSTED:
		return "not issued by a --client-ca certificate";
	case BR_ERR_X509_EXPIRED:
		return "expired or not yet valid";
	case BR_ERR_X509_BAD_SIGNATURE:
		return "a signature in its chain is invalid";
	case BR_ERR_X509_NOT_CA:
		return "an intermediate of its chain is not a CA";
	case BR_ERR_X509_CRITICAL_EXTENSION:
		return "it has a critical extension BearSSL does not know";
	case BR_ERR_X509_WEAK_PUBLIC_KEY:
		return "its key is too weak";
	case BR_ERR_WRONG_KEY_USAGE:
		return "its keyUsage does not allow signing";
	case BR_ERR_BAD_SIGNATURE:
		return "the client's CertificateVerify signature is invalid";
	}
	return NULL;
}

/* Appends ' (subject "...", notBefore ..., notAfter ...)' of the kept leaf. */
static void
auth_put_leaf(const struct auth_conn *a, char *out, size_t cap)
{
	struct certinfo ci;
	char nb[32], na[32];
	size_t n = strlen(out);
	time_t t;

	if (a->leaf_len == 0)
		return;
	if (a->leaf_cut) {
		snprintf(out + n, cap - n, " (a %zu-byte certificate, not shown)", a->leaf_len);
		return;
	}
	if (certinfo_read(a->leaf, a->leaf_len, (int64_t)time(NULL), &ci) < 0)
		return;
	t = (time_t)ci.not_before;
	strftime(nb, sizeof(nb), "%Y-%m-%dT%H:%M:%SZ", gmtime(&t));
	t = (time_t)ci.not_after;
	strftime(na, sizeof(na), "%Y-%m-%dT%H:%M:%SZ", gmtime(&t));
	snprintf(out + n, cap - n, " (subject \"%s\", notBefore %s, notAfter %s)",
	    ci.subject, nb, na);
}

int
auth_conn_refusal(const struct auth_conn *a, int err, char *out, size_t cap)
{
	const char *why = auth_why(a, err);
	char other[64];

	/* Every other X.509 error (a malformed certificate, say) by number. */
	if (why == NULL && err > BR_ERR_X509_OK && err <= BR_ERR_X509_NOT_TRUSTED) {
		snprintf(other, sizeof(other), "not a valid X.509 chain (BearSSL error %d)", err);
		why = other;
	}
	if (why == NULL || cap == 0)
		return 0;
	snprintf(out, cap, "client certificate refused: %s", why);
	auth_put_leaf(a, out, cap);
	return 1;
}

void
auth_conn_free(struct auth_conn *a)
{
	if (a == NULL)
		return;
	auth_trust_put(a->trust);
	free(a);
}
