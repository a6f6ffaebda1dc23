/*
 * policies/require-labels.h: every workload carries an owner and an app
 * label; a denial names each missing label.
 */
static const struct rule policy[] = {
	REQUIRE_LABEL(DENY, "owner"),
	REQUIRE_LABEL(DENY, "app"),
};
