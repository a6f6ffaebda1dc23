/*
 * json.c: tokenizing. jsmn (strict, with our patches) builds the tokens
 * into a worker's store and checks the grammar; the literals and numbers
 * are checked here. The only file with jsmn's implementation; it reads no
 * tokens back, so it does not include json_int.h (the other json*.c files'
 * header).
 */
#include <stdlib.h>
#include <string.h>

#include "jsmn.h"		/* with its implementation: only here */
#include "json.h"
#include "json_grammar.h"
#include "limit.h"

/*
 * Releases the token array of st; st may be reused after (it starts empty).
 */
int (*json_store_hook)(size_t old_bytes, size_t new_bytes);

void
json_store_free(struct json_store *st)
{
	if (json_store_hook != NULL && st->tok != NULL)
		(void)json_store_hook((size_t)st->cap * sizeof(jsmntok_t), 0);
	free(st->tok);
	st->tok = NULL;
	st->cap = 0;
}

/*
 * Grows st to hold at least n tokens (never above JSON_MAX_TOKENS). Returns
 * JSON_OK, JSON_ERR_TOOBIG or JSON_ERR_NOMEM. The one allocation of the
 * engine after start-up: it happens only when a body needs more tokens than
 * any before it on this worker.
 */
int
json_store_reserve(struct json_store *st, int n)
{
	void *p;
	int cap = st->cap > 0 ? st->cap : JSON_MIN_TOKENS;

	if (n > JSON_MAX_TOKENS)
		return JSON_ERR_TOOBIG;
	if (n <= st->cap)
		return JSON_OK;
	while (cap < n)
		cap = cap > JSON_MAX_TOKENS / 2 ? JSON_MAX_TOKENS : cap * 2;
	if (json_store_hook != NULL && !json_store_hook((size_t)st->cap *
	    sizeof(jsmntok_t), (size_t)cap * sizeof(jsmntok_t)))
		return JSON_ERR_BUSY;
	p = realloc(st->tok, (size_t)cap * sizeof(jsmntok_t));
	if (p == NULL) {
		if (json_store_hook != NULL)
			(void)json_store_hook((size_t)cap * sizeof(jsmntok_t),
			    (size_t)st->cap * sizeof(jsmntok_t));
		return JSON_ERR_NOMEM;
	}
	st->tok = p;
	st->cap = cap;
	return JSON_OK;
}

/*
 * True when s[0, n) is a JSON literal or number (RFC 8259 section 6): jsmn's
 * strict mode only checks the first character of a primitive.
 */
static int
json_primitive_ok(const char *s, size_t n)
{
	size_t i = 0;

	if (n == 4 && (memcmp(s, "true", 4) == 0 || memcmp(s, "null", 4) == 0))
		return 1;
	if (n == 5 && memcmp(s, "false", 5) == 0)
		return 1;
	return json_number(s, n, &i) && i == n;
}

/*
 * What jsmn leaves to us: the grammar between tokens, control bytes in
 * strings, nesting depth and what may follow the top-level value are
 * jsmn's own (patches/jsmn-grammar.patch, refused while tokenizing);
 * strict jsmn looks only at a primitive's first byte, so the literals and
 * numbers are checked here. Go's decoder (the apiserver) refuses "tru" and
 * "01" as it refuses "[1 2]". On failure *at is the primitive's offset.
 */
static int
json_check_at(const char *s, const jsmntok_t *t, int n, size_t *at)
{
	int i;

	for (i = 0; i < n; i++)
		if (t[i].type == JSMN_PRIMITIVE && !json_primitive_ok(s +
		    t[i].start, (size_t)(t[i].end - t[i].start))) {
			*at = (size_t)t[i].start;
			return JSON_ERR_SYNTAX;
		}
	return n > 0 ? JSON_OK : JSON_ERR_SYNTAX;
}

/*
 * Tokenizes s[0, len) into st (growing it when needed, resuming jsmn where
 * it stopped) and checks its structure. The top level must be an object.
 * Returns JSON_OK or a json_err; on success d views s and st's tokens.
 */
int
json_parse(struct json *d, struct json_store *st, const char *s, size_t len)
{
	size_t at;

	return json_parse_at(d, st, s, len, &at);
}

/*
 * json_parse(), and on JSON_ERR_SYNTAX *at is the offset near which the
 * text stops being JSON (where jsmn stopped, or the first byte after the
 * last well-formed token), for an error message with a line and column.
 */
int
json_parse_at(struct json *d, struct json_store *st, const char *s, size_t len,
    size_t *at)
{
	jsmn_parser p;
	int r, err;

	*at = 0;

	memset(d, 0, sizeof(*d));
	if (len > JSON_MAX_LEN)
		return JSON_ERR_TOOBIG;
	if (st->cap == 0 && (err = json_store_reserve(st, JSON_MIN_TOKENS)) != JSON_OK)
		return err;
	jsmn_init(&p);
	while ((r = jsmn_parse(&p, s, len, st->tok, (unsigned)st->cap)) ==
	    JSMN_ERROR_NOMEM)
		if ((err = json_store_reserve(st, st->cap + 1)) != JSON_OK)
			return err;
	if (r == JSMN_ERROR_DEPTH) {
		*at = p.pos;
		return JSON_ERR_DEPTH;
	}
	/* jsmn stops at a NUL byte as at the end: a NUL is not JSON */
	if (r < 0 || p.pos != len) {
		*at = p.pos;
		return JSON_ERR_SYNTAX;
	}
	if ((err = json_check_at(s, st->tok, r, at)) != JSON_OK)
		return err;
	d->s = s;
	d->len = len;
	d->tok = st->tok;
	d->n = r;
	return ((const jsmntok_t *)st->tok)[0].type == JSMN_OBJECT ?
	    JSON_OK : JSON_ERR_NOTOBJ;
}

/* A short reason for err, for error bodies and logs. */
const char *
json_strerror(int err)
{
	switch (err) {
	case JSON_OK:		return "ok";
	case JSON_ERR_TOOBIG:	return "too many JSON tokens";
	case JSON_ERR_DEPTH:	return "JSON nested too deeply";
	case JSON_ERR_NOMEM:	return "out of memory for JSON tokens";
	case JSON_ERR_NOTOBJ:	return "JSON body is not an object";
	case JSON_ERR_BUSY:	return "server busy: JSON tokens are at the memory budget "
				    "(--max-buffer-bytes), retry";
	default:		return "invalid JSON";
	}
}
