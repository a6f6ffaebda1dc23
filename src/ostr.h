/*
 * ostr.h: a growable byte string for the offline commands (`tinyhook
 * review`, `tinyhook test`), which may allocate; the server never uses it.
 *
 * Errors are sticky like buf.h's overflow: a failed allocation sets nomem,
 * later writes do nothing, and the caller checks nomem once. p is always
 * NUL-terminated once anything was written (p is NULL before).
 */
#ifndef TINYHOOK_OSTR_H
#define TINYHOOK_OSTR_H

#include <stddef.h>

struct ostr {
	char	*p;
	size_t	 len, cap;
	int	 nomem;		/* an allocation failed; the content is incomplete */
};

#define OSTR_INIT	{ NULL, 0, 0, 0 }

void	ostr_put(struct ostr *s, const char *p, size_t n);
void	ostr_puts(struct ostr *s, const char *p);
void	ostr_putc(struct ostr *s, char c);
void	ostr_put_json(struct ostr *s, const char *p, size_t n);
void	ostr_put_u64(struct ostr *s, unsigned long long v);
void	ostr_printf(struct ostr *s, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));
void	ostr_reserve(struct ostr *s, size_t n);
void	ostr_free(struct ostr *s);
const char *ostr_str(const struct ostr *s);

#endif
