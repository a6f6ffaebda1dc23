/*
 * ostr.c: the offline commands' growable string (see ostr.h).
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "json.h"
#include "ostr.h"

/* Makes room for n more bytes plus the NUL, doubling; sets nomem on failure. */
void
ostr_reserve(struct ostr *s, size_t n)
{
	size_t cap = s->cap ? s->cap : 256;
	char *q;

	if (s->nomem)
		return;
	if (n >= ((size_t)-1 >> 2) - s->len) {
		s->nomem = 1;
		return;
	}
	while (cap - s->len <= n)
		cap *= 2;
	if (cap == s->cap)
		return;
	if ((q = realloc(s->p, cap)) == NULL) {
		s->nomem = 1;
		return;
	}
	s->p = q;
	s->cap = cap;
}

void
ostr_put(struct ostr *s, const char *p, size_t n)
{
	ostr_reserve(s, n);
	if (s->nomem)
		return;
	memcpy(s->p + s->len, p, n);
	s->len += n;
	s->p[s->len] = '\0';
}

void
ostr_puts(struct ostr *s, const char *p)
{
	ostr_put(s, p, strlen(p));
}

void
ostr_putc(struct ostr *s, char c)
{
	ostr_put(s, &c, 1);
}

/* Appends p[0, n) as a quoted JSON string (json_put_str: invalid UTF-8 -> U+FFFD). */
void
ostr_put_json(struct ostr *s, const char *p, size_t n)
{
	struct buf b;

	ostr_reserve(s, n * 6 + 2);
	if (s->nomem)
		return;
	buf_init(&b, s->p + s->len, s->cap - s->len - 1);
	json_put_str(&b, p, n);
	s->len += b.len;
	s->p[s->len] = '\0';
}

void
ostr_put_u64(struct ostr *s, unsigned long long v)
{
	char tmp[24];

	snprintf(tmp, sizeof(tmp), "%llu", v);
	ostr_puts(s, tmp);
}

void
ostr_printf(struct ostr *s, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	ostr_reserve(s, (size_t)n);
	if (s->nomem)
		return;
	va_start(ap, fmt);
	vsnprintf(s->p + s->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	s->len += (size_t)n;
}

void
ostr_free(struct ostr *s)
{
	free(s->p);
	s->p = NULL;
	s->len = s->cap = 0;
	s->nomem = 0;
}

/* The content as a C string ("" when empty). */
const char *
ostr_str(const struct ostr *s)
{
	return s->p != NULL ? s->p : "";
}
