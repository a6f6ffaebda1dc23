/*
 * offline.c: `tinyhook review` and `tinyhook manifests`, the offline uses of
 * the same binary and the same review_handle() the server calls. Not on the
 * request path: it may allocate, and it reads whole files.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "patch.h"
#include "offline.h"
#include "review.h"
#include "version.h"
#include "rules.h"

#define OFFLINE_MAX_INPUT	(16u << 20)	/* bytes of a file to review */
#define OFFLINE_MAX_OPS		4096		/* ops applied for display */
#define OFFLINE_KEY_MAX		1024		/* one JSON Pointer token */
#define OFFLINE_DEF_TIMEOUT	5
#define OFFLINE_MAX_TIMEOUT	30		/* CONTRACT rule 24: 1..30 s */

static const char review_usage[] =
    "usage: tinyhook review [--json] [--namespace NS] [FILE|-]\n"
    "  Runs the compiled policy on an AdmissionReview, or on a bare object\n"
    "  (as from kubectl create --dry-run=client -o json; reviewed as a CREATE),\n"
    "  and prints the /mutate and /validate answers, the decoded patch and the\n"
    "  patched object. --json prints one JSON object with the same parts.\n"
    "  A ConversionReview is converted instead (/convert); exit 0 on Success,\n"
    "  1 on Failure.\n"
    "  Exit 0 allowed, 1 denied, 2 bad input.\n";

static const char manifests_usage[] =
    "usage: tinyhook manifests [--namespace NS --service SVC | --url URL]\n"
    "         [--ca-bundle FILE] [--failure-policy Fail|Ignore] [--timeout N] [--name N]\n"
    "  Prints the Validating/MutatingWebhookConfiguration the compiled policy\n"
    "  needs (defaults: namespace tinyhook, service tinyhook, Fail, 5 s).\n";

/* A growable byte string for the offline code. */
struct ostr {
	char	*p;
	size_t	 len, cap;
};

static int
ostr_put(struct ostr *s, const char *p, size_t n)
{
	char *q;
	size_t cap = s->cap ? s->cap : 256;

	while (cap - s->len <= n)
		cap *= 2;
	if (cap != s->cap) {
		if ((q = realloc(s->p, cap)) == NULL)
			return -1;
		s->p = q;
		s->cap = cap;
	}
	memcpy(s->p + s->len, p, n);
	s->len += n;
	s->p[s->len] = '\0';
	return 0;
}

static int
ostr_puts(struct ostr *s, const char *p)
{
	return ostr_put(s, p, strlen(p));
}

/* Appends s[0, n) as a JSON string through a bounded buf. */
static int
ostr_put_json(struct ostr *o, const char *s, size_t n)
{
	size_t cap = n * 6 + 3;
	char *tmp = malloc(cap);
	struct buf b;
	int rc;

	if (tmp == NULL)
		return -1;
	buf_init(&b, tmp, cap);
	json_put_str(&b, s, n);
	rc = b.overflow ? -1 : ostr_put(o, b.p, b.len);
	free(tmp);
	return rc;
}

/* Reads all of path ("-": stdin) into *out. Returns 0 or -1 with a message. */
static int
offline_read(const char *path, struct ostr *out)
{
	FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
	char chunk[65536];
	size_t n;
	int rc = 0;

	if (f == NULL) {
		fprintf(stderr, "tinyhook: %s: %s\n", path, strerror(errno));
		return -1;
	}
	while (rc == 0 && (n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		if (out->len + n > OFFLINE_MAX_INPUT || ostr_put(out, chunk, n) < 0)
			rc = -1;
	if (rc == 0 && ferror(f))
		rc = -1;
	if (f != stdin)
		fclose(f);
	if (rc < 0)
		fprintf(stderr, "tinyhook: %s: cannot read (or larger than %u bytes)\n",
		    path, OFFLINE_MAX_INPUT);
	return rc;
}

/* Appends member key of obj as a JSON string, or def when it is absent. */
static int
offline_put_member(struct ostr *o, struct json *d, int obj, const char *key,
    const char *def)
{
	char s[RULES_STR_MAX];
	int v = json_get(d, obj, key);

	if (json_str_copy(d, v, s, sizeof(s)) < 0)
		return ostr_put_json(o, def, strlen(def));
	return ostr_put_json(o, s, strlen(s));
}

/* The plural resource of a kind: the workload table's, else kind + "s". */
static void
offline_resource(const char *kind, char *out, size_t cap)
{
	const struct kind *k = kinds;
	size_t i, n = NUM_KINDS;

	for (i = 0; i < n; i++)
		if (strcmp(k[i].kind, kind) == 0) {
			snprintf(out, cap, "%s", k[i].resource);
			return;
		}
	for (i = 0; kind[i] != '\0' && i + 2 < cap; i++)
		out[i] = (char)(kind[i] >= 'A' && kind[i] <= 'Z' ? kind[i] + 32 : kind[i]);
	out[i] = 's';
	out[i + 1] = '\0';
}

/* Writes the group/version/kind members of the object's apiVersion. */
static int
offline_put_gvk(struct ostr *o, const char *api, const char *last,
    const char *lastval)
{
	const char *slash = strchr(api, '/');
	size_t gl = slash != NULL ? (size_t)(slash - api) : 0;
	const char *ver = slash != NULL ? slash + 1 : api;

	return ostr_puts(o, "{\"group\":") | ostr_put_json(o, api, gl) |
	    ostr_puts(o, ",\"version\":") | ostr_put_json(o, ver, strlen(ver)) |
	    ostr_puts(o, ",\"") | ostr_puts(o, last) | ostr_puts(o, "\":") |
	    ostr_put_json(o, lastval, strlen(lastval)) | ostr_puts(o, "}");
}

/*
 * Wraps a bare object (raw text obj[0, n)) into an AdmissionReview CREATE
 * request, as the apiserver would send it (dryRun, oldObject null).
 */
static int
offline_wrap(struct json *d, const char *ns, struct ostr *o)
{
	char api[256], kind[256], res[300], nsb[256];
	int meta = json_get(d, 0, "metadata");
	size_t off, n;
	int rc;

	json_str_copy(d, json_get(d, 0, "apiVersion"), api, sizeof(api));
	json_str_copy(d, json_get(d, 0, "kind"), kind, sizeof(kind));
	if (api[0] == '\0' || kind[0] == '\0')
		return -1;
	offline_resource(kind, res, sizeof(res));
	if (ns == NULL && json_str_copy(d, json_get(d, meta, "namespace"), nsb,
	    sizeof(nsb)) > 0)
		ns = nsb;
	rc = ostr_puts(o, "{\"apiVersion\":\"admission.k8s.io/v1\",\"kind\":\"AdmissionReview\","
	    "\"request\":{\"uid\":\"00000000-0000-4000-8000-000000000000\",\"kind\":");
	rc |= offline_put_gvk(o, api, "kind", kind);
	rc |= ostr_puts(o, ",\"resource\":") | offline_put_gvk(o, api, "resource", res);
	rc |= ostr_puts(o, ",\"requestKind\":") | offline_put_gvk(o, api, "kind", kind);
	rc |= ostr_puts(o, ",\"requestResource\":") | offline_put_gvk(o, api, "resource", res);
	rc |= ostr_puts(o, ",\"name\":") | offline_put_member(o, d, meta, "name", "");
	rc |= ostr_puts(o, ",\"namespace\":") | ostr_put_json(o, ns ? ns : "default",
	    strlen(ns ? ns : "default"));
	rc |= ostr_puts(o, ",\"operation\":\"CREATE\",\"userInfo\":{\"username\":"
	    "\"tinyhook-offline\"},\"dryRun\":true,\"options\":null,\"oldObject\":null,"
	    "\"object\":");
	json_span(d, 0, &off, &n);
	rc |= ostr_put(o, d->s + off, n) | ostr_puts(o, "}}");
	return rc;
}

/* The answer of one route: status and body. */
struct offline_answer {
	int		status;
	struct ostr	body;
	int		allowed;
};

static int
offline_run(struct review_ctx *ctx, enum review_route route,
    const struct ostr *in, struct offline_answer *a)
{
	size_t cap = review_out_cap(in->len);
	struct verdict info;
	struct buf out;
	char *mem = malloc(cap);

	memset(a, 0, sizeof(*a));
	if (mem == NULL)
		return -1;
	buf_init(&out, mem, cap);
	a->status = review_handle(ctx, route, in->p, in->len, &out, &info);
	a->allowed = info.allowed;
	ostr_put(&a->body, out.p, out.len);
	free(mem);
	return 0;
}

/* Decodes standard base64 s[0, n) into o. Returns 0, or -1 if invalid. */
static int
offline_unbase64(const char *s, size_t n, struct ostr *o)
{
	unsigned v = 0, bits = 0;
	size_t i;
	char c, byte;
	const char *p;
	static const char b64[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

	for (i = 0; i < n && s[i] != '='; i++) {
		c = s[i];
		if ((p = strchr(b64, c)) == NULL || c == '\0')
			return -1;
		v = (v << 6) | (unsigned)(p - b64);
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			byte = (char)((v >> bits) & 0xff);
			if (ostr_put(o, &byte, 1) < 0)
				return -1;
		}
	}
	return 0;
}

/*
 * Extracts the ops JSON of a mutate answer into ops (empty when the answer
 * has no patch).
 */
static int
offline_patch_ops(const struct offline_answer *a, struct ostr *ops)
{
	struct json_store st = { NULL, 0 };
	struct json d;
	const char *raw;
	size_t n;
	int rc = 0, v;

	if (a->status != 200 || json_parse(&d, &st, a->body.p, a->body.len) != JSON_OK) {
		json_store_free(&st);
		return a->status == 200 ? -1 : 0;
	}
	v = json_getp(&d, 0, "response.patch");
	if ((raw = json_raw(&d, v, &n)) != NULL)
		rc = offline_unbase64(raw, n, ops);
	json_store_free(&st);
	return rc;
}

/* Replaces doc[off, off + n) with ins[0, k) (display-only patching). */
static int
offline_splice(struct ostr *doc, size_t off, size_t n, const char *ins, size_t k)
{
	struct ostr out = { NULL, 0, 0 };

	if (ostr_put(&out, doc->p, off) < 0 || ostr_put(&out, ins, k) < 0 ||
	    ostr_put(&out, doc->p + off + n, doc->len - off - n) < 0) {
		free(out.p);
		return -1;
	}
	free(doc->p);
	*doc = out;
	return 0;
}

/* Decodes one RFC 6901 token path[0, n) into key (~1 is '/', ~0 is '~'). */
static int
offline_ptr_token(const char *path, size_t n, char *key, size_t cap)
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

/* Follows pointer path (unescaped JSON text) to the parent of its last token. */
static int
offline_walk(struct json *d, const char *path, char *last, size_t cap)
{
	const char *p = path, *e;
	int v = 0;

	while (v != JSON_NONE && *p == '/') {
		e = strchr(p + 1, '/');
		if (offline_ptr_token(p + 1, e ? (size_t)(e - p - 1) : strlen(p + 1),
		    last, cap) < 0)
			return JSON_NONE;
		if (e == NULL)
			return v;
		v = json_type(d, v) == JSON_ARRAY ? json_index(d, v, atoi(last)) :
		    json_get(d, v, last);
		p = e;
	}
	return JSON_NONE;
}

/*
 * Applies one add/replace op to doc by splicing text: enough to show what
 * our own patches do. Tests never rely on it (they use python3-jsonpatch).
 */
static int
offline_apply_op(struct ostr *doc, const char *path, const char *val, size_t vn)
{
	struct json_store st = { NULL, 0 };
	struct json d;
	char key[OFFLINE_KEY_MAX];
	struct ostr ins = { NULL, 0, 0 };
	size_t off, n;
	int p, v, rc = -1, len;

	if (json_parse(&d, &st, doc->p, doc->len) != JSON_OK ||
	    (p = offline_walk(&d, path, key, sizeof(key))) == JSON_NONE)
		goto out;
	len = json_len(&d, p);
	json_span(&d, p, &off, &n);
	if (json_type(&d, p) == JSON_OBJECT && (v = json_get(&d, p, key)) != JSON_NONE) {
		json_span(&d, v, &off, &n);
		rc = offline_splice(doc, off, n, val, vn);
	} else if (json_type(&d, p) == JSON_OBJECT) {
		if ((len > 0 && ostr_puts(&ins, ",") < 0) || ostr_put_json(&ins, key, strlen(key)) < 0 ||
		    ostr_puts(&ins, ":") < 0 || ostr_put(&ins, val, vn) < 0)
			goto out;
		rc = offline_splice(doc, off + n - 1, 0, ins.p, ins.len);
	} else if (json_type(&d, p) == JSON_ARRAY && (strcmp(key, "-") == 0 || atoi(key) >= len)) {
		if ((len > 0 && ostr_puts(&ins, ",") < 0) || ostr_put(&ins, val, vn) < 0)
			goto out;
		rc = offline_splice(doc, off + n - 1, 0, ins.p, ins.len);
	} else if (json_type(&d, p) == JSON_ARRAY) {
		json_span(&d, json_index(&d, p, atoi(key)), &off, &n);
		if (ostr_put(&ins, val, vn) < 0 || ostr_puts(&ins, ",") < 0)
			goto out;
		rc = offline_splice(doc, off, 0, ins.p, ins.len);
	}
out:
	free(ins.p);
	json_store_free(&st);
	return rc;
}

/* Applies every op of ops to a copy of the request's object in *obj. */
static int
offline_apply(const struct ostr *in, const struct ostr *ops, struct ostr *obj)
{
	struct json_store st = { NULL, 0 }, ost = { NULL, 0 };
	struct json d, od;
	char path[OFFLINE_KEY_MAX * 2];
	const char *val;
	size_t off, n;
	int op, rc = -1;

	if (json_parse(&d, &st, in->p, in->len) != JSON_OK)
		goto out;
	json_span(&d, json_getp(&d, 0, "request.object"), &off, &n);
	if (n == 0 || ostr_put(obj, d.s + off, n) < 0) {
		rc = n == 0 ? 0 : -1;
		goto out;
	}
	rc = 0;
	/* json_parse fills od for an array too, answering JSON_ERR_NOTOBJ. */
	if (ops->len == 0 || json_parse(&od, &ost, ops->p, ops->len) != JSON_ERR_NOTOBJ)
		goto out;
	for (op = json_first(&od, 0); op != JSON_NONE && rc == 0; op = json_next(&od, op)) {
		json_str_copy(&od, json_get(&od, op, "path"), path, sizeof(path));
		json_span(&od, json_get(&od, op, "value"), &off, &n);
		val = od.s + off;
		rc = offline_apply_op(obj, path, val, n);
	}
out:
	json_store_free(&st);
	json_store_free(&ost);
	return rc;
}

/*
 * Loads the input and makes it an AdmissionReview: as is when it is one,
 * wrapped as a CREATE when it is a bare object. Returns 0, 1 for a
 * ConversionReview (kept as is), or -1 when it is none of these (the
 * caller exits 2).
 */
static int
offline_input(const char *path, const char *ns, struct ostr *in)
{
	struct ostr raw = { NULL, 0, 0 };
	struct json_store st = { NULL, 0 };
	struct json d;
	int rc = -1, err;

	if (offline_read(path, &raw) < 0)
		return -1;
	if ((err = json_parse(&d, &st, raw.p ? raw.p : "", raw.len)) != JSON_OK)
		fprintf(stderr, "tinyhook review: %s: %s\n", path, json_strerror(err));
	else if (json_str_eq(&d, json_get(&d, 0, "kind"), "AdmissionReview")) {
		*in = raw;
		raw.p = NULL;
		rc = 0;
	} else if (json_str_eq(&d, json_get(&d, 0, "kind"), "ConversionReview")) {
		*in = raw;
		raw.p = NULL;
		rc = 1;
	} else if ((rc = offline_wrap(&d, ns, in)) < 0)
		fprintf(stderr, "tinyhook review: %s: not an AdmissionReview nor an "
		    "object with apiVersion and kind\n", path);
	free(raw.p);
	json_store_free(&st);
	return rc;
}

/* Prints the parts, as sections or (json) as one JSON object. */
static void
offline_print(int json, const struct offline_answer *m,
    const struct offline_answer *v, const struct ostr *ops,
    const struct ostr *obj)
{
	const char *none = "null";

	if (json) {
		printf("{\"mutateStatus\":%d,\"mutate\":%s,\"validateStatus\":%d,"
		    "\"validate\":%s,\"patch\":%s,\"object\":%s}\n", m->status,
		    m->body.p ? m->body.p : none, v->status,
		    v->body.p ? v->body.p : none, ops->len ? ops->p : none,
		    obj->len ? obj->p : none);
		return;
	}
	printf("# mutate (HTTP %d)\n%s\n", m->status, m->body.p ? m->body.p : "");
	printf("# validate (HTTP %d)\n%s\n", v->status, v->body.p ? v->body.p : "");
	printf("# patch\n%s\n", ops->len ? ops->p : "(none)");
	printf("# patched object\n%s\n", obj->len ? obj->p : "(none)");
}

static int
offline_exit(const struct offline_answer *m, const struct offline_answer *v)
{
	if (m->status != 200 || v->status != 200)
		return 2;
	return v->allowed == 1 && m->allowed == 1 ? 0 : 1;
}

/*
 * Converts a ConversionReview (in is freed). Prints the /convert answer;
 * returns 0 on Success, 1 on Failure, 2 when the answer is not a 200.
 */
static int
offline_convert(int json, struct ostr *in)
{
	struct review_ctx *ctx = review_ctx_new(in->len);
	struct offline_answer c;
	int rc = 2;

	if (ctx == NULL || offline_run(ctx, ROUTE_CONVERT, in, &c) < 0) {
		fprintf(stderr, "tinyhook review: out of memory\n");
	} else {
		if (json)
			printf("{\"convertStatus\":%d,\"convert\":%s}\n", c.status,
			    c.status == 200 && c.body.p ? c.body.p : "null");
		else
			printf("# convert (HTTP %d)\n%s\n", c.status, c.body.p ? c.body.p : "");
		rc = c.status != 200 ? 2 : c.allowed == 1 ? 0 : 1;
		free(c.body.p);
	}
	review_ctx_free(ctx);
	free(in->p);
	return rc;
}

/* See review.h: `tinyhook review [--json] [--namespace NS] [FILE|-]`. */
int
review_cli(int argc, char **argv)
{
	struct ostr in = { NULL, 0, 0 }, ops = { NULL, 0, 0 }, obj = { NULL, 0, 0 };
	struct offline_answer m, v;
	struct review_ctx *ctx;
	const char *path = "-", *ns = NULL;
	int i, json = 0, rc = 2, kind;

	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--json") == 0)
			json = 1;
		else if (strcmp(argv[i], "--namespace") == 0 && i + 1 < argc)
			ns = argv[++i];
		else if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
			fputs(review_usage, stdout);
			return 0;
		} else if (argv[i][0] == '-' && argv[i][1] != '\0') {
			fputs(review_usage, stderr);
			return 2;
		} else
			path = argv[i];
	}
	if ((kind = offline_input(path, ns, &in)) < 0)
		return 2;
	if (kind == 1)
		return offline_convert(json, &in);
	if ((ctx = review_ctx_new(in.len)) == NULL ||
	    offline_run(ctx, ROUTE_MUTATE, &in, &m) < 0 ||
	    offline_run(ctx, ROUTE_VALIDATE, &in, &v) < 0) {
		fprintf(stderr, "tinyhook review: out of memory\n");
		goto out;
	}
	if (offline_patch_ops(&m, &ops) < 0 || offline_apply(&in, &ops, &obj) < 0)
		fprintf(stderr, "tinyhook review: could not apply the patch for display\n");
	offline_print(json, &m, &v, &ops, &obj);
	rc = offline_exit(&m, &v);
	free(m.body.p);
	free(v.body.p);
out:
	review_ctx_free(ctx);
	free(in.p);
	free(ops.p);
	free(obj.p);
	return rc;
}

/* Flags of `tinyhook manifests`. */
struct offline_mf {
	const char	*ns, *svc, *url, *ca, *fail, *name;
	long		 timeout;
	char		*ca_b64;
};

static int
offline_mf_flags(struct offline_mf *f, int argc, char **argv)
{
	const char **dst;
	char *end;
	int i;

	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0)
			return 1;
		if (i + 1 >= argc)
			return -1;
		dst = strcmp(argv[i], "--namespace") == 0 ? &f->ns :
		    strcmp(argv[i], "--service") == 0 ? &f->svc :
		    strcmp(argv[i], "--url") == 0 ? &f->url :
		    strcmp(argv[i], "--ca-bundle") == 0 ? &f->ca :
		    strcmp(argv[i], "--failure-policy") == 0 ? &f->fail :
		    strcmp(argv[i], "--name") == 0 ? &f->name : NULL;
		if (strcmp(argv[i], "--timeout") == 0) {
			errno = 0;
			f->timeout = strtol(argv[++i], &end, 10);
			if (errno != 0 || *end != '\0' || f->timeout < 1 ||
			    f->timeout > OFFLINE_MAX_TIMEOUT)
				return -1;
			continue;
		}
		if (dst == NULL || argv[i + 1][0] == '\0')
			return -1;
		*dst = argv[++i];
	}
	if (strcmp(f->fail, "Fail") != 0 && strcmp(f->fail, "Ignore") != 0)
		return -1;
	return 0;
}

/* Reads the CA bundle file and base64-encodes it for clientConfig.caBundle. */
static int
offline_mf_ca(struct offline_mf *f)
{
	struct ostr raw = { NULL, 0, 0 };
	struct buf b;
	size_t cap;

	if (f->ca == NULL)
		return 0;
	if (offline_read(f->ca, &raw) < 0)
		return -1;
	cap = patch_base64_len(raw.len) + 1;
	if ((f->ca_b64 = malloc(cap)) == NULL) {
		free(raw.p);
		return -1;
	}
	buf_init(&b, f->ca_b64, cap);
	patch_base64(&b, raw.p ? raw.p : "", raw.len);
	f->ca_b64[b.len] = '\0';
	free(raw.p);
	return 0;
}

/* Prints the rules: one entry per API group of the policy's workloads. */
static void
offline_mf_rules(int mutate)
{
	const struct kind *k = kinds;
	size_t i, g, j, n = NUM_KINDS;
	int first;

	printf("  rules:\n");
	for (g = 0; g < n; g++) {
		/* each group once, in the table's order (kinds.h) */
		for (j = 0; j < g && strcmp(k[j].group, k[g].group) != 0; j++)
			;
		if (j < g)
			continue;
		first = 1;
		for (i = g; i < n; i++) {
			if (!(policy_workloads & (unsigned)k[i].bit) ||
			    strcmp(k[i].group, k[g].group) != 0)
				continue;
			if (first)
				printf("  - apiGroups: [\"%s\"]\n    apiVersions: [\"v1\"]\n"
				    "    operations: [\"CREATE\", \"UPDATE\"]\n"
				    "    scope: Namespaced\n    resources:\n", k[g].group);
			first = 0;
			printf("    - %s\n", k[i].resource);
			if (!mutate && k[i].bit == WL_POD)
				printf("    - pods/ephemeralcontainers\n");
		}
	}
}

/* Prints one webhook configuration for /validate or /mutate. */
static void
offline_mf_one(const struct offline_mf *f, int mutate)
{
	const char *what = mutate ? "mutate" : "validate";

	printf("---\napiVersion: admissionregistration.k8s.io/v1\n"
	    "kind: %sWebhookConfiguration\nmetadata:\n  name: %s\n"
	    "  labels:\n    app.kubernetes.io/name: tinyhook\n"
	    "    tinyhook/policy: %s-%s\nwebhooks:\n"
	    "- name: %s.%s.tinyhook.io\n", mutate ? "Mutating" : "Validating",
	    f->name, policy_name, policy_hash, what, f->name);
	printf("  admissionReviewVersions: [\"v1\"]\n  sideEffects: None\n"
	    "  failurePolicy: %s\n  timeoutSeconds: %ld\n  matchPolicy: Equivalent\n",
	    f->fail, f->timeout);
	if (mutate)
		printf("  reinvocationPolicy: IfNeeded\n");
	printf("  clientConfig:\n");
	if (f->url != NULL)
		printf("    url: \"%s/%s\"\n", f->url, what);
	else
		printf("    service:\n      namespace: %s\n      name: %s\n"
		    "      path: /%s\n      port: 443\n", f->ns, f->svc, what);
	if (f->ca_b64 != NULL)
		printf("    caBundle: %s\n", f->ca_b64);
	printf("  namespaceSelector:\n    matchExpressions:\n"
	    "    - key: kubernetes.io/metadata.name\n      operator: NotIn\n"
	    "      values: [\"kube-system\", \"%s\"]\n", f->ns);
	offline_mf_rules(mutate);
}

/* True when the policy has rules for the route. */
static int
offline_has(int mutate)
{
	size_t i;

	for (i = 0; i < policy_nrules; i++)
		if ((policy_rules[i].action == MUTATE) == (mutate != 0))
			return 1;
	return 0;
}

/* True when s is safe inside our YAML unquoted (no quoting games). */
static int
offline_yaml_ok(const char *s)
{
	for (; *s != '\0'; s++)
		if (strchr("\"\\\n\r:#{}[],&*!|>'%@`", *s) != NULL && *s != ':')
			return 0;
	return 1;
}

/* See review.h: prints the webhook configurations the policy needs. */
int
manifests_cli(int argc, char **argv)
{
	struct offline_mf f = { "tinyhook", "tinyhook", NULL, NULL, "Fail",
	    "tinyhook", OFFLINE_DEF_TIMEOUT, NULL };
	int rc = offline_mf_flags(&f, argc, argv);

	if (rc > 0) {
		fputs(manifests_usage, stdout);
		return 0;
	}
	if (rc < 0 || !offline_yaml_ok(f.ns) || !offline_yaml_ok(f.svc) ||
	    !offline_yaml_ok(f.name) || (f.url && !offline_yaml_ok(f.url))) {
		fputs(manifests_usage, stderr);
		return 2;
	}
	if (offline_mf_ca(&f) < 0)
		return 2;
	if (offline_has(0))
		offline_mf_one(&f, 0);
	if (offline_has(1))
		offline_mf_one(&f, 1);
	free(f.ca_b64);
	return 0;
}
