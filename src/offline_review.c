/*
 * offline_review.c: one piece of the offline inputs reviewed by the
 * compiled policy, one verdict per object (see offline_review.h): the
 * AdmissionReview the apiserver would send for a bare object, the
 * /validate and /mutate answers, the patch and the patched object.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "apply.h"
#include "inputs.h"
#include "json.h"
#include "kinds.h"
#include "limit.h"
#include "offline_review.h"
#include "report.h"
#include "review.h"
#include "rules.h"

#define OFFLINE_UID		"00000000-0000-4000-8000-000000000000"

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
/* See offline_review.h. */
void
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
	FILE *f = o->detail_out;

	if (o->detail == 2) {
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
	int ms = 200, vs = 200, rc = 0, all = o->detail != 0;
	char msg[VERDICT_ERR + 64];

	o->mout.len = o->vout.len = 0;
	if (all || o->has_validate || !o->has_mutate)
		vs = offline_route(o, ROUTE_VALIDATE, body, len, &o->vout);
	if (all || o->has_mutate)
		ms = offline_route(o, ROUTE_MUTATE, body, len, &o->mout);
	if (ms == 200 && offline_ops(o, &ops) < 0)
		ms = 500;
	if (ms == 200 && vs == 200 && (all || o->keep_patched) && b->text != NULL &&
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
		if (o->keep_patched && obj.len > 0)
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
	if (o->ns != NULL)
		snprintf(b.ns, sizeof(b.ns), "%s", o->ns);
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

	if (o->detail == 2)
		fprintf(o->detail_out, "{\"convertStatus\":%d,\"convert\":%.*s}\n", st,
		    st == 200 ? (int)o->vout.len : 4, st == 200 ? o->vout.p : "null");
	else if (o->detail)
		fprintf(o->detail_out, "# convert (HTTP %d)\n%.*s\n", st, (int)o->vout.len, o->vout.p);
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
	if (o->keep_patched && json_type(&d, v) == JSON_ARRAY) {
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

/* See offline_review.h. */
int
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
