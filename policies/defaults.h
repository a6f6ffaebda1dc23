/*
 * policies/defaults.h: fill in what teams forget. Labels
 * environment=development and app=my-app when missing, imagePullPolicy
 * IfNotPresent where unset, and the registry-credentials pull secret.
 * Every mutation is idempotent (a second pass adds nothing).
 */
static const struct rule policy[] = {
	DEFAULT_LABEL("environment", "development"),
	DEFAULT_LABEL("app", "my-app"),
	IMAGE_PULL_POLICY("IfNotPresent"),
	ADD_IMAGE_PULL_SECRET("registry-credentials"),
};
