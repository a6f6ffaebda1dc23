/*
 * apply.c: the offline commands' view of a patch: base64 decoding of the
 * AdmissionReview "patch" field, and the patched object.
 *
 * The patch is applied by splicing text, re-parsing the document for each
 * operation: slow, but the object stays byte for byte what the policy saw
 * outside the patched places. Only "add" and "replace" are applied (all the
 * built-in rules write); any other operation fails, so `--patched` and
 * `tinyhook test` never show an object the cluster would not get. The tests
 * check the result against python3-jsonpatch, an independent applier.
 */
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "limit.h"
#include "apply.h"

/* See apply.h. */
int
apply_unbase64(const char *s, size_t n, struct ostr *o)
{
	static const char b64[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	unsigned v = 0, bits = 0;
	const char *p;
	size_t i;

	for (i = 0; i < n && s[i] != '='; i++) {
		if (s[i] == '\0' || (p = strchr(b64, s[i])) == NULL)
			return -1;
		v = (v << 6) | (unsigned)(p - b64);
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			ostr_putc(o, (char)((v >> bits) & 0xff));
		}
	}
	return o->nomem ? -1 : 0;
}

/* Replaces doc[off, off + n) with ins[0, k). */
static int
apply_splice(struct ostr *doc, size_t off, size_t n, const char *ins, size_t k)
{
	struct ostr out = OSTR_INIT;

	ostr_put(&out, doc->p, off);
	ostr_put(&out, ins, k);
	ostr_put(&out, doc->p + off + n, doc->len - off - n);
	if (out.nomem) {
		ostr_free(&out);
		return -1;
	}
	ostr_free(doc);
	*doc = out;
	return 0;
}

/* Decodes one RFC 6901 token path[0, n) into key (~1 is '/', ~0 is '~'). */
static int
apply_token(const char *path, size_t n, char *key, size_t cap)
{
	size_t i, o = 0;

	for (i = 0; i < n && o + 1 < cap; i++) {
		if (path[i] == '~' && i + 1 < n && (path[i + 1] == '0' || path[i + 1] == '1'))
			key[o++] = path[++i] == '0' ? '~' : '/';
		else if (path[i] == '~')
			return -1;
		else
			key[o++] = path[i];
	}
	key[o] = '\0';
	return i == n ? 0 : -1;
}

/* Follows pointer path to the parent of its last token (left in last). */
static int
apply_walk(struct json *d, const char *path, char *last, size_t cap)
{
	const char *p = path, *e;
	int v = 0;

	while (v != JSON_NONE && *p == '/') {
		e = strchr(p + 1, '/');
		if (apply_token(p + 1, e ? (size_t)(e - p - 1) : strlen(p + 1), last, cap) < 0)
			return JSON_NONE;
		if (e == NULL)
			return v;
		v = json_type(d, v) == JSON_ARRAY ? json_index(d, v, atoi(last)) :
		    json_get(d, v, last);
		p = e;
	}
	return JSON_NONE;
}

/* Inserts ins at the end of container p (before its closing bracket). */
static int
apply_append(struct ostr *doc, struct json *d, int p, struct ostr *ins)
{
	size_t off, n;

	json_span(d, p, &off, &n);
	return ins->nomem ? -1 : apply_splice(doc, off + n - 1, 0, ins->p, ins->len);
}

/* Applies one add (or, replace set, replace) of value val[0, vn) at path to doc. */
static int
apply_op(struct ostr *doc, const char *path, const char *val, size_t vn, int replace)
{
	struct json_store st = { NULL, 0 };
	struct json d;
	char key[APPLY_KEY_MAX];
	struct ostr ins = OSTR_INIT;
	size_t off, n;
	int p, v, rc = -1, len;

	if (json_parse(&d, &st, doc->p, doc->len) != JSON_OK ||
	    (p = apply_walk(&d, path, key, sizeof(key))) == JSON_NONE)
		goto out;
	len = json_len(&d, p);
	if (json_type(&d, p) == JSON_OBJECT && (v = json_get(&d, p, key)) != JSON_NONE) {
		json_span(&d, v, &off, &n);
		rc = apply_splice(doc, off, n, val, vn);
	} else if (json_type(&d, p) == JSON_OBJECT) {
		ostr_puts(&ins, len > 0 ? "," : "");
		ostr_put_json(&ins, key, strlen(key));
		ostr_putc(&ins, ':');
		ostr_put(&ins, val, vn);
		rc = apply_append(doc, &d, p, &ins);
	} else if (json_type(&d, p) == JSON_ARRAY && replace && atoi(key) >= 0 &&
	    atoi(key) < len) {
		json_span(&d, json_index(&d, p, atoi(key)), &off, &n);
		rc = apply_splice(doc, off, n, val, vn);
	} else if (json_type(&d, p) == JSON_ARRAY && (strcmp(key, "-") == 0 || atoi(key) == len)) {
		ostr_puts(&ins, len > 0 ? "," : "");
		ostr_put(&ins, val, vn);
		rc = apply_append(doc, &d, p, &ins);
	} else if (json_type(&d, p) == JSON_ARRAY && atoi(key) >= 0 && atoi(key) < len) {
		json_span(&d, json_index(&d, p, atoi(key)), &off, &n);
		ostr_put(&ins, val, vn);
		ostr_putc(&ins, ',');
		rc = ins.nomem ? -1 : apply_splice(doc, off, 0, ins.p, ins.len);
	}
out:
	ostr_free(&ins);
	json_store_free(&st);
	return rc;
}

/* See apply.h. */
int
apply_patch(const char *obj, size_t objn, const char *ops, size_t opsn, struct ostr *out)
{
	struct json_store st = { NULL, 0 };
	struct json od;
	char path[APPLY_KEY_MAX * 2];
	size_t off, n;
	int op, rc = 0, replace;

	ostr_put(out, obj, objn);
	if (out->nomem)
		return -1;
	if (opsn == 0)
		return 0;
	/* json_parse fills od for an array too, answering JSON_ERR_NOTOBJ. */
	if (json_parse(&od, &st, ops, opsn) != JSON_ERR_NOTOBJ)
		rc = -1;
	for (op = json_first(&od, 0); rc == 0 && op != JSON_NONE; op = json_next(&od, op)) {
		replace = json_str_eq(&od, json_get(&od, op, "op"), "replace");
		if (!replace && !json_str_eq(&od, json_get(&od, op, "op"), "add")) {
			rc = -1;
			break;
		}
		json_str_copy(&od, json_get(&od, op, "path"), path, sizeof(path));
		json_span(&od, json_get(&od, op, "value"), &off, &n);
		rc = apply_op(out, path, od.s + off, n, replace);
	}
	json_store_free(&st);
	return rc;
}
