/*
 * policy.h: the default policy, safe on an ordinary cluster. It never
 * denies (system workloads keep working); it warns about habits that
 * break deployments later, records images in the audit log, and labels
 * workloads. Copy it to policies/mine.h, edit the table, and build with
 * `make POLICY=policies/mine.h`. See src/rules.h for the rule kinds.
 *
 * To add a rule: one constructor per line, e.g. REQUIRE_LABEL(DENY, "owner")
 * (the action first: DENY, WARN or AUDIT, served on /validate) or
 * DEFAULT_LABEL("k", "v") (a mutation, served on /mutate). A wrong action or
 * argument fails the build, naming the rule.
 */
static const struct rule policy[] = {
	NO_LATEST_TAG(WARN),
	REQUIRE_LABEL(WARN, "app"),
	AUDIT_IMAGES(),
	DEFAULT_LABEL("app.kubernetes.io/managed-by", "tinyhook"),
};
