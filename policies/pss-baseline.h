/*
 * policies/pss-baseline.h: the baseline Pod Security Standard, exactly as
 * Kubernetes' PodSecurity admission enforces it at enforce-version latest
 * (src/pss.h): the same verdict and the same message, `violates PodSecurity
 * "baseline:latest": ...`. On Pods, and on the pod templates of workloads
 * (which PodSecurity only warns about). Exempt, as in PodSecurity's
 * AdmissionConfiguration: the namespaces, usernames and runtime classes of
 * PSS_EXEMPTIONS.
 */
#define PSS_EXEMPTIONS	LIST(PSS_NAMESPACE("kube-system"))

static const struct rule policy[] = {
	POD_SECURITY_BASELINE(DENY, PSS_EXEMPTIONS),
};
