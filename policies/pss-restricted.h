/*
 * policies/pss-restricted.h: the restricted Pod Security Standard (which
 * includes baseline), exactly as Kubernetes' PodSecurity admission enforces
 * it at enforce-version latest (src/pss.h): `violates PodSecurity
 * "restricted:latest": ...`. On Pods and workload templates. Exempt: the
 * entries of PSS_EXEMPTIONS (namespaces, usernames, runtime classes).
 */
#define PSS_EXEMPTIONS	LIST(PSS_NAMESPACE("kube-system"))

static const struct rule policy[] = {
	POD_SECURITY_RESTRICTED(DENY, PSS_EXEMPTIONS),
};
