/*
 * pss_rule.c: the PodSecurity admission around the checks of pss.c, as rule
 * kinds (pss_baseline, pss_restricted): which requests are judged,
 * exemptions, and the message frame. The flow follows PodSecurity's
 * admission.go (ValidatePod, ValidatePodController, EvaluatePod). See pss.h.
 */
#include <string.h>

#include "json.h"
#include "limit.h"
#include "pss.h"
#include "rules.h"

#define NELEM(a)	(sizeof(a) / sizeof((a)[0]))

/* PodSecurity's seccomp annotations, still compared on pod updates. */
#define PSS_SECCOMP_POD		"seccomp.security.alpha.kubernetes.io/pod"
#define PSS_SECCOMP_PREFIX	"container.seccomp.security.alpha.kubernetes.io/"

static const char *const pss_level_names[NUM_PSS_LEVELS] = {
	[PSS_BASELINE] = "baseline",
	[PSS_RESTRICTED] = "restricted",
};

/* The exemption kinds of an AdmissionConfiguration, as entry prefixes. */
static const char *const pss_exempt_kinds[] = {
	PSS_NAMESPACE(""), PSS_USERNAME(""), PSS_RUNTIMECLASS(""),
};

/* See pss.h. */
int
pss_pod_meta(struct rule_ctx *rc)
{
	const char *spec = rc->rq->kind->spec;
	size_t n = strlen(spec);
	char path[PSS_PATH_MAX];

	if (n < 4 || strcmp(spec + n - 4, "spec") != 0 || n - 4 + sizeof("metadata") > sizeof(path))
		return JSON_NONE;
	memcpy(path, spec, n - 4);
	memcpy(path + n - 4, "metadata", sizeof("metadata"));
	return json_getp(rc->rq->d, rc->rq->object, path);
}

/*
 * The value an exemption of kind i is compared with: request.namespace,
 * request.userInfo.username, the pod's runtimeClassName.
 */
static int
pss_exempt_value(struct rule_ctx *rc, size_t i)
{
	struct json *d = rc->rq->d;

	if (i == 0)
		return json_getp(d, 0, "request.namespace");
	if (i == 1)
		return json_getp(d, 0, "request.userInfo.username");
	return json_get(d, rc->rq->pod, "runtimeClassName");
}

/*
 * See pss.h. An empty value is never exempt (admission.go exemptNamespace,
 * exemptUser, exemptRuntimeClass).
 */
int
pss_exempt(struct rule_ctx *rc, const char *const *list, const char **bad)
{
	static const char *const dflt[] = { PSS_NAMESPACE("kube-system"), NULL };
	struct json *d = rc->rq->d;
	size_t i, k;
	int v;

	for (list = list != NULL ? list : dflt; *list != NULL; list++) {
		for (i = 0; i < NELEM(pss_exempt_kinds); i++)
			if (strncmp(*list, pss_exempt_kinds[i], strlen(pss_exempt_kinds[i])) == 0)
				break;
		if (i == NELEM(pss_exempt_kinds)) {
			*bad = *list;
			return -1;
		}
		k = strlen(pss_exempt_kinds[i]);
		v = pss_exempt_value(rc, i);
		if (json_type(d, v) == JSON_STRING && !json_str_empty(d, v) &&
		    json_str_eq(d, v, *list + k))
			return 1;
	}
	return 0;
}

/*
 * Whether strings a and b read the same as Go fields: a missing or null
 * field is "". A string too long to compare here counts as different, so
 * the update is judged.
 */
static int
pss_same(struct json *d, int a, int b)
{
	char s[RULES_STR_MAX];
	long n = 0;

	if (!json_is_null(d, a) && (n = json_str_copy(d, a, s, sizeof(s))) < 0)
		return 0;
	if (json_is_null(d, b))
		return n == 0;
	return json_str_eqn(d, b, s, (size_t)n);
}

/* Whether container c changed against o: image or seccomp annotation. */
static int
pss_container_changed(struct json *d, int c, int o, int ann, int oann)
{
	char key[sizeof(PSS_SECCOMP_PREFIX) + PSS_NAME_MAX];
	size_t k = sizeof(PSS_SECCOMP_PREFIX) - 1;
	long n;

	if (!pss_same(d, json_get(d, c, "image"), json_get(d, o, "image")))
		return 1;
	memcpy(key, PSS_SECCOMP_PREFIX, k);
	n = json_str_copy(d, json_get(d, c, "name"), key + k, sizeof(key) - k);
	if (n == -2)
		return 1;
	return !pss_same(d, json_get(d, ann, key), json_get(d, oann, key));
}

/*
 * isSignificantPodUpdate (admission.go): an update is judged when the pod
 * seccomp annotation, the number of init or regular containers, or an image
 * or container seccomp annotation changed, or an ephemeral container was
 * added. Ephemeral containers are matched by position (the API only appends
 * them); a name that moved counts as a change, so the update is judged.
 */
static int
pss_significant_update(struct rule_ctx *rc)
{
	static const char *const lists[] = { "containers", "initContainers", "ephemeralContainers" };
	struct json *d = rc->rq->d;
	int spec = json_get(d, rc->rq->old, "spec"), meta = json_get(d, rc->rq->old, "metadata");
	int ann = json_get(d, rc->rq->meta, "annotations"), oann = json_get(d, meta, "annotations");
	int a, b, c, o;
	size_t l;

	if (json_type(d, spec) != JSON_OBJECT ||
	    !pss_same(d, json_get(d, ann, PSS_SECCOMP_POD), json_get(d, oann, PSS_SECCOMP_POD)))
		return 1;
	for (l = 0; l < NELEM(lists); l++) {
		a = json_get(d, rc->rq->pod, lists[l]);
		b = json_get(d, spec, lists[l]);
		if (l < 2 && json_len(d, a) != json_len(d, b))
			return 1;
		for (c = json_first(d, a), o = json_first(d, b); c != JSON_NONE;
		    c = json_next(d, c), o = json_next(d, o)) {
			if (o == JSON_NONE || (l == 2 &&
			    !pss_same(d, json_get(d, c, "name"), json_get(d, o, "name"))) ||
			    pss_container_changed(d, c, o, ann, oann))
				return 1;
		}
	}
	return 0;
}

/*
 * Whether PodSecurity would judge this request at all: a workload with a
 * pod spec, on CREATE or UPDATE (the engine already leaves out other
 * subresources than pods/ephemeralcontainers), and for a Pod UPDATE only
 * a significant one.
 */
static int
pss_judged(struct rule_ctx *rc)
{
	if (rc->rq->pod == JSON_NONE || rc->rq->kind == NULL)
		return 0;
	if (strcmp(rc->rq->op, "CREATE") != 0 && strcmp(rc->rq->op, "UPDATE") != 0)
		return 0;
	if (rc->rq->kind->bit == WL_POD && strcmp(rc->rq->op, "UPDATE") == 0)
		return pss_significant_update(rc);
	return 1;
}

/*
 * Runs level for rule r: nothing for exempt requests, and no warning on a
 * request a rule before has denied (EvaluatePod adds warnings to allowed
 * responses only). DENY says "violates PodSecurity", WARN and AUDIT "would
 * violate PodSecurity", with "<level>:latest" as PodSecurity names it.
 */
static void
pss_rule(struct rule_ctx *rc, const struct rule *r, enum pss_level level)
{
	char mem[PSS_MSG_MAX];
	struct buf m;
	const char *bad = NULL;
	int ex;

	if (!pss_judged(rc) || (r->action == WARN && rc->ndeny > 0))
		return;
	buf_init(&m, mem, sizeof(mem));
	if ((ex = pss_exempt(rc, r->arg.list, &bad)) == 1)
		return;
	if (ex < 0) {
		buf_puts(&m, "PodSecurity policy error: unknown exemption ");
		buf_puts(&m, bad);
		buf_puts(&m, " (use namespace:, username: or runtimeClass:)");
		rules_report_buf(rc, r, &m);
		return;
	}
	buf_puts(&m, r->action == DENY ? "violates PodSecurity \"" : "would violate PodSecurity \"");
	buf_puts(&m, pss_level_names[level]);
	buf_puts(&m, ":latest\": ");
	if (pss_evaluate(rc->rq->d, pss_pod_meta(rc), rc->rq->pod, level, &m) > 0)
		rules_report_buf(rc, r, &m);
}

/* pss_baseline (.list: exemptions): the baseline Pod Security Standard. */
static void
pss_baseline(struct rule_ctx *rc, const struct rule *r)
{
	pss_rule(rc, r, PSS_BASELINE);
}

/* pss_restricted (.list: exemptions): the restricted Pod Security Standard. */
static void
pss_restricted(struct rule_ctx *rc, const struct rule *r)
{
	pss_rule(rc, r, PSS_RESTRICTED);
}

const struct rule_kind rk_pss_baseline = {
	"pod-security-baseline", pss_baseline, NULL, 0, RULE_VALIDATE
};
const struct rule_kind rk_pss_restricted = {
	"pod-security-restricted", pss_restricted, NULL, 0, RULE_VALIDATE
};
