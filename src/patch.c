/*
 * patch.c: JSONPatch ops (RFC 6902) with RFC 6901 pointer escaping, and
 * standard padded base64 (RFC 4648 section 4), which is what Go's
 * encoding/json expects for the []byte "patch" field.
 */
#include <string.h>

#include "json.h"
#include "patch.h"

/* Starts an empty ops array in mem[0, cap). */
void
patch_init(struct patch *p, char *mem, size_t cap)
{
	buf_init(&p->b, mem, cap);
	p->nops = 0;
}

/* Opens operation op ("add", "replace", ...); the path follows. */
void
patch_op(struct patch *p, const char *op)
{
	buf_puts(&p->b, p->nops++ == 0 ? "[{\"op\":\"" : ",{\"op\":\"");
	buf_puts(&p->b, op);
	buf_puts(&p->b, "\",\"path\":\"");
}

/* Appends pointer text that is already escaped ("/spec/template/spec"). */
void
patch_ptr(struct patch *p, const char *ptr)
{
	buf_puts(&p->b, ptr);
}

/*
 * RFC 6901: '~' is written "~0" and '/' is "~1", so the label
 * "app.kubernetes.io/name" is the path token "app.kubernetes.io~1name".
 * The token sits inside a JSON string, so quote and backslash are escaped too.
 */
void
patch_token(struct patch *p, const char *s, size_t n)
{
	size_t i, run = 0;

	buf_putc(&p->b, '/');
	for (i = 0; i < n; i++) {
		if (s[i] != '~' && s[i] != '/')
			continue;
		json_put_esc(&p->b, s + run, i - run);
		buf_puts(&p->b, s[i] == '~' ? "~0" : "~1");
		run = i + 1;
	}
	json_put_esc(&p->b, s + run, n - run);
}

/* Appends an array index token ("/3"). */
void
patch_index(struct patch *p, int i)
{
	buf_putc(&p->b, '/');
	buf_put_u64(&p->b, (uint64_t)(i < 0 ? 0 : i));
}

/* Ends the path; the caller writes one JSON value into p->b next. */
void
patch_value(struct patch *p)
{
	buf_puts(&p->b, "\",\"value\":");
}

/* Closes the operation opened by patch_op. */
void
patch_end(struct patch *p)
{
	buf_putc(&p->b, '}');
}

/* One whole "add" of string v at the already escaped pointer ptr. */
void
patch_add_str(struct patch *p, const char *ptr, const char *v)
{
	patch_op(p, "add");
	patch_ptr(p, ptr);
	patch_value(p);
	json_put_cstr(&p->b, v);
	patch_end(p);
}

/*
 * The finished ops array (closing it on the first call), or NULL when no
 * operation was written or the buffer overflowed (check p->b.overflow).
 */
const char *
patch_json(struct patch *p, size_t *n)
{
	*n = 0;
	if (p->nops == 0 || p->b.overflow)
		return NULL;
	if (p->b.p[p->b.len - 1] != ']')
		buf_putc(&p->b, ']');
	if (p->b.overflow)
		return NULL;
	*n = p->b.len;
	return p->b.p;
}

/* The length of the padded base64 form of n bytes. */
size_t
patch_base64_len(size_t n)
{
	return (n + 2) / 3 * 4;
}

/* Appends the standard padded base64 of s[0, n) to out. */
void
patch_base64(struct buf *out, const char *s, size_t n)
{
	static const char b64[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	const unsigned char *u = (const unsigned char *)s;
	char *q;
	size_t i;
	unsigned v;

	if (out->overflow || patch_base64_len(n) > out->cap - out->len) {
		out->overflow = 1;
		return;
	}
	/* the room is checked: written in place, four bytes at a time */
	q = out->p + out->len;
	out->len += patch_base64_len(n);
	for (i = 0; i + 3 <= n; i += 3, q += 4) {
		v = (unsigned)u[i] << 16 | (unsigned)u[i + 1] << 8 | u[i + 2];
		q[0] = b64[v >> 18];
		q[1] = b64[(v >> 12) & 63];
		q[2] = b64[(v >> 6) & 63];
		q[3] = b64[v & 63];
	}
	if (i == n)
		return;
	v = (unsigned)u[i] << 16 | (i + 1 < n ? (unsigned)u[i + 1] << 8 : 0);
	q[0] = b64[v >> 18];
	q[1] = b64[(v >> 12) & 63];
	q[2] = i + 1 < n ? b64[(v >> 6) & 63] : '=';
	q[3] = '=';
}
