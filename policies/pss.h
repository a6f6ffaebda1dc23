/*
 * policies/pss.h: the usual PodSecurity set-up as one policy: enforce
 * baseline, warn and audit restricted (pod-security.kubernetes.io/enforce=
 * baseline, warn=restricted, audit=restricted). A pod that breaks baseline
 * is denied with PodSecurity's message; one that only breaks restricted is
 * allowed with the warning `would violate PodSecurity "restricted:latest":
 * ...` and the same text in the audit annotation rule-2 (the index of its
 * line: custom rule kinds have no audit key of their own yet).
 * Exempt: the entries of PSS_EXEMPTIONS.
 */
#define PSS_EXEMPTIONS	LIST(PSS_NAMESPACE("kube-system"))

static const struct rule policy[] = {
	POD_SECURITY_BASELINE(DENY, PSS_EXEMPTIONS),
	POD_SECURITY_RESTRICTED(WARN, PSS_EXEMPTIONS),
	POD_SECURITY_RESTRICTED(AUDIT, PSS_EXEMPTIONS),
};
