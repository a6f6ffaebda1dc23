/*
 * json_int.h: what the json*.c files share and nothing else includes: the
 * jsmn token type, token access, and json_hex4() (json_str.c and
 * json_text.c); the whitespace and number grammar is json_grammar.h's.
 *
 *   json.c       tokenizing (jsmn) and the token store: json_parse()
 *   json_walk.c  reading the tokens: types, lookups, paths, numbers
 *   json_str.c   strings: unescaping, comparing, copying, UTF-8, writing
 *   json_text.c  json_valid_value(): one value checked as text, no tokens
 *
 * jsmn's implementation lives in json.c alone, which includes jsmn.h and
 * json_grammar.h itself and not this header; the others see only jsmn's
 * declarations.
 */
#ifndef TINYHOOK_JSON_INT_H
#define TINYHOOK_JSON_INT_H

#include <stddef.h>

#define JSMN_HEADER
#include "jsmn.h"
#include "json.h"
#include "json_grammar.h"

#define TOK(d)	((const jsmntok_t *)(d)->tok)

/* True when v names a token of d (JSON_NONE and out of range do not). */
static inline int
json_valid(const struct json *d, int v)
{
	return v >= 0 && v < d->n;
}

/*
 * The raw bytes of string token v (json_raw() without its checks), or
 * NULL when v is not a string: for the string functions of json_str.c,
 * which would otherwise call into json_walk.c for every key they compare.
 */
static inline const char *
json_str_raw(const struct json *d, int v, size_t *n)
{
	const jsmntok_t *t;

	if (!json_valid(d, v) || (t = &TOK(d)[v])->type != JSMN_STRING)
		return NULL;
	*n = (size_t)(t->end - t->start);
	return d->s + t->start;
}

/* The four hex digits at s[i, i + 4) as *out; 0 when they are not. */
int	json_hex4(const char *s, size_t n, size_t i, unsigned *out);

#endif
