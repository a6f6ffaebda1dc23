/*
 * policy.h: the default policy, safe on an ordinary cluster. It never
 * denies (system workloads keep working); it warns about habits that
 * break deployments later, records images in the audit log, and labels
 * workloads. Copy it to policies/mine.h, edit the table, and build with
 * `make POLICY=policies/mine.h`. See src/rules.h for the rule kinds.
 *
 * To add a rule: one line { ACTION, kind, { argument } }. ACTION is DENY,
 * WARN or AUDIT (served on /validate) or MUTATE (served on /mutate).
 */
static const struct rule policy[] = {
	/* action   kind                 argument */
	{ WARN,     deny_latest_tag,     { .s = NULL } },
	{ WARN,     require_label,       { .s = "app" } },
	{ AUDIT,    audit_images,        { .s = NULL } },
	{ MUTATE,   default_label,       { .kv = { "app.kubernetes.io/managed-by", "tinyhook" } } },
};
