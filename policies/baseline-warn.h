/*
 * policies/baseline-warn.h: policies/baseline.h as warnings: the same
 * checks (baseline pod security profile plus runAsNonRoot), shown by
 * kubectl as "Warning: ..." while nothing is denied. Deploy it first to see
 * what baseline.h would block.
 */
static const struct rule policy[] = {
	NO_PRIVILEGED(WARN),
	NO_HOST_NAMESPACES(WARN),
	NO_HOST_PATH(WARN),
	NO_ADDED_CAPABILITIES(WARN),
	REQUIRE_RUN_AS_NON_ROOT(WARN),
};
