/*
 * patch_test.c: JSONPatch op writing, RFC 6901 token escaping and base64
 * (RFC 4648 section 10 test vectors).
 */
#include <stdio.h>
#include <string.h>

#include "json.h"
#include "patch.h"

#include "check.h"

static const struct {
	const char	*in, *out;
} b64_cases[] = {
	{ "", "" }, { "f", "Zg==" }, { "fo", "Zm8=" }, { "foo", "Zm9v" },
	{ "foob", "Zm9vYg==" }, { "fooba", "Zm9vYmE=" }, { "foobar", "Zm9vYmFy" },
	{ "\xff\xfe\xfd", "//79" },
};

static void
test_base64(void)
{
	char mem[64];
	struct buf b;
	size_t i;

	for (i = 0; i < sizeof(b64_cases) / sizeof(b64_cases[0]); i++) {
		buf_init(&b, mem, sizeof(mem));
		patch_base64(&b, b64_cases[i].in, strlen(b64_cases[i].in));
		check(b.len == strlen(b64_cases[i].out) &&
		    memcmp(mem, b64_cases[i].out, b.len) == 0 &&
		    patch_base64_len(strlen(b64_cases[i].in)) == b.len,
		    "base64", b64_cases[i].out);
	}
	buf_init(&b, mem, 3);
	patch_base64(&b, "foo", 3);
	check(b.overflow && b.len == 0, "base64 overflow writes nothing", "foo");
}

static const struct {
	const char	*token, *path;
} token_cases[] = {
	{ "app", "/metadata/labels/app" },
	{ "app.kubernetes.io/name", "/metadata/labels/app.kubernetes.io~1name" },
	{ "a~b", "/metadata/labels/a~0b" },
	{ "~/~", "/metadata/labels/~0~1~0" },
	{ "q\"uote\\", "/metadata/labels/q\\\"uote\\\\" },
	{ "", "/metadata/labels/" },
};

static void
test_tokens(void)
{
	char mem[256], want[256];
	struct patch p;
	size_t i, n;
	const char *ops;

	for (i = 0; i < sizeof(token_cases) / sizeof(token_cases[0]); i++) {
		patch_init(&p, mem, sizeof(mem));
		patch_op(&p, "add");
		patch_ptr(&p, "/metadata/labels");
		patch_token(&p, token_cases[i].token, strlen(token_cases[i].token));
		patch_value(&p);
		json_put_cstr(&p.b, "v");
		patch_end(&p);
		ops = patch_json(&p, &n);
		snprintf(want, sizeof(want), "[{\"op\":\"add\",\"path\":\"%s\",\"value\":\"v\"}]",
		    token_cases[i].path);
		check(ops != NULL && n == strlen(want) && memcmp(ops, want, n) == 0,
		    "token", want);
	}
}

static void
test_ops(void)
{
	char mem[256];
	struct patch p;
	size_t n;
	const char *ops;
	static const char want[] =
	    "[{\"op\":\"add\",\"path\":\"/a\",\"value\":\"1\"},"
	    "{\"op\":\"add\",\"path\":\"/spec/containers/12/x\",\"value\":\"2\"}]";

	patch_init(&p, mem, sizeof(mem));
	check(patch_json(&p, &n) == NULL && n == 0, "no ops: no patch", "empty");
	patch_add_str(&p, "/a", "1");
	patch_op(&p, "add");
	patch_ptr(&p, "/spec/containers");
	patch_index(&p, 12);
	patch_token(&p, "x", 1);
	patch_value(&p);
	json_put_cstr(&p.b, "2");
	patch_end(&p);
	ops = patch_json(&p, &n);
	check(ops != NULL && n == strlen(want) && memcmp(ops, want, n) == 0, "two ops", want);
	ops = patch_json(&p, &n);
	check(ops != NULL && n == strlen(want), "patch_json twice closes once", want);
	patch_init(&p, mem, 20);
	patch_add_str(&p, "/metadata/labels/long", "value");
	check(patch_json(&p, &n) == NULL && p.b.overflow, "overflow: no patch", "20 bytes");
}

int
main(void)
{
	test_base64();
	test_tokens();
	test_ops();
	printf("patch_test: %d passed, %d failed\n", passed, failed);
	return failed != 0;
}
