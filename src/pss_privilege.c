/*
 * pss_privilege.c: the Pod Security checks of privilege: capabilities
 * (baseline and restricted), privileged, allowPrivilegeEscalation,
 * procMount, runAsNonRoot and runAsUser. One function per PodSecurity
 * check (policy/check_*.go, Kubernetes v1.36); pss.c runs them in
 * PodSecurity's order. See pss_check.h.
 */
#include <string.h>

#include "json.h"
#include "limit.h"
#include "pss_check.h"

/* runAsUser == 0 (an integer 0; null and absent are nil). */
static int
pss_is_root(const struct json *d, int v)
{
	long long n;

	return json_int(d, v, &n) && n == 0;
}

/* Capabilities a baseline container may add (check_capabilities_baseline.go). */
static const char *const pss_baseline_caps[] = {
	"AUDIT_WRITE", "CHOWN", "DAC_OVERRIDE", "FOWNER", "FSETID", "KILL",
	"MKNOD", "NET_BIND_SERVICE", "SETFCAP", "SETGID", "SETPCAP", "SETUID",
	"SYS_CHROOT", NULL
};

/*
 * capabilities_baseline: securityContext.capabilities.add holds only the
 * baseline set, compared exactly ("chown" and "CAP_CHOWN" are not CHOWN).
 */
void
pss_capabilities_baseline(struct pss_eval *e)
{
	struct pss_strs ctrs, caps;
	struct json *d = e->d;
	struct pss_cursor k = PSS_CURSOR;
	int add, v, bad;

	pss_strs_init(&ctrs), pss_strs_init(&caps);
	while (pss_next(e, &k)) {
		add = json_get(d, pss_obj(d, pss_csc(e, &k), "capabilities"), "add");
		bad = 0;
		for (v = json_first(d, add); json_type(d, add) == JSON_ARRAY &&
		    v != JSON_NONE; v = json_next(d, v)) {
			if (pss_in(d, v, pss_baseline_caps))
				continue;
			bad = 1;
			pss_strs_add_json(&caps, d, v, 1);
		}
		if (bad)
			pss_strs_add_json(&ctrs, d, pss_name(e, &k), 0);
	}
	if (pss_strs_count(&ctrs) == 0)
		return;
	pss_strs_sort(&caps);
	pss_violation(e, "non-default capabilities");
	pss_put_containers(e->out, &ctrs);
	buf_puts(e->out, " must not include ");
	pss_put_quoted(e->out, &caps);
	buf_puts(e->out, " in securityContext.capabilities.add");
	pss_violation_end(e);
}

/* privileged: no container sets securityContext.privileged=true. */
void
pss_privileged(struct pss_eval *e)
{
	struct pss_strs ctrs;
	struct pss_cursor k = PSS_CURSOR;

	pss_strs_init(&ctrs);
	while (pss_next(e, &k))
		if (json_is_true(e->d, json_get(e->d, pss_csc(e, &k), "privileged")))
			pss_strs_add_json(&ctrs, e->d, pss_name(e, &k), 0);
	if (pss_strs_count(&ctrs) == 0)
		return;
	pss_violation(e, "privileged");
	pss_put_containers(e->out, &ctrs);
	buf_puts(e->out, " must not set securityContext.privileged=true");
	pss_violation_end(e);
}

/*
 * procMount: securityContext.procMount unset or "Default". The baseline
 * check (v1.35) allows any value in a user namespace (spec.hostUsers:
 * false); the restricted one (procMount_restricted, v1.35) never does.
 */
static void
pss_proc_mount(struct pss_eval *e, int relax)
{
	struct pss_strs ctrs, types;
	struct json *d = e->d;
	struct pss_cursor k = PSS_CURSOR;
	int pm;

	if (relax && e->userns)
		return;
	pss_strs_init(&ctrs), pss_strs_init(&types);
	while (pss_next(e, &k)) {
		pm = json_get(d, pss_csc(e, &k), "procMount");
		if (json_is_null(d, pm) || json_str_eq(d, pm, "Default"))
			continue;
		pss_strs_add_json(&ctrs, d, pss_name(e, &k), 0);
		pss_strs_add_json(&types, d, pm, 1);
	}
	if (pss_strs_count(&ctrs) == 0)
		return;
	pss_strs_sort(&types);
	pss_violation(e, "procMount");
	pss_put_containers(e->out, &ctrs);
	buf_puts(e->out, " must not set securityContext.procMount to ");
	pss_put_quoted(e->out, &types);
	pss_violation_end(e);
}

void
pss_proc_mount_baseline(struct pss_eval *e)
{
	pss_proc_mount(e, 1);
}

void
pss_proc_mount_restricted(struct pss_eval *e)
{
	pss_proc_mount(e, 0);
}

/*
 * allowPrivilegeEscalation (v1.25): every container sets it to false;
 * Windows pods are exempt (the field does not exist there).
 */
void
pss_allow_privilege_escalation(struct pss_eval *e)
{
	struct pss_strs ctrs;
	struct pss_cursor k = PSS_CURSOR;

	if (e->windows)
		return;
	pss_strs_init(&ctrs);
	while (pss_next(e, &k))
		if (!pss_is_false(e->d, json_get(e->d, pss_csc(e, &k), "allowPrivilegeEscalation")))
			pss_strs_add_json(&ctrs, e->d, pss_name(e, &k), 0);
	if (pss_strs_count(&ctrs) == 0)
		return;
	pss_violation(e, "allowPrivilegeEscalation != false");
	pss_put_containers(e->out, &ctrs);
	buf_puts(e->out, " must set securityContext.allowPrivilegeEscalation=false");
	pss_violation_end(e);
}

/* Whether the array drop holds "ALL" (exactly). */
static int
pss_drops_all(struct json *d, int drop)
{
	int v;

	for (v = json_first(d, drop); json_type(d, drop) == JSON_ARRAY && v != JSON_NONE;
	    v = json_next(d, v))
		if (json_str_eq(d, v, "ALL"))
			return 1;
	return 0;
}

/* Adds to caps the added capabilities of caps object o but NET_BIND_SERVICE. */
static int
pss_restricted_adds(struct json *d, int o, struct pss_strs *caps)
{
	int add = json_get(d, o, "add"), v, bad = 0;

	for (v = json_first(d, add); json_type(d, add) == JSON_ARRAY && v != JSON_NONE;
	    v = json_next(d, v)) {
		if (json_str_eq(d, v, "NET_BIND_SERVICE"))
			continue;
		bad = 1;
		pss_strs_add_json(caps, d, v, 1);
	}
	return bad;
}

/*
 * capabilities_restricted (v1.25): every container drops ALL and adds at
 * most NET_BIND_SERVICE; Windows pods are exempt.
 */
void
pss_capabilities_restricted(struct pss_eval *e)
{
	struct pss_strs nodrop, adding, caps;
	struct json *d = e->d;
	struct pss_cursor k = PSS_CURSOR;
	int o, name;

	if (e->windows)
		return;
	pss_strs_init(&nodrop), pss_strs_init(&adding), pss_strs_init(&caps);
	while (pss_next(e, &k)) {
		o = pss_obj(d, pss_csc(e, &k), "capabilities");
		name = pss_name(e, &k);
		if (o == JSON_NONE || !pss_drops_all(d, json_get(d, o, "drop")))
			pss_strs_add_json(&nodrop, d, name, 0);
		if (o != JSON_NONE && pss_restricted_adds(d, o, &caps))
			pss_strs_add_json(&adding, d, name, 0);
	}
	if (pss_strs_count(&nodrop) == 0 && pss_strs_count(&adding) == 0)
		return;
	pss_strs_sort(&caps);
	pss_violation(e, "unrestricted capabilities");
	if (pss_strs_count(&nodrop) > 0) {
		pss_put_containers(e->out, &nodrop);
		buf_puts(e->out, " must set securityContext.capabilities.drop=[\"ALL\"]");
	}
	if (pss_strs_count(&nodrop) > 0 && pss_strs_count(&adding) > 0)
		buf_puts(e->out, "; ");
	if (pss_strs_count(&adding) > 0) {
		pss_put_containers(e->out, &adding);
		buf_puts(e->out, " must not include ");
		pss_put_quoted(e->out, &caps);
		buf_puts(e->out, " in securityContext.capabilities.add");
	}
	pss_violation_end(e);
}

/*
 * runAsNonRoot (v1.35): the pod sets runAsNonRoot=true (a container may
 * leave it unset then) or every container does, and nobody sets false.
 * Skipped in a user namespace (spec.hostUsers: false).
 */
void
pss_run_as_non_root(struct pss_eval *e)
{
	struct pss_strs bad, implicit;
	struct json *d = e->d;
	struct pss_cursor k = PSS_CURSOR;
	int v = json_get(d, e->sc, "runAsNonRoot"), pod = pss_is_false(d, v);
	int pod_true = json_is_true(d, v);

	if (e->userns)
		return;
	pss_strs_init(&bad), pss_strs_init(&implicit);
	while (pss_next(e, &k)) {
		v = json_get(d, pss_csc(e, &k), "runAsNonRoot");
		if (pss_is_false(d, v))
			pss_strs_add_json(&bad, d, pss_name(e, &k), 0);
		else if (json_type(d, v) != JSON_BOOL && !pod_true)
			pss_strs_add_json(&implicit, d, pss_name(e, &k), 0);
	}
	if (pod || pss_strs_count(&bad) > 0) {
		pss_violation(e, "runAsNonRoot != true");
		pss_put_setters(e->out, pod, &bad);
		buf_puts(e->out, " must not set securityContext.runAsNonRoot=false");
	} else if (pss_strs_count(&implicit) > 0) {
		pss_violation(e, "runAsNonRoot != true");
		buf_puts(e->out, "pod or ");
		pss_put_containers(e->out, &implicit);
		buf_puts(e->out, " must set securityContext.runAsNonRoot=true");
	} else
		return;
	pss_violation_end(e);
}

/* runAsUser (v1.35): no runAsUser=0 on the pod or a container; not in a user namespace. */
void
pss_run_as_user(struct pss_eval *e)
{
	struct pss_strs ctrs;
	struct json *d = e->d;
	struct pss_cursor k = PSS_CURSOR;
	int pod = pss_is_root(d, json_get(d, e->sc, "runAsUser"));

	if (e->userns)
		return;
	pss_strs_init(&ctrs);
	while (pss_next(e, &k))
		if (pss_is_root(d, json_get(d, pss_csc(e, &k), "runAsUser")))
			pss_strs_add_json(&ctrs, d, pss_name(e, &k), 0);
	if (!pod && pss_strs_count(&ctrs) == 0)
		return;
	pss_violation(e, "runAsUser=0");
	pss_put_setters(e->out, pod, &ctrs);
	buf_puts(e->out, " must not set runAsUser=0");
	pss_violation_end(e);
}
