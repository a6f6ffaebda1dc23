/*
 * policies/pss-restricted-defaults.h: on /mutate, fill in what the
 * restricted Pod Security Standard needs where it is unset and setting it is
 * safe (src/pss_defaults.c): seccompProfile RuntimeDefault and runAsNonRoot
 * on the pod, allowPrivilegeEscalation: false and capabilities.drop ALL on
 * containers. Never changes an explicit value; a second pass adds nothing.
 * Put it in front of PodSecurity (or policies/pss-restricted.h) so that pods
 * written without a security context pass. Exempt: PSS_EXEMPTIONS.
 */
#define PSS_EXEMPTIONS	LIST(PSS_NAMESPACE("kube-system"))

static const struct rule policy[] = {
	POD_SECURITY_RESTRICTED_DEFAULTS(PSS_EXEMPTIONS),
};
