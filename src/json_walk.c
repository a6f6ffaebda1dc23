/*
 * json_walk.c: reading a parsed document (json.h): value types, members by
 * key (the last duplicate wins), dotted paths, array elements, integers
 * and raw spans. Nothing here allocates or copies.
 */
#include <stdint.h>
#include <string.h>

#include "json_int.h"

/* The type of value v; JSON_ABSENT for JSON_NONE. */
enum json_type
json_type(const struct json *d, int v)
{
	const jsmntok_t *t;

	if (!json_valid(d, v))
		return JSON_ABSENT;
	t = &TOK(d)[v];
	switch (t->type) {
	case JSMN_OBJECT:	return JSON_OBJECT;
	case JSMN_ARRAY:	return JSON_ARRAY;
	case JSMN_STRING:	return JSON_STRING;
	default:
		break;
	}
	switch (d->s[t->start]) {
	case 'n':	return JSON_NULL;
	case 't':
	case 'f':	return JSON_BOOL;
	default:	return JSON_NUMBER;
	}
}

/*
 * The index just past v's subtree. Tokens are in document order, so the
 * first token starting at or after v's end is found by search: galloping
 * from v (1, 2, 4, ... tokens on) and then bisecting, so a lookup skips a
 * sibling in O(log k) for a subtree of k tokens, whatever the document's
 * size (most values a policy skips are a handful of tokens).
 */
static int
json_skip(const struct json *d, int v)
{
	const jsmntok_t *t = TOK(d);
	int lo, hi, mid, step = 1, end;

	if (t[v].type == JSMN_STRING)
		return t[v].size > 0 ? json_skip(d, v + 1) : v + 1;
	if (t[v].type == JSMN_PRIMITIVE || t[v].size == 0)
		return v + 1;
	end = t[v].end;
	lo = v + 1;		/* the first child: inside */
	while (lo + step < d->n && t[lo + step].start < end) {
		lo += step;
		step *= 2;
	}
	hi = lo + step < d->n ? lo + step : d->n;	/* outside, or the end */
	for (lo++; lo < hi;) {
		mid = lo + (hi - lo) / 2;
		if (t[mid].start < end)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/*
 * json_skip() of key k of an object: the next key. Inline for the member
 * walks of json_getn() and json_get_keys(): most values they pass over are
 * scalars or empty, the next key two tokens on, without a call.
 */
static inline int
json_skip_member(const struct json *d, int k)
{
	const jsmntok_t *t = TOK(d);

	if (t[k].type != JSMN_STRING || t[k].size == 0)
		return json_skip(d, k);
	if (t[k + 1].type == JSMN_PRIMITIVE || t[k + 1].size == 0)
		return k + 2;
	return json_skip(d, k + 1);
}

/* The number of members or elements of v (0 for scalars and absent). */
int
json_len(const struct json *d, int v)
{
	if (!json_valid(d, v) || TOK(d)[v].type == JSMN_STRING ||
	    TOK(d)[v].type == JSMN_PRIMITIVE)
		return 0;
	return TOK(d)[v].size;
}

/*
 * The first element of array v, or the first KEY of object v (its value is
 * the key's index + 1); JSON_NONE when v is empty or not a container.
 */
int
json_first(const struct json *d, int v)
{
	return json_len(d, v) > 0 ? v + 1 : JSON_NONE;
}

/* The sibling after element or key v, or JSON_NONE after the last. */
int
json_next(const struct json *d, int v)
{
	int j;

	if (!json_valid(d, v))
		return JSON_NONE;
	j = json_skip(d, v);
	if (j < d->n && TOK(d)[j].parent == TOK(d)[v].parent)
		return j;
	return JSON_NONE;
}

/*
 * The value of member key in object obj, or JSON_NONE. With duplicate keys
 * the LAST one wins, as in Go's encoding/json (see json.h).
 */
int
json_get(struct json *d, int obj, const char *key)
{
	return json_getn(d, obj, key, strlen(key));
}

/* json_get() for a key of n bytes (not NUL-terminated). */
int
json_getn(struct json *d, int obj, const char *key, size_t n)
{
	const jsmntok_t *t = TOK(d);
	const char *r;
	int k, left, found = JSON_NONE;

	if (json_type(d, obj) != JSON_OBJECT)
		return JSON_NONE;
	/*
	 * An object's size is its number of keys; each key's value follows
	 * it. A key whose first byte is plain and differs from the one sought
	 * is passed over here, without a call: json_str_eqn() would say the
	 * same at that byte (the parser refused raw control bytes).
	 */
	for (k = obj + 1, left = t[obj].size; left > 0; left--, k = json_skip_member(d, k)) {
		r = d->s + t[k].start;
		if (t[k].end > t[k].start && r[0] != '\\' && (n == 0 || r[0] != key[0]))
			continue;
		if (json_str_eqn(d, k, key, n))
			found = k + 1;
	}
	return found;
}

/*
 * json_get() of n keys of one object in a single walk over its members:
 * vals[i] = json_get(d, obj, keys[i]), the last duplicate winning. For a
 * caller that reads many members of one object (a review's request): each
 * json_get() walks every member, skipping each value again.
 */
void
json_get_keys(struct json *d, int obj, const char *const *keys, int n, int *vals)
{
	const jsmntok_t *t = TOK(d);
	const char *r;
	size_t rn, j;
	int i, k, left, plain;
	uint32_t firsts[256 / 32] = { 0 };	/* the keys' first bytes */
	unsigned char c0;

	for (i = 0; i < n; i++) {
		vals[i] = JSON_NONE;
		c0 = (unsigned char)keys[i][0];
		firsts[c0 / 32] |= (uint32_t)1 << (c0 % 32);
	}
	if (json_type(d, obj) != JSON_OBJECT)
		return;
	for (k = obj + 1, left = t[obj].size; left > 0; left--, k = json_skip_member(d, k)) {
		r = d->s + t[k].start;
		rn = (size_t)(t[k].end - t[k].start);
		/* the first-byte test below, for all keys at once */
		c0 = rn > 0 ? (unsigned char)r[0] : 0;
		if (rn > 0 && c0 != '\\' && !(firsts[c0 / 32] >> (c0 % 32) & 1))
			continue;
		plain = -1;	/* not looked at yet */
		for (i = 0; i < n; i++) {
			/* the first-byte test of json_getn() */
			if (rn > 0 && r[0] != '\\' && r[0] != keys[i][0])
				continue;
			/* A plain key (no escape, no control byte) equals keys[i]
			 * when it has the same bytes: what json_str_eq() would
			 * say, without the call and its strlen() of keys[i]. */
			if (plain < 0) {
				for (j = 0; j < rn && (unsigned char)r[j] >= 0x20 &&
				    r[j] != '\\'; j++)
					;
				plain = t[k].type == JSMN_STRING && j == rn;
			}
			if (plain) {
				for (j = 0; j < rn && r[j] == keys[i][j]; j++)
					;
				if (j == rn && keys[i][rn] == '\0')
					vals[i] = k + 1;
			} else if (json_str_eq(d, k, keys[i])) {
				vals[i] = k + 1;
			}
		}
	}
}

/*
 * Follows a '.'-separated path of member names from v ("spec.template.spec").
 * For fixed schema names only: a label key may itself contain dots.
 */
int
json_getp(struct json *d, int v, const char *path)
{
	return json_walk(d, v, path, NULL);
}

/*
 * json_getp() that also says, in *broken (when not NULL), whether a step on
 * the way is present but neither an object nor null: the value a typed Go
 * decoder would refuse, so the caller can answer 400 rather than guess.
 */
int
json_walk(struct json *d, int v, const char *path, int *broken)
{
	const char *dot;
	size_t n;
	enum json_type t;

	if (broken != NULL)
		*broken = 0;
	while (v != JSON_NONE && *path != '\0') {
		dot = strchr(path, '.');
		n = dot != NULL ? (size_t)(dot - path) : strlen(path);
		v = json_getn(d, v, path, n);
		t = json_type(d, v);
		if (broken != NULL && t != JSON_ABSENT && t != JSON_NULL && t != JSON_OBJECT)
			*broken = 1;
		path += n + (dot != NULL);
	}
	return v;
}

/* Element i of array arr, or JSON_NONE. */
int
json_index(const struct json *d, int arr, int i)
{
	int e;

	if (json_type(d, arr) != JSON_ARRAY || i < 0 || i >= json_len(d, arr))
		return JSON_NONE;
	for (e = json_first(d, arr); i > 0 && e != JSON_NONE; i--)
		e = json_next(d, e);
	return e;
}

int
json_is_true(const struct json *d, int v)
{
	return json_type(d, v) == JSON_BOOL && d->s[TOK(d)[v].start] == 't';
}

/* True for an explicit null and for an absent value. */
int
json_is_null(const struct json *d, int v)
{
	enum json_type ty = json_type(d, v);

	return ty == JSON_NULL || ty == JSON_ABSENT;
}

/*
 * Reads an integer number (no fraction or exponent, within long long).
 * Returns 1 and sets *out, or 0.
 */
int
json_int(const struct json *d, int v, long long *out)
{
	const char *s;
	size_t i = 0, n;
	int neg;
	unsigned long long x = 0;

	if (json_type(d, v) != JSON_NUMBER)
		return 0;
	s = json_raw(d, v, &n);
	neg = s[0] == '-';
	for (i = (size_t)neg; i < n; i++) {
		if (s[i] < '0' || s[i] > '9' || x > (unsigned long long)INT64_MAX / 10)
			return 0;
		x = x * 10 + (unsigned)(s[i] - '0');
	}
	if (x > (unsigned long long)INT64_MAX)
		return 0;
	*out = neg ? -(long long)x : (long long)x;
	return 1;
}

/*
 * The raw bytes of v: a string's without quotes (still escaped), a
 * container's whole text. NULL for absent.
 */
const char *
json_raw(const struct json *d, int v, size_t *n)
{
	const jsmntok_t *t;

	*n = 0;
	if (!json_valid(d, v))
		return NULL;
	t = &TOK(d)[v];
	*n = (size_t)(t->end - t->start);
	return d->s + t->start;
}

/*
 * The span of v's JSON text, quotes included for a string: copying
 * s[off, off + n) reproduces the value exactly.
 */
void
json_span(const struct json *d, int v, size_t *off, size_t *n)
{
	const jsmntok_t *t;
	int q;

	*off = 0;
	*n = 0;
	if (!json_valid(d, v))
		return;
	t = &TOK(d)[v];
	q = t->type == JSMN_STRING;
	*off = (size_t)t->start - (size_t)q;
	*n = (size_t)(t->end - t->start) + 2 * (size_t)q;
}
