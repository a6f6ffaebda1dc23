/*
 * fuzz_patch.h: the fuzz harness's own RFC 6902 applier (add, replace,
 * remove) on fuzz_jsonv.h trees, and a strict base64 decoder: enough to
 * apply a mutating webhook's answer to the object the way the apiserver
 * does (evanphx/json-patch) and ask the webhook again (CONTRACT rule 23).
 * Independent of src/patch.c on purpose: it judges it.
 */
#ifndef FUZZ_PATCH_H
#define FUZZ_PATCH_H

#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_jsonv.h"

/*
 * Decodes padded standard base64 (RFC 4648 section 4), the encoding
 * CONTRACT rule 20 requires. Returns a malloc'd buffer with *n bytes, or
 * NULL when s is not exactly that (bad length, alphabet or padding).
 */
static inline char *
fuzz_unbase64(const char *s, size_t len, size_t *n)
{
	static const char a[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	char *out;
	size_t i, o = 0, pad = 0;
	unsigned v, k;
	const char *p;
	int j;

	if (len % 4 != 0)
		return NULL;
	if (len > 0 && s[len - 1] == '=')
		pad++;
	if (len > 1 && s[len - 2] == '=')
		pad++;
	out = malloc(len / 4 * 3 + 1);
	if (out == NULL)
		abort();
	for (i = 0; i < len; i += 4) {
		v = 0;
		for (j = 0; j < 4; j++) {
			k = 0;
			if (i + (size_t)j >= len - pad) {
				if (s[i + (size_t)j] != '=')
					goto bad;
			} else if (s[i + (size_t)j] == '\0' ||
			    (p = strchr(a, s[i + (size_t)j])) == NULL) {
				goto bad;
			} else {
				k = (unsigned)(p - a);
			}
			v = v << 6 | k;
		}
		out[o++] = (char)(v >> 16);
		out[o++] = (char)(v >> 8 & 0xff);
		out[o++] = (char)(v & 0xff);
	}
	/* Padding must come from zero bits (canonical encoding). */
	if ((pad == 1 && out[o - 1] != 0) || (pad == 2 && (out[o - 1] | out[o - 2]) != 0))
		goto bad;
	*n = o - pad;
	return out;
bad:
	free(out);
	return NULL;
}

/* Removes member or element k of container c (freeing it). */
static inline void
jv_remove_at(struct jv *c, size_t k)
{
	jv_free(c->kid[k]);
	if (c->key != NULL)
		free(c->key[k]);
	memmove(c->kid + k, c->kid + k + 1, (c->nkid - k - 1) * sizeof(*c->kid));
	if (c->key != NULL) {
		memmove(c->key + k, c->key + k + 1, (c->nkid - k - 1) * sizeof(*c->key));
		memmove(c->klen + k, c->klen + k + 1, (c->nkid - k - 1) * sizeof(*c->klen));
	}
	c->nkid--;
}

/* Inserts v as element k of array c. */
static inline void
jv_insert_at(struct jv *c, size_t k, struct jv *v)
{
	jv_push(c, NULL, 0, v);
	memmove(c->kid + k + 1, c->kid + k, (c->nkid - 1 - k) * sizeof(*c->kid));
	c->kid[k] = v;
}

/*
 * Splits the JSON pointer (RFC 6901) at its last token: *parent_len is
 * the length of the parent's pointer, the token is unescaped into tok
 * (malloc'd). Returns 0 for "" (the whole document) or a bad pointer.
 */
static inline int
jv_ptr_last(const char *p, size_t n, size_t *parent_len, char **tok, size_t *tlen)
{
	size_t i, s, o = 0;
	char *t;

	if (n == 0 || p[0] != '/')
		return 0;
	for (s = n; p[s - 1] != '/'; s--)
		;
	t = malloc(n - s + 1);
	if (t == NULL)
		abort();
	for (i = s; i < n; i++) {
		if (p[i] == '~') {
			if (i + 1 >= n || (p[i + 1] != '0' && p[i + 1] != '1')) {
				free(t);
				return 0;
			}
			t[o++] = p[++i] == '0' ? '~' : '/';
		} else {
			t[o++] = p[i];
		}
	}
	*parent_len = s - 1;
	*tok = t;
	*tlen = o;
	return 1;
}

/* Array index token: "0" or digits without a leading zero; -1 if not. */
static inline long
jv_index(const char *t, size_t n)
{
	long v = 0;
	size_t i;

	if (n == 0 || n > 9 || (n > 1 && t[0] == '0'))
		return -1;
	for (i = 0; i < n; i++) {
		if (t[i] < '0' || t[i] > '9')
			return -1;
		v = v * 10 + (t[i] - '0');
	}
	return v;
}

/* The value at pointer p[0..n) in doc, or NULL. */
static inline struct jv *
jv_at(struct jv *doc, const char *p, size_t n)
{
	size_t plen, tlen;
	char *tok;
	struct jv *c;
	long k;

	if (n == 0)
		return doc;
	if (!jv_ptr_last(p, n, &plen, &tok, &tlen))
		return NULL;
	c = jv_at(doc, p, plen);
	k = -1;
	if (c != NULL && c->type == JV_OBJECT)
		k = jv_find(c, tok, tlen);
	else if (c != NULL && c->type == JV_ARRAY &&
	    (k = jv_index(tok, tlen)) >= (long)c->nkid)
		k = -1;
	free(tok);
	return k < 0 ? NULL : c->kid[k];
}

/*
 * Applies one operation to *doc. Returns 1, or 0 when it fails the way
 * evanphx/json-patch fails (missing parent or target, bad index).
 * Takes ownership of value.
 */
static inline int
jv_apply_op(struct jv **doc, const char *op, const char *p, size_t n,
    struct jv *value)
{
	size_t plen, tlen;
	char *tok = NULL;
	struct jv *c;
	long k = -1;
	int add = strcmp(op, "add") == 0, ok = 0;

	if (n == 0) {	/* the whole document */
		if (strcmp(op, "remove") == 0)
			goto out;
		jv_free(*doc);
		*doc = value;
		return 1;
	}
	if (!jv_ptr_last(p, n, &plen, &tok, &tlen) ||
	    (c = jv_at(*doc, p, plen)) == NULL)
		goto out;
	if (c->type == JV_OBJECT) {
		k = jv_find(c, tok, tlen);
		if (add && k < 0) {
			jv_push(c, tok, tlen, value);
			return 1;
		}
	} else if (c->type == JV_ARRAY) {
		k = tlen == 1 && tok[0] == '-' && add ? (long)c->nkid : jv_index(tok, tlen);
		if (k > (long)c->nkid || (!add && k == (long)c->nkid))
			k = -1;
		if (add && k >= 0) {
			jv_insert_at(c, (size_t)k, value);
			free(tok);
			return 1;
		}
	}
	if (k < 0)
		goto out;
	if (strcmp(op, "remove") == 0) {
		jv_remove_at(c, (size_t)k);
		jv_free(value);
	} else {	/* replace, or add over an existing member */
		jv_free(c->kid[k]);
		c->kid[k] = value;
	}
	ok = 1;
	value = NULL;
out:
	free(tok);
	jv_free(value);
	return ok;
}

#endif
