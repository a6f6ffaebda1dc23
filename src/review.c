/*
 * review.c: AdmissionReview v1 decode and encode around the compiled policy
 * (CONTRACT rules 8-23). One jsmn pass over the body, then lookups by token;
 * the response is written straight into the server's buffer. Nothing here
 * allocates: the per-worker scratch (tokens, patch, messages) is made once
 * by review_ctx_new().
 */
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "limit.h"
#include "patch.h"
#include "review.h"
#include "convert.h"
#include "rules.h"

static const char review_api[] = "admission.k8s.io/v1";
static const char review_kind[] = "AdmissionReview";

struct review_ctx {
	struct json_store	st;
	char			patch[PATCH_MAX];
	char			deny[RULES_DENY_MAX];
	char			warn[RULES_WARN_MAX];
	char			audit[RULES_AUDIT_MAX];
};

/*
 * Makes one worker's scratch. max_body is not needed up front: the token
 * array starts small and grows (bounded) to the largest body seen.
 */
struct review_ctx *
review_ctx_new(size_t max_body)
{
	struct review_ctx *ctx = calloc(1, sizeof(*ctx));

	(void)max_body;
	if (ctx != NULL && json_store_reserve(&ctx->st, JSON_MIN_TOKENS) != JSON_OK) {
		free(ctx);
		return NULL;
	}
	return ctx;
}

void
review_ctx_free(struct review_ctx *ctx)
{
	if (ctx == NULL)
		return;
	json_store_free(&ctx->st);
	free(ctx);
}

/*
 * An AdmissionReview answer is bounded by the output limits (messages,
 * warnings, annotations, base64 of the patch) plus the echoed uid, which is
 * part of the body. A ConversionReview answer repeats every object, so it is
 * sized from the body (renamed fields and apiVersion changes grow it a
 * little; the conversion code keeps within body_len / 2 of growth).
 */
size_t
review_out_cap(size_t body_len)
{
	return review_out_cap_for(ROUTE_CONVERT, body_len);
}

size_t
review_out_cap_for(enum review_route route, size_t body_len)
{
	size_t adm = REVIEW_OUT_FIXED + REVIEW_UID_MAX + RULES_DENY_MAX + RULES_WARN_MAX +
	    RULES_AUDIT_MAX + patch_base64_len(PATCH_MAX);

	/* An AdmissionReview answer echoes only the uid and bounded outputs,
	 * whatever the body's size. A conversion repeats every object; a
	 * field preserved in an annotation is escaped, up to twice its bytes. */
	return route == ROUTE_CONVERT ? adm + 2 * body_len : adm;
}

/* Copies string v (unescaped, cut to fit) into dst. */
static void
review_copy(struct json *d, int v, char *dst, size_t cap)
{
	(void)json_str_copy(d, v, dst, cap);
}

/*
 * Replaces whatever is in out with {"error":why} and returns status. The
 * reason is one of our fixed strings, never request data, so nothing the
 * client sent is echoed into an error.
 */
static int
review_error(struct buf *out, struct verdict *info, int status,
    const char *why)
{
	return verdict_fail(out, info, status, why);
}

static int
review_status_of(int json_err)
{
	switch (json_err) {
	case JSON_ERR_TOOBIG:	return 413;
	case JSON_ERR_NOMEM:	return 500;
	case JSON_ERR_BUSY:	return 503;
	default:		return 400;
	}
}

/* True for the operations CONTRACT rule 8 lists; sets *op to our copy. */
static int
review_op(struct json *d, int v, const char **op)
{
	static const char *const ops[] = { "CREATE", "UPDATE", "DELETE", "CONNECT" };
	size_t i;

	for (i = 0; i < sizeof(ops) / sizeof(ops[0]); i++)
		if (json_str_eq(d, v, ops[i])) {
			*op = ops[i];
			return 1;
		}
	return 0;
}

/*
 * The members of request the review reads, found in one walk over it
 * (json_get_keys()): the request of a 21 KB pod has a dozen members, one
 * of them the whole object, and a lookup per member walked them all again.
 * To add one: an entry here and in review_req_keys.
 */
enum review_req_member {
	RQ_UID, RQ_KIND, RQ_OPERATION, RQ_NAMESPACE, RQ_NAME, RQ_SUBRESOURCE,
	RQ_DRYRUN, RQ_OBJECT, RQ_OLDOBJECT, NUM_RQ
};
static const char *const review_req_keys[NUM_RQ] = {
	[RQ_UID] = "uid", [RQ_KIND] = "kind", [RQ_OPERATION] = "operation",
	[RQ_NAMESPACE] = "namespace", [RQ_NAME] = "name",
	[RQ_SUBRESOURCE] = "subResource", [RQ_DRYRUN] = "dryRun",
	[RQ_OBJECT] = "object", [RQ_OLDOBJECT] = "oldObject",
};

/* v if it is an object, else JSON_NONE (null too). */
static int
review_if_obj(const struct json *d, int v)
{
	return json_type(d, v) == JSON_OBJECT ? v : JSON_NONE;
}

/* The value of member key if it is an object, else JSON_NONE (null too). */
static int
review_obj(struct json *d, int parent, const char *key)
{
	return review_if_obj(d, json_get(d, parent, key));
}

/* Optional string member v: absent is fine, any other type is not. */
static int
review_opt_str(struct json *d, int v, char *dst, size_t cap)
{
	if (v == JSON_NONE)
		return 1;
	if (json_type(d, v) != JSON_STRING)
		return 0;
	review_copy(d, v, dst, cap);
	return 1;
}

/* The characters of string v unescaped (an invalid byte counts as one). */
static size_t
review_uid_runes(struct json *d, int v)
{
	char s[REVIEW_UID_RUNES * 4 + 8];
	long n = json_str_copy(d, v, s, sizeof(s));
	size_t i, k, runes = 0;

	if (n == -2)		/* cut: longer than any uid we take */
		return REVIEW_UID_RUNES + 1;
	for (i = 0; n > 0 && i < (size_t)n; i += k, runes++)
		if ((k = json_utf8_char(s + i, (size_t)n - i)) == 0)
			k = 1;
	return runes;
}

/*
 * Checks the envelope and the fields every request carries, fills info
 * and m (request's members, enum review_req_member) and returns the
 * request token, or JSON_NONE with *why set.
 */
static int
review_envelope(struct json *d, struct verdict *info, int *m, const char **why)
{
	int req, uid, gvk, kind;
	size_t raw;

	*why = "expected admission.k8s.io/v1 AdmissionReview";
	if (!json_str_eq(d, json_get(d, 0, "apiVersion"), review_api) ||
	    !json_str_eq(d, json_get(d, 0, "kind"), review_kind))
		return JSON_NONE;
	*why = "missing request";
	if ((req = review_obj(d, 0, "request")) == JSON_NONE)
		return JSON_NONE;
	json_get_keys(d, req, review_req_keys, NUM_RQ, m);
	*why = "missing request.uid";
	uid = m[RQ_UID];
	if (json_type(d, uid) != JSON_STRING || json_str_empty(d, uid))
		return JSON_NONE;
	/*
	 * The answer echoes it, and its buffer does not grow with the body:
	 * at most REVIEW_UID_RUNES characters (counted unescaped, so the same
	 * uid written with escapes or without is the same length).
	 */
	*why = "request.uid longer than " REVIEW_UID_RUNES_TEXT " characters";
	(void)json_raw(d, uid, &raw);	/* never fewer bytes than characters */
	if (raw > REVIEW_UID_RUNES && review_uid_runes(d, uid) > REVIEW_UID_RUNES)
		return JSON_NONE;
	review_copy(d, uid, info->uid, sizeof(info->uid));
	*why = "missing request.kind";
	gvk = review_if_obj(d, m[RQ_KIND]);
	if (json_type(d, (kind = json_get(d, gvk, "kind"))) != JSON_STRING)
		return JSON_NONE;
	review_copy(d, kind, info->kind, sizeof(info->kind));
	return req;
}

/* Whether v is absent, null, or of type t (what Go's typed decode accepts). */
static int
review_shape_ok(const struct json *d, int v, enum json_type t)
{
	enum json_type have = json_type(d, v);

	return have == JSON_ABSENT || have == JSON_NULL || have == t;
}

/* The container lists of a PodSpec, as review_pod() finds them. */
enum review_list { REVIEW_MAIN, REVIEW_INIT, REVIEW_EPHEMERAL, NUM_REVIEW_LISTS };

/*
 * Finds the PodSpec at path (e.g. "spec.template.spec") in obj and checks
 * the shapes the rules rely on: every step an object, the container lists
 * arrays of objects, images strings. The apiserver decodes objects into
 * typed structs first, so it never sends other shapes; a caller that does
 * gets a 400 rather than a policy that looked at nothing and allowed.
 * Returns NULL or the reason; with *pod set, have[enum review_list] holds
 * the lists' tokens (JSON_NONE when absent).
 */
static const char *
review_pod(struct json *d, int obj, const char *path, int *pod, int *have)
{
	static const char *const lists[] = {
		[REVIEW_MAIN] = "containers", [REVIEW_INIT] = "initContainers",
		[REVIEW_EPHEMERAL] = "ephemeralContainers",
	};
	int i, v, c, broken;

	v = json_walk(d, obj, path, &broken);
	if (broken)
		return "malformed object: a pod spec step is not an object";
	if (json_type(d, v) != JSON_OBJECT)
		return NULL;
	/* the three lists in one walk over the spec (the answer does not
	 * depend on d->bad once the lists are looked at: see the caller) */
	json_get_keys(d, v, lists, NUM_REVIEW_LISTS, have);
	for (i = 0; i < NUM_REVIEW_LISTS; i++) {
		c = have[i];
		if (!review_shape_ok(d, c, JSON_ARRAY))
			return "malformed object: a container list is not an array";
		for (c = json_first(d, c); c != JSON_NONE; c = json_next(d, c))
			if (json_type(d, c) != JSON_OBJECT ||
			    !review_shape_ok(d, json_get(d, c, "image"), JSON_STRING))
				return "malformed object: a container is not an object with a string image";
	}
	*pod = v;
	return NULL;
}

/*
 * Decodes request (CONTRACT rule 8): operation, namespace (rule 10: from
 * request.namespace, never the object's), name, subResource, dryRun,
 * object and oldObject (null on CREATE / DELETE, rule 9). Returns NULL or
 * why the request is unusable.
 */
static const char *
review_request(struct json *d, const int *m, struct admission *rq,
    struct verdict *info, int *lists)
{
	int v;

	if (!review_op(d, m[RQ_OPERATION], &rq->op))
		return "missing or unknown request.operation";
	memcpy(info->op, rq->op, strlen(rq->op) + 1);
	if (!review_opt_str(d, m[RQ_NAMESPACE], info->ns, sizeof(info->ns)) ||
	    !review_opt_str(d, m[RQ_NAME], info->name, sizeof(info->name)) ||
	    !review_opt_str(d, m[RQ_SUBRESOURCE], rq->subresource,
	    sizeof(rq->subresource)))
		return "request.namespace, name or subResource is not a string";
	v = m[RQ_DRYRUN];
	if (v != JSON_NONE && json_type(d, v) != JSON_BOOL && json_type(d, v) != JSON_NULL)
		return "request.dryRun is not a boolean";
	rq->dry_run = json_is_true(d, v);
	v = m[RQ_OBJECT];
	if (v != JSON_NONE && json_type(d, v) != JSON_NULL && json_type(d, v) != JSON_OBJECT)
		return "request.object is not an object";
	rq->object = review_if_obj(d, v);
	rq->old = review_if_obj(d, m[RQ_OLDOBJECT]);
	rq->meta = review_obj(d, rq->object, "metadata");
	rq->kind = kinds_find(d, review_if_obj(d, m[RQ_KIND]), policy_workloads);
	rq->pod = JSON_NONE;
	if (rq->kind != NULL)
		return review_pod(d, rq->object, rq->kind->spec, &rq->pod, lists);
	return NULL;
}

/*
 * Whether the policy looks at this request at all. Subresources other than
 * pods/ephemeralcontainers (status, binding, exec, ...) carry no spec the
 * rules judge; mutating a subresource request would patch the wrong object.
 */
static int
review_in_scope(const struct admission *rq, int mutate)
{
	if (rq->kind == NULL)
		return 0;
	if (rq->subresource[0] == '\0')
		return 1;
	return !mutate && strcmp(rq->subresource, "ephemeralcontainers") == 0;
}

/* Writes the status object of a denial (CONTRACT rule 16). */
static void
review_put_status(struct buf *out, const struct rule_ctx *rc)
{
	buf_puts(out, ",\"status\":{\"code\":403,\"reason\":\"Forbidden\",\"message\":\"");
	buf_put(out, rc->deny.p, rc->deny.len);
	buf_puts(out, "\"}");
}

/*
 * Writes the patch fields (CONTRACT rule 20): patchType and patch together,
 * or nothing. Never on DELETE (rule 21) or from /validate (rule 19).
 */
static int
review_put_patch(struct buf *out, struct rule_ctx *rc, int mutate)
{
	const char *ops;
	size_t n;

	if (!mutate || strcmp(rc->rq->op, "DELETE") == 0)
		return 0;
	if ((ops = patch_json(rc->patch, &n)) == NULL)
		return 0;
	buf_puts(out, ",\"patchType\":\"JSONPatch\",\"patch\":\"");
	patch_base64(out, ops, n);
	buf_putc(out, '"');
	return 1;
}

/* Writes the whole AdmissionReview response for a decided request. */
static void
review_put_response(struct buf *out, struct json *d, int uid,
    struct rule_ctx *rc, int mutate, struct verdict *info)
{
	size_t off, n;

	json_span(d, uid, &off, &n);
	buf_puts(out, "{\"apiVersion\":\"admission.k8s.io/v1\",\"kind\":\"AdmissionReview\","
	    "\"response\":{\"uid\":");
	buf_put(out, d->s + off, n);
	info->allowed = rc->ndeny == 0;
	buf_puts(out, info->allowed ? ",\"allowed\":true" : ",\"allowed\":false");
	if (!info->allowed)
		review_put_status(out, rc);
	if (rc->nwarn > 0) {
		buf_puts(out, ",\"warnings\":[");
		buf_put(out, rc->warn.p, rc->warn.len);
		buf_putc(out, ']');
	}
	if (rc->audit.len > 0) {
		buf_puts(out, ",\"auditAnnotations\":{");
		buf_put(out, rc->audit.p, rc->audit.len);
		buf_putc(out, '}');
	}
	info->warnings = rc->nwarn;
	info->patched = review_put_patch(out, rc, mutate);
	buf_puts(out, "}}");
}

static void
review_rule_ctx(struct review_ctx *ctx, struct rule_ctx *rc,
    struct admission *rq, struct patch *p)
{
	memset(rc, 0, sizeof(*rc));
	rc->rq = rq;
	rc->audit_last = -1;
	buf_init(&rc->deny, ctx->deny, sizeof(ctx->deny));
	buf_init(&rc->warn, ctx->warn, sizeof(ctx->warn));
	buf_init(&rc->audit, ctx->audit, sizeof(ctx->audit));
	patch_init(p, ctx->patch, sizeof(ctx->patch));
	rc->patch = p;
}

/*
 * Decodes an AdmissionReview, runs the policy's validating (route
 * ROUTE_VALIDATE) or mutating (ROUTE_MUTATE) rules and writes the answer.
 */
static int
review_admission(struct review_ctx *ctx, struct json *d, int mutate,
    struct buf *out, struct verdict *info)
{
	struct admission rq;
	struct rule_ctx rc;
	struct patch p;
	const char *why;
	int m[NUM_RQ], lists[NUM_REVIEW_LISTS];

	if (review_envelope(d, info, m, &why) == JSON_NONE)
		return review_error(out, info, 400, d->bad ? "invalid string escape" : why);
	memset(&rq, 0, sizeof(rq));
	rq.d = d;
	if ((why = review_request(d, m, &rq, info, lists)) != NULL)
		return review_error(out, info, 400, why);
	review_rule_ctx(ctx, &rc, &rq, &p);
	if (rq.pod != JSON_NONE)	/* review_pod() found the lists */
		rules_set_lists(&rc, lists[REVIEW_INIT], lists[REVIEW_MAIN],
		    lists[REVIEW_EPHEMERAL]);
	if (review_in_scope(&rq, mutate))
		rules_run(&rc, policy_rules, policy_nrules, mutate);
	if (d->bad)
		return review_error(out, info, 400, "invalid string escape");
	if (p.b.overflow)
		return review_error(out, info, 500, "patch larger than PATCH_MAX");
	review_put_response(out, d, m[RQ_UID], &rc, mutate, info);
	if (out->overflow)
		return review_error(out, info, 500, "response larger than its buffer");
	return 200;
}

/*
 * ConversionReview (apiextensions.k8s.io/v1) is served by the conversion
 * engine; until it exists the route answers 400 so a misconfigured CRD
 * fails loudly instead of receiving unconverted objects.
 */
static int
review_convert(struct review_ctx *ctx, struct json *d, struct buf *out,
    struct verdict *info)
{
	(void)ctx;
	return convert_review(d, out, info);
}

/* See review.h. */
int
review_handle(struct review_ctx *ctx, enum review_route route,
    const char *body, size_t len, struct buf *out, struct verdict *info)
{
	struct json d;
	int err;

	memset(info, 0, sizeof(*info));
	info->allowed = -1;
	out->len = 0;
	out->overflow = 0;
	if ((err = json_parse(&d, &ctx->st, body, len)) != JSON_OK)
		return review_error(out, info, review_status_of(err), json_strerror(err));
	switch (route) {
	case ROUTE_VALIDATE:
		return review_admission(ctx, &d, 0, out, info);
	case ROUTE_MUTATE:
		return review_admission(ctx, &d, 1, out, info);
	case ROUTE_CONVERT:
		return review_convert(ctx, &d, out, info);
	default:
		return review_error(out, info, 400, "unknown route");
	}
}
