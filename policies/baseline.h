/*
 * policies/baseline.h: the core of the Kubernetes "baseline" pod security
 * profile as denials (no privileged containers, no host namespaces, no
 * hostPath volumes, only the baseline capabilities), plus runAsNonRoot from
 * the "restricted" profile. policies/baseline-warn.h is the same as warnings.
 * Not covered: hostPorts, AppArmor/SELinux/seccomp, /proc mount, sysctls.
 */
static const struct rule policy[] = {
	/* action   kind                     argument */
	{ DENY,     no_privileged,           { .s = NULL } },
	{ DENY,     no_host_namespaces,      { .s = NULL } },
	{ DENY,     no_host_path,            { .s = NULL } },
	{ DENY,     no_added_capabilities,   { .list = NULL } },
	{ DENY,     require_run_as_non_root, { .s = NULL } },
};
