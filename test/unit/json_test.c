/*
 * json_test.c: the JSON walker, structure check, unescaping and writer.
 * Tables of one-line cases; run under ASan + UBSan by `make unit`.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"

#include "check.h"

/* Parses a copy placed at the end of a malloc'd block, so over-reads trip ASan. */
static int
parse(struct json *d, struct json_store *st, const char *s, char **mem)
{
	size_t n = strlen(s);

	*mem = malloc(n ? n : 1);
	memcpy(*mem, s, n);
	return json_parse(d, st, *mem, n);
}

static const struct {
	const char	*in;
	int		 err;
} parse_cases[] = {
	{ "{}", JSON_OK },
	{ " {\"a\":1} \n", JSON_OK },
	{ "{\"a\":[1,2,{\"b\":null}],\"c\":true,\"d\":-0.5e+3}", JSON_OK },
	{ "{\"a\":\"\\u00e9\\ud83d\\ude00\"}", JSON_OK },
	{ "", JSON_ERR_SYNTAX },
	{ "   ", JSON_ERR_SYNTAX },
	{ "{", JSON_ERR_SYNTAX },
	{ "{}}", JSON_ERR_SYNTAX },
	{ "{} {}", JSON_ERR_SYNTAX },
	{ "{} x", JSON_ERR_SYNTAX },
	{ "{}\0", JSON_OK },		/* strlen stops at NUL: "{}" */
	{ "{\"a\":1 \"b\":2}", JSON_ERR_SYNTAX },
	{ "{\"a\" 1}", JSON_ERR_SYNTAX },
	{ "{\"a\":1,}", JSON_ERR_SYNTAX },
	{ "{,\"a\":1}", JSON_ERR_SYNTAX },
	{ "{\"a\":[1 2]}", JSON_ERR_SYNTAX },
	{ "{\"a\":[1,,2]}", JSON_ERR_SYNTAX },
	{ "{\"a\":[1,]}", JSON_ERR_SYNTAX },
	{ "{\"a\":tru}", JSON_ERR_SYNTAX },
	{ "{\"a\":nulll}", JSON_ERR_SYNTAX },
	{ "{\"a\":01}", JSON_ERR_SYNTAX },
	{ "{\"a\":1.}", JSON_ERR_SYNTAX },
	{ "{\"a\":-}", JSON_ERR_SYNTAX },
	{ "{\"a\":1e}", JSON_ERR_SYNTAX },
	{ "{\"a\":\"\\x\"}", JSON_ERR_SYNTAX },
	{ "{\"a\":\"\\u12G4\"}", JSON_ERR_SYNTAX },
	{ "{\"a\"}", JSON_ERR_SYNTAX },
	{ "{\"a\":}", JSON_ERR_SYNTAX },
	{ "{1:2}", JSON_ERR_SYNTAX },
	{ "{\"a\":1:2}", JSON_ERR_SYNTAX },
	{ "[\"a\":1]", JSON_ERR_SYNTAX },
	{ "{\"a\":{\"b\":1]}", JSON_ERR_SYNTAX },
	{ "[]", JSON_ERR_NOTOBJ },
	{ "\"s\"", JSON_ERR_NOTOBJ },
	{ "{\"a\":\"unterminated}", JSON_ERR_SYNTAX },
	/* the grammar jsmn checks (patches/jsmn-grammar.patch) */
	{ "{\"a\":[],\"b\":{},\"c\":[{},[]]}", JSON_OK },
	{ "{\"a\":[,1]}", JSON_ERR_SYNTAX },
	{ "{\"a\"::1}", JSON_ERR_SYNTAX },
	{ "{\"a\":1,\"b\"}", JSON_ERR_SYNTAX },
	{ "{\"a\":1},", JSON_ERR_SYNTAX },
	{ "{}:", JSON_ERR_SYNTAX },
	{ "{} 1", JSON_ERR_SYNTAX },
	{ "{} \"x\"", JSON_ERR_SYNTAX },
	{ "{}]", JSON_ERR_SYNTAX },
	{ "{\"a\":1 ,\n \"b\" : [ 2 , 3 ] }", JSON_OK },
	/* strings scanned 16 and 8 bytes at a time (jsmn-strings.patch):
	 * what ends a run at every offset of a step */
	{ "{\"a\":\"0123456789abcdefghijklmnop\\\"q\"}", JSON_OK },
	{ "{\"a\":\"0123456789abcdefghij\x01\"}", JSON_ERR_SYNTAX },
	{ "{\"a\":\"0123456\x1f" "89abcdefghij\"}", JSON_ERR_SYNTAX },
	{ "{\"0123456789abcdefghijklmnopqrstu\tv\":1}", JSON_ERR_SYNTAX },
	{ "{\"a\":\"\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\x7f\"}", JSON_OK },
	{ "{\"a\":\"0123456789abcdef\"}", JSON_OK },
	{ "{\"a\":\"0123456789abcdef", JSON_ERR_SYNTAX },
};

static void
test_parse(struct json_store *st)
{
	struct json d;
	char *mem;
	size_t i;

	for (i = 0; i < sizeof(parse_cases) / sizeof(parse_cases[0]); i++) {
		int err = parse(&d, st, parse_cases[i].in, &mem);
		check(err == parse_cases[i].err, "parse", parse_cases[i].in);
		free(mem);
	}
}

/* Builds depth levels of [ ... ] inside an object. */
static char *
nested(int depth)
{
	char *s = malloc((size_t)depth * 2 + 16);
	size_t o = 0;
	int i;

	o += (size_t)sprintf(s, "{\"a\":");
	for (i = 0; i < depth; i++)
		s[o++] = '[';
	for (i = 0; i < depth; i++)
		s[o++] = ']';
	s[o++] = '}';
	s[o] = '\0';
	return s;
}

static void
test_limits(struct json_store *st)
{
	struct json d;
	char *s, *mem, *big;
	size_t i, n = (size_t)JSON_MAX_TOKENS + 10;
	int err;

	s = nested(JSON_MAX_DEPTH - 2);
	err = parse(&d, st, s, &mem);
	check(err == JSON_OK, "depth below the limit", "nested ok");
	free(mem);
	free(s);
	s = nested(JSON_MAX_DEPTH + 10);
	err = parse(&d, st, s, &mem);
	check(err == JSON_ERR_DEPTH, "depth above the limit -> JSON_ERR_DEPTH (400)", "nested deep");
	free(mem);
	free(s);
	/* More tokens than JSON_MAX_TOKENS: a clean error, not a crash. */
	big = malloc(n * 2 + 16);
	memcpy(big, "{\"a\":[", 6);
	for (i = 0; i < n; i++) {
		big[6 + 2 * i] = '0';
		big[7 + 2 * i] = ',';
	}
	memcpy(big + 6 + 2 * n - 1, "]}", 3);
	err = json_parse(&d, st, big, strlen(big));
	check(err == JSON_ERR_TOOBIG, "token cap -> 413", "1M+ tokens");
	free(big);
}

static void
test_walk(struct json_store *st)
{
	static const char doc[] =
	    "{\"metadata\":{\"labels\":{\"own\\u0065r\":\"a\\u0026b\",\"x\":1}},"
	    "\"spec\":{\"containers\":[{\"name\":\"c0\"},{\"name\":\"c1\",\"big\":"
	    "{\"deep\":[[1,2],[3,{\"z\":[]}]]}},{\"name\":\"c2\"}]},"
	    "\"dup\":false,\"dup\":true,\"k\\/s\":\"\\\"q\\\"\",\"n\":-42}";
	struct json d;
	char *mem, out[64];
	int c, labels, i = 0;
	long long n;

	check(parse(&d, st, doc, &mem) == JSON_OK, "walk doc parses", doc);
	labels = json_getp(&d, 0, "metadata.labels");
	check(json_type(&d, labels) == JSON_OBJECT, "getp", "metadata.labels");
	check(json_len(&d, labels) == 2, "len of object", "labels");
	check(json_str_eq(&d, json_get(&d, labels, "owner"), "a&b"),
	    "escaped key and value compare unescaped", "own\\u0065r");
	check(json_get(&d, labels, "own") == JSON_NONE, "no prefix match", "own");
	check(json_get(&d, labels, "ownerx") == JSON_NONE, "no longer match", "ownerx");
	check(json_is_true(&d, json_get(&d, 0, "dup")), "duplicate keys: last wins", "dup");
	check(json_str_eq(&d, json_get(&d, 0, "k/s"), "\"q\""), "\\/ and \\\" unescape", "k/s");
	check(json_int(&d, json_get(&d, 0, "n"), &n) && n == -42, "json_int", "-42");
	c = json_getp(&d, 0, "spec.containers");
	for (i = 0, c = json_first(&d, c); c != JSON_NONE; c = json_next(&d, c), i++) {
		snprintf(out, sizeof(out), "c%d", i);
		check(json_str_eq(&d, json_get(&d, c, "name"), out), "iteration skips subtrees", out);
	}
	check(i == 3, "three containers", "containers");
	check(json_str_eq(&d, json_get(&d, json_index(&d, json_getp(&d, 0,
	    "spec.containers"), 2), "name"), "c2"), "index", "containers[2]");
	check(json_index(&d, json_getp(&d, 0, "spec.containers"), 3) == JSON_NONE,
	    "index out of range", "containers[3]");
	check(json_get(&d, json_getp(&d, 0, "spec.containers"), "name") == JSON_NONE,
	    "get on array is absent", "containers.name");
	check(json_get(&d, JSON_NONE, "x") == JSON_NONE && json_len(&d, JSON_NONE) == 0 &&
	    json_type(&d, JSON_NONE) == JSON_ABSENT, "absent chains", "none");
	check(json_str_copy(&d, json_get(&d, labels, "owner"), out, sizeof(out)) == 3 &&
	    strcmp(out, "a&b") == 0, "copy unescaped", "a&b");
	check(json_str_copy(&d, json_get(&d, labels, "x"), out, sizeof(out)) == -1,
	    "copy of a number fails", "x");
	check(json_str_prefix(&d, json_get(&d, labels, "owner"), "a&") &&
	    !json_str_prefix(&d, json_get(&d, labels, "owner"), "a&bc"), "prefix", "a&");
	check(d.bad == 0, "document not marked bad", doc);
	free(mem);
}

/*
 * json_get_keys() gives what json_get() gives for each key: plain keys,
 * escaped ones, prefixes, duplicates (the last wins), the empty key, a
 * key with an invalid escape (the document marked bad, as by json_get()),
 * members whose first byte starts no key sought.
 */
static void
test_get_keys(struct json_store *st)
{
	static const char *const docs[] = {
		("{\"name\":1,\"namespace\":2,\"nam\\u0065\":3,\"\":4,\"n\":5,\"names\":[{\"x\":[1,{}]}],"
		    "\"kind\":{\"a\":{}},\"kin\":6,\"kind\":7,\"\\u006bind\":8,\"big\":{\"name\":9}}"),
		"{\"x\":1,\"n\\ud800\":2,\"name\":3}",
		"{\"\\ud800\":1,\"name\":3}",
		"{}",
		/* first bytes no key has (passed over at once), and one escaped */
		"{\"zz\":1,\"\\u0078\":2,\"q\":{\"x\":3},\"Name\":4,\"\\u006eame\":5}",
	};
	static const char *const keys[] = {
		"name", "namespace", "", "n", "names", "kind", "kin", "big", "nameX", "x",
	};
	int vals[sizeof(keys) / sizeof(keys[0])], k, bad, ok;
	struct json d;
	char *mem;
	size_t i;

	for (i = 0; i < sizeof(docs) / sizeof(docs[0]); i++) {
		ok = parse(&d, st, docs[i], &mem) == JSON_OK;
		check(ok, "get_keys doc parses", docs[i]);
		if (!ok)
			continue;
		json_get_keys(&d, 0, keys, (int)(sizeof(keys) / sizeof(keys[0])), vals);
		bad = d.bad;
		d.bad = 0;
		for (k = 0; k < (int)(sizeof(keys) / sizeof(keys[0])); k++)
			check(vals[k] == json_get(&d, 0, keys[k]), "get_keys == get", keys[k]);
		check(bad == d.bad && bad == (i == 1 || i == 2), "get_keys marks bad as get does",
		    docs[i]);
		free(mem);
	}
}

static const struct {
	const char	*raw;		/* JSON string body, escaped */
	long		 len;		/* expected unescaped length, -1 invalid */
	const char	*out;
} unescape_cases[] = {
	{ "plain", 5, "plain" },
	{ "\\\"\\\\\\/\\b\\f\\n\\r\\t", 8, "\"\\/\b\f\n\r\t" },
	{ "\\u0026\\u003c\\u003e", 3, "&<>" },
	{ "\\u00e9", 2, "\xc3\xa9" },
	{ "\\u2028", 3, "\xe2\x80\xa8" },
	{ "\\ud83d\\ude00", 4, "\xf0\x9f\x98\x80" },
	{ "\\ud83d", -1, NULL },		/* lone high surrogate */
	{ "\\ude00", -1, NULL },		/* lone low surrogate */
	{ "\\ud83d\\u0041", -1, NULL },		/* high + non-low */
	{ "\\ud83dx", -1, NULL },
	{ "\\x", -1, NULL },
	{ "\\u12", -1, NULL },
	{ "a\\", -1, NULL },
	{ "tab\there", -1, NULL },		/* raw control character */
};

static void
test_unescape(void)
{
	char out[32];
	size_t i;
	long n;

	for (i = 0; i < sizeof(unescape_cases) / sizeof(unescape_cases[0]); i++) {
		n = json_unescape(unescape_cases[i].raw, strlen(unescape_cases[i].raw),
		    out, sizeof(out));
		check(n == unescape_cases[i].len && (n < 0 ||
		    memcmp(out, unescape_cases[i].out, (size_t)n) == 0),
		    "unescape", unescape_cases[i].raw);
	}
	n = json_unescape("abcdef", 6, out, 4);
	check(n == -2 && strcmp(out, "abc") == 0, "unescape cut", "abcdef");
	n = json_unescape("abc", 3, out, 4);
	check(n == 3 && strcmp(out, "abc") == 0, "unescape: a run that just fits", "abc");
	n = json_unescape("ab\\ncd\\t", 8, out, 5);
	check(n == -2 && strcmp(out, "ab\nc") == 0, "unescape cut in a run after an escape", "ab\\ncd\\t");
	n = json_unescape("ab\\u00e9", 8, out, 4);
	check(n == -2 && strcmp(out, "ab") == 0, "unescape cut before a wide escape", "ab\\u00e9");
	n = json_unescape("abcdef\\q", 8, out, 3);
	check(n == -1, "unescape: invalid escape after the cut still invalid", "abcdef\\q");
}

static void
test_bad_string(struct json_store *st)
{
	struct json d;
	char *mem;

	check(parse(&d, st, "{\"a\":\"\\ud800\"}", &mem) == JSON_OK,
	    "lone surrogate tokenizes", "\\ud800");
	check(!json_str_eq(&d, json_get(&d, 0, "a"), "x") && d.bad,
	    "reading a lone surrogate marks the document bad", "\\ud800");
	free(mem);
}

static const struct {
	const char	*in;
	size_t		 n;
	const char	*out;
} write_cases[] = {
	{ "plain", 5, "\"plain\"" },
	{ "q\"b\\", 4, "\"q\\\"b\\\\\"" },
	{ "\n\t\x01", 3, "\"\\u000a\\u0009\\u0001\"" },
	{ "\xc3\xa9", 2, "\"\xc3\xa9\"" },
	{ "\xff", 1, "\"\\ufffd\"" },
	{ "a\xc3", 2, "\"a\\ufffd\"" },
	{ "\xed\xa0\x80", 3, "\"\\ufffd\\ufffd\\ufffd\"" },	/* UTF-8 surrogate */
	{ "<&>", 3, "\"<&>\"" },
	{ "a\0b", 3, "\"a\\u0000b\"" },
};

static void
test_write(void)
{
	char mem[64];
	struct buf b;
	size_t i;

	for (i = 0; i < sizeof(write_cases) / sizeof(write_cases[0]); i++) {
		buf_init(&b, mem, sizeof(mem));
		json_put_str(&b, write_cases[i].in, write_cases[i].n);
		check(!b.overflow && b.len == strlen(write_cases[i].out) &&
		    memcmp(b.p, write_cases[i].out, b.len) == 0, "write", write_cases[i].out);
	}
	buf_init(&b, mem, 4);
	json_put_cstr(&b, "toolong");
	check(b.overflow, "writer overflow is sticky", "toolong");
}

int
main(void)
{
	struct json_store st = { NULL, 0 };

	test_parse(&st);
	test_limits(&st);
	test_walk(&st);
	test_get_keys(&st);
	test_unescape();
	test_bad_string(&st);
	test_write();
	json_store_free(&st);
	printf("json_test: %d passed, %d failed\n", passed, failed);
	return failed != 0;
}
