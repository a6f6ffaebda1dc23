/*
 * json_int.h: what the json*.c files share and nothing else includes: the
 * jsmn token type, and the grammar pieces two of them use.
 *
 *   json.c       tokenizing (jsmn) and the token store: json_parse()
 *   json_walk.c  reading the tokens: types, lookups, paths, numbers
 *   json_str.c   strings: unescaping, comparing, copying, UTF-8, writing
 *   json_text.c  json_valid_value(): one value checked as text, no tokens
 *
 * jsmn's implementation lives in json.c alone (it defines JSON_TOKENIZER
 * before including this header); the others see only its declarations.
 */
#ifndef TINYHOOK_JSON_INT_H
#define TINYHOOK_JSON_INT_H

#include <stddef.h>

#ifndef JSON_TOKENIZER
#define JSMN_HEADER
#endif
#include "jsmn.h"
#include "json.h"

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

static inline int
json_is_ws(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/*
 * Skips the number at s[*i] (RFC 8259 section 6); true when one was there.
 * The one number grammar: the token check (json.c) and json_valid_value()
 * (json_text.c) both use it.
 */
int	json_number(const char *s, size_t n, size_t *i);

/* The four hex digits at s[i, i + 4) as *out; 0 when they are not. */
int	json_hex4(const char *s, size_t n, size_t i, unsigned *out);

#endif
