/*
 * pss.c: the evaluation of the Pod Security Standards: pss_evaluate() runs
 * the checks, one function per PodSecurity check
 * (k8s.io/pod-security-admission policy/check_*.go at Kubernetes v1.36,
 * newest version of each; pss_host.c, pss_privilege.c, pss_profile.c), in
 * PodSecurity's order from the one table below. See pss.h and pss_check.h.
 *
 * Order (policy/registry.go): the baseline check IDs sorted as Go strings,
 * then the restricted check IDs sorted; at restricted, the baseline checks a
 * restricted check overrides are left out (capabilities_baseline,
 * hostPathVolumes, procMount and seccompProfile_baseline).
 *
 * Wording (policy/helpers.go, pss_check.c): a list of names is joinQuote'd
 * ("a", "b": plain quotes, no escaping), "container"/"containers" and
 * "uses"/"use" follow the count, and a set (sets.String) is deduplicated
 * and sorted bytewise as Go sorts strings. Names are unescaped JSON
 * strings; the denial writer escapes the whole message once.
 *
 * Cost: every check walks the pod once; each list is at most PSS_ITEMS_MAX
 * long, so deduplication and sorting are bounded, and an evaluation is
 * linear in the size of the pod.
 */
#include <string.h>

#include "json.h"
#include "limit.h"
#include "pss.h"
#include "pss_check.h"

#define NELEM(a)	(sizeof(a) / sizeof((a)[0]))

/*
 * Fills f with the members of container c named by pss_field_names, in one
 * pass; the last of duplicate keys wins, as with json_get. Keys are told
 * apart by their first raw byte before they are compared (an escaped key
 * is always compared).
 */
static void
pss_view(struct json *d, int c, int *f)
{
	const char *r;
	size_t i, rn;
	int k;

	for (i = 0; i < NUM_PSS_FIELDS; i++)
		f[i] = JSON_NONE;
	for (k = json_first(d, c); k != JSON_NONE; k = json_next(d, k)) {
		if ((r = json_raw(d, k, &rn)) == NULL || rn == 0)
			continue;
		for (i = 0; i < NUM_PSS_FIELDS; i++)
			if ((r[0] == '\\' || r[0] == pss_field_names[i][0]) &&
			    json_str_eq(d, k, pss_field_names[i])) {
				f[i] = k + 1;
				break;
			}
	}
}

/* --- evaluation --------------------------------------------------------- */

/*
 * The checks in PodSecurity's order (see the top of this file). To add a
 * check: a function in the file of its group (pss_check.h) and one line
 * here, at the place its check ID sorts to, with the levels it runs at.
 */
static const struct {
	pss_check_fn	*fn;
	unsigned	 levels;	/* bit (1 << enum pss_level) */
} pss_checks[] = {
#define B	(1u << PSS_BASELINE)
#define R	(1u << PSS_RESTRICTED)
	/* baseline IDs, sorted */
	{ pss_app_armor_profile, B | R },	/* appArmorProfile */
	{ pss_capabilities_baseline, B },	/* capabilities_baseline */
	{ pss_host_namespaces, B | R },		/* hostNamespaces */
	{ pss_host_path_volumes, B },		/* hostPathVolumes */
	{ pss_host_ports, B | R },		/* hostPorts */
	{ pss_host_probes, B | R },		/* hostProbesAndHostLifecycle */
	{ pss_privileged, B | R },		/* privileged */
	{ pss_proc_mount_baseline, B },		/* procMount */
	{ pss_selinux_options, B | R },		/* seLinuxOptions */
	{ pss_seccomp_baseline, B },		/* seccompProfile_baseline */
	{ pss_sysctls, B | R },			/* sysctls */
	{ pss_windows_host_process, B | R },	/* windowsHostProcess */
	/* restricted IDs, sorted; they override the baseline ones marked B only */
	{ pss_allow_privilege_escalation, R },	/* allowPrivilegeEscalation */
	{ pss_capabilities_restricted, R },	/* capabilities_restricted */
	{ pss_proc_mount_restricted, R },	/* procMount_restricted */
	{ pss_restricted_volume_types, R },	/* restrictedVolumes */
	{ pss_run_as_non_root, R },		/* runAsNonRoot */
	{ pss_run_as_user, R },			/* runAsUser */
	{ pss_seccomp_restricted, R },		/* seccompProfile_restricted */
#undef B
#undef R
};

/* See pss.h. */
int
pss_evaluate(struct json *d, int meta, int pod, enum pss_level level, struct buf *out)
{
	static const char *const lists[] = { "initContainers", "containers", "ephemeralContainers" };
	struct pss_eval e;
	struct pss_cursor k;
	size_t i;
	int v;

	if (json_type(d, pod) != JSON_OBJECT || level >= NUM_PSS_LEVELS)
		return 0;
	memset(&e, 0, sizeof(e));
	e.d = d;
	e.pod = pod;
	e.meta = json_type(d, meta) == JSON_OBJECT ? meta : JSON_NONE;
	e.sc = pss_obj(d, pod, "securityContext");
	for (i = 0; i < NELEM(lists); i++) {
		v = json_get(d, pod, lists[i]);
		e.lists[i] = json_type(d, v) == JSON_ARRAY ? v : JSON_NONE;
	}
	e.windows = json_str_eq(d, json_getp(d, pod, "os.name"), "windows");
	e.userns = pss_is_false(d, json_get(d, pod, "hostUsers"));
	for (k = (struct pss_cursor)PSS_CURSOR; pss_next(&e, &k) && k.i < PSS_VIEW_MAX; e.nview++)
		pss_view(d, k.c, e.view[k.i]);
	e.out = out;
	for (i = 0; i < NELEM(pss_checks); i++)
		if (pss_checks[i].levels & (1u << level))
			pss_checks[i].fn(&e);
	return e.nviol;
}
