/*
 * policies/pod-hardening.h: a few pod hardening checks as denials, with
 * tinyhook's own messages: no privileged containers, no host namespaces, no
 * hostPath volumes, only the capabilities the baseline standard lets a
 * container add, and runAsNonRoot (which the standard asks only at
 * restricted). It is NOT the baseline Pod Security Standard: for that, with
 * Kubernetes' own messages, use policies/pss-baseline.h.
 * policies/pod-hardening-warn.h is the same as warnings.
 */
static const struct rule policy[] = {
	NO_PRIVILEGED(DENY),
	NO_HOST_NAMESPACES(DENY),
	NO_HOST_PATH(DENY),
	NO_ADDED_CAPABILITIES(DENY),
	REQUIRE_RUN_AS_NON_ROOT(DENY),
};
