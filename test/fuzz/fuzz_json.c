/*
 * fuzz_json.c: libFuzzer target for src/json.c, the real tokenizer and
 * structure check, walker and unescaper.
 *
 * Input: the bytes of a document. Properties asserted (abort() on
 * violation):
 * - json_parse never reads past len (the input sits in an exactly sized
 *   heap block) and its verdict agrees with the harness's own strict
 *   RFC 8259 recognizer (fuzz_jsonv.h) on every document of depth <=
 *   JSON_MAX_DEPTH with an object at the top: a document Go would reject
 *   must not be judged on, one Go accepts must not be refused.
 * - walking the whole tree (json_first/json_next/json_len/json_type) stays
 *   in range and visits json_len() children of every container.
 * - every string, through json_str_copy into exactly sized buffers of
 *   several capacities: never writes past cap, always NUL-terminates,
 *   returns the full length or -2 (cut) or -1 (bad escape) consistently
 *   across capacities; on success the output is valid UTF-8 whenever the
 *   raw string is (escapes can only add valid characters; lone
 *   surrogates are refused) and json_str_eqn agrees with the copy.
 * - json_put_str of the unescaped bytes is valid JSON that unescapes back
 *   to the same bytes when they are valid UTF-8.
 *
 * FUZZ_JSON_STRICT_UTF8=1 in the environment also demands that raw
 * string bytes are valid UTF-8 whenever json_str_copy succeeds (RFC 8259
 * section 8.1; Go's decoder replaces invalid bytes by U+FFFD instead of
 * failing, so this is a policy question, reported, not the default).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "fuzz_jsonv.h"
#include "fuzz_known.h"

/* Capacities each string is copied with, besides its exact size. */
static const size_t fuzz_caps[] = { 0, 1, 2, 5, 64 };

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_ASSERT(c) do { if (!(c)) { \
	fprintf(stderr, "fuzz_json: %s:%d: %s\n", __FILE__, __LINE__, #c); \
	abort(); } } while (0)

static struct json_store fuzz_store;
static int fuzz_strict_utf8 = -1;

/* json_put_str of valid UTF-8 s is one JSON string that reads back as s. */
static void
fuzz_roundtrip(const char *s, size_t n)
{
	struct buf b;
	struct jv *v = NULL;
	size_t cap = 6 * n + 2;
	char *mem = malloc(cap);

	FUZZ_ASSERT(mem != NULL);
	buf_init(&b, mem, cap);
	json_put_str(&b, s, n);
	FUZZ_ASSERT(!b.overflow);
	FUZZ_ASSERT(jsonv_read(b.p, b.len, 1, JV_UTF8, &v) == JSONV_NOTOBJ);
	FUZZ_ASSERT(v->type == JV_STRING && v->n == n && memcmp(v->s, s, n) == 0);
	jv_free(v);
	free(mem);
}

static void
check_string(struct json *d, int v)
{
	const char *raw;
	size_t rn, i, c;
	long full, n;
	char *dst, *big;

	raw = json_raw(d, v, &rn);
	FUZZ_ASSERT(raw >= d->s && raw + rn <= d->s + d->len);
	/* Unescaping never grows a string: one byte per raw byte at most. */
	big = malloc(rn + 1);
	FUZZ_ASSERT(big != NULL);
	full = json_str_copy(d, v, big, rn + 1);
	FUZZ_ASSERT(full == -1 || (full >= 0 && (size_t)full <= rn));
	if (full >= 0) {
		FUZZ_ASSERT(big[full] == '\0');
		if (json_utf8_valid(raw, rn) == rn || fuzz_strict_utf8)
			FUZZ_ASSERT(json_utf8_valid(big, (size_t)full) == (size_t)full);
		FUZZ_ASSERT(json_str_eqn(d, v, big, (size_t)full));
		FUZZ_ASSERT(json_str_prefix(d, v, "") == 1);
		FUZZ_ASSERT(json_str_empty(d, v) == (rn == 0));
		if (json_utf8_valid(big, (size_t)full) == (size_t)full)
			fuzz_roundtrip(big, (size_t)full);
	}
	n = json_unescape(raw, rn, big, rn + 1);
	FUZZ_ASSERT(n == full);
	for (i = 0; i < sizeof(fuzz_caps) / sizeof(fuzz_caps[0]); i++) {
		c = fuzz_caps[i];
		dst = malloc(c ? c : 1);
		FUZZ_ASSERT(dst != NULL);
		n = json_str_copy(d, v, dst, c);
		if (full == -1)
			FUZZ_ASSERT(n == -1);
		else if ((size_t)full < c)
			FUZZ_ASSERT(n == full && memcmp(dst, big, (size_t)full + 1) == 0);
		else if (c == 0 && full == 0)
			FUZZ_ASSERT(n == -2 || n == 0);	/* nothing to cut */
		else
			FUZZ_ASSERT(n == -2);
		if (c > 0) {
			size_t len = strnlen(dst, c);

			FUZZ_ASSERT(len < c);
			/*
			 * A prefix of the full string. Known (tag
			 * unescape-cut): json_unescape goes on writing
			 * shorter characters after one that did not fit.
			 */
			if (n == -2 && memcmp(dst, big, len) != 0 &&
			    !fuzz_known("unescape-cut"))
				FUZZ_ASSERT(memcmp(dst, big, len) == 0);
		}
		free(dst);
	}
	free(big);
}

/* Walks v and its descendants; returns the token after v's subtree. */
static int
walk(struct json *d, int v, int depth)
{
	enum json_type t = json_type(d, v);
	int k, n, count = 0, next = -1;

	FUZZ_ASSERT(t != JSON_ABSENT && depth <= JSON_MAX_DEPTH + 1);
	if (t == JSON_STRING)
		check_string(d, v);
	if (t == JSON_NUMBER) {
		long long x;

		(void)json_int(d, v, &x);
	}
	if (t != JSON_OBJECT && t != JSON_ARRAY)
		return v + 1;
	n = json_len(d, v);
	for (k = json_first(d, v); k != JSON_NONE; k = json_next(d, k)) {
		FUZZ_ASSERT(k > v && k < d->n);
		if (t == JSON_OBJECT) {
			FUZZ_ASSERT(json_type(d, k) == JSON_STRING);
			check_string(d, k);
			/* The key's value is the token right after the key. */
			next = walk(d, k + 1, depth + 1);
		} else {
			next = walk(d, k, depth + 1);
		}
		if (t == JSON_ARRAY && count < 4)
			FUZZ_ASSERT(json_index(d, v, count) == k);
		count++;
		FUZZ_ASSERT(count <= d->n);
	}
	FUZZ_ASSERT(count == n);
	return count ? next : v + 1;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct json d;
	char *s;
	int r, want;

	if (fuzz_strict_utf8 < 0) {
		const char *e = getenv("FUZZ_JSON_STRICT_UTF8");

		fuzz_strict_utf8 = e != NULL && strcmp(e, "1") == 0;
	}
	s = malloc(size ? size : 1);
	FUZZ_ASSERT(s != NULL);
	memcpy(s, data, size);
	r = json_parse(&d, &fuzz_store, s, size);
	want = jsonv_check(s, size, JSON_MAX_DEPTH, 0);
	/*
	 * Known (tag json-ctl): json_parse accepts raw control bytes inside
	 * strings (RFC 8259 section 7 forbids them; Go refuses the body).
	 */
	if (want == JSONV_SYNTAX && (r == JSON_OK || r == JSON_ERR_NOTOBJ) &&
	    fuzz_known("json-ctl"))
		want = jsonv_check(s, size, JSON_MAX_DEPTH, JV_LAX_CTL);
	if (want == JSONV_OK || want == JSONV_NOTOBJ) {
		/* A top-level scalar may read as SYNTAX: both are a 400. */
		if (r != (want == JSONV_OK ? JSON_OK : JSON_ERR_NOTOBJ) &&
		    r != JSON_ERR_TOOBIG &&
		    !(want == JSONV_NOTOBJ && r == JSON_ERR_SYNTAX)) {
			fprintf(stderr, "fuzz_json: json_parse %d on a valid "
			    "document (%s)\n", r, want == JSONV_OK ? "object" : "not object");
			abort();
		}
	} else if (want == JSONV_DEEP) {
		FUZZ_ASSERT(r == JSON_ERR_DEPTH || r == JSON_ERR_SYNTAX);
	} else if (r == JSON_OK || r == JSON_ERR_NOTOBJ) {
		fprintf(stderr, "fuzz_json: json_parse accepted invalid JSON "
		    "(harness: byte %zu)\n", jsonv_error_at);
		abort();
	}
	if (r == JSON_OK) {
		FUZZ_ASSERT(d.n > 0 && json_type(&d, 0) == JSON_OBJECT);
		FUZZ_ASSERT(walk(&d, 0, 0) == d.n);
		(void)json_get(&d, 0, "apiVersion");
		(void)json_getp(&d, 0, "request.object.metadata.labels");
	}
	free(s);
	return 0;
}
