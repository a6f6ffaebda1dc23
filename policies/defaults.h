/*
 * policies/defaults.h: fill in what teams forget. Labels
 * environment=development and app=my-app when missing, imagePullPolicy
 * IfNotPresent where unset, and the registry-credentials pull secret.
 * Every mutation is idempotent (a second pass adds nothing).
 */
static const struct rule policy[] = {
	/* action   kind                   argument */
	{ MUTATE,   default_label,         { .kv = { "environment", "development" } } },
	{ MUTATE,   default_label,         { .kv = { "app", "my-app" } } },
	{ MUTATE,   image_pull_policy,     { .s = "IfNotPresent" } },
	{ MUTATE,   add_image_pull_secret, { .s = "registry-credentials" } },
};
