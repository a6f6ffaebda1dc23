/*
 * json.h: a read-only view of a JSON document as jsmn tokens, and a JSON
 * string writer.
 *
 * json_parse() tokenizes a body once (jsmn, strict mode, with our patches
 * checking the grammar between tokens, raw control bytes, what follows the
 * top value and the nesting depth as it goes), then checks the literals and
 * numbers jsmn only looks at the first byte of: RFC 8259 exactly, as Go's
 * decoder takes it. Values are then named by token index (int);
 * JSON_NONE (-1) stands for "absent" and every walker accepts it, so lookups
 * chain without checks: json_get(d, json_get(d, obj, "spec"), "containers").
 *
 * Strings are compared and copied only after JSON unescaping (Kubernetes
 * writes '&' as \u0026, and a key "own\u0065r" is the key "owner"). A string
 * whose escapes are invalid (a lone surrogate) compares unequal and marks the
 * document bad (json_bad()), so the caller answers 400 instead of deciding
 * on a string it could not read.
 *
 * Duplicate object keys: json_get() returns the LAST member with the key.
 * Go's encoding/json (the apiserver, and so what etcd stores) keeps the last
 * duplicate too, so the policy sees exactly the value Kubernetes will act on;
 * returning the first would let {"privileged":false,"privileged":true} pass.
 *
 * Tokens are only touched inside the json*.c files (src/json_int.h).
 * No function here allocates except json_store_reserve().
 */
#ifndef TINYHOOK_JSON_H
#define TINYHOOK_JSON_H

#include <stddef.h>
#include "buf.h"

#include "limit.h"	/* JSON_MAX_DEPTH, JSON_MAX_TOKENS, ... */

#define JSON_NONE	(-1)

enum json_type {
	JSON_ABSENT,		/* JSON_NONE or out of range */
	JSON_NULL,
	JSON_BOOL,
	JSON_NUMBER,
	JSON_STRING,
	JSON_OBJECT,
	JSON_ARRAY,
	NUM_JSON_TYPES
};

enum json_err {
	JSON_OK = 0,
	JSON_ERR_SYNTAX = -1,	/* not JSON (400) */
	JSON_ERR_TOOBIG = -2,	/* more tokens than JSON_MAX_TOKENS (413) */
	JSON_ERR_DEPTH = -3,	/* nested deeper than JSON_MAX_DEPTH (400) */
	JSON_ERR_NOMEM = -4,	/* token array could not grow (500) */
	JSON_ERR_NOTOBJ = -5,	/* top level value is not an object (400) */
	JSON_ERR_BUSY = -6	/* json_store_hook refused the memory (503) */
};

/* The token array, owned by a worker and reused: it only ever grows. */
struct json_store {
	void	*tok;		/* jsmntok_t[cap], opaque outside json*.c */
	int	 cap;
};

/* A parsed document: the caller's bytes plus the store's tokens. */
struct json {
	const char	*s;
	size_t		 len;
	const void	*tok;
	int		 n;		/* tokens used */
	int		 bad;		/* a string with invalid escapes was read */
};

/*
 * When set (the server sets it to the memory budget's, pool.h), every
 * growth of a token array asks it first: it returns 1 when the process may
 * hold new_bytes instead of old_bytes, else 0 (the parse fails with
 * JSON_ERR_BUSY). Freeing tells it new_bytes = 0. Unset offline.
 */
extern int (*json_store_hook)(size_t old_bytes, size_t new_bytes);

void	json_store_free(struct json_store *st);
int	json_store_reserve(struct json_store *st, int n);
int	json_parse(struct json *d, struct json_store *st, const char *s,
	    size_t len);
int	json_parse_at(struct json *d, struct json_store *st, const char *s,
	    size_t len, size_t *at);
const char *json_strerror(int err);

/*
 * True when s[0, n) is exactly one JSON value of any type (whitespace
 * around allowed), nested at most max_depth containers deep: RFC 8259
 * grammar, strings without raw control bytes and in valid UTF-8. Besides
 * json_parse() because it checks a short text where no token store is at
 * hand (conversion defaults, and annotation text unescaped straight into
 * the response buffer): it allocates nothing, builds no tokens and takes
 * a value that is not an object. \uXXXX escapes are checked for hex digits
 * only (a lone surrogate passes, as Go's decoder takes it).
 */
int	json_valid_value(const char *s, size_t n, int max_depth);

/* Reading. */
enum json_type	json_type(const struct json *d, int v);
int	json_get(struct json *d, int obj, const char *key);
int	json_getn(struct json *d, int obj, const char *key, size_t n);
void	json_get_keys(struct json *d, int obj, const char *const *keys, int n,
	    int *vals);
int	json_getp(struct json *d, int v, const char *path);
int	json_walk(struct json *d, int v, const char *path, int *broken);
int	json_len(const struct json *d, int v);
int	json_first(const struct json *d, int v);
int	json_next(const struct json *d, int v);
int	json_index(const struct json *d, int arr, int i);
int	json_is_true(const struct json *d, int v);
int	json_is_null(const struct json *d, int v);
int	json_int(const struct json *d, int v, long long *out);
const char *json_raw(const struct json *d, int v, size_t *n);
void	json_span(const struct json *d, int v, size_t *off, size_t *n);

/* Strings (unescaped). */
int	json_str_eq(struct json *d, int v, const char *s);
int	json_str_eqn(struct json *d, int v, const char *s, size_t n);
int	json_str_prefix(struct json *d, int v, const char *prefix);
int	json_str_empty(const struct json *d, int v);
long	json_str_copy(struct json *d, int v, char *dst, size_t cap);
long	json_unescape(const char *s, size_t n, char *dst, size_t cap);

/* Writing. */
void	json_put_esc(struct buf *b, const char *s, size_t n);
void	json_put_str(struct buf *b, const char *s, size_t n);
void	json_put_cstr(struct buf *b, const char *s);
size_t	json_utf8_valid(const char *s, size_t n);
size_t	json_utf8_char(const char *s, size_t n);

#endif
