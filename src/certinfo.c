/*
 * certinfo.c: a bounded DER walk over an X.509 certificate (RFC 5280
 * section 4.1) for the fields certinfo.h reports. Only definite lengths of
 * at most four bytes are read; anything else stops the walk.
 */
#include <stdio.h>
#include <string.h>

#include "buf.h"
#include "certinfo.h"

const char *const certinfo_problem_names[NUM_CERT_PROBLEMS] = {
	"expired", "not_yet_valid", "expiring_soon", "no_san",
};

struct der {
	const unsigned char	*p;
	size_t			 n;
};

/* Takes the next TLV of d: its tag and contents. Returns 0 or -1. */
static int
der_next(struct der *d, int *tag, struct der *val)
{
	size_t len, k, i = 2;

	if (d->n < 2)
		return -1;
	*tag = d->p[0];
	len = d->p[1];
	if (len & 0x80) {
		k = len & 0x7f;
		if (k == 0 || k > 4 || d->n < 2 + k)
			return -1;
		for (len = 0; k > 0; k--)
			len = len << 8 | d->p[i++];
	}
	if (len > d->n - i)
		return -1;
	val->p = d->p + i;
	val->n = len;
	d->p += i + len;
	d->n -= i + len;
	return 0;
}

/* Days from 1970-01-01 to y-m-d (proleptic Gregorian; Howard Hinnant's). */
static int64_t
days_from_civil(int64_t y, unsigned m, unsigned d)
{
	int64_t era;
	unsigned yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = (unsigned)(y - era * 400);
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (int64_t)doe - 719468;
}

static int
two_digits(const unsigned char *s)
{
	if (s[0] < '0' || s[0] > '9' || s[1] < '0' || s[1] > '9')
		return -1;
	return (s[0] - '0') * 10 + (s[1] - '0');
}

/* UTCTime (23) YYMMDDHHMMSSZ or GeneralizedTime (24) YYYYMMDDHHMMSSZ. */
static int
der_time(int tag, const struct der *v, int64_t *out)
{
	const unsigned char *s = v->p;
	int y, f[5], i;

	if (tag == 23 && v->n == 13) {
		y = two_digits(s);
		y += y < 50 ? 2000 : 1900;	/* RFC 5280 4.1.2.5.1 */
		s += 2;
	} else if (tag == 24 && v->n == 15) {
		y = two_digits(s) * 100 + two_digits(s + 2);
		s += 4;
	} else {
		return -1;
	}
	for (i = 0; i < 5; i++)
		if ((f[i] = two_digits(s + 2 * i)) < 0)
			return -1;
	if (y < 0 || s[10] != 'Z' || f[0] < 1 || f[0] > 12)
		return -1;
	*out = days_from_civil(y, (unsigned)f[0], (unsigned)f[1]) * 86400 +
	    f[2] * 3600 + f[3] * 60 + f[4];
	return 0;
}

/* Appends "CN=<value>" of the subject Name, when it has a CN. */
static void
der_subject(struct der name, char *out, size_t cap)
{
	static const unsigned char cn[] = { 0x55, 0x04, 0x03 };
	struct der set, atv, oid, val;
	int tag;

	while (der_next(&name, &tag, &set) == 0)
		while (der_next(&set, &tag, &atv) == 0)
			if (der_next(&atv, &tag, &oid) == 0 && tag == 0x06 &&
			    oid.n == 3 && memcmp(oid.p, cn, 3) == 0 &&
			    der_next(&atv, &tag, &val) == 0)
				snprintf(out, cap, "CN=%.*s", (int)val.n, (const char *)val.p);
}

/* Writes the SAN entries of the extension value (GeneralNames). */
static void
der_sans(struct der v, char *out, size_t cap)
{
	struct der names, gn;
	struct buf b;
	int tag;
	size_t i;

	buf_init(&b, out, cap - 1);
	if (der_next(&v, &tag, &names) < 0 || tag != 0x30)
		return;
	while (der_next(&names, &tag, &gn) == 0) {
		if (b.len > 0)
			buf_puts(&b, ", ");
		if (tag == 0x82) {			/* [2] dNSName */
			buf_puts(&b, "DNS:");
			buf_put(&b, (const char *)gn.p, gn.n);
		} else if (tag == 0x87 && gn.n == 4) {	/* [7] iPAddress v4 */
			char ip[16];

			snprintf(ip, sizeof(ip), "%u.%u.%u.%u", gn.p[0], gn.p[1],
			    gn.p[2], gn.p[3]);
			buf_puts(&b, "IP:");
			buf_puts(&b, ip);
		} else if (tag == 0x87 && gn.n == 16) {	/* v6, uncompressed */
			buf_puts(&b, "IP:");
			for (i = 0; i < 16; i += 2) {
				char h[6];

				snprintf(h, sizeof(h), "%s%x", i ? ":" : "",
				    gn.p[i] << 8 | gn.p[i + 1]);
				buf_puts(&b, h);
			}
		} else {
			buf_puts(&b, "other");
		}
	}
	out[b.overflow ? cap - 1 : b.len] = '\0';
}

/* Finds subjectAltName (2.5.29.17) among the [3] extensions. */
static int
der_find_sans(struct der exts, char *out, size_t cap)
{
	static const unsigned char san[] = { 0x55, 0x1d, 0x11 };
	struct der seq, ext, oid, v;
	int tag;

	if (der_next(&exts, &tag, &seq) < 0 || tag != 0x30)
		return 0;
	while (der_next(&seq, &tag, &ext) == 0) {
		if (der_next(&ext, &tag, &oid) < 0 || tag != 0x06 || oid.n != 3 ||
		    memcmp(oid.p, san, 3) != 0)
			continue;
		if (der_next(&ext, &tag, &v) == 0 && tag == 0x01)	/* critical */
			(void)der_next(&ext, &tag, &v);
		if (tag != 0x04)
			return 0;
		der_sans(v, out, cap);
		return 1;
	}
	return 0;
}

int
certinfo_read(const unsigned char *der, size_t n, int64_t now, struct certinfo *ci)
{
	struct der d = { der, n }, cert, tbs, f, t;
	int tag, i, have_san = 0;

	memset(ci, 0, sizeof(*ci));
	if (der_next(&d, &tag, &cert) < 0 || der_next(&cert, &tag, &tbs) < 0)
		return -1;
	/* [0] version (optional), serial, signature, issuer, validity,
	 * subject, subjectPublicKeyInfo, then [1] [2] [3] optional. */
	if (der_next(&tbs, &tag, &f) < 0)
		return -1;
	if (tag == 0xa0 && der_next(&tbs, &tag, &f) < 0)	/* serial */
		return -1;
	for (i = 0; i < 2; i++)				/* signature, issuer */
		if (der_next(&tbs, &tag, &f) < 0)
			return -1;
	if (der_next(&tbs, &tag, &f) < 0 || tag != 0x30 ||	/* validity */
	    der_next(&f, &tag, &t) < 0 || der_time(tag, &t, &ci->not_before) < 0 ||
	    der_next(&f, &tag, &t) < 0 || der_time(tag, &t, &ci->not_after) < 0)
		return -1;
	if (der_next(&tbs, &tag, &f) < 0)			/* subject */
		return -1;
	der_subject(f, ci->subject, sizeof(ci->subject));
	if (der_next(&tbs, &tag, &f) < 0)			/* spki */
		return -1;
	while (der_next(&tbs, &tag, &f) == 0)
		if (tag == 0xa3)
			have_san = der_find_sans(f, ci->sans, sizeof(ci->sans));
	if (now >= ci->not_after)
		ci->problems |= CERT_EXPIRED;
	else if (ci->not_after - now < (int64_t)CERTINFO_WARN_DAYS * 86400)
		ci->problems |= CERT_EXPIRING;
	if (now < ci->not_before)
		ci->problems |= CERT_NOT_YET_VALID;
	if (!have_san || ci->sans[0] == '\0')
		ci->problems |= CERT_NO_SAN;
	return 0;
}
