/*
 * fuzz_review.c: libFuzzer target for the whole review path (src/review.c,
 * json.c, rules.c, patch.c and the compiled policy), built once per
 * policy (mk/fuzz.mk: build/fuzz/fuzz_review-<policy>).
 *
 * Input: one byte choosing the route (% 3: validate, mutate, convert),
 * then the request body. Checked on every answer, from the contract
 * (/work/shared/CONTRACT.md), not from what the code does:
 * - status 200, 400, 413 or 500; the body is strict JSON (RFC 8259, valid
 *   UTF-8 when the request was, harness reader) fitting review_out_cap();
 *   errors are
 *   {"error":"..."}.
 * - a 200 is only given to a body Go can read, and its envelope is exact
 *   (rules 14-16): apiVersion, kind, response.uid == request.uid
 *   (unescaped; Go keeps the last duplicate), allowed boolean, a denial
 *   has status {403, "Forbidden", message}.
 * - /validate never patches (19); /mutate sends patch and patchType
 *   "JSONPatch" together (20), never on DELETE (21); warnings are strings
 *   without control characters, 4096 characters in all (17);
 *   auditAnnotations keys match rule 18.
 * - a patch is padded base64 of a JSON array of add/replace/remove ops;
 *   applied to request.object by the harness's own applier it must
 *   succeed (21), must leave apiVersion, kind, metadata.name and
 *   metadata.namespace alone (22), and the patched object sent again
 *   must get no patch (23, idempotence).
 * - ConversionReview answers (rules 27-29), once the route answers 200.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "review.h"
#include "fuzz_jsonv.h"
#include "fuzz_known.h"
#include "fuzz_patch.h"

#define FUZZ_MAX_BODY		(8u << 20)
#define FUZZ_OUT_DEPTH		64	/* our answers are shallow */
#define FUZZ_IN_DEPTH		1024	/* > JSON_MAX_DEPTH: deeper must not be a 200 */
#define FUZZ_WARN_CHARS		4096	/* CONTRACT rule 17 */
#define FUZZ_AUDIT_KEY		63	/* CONTRACT rule 18 */

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_FAIL(...) do { fprintf(stderr, "fuzz_review: " __VA_ARGS__); \
	fputc('\n', stderr); abort(); } while (0)
#define FUZZ_ASSERT(c) do { if (!(c)) \
	FUZZ_FAIL("%s:%d: %s", __FILE__, __LINE__, #c); } while (0)

static struct review_ctx *fuzz_ctx;

static int
is_str(const struct jv *v, const char *s)
{
	return v != NULL && v->type == JV_STRING && v->n == strlen(s) &&
	    memcmp(v->s, s, v->n) == 0;
}

/* Where to start quoting text around byte at (for failure messages). */
static size_t
fuzz_back(size_t at)
{
	return at > 80 ? at - 80 : 0;
}

/*
 * How strictly to read an answer: strict UTF-8 unless the body was not
 * strict itself (strings are echoed byte for byte: the uid, converted
 * objects; Go reads invalid UTF-8 and lone surrogates as U+FFFD on both
 * sides). Raw control bytes echoed from a body src/json.c should have
 * refused are tolerated only while that bug is known (json-ctl).
 */
static int
out_flags(const char *body, size_t len)
{
	enum jsonv_result r = jsonv_check(body, len, FUZZ_IN_DEPTH, JV_UTF8);

	if (r == JSONV_OK || r == JSONV_NOTOBJ)
		return JV_UTF8;
	return fuzz_known("json-ctl") ? JV_LAX_CTL : 0;
}

/* Runs one review; returns the status and the answer's tree (strict). */
static int
run(enum review_route route, const char *body, size_t len,
    struct verdict *info, struct jv **answer)
{
	size_t cap = review_out_cap(len);
	char *mem = malloc(cap ? cap : 1), *in = malloc(len ? len : 1);
	struct buf out;
	int status;

	FUZZ_ASSERT(mem != NULL && in != NULL);
	memcpy(in, body, len);	/* exact size: ASan sees any over-read */
	buf_init(&out, mem, cap);
	status = review_handle(fuzz_ctx, route, in, len, &out, info);
	FUZZ_ASSERT(memcmp(in, body, len) == 0);	/* "not modified" */
	FUZZ_ASSERT(status == 200 || status == 400 || status == 413 || status == 500);
	FUZZ_ASSERT(!out.overflow && out.len <= cap);
	if (jsonv_read(out.p, out.len, FUZZ_OUT_DEPTH, out_flags(body, len),
	    answer) != JSONV_OK)
		FUZZ_FAIL("status %d: answer is not a strict JSON object "
		    "(byte %zu of %zu): ...%.*s", status, jsonv_error_at, out.len,
		    (int)(out.len - fuzz_back(jsonv_error_at) > 160 ? 160 :
		    out.len - fuzz_back(jsonv_error_at)),
		    out.p + fuzz_back(jsonv_error_at));
	FUZZ_ASSERT(memchr(info->uid, '\0', sizeof(info->uid)) != NULL);
	FUZZ_ASSERT(memchr(info->error, '\0', sizeof(info->error)) != NULL);
	free(mem);
	free(in);
	return status;
}

/* Characters of valid UTF-8 s[0..n) without control characters, or -1. */
static long
warn_chars(const struct jv *w)
{
	size_t i = 0, k;
	long chars = 0;

	while (i < w->n) {
		k = jv_utf8((const unsigned char *)w->s + i, w->n - i);
		if (k == 0 || (k == 1 && ((unsigned char)w->s[i] < 0x20 ||
		    w->s[i] == 0x7f)))
			return -1;
		i += k;
		chars++;
	}
	return chars;
}

/* CONTRACT rule 18: [A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?, <= 63. */
static int
audit_key_ok(const char *k, size_t n)
{
	size_t i;

	if (n == 0 || n > FUZZ_AUDIT_KEY)
		return 0;
	for (i = 0; i < n; i++) {
		char c = k[i];
		int alnum = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9');

		if (!alnum && ((i == 0 || i == n - 1) ||
		    (c != '-' && c != '_' && c != '.')))
			return 0;
	}
	return 1;
}

/* Rules 14-20 on an AdmissionReview answer; returns the patch or NULL. */
static const struct jv *
check_admission(const struct jv *ans, const struct jv *req,
    const struct verdict *info, int mutate)
{
	const struct jv *r, *v, *st, *w;
	long total = 0, c;
	size_t k;

	FUZZ_ASSERT(is_str(jv_get(ans, "apiVersion"), "admission.k8s.io/v1"));
	FUZZ_ASSERT(is_str(jv_get(ans, "kind"), "AdmissionReview"));
	r = jv_get(ans, "response");
	FUZZ_ASSERT(r != NULL && r->type == JV_OBJECT);
	v = jv_get(req, "uid");
	FUZZ_ASSERT(v != NULL && v->type == JV_STRING);
	FUZZ_ASSERT(jv_equal(jv_get(r, "uid"), v));
	v = jv_get(r, "allowed");
	FUZZ_ASSERT(v != NULL && v->type == JV_BOOL);
	FUZZ_ASSERT(info->allowed == (v->s[0] == 't'));
	if (v->s[0] == 'f') {
		st = jv_get(r, "status");
		FUZZ_ASSERT(st != NULL && st->type == JV_OBJECT);
		FUZZ_ASSERT(is_str(jv_get(st, "reason"), "Forbidden"));
		FUZZ_ASSERT(jv_get(st, "code") != NULL && jv_get(st, "code")->n == 3 &&
		    memcmp(jv_get(st, "code")->s, "403", 3) == 0);
		FUZZ_ASSERT(jv_get(st, "message") != NULL &&
		    jv_get(st, "message")->type == JV_STRING);
	}
	if ((w = jv_get(r, "warnings")) != NULL) {
		FUZZ_ASSERT(w->type == JV_ARRAY && (int)w->nkid == info->warnings);
		for (k = 0; k < w->nkid; k++) {
			FUZZ_ASSERT(w->kid[k]->type == JV_STRING);
			if ((c = warn_chars(w->kid[k])) < 0)
				FUZZ_FAIL("warning %zu has a control character or bad UTF-8", k);
			total += c;
		}
		FUZZ_ASSERT(total <= FUZZ_WARN_CHARS);
	} else {
		FUZZ_ASSERT(info->warnings == 0);
	}
	if ((v = jv_get(r, "auditAnnotations")) != NULL) {
		FUZZ_ASSERT(v->type == JV_OBJECT);
		for (k = 0; k < v->nkid; k++) {
			if (!audit_key_ok(v->key[k], v->klen[k]))
				FUZZ_FAIL("auditAnnotations key %.*s breaks rule 18",
				    (int)v->klen[k], v->key[k]);
			FUZZ_ASSERT(v->kid[k]->type == JV_STRING);
		}
	}
	v = jv_get(r, "patch");
	FUZZ_ASSERT((v == NULL) == (jv_get(r, "patchType") == NULL));
	FUZZ_ASSERT(info->patched == (v != NULL));
	if (v == NULL)
		return NULL;
	FUZZ_ASSERT(mutate);				/* rule 19 */
	FUZZ_ASSERT(is_str(jv_get(r, "patchType"), "JSONPatch"));
	FUZZ_ASSERT(!is_str(jv_get(req, "operation"), "DELETE"));	/* rule 21 */
	FUZZ_ASSERT(v->type == JV_STRING);
	return v;
}

/* The value at the dotted path or NULL (for rule 22). */
static const struct jv *
get2(const struct jv *o, const char *a, const char *b)
{
	return b == NULL ? jv_get(o, a) : jv_get(jv_get(o, a), b);
}

/*
 * Decodes and applies the patch to request.object (a copy), checks rule
 * 22 and returns the patched object.
 */
static struct jv *
apply_patch(const struct jv *b64, const struct jv *object)
{
	static const char *const fixed[][2] = {
		{ "apiVersion", NULL }, { "kind", NULL },
		{ "metadata", "name" }, { "metadata", "namespace" },
	};
	struct jv *ops = NULL, *doc, *op, *val;
	const struct jv *path, *name;
	size_t n, k;
	char *raw;

	if ((raw = fuzz_unbase64(b64->s, b64->n, &n)) == NULL)
		FUZZ_FAIL("patch is not padded standard base64");
	if (jsonv_read(raw, n, FUZZ_OUT_DEPTH, JV_UTF8, &ops) != JSONV_NOTOBJ ||
	    ops->type != JV_ARRAY || ops->nkid == 0)
		FUZZ_FAIL("patch is not a non-empty JSON array: %.*s", (int)n, raw);
	FUZZ_ASSERT(object != NULL && object->type == JV_OBJECT);
	doc = jv_copy(object);
	for (k = 0; k < ops->nkid; k++) {
		op = ops->kid[k];
		FUZZ_ASSERT(op->type == JV_OBJECT);
		name = jv_get(op, "op");
		path = jv_get(op, "path");
		FUZZ_ASSERT(path != NULL && path->type == JV_STRING);
		if (!is_str(name, "add") && !is_str(name, "replace") &&
		    !is_str(name, "remove"))
			FUZZ_FAIL("patch op %zu is not add, replace or remove", k);
		val = jv_get(op, "value");
		FUZZ_ASSERT((val == NULL) == is_str(name, "remove"));
		if (!jv_apply_op(&doc, name->s, path->s, path->n,
		    val != NULL ? jv_copy(val) : NULL))
			FUZZ_FAIL("patch op %zu (%s %.*s) does not apply: %.*s", k,
			    name->s, (int)path->n, path->s, (int)n, raw);
	}
	for (k = 0; k < sizeof(fixed) / sizeof(fixed[0]); k++)
		if (!jv_equal(get2(object, fixed[k][0], fixed[k][1]),
		    get2(doc, fixed[k][0], fixed[k][1])))
			FUZZ_FAIL("patch changes %s%s%s (rule 22)", fixed[k][0],
			    fixed[k][1] ? "." : "", fixed[k][1] ? fixed[k][1] : "");
	jv_free(ops);
	free(raw);
	return doc;
}

/* Rule 23: the review again, object replaced by patched: no patch. */
static void
check_idempotent(struct jv *review, struct jv *patched)
{
	struct jv *req = (struct jv *)jv_get(review, "request"), *ans = NULL;
	struct jv_out o = { 0 };
	struct verdict info;
	long k = jv_find(req, "object", 6);
	int status;

	FUZZ_ASSERT(k >= 0);
	jv_free(req->kid[k]);
	req->kid[k] = patched;
	jv_write(&o, review);
	status = run(ROUTE_MUTATE, o.p, o.n, &info, &ans);
	if (status != 200 || info.patched) {
		FUZZ_FAIL("second mutation of the patched object: status %d, "
		    "patched %d (rule 23): %.*s", status, info.patched,
		    (int)(o.n > 2000 ? 2000 : o.n), o.p);
	}
	jv_free(ans);
	free(o.p);
}

/* Rules 27-29 on a ConversionReview answer with status 200. */
static void
check_conversion(const struct jv *ans, const struct jv *req)
{
	static const char *const keep[] = { "name", "namespace", "uid" };
	const struct jv *r, *res, *objs, *in, *want, *a, *b;
	size_t k, j;

	FUZZ_ASSERT(is_str(jv_get(ans, "apiVersion"), "apiextensions.k8s.io/v1"));
	FUZZ_ASSERT(is_str(jv_get(ans, "kind"), "ConversionReview"));
	r = jv_get(ans, "response");
	FUZZ_ASSERT(r != NULL && r->type == JV_OBJECT);
	FUZZ_ASSERT(jv_equal(jv_get(r, "uid"), jv_get(req, "uid")));
	res = jv_get(r, "result");
	FUZZ_ASSERT(res != NULL && res->type == JV_OBJECT);
	FUZZ_ASSERT(jv_get(res, "status") != NULL &&
	    jv_get(res, "status")->type == JV_STRING);
	if (!is_str(jv_get(res, "status"), "Success"))
		return;
	objs = jv_get(r, "convertedObjects");
	in = jv_get(req, "objects");
	want = jv_get(req, "desiredAPIVersion");
	FUZZ_ASSERT(objs != NULL && objs->type == JV_ARRAY);
	FUZZ_ASSERT(in != NULL && in->type == JV_ARRAY && objs->nkid == in->nkid);
	for (k = 0; k < objs->nkid; k++) {
		FUZZ_ASSERT(jv_equal(jv_get(objs->kid[k], "apiVersion"), want));
		FUZZ_ASSERT(jv_equal(jv_get(objs->kid[k], "kind"),
		    jv_get(in->kid[k], "kind")));
		for (j = 0; j < sizeof(keep) / sizeof(keep[0]); j++) {
			a = get2(in->kid[k], "metadata", keep[j]);
			b = get2(objs->kid[k], "metadata", keep[j]);
			if (!jv_equal(a, b))
				FUZZ_FAIL("object %zu: metadata.%s changed (rule 29)",
				    k, keep[j]);
		}
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	enum review_route route;
	struct verdict info;
	struct jv *ans = NULL, *in = NULL, *patched;
	const struct jv *req, *patch, *err;
	const char *body;
	int status, readable;

	if (size < 1)
		return 0;
	if (fuzz_ctx == NULL && (fuzz_ctx = review_ctx_new(FUZZ_MAX_BODY)) == NULL)
		abort();
	route = (enum review_route)(data[0] % NUM_REVIEW_ROUTES);
	body = (const char *)data + 1;
	size--;
	status = run(route, body, size, &info, &ans);
	if (status != 200) {
		err = jv_get(ans, "error");
		FUZZ_ASSERT(ans->nkid == 1 && err != NULL && err->type == JV_STRING);
		FUZZ_ASSERT(info.allowed == -1 && !info.patched);
		jv_free(ans);
		return 0;
	}
	/* A 200 decides on a document; Go must be able to read it. */
	readable = jsonv_read(body, size, FUZZ_IN_DEPTH, 0, &in) == JSONV_OK;
	if (!readable && fuzz_known("json-ctl"))
		readable = jsonv_read(body, size, FUZZ_IN_DEPTH, JV_LAX_CTL, &in) == JSONV_OK;
	if (!readable)
		FUZZ_FAIL("status 200 for a body that is not JSON (byte %zu)",
		    jsonv_error_at);
	req = jv_get(in, "request");
	FUZZ_ASSERT(req != NULL && req->type == JV_OBJECT);
	if (route == ROUTE_CONVERT) {
		check_conversion(ans, req);
	} else {
		patch = check_admission(ans, req, &info, route == ROUTE_MUTATE);
		if (patch != NULL) {
			patched = apply_patch(patch, jv_get(req, "object"));
			check_idempotent(in, patched);
		}
	}
	jv_free(ans);
	jv_free(in);
	return 0;
}
