/*
 * rules.h: the policy API. A policy file (policy.h, policies/x.h) is a table
 * of rules, one constructor per row; each constructor names a rule kind,
 * the action and the kind's argument:
 *
 *	static const struct rule policy[] = {
 *		REQUIRE_LABEL(DENY, "owner"),
 *		ALLOWED_REGISTRIES(DENY, "registry.example.com/"),
 *		DEFAULT_LABEL("environment", "development"),
 *	};
 *
 * A table cannot be wrong and compile: every kind declares the argument it
 * takes (the constructor's parameters, checked by the compiler's types:
 * REQUIRE_LABEL(DENY, LIST("owner")) is an incompatible-pointer error) and
 * the actions it allows (a validating kind given MUTATE fails the build
 * with "negative width in bit-field 'require_label_takes_DENY_WARN_or_AUDIT'";
 * a mutating kind takes no action at all).
 *
 * /validate runs the DENY, WARN and AUDIT rules, /mutate the MUTATE rules,
 * in table order, for the workload kinds of the policy (POLICY_WORKLOADS,
 * default WL_ALL of kinds.h): Pods and the pod templates of controllers.
 * Pod rules see rc->rq->pod, the PodSpec wherever it sits in the object; a
 * per-container kind is called for every container of the lists it names.
 *
 * A custom rule is a function of type rule_fn in the policy file (or a
 * rules_container_fn for a per-container one), made a row with
 * CUSTOM(action, fn, arg) or CUSTOM_EACH(action, fn, lists, arg), using
 * the json walker (json.h) on rc->rq and reporting with rules_report()
 * (DENY/WARN/AUDIT) or writing operations with the rules_patch_*()
 * helpers (MUTATE). policies/custom-example.h is one, tested.
 *
 * Errors: none are returned; a finding is a report, a limit reached cuts
 * a message (it ends in "...") but never lets a denial through.
 */
#ifndef TINYHOOK_RULES_H
#define TINYHOOK_RULES_H

#include <stddef.h>
#include "buf.h"
#include "json.h"
#include "kinds.h"
#include "limit.h"
#include "patch.h"

enum rule_action {
	DENY,		/* validate: allowed:false with the rule's message */
	WARN,		/* validate: a warning, still allowed */
	AUDIT,		/* validate: an auditAnnotation, still allowed */
	MUTATE,		/* mutate: JSONPatch operations */
	NUM_RULE_ACTIONS
};

#define RULE_VALIDATE	((1u << DENY) | (1u << WARN) | (1u << AUDIT))
#define RULE_ANY	(RULE_VALIDATE | (1u << MUTATE))

struct rule_kv {
	const char	*key;
	const char	*value;
};

union rule_arg {
	const char		*s;
	const char *const	*list;		/* NULL-terminated: LIST(...) */
	struct rule_kv		 kv;
	long			 n;
};

/* A NULL-terminated list of strings for .list (static storage). */
#define LIST(...)	((const char *const []){ __VA_ARGS__, NULL })

/* The decoded AdmissionReview request the rules look at. */
struct admission {
	struct json		*d;
	int			 object;	/* request.object, JSON_NONE if null */
	int			 old;		/* request.oldObject, JSON_NONE if null */
	int			 meta;		/* object.metadata */
	int			 pod;		/* the PodSpec, JSON_NONE if none */
	const struct kind	*kind;		/* NULL: not a workload */
	const char		*op;		/* "CREATE", "UPDATE", ... */
	char			 subresource[RULES_SUBRES_MAX];
	int			 dry_run;
};

struct rule;
struct rule_ctx;
typedef void rule_fn(struct rule_ctx *rc, const struct rule *r);

/* Called for each container: list is "containers", "initContainers", ... */
typedef void rules_container_fn(struct rule_ctx *rc, const struct rule *r,
    int c, const char *list, int index);

/* Container lists, for a per-container kind's lists. */
#define RULES_INIT	1
#define RULES_MAIN	2
#define RULES_EPHEMERAL	4
#define RULES_ALL_CONTAINERS	7
#define RULES_NLISTS		3	/* the container lists: init, main, ephemeral */
#define RULES_KNOWN_LABELS	8	/* rule_ctx.known: labels_tok is set */

/*
 * A rule kind: its name (the audit annotation key, and what docs call it),
 * what it runs (fn on the object, or each on every container of lists,
 * only when the object has a PodSpec) and the actions it allows.
 */
struct rule_kind {
	const char		*name;
	rule_fn			*fn;
	rules_container_fn	*each;
	unsigned		 lists;
	unsigned		 actions;	/* 1 << enum rule_action, ORed */
};

struct rule {
	enum rule_action	 action;
	const struct rule_kind	*kind;
	union rule_arg		 arg;
};

/* One review's run of the policy: the request and what the rules produce. */
struct rule_ctx {
	struct admission	*rq;
	struct buf		 deny;		/* escaped messages joined by "; " */
	int			 ndeny;
	int			 deny_cut;	/* deny ends in "; ...": nothing more fits */
	struct buf		 warn;		/* escaped JSON strings joined by "," */
	int			 nwarn;
	size_t			 warn_chars;
	struct buf		 audit;		/* "key":"value" members joined by "," */
	struct patch		*patch;
	int			 labels_made;	/* /metadata/labels added by a patch */
	int			 secrets_made;	/* /<spec>/imagePullSecrets added */
	int			 rule_index;
	int			 audit_last;	/* rule that wrote the last annotation, -1 */
	/*
	 * A rule's own scratch, 0 before each rule: a per-container kind keeps
	 * there what it reads once per object (a pod-level default), so many
	 * containers do not each look it up again.
	 */
	int			 scratch;
	/*
	 * Lookups many rules repeat, made once per review (the document does
	 * not change): rq->meta's "labels" and rq->pod's container lists (in
	 * rules.c's order). known has RULES_INIT ... for the lists looked up,
	 * RULES_KNOWN_LABELS for the labels; 0 (as memset leaves it) is none.
	 */
	unsigned		 known;
	int			 labels_tok;
	int			 lists_tok[RULES_NLISTS];
};

/*
 * The compile-time check of a row's action: `action` when the kind allows
 * it, else a bit-field of negative width whose name says what is wrong.
 */
#define RULE_ACTION(action, allowed, why) \
	((enum rule_action)((action) + 0 * sizeof(struct { \
	    int why : ((1u << (action)) & (allowed)) ? 1 : -1; })))

#define RULE_ROW(action, kindsym, allowed, why, ...) \
	{ RULE_ACTION(action, allowed, why), &kindsym, { __VA_ARGS__ } }

/* Built-in rule kinds (rulekinds.c), one constructor each. */
extern const struct rule_kind rk_require_label, rk_allowed_registries,
    rk_image_prefix, rk_image_name_prefix, rk_no_latest_tag,
    rk_default_label, rk_image_pull_policy, rk_force_image_pull_policy,
    rk_add_image_pull_secret, rk_no_privileged, rk_no_host_namespaces,
    rk_no_host_path, rk_no_added_capabilities, rk_require_run_as_non_root,
    rk_audit_images;

/* metadata.labels[key] is a non-empty string. */
#define REQUIRE_LABEL(action, key) RULE_ROW(action, rk_require_label, RULE_VALIDATE, \
	require_label_takes_DENY_WARN_or_AUDIT, .s = (key))
/* Every image comes from one of the registries ("host[:port]/", "host/path/"). */
#define ALLOWED_REGISTRIES(action, ...) RULE_ROW(action, rk_allowed_registries, \
	RULE_VALIDATE, allowed_registries_takes_DENY_WARN_or_AUDIT, .list = LIST(__VA_ARGS__))
/* The raw image string starts with prefix (strings.HasPrefix). */
#define IMAGE_PREFIX(action, prefix) RULE_ROW(action, rk_image_prefix, RULE_VALIDATE, \
	image_prefix_takes_DENY_WARN_or_AUDIT, .s = (prefix))
/* The repository path after the registry starts with prefix. */
#define IMAGE_NAME_PREFIX(action, prefix) RULE_ROW(action, rk_image_name_prefix, \
	RULE_VALIDATE, image_name_prefix_takes_DENY_WARN_or_AUDIT, .s = (prefix))
/* An image needs a tag other than latest, or a digest. */
#define NO_LATEST_TAG(action) RULE_ROW(action, rk_no_latest_tag, RULE_VALIDATE, \
	no_latest_tag_takes_DENY_WARN_or_AUDIT, .s = NULL)
/* No container sets securityContext.privileged. */
#define NO_PRIVILEGED(action) RULE_ROW(action, rk_no_privileged, RULE_VALIDATE, \
	no_privileged_takes_DENY_WARN_or_AUDIT, .s = NULL)
/* hostNetwork, hostPID, hostIPC stay unset or false. */
#define NO_HOST_NAMESPACES(action) RULE_ROW(action, rk_no_host_namespaces, \
	RULE_VALIDATE, no_host_namespaces_takes_DENY_WARN_or_AUDIT, .s = NULL)
/* No hostPath volume. */
#define NO_HOST_PATH(action) RULE_ROW(action, rk_no_host_path, RULE_VALIDATE, \
	no_host_path_takes_DENY_WARN_or_AUDIT, .s = NULL)
/* capabilities.add only within the listed ones (the baseline set without a list). */
#define NO_ADDED_CAPABILITIES(action) RULE_ROW(action, rk_no_added_capabilities, \
	RULE_VALIDATE, no_added_capabilities_takes_DENY_WARN_or_AUDIT, .list = NULL)
#define NO_ADDED_CAPABILITIES_BUT(action, ...) RULE_ROW(action, rk_no_added_capabilities, \
	RULE_VALIDATE, no_added_capabilities_takes_DENY_WARN_or_AUDIT, .list = LIST(__VA_ARGS__))
/* runAsNonRoot on the pod (not turned off by a container) or every container. */
#define REQUIRE_RUN_AS_NON_ROOT(action) RULE_ROW(action, rk_require_run_as_non_root, \
	RULE_VALIDATE, require_run_as_non_root_takes_DENY_WARN_or_AUDIT, .s = NULL)
/* One audit annotation "images" listing every container image. */
#define AUDIT_IMAGES() { AUDIT, &rk_audit_images, { .s = NULL } }

/* Mutations (/mutate): no action to give, they only mutate. */
#define DEFAULT_LABEL(key, value) \
	{ MUTATE, &rk_default_label, { .kv = { (key), (value) } } }
#define IMAGE_PULL_POLICY(policy) { MUTATE, &rk_image_pull_policy, { .s = (policy) } }
#define FORCE_IMAGE_PULL_POLICY(policy) \
	{ MUTATE, &rk_force_image_pull_policy, { .s = (policy) } }
#define ADD_IMAGE_PULL_SECRET(name) { MUTATE, &rk_add_image_pull_secret, { .s = (name) } }

/*
 * A rule of the policy file's own: fn(rc, r) on every reviewed object
 * (CUSTOM), or each(rc, r, c, list, index) on the containers of lists
 * (CUSTOM_EACH); the optional argument is a union rule_arg initializer
 * (.s = "x"). Its audit annotation key is its function's name.
 */
#define CUSTOM(action, fn, ...) { (action), &(const struct rule_kind){ #fn, (fn), \
	NULL, 0, RULE_ANY }, { __VA_ARGS__ } }
#define CUSTOM_EACH(action, each, lists, ...) { (action), &(const struct rule_kind){ \
	#each, NULL, (each), (lists), RULE_ANY }, { __VA_ARGS__ } }

/* Engine (rules.c). */
void	rules_run(struct rule_ctx *rc, const struct rule *rules, size_t n, int mutate);
int	rules_serve(const struct rule *rules, size_t n, int mutate);
void	rules_report(struct rule_ctx *rc, const struct rule *r, const char *msg, size_t n);
void	rules_report_buf(struct rule_ctx *rc, const struct rule *r, struct buf *m);
/* Whether r can report nothing more (denial cut, warning budget spent): a
 * kind's own loop stops there, as the engine's container loop does. */
int	rules_spent(const struct rule_ctx *rc, const struct rule *r);
void	rules_each_container(struct rule_ctx *rc, const struct rule *r,
	    unsigned lists, rules_container_fn *fn);
int	rules_labels(struct rule_ctx *rc);
/*
 * Tells rc what json_get(rq->pod, ...) gives for "initContainers",
 * "containers" and "ephemeralContainers", for a caller that looked them up
 * already (the review, checking their shapes): no rule looks them up again.
 */
void	rules_set_lists(struct rule_ctx *rc, int init, int containers, int ephemeral);
void	rules_patch_label(struct rule_ctx *rc, const char *key, const char *value);
void	rules_patch_container(struct rule_ctx *rc, const char *list, int index,
	    const char *field);
/* Go %q quoting (rules.c), so messages read like a Go webhook's. */
void	rules_quote(struct buf *m, const char *s, size_t n);
void	rules_put_quoted(struct buf *m, struct json *d, int v);

/* The compiled policy (policy.c). */
extern const struct rule	*const policy_rules;
extern const size_t		 policy_nrules;
extern const unsigned		 policy_workloads;

#endif
