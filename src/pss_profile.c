/*
 * pss_profile.c: the Pod Security checks of the kernel's confinement
 * profiles: AppArmor (profiles and annotations), SELinux options, seccomp
 * (baseline and restricted). One function per PodSecurity check
 * (policy/check_*.go, Kubernetes v1.36); pss.c runs them in PodSecurity's
 * order. See pss_check.h.
 */
#include <string.h>

#include "json.h"
#include "limit.h"
#include "pss_check.h"
#include "rules.h"

/* container.apparmor.security.beta.kubernetes.io/<container name> */
#define PSS_APPARMOR_PREFIX	"container.apparmor.security.beta.kubernetes.io/"

/* Allowed appArmorProfile.type values (check_appArmorProfile.go). */
static const char *const pss_apparmor_types[] = { "RuntimeDefault", "Localhost", NULL };

/* Annotation values allowed: "", runtime/default, localhost/<profile>. */
static int
pss_apparmor_value_ok(struct json *d, int v)
{
	return json_type(d, v) != JSON_STRING || json_str_empty(d, v) ||
	    json_str_eq(d, v, "runtime/default") || json_str_prefix(d, v, "localhost/");
}


/*
 * Writes "container.apparmor.security.beta.kubernetes.io/<name>" into
 * key[PSS_APPARMOR_KEY]; returns its length, or 0 when there is no name or one
 * longer than any valid container name (no such annotation can exist).
 */
#define PSS_APPARMOR_KEY	(sizeof(PSS_APPARMOR_PREFIX) + PSS_NAME_MAX)

static size_t
pss_apparmor_key(struct json *d, int name, char *key)
{
	size_t k = sizeof(PSS_APPARMOR_PREFIX) - 1;
	long n;

	memcpy(key, PSS_APPARMOR_PREFIX, k);
	n = json_str_copy(d, name, key + k, PSS_APPARMOR_KEY - k);
	return n > 0 ? k + (size_t)n : 0;
}

/*
 * The apiserver's annotation <-> field copy for the container named name before any
 * validating admission (applyAppArmorVersionSkew; not on Windows pods):
 * without the annotation, an Unconfined field (the container's, else the
 * pod's) gains the annotation "unconfined"; with the annotation "unconfined"
 * and no field, the container gains type Unconfined unless the pod has it
 * already. Other values copy to allowed ones and change no verdict or
 * message, so only Unconfined is followed here. cp and pp: the container's
 * and the pod's appArmorProfile.
 */
static void
pss_apparmor_sync(const struct pss_eval *e, int ann, int name, int cp, int pp,
    struct pss_strs *ctrs, struct pss_strs *types, struct pss_strs *anns)
{
	static const char unconfined[] = "=\"unconfined\"";
	struct json *d = e->d;
	char key[PSS_APPARMOR_KEY + sizeof(unconfined)];
	size_t n = pss_apparmor_key(d, name, key);
	int eff = json_is_null(d, cp) ? pp : cp, v;

	if (n == 0 || e->windows)
		return;
	v = json_get(d, ann, key);
	if (v == JSON_NONE) {
		if (!json_str_eq(d, json_get(d, eff, "type"), "Unconfined"))
			return;
		memcpy(key + n, unconfined, sizeof(unconfined));
		pss_strs_add(anns, key, n + sizeof(unconfined) - 1, 1);
	} else if (json_is_null(d, cp) && json_str_eq(d, v, "unconfined") &&
	    !json_str_eq(d, json_get(d, pp, "type"), "Unconfined")) {
		pss_strs_add_json(ctrs, d, name, 0);
		pss_strs_add(types, "Unconfined", 10, 1);
	}
}

/*
 * The forbidden AppArmor annotations: key="value" (value Go-%q-quoted) of
 * every container.apparmor.security.beta.kubernetes.io/ annotation whose
 * value is not allowed. A key given twice counts once, with its last value,
 * as Go decodes it.
 */
static void
pss_apparmor_annotations(const struct pss_eval *e, int ann, struct pss_strs *anns)
{
	struct json *d = e->d;
	char key[RULES_STR_MAX], mem[RULES_STR_MAX * 2];
	struct buf m;
	long n;
	int k;

	for (k = json_first(d, ann); k != JSON_NONE; k = json_next(d, k)) {
		if (!json_str_prefix(d, k, PSS_APPARMOR_PREFIX) ||
		    pss_apparmor_value_ok(d, k + 1))
			continue;
		n = json_str_copy(d, k, key, sizeof(key));
		if (n >= 0 && json_get(d, ann, key) != k + 1)
			continue;	/* a later duplicate wins */
		buf_init(&m, mem, sizeof(mem));
		buf_puts(&m, key);
		buf_putc(&m, '=');
		rules_put_quoted(&m, d, k + 1);
		pss_strs_add(anns, m.p, m.len, 1);
	}
}

/*
 * appArmorProfile (baseline): the pod's and every container's
 * securityContext.appArmorProfile.type is RuntimeDefault or Localhost, and
 * no AppArmor annotation is other than runtime/default or localhost/<profile>.
 */
void
pss_app_armor_profile(struct pss_eval *e)
{
	struct pss_strs ctrs, types, anns;
	struct json *d = e->d;
	struct pss_cursor k = PSS_CURSOR;
	int pp = json_get(d, e->sc, "appArmorProfile"), cp, pod = 0;
	int ann = pss_obj(d, e->meta, "annotations"), nann, nvals;

	pss_strs_init(&ctrs), pss_strs_init(&types), pss_strs_init(&anns);
	if (!json_is_null(d, pp) && !pss_in(d, json_get(d, pp, "type"), pss_apparmor_types)) {
		pod = 1;
		pss_strs_add_json(&types, d, json_get(d, pp, "type"), 1);
	}
	while (pss_next(e, &k)) {
		cp = json_get(d, pss_csc(e, &k), "appArmorProfile");
		if (!json_is_null(d, cp) && !pss_in(d, json_get(d, cp, "type"), pss_apparmor_types)) {
			pss_strs_add_json(&ctrs, d, pss_name(e, &k), 0);
			pss_strs_add_json(&types, d, json_get(d, cp, "type"), 1);
		}
		pss_apparmor_sync(e, ann, pss_name(e, &k), cp, json_is_null(d, pp) ? JSON_NONE : pp,
		    &ctrs, &types, &anns);
	}
	pss_apparmor_annotations(e, ann, &anns);
	nann = pss_strs_count(&anns);
	nvals = pss_strs_count(&types) + nann;
	if (nvals == 0)
		return;
	pss_strs_sort(&types);
	pss_strs_sort(&anns);
	pss_violation(e, pss_plural(nvals, "forbidden AppArmor profile",
	    "forbidden AppArmor profiles"));
	pss_put_setters(e->out, pod, &ctrs);
	if (nann > 0) {
		buf_puts(e->out, pod || pss_strs_count(&ctrs) > 0 ? " and " : "");
		buf_puts(e->out, pss_plural(nann, "annotation", "annotations"));
	}
	buf_puts(e->out, " must not set AppArmor profile type to ");
	pss_put_quoted(e->out, &types);
	buf_puts(e->out, pss_strs_count(&types) > 0 && nann > 0 ? ", " : "");
	pss_put_quoted(e->out, &anns);
	pss_violation_end(e);
}

/* SELinux types allowed since policy v1.31 (check_seLinuxOptions.go). */
static const char *const pss_selinux_types[] = {
	"", "container_t", "container_init_t", "container_kvm_t", "container_engine_t", NULL
};

/* What the seLinuxOptions objects of a pod set that baseline forbids. */
struct pss_selinux {
	struct pss_strs	types;
	int		user, role;
};

/* Returns whether seLinuxOptions o is forbidden, noting why in s. */
static int
pss_selinux_bad(struct json *d, int o, struct pss_selinux *s)
{
	int t = json_get(d, o, "type"), u = json_get(d, o, "user"), r = json_get(d, o, "role");
	int bad = 0;

	if (!(json_type(d, t) != JSON_STRING ? 1 : pss_in(d, t, pss_selinux_types))) {
		bad = 1;
		pss_strs_add_json(&s->types, d, t, 1);
	}
	if (json_type(d, u) == JSON_STRING && !json_str_empty(d, u))
		bad = s->user = 1;
	if (json_type(d, r) == JSON_STRING && !json_str_empty(d, r))
		bad = s->role = 1;
	return bad;
}

/*
 * seLinuxOptions: type one of pss_selinux_types, user and role unset, on
 * the pod and every container.
 */
void
pss_selinux_options(struct pss_eval *e)
{
	struct pss_selinux s;
	struct pss_strs ctrs;
	struct json *d = e->d;
	struct pss_cursor k = PSS_CURSOR;
	int o, pod = 0, n = 0;

	pss_strs_init(&s.types), pss_strs_init(&ctrs);
	s.user = s.role = 0;
	o = pss_obj(d, e->sc, "seLinuxOptions");
	if (o != JSON_NONE && pss_selinux_bad(d, o, &s))
		pod = 1;
	while (pss_next(e, &k)) {
		o = pss_obj(d, pss_csc(e, &k), "seLinuxOptions");
		if (o != JSON_NONE && pss_selinux_bad(d, o, &s))
			pss_strs_add_json(&ctrs, d, pss_name(e, &k), 0);
	}
	if (!pod && pss_strs_count(&ctrs) == 0)
		return;
	pss_strs_sort(&s.types);
	pss_violation(e, "seLinuxOptions");
	pss_put_setters(e->out, pod, &ctrs);
	buf_puts(e->out, " set forbidden securityContext.seLinuxOptions: ");
	if (pss_strs_count(&s.types) > 0) {
		buf_puts(e->out, pss_plural(pss_strs_count(&s.types), "type ", "types "));
		pss_put_quoted(e->out, &s.types);
		n++;
	}
	if (s.user)
		buf_puts(e->out, n++ > 0 ? "; user may not be set" : "user may not be set");
	if (s.role)
		buf_puts(e->out, n++ > 0 ? "; role may not be set" : "role may not be set");
	pss_violation_end(e);
}

/* Allowed seccompProfile.type values. */
static const char *const pss_seccomp_types[] = { "RuntimeDefault", "Localhost", NULL };

/*
 * The explicit seccomp setters: the pod (returned) and the containers (in
 * ctrs) whose seccompProfile is set to another type, the types in values.
 * *pod_ok: the pod sets an allowed type; implicit: containers that set
 * none (for restricted, when the pod sets none either).
 */
static int
pss_seccomp_scan(struct pss_eval *e, struct pss_strs *ctrs, struct pss_strs *values,
    struct pss_strs *implicit)
{
	struct json *d = e->d;
	struct pss_cursor k = PSS_CURSOR;
	int sp = pss_obj(d, e->sc, "seccompProfile"), pod = 0, pod_ok = 0;

	if (!json_is_null(d, json_get(d, e->sc, "seccompProfile"))) {
		if (pss_in(d, json_get(d, sp, "type"), pss_seccomp_types))
			pod_ok = 1;
		else {
			pod = 1;
			pss_strs_add_json(values, d, json_get(d, sp, "type"), 1);
		}
	}
	while (pss_next(e, &k)) {
		sp = json_get(d, pss_csc(e, &k), "seccompProfile");
		if (json_is_null(d, sp)) {
			if (!pod_ok && implicit != NULL)
				pss_strs_add_json(implicit, d, pss_name(e, &k), 0);
		} else if (!pss_in(d, json_get(d, sp, "type"), pss_seccomp_types)) {
			pss_strs_add_json(ctrs, d, pss_name(e, &k), 0);
			pss_strs_add_json(values, d, json_get(d, sp, "type"), 1);
		}
	}
	return pod;
}

/* Writes `pod and containers "a" must not set ...seccompProfile.type to "X"`. */
static void
pss_seccomp_explicit(struct pss_eval *e, int pod, struct pss_strs *ctrs,
    struct pss_strs *values)
{
	pss_strs_sort(values);
	pss_violation(e, "seccompProfile");
	pss_put_setters(e->out, pod, ctrs);
	buf_puts(e->out, " must not set securityContext.seccompProfile.type to ");
	pss_put_quoted(e->out, values);
	pss_violation_end(e);
}

/* seccompProfile_baseline (v1.19): no seccompProfile.type but allowed ones. */
void
pss_seccomp_baseline(struct pss_eval *e)
{
	struct pss_strs ctrs, values;
	int pod;

	pss_strs_init(&ctrs), pss_strs_init(&values);
	pod = pss_seccomp_scan(e, &ctrs, &values, NULL);
	if (pod || pss_strs_count(&ctrs) > 0)
		pss_seccomp_explicit(e, pod, &ctrs, &values);
}

/*
 * seccompProfile_restricted (v1.25): the pod sets RuntimeDefault or
 * Localhost (containers may then leave it unset) or every container does,
 * and nobody sets another type. Windows pods are exempt.
 */
void
pss_seccomp_restricted(struct pss_eval *e)
{
	struct pss_strs ctrs, values, implicit;
	int pod;

	if (e->windows)
		return;
	pss_strs_init(&ctrs), pss_strs_init(&values), pss_strs_init(&implicit);
	pod = pss_seccomp_scan(e, &ctrs, &values, &implicit);
	if (pod || pss_strs_count(&ctrs) > 0) {
		pss_seccomp_explicit(e, pod, &ctrs, &values);
		return;
	}
	if (pss_strs_count(&implicit) == 0)
		return;
	pss_violation(e, "seccompProfile");
	buf_puts(e->out, "pod or ");
	pss_put_containers(e->out, &implicit);
	buf_puts(e->out, " must set securityContext.seccompProfile.type to "
	    "\"RuntimeDefault\" or \"Localhost\"");
	pss_violation_end(e);
}
