/*
 * pss_defaults.c: pss_restricted_defaults, a MUTATE rule kind that fills in
 * what the restricted Pod Security Standard needs where leaving it unset was
 * the only fault and setting it is safe. PodSecurity itself never mutates.
 *
 *   pod        securityContext.seccompProfile: {type: RuntimeDefault}
 *              when unset (not on Windows pods: the field is refused there);
 *              securityContext.runAsNonRoot: true when unset, no runAsUser
 *              is 0 anywhere in the pod and it is not in a user namespace
 *              (hostUsers: false, where restricted does not ask for it)
 *   container  securityContext.allowPrivilegeEscalation: false when unset,
 *              unless the container is privileged or adds SYS_ADMIN (the
 *              apiserver refuses false with either)
 *              securityContext.capabilities.drop gains "ALL" when no drop
 *              list holds it (not on Windows pods)
 *
 * An explicit value is never changed (allowPrivilegeEscalation: true stays
 * and stays a violation), so a second pass adds nothing (CONTRACT rule 23).
 * Init and regular containers only: ephemeral containers are never in a
 * patchable create. Pod UPDATEs are not patched: the apiserver refuses any
 * change of a running pod's security context; workload templates are.
 */
#include <string.h>

#include "json.h"
#include "patch.h"
#include "pss.h"
#include "rules.h"

/* Opens "add" at <spec>[/list/index]ptr; the caller writes the value. */
static void
pss_patch_open(struct rule_ctx *rc, const char *list, int index, const char *ptr)
{
	struct patch *p = rc->patch;

	patch_op(p, "add");
	patch_ptr(p, rc->rq->kind->ptr);
	if (list != NULL) {
		patch_token(p, list, strlen(list));
		patch_index(p, index);
	}
	patch_ptr(p, ptr);
	patch_value(p);
}

static void
pss_patch(struct rule_ctx *rc, const char *list, int index, const char *ptr,
    const char *value)
{
	pss_patch_open(rc, list, index, ptr);
	buf_puts(&rc->patch->b, value);
	patch_end(rc->patch);
}

/* Whether runAsUser is 0 on the pod or any container (a root pod stays as it is). */
static int
pss_any_root(struct json *d, int pod)
{
	static const char *const lists[] = { "initContainers", "containers", "ephemeralContainers" };
	long long n;
	size_t l;
	int c;

	if (json_int(d, json_getp(d, pod, "securityContext.runAsUser"), &n) && n == 0)
		return 1;
	for (l = 0; l < sizeof(lists) / sizeof(lists[0]); l++)
		for (c = json_first(d, json_get(d, pod, lists[l])); c != JSON_NONE;
		    c = json_next(d, c))
			if (json_int(d, json_getp(d, c, "securityContext.runAsUser"), &n) && n == 0)
				return 1;
	return 0;
}

static int
pss_windows(struct json *d, int pod)
{
	return json_str_eq(d, json_getp(d, pod, "os.name"), "windows");
}

/* The pod-level fields: one object when securityContext is unset or null. */
static void
pss_defaults_pod(struct rule_ctx *rc)
{
	struct json *d = rc->rq->d;
	int pod = rc->rq->pod, sc = json_get(d, pod, "securityContext");
	int seccomp = !pss_windows(d, pod) && json_is_null(d, json_get(d, sc, "seccompProfile"));
	int nonroot = json_is_null(d, json_get(d, sc, "runAsNonRoot")) &&
	    !pss_any_root(d, pod) &&
	    !(json_type(d, json_get(d, pod, "hostUsers")) == JSON_BOOL &&
	    !json_is_true(d, json_get(d, pod, "hostUsers")));

	if (!seccomp && !nonroot)
		return;
	if (json_is_null(d, sc)) {
		pss_patch_open(rc, NULL, 0, "/securityContext");
		buf_puts(&rc->patch->b, seccomp && nonroot ?
		    "{\"runAsNonRoot\":true,\"seccompProfile\":{\"type\":\"RuntimeDefault\"}}" :
		    seccomp ? "{\"seccompProfile\":{\"type\":\"RuntimeDefault\"}}" :
		    "{\"runAsNonRoot\":true}");
		patch_end(rc->patch);
		return;
	}
	if (json_type(d, sc) != JSON_OBJECT)
		return;
	if (nonroot)
		pss_patch(rc, NULL, 0, "/securityContext/runAsNonRoot", "true");
	if (seccomp)
		pss_patch(rc, NULL, 0, "/securityContext/seccompProfile",
		    "{\"type\":\"RuntimeDefault\"}");
}

/* Whether the array v holds string s. */
static int
pss_has(struct json *d, int v, const char *s)
{
	int e;

	for (e = json_first(d, v); json_type(d, v) == JSON_ARRAY && e != JSON_NONE;
	    e = json_next(d, e))
		if (json_str_eq(d, e, s))
			return 1;
	return 0;
}

/* Whether allowPrivilegeEscalation may be set to false on container sc. */
static int
pss_ape_settable(struct json *d, int sc)
{
	int add = json_getp(d, sc, "capabilities.add");

	return !json_is_true(d, json_get(d, sc, "privileged")) &&
	    !pss_has(d, add, "CAP_SYS_ADMIN") && !pss_has(d, add, "SYS_ADMIN");
}

/* Adds drop ALL to the capabilities of container sc (an object). */
static void
pss_defaults_drop(struct rule_ctx *rc, const char *list, int index, int sc)
{
	struct json *d = rc->rq->d;
	int caps = json_get(d, sc, "capabilities"), drop = json_get(d, caps, "drop");

	if (json_is_null(d, caps))
		pss_patch(rc, list, index, "/securityContext/capabilities", "{\"drop\":[\"ALL\"]}");
	else if (json_type(d, caps) != JSON_OBJECT)
		return;
	else if (json_is_null(d, drop))
		pss_patch(rc, list, index, "/securityContext/capabilities/drop", "[\"ALL\"]");
	else if (json_type(d, drop) == JSON_ARRAY)
		pss_patch(rc, list, index, "/securityContext/capabilities/drop/-", "\"ALL\"");
}

static void
pss_defaults_container(struct rule_ctx *rc, const struct rule *r, int c,
    const char *list, int index)
{
	struct json *d = rc->rq->d;
	int sc = json_get(d, c, "securityContext");
	int ape = json_is_null(d, json_get(d, sc, "allowPrivilegeEscalation")) &&
	    pss_ape_settable(d, sc);
	int drop = !pss_has(d, json_getp(d, sc, "capabilities.drop"), "ALL");

	(void)r;
	if (pss_windows(d, rc->rq->pod) || (!ape && !drop))
		return;
	if (json_is_null(d, sc)) {
		pss_patch(rc, list, index, "/securityContext", ape && drop ?
		    "{\"allowPrivilegeEscalation\":false,\"capabilities\":{\"drop\":[\"ALL\"]}}" :
		    ape ? "{\"allowPrivilegeEscalation\":false}" :
		    "{\"capabilities\":{\"drop\":[\"ALL\"]}}");
		return;
	}
	if (json_type(d, sc) != JSON_OBJECT)
		return;
	if (ape)
		pss_patch(rc, list, index, "/securityContext/allowPrivilegeEscalation", "false");
	if (drop)
		pss_defaults_drop(rc, list, index, sc);
}

/*
 * pss_restricted_defaults (MUTATE, .list: exemptions as for pss_baseline):
 * see the top of this file. Exempt requests and a list with a bad entry are
 * left unpatched (the validating rules report the bad entry).
 */
static void
pss_restricted_defaults(struct rule_ctx *rc, const struct rule *r)
{
	const char *bad = NULL;

	if (rc->rq->pod == JSON_NONE || rc->rq->kind == NULL)
		return;
	if (strcmp(rc->rq->op, "CREATE") != 0 && (strcmp(rc->rq->op, "UPDATE") != 0 ||
	    rc->rq->kind->bit == WL_POD))
		return;
	if (json_type(rc->rq->d, rc->rq->pod) != JSON_OBJECT ||
	    pss_exempt(rc, r->arg.list, &bad) != 0)
		return;
	pss_defaults_pod(rc);
	rules_each_container(rc, r, RULES_INIT | RULES_MAIN, pss_defaults_container);
}

const struct rule_kind rk_pss_restricted_defaults = {
	"pod-security-restricted-defaults", pss_restricted_defaults, NULL, 0, 1u << MUTATE
};
