/*
 * policies/baseline.h: the core of the Kubernetes "baseline" pod security
 * profile as denials (no privileged containers, no host namespaces, no
 * hostPath volumes, only the baseline capabilities), plus runAsNonRoot from
 * the "restricted" profile. policies/baseline-warn.h is the same as warnings.
 * Not covered: hostPorts, AppArmor/SELinux/seccomp, /proc mount, sysctls.
 */
static const struct rule policy[] = {
	NO_PRIVILEGED(DENY),
	NO_HOST_NAMESPACES(DENY),
	NO_HOST_PATH(DENY),
	NO_ADDED_CAPABILITIES(DENY),
	REQUIRE_RUN_AS_NON_ROOT(DENY),
};
