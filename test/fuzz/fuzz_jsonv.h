/*
 * fuzz_jsonv.h: the fuzz harnesses' own JSON reader, independent of
 * src/json.c so that it can judge it: a strict RFC 8259 recognizer that
 * can also build a small tree (for the JSONPatch applier in fuzz_review).
 *
 * Header-only (static inline functions) because each fuzz binary is one
 * translation unit plus the real sources. Not for production: it
 * allocates freely and recurses (bounded by the caller's max depth).
 *
 * Objects keep the LAST value of a duplicated key, in the first key's
 * place: what Go's encoding/json (the apiserver, evanphx/json-patch)
 * sees. Strings that are not valid UTF-8 are accepted unless the caller
 * asks for strict UTF-8 (Go accepts them and reads U+FFFD instead).
 */
#ifndef FUZZ_JSONV_H
#define FUZZ_JSONV_H

#include <stddef.h>
#include <stdlib.h>
#include <string.h>

enum jsonv_result {
	JSONV_OK,		/* a valid document with an object at the top */
	JSONV_NOTOBJ,		/* valid, but the top is not an object */
	JSONV_SYNTAX,		/* not JSON (or, strict, not UTF-8) */
	JSONV_DEEP		/* nested deeper than the limit */
};

/* Flags of jsonv_read(). */
#define JV_UTF8		1	/* strings must be valid UTF-8 (RFC 8259 8.1) */
#define JV_LAX_CTL	2	/* accept raw control bytes in strings */

enum jv_type { JV_NULL, JV_BOOL, JV_NUMBER, JV_STRING, JV_OBJECT, JV_ARRAY };

/* One value. Strings are unescaped (s, n); numbers and literals raw. */
struct jv {
	enum jv_type	  type;
	char		 *s;
	size_t		  n;
	struct jv	**kid;		/* members or elements */
	char		**key;		/* object member names, unescaped */
	size_t		 *klen;
	size_t		  nkid, cap;
};

struct jv_reader {
	const char	*s;
	size_t		 n, i;
	int		 depth, max_depth, flags, build, deep;
};

static size_t jsonv_error_at;	/* byte where the last check failed */

static inline void
jv_free(struct jv *v)
{
	size_t k;

	if (v == NULL)
		return;
	for (k = 0; k < v->nkid; k++) {
		jv_free(v->kid[k]);
		if (v->key != NULL)
			free(v->key[k]);
	}
	free(v->kid);
	free(v->key);
	free(v->klen);
	free(v->s);
	free(v);
}

static inline struct jv *
jv_new(enum jv_type t)
{
	struct jv *v = calloc(1, sizeof(*v));

	if (v == NULL)
		abort();
	v->type = t;
	return v;
}

static inline void *
jv_grow(void *p, size_t n, size_t size)
{
	p = realloc(p, n * size);
	if (p == NULL && n > 0)
		abort();
	return p;
}

/* Appends a member (key may be NULL for arrays); takes ownership. */
static inline void
jv_push(struct jv *c, char *key, size_t klen, struct jv *v)
{
	if (c->nkid == c->cap) {
		c->cap = c->cap ? 2 * c->cap : 4;
		c->kid = jv_grow(c->kid, c->cap, sizeof(*c->kid));
		if (c->type == JV_OBJECT) {
			c->key = jv_grow(c->key, c->cap, sizeof(*c->key));
			c->klen = jv_grow(c->klen, c->cap, sizeof(*c->klen));
		}
	}
	c->kid[c->nkid] = v;
	if (c->type == JV_OBJECT) {
		c->key[c->nkid] = key;
		c->klen[c->nkid] = klen;
	}
	c->nkid++;
}

/* Index of member key in object o, or -1. */
static inline long
jv_find(const struct jv *o, const char *key, size_t klen)
{
	size_t k;

	if (o == NULL || o->type != JV_OBJECT)
		return -1;
	for (k = 0; k < o->nkid; k++)
		if (o->klen[k] == klen && memcmp(o->key[k], key, klen) == 0)
			return (long)k;
	return -1;
}

static inline struct jv *
jv_get(const struct jv *o, const char *key)
{
	long k = jv_find(o, key, strlen(key));

	return k < 0 ? NULL : o->kid[k];
}

static inline void
jv_ws(struct jv_reader *r)
{
	while (r->i < r->n && (r->s[r->i] == ' ' || r->s[r->i] == '\t' ||
	    r->s[r->i] == '\n' || r->s[r->i] == '\r'))
		r->i++;
}

static inline int
jv_hex(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static inline int
jv_u4(struct jv_reader *r, unsigned *out)
{
	unsigned v = 0;
	int k, h;

	if (r->i + 4 > r->n)
		return 0;
	for (k = 0; k < 4; k++) {
		if ((h = jv_hex(r->s[r->i + (size_t)k])) < 0)
			return 0;
		v = v << 4 | (unsigned)h;
	}
	r->i += 4;
	*out = v;
	return 1;
}

/* Length of a valid UTF-8 sequence at s[0..n) (RFC 3629), 0 if none. */
static inline size_t
jv_utf8(const unsigned char *s, size_t n)
{
	unsigned cp;
	size_t len, k;

	if (n == 0)
		return 0;
	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		len = 2, cp = s[0] & 0x1fu;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		len = 3, cp = s[0] & 0x0fu;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		len = 4, cp = s[0] & 0x07u;
	else
		return 0;
	if (n < len)
		return 0;
	for (k = 1; k < len; k++) {
		if ((s[k] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (s[k] & 0x3fu);
	}
	if ((len == 3 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) ||
	    (len == 4 && (cp < 0x10000 || cp > 0x10ffff)))
		return 0;
	return len;
}

static inline int
jv_all_utf8(const char *s, size_t n)
{
	size_t i = 0, k;

	while (i < n) {
		if ((k = jv_utf8((const unsigned char *)s + i, n - i)) == 0)
			return 0;
		i += k;
	}
	return 1;
}

static inline void
jv_put_cp(char *o, size_t *on, unsigned cp)
{
	if (cp < 0x80) {
		o[(*on)++] = (char)cp;
	} else if (cp < 0x800) {
		o[(*on)++] = (char)(0xc0 | cp >> 6);
		o[(*on)++] = (char)(0x80 | (cp & 0x3f));
	} else if (cp < 0x10000) {
		o[(*on)++] = (char)(0xe0 | cp >> 12);
		o[(*on)++] = (char)(0x80 | (cp >> 6 & 0x3f));
		o[(*on)++] = (char)(0x80 | (cp & 0x3f));
	} else {
		o[(*on)++] = (char)(0xf0 | cp >> 18);
		o[(*on)++] = (char)(0x80 | (cp >> 12 & 0x3f));
		o[(*on)++] = (char)(0x80 | (cp >> 6 & 0x3f));
		o[(*on)++] = (char)(0x80 | (cp & 0x3f));
	}
}

/*
 * Reads a string at r->i (the opening quote). Returns 1 and, when
 * building, the unescaped bytes in *out, *olen (malloc'd); 0 on error.
 * A lone surrogate escape reads as U+FFFD, as Go reads it, or is an
 * error with JV_UTF8 (RFC 8259 section 8.2: not interoperable).
 */
static inline int
jv_string(struct jv_reader *r, char **out, size_t *olen)
{
	size_t start = ++r->i, on = 0, k;
	char *o = NULL;
	unsigned cp, lo;
	unsigned char c;

	if (r->build) {
		/* Unescaping never grows a string. */
		o = malloc(r->n - start + 1);
		if (o == NULL)
			abort();
	}
	for (;;) {
		if (r->i >= r->n)
			goto fail;
		c = (unsigned char)r->s[r->i];
		if (c == '"')
			break;
		if (c < 0x20 && !(r->flags & JV_LAX_CTL))
			goto fail;
		if (c != '\\') {
			k = 1;
			if ((r->flags & JV_UTF8) && c >= 0x80 &&
			    (k = jv_utf8((const unsigned char *)r->s + r->i, r->n - r->i)) == 0)
				goto fail;
			if (o != NULL)
				memcpy(o + on, r->s + r->i, k);
			on += k;
			r->i += k;
			continue;
		}
		if (++r->i >= r->n)
			goto fail;
		c = (unsigned char)r->s[r->i++];
		switch (c) {
		case '"': case '\\': case '/':	cp = c; break;
		case 'b':	cp = '\b'; break;
		case 'f':	cp = '\f'; break;
		case 'n':	cp = '\n'; break;
		case 'r':	cp = '\r'; break;
		case 't':	cp = '\t'; break;
		case 'u':
			if (!jv_u4(r, &cp))
				goto fail;
			if (cp < 0xd800 || cp > 0xdfff)
				break;
			lo = 0;
			if (cp <= 0xdbff && r->i + 6 <= r->n && r->s[r->i] == '\\' &&
			    r->s[r->i + 1] == 'u') {
				r->i += 2;
				if (!jv_u4(r, &lo))
					goto fail;
				if (lo < 0xdc00 || lo > 0xdfff)
					r->i -= 6;	/* not a pair: read it again */
			}
			if (lo >= 0xdc00 && lo <= 0xdfff)
				cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
			else if (r->flags & JV_UTF8)
				goto fail;
			else
				cp = 0xfffd;	/* Go's reading of a lone surrogate */
			break;
		default:
			goto fail;
		}
		if (o != NULL)
			jv_put_cp(o, &on, cp);
		else
			on += 4;
	}
	r->i++;
	if (o != NULL)
		o[on] = '\0';	/* also a C string (without inner NULs) */
	if (out != NULL) {
		*out = o;
		*olen = on;
	} else {
		free(o);
	}
	return 1;
fail:
	free(o);
	return 0;
}

static inline int
jv_digits(struct jv_reader *r)
{
	size_t s = r->i;

	while (r->i < r->n && r->s[r->i] >= '0' && r->s[r->i] <= '9')
		r->i++;
	return r->i > s;
}

static inline int
jv_number(struct jv_reader *r)
{
	if (r->i < r->n && r->s[r->i] == '-')
		r->i++;
	if (r->i < r->n && r->s[r->i] == '0')
		r->i++;
	else if (!jv_digits(r))
		return 0;
	if (r->i < r->n && r->s[r->i] == '.') {
		r->i++;
		if (!jv_digits(r))
			return 0;
	}
	if (r->i < r->n && (r->s[r->i] == 'e' || r->s[r->i] == 'E')) {
		r->i++;
		if (r->i < r->n && (r->s[r->i] == '+' || r->s[r->i] == '-'))
			r->i++;
		if (!jv_digits(r))
			return 0;
	}
	return 1;
}

static inline int
jv_lit(struct jv_reader *r, const char *lit)
{
	size_t n = strlen(lit);

	if (r->n - r->i < n || memcmp(r->s + r->i, lit, n) != 0)
		return 0;
	r->i += n;
	return 1;
}

static inline int jv_value(struct jv_reader *r, struct jv **out);

/* Object member: replaces an earlier duplicate's value (Go keeps the last). */
static inline void
jv_member(struct jv *o, char *key, size_t klen, struct jv *v)
{
	long k = jv_find(o, key, klen);

	if (k < 0) {
		jv_push(o, key, klen, v);
		return;
	}
	free(key);
	jv_free(o->kid[k]);
	o->kid[k] = v;
}

static inline int
jv_container(struct jv_reader *r, struct jv **out, int obj)
{
	struct jv *c = r->build ? jv_new(obj ? JV_OBJECT : JV_ARRAY) : NULL;
	struct jv *v = NULL;
	char *key = NULL;
	size_t klen = 0;
	char close = obj ? '}' : ']';

	if (++r->depth > r->max_depth) {
		r->deep = 1;
		goto fail;
	}
	r->i++;
	jv_ws(r);
	if (r->i < r->n && r->s[r->i] == close)
		goto done;
	for (;;) {
		jv_ws(r);
		if (obj) {
			if (r->i >= r->n || r->s[r->i] != '"' ||
			    !jv_string(r, r->build ? &key : NULL, &klen))
				goto fail;
			jv_ws(r);
			if (r->i >= r->n || r->s[r->i] != ':')
				goto fail;
			r->i++;
		}
		if (!jv_value(r, r->build ? &v : NULL))
			goto fail;
		if (c != NULL) {
			if (obj)
				jv_member(c, key, klen, v);
			else
				jv_push(c, NULL, 0, v);
		}
		key = NULL;
		v = NULL;
		jv_ws(r);
		if (r->i < r->n && r->s[r->i] == ',') {
			r->i++;
			continue;
		}
		if (r->i < r->n && r->s[r->i] == close)
			break;
		goto fail;
	}
done:
	r->i++;
	r->depth--;
	if (out != NULL)
		*out = c;
	else
		jv_free(c);
	return 1;
fail:
	free(key);
	jv_free(c);
	return 0;
}

static inline int
jv_value(struct jv_reader *r, struct jv **out)
{
	size_t start;
	struct jv *v;
	char *s = NULL;
	size_t sn = 0;
	enum jv_type t;

	jv_ws(r);
	if (r->i >= r->n)
		return 0;
	start = r->i;
	switch (r->s[r->i]) {
	case '{':
	case '[':
		return jv_container(r, out, r->s[r->i] == '{');
	case '"':
		if (!jv_string(r, out != NULL ? &s : NULL, &sn))
			return 0;
		t = JV_STRING;
		break;
	case 't':
		if (!jv_lit(r, "true"))
			return 0;
		t = JV_BOOL;
		break;
	case 'f':
		if (!jv_lit(r, "false"))
			return 0;
		t = JV_BOOL;
		break;
	case 'n':
		if (!jv_lit(r, "null"))
			return 0;
		t = JV_NULL;
		break;
	default:
		if (!jv_number(r))
			return 0;
		t = JV_NUMBER;
		break;
	}
	if (out == NULL)
		return 1;
	v = jv_new(t);
	if (t == JV_STRING) {
		v->s = s;
		v->n = sn;
	} else {
		v->n = r->i - start;
		v->s = malloc(v->n + 1);
		if (v->s == NULL)
			abort();
		memcpy(v->s, r->s + start, v->n);
		v->s[v->n] = '\0';
	}
	*out = v;
	return 1;
}

/*
 * Reads s[0..n) as one JSON document (whitespace around it allowed),
 * with flags JV_UTF8 and JV_LAX_CTL.
 * When out is not NULL the tree is built there (NULL on failure).
 */
static inline enum jsonv_result
jsonv_read(const char *s, size_t n, int max_depth, int flags, struct jv **out)
{
	struct jv_reader r;
	struct jv *v = NULL;
	int ok;

	memset(&r, 0, sizeof(r));
	r.s = s;
	r.n = n;
	r.max_depth = max_depth;
	r.flags = flags;
	r.build = out != NULL;
	if (out != NULL)
		*out = NULL;
	ok = jv_value(&r, out != NULL ? &v : NULL);
	if (ok) {
		jv_ws(&r);
		ok = r.i == n;
	}
	if (!ok) {
		jsonv_error_at = r.i;
		jv_free(v);
		return r.deep ? JSONV_DEEP : JSONV_SYNTAX;
	}
	if (out != NULL)
		*out = v;
	r.i = 0;
	jv_ws(&r);
	return r.s[r.i] == '{' ? JSONV_OK : JSONV_NOTOBJ;
}

static inline enum jsonv_result
jsonv_check(const char *s, size_t n, int max_depth, int flags)
{
	return jsonv_read(s, n, max_depth, flags, NULL);
}

/* Growable output for the writer. */
struct jv_out {
	char	*p;
	size_t	 n, cap;
};

static inline void
jv_out(struct jv_out *o, const char *s, size_t n)
{
	if (o->n + n + 1 > o->cap) {
		o->cap = 2 * (o->n + n + 1);
		o->p = jv_grow(o->p, o->cap, 1);
	}
	memcpy(o->p + o->n, s, n);
	o->n += n;
	o->p[o->n] = '\0';
}

/* Writes a string as JSON; invalid UTF-8 becomes U+FFFD, as Go does. */
static inline void
jv_write_str(struct jv_out *o, const char *s, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	char esc[6] = { '\\', 'u', '0', '0', 0, 0 };
	size_t i = 0, k;
	unsigned char c;

	jv_out(o, "\"", 1);
	while (i < n) {
		c = (unsigned char)s[i];
		if (c == '"' || c == '\\') {
			esc[1] = (char)c;
			jv_out(o, esc, 2);
			esc[1] = 'u';
			k = 1;
		} else if (c < 0x20) {
			esc[4] = hex[c >> 4];
			esc[5] = hex[c & 15];
			jv_out(o, esc, 6);
			k = 1;
		} else if ((k = jv_utf8((const unsigned char *)s + i, n - i)) == 0) {
			jv_out(o, "\\ufffd", 6);
			k = 1;
		} else {
			jv_out(o, s + i, k);
		}
		i += k;
	}
	jv_out(o, "\"", 1);
}

static inline void
jv_write(struct jv_out *o, const struct jv *v)
{
	size_t k;

	switch (v->type) {
	case JV_STRING:
		jv_write_str(o, v->s, v->n);
		return;
	case JV_OBJECT:
	case JV_ARRAY:
		jv_out(o, v->type == JV_OBJECT ? "{" : "[", 1);
		for (k = 0; k < v->nkid; k++) {
			if (k > 0)
				jv_out(o, ",", 1);
			if (v->type == JV_OBJECT) {
				jv_write_str(o, v->key[k], v->klen[k]);
				jv_out(o, ":", 1);
			}
			jv_write(o, v->kid[k]);
		}
		jv_out(o, v->type == JV_OBJECT ? "}" : "]", 1);
		return;
	default:
		jv_out(o, v->s, v->n);
	}
}

static inline int
jv_equal(const struct jv *a, const struct jv *b)
{
	size_t k;
	long j;

	if (a == NULL || b == NULL)
		return a == b;
	if (a->type != b->type || a->nkid != b->nkid)
		return 0;
	if (a->type == JV_OBJECT) {
		for (k = 0; k < a->nkid; k++)
			if ((j = jv_find(b, a->key[k], a->klen[k])) < 0 ||
			    !jv_equal(a->kid[k], b->kid[j]))
				return 0;
		return 1;
	}
	if (a->type == JV_ARRAY) {
		for (k = 0; k < a->nkid; k++)
			if (!jv_equal(a->kid[k], b->kid[k]))
				return 0;
		return 1;
	}
	return a->n == b->n && memcmp(a->s, b->s, a->n) == 0;
}

static inline struct jv *
jv_copy(const struct jv *v)
{
	struct jv *c = jv_new(v->type);
	size_t k;
	char *key;

	if (v->s != NULL) {
		c->s = malloc(v->n + 1);
		if (c->s == NULL)
			abort();
		memcpy(c->s, v->s, v->n);
		c->s[v->n] = '\0';
		c->n = v->n;
	}
	for (k = 0; k < v->nkid; k++) {
		key = NULL;
		if (v->type == JV_OBJECT) {
			key = malloc(v->klen[k] + 1);
			if (key == NULL)
				abort();
			memcpy(key, v->key[k], v->klen[k]);
			key[v->klen[k]] = '\0';
		}
		jv_push(c, key, key ? v->klen[k] : 0, jv_copy(v->kid[k]));
	}
	return c;
}

#endif
