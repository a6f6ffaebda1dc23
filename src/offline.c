/*
 * offline.c: `tinyhook review`: every object of the inputs reviewed by the
 * compiled policy, one verdict each (see offline.h). Not on the request
 * path: it allocates. The review itself is review_handle(), exactly what
 * the server runs.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "limit.h"
#include "offline.h"
#include "review.h"
#include "version.h"
#include "rules.h"
#include "yml.h"

#define OFFLINE_UID		"00000000-0000-4000-8000-000000000000"

static const char review_usage[] =
    "usage: tinyhook review [flags] [FILE|DIR|-]...\n"
    "  Reviews every object of the inputs with the compiled policy, as the webhook\n"
    "  would: JSON or YAML files (many documents, kind: List and *List as kubectl get\n"
    "  prints them), directories (their *.yaml, *.yml, *.json, recursively) and - for\n"
    "  stdin (the default). Bare objects are reviewed as a CREATE, AdmissionReviews as\n"
    "  they are, ConversionReviews through /convert. One line per object:\n"
    "    DENY|WARN|PASS|SKIP Kind namespace/name file:document messages\n"
    "  then \"N objects: a passed, d denied, w warned, s skipped\".\n"
    "  Exit 0 nothing denied, 1 something denied, 2 bad input (nothing in a bad file\n"
    "  counts as passed).\n"
    "flags:\n"
    "  -o text|json|junit      report format [text]\n"
    "  --warn-exit-code N      exit N when something warned and nothing was denied [0]\n"
    "  --patched               print the objects as the policy's patch leaves them\n"
    "                          (YAML for YAML input, JSON lines otherwise) on stdout;\n"
    "                          the report goes to stderr\n"
    "  -v                      also print each review's /mutate and /validate answers,\n"
    "                          the decoded patch and the patched object\n"
    "  --json                  those details as one JSON object per object, nothing else\n"
    "  --namespace NS          namespace of objects without one [theirs, else default]\n"
    "  --max-file-size BYTES   largest input file (suffix Ki, Mi, Gi) [1Gi]\n"
    "  --max-object-size BYTES largest document or List item (suffix Ki, Mi, Gi) [16Mi]\n";

struct offline {
	const struct offline_opts	*o;
	struct report			*r;
	struct review_ctx		*ctx;
	struct json_store		 st;		/* the piece */
	struct json_store		 ast;		/* an answer */
	struct ostr			 wrap;		/* the AdmissionReview of a bare object */
	struct buf			 mout, vout;	/* the /mutate and /validate answers */
	int				 yaml;		/* the open file was YAML */
	int				 has_validate, has_mutate;
};

/* What one review is about, for its record. */
struct offline_obj {
	const struct inputs_piece	*p;
	int				 item;
	char				 api[OFFLINE_STR_MAX], kind[OFFLINE_STR_MAX];
	char				 ns[OFFLINE_STR_MAX], name[OFFLINE_STR_MAX];
	const char			*text;		/* the object as given */
	size_t				 len;
	int				 in_scope;
};

/* Reports msg at offset off of the piece; the file is bad. Returns -1. */
static int
offline_fail(struct offline *o, const struct inputs_piece *p, size_t off, const char *msg)
{
	long line, col;

	inputs_where(p, off, &line, &col);
	if (p->yaml)		/* offsets into converted JSON mean nothing in the YAML */
		line = p->line, col = p->col;
	report_error(o->r, p->file, line, col, msg);
	return -1;
}

/* Copies string member key of obj (unescaped) into dst; "" when absent. */
static void
offline_member(struct json *d, int obj, const char *key, char *dst, size_t cap)
{
	dst[0] = '\0';
	if (json_type(d, json_get(d, obj, key)) == JSON_STRING)
		json_str_copy(d, json_get(d, obj, key), dst, cap);
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

/* Whether the policy's rules look at apiVersion api, kind kind (see kinds_find). */
static int
offline_scope(const struct offline *o, const char *api, const char *kind)
{
	const struct kind *k = kinds;
	const char *slash = strchr(api, '/');
	size_t i, gl = slash != NULL ? (size_t)(slash - api) : 0;

	if (!o->has_validate && !o->has_mutate)
		return 0;
	for (i = 0; i < NUM_KINDS; i++)
		if ((policy_workloads & (unsigned)k[i].bit) && strcmp(k[i].kind, kind) == 0 &&
		    strlen(k[i].group) == gl && strncmp(k[i].group, api, gl) == 0)
			return 1;
	return 0;
}

/* {"group":..,"version":..,"<last>":..} of apiVersion api. */
static void
offline_put_gvk(struct ostr *w, const char *api, const char *last, const char *val)
{
	const char *slash = strchr(api, '/');
	const char *ver = slash != NULL ? slash + 1 : api;

	ostr_puts(w, "{\"group\":");
	ostr_put_json(w, api, slash != NULL ? (size_t)(slash - api) : 0);
	ostr_puts(w, ",\"version\":");
	ostr_put_json(w, ver, strlen(ver));
	ostr_printf(w, ",\"%s\":", last);
	ostr_put_json(w, val, strlen(val));
	ostr_putc(w, '}');
}

/* The AdmissionReview CREATE (dryRun, oldObject null) the apiserver would send. */
static void
offline_wrap(struct offline *o, const struct offline_obj *b, const char *name)
{
	struct ostr *w = &o->wrap;
	char res[OFFLINE_STR_MAX + 2];

	offline_resource(b->kind, res, sizeof(res));
	w->len = 0;
	ostr_puts(w, "{\"apiVersion\":\"admission.k8s.io/v1\",\"kind\":\"AdmissionReview\","
	    "\"request\":{\"uid\":\"" OFFLINE_UID "\",\"kind\":");
	offline_put_gvk(w, b->api, "kind", b->kind);
	ostr_puts(w, ",\"resource\":");
	offline_put_gvk(w, b->api, "resource", res);
	ostr_puts(w, ",\"requestKind\":");
	offline_put_gvk(w, b->api, "kind", b->kind);
	ostr_puts(w, ",\"requestResource\":");
	offline_put_gvk(w, b->api, "resource", res);
	ostr_puts(w, ",\"name\":");
	ostr_put_json(w, name, strlen(name));
	ostr_puts(w, ",\"namespace\":");
	ostr_put_json(w, b->ns, strlen(b->ns));
	ostr_puts(w, ",\"operation\":\"CREATE\",\"userInfo\":{\"username\":"
	    "\"tinyhook-offline\"},\"dryRun\":true,\"options\":null,\"oldObject\":null,"
	    "\"object\":");
	ostr_put(w, b->text, b->len);
	ostr_puts(w, "}}");
}

/* Runs route on body into out (grown to review_out_cap). Returns the HTTP status. */
static int
offline_route(struct offline *o, enum review_route route, const char *body, size_t len,
    struct buf *out)
{
	struct verdict info;
	size_t cap = review_out_cap(len);
	char *p;

	if (out->cap < cap) {
		if ((p = realloc(out->p, cap)) == NULL) {
			o->r->nomem = 1;
			out->len = 0;
			return 500;
		}
		out->p = p;
		out->cap = cap;
	}
	return review_handle(o->ctx, route, body, len, out, &info);
}

/* Writes JSON text t[0, n) on one line: whitespace outside strings dropped. */
static void
offline_put_compact(const char *t, size_t n, FILE *out)
{
	int in_str = 0, esc = 0;
	size_t i;

	for (i = 0; i < n; i++) {
		if (in_str)
			in_str = esc ? (esc = 0, 1) : t[i] == '\\' ? (esc = 1) : t[i] != '"';
		else if (t[i] == '"')
			in_str = 1;
		else if (t[i] == ' ' || t[i] == '\n' || t[i] == '\t' || t[i] == '\r')
			continue;
		putc(t[i], out);
	}
}

/* Prints the details of one review (-v, --json), as `tinyhook review` always did. */
static void
offline_detail(struct offline *o, int ms, int vs, const struct ostr *ops,
    const struct ostr *obj)
{
	FILE *f = o->o->detail_out;

	if (o->o->detail == 2) {
		fprintf(f, "{\"mutateStatus\":%d,\"mutate\":%.*s,\"validateStatus\":%d,"
		    "\"validate\":%.*s,\"patch\":%s,\"object\":", ms, (int)o->mout.len,
		    o->mout.p, vs, (int)o->vout.len, o->vout.p, ops->len ? ops->p : "null");
		if (obj->len > 0)
			offline_put_compact(obj->p, obj->len, f);
		else
			fputs("null", f);
		fputs("}\n", f);
		return;
	}
	fprintf(f, "# mutate (HTTP %d)\n%.*s\n", ms, (int)o->mout.len, o->mout.p);
	fprintf(f, "# validate (HTTP %d)\n%.*s\n", vs, (int)o->vout.len, o->vout.p);
	fprintf(f, "# patch\n%s\n", ops->len ? ops->p : "(none)");
	fprintf(f, "# patched object\n%s\n", obj->len ? obj->p : "(none)");
}

/* The error text of a refused review ({"error":"..."}). */
static void
offline_refused(struct offline *o, const struct buf *ans, int status, char *msg, size_t cap)
{
	struct json d;
	char why[VERDICT_ERR];

	why[0] = '\0';
	if (json_parse(&d, &o->ast, ans->p, ans->len) == JSON_OK)
		offline_member(&d, 0, "error", why, sizeof(why));
	snprintf(msg, cap, "the review was refused (HTTP %d): %s", status, why);
}

/* Span of member path of the answer when it is a non-empty container, else REPORT_NONE. */
static size_t
offline_keep(struct offline *o, struct json *d, const char *path)
{
	int v = json_getp(d, 0, path);
	size_t off, n;

	if ((json_type(d, v) != JSON_ARRAY && json_type(d, v) != JSON_OBJECT) ||
	    json_len(d, v) == 0)
		return REPORT_NONE;
	json_span(d, v, &off, &n);
	return report_str(o->r, d->s + off, n);
}

/* Fills the record's verdict and messages from the /validate answer. */
static void
offline_verdict(struct offline *o, struct report_rec *x, const struct offline_obj *b)
{
	struct json d;
	char msg[RULES_DENY_MAX];
	int allowed = 1;

	if (o->vout.len > 0 && json_parse(&d, &o->ast, o->vout.p, o->vout.len) == JSON_OK) {
		allowed = !json_is_true(&d, json_getp(&d, 0, "response.allowed")) ? 0 : 1;
		offline_member(&d, json_getp(&d, 0, "response.status"), "message", msg, sizeof(msg));
		if (!allowed)
			x->msg = report_str(o->r, msg, strlen(msg));
		x->warnings = offline_keep(o, &d, "response.warnings");
		x->audit = offline_keep(o, &d, "response.auditAnnotations");
	}
	x->v = !allowed ? V_DENY : x->warnings != REPORT_NONE ? V_WARN :
	    !b->in_scope ? V_SKIP : V_PASS;
	if (x->v == V_SKIP) {
		snprintf(msg, sizeof(msg), "no rule of the policy applies to %s", b->kind);
		x->msg = report_str(o->r, msg, strlen(msg));
	}
}

/* The patch ops of the /mutate answer into ops. -1 when it cannot be read. */
static int
offline_ops(struct offline *o, struct ostr *ops)
{
	struct json d;
	const char *raw;
	size_t n;

	if (o->mout.len == 0)
		return 0;
	if (json_parse(&d, &o->ast, o->mout.p, o->mout.len) != JSON_OK)
		return -1;
	if ((raw = json_raw(&d, json_getp(&d, 0, "response.patch"), &n)) == NULL)
		return 0;
	return apply_unbase64(raw, n, ops);
}

/*
 * Reviews AdmissionReview body[0, len) about object b and records the
 * verdict. Returns 0, or -1 (recorded as an error: the file is bad).
 */
static int
offline_review(struct offline *o, const struct offline_obj *b, const char *body, size_t len)
{
	struct ostr ops = OSTR_INIT, obj = OSTR_INIT;
	struct report_rec *x;
	int ms = 200, vs = 200, rc = 0, all = o->o->detail != 0;
	char msg[VERDICT_ERR + 64];

	o->mout.len = o->vout.len = 0;
	if (all || o->has_validate || !o->has_mutate)
		vs = offline_route(o, ROUTE_VALIDATE, body, len, &o->vout);
	if (all || o->has_mutate)
		ms = offline_route(o, ROUTE_MUTATE, body, len, &o->mout);
	if (ms == 200 && offline_ops(o, &ops) < 0)
		ms = 500;
	if (ms == 200 && vs == 200 && (all || o->o->keep_patched) && b->text != NULL &&
	    apply_patch(b->text, b->len, ops.p, ops.len, &obj) < 0)
		rc = offline_fail(o, b->p, 0, "the policy's patch could not be applied for display");
	if (all)
		offline_detail(o, ms, vs, &ops, &obj);
	if (rc == 0 && (ms != 200 || vs != 200)) {
		offline_refused(o, ms != 200 ? &o->mout : &o->vout, ms != 200 ? ms : vs,
		    msg, sizeof(msg));
		rc = offline_fail(o, b->p, 0, msg);
	}
	if (rc == 0 && (x = report_add(o->r, V_PASS)) != NULL) {
		x->kind = report_str(o->r, b->kind, strlen(b->kind));
		x->api = report_str(o->r, b->api, strlen(b->api));
		x->ns = report_str(o->r, b->ns, strlen(b->ns));
		x->name = report_str(o->r, b->name, strlen(b->name));
		x->file = report_str(o->r, b->p->file, strlen(b->p->file));
		x->doc = b->p->doc;
		x->item = b->item;
		x->yaml = b->p->yaml;
		x->patch = ops.len > 0 ? report_str(o->r, ops.p, ops.len) : REPORT_NONE;
		if (o->o->keep_patched && obj.len > 0)
			x->patched = report_str(o->r, obj.p, obj.len);
		offline_verdict(o, x, b);
	}
	ostr_free(&ops);
	ostr_free(&obj);
	return rc;
}

/* A bare object (a document, or an item of a List): reviewed as a CREATE. */
static int
offline_object(struct offline *o, const struct inputs_piece *p, struct json *d,
    int v, int item)
{
	struct offline_obj b;
	char gen[OFFLINE_STR_MAX];
	size_t off;
	int meta = json_get(d, v, "metadata");

	memset(&b, 0, sizeof(b));
	b.p = p;
	b.item = item;
	json_span(d, v, &off, &b.len);
	b.text = d->s + off;
	offline_member(d, v, "apiVersion", b.api, sizeof(b.api));
	offline_member(d, v, "kind", b.kind, sizeof(b.kind));
	if (b.api[0] == '\0' || b.kind[0] == '\0')
		return offline_fail(o, p, off, "not an object with apiVersion and kind (nor an "
		    "AdmissionReview, ConversionReview or List)");
	offline_member(d, meta, "name", b.name, sizeof(b.name));
	offline_member(d, meta, "generateName", gen, sizeof(gen));
	offline_member(d, meta, "namespace", b.ns, sizeof(b.ns));
	if (o->o->ns != NULL)
		snprintf(b.ns, sizeof(b.ns), "%s", o->o->ns);
	else if (b.ns[0] == '\0')
		snprintf(b.ns, sizeof(b.ns), "default");
	b.in_scope = offline_scope(o, b.api, b.kind);
	offline_wrap(o, &b, b.name);
	if (b.name[0] == '\0' && gen[0] != '\0')
		snprintf(b.name, sizeof(b.name), "%.1000s*", gen);
	if (o->wrap.nomem) {
		o->r->nomem = 1;
		return -1;
	}
	return offline_review(o, &b, o->wrap.p, o->wrap.len);
}

/* An AdmissionReview, reviewed as it is. */
static int
offline_admission(struct offline *o, const struct inputs_piece *p, struct json *d)
{
	struct offline_obj b;
	int req = json_get(d, 0, "request"), gvk = json_get(d, req, "kind"), obj;
	char group[OFFLINE_STR_MAX], ver[OFFLINE_STR_MAX], sub[OFFLINE_STR_MAX];
	size_t off;

	memset(&b, 0, sizeof(b));
	b.p = p;
	b.item = -1;
	offline_member(d, gvk, "group", group, sizeof(group));
	offline_member(d, gvk, "version", ver, sizeof(ver));
	offline_member(d, gvk, "kind", b.kind, sizeof(b.kind));
	snprintf(b.api, sizeof(b.api), "%.500s%s%.500s", group, group[0] ? "/" : "", ver);
	offline_member(d, req, "namespace", b.ns, sizeof(b.ns));
	offline_member(d, req, "name", b.name, sizeof(b.name));
	offline_member(d, req, "subResource", sub, sizeof(sub));
	b.in_scope = (o->has_validate || o->has_mutate) &&
	    kinds_find(d, gvk, policy_workloads) != NULL &&
	    (sub[0] == '\0' || strcmp(sub, "ephemeralcontainers") == 0);
	obj = json_get(d, req, "object");
	if (json_type(d, obj) != JSON_OBJECT)
		obj = json_get(d, req, "oldObject");
	if (json_type(d, obj) == JSON_OBJECT) {
		json_span(d, obj, &off, &b.len);
		b.text = d->s + off;
	}
	return offline_review(o, &b, p->text, p->len);
}

/* A ConversionReview, converted through /convert: PASS on Success, else DENY. */
static int
offline_conversion(struct offline *o, const struct inputs_piece *p)
{
	struct report_rec *x;
	struct json d;
	char status[64], msg[RULES_DENY_MAX], uid[VERDICT_UID], want[OFFLINE_STR_MAX];
	int st = offline_route(o, ROUTE_CONVERT, p->text, p->len, &o->vout), resp, v;
	size_t off, n;

	if (o->o->detail == 2)
		fprintf(o->o->detail_out, "{\"convertStatus\":%d,\"convert\":%.*s}\n", st,
		    st == 200 ? (int)o->vout.len : 4, st == 200 ? o->vout.p : "null");
	else if (o->o->detail)
		fprintf(o->o->detail_out, "# convert (HTTP %d)\n%.*s\n", st, (int)o->vout.len, o->vout.p);
	if (st != 200) {
		offline_refused(o, &o->vout, st, msg, sizeof(msg));
		return offline_fail(o, p, 0, msg);
	}
	if (json_parse(&d, &o->ast, o->vout.p, o->vout.len) != JSON_OK ||
	    (x = report_add(o->r, V_PASS)) == NULL)
		return offline_fail(o, p, 0, "unreadable /convert answer");
	resp = json_get(&d, 0, "response");
	offline_member(&d, json_get(&d, resp, "result"), "status", status, sizeof(status));
	offline_member(&d, json_get(&d, resp, "result"), "message", msg, sizeof(msg));
	offline_member(&d, resp, "uid", uid, sizeof(uid));
	v = json_get(&d, resp, "convertedObjects");
	x->v = strcmp(status, "Success") == 0 ? V_PASS : V_DENY;
	if (x->v == V_PASS) {
		struct json rq;

		want[0] = '\0';
		if (json_parse(&rq, &o->st, p->text, p->len) == JSON_OK)
			offline_member(&rq, json_get(&rq, 0, "request"), "desiredAPIVersion",
			    want, sizeof(want));
		snprintf(msg, sizeof(msg), "converted %d objects to %s", json_len(&d, v), want);
	}
	x->msg = report_str(o->r, msg, strlen(msg));
	x->kind = report_str(o->r, "ConversionReview", 16);
	x->api = report_str(o->r, "apiextensions.k8s.io/v1", 23);
	x->name = report_str(o->r, uid, strlen(uid));
	x->file = report_str(o->r, p->file, strlen(p->file));
	x->doc = p->doc;
	x->yaml = p->yaml;
	if (o->o->keep_patched && json_type(&d, v) == JSON_ARRAY) {
		json_span(&d, v, &off, &n);
		x->patched = report_str(o->r, d.s + off, n);
	}
	return 0;
}

/* Whether string v ends with "List" (List, PodList, DeploymentList ...). */
static int
offline_is_list(struct json *d, int v)
{
	char kind[OFFLINE_STR_MAX];
	size_t n;

	if (json_type(d, v) != JSON_STRING)
		return 0;
	json_str_copy(d, v, kind, sizeof(kind));
	n = strlen(kind);
	return n >= 4 && strcmp(kind + n - 4, "List") == 0;
}

/* The rest of a document whose items were streamed: it must be a List. */
static int
offline_skeleton(struct offline *o, const struct inputs_piece *p, struct json *d)
{
	char msg[200];
	int items = json_get(d, 0, "items");

	if (!offline_is_list(d, json_get(d, 0, "kind"))) {
		snprintf(msg, sizeof(msg), "document %d has a top-level items array but its "
		    "kind is not a List", p->doc);
		return offline_fail(o, p, 0, msg);
	}
	if (json_type(d, items) != JSON_ARRAY || json_len(d, items) != 0)
		return offline_fail(o, p, 0, "a List with two items members");
	return 0;
}

/* One document: by its kind. */
static int
offline_doc(struct offline *o, const struct inputs_piece *p, struct json *d)
{
	int kind = json_get(d, 0, "kind"), items = json_get(d, 0, "items"), v, i = 0;
	size_t off, n;

	if (p->item < 0 && json_str_eq(d, kind, "AdmissionReview"))
		return offline_admission(o, p, d);
	if (p->item < 0 && json_str_eq(d, kind, "ConversionReview"))
		return offline_conversion(o, p);
	if (p->item >= 0 || !offline_is_list(d, kind) || json_type(d, items) != JSON_ARRAY)
		return offline_object(o, p, d, 0, p->item);
	for (v = json_first(d, items); v != JSON_NONE; v = json_next(d, v), i++) {
		json_span(d, v, &off, &n);
		if (json_type(d, v) != JSON_OBJECT)
			return offline_fail(o, p, off, "a List item is not an object");
		if (offline_object(o, p, d, v, i) < 0)
			return -1;
	}
	return 0;
}

static int
offline_piece(void *arg, const struct inputs_piece *p)
{
	struct offline *o = arg;
	struct json d;
	size_t at = 0;
	int err = json_parse_at(&d, &o->st, p->text, p->len, &at);

	if (err == JSON_ERR_NOTOBJ)
		return offline_fail(o, p, 0, "the document is not an object");
	if (err != JSON_OK)
		return offline_fail(o, p, at, json_strerror(err));
	return p->skeleton ? offline_skeleton(o, p, &d) : offline_doc(o, p, &d);
}

static void
offline_begin(void *arg, const char *file, int yaml)
{
	struct offline *o = arg;

	(void)file;
	o->yaml = yaml;
	report_file_begin(o->r);
}

static void
offline_end(void *arg, const char *file, int ok)
{
	(void)file;
	report_file_end(((struct offline *)arg)->r, ok);
}

static void
offline_error(void *arg, const char *file, long line, long col, const char *msg)
{
	report_error(((struct offline *)arg)->r, file, line, col, msg);
}

static int
offline_open(struct offline *o, const struct offline_opts *opts, struct report *r)
{
	memset(o, 0, sizeof(*o));
	o->o = opts;
	o->r = r;
	o->has_validate = rules_serve(policy_rules, policy_nrules, 0);
	o->has_mutate = rules_serve(policy_rules, policy_nrules, 1);
	if ((o->ctx = review_ctx_new(opts->lim.max_object)) == NULL) {
		r->nomem = 1;
		return -1;
	}
	return 0;
}

static void
offline_close(struct offline *o)
{
	review_ctx_free(o->ctx);
	json_store_free(&o->st);
	json_store_free(&o->ast);
	ostr_free(&o->wrap);
	free(o->mout.p);
	free(o->vout.p);
}

/* See offline.h. */
int
offline_run(const struct offline_opts *opts, char *const *paths, int n, struct report *r)
{
	struct offline o;
	struct inputs_sink sink = { NULL, offline_begin, offline_end, offline_piece, offline_error };

	if (offline_open(&o, opts, r) < 0)
		return -1;
	sink.arg = &o;
	inputs_run(paths, n, &opts->lim, &sink);
	offline_close(&o);
	return r->nomem ? -1 : 0;
}

/* See offline.h. */
int
offline_run_text(const struct offline_opts *opts, const char *file, const char *text,
    size_t len, long line, struct report *r)
{
	struct offline o;
	struct inputs_piece p;
	int rc;

	if (offline_open(&o, opts, r) < 0)
		return -1;
	memset(&p, 0, sizeof(p));
	p.file = file;
	p.doc = 1;
	p.item = -1;
	p.yaml = 1;
	p.text = text;
	p.len = len;
	p.line = line;
	p.col = 1;
	report_file_begin(r);
	rc = offline_piece(&o, &p);
	report_file_end(r, rc == 0);
	offline_close(&o);
	return r->nomem ? -1 : 0;
}

/* Parses a size with an optional Ki/Mi/Gi suffix; 0 when malformed. */
static unsigned long long
offline_size(const char *s)
{
	char *end;
	unsigned long long v;

	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno != 0 || end == s || s[0] == '-')
		return 0;
	if (strcmp(end, "Ki") == 0)
		v <<= 10;
	else if (strcmp(end, "Mi") == 0)
		v <<= 20;
	else if (strcmp(end, "Gi") == 0)
		v <<= 30;
	else if (*end != '\0')
		return 0;
	return v;
}

/* Flags of `tinyhook review`. */
struct offline_flags {
	struct offline_opts	 o;
	enum report_format	 fmt;
	int			 warn_exit, patched;
	char			**paths;
	int			 npaths;
};

/* Parses one flag with a value at argv[*i]. Returns 0, or -1 when bad. */
static int
offline_flag_value(struct offline_flags *f, const char *flag, const char *v)
{
	unsigned long long n;

	if (strcmp(flag, "-o") == 0 || strcmp(flag, "--output") == 0) {
		f->fmt = strcmp(v, "json") == 0 ? FMT_JSON : strcmp(v, "junit") == 0 ? FMT_JUNIT :
		    strcmp(v, "text") == 0 ? FMT_TEXT : NUM_FORMATS;
		return f->fmt == NUM_FORMATS ? -1 : 0;
	}
	if (strcmp(flag, "--namespace") == 0) {
		f->o.ns = v;
		return v[0] == '\0' ? -1 : 0;
	}
	if (strcmp(flag, "--warn-exit-code") == 0) {
		n = offline_size(v);
		f->warn_exit = (int)n;
		return n > 255 || (n == 0 && strcmp(v, "0") != 0) ? -1 : 0;
	}
	n = offline_size(v);
	if (strcmp(flag, "--max-file-size") == 0 && n > 0)
		f->o.lim.max_file = n;
	else if (strcmp(flag, "--max-object-size") == 0 && n > 0 && n < JSON_MAX_LEN)
		f->o.lim.max_object = (size_t)n;
	else
		return -1;
	return 0;
}

/* Parses argv. Returns -1 to go on, or an exit code (usage printed). */
static int
offline_flags(struct offline_flags *f, int argc, char **argv)
{
	static const char *const valued[] = { "-o", "--output", "--namespace",
	    "--warn-exit-code", "--max-file-size", "--max-object-size" };
	size_t k;
	int i;

	for (i = 1; i < argc; i++) {
		for (k = 0; k < sizeof(valued) / sizeof(valued[0]); k++)
			if (strcmp(argv[i], valued[k]) == 0)
				break;
		if (k < sizeof(valued) / sizeof(valued[0])) {
			if (i + 1 >= argc || offline_flag_value(f, argv[i], argv[i + 1]) < 0) {
				fprintf(stderr, "tinyhook review: %s: a bad or missing value\n%s",
				    argv[i], review_usage);
				return 2;
			}
			i++;
		} else if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
			fputs(review_usage, stdout);
			return 0;
		} else if (strcmp(argv[i], "-v") == 0)
			f->o.detail = 1;
		else if (strcmp(argv[i], "--json") == 0)
			f->o.detail = 2;
		else if (strcmp(argv[i], "--patched") == 0)
			f->patched = f->o.keep_patched = 1;
		else if (argv[i][0] == '-' && argv[i][1] != '\0') {
			fprintf(stderr, "tinyhook review: unknown flag %s\n%s", argv[i], review_usage);
			return 2;
		} else
			f->paths[f->npaths++] = argv[i];
	}
	return -1;
}

/* --patched: every object as the patch leaves it, in input order. */
static void
offline_print_patched(const struct report *r, FILE *out)
{
	struct json_store st = { NULL, 0 };
	struct ostr y = OSTR_INIT;
	struct json d;
	const char *t;
	int i, err;

	for (i = 0; i < r->n; i++) {
		if (r->rec[i].dropped || (t = report_at(r, r->rec[i].patched)) == NULL)
			continue;
		if (!r->rec[i].yaml) {
			offline_put_compact(t, strlen(t), out);
			putc('\n', out);
			continue;
		}
		err = json_parse(&d, &st, t, strlen(t));
		if (err != JSON_OK && err != JSON_ERR_NOTOBJ)
			continue;
		y.len = 0;
		yml_write(&y, &d, 0);
		fprintf(out, "---\n%s", ostr_str(&y));
	}
	ostr_free(&y);
	json_store_free(&st);
}

/* See offline.h: `tinyhook review [flags] [FILE|DIR|-]...`. */
int
review_cli(int argc, char **argv)
{
	static char *dash[] = { "-" };
	struct offline_flags f;
	struct report r;
	int rc;

	memset(&f, 0, sizeof(f));
	f.o.lim.max_file = INPUTS_MAX_FILE;
	f.o.lim.max_object = INPUTS_MAX_OBJECT;
	f.o.detail_out = stdout;
	if ((f.paths = calloc((size_t)argc + 1, sizeof(*f.paths))) == NULL)
		return 2;
	if ((rc = offline_flags(&f, argc, argv)) >= 0) {
		free(f.paths);
		return rc;
	}
	report_init(&r);
	if (offline_run(&f.o, f.npaths ? f.paths : dash, f.npaths ? f.npaths : 1, &r) < 0)
		fprintf(stderr, "tinyhook review: out of memory\n");
	if (f.patched)
		offline_print_patched(&r, stdout);
	/* --patched and --json keep stdout for objects: the report goes to stderr. */
	report_print(&r, f.fmt, f.patched || f.o.detail == 2 ? stderr : stdout);
	rc = report_exit(&r, f.warn_exit);
	report_free(&r);
	free(f.paths);
	return rc;
}
