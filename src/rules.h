/*
 * rules.h: the policy API. A policy file (policy.h, policies/x.h) is a table
 * of rules; each rule is an action, a rule kind (a C function) and an
 * argument:
 *
 *	static const struct rule policy[] = {
 *		{ DENY,   require_label,      { .s = "owner" } },
 *		{ DENY,   allowed_registries, { .list = LIST("registry.example.com/") } },
 *		{ MUTATE, default_label,      { .kv = { "environment", "development" } } },
 *	};
 *
 * A custom rule is a function of type rule_fn in the policy file, using the
 * json walker (json.h) on rc->rq and reporting with rules_report() (for
 * DENY/WARN/AUDIT) or writing operations with rules_patch() (for MUTATE).
 *
 * Rules run for the workload kinds of the policy (POLICY_WORKLOADS, default
 * all of enum rules_workload): Pods and the pod templates of controllers.
 * /validate runs the DENY, WARN and AUDIT rules, /mutate the MUTATE rules,
 * in table order. Pod rules see rc->rq->pod, the PodSpec wherever it sits
 * in the object, and rules_each_container() visits every container list.
 */
#ifndef TINYHOOK_RULES_H
#define TINYHOOK_RULES_H

#include <stddef.h>
#include "buf.h"
#include "json.h"
#include "patch.h"

/* Limits of one review's outputs; every one is checked, none truncates JSON. */
#define RULES_DENY_MAX		3072	/* escaped bytes of the joined denial message */
#define RULES_WARN_CHARS	4096	/* CONTRACT rule 17: characters of all warnings */
#define RULES_WARN_MAX		(RULES_WARN_CHARS * 6 + 256)	/* escaped bytes */
#define RULES_AUDIT_MAX		4096	/* bytes of the auditAnnotations members */
#define RULES_AUDIT_KEY		63	/* CONTRACT rule 18 */
#define RULES_MSG_MAX		512	/* one rule's message */
#define RULES_STR_MAX		1024	/* an unescaped image reference or label */
#define RULES_SUBRES_MAX	64

enum rule_action {
	DENY,		/* validate: allowed:false with the rule's message */
	WARN,		/* validate: a warning, still allowed */
	AUDIT,		/* validate: an auditAnnotation, still allowed */
	MUTATE,		/* mutate: JSONPatch operations */
	NUM_RULE_ACTIONS
};

/* The kinds pod rules know; a policy may narrow them with POLICY_WORKLOADS. */
enum rules_workload {
	WL_POD = 1 << 0,
	WL_DEPLOYMENT = 1 << 1,
	WL_REPLICASET = 1 << 2,
	WL_STATEFULSET = 1 << 3,
	WL_DAEMONSET = 1 << 4,
	WL_JOB = 1 << 5,
	WL_CRONJOB = 1 << 6,
	WL_REPLICATIONCONTROLLER = 1 << 7,
	WL_ALL = (1 << 8) - 1
};

struct rules_kind {
	enum rules_workload	 wl;
	const char		*group;		/* API group, "" for core */
	const char		*kind;
	const char		*resource;	/* plural, for manifests */
	const char		*spec;		/* PodSpec path for json_getp */
	const char		*ptr;		/* the same as a JSON pointer */
};

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
#define REGISTRIES(...)	LIST(__VA_ARGS__)

/* The decoded AdmissionReview request the rules look at. */
struct admission {
	struct json		*d;
	int			 object;	/* request.object, JSON_NONE if null */
	int			 old;		/* request.oldObject, JSON_NONE if null */
	int			 meta;		/* object.metadata */
	int			 pod;		/* the PodSpec, JSON_NONE if none */
	const struct rules_kind	*kind;		/* NULL: not a workload */
	const char		*op;		/* "CREATE", "UPDATE", ... */
	char			 subresource[RULES_SUBRES_MAX];
	int			 dry_run;
};

struct rule;
struct rule_ctx;
typedef void rule_fn(struct rule_ctx *rc, const struct rule *r);

struct rule {
	enum rule_action	 action;
	rule_fn			*fn;
	union rule_arg		 arg;
};

/* One review's run of the policy: the request and what the rules produce. */
struct rule_ctx {
	struct admission	*rq;
	struct buf		 deny;		/* escaped messages joined by "; " */
	int			 ndeny;
	struct buf		 warn;		/* escaped JSON strings joined by "," */
	int			 nwarn;
	size_t			 warn_chars;
	struct buf		 audit;		/* "key":"value" members joined by "," */
	struct patch		*patch;
	int			 labels_made;	/* /metadata/labels added by a patch */
	int			 secrets_made;	/* /<spec>/imagePullSecrets added */
	int			 rule_index;
	int			 audit_last;	/* rule that wrote the last annotation, -1 */
};

/* Called for each container: list is "containers", "initContainers", ... */
typedef void rules_container_fn(struct rule_ctx *rc, const struct rule *r,
    int c, const char *list, int index);

/* Container lists, for rules_each_container's mask. */
#define RULES_INIT	1
#define RULES_MAIN	2
#define RULES_EPHEMERAL	4
#define RULES_ALL_CONTAINERS	7

/* Engine (rules.c). */
const struct rules_kind	*rules_kinds(size_t *n);
const struct rules_kind	*rules_kind_find(struct json *d, int gvk, unsigned mask);
void	rules_run(struct rule_ctx *rc, const struct rule *rules, size_t n, int mutate);
void	rules_report(struct rule_ctx *rc, const struct rule *r, const char *msg, size_t n);
void	rules_report_buf(struct rule_ctx *rc, const struct rule *r, struct buf *m);
void	rules_each_container(struct rule_ctx *rc, const struct rule *r,
	    unsigned lists, rules_container_fn *fn);
void	rules_put_quoted(struct buf *m, struct json *d, int v);
int	rules_labels(struct rule_ctx *rc);
void	rules_patch_label(struct rule_ctx *rc, const char *key, const char *value);
void	rules_patch_container(struct rule_ctx *rc, const char *list, int index,
	    const char *field);
const char *rules_kind_name(rule_fn *fn);

/* The compiled policy (policy.c). */
extern const struct rule	*const policy_rules;
extern const size_t		 policy_nrules;
extern const unsigned		 policy_workloads;

/* Built-in rule kinds (rules.c). */
rule_fn require_label;		/* .s: label key that must be set, non-empty */
rule_fn allowed_registries;	/* .list: "host[:port]/" or "host/path/" entries */
rule_fn image_prefix;		/* .s: the raw image string must start with it */
rule_fn image_name_prefix;	/* .s: repository path after the registry part */
rule_fn deny_latest_tag;	/* no arg: image without tag or with :latest */
rule_fn default_label;		/* .kv: add the label when missing */
rule_fn image_pull_policy;	/* .s: set when missing */
rule_fn force_image_pull_policy;	/* .s: set on every container */
rule_fn add_image_pull_secret;	/* .s: add secret name when absent */
rule_fn no_privileged;		/* securityContext.privileged */
rule_fn no_host_namespaces;	/* hostNetwork, hostPID, hostIPC */
rule_fn no_host_path;		/* volumes[].hostPath */
rule_fn no_added_capabilities;	/* .list: allowed adds (baseline set) or NULL */
rule_fn require_run_as_non_root;	/* pod or every container runAsNonRoot */
rule_fn audit_images;		/* audit annotation listing the images */

#endif
