/*
 * policies/require-labels.h: every workload carries an owner and an app
 * label; a denial names each missing label.
 */
static const struct rule policy[] = {
	/* action   kind            argument */
	{ DENY,     require_label,  { .s = "owner" } },
	{ DENY,     require_label,  { .s = "app" } },
};
