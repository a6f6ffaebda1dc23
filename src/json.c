/*
 * json.c: jsmn tokens, a structure check, a walker over the tokens, JSON
 * string unescaping and a JSON string writer. The only file that includes
 * jsmn (JSMN_STATIC makes the tokenizer private to it).
 */
#include <stdlib.h>
#include <string.h>
#include <stdint.h>

#include "jsmn.h"
#include "json.h"
#include "limit.h"

#define TOK(d)	((const jsmntok_t *)(d)->tok)

struct json_frame {
	int	tok;
	int	seen;		/* children (or, for a key, values) seen */
	int	depth;		/* containers open, this one included */
};

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

static int
json_is_ws(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/*
 * True when s[from, to) is whitespace around exactly one sep (or only
 * whitespace when sep is 0): the bytes jsmn skipped between two tokens.
 */
static int
json_gap_ok(const char *s, size_t from, size_t to, char sep)
{
	while (from < to && json_is_ws(s[from]))
		from++;
	if (sep != 0) {
		if (from >= to || s[from] != sep)
			return 0;
		from++;
		while (from < to && json_is_ws(s[from]))
			from++;
	}
	return from == to;
}

static int
json_digits(const char *s, size_t n, size_t *i)
{
	size_t start = *i;

	while (*i < n && s[*i] >= '0' && s[*i] <= '9')
		(*i)++;
	return *i > start;
}

/*
 * Skips the number at s[*i] (RFC 8259 section 6); true when one was there.
 * Shared by the token check and json_valid_value(); inlined so the token
 * check's loop pays no call for it.
 */
static inline __attribute__((always_inline)) int
json_number(const char *s, size_t n, size_t *i)
{
	if (*i < n && s[*i] == '-')
		(*i)++;
	if (*i < n && s[*i] == '0')
		(*i)++;
	else if (!json_digits(s, n, i))
		return 0;
	if (*i < n && s[*i] == '.' && (++*i, !json_digits(s, n, i)))
		return 0;
	if (*i < n && (s[*i] == 'e' || s[*i] == 'E')) {
		(*i)++;
		if (*i < n && (s[*i] == '+' || s[*i] == '-'))
			(*i)++;
		return json_digits(s, n, i);
	}
	return 1;
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
 * Closes the frame on top of the stack: a key must have had one value, a
 * container must end with its own bracket after only whitespace. Advances
 * *pos past the container.
 */
static inline __attribute__((always_inline)) int
json_close(const char *s, const jsmntok_t *t, const struct json_frame *f,
    size_t *pos)
{
	const jsmntok_t *c = &t[f->tok];

	if (c->type == JSMN_STRING)
		return f->seen == 1;
	if (c->end < 1 || !json_gap_ok(s, *pos, (size_t)c->end - 1, 0))
		return 0;
	if (s[c->end - 1] != (c->type == JSMN_OBJECT ? '}' : ']'))
		return 0;
	*pos = (size_t)c->end;
	return 1;
}

/*
 * The separator that must precede token i inside frame f, or -1 when token
 * i cannot appear there (an object member that is not a key with a value).
 */
static int
json_sep(const jsmntok_t *t, int i, struct json_frame *f)
{
	const jsmntok_t *p = &t[f->tok];

	if (p->type == JSMN_STRING)
		return f->seen++ == 0 ? ':' : -1;
	if (p->type == JSMN_OBJECT &&
	    (t[i].type != JSMN_STRING || t[i].size != 1))
		return -1;
	return f->seen++ == 0 ? 0 : ',';
}

/*
 * Consumes token i after its separator: pushes containers and object keys,
 * checks primitives, and moves *pos past what the token spans by itself.
 */
static int
json_enter(const char *s, const jsmntok_t *t, int i, struct json_frame *st,
    int *sp, size_t *pos)
{
	int p = t[i].parent, depth;

	switch (t[i].type) {
	case JSMN_OBJECT:
	case JSMN_ARRAY:
		*pos = (size_t)t[i].start + 1;
		break;
	case JSMN_STRING:
		*pos = (size_t)t[i].end + 1;
		if (p < 0 || t[p].type != JSMN_OBJECT)
			return JSON_OK;
		break;
	default:
		*pos = (size_t)t[i].end;
		return json_primitive_ok(s + t[i].start,
		    (size_t)(t[i].end - t[i].start)) ? JSON_OK : JSON_ERR_SYNTAX;
	}
	depth = (*sp > 0 ? st[*sp - 1].depth : 0) + (t[i].type != JSMN_STRING);
	if (*sp >= JSON_CHECK_FRAMES || depth > JSON_MAX_DEPTH)
		return JSON_ERR_DEPTH;
	st[*sp].tok = i;
	st[*sp].seen = 0;
	st[*sp].depth = depth;
	(*sp)++;
	return JSON_OK;
}

/*
 * Checks that the text is exactly the serialization of the token tree jsmn
 * built: one top-level value, separators where the grammar puts them and
 * nowhere else, valid literals, bounded depth. jsmn's strict mode accepts
 * "{} x", "[1 2]" and "{"a":tru}"; Go's decoder (the apiserver) does not.
 */
/*
 * Whether s[0, n) holds a byte below 0x20. RFC 8259 section 7 forbids raw
 * control characters in strings and jsmn lets them through; Go refuses
 * such a body, so a policy must not judge (or echo) one. Eight bytes at a
 * time: strings are most of a review's bytes.
 */
static int
json_has_ctl(const char *s, size_t n)
{
	const uint64_t ones = 0x0101010101010101u, highs = 0x8080808080808080u;
	uint64_t x;
	size_t i = 0;

	for (; i + 8 <= n; i += 8) {
		memcpy(&x, s + i, 8);
		if (((x - 0x20 * ones) & ~x & highs) != 0)
			return 1;
	}
	for (; i < n; i++)
		if ((unsigned char)s[i] < 0x20)
			return 1;
	return 0;
}

static int
json_check_at(const char *s, size_t len, const jsmntok_t *t, int n, size_t *at)
{
	struct json_frame st[JSON_CHECK_FRAMES];
	size_t pos = 0, open;
	int i, sp = 0, sep, err;
	/*
	 * The apiserver's compact JSON has no byte below 0x20 at all: one
	 * pass over the body settles it. Only a body with some (newlines
	 * between tokens) needs the per-string check below.
	 */
	int ctl = json_has_ctl(s, len);

	/*
	 * The error position (*at) is worked out only on the way out: a store
	 * through a pointer in this loop costs a few percent of a review.
	 */
	for (i = 0; i < n; i++) {
		while (sp > 0 && st[sp - 1].tok != t[i].parent)
			if (!json_close(s, t, &st[--sp], &pos))
				goto syntax;
		if ((sp == 0) != (i == 0))
			goto syntax;
		sep = sp > 0 ? json_sep(t, i, &st[sp - 1]) : 0;
		open = (size_t)t[i].start - (t[i].type == JSMN_STRING);
		if (sep < 0 || t[i].start < 0 || !json_gap_ok(s, pos, open, (char)sep))
			goto syntax;
		if (ctl && t[i].type == JSMN_STRING &&
		    json_has_ctl(s + t[i].start, (size_t)(t[i].end - t[i].start)))
			goto syntax;
		if ((err = json_enter(s, t, i, st, &sp, &pos)) != JSON_OK)
			goto fail;
	}
	*at = pos;
	while (sp > 0)
		if (!json_close(s, t, &st[--sp], &pos))
			return JSON_ERR_SYNTAX;
	*at = pos;
	return n > 0 && json_gap_ok(s, pos, len, 0) ? JSON_OK : JSON_ERR_SYNTAX;
syntax:
	err = JSON_ERR_SYNTAX;
fail:
	/* Token i's start; the first token starts where pos still is. */
	*at = t[i].start > 0 ? (size_t)t[i].start - (t[i].type == JSMN_STRING) : pos;
	return err;
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
	if (r < 0) {
		*at = p.pos;
		return JSON_ERR_SYNTAX;
	}
	if ((err = json_check_at(s, len, st->tok, r, at)) != JSON_OK)
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

static int
json_valid(const struct json *d, int v)
{
	return v >= 0 && v < d->n;
}

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
 * first token starting at or after v's end is found by binary search: a
 * lookup skips a sibling in O(log n) whatever its size.
 */
static int
json_skip(const struct json *d, int v)
{
	const jsmntok_t *t = TOK(d);
	int lo, hi, mid;

	if (t[v].type == JSMN_STRING)
		return t[v].size > 0 ? json_skip(d, v + 1) : v + 1;
	if (t[v].type == JSMN_PRIMITIVE || t[v].size == 0)
		return v + 1;
	lo = v + 1;
	hi = d->n;
	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (t[mid].start < t[v].end)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
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
	int k, found = JSON_NONE;

	if (json_type(d, obj) != JSON_OBJECT)
		return JSON_NONE;
	for (k = json_first(d, obj); k != JSON_NONE; k = json_next(d, k))
		if (json_str_eqn(d, k, key, n))
			found = k + 1;
	return found;
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

static int
json_hex4(const char *s, size_t n, size_t i, unsigned *out)
{
	unsigned v = 0, k;
	char c;

	if (i + 4 > n)
		return 0;
	for (k = 0; k < 4; k++) {
		c = s[i + k];
		v <<= 4;
		if (c >= '0' && c <= '9')
			v |= (unsigned)(c - '0');
		else if (c >= 'a' && c <= 'f')
			v |= (unsigned)(c - 'a' + 10);
		else if (c >= 'A' && c <= 'F')
			v |= (unsigned)(c - 'A' + 10);
		else
			return 0;
	}
	*out = v;
	return 1;
}

/* Writes code point cp as UTF-8 into out; returns its length (1..4). */
static int
json_utf8_put(unsigned cp, char out[4])
{
	if (cp < 0x80) {
		out[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		out[0] = (char)(0xc0 | (cp >> 6));
		out[1] = (char)(0x80 | (cp & 0x3f));
		return 2;
	}
	if (cp < 0x10000) {
		out[0] = (char)(0xe0 | (cp >> 12));
		out[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
		out[2] = (char)(0x80 | (cp & 0x3f));
		return 3;
	}
	out[0] = (char)(0xf0 | (cp >> 18));
	out[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
	out[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
	out[3] = (char)(0x80 | (cp & 0x3f));
	return 4;
}

/*
 * Decodes the \uXXXX escape at s[*i] (just after the 'u'), joining a
 * surrogate pair. Returns the code point, or -1 for a lone surrogate.
 */
static long
json_uescape(const char *s, size_t n, size_t *i)
{
	unsigned hi, lo;

	if (!json_hex4(s, n, *i, &hi))
		return -1;
	*i += 4;
	if (hi < 0xd800 || hi > 0xdfff)
		return hi;
	if (hi > 0xdbff || *i + 6 > n || s[*i] != '\\' || s[*i + 1] != 'u' ||
	    !json_hex4(s, n, *i + 2, &lo) || lo < 0xdc00 || lo > 0xdfff)
		return -1;
	*i += 6;
	return 0x10000 + ((long)(hi - 0xd800) << 10) + (lo - 0xdc00);
}

/*
 * Decodes the character at s[*i] of a raw JSON string into out (UTF-8
 * bytes), advancing *i. Returns the byte count, or -1 for an invalid escape,
 * a lone surrogate or a raw control character (RFC 8259 section 7).
 */
static int
json_char(const char *s, size_t n, size_t *i, char out[4])
{
	long cp;
	char c = s[(*i)++];

	if ((unsigned char)c < 0x20)
		return -1;
	if (c != '\\') {
		out[0] = c;
		return 1;
	}
	if (*i >= n)
		return -1;
	switch ((c = s[(*i)++])) {
	case '"': case '\\': case '/':
		out[0] = c;
		return 1;
	case 'b':	out[0] = '\b'; return 1;
	case 'f':	out[0] = '\f'; return 1;
	case 'n':	out[0] = '\n'; return 1;
	case 'r':	out[0] = '\r'; return 1;
	case 't':	out[0] = '\t'; return 1;
	case 'u':
		if ((cp = json_uescape(s, n, i)) < 0)
			return -1;
		return json_utf8_put((unsigned)cp, out);
	default:
		return -1;
	}
}

/*
 * Unescapes the raw JSON string s[0, n) into dst (NUL-terminated, cut at
 * cap - 1 bytes). Returns the full unescaped length, -1 for invalid escapes,
 * or -2 when it did not fit (dst then holds a prefix).
 */
long
json_unescape(const char *s, size_t n, char *dst, size_t cap)
{
	size_t i = 0, o = 0;
	char ch[4];
	int k, cut = 0;

	while (i < n) {
		if ((k = json_char(s, n, &i, ch)) < 0)
			return -1;
		if (cut || o + (size_t)k >= cap) {
			cut = 1;	/* keep validating, copy nothing more: a prefix */
			continue;
		}
		memcpy(dst + o, ch, (size_t)k);
		o += (size_t)k;
	}
	if (cap > 0)
		dst[o < cap ? o : cap - 1] = '\0';
	return cut ? -2 : (long)o;
}

/*
 * Compares string v, unescaped, with s[0, n), decoding escapes as it goes
 * (no copy). A non-string is unequal; an invalid escape is unequal and
 * marks the document bad.
 */
int
json_str_eqn(struct json *d, int v, const char *s, size_t n)
{
	const char *r;
	size_t rn, i = 0, o = 0;
	char ch[4];
	int k;

	if (json_type(d, v) != JSON_STRING)
		return 0;
	r = json_raw(d, v, &rn);
	if (rn == n && memcmp(r, s, n) == 0 && memchr(r, '\\', rn) == NULL)
		return 1;
	while (i < rn) {
		if ((k = json_char(r, rn, &i, ch)) < 0) {
			d->bad = 1;
			return 0;
		}
		if (o + (size_t)k > n || memcmp(s + o, ch, (size_t)k) != 0)
			return 0;
		o += (size_t)k;
	}
	return o == n;
}

int
json_str_eq(struct json *d, int v, const char *s)
{
	return json_str_eqn(d, v, s, strlen(s));
}

/* True when string v, unescaped, starts with prefix. */
int
json_str_prefix(struct json *d, int v, const char *prefix)
{
	const char *r;
	size_t rn, i = 0, o = 0, n = strlen(prefix);
	char ch[4];
	int k;

	if (json_type(d, v) != JSON_STRING)
		return 0;
	r = json_raw(d, v, &rn);
	while (o < n) {
		if (i >= rn)
			return 0;
		if ((k = json_char(r, rn, &i, ch)) < 0) {
			d->bad = 1;
			return 0;
		}
		if (o + (size_t)k > n || memcmp(prefix + o, ch, (size_t)k) != 0)
			return 0;
		o += (size_t)k;
	}
	return 1;
}

/* True when v is the empty string. */
int
json_str_empty(const struct json *d, int v)
{
	return json_type(d, v) == JSON_STRING && TOK(d)[v].end == TOK(d)[v].start;
}

/*
 * Copies string v, unescaped and NUL-terminated, into dst. Returns its
 * length, -1 when v is not a string or has invalid escapes (the document is
 * then marked bad), -2 when it was cut to fit cap.
 */
long
json_str_copy(struct json *d, int v, char *dst, size_t cap)
{
	const char *r;
	size_t rn;
	long n;

	if (cap > 0)
		dst[0] = '\0';
	if (json_type(d, v) != JSON_STRING)
		return -1;
	r = json_raw(d, v, &rn);
	n = json_unescape(r, rn, dst, cap);
	if (n == -1) {
		d->bad = 1;
		if (cap > 0)
			dst[0] = '\0';
	}
	return n;
}

/*
 * The length of the valid UTF-8 sequence at s[0, n) (RFC 3629: no overlong
 * forms, no surrogates, nothing above U+10FFFF), or 0 when invalid.
 */
static size_t
json_utf8_seq(const unsigned char *s, size_t n)
{
	size_t len, k;
	unsigned cp;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		len = 2, cp = s[0] & 0x1f;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		len = 3, cp = s[0] & 0x0f;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		len = 4, cp = s[0] & 0x07;
	else
		return 0;
	if (len > n)
		return 0;
	for (k = 1; k < len; k++) {
		if ((s[k] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[k] & 0x3f);
	}
	if ((len == 3 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) ||
	    (len == 4 && (cp < 0x10000 || cp > 0x10ffff)))
		return 0;
	return len;
}

/* The length of the one valid UTF-8 character at s[0, n), or 0. */
size_t
json_utf8_char(const char *s, size_t n)
{
	return n > 0 ? json_utf8_seq((const unsigned char *)s, n) : 0;
}

/* The length of the longest valid UTF-8 prefix of s[0, n). */
size_t
json_utf8_valid(const char *s, size_t n)
{
	size_t i = 0, k;

	while (i < n && (k = json_utf8_seq((const unsigned char *)s + i, n - i)) > 0)
		i += k;
	return i;
}

/* ---- one JSON value checked as text, without tokens ---- */

static int	json_text_value(const char *s, size_t n, size_t *i, int depth,
		    int max_depth);

/* The index of the first non-whitespace byte at or after i. */
static size_t
json_text_ws(const char *s, size_t n, size_t i)
{
	while (i < n && json_is_ws(s[i]))
		i++;
	return i;
}

/* One \-escape at s[*i] (the backslash), RFC 8259 section 7. */
static int
json_text_escape(const char *s, size_t n, size_t *i)
{
	unsigned cp;

	if (*i + 1 >= n)
		return 0;
	if (s[*i + 1] != 'u') {
		*i += 2;
		return memchr("\"\\/bfnrt", s[*i - 1], 8) != NULL;
	}
	if (!json_hex4(s, n, *i + 2, &cp))
		return 0;
	*i += 6;
	return 1;
}

/* A string at s[*i] (the quote): no raw control bytes, valid UTF-8. */
static int
json_text_string(const char *s, size_t n, size_t *i)
{
	size_t k;

	for ((*i)++; *i < n;) {
		unsigned char c = (unsigned char)s[*i];

		if (c == '"') {
			(*i)++;
			return 1;
		}
		if (c < 0x20)
			return 0;
		if (c == '\\') {
			if (!json_text_escape(s, n, i))
				return 0;
		} else if (c >= 0x80) {
			if ((k = json_utf8_char(s + *i, n - *i)) == 0)
				return 0;
			*i += k;
		} else
			(*i)++;
	}
	return 0;
}

/* A literal or number at s[*i] (RFC 8259 sections 3 and 6). */
static int
json_text_scalar(const char *s, size_t n, size_t *i)
{
	static const char *const lit[] = { "true", "false", "null" };
	size_t k, l;

	for (k = 0; k < sizeof(lit) / sizeof(lit[0]); k++) {
		l = strlen(lit[k]);
		if (n - *i >= l && memcmp(s + *i, lit[k], l) == 0) {
			*i += l;
			return 1;
		}
	}
	return json_number(s, n, i);
}

/* An object or array at s[*i], its members checked recursively. */
static int
json_text_container(const char *s, size_t n, size_t *i, int depth,
    int max_depth)
{
	char close = s[*i] == '{' ? '}' : ']';

	if (depth >= max_depth)
		return 0;
	*i = json_text_ws(s, n, *i + 1);
	if (*i < n && s[*i] == close) {
		(*i)++;
		return 1;
	}
	while (*i < n) {
		if (close == '}') {
			if (s[*i] != '"' || !json_text_string(s, n, i))
				return 0;
			*i = json_text_ws(s, n, *i);
			if (*i >= n || s[(*i)++] != ':')
				return 0;
		}
		if (!json_text_value(s, n, i, depth + 1, max_depth))
			return 0;
		if (*i >= n)
			return 0;
		if (s[*i] == close) {
			(*i)++;
			return 1;
		}
		if (s[(*i)++] != ',')
			return 0;
		*i = json_text_ws(s, n, *i);
	}
	return 0;
}

/* One value at s[*i] with the whitespace around it. */
static int
json_text_value(const char *s, size_t n, size_t *i, int depth, int max_depth)
{
	int ok;

	*i = json_text_ws(s, n, *i);
	if (*i >= n)
		return 0;
	if (s[*i] == '{' || s[*i] == '[')
		ok = json_text_container(s, n, i, depth, max_depth);
	else if (s[*i] == '"')
		ok = json_text_string(s, n, i);
	else
		ok = json_text_scalar(s, n, i);
	*i = json_text_ws(s, n, *i);
	return ok;
}

/* See json.h: s[0, n) is exactly one JSON value, at most max_depth deep. */
int
json_valid_value(const char *s, size_t n, int max_depth)
{
	size_t i = 0;

	return json_text_value(s, n, &i, 0, max_depth) && i == n;
}

/*
 * Writes s[0, n) JSON-escaped, without quotes. Quote, backslash and control
 * characters are escaped; bytes that are not valid UTF-8 become U+FFFD so
 * the output is always valid JSON even when it quotes hostile input. Runs
 * of plain bytes are copied in one piece.
 */
void
json_put_esc(struct buf *b, const char *s, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	size_t i = 0, run = 0, k;
	unsigned char c;
	char esc[6] = { '\\', 'u', '0', '0', 0, 0 };

	while (i < n) {
		c = (unsigned char)s[i];
		if (c >= 0x20 && c < 0x80 && c != '"' && c != '\\') {
			i++;
			continue;
		}
		buf_put(b, s + run, i - run);
		if (c == '"' || c == '\\') {
			esc[1] = (char)c;
			buf_put(b, esc, 2);
			k = 1;
		} else if (c < 0x20) {
			esc[1] = 'u';
			esc[4] = hex[c >> 4];
			esc[5] = hex[c & 15];
			buf_put(b, esc, 6);
			k = 1;
		} else if ((k = json_utf8_seq((const unsigned char *)s + i, n - i)) == 0) {
			buf_puts(b, "\\ufffd");
			k = 1;
		} else {
			buf_put(b, s + i, k);
		}
		i += k;
		run = i;
	}
	buf_put(b, s + run, i - run);
}

/* Writes s[0, n) as a quoted JSON string (see json_put_esc). */
void
json_put_str(struct buf *b, const char *s, size_t n)
{
	buf_putc(b, '"');
	json_put_esc(b, s, n);
	buf_putc(b, '"');
}

void
json_put_cstr(struct buf *b, const char *s)
{
	json_put_str(b, s, strlen(s));
}
