/*
 * convert.c: ConversionReview (apiextensions.k8s.io/v1) decode and encode
 * around the compiled conversion tables (CONTRACT rules 26-29).
 *
 * Per object: the table rules of both steps (spoke -> hub -> spoke) become
 * a list of edits keyed by output path (convert_edit.c); then the object is
 * written once under them (convert_write.c). An object already in the
 * desired version is copied as received.
 */
#include <stdio.h>
#include <string.h>

#include "convert.h"
#include "convert_int.h"

static const char convert_api[] = "apiextensions.k8s.io/v1";
static const char convert_review_kind[] = "ConversionReview";

/*
 * Weak references: a build whose src/policy.c does not (yet) define the
 * policy's conversions links anyway, their addresses are then NULL and
 * every object is a Failure. Not weak definitions: the compiler may fold a
 * weak const's initializer into its users and ignore policy.c's value.
 */
extern const struct convert_kind *const policy_conversions[] __attribute__((weak));
extern const int policy_nconversions __attribute__((weak));

/*
 * The members of an object that every object needs (JSON_NONE: absent),
 * found in one pass over its top level; the last duplicate wins, as in
 * json_get().
 */
struct cv_top {
	int	api;	/* apiVersion value */
	int	kind;
	int	meta;	/* metadata */
	int	keys[CONVERT_KEYS];	/* every member key, in order (convert_obj.keys) */
	int	nkeys;	/* -1: more than CONVERT_KEYS */
};

/* The request as a whole, while its objects are converted. */
struct cv_review {
	struct json			*d;
	const struct convert_kind *const *kinds;
	int				 nkinds;
	int				 desired;	/* desiredAPIVersion token */
	char				 dav[CONVERT_NAME_MAX];
	size_t				 davn;		/* strlen(dav) */
	char				 dgv[CONVERT_NAME_MAX];	/* dav split at '/' */
	const char			*dgroup, *dversion;	/* into dgv */
	char				 msg[CONVERT_MSG_MAX];
	struct verdict		*info;
};

/* ---- table rules ---- */

/* Applies one field rule of a spoke in the spoke -> hub direction. */
static void
cv_field_to_hub(struct convert_obj *o, const struct convert_field *f)
{
	struct cv_path hub, spoke;

	switch (f->op) {
	case CONVERT_RENAME:
		if (ce_path(o, &hub, f->hub, NULL) == 0 &&
		    ce_path(o, &spoke, f->spoke, NULL) == 0) {
			ce_move(o, &spoke, &hub);
			ce_default(o, &hub, f->def);
		}
		break;
	case CONVERT_HUB_ONLY:
		if (ce_path(o, &hub, f->hub, NULL) == 0)
			ce_restore(o, f->annotation, &hub, f->def);
		break;
	case CONVERT_SPOKE_ONLY:
		if (ce_path(o, &spoke, f->spoke, NULL) == 0)
			ce_preserve(o, &spoke, f->annotation);
		break;
	default:
		ce_fail(o, "unknown conversion rule");
	}
}

/* Applies one field rule of a spoke in the hub -> spoke direction. */
static void
cv_field_from_hub(struct convert_obj *o, const struct convert_field *f)
{
	struct cv_path hub, spoke;

	switch (f->op) {
	case CONVERT_RENAME:
		if (ce_path(o, &hub, f->hub, NULL) == 0 &&
		    ce_path(o, &spoke, f->spoke, NULL) == 0)
			ce_move(o, &hub, &spoke);
		break;
	case CONVERT_HUB_ONLY:
		if (ce_path(o, &hub, f->hub, NULL) == 0)
			ce_preserve(o, &hub, f->annotation);
		break;
	case CONVERT_SPOKE_ONLY:
		if (ce_path(o, &spoke, f->spoke, NULL) == 0)
			ce_restore(o, f->annotation, &spoke, f->def);
		break;
	default:
		ce_fail(o, "unknown conversion rule");
	}
}

/*
 * Spoke -> hub: the table in order, then the custom function. Hub ->
 * spoke mirrors it: the function first, then the table backwards, so a
 * round trip undoes the steps in reverse.
 */
static void
cv_to_hub(struct convert_obj *o, const struct convert_version *v)
{
	size_t i;
	const char *why;

	for (i = 0; i < v->nfields && o->why == NULL; i++)
		cv_field_to_hub(o, &v->fields[i]);
	if (o->why == NULL && v->to_hub != NULL && (why = v->to_hub(o)) != NULL)
		ce_fail(o, why);
}

/* Hub -> spoke v: the mirror of cv_to_hub(). */
static void
cv_from_hub(struct convert_obj *o, const struct convert_version *v)
{
	size_t i;
	const char *why;

	if (v->from_hub != NULL && (why = v->from_hub(o)) != NULL)
		ce_fail(o, why);
	for (i = v->nfields; i > 0 && o->why == NULL; i--)
		cv_field_from_hub(o, &v->fields[i - 1]);
}

/* ---- the review ---- */

/* Writes {"error":why} (a fixed string, never request data); returns status. */
static int
cv_error(struct buf *out, struct verdict *info, int status, const char *why)
{
	return verdict_fail(out, info, status, why);
}

/* The entry of kinds for group and kind token k, or NULL. */
static const struct convert_kind *
cv_find_kind(struct cv_review *r, const char *group, int k)
{
	int i;

	for (i = 0; i < r->nkinds; i++)
		if (strcmp(r->kinds[i]->group, group) == 0 &&
		    cv_str_eq(r->d, k, r->kinds[i]->kind, strlen(r->kinds[i]->kind)))
			return r->kinds[i];
	return NULL;
}

/* The entry of k for version name, or NULL. */
static const struct convert_version *
cv_find_version(const struct convert_kind *k, const char *name)
{
	size_t i;

	for (i = 0; i < k->nversions; i++)
		if (strcmp(k->versions[i].name, name) == 0)
			return &k->versions[i];
	return NULL;
}

/*
 * Splits the apiVersion in buf at its '/' into group and version (a core
 * "v1" has group "").
 */
static void
cv_gv(char *buf, const char **group, const char **version)
{
	char *slash = strchr(buf, '/');

	*group = slash != NULL ? buf : "";
	*version = slash != NULL ? slash + 1 : buf;
	if (slash != NULL)
		*slash = '\0';
}

/*
 * Formats the Failure message for object i: its index, kind and name (so
 * an operator can find it) and why. Names are copied unescaped and
 * escaped again when written.
 */
static void
cv_object_failed(struct cv_review *r, int i, int obj, const char *why)
{
	char kind[VERDICT_KIND];
	int meta = json_get(r->d, obj, "metadata");

	(void)json_str_copy(r->d, json_get(r->d, obj, "kind"), kind, sizeof(kind));
	(void)json_str_copy(r->d, json_get(r->d, meta, "name"), r->info->name,
	    sizeof(r->info->name));
	snprintf(r->msg, sizeof(r->msg), "converting object %d (kind \"%.63s\", name \"%.253s\") "
	    "to %.96s: %.255s", i, kind, r->info->name, r->dav, why);
}

/*
 * Fills top from one pass over object obj's members (a key with escapes is
 * compared unescaped, and an invalid one marks the document bad, as
 * json_get() would).
 */
static void
cv_top_scan(struct json *d, int obj, struct cv_top *top)
{
	int k, n = 0;

	top->api = top->kind = top->meta = JSON_NONE;
	for (k = json_first(d, obj); k != JSON_NONE; k = json_next(d, k)) {
		if (n >= 0 && n < CONVERT_KEYS)
			top->keys[n++] = k;
		else
			n = -1;
		if (cv_str_eq(d, k, "apiVersion", 10))
			top->api = k + 1;
		if (cv_str_eq(d, k, "kind", 4))
			top->kind = k + 1;
		if (cv_str_eq(d, k, "metadata", 8))
			top->meta = k + 1;
	}
	top->nkeys = n;
}

/* Checks what every object needs; returns NULL or why it is malformed. */
static const char *
cv_malformed(struct json *d, int obj, const struct cv_top *top)
{
	if (json_type(d, obj) != JSON_OBJECT)
		return "not a JSON object";
	if (json_type(d, top->api) != JSON_STRING || json_str_empty(d, top->api))
		return "apiVersion missing or not a string";
	if (json_type(d, top->kind) != JSON_STRING || json_str_empty(d, top->kind))
		return "kind missing or not a string";
	if (top->meta != JSON_NONE && json_type(d, top->meta) != JSON_OBJECT)
		return "metadata is not an object";
	return NULL;
}

/*
 * json_str_copy() of string v into dst[cap], as a memcpy when the text has
 * no escapes (its own unescaping). Same results: the length, 0 for "", -1
 * for an invalid escape (the document marked bad), -2 when cut.
 */
static long
cv_str_copy(struct json *d, int v, char *dst, size_t cap)
{
	size_t rn;
	const char *raw = json_raw(d, v, &rn);

	if (raw == NULL || cap == 0 || json_type(d, v) != JSON_STRING ||
	    memchr(raw, '\\', rn) != NULL)
		return json_str_copy(d, v, dst, cap);
	if (rn >= cap) {
		memcpy(dst, raw, cap - 1);
		dst[cap - 1] = '\0';
		return -2;
	}
	memcpy(dst, raw, rn);
	dst[rn] = '\0';
	return (long)rn;
}

/*
 * Finds the versions an object converts between. Returns NULL with
 * *src and *dst set, or why (formatted into buf) the object cannot be
 * converted.
 */
static const char *
cv_route(struct cv_review *r, const struct cv_top *top,
    const struct convert_kind **kind, const struct convert_version **src,
    const struct convert_version **dst, char *buf, size_t cap)
{
	char av[CONVERT_NAME_MAX];
	const char *group, *version;

	if (cv_str_copy(r->d, top->api, av, sizeof(av)) <= 0)
		return "apiVersion is unreadable or longer than CONVERT_NAME_MAX";
	cv_gv(av, &group, &version);
	if ((*kind = cv_find_kind(r, group, top->kind)) == NULL) {
		snprintf(buf, cap, "no conversion for this kind in group \"%.200s\"", group);
		return buf;
	}
	if (cv_find_version(*kind, (*kind)->hub) == NULL)
		return "the conversion table's hub version is not among its versions";
	if (strcmp(r->dgroup, group) != 0)
		return "desiredAPIVersion is in another group";
	*src = cv_find_version(*kind, version);
	*dst = cv_find_version(*kind, r->dversion);
	if (*src == NULL || *dst == NULL) {
		snprintf(buf, cap, "unknown version \"%.160s\" (not in this kind's "
		    "conversion table)", *src == NULL ? version : r->dversion);
		return buf;
	}
	return NULL;
}

/*
 * Plans and writes one object that is not yet in the desired version.
 * Returns NULL or why it failed (an object never half-written counts:
 * the caller throws the whole answer away on failure).
 */
static const char *
cv_convert(struct cv_review *r, struct buf *out, int obj,
    const struct cv_top *top, char *buf, size_t cap)
{
	struct convert_obj o;
	const struct convert_kind *kind;
	const struct convert_version *src, *dst, *hub;
	struct cv_path ap;
	struct cv_val v = { CV_TOK, JSON_NONE, NULL, 0, 0, JSON_NONE };
	const char *why;

	if ((why = cv_route(r, top, &kind, &src, &dst, buf, cap)) != NULL)
		return why;
	hub = cv_find_version(kind, kind->hub);
	o.d = r->d;
	o.obj = obj;
	o.keys = top->keys;
	o.nkeys = top->nkeys;
	o.ne = 0;
	o.why = NULL;
	o.nscratch = 0;
	o.internal = 1;
	(void)ce_split(&ap, "apiVersion", NULL);
	v.tok = r->desired;
	ce_set(&o, &ap, v, JSON_NONE);
	o.internal = 0;
	if (src != hub)
		cv_to_hub(&o, src);
	if (dst != hub && o.why == NULL)
		cv_from_hub(&o, dst);
	if (o.why == NULL)
		cw_put(&o, out);
	return o.why;
}

/*
 * Writes object i converted, or as received when it is already in the
 * desired version (CONTRACT rule 29). Returns NULL or why it failed.
 */
static const char *
cv_object(struct cv_review *r, struct buf *out, int i, int obj)
{
	char buf[CONVERT_MSG_MAX / 2];
	struct cv_top top;
	const char *why;
	size_t off, n;
	int bad = r->d->bad;

	/* A key or name we could not unescape makes this object unreadable. */
	r->d->bad = 0;
	cv_top_scan(r->d, obj, &top);
	if ((why = cv_malformed(r->d, obj, &top)) == NULL &&
	    cv_str_eq(r->d, top.api, r->dav, r->davn)) {
		json_span(r->d, obj, &off, &n);
		buf_put(out, r->d->s + off, n);
	} else if (why == NULL)
		why = cv_convert(r, out, obj, &top, buf, sizeof(buf));
	if (why == NULL && r->d->bad)
		why = "a string with an invalid escape";
	r->d->bad |= bad;
	if (why != NULL)
		cv_object_failed(r, i, obj, why);
	return why;
}

/*
 * Writes "convertedObjects":[...]. Returns NULL, or why the review fails
 * (r->msg holds the message); stops early when out overflowed.
 */
static const char *
cv_objects(struct cv_review *r, struct buf *out, int req)
{
	int objs = json_get(r->d, req, "objects"), v, i = 0;
	int dv = json_get(r->d, req, "desiredAPIVersion");

	if (cv_str_copy(r->d, dv, r->dav, sizeof(r->dav)) <= 0) {
		snprintf(r->msg, sizeof(r->msg), "request.desiredAPIVersion is "
		    "missing, unreadable or longer than CONVERT_NAME_MAX");
		return r->msg;
	}
	if (json_type(r->d, objs) != JSON_ARRAY) {
		snprintf(r->msg, sizeof(r->msg), "request.objects is not an array");
		return r->msg;
	}
	r->desired = dv;
	r->davn = strlen(r->dav);
	memcpy(r->dgv, r->dav, sizeof(r->dgv));
	cv_gv(r->dgv, &r->dgroup, &r->dversion);
	buf_puts(out, ",\"convertedObjects\":[");
	for (v = json_first(r->d, objs); v != JSON_NONE && !out->overflow;
	    v = json_next(r->d, v), i++) {
		if (i > 0)
			buf_putc(out, ',');
		if (cv_object(r, out, i, v) != NULL)
			return r->msg;
	}
	buf_putc(out, ']');
	return NULL;
}

/* Writes the result and closes the response: Success, or Failure alone. */
static void
cv_result(struct cv_review *r, struct buf *out, size_t mark, const char *why)
{
	size_t n;

	r->info->allowed = why == NULL;
	if (why == NULL) {
		buf_puts(out, ",\"result\":{\"status\":\"Success\"}}}");
		return;
	}
	/* Never a partial answer: what was converted before is dropped. */
	out->len = mark;
	out->overflow = 0;
	buf_puts(out, ",\"result\":{\"status\":\"Failure\",\"message\":");
	json_put_cstr(out, r->msg);
	buf_puts(out, "}}}");
	n = strlen(r->msg);
	if (n >= sizeof(r->info->error))
		n = sizeof(r->info->error) - 1;
	memcpy(r->info->error, r->msg, n);
	r->info->error[n] = '\0';
}

/* See convert.h. */
int
convert_review_with(struct json *d, struct buf *out, struct verdict *info,
    const struct convert_kind *const *kinds, int nkinds)
{
	struct cv_review r;
	size_t off, n, mark;
	int req, uid;

	memcpy(info->kind, convert_review_kind, sizeof(convert_review_kind));
	out->len = 0;
	out->overflow = 0;
	if (!json_str_eq(d, json_get(d, 0, "apiVersion"), convert_api) ||
	    !json_str_eq(d, json_get(d, 0, "kind"), convert_review_kind))
		return cv_error(out, info, 400, "expected apiextensions.k8s.io/v1 ConversionReview");
	if (json_type(d, req = json_get(d, 0, "request")) != JSON_OBJECT)
		return cv_error(out, info, 400, "missing request");
	uid = json_get(d, req, "uid");
	if (json_type(d, uid) != JSON_STRING || json_str_empty(d, uid))
		return cv_error(out, info, 400, "missing request.uid");
	if (cv_str_copy(d, uid, info->uid, sizeof(info->uid)) == -1)
		return cv_error(out, info, 400, "invalid string escape");
	memset(&r, 0, sizeof(r));
	r.d = d;
	r.kinds = kinds;
	r.nkinds = nkinds;
	r.info = info;
	json_span(d, uid, &off, &n);
	buf_puts(out, "{\"apiVersion\":\"apiextensions.k8s.io/v1\","
	    "\"kind\":\"ConversionReview\",\"response\":{\"uid\":");
	buf_put(out, d->s + off, n);
	mark = out->len;
	cv_result(&r, out, mark, cv_objects(&r, out, req));
	if (out->overflow)
		return cv_error(out, info, 500, "response larger than its buffer");
	return 200;
}

/* See convert.h: with the compiled policy's tables. */
int
convert_review(struct json *d, struct buf *out, struct verdict *info)
{
	if (&policy_nconversions == NULL || policy_conversions == NULL)
		return convert_review_with(d, out, info, NULL, 0);
	return convert_review_with(d, out, info, policy_conversions,
	    policy_nconversions);
}
