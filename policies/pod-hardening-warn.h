/*
 * policies/pod-hardening-warn.h: policies/pod-hardening.h as warnings: the
 * same checks, shown by kubectl as "Warning: ..." while nothing is denied.
 * Deploy it first to see what pod-hardening.h would block.
 */
static const struct rule policy[] = {
	/* action   kind                     argument */
	{ WARN,     no_privileged,           { .s = NULL } },
	{ WARN,     no_host_namespaces,      { .s = NULL } },
	{ WARN,     no_host_path,            { .s = NULL } },
	{ WARN,     no_added_capabilities,   { .list = NULL } },
	{ WARN,     require_run_as_non_root, { .s = NULL } },
};
