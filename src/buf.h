/*
 * buf.h: a bounded output buffer whose overflow is sticky.
 *
 * Writers never check for space: a write past cap sets overflow and writes
 * nothing more, and the caller checks overflow once at the end (a response
 * that did not fit becomes an error, never a truncated JSON document).
 */
#ifndef TINYHOOK_BUF_H
#define TINYHOOK_BUF_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

struct buf {
	char	*p;
	size_t	 len, cap;
	int	 overflow;	/* set by any write past cap; checked once at the end */
};

static inline void
buf_init(struct buf *b, char *p, size_t cap)
{
	b->p = p;
	b->len = 0;
	b->cap = cap;
	b->overflow = 0;
}

/* Appends n bytes of s, or marks the buffer overflowed. */
static inline void
buf_put(struct buf *b, const void *s, size_t n)
{
	if (b->overflow || n > b->cap - b->len) {
		b->overflow = 1;
		return;
	}
	memcpy(b->p + b->len, s, n);
	b->len += n;
}

static inline void
buf_puts(struct buf *b, const char *s)
{
	buf_put(b, s, strlen(s));
}

static inline void
buf_putc(struct buf *b, char c)
{
	buf_put(b, &c, 1);
}

/* Appends the decimal form of v. */
static inline void
buf_put_u64(struct buf *b, uint64_t v)
{
	char tmp[20];
	size_t i = sizeof(tmp);

	do {
		tmp[--i] = (char)('0' + v % 10);
		v /= 10;
	} while (v != 0);
	buf_put(b, tmp + i, sizeof(tmp) - i);
}

#endif
