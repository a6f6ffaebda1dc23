/*
 * policies/pod-hardening-warn.h: policies/pod-hardening.h as warnings: the
 * same checks, shown by kubectl as "Warning: ..." while nothing is denied.
 * Deploy it first to see what pod-hardening.h would block.
 */
static const struct rule policy[] = {
	NO_PRIVILEGED(WARN),
	NO_HOST_NAMESPACES(WARN),
	NO_HOST_PATH(WARN),
	NO_ADDED_CAPABILITIES(WARN),
	REQUIRE_RUN_AS_NON_ROOT(WARN),
};
