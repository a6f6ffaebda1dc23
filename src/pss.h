/*
 * pss.h: the Pod Security Standards (baseline, restricted) exactly as
 * Kubernetes' PodSecurity admission enforces them at policy version
 * "latest" (Kubernetes v1.36, whose newest checks are those of policy
 * v1.35), and a mutation that fills in what restricted needs.
 *
 * Three rule kinds for policy files (policies/pss*.h):
 *
 *	{ DENY,   pss_baseline,            { .list = PSS_EXEMPTIONS } },
 *	{ WARN,   pss_restricted,          { .list = PSS_EXEMPTIONS } },
 *	{ MUTATE, pss_restricted_defaults, { .list = PSS_EXEMPTIONS } },
 *
 * A DENY reports PodSecurity's own message, `violates PodSecurity
 * "baseline:latest": hostPort (container "c" uses hostPort 80), ...`; a WARN
 * or AUDIT reports `would violate PodSecurity "restricted:latest": ...`, as
 * PodSecurity's warn and audit modes do, and a WARN is dropped when the
 * request is already denied (PodSecurity adds no warnings to a rejection).
 *
 * The argument lists the exemptions, as PodSecurity's AdmissionConfiguration
 * has them (exemptions.namespaces, .usernames, .runtimeClasses), one entry
 * per string made with the macros below; .list = NULL means
 * PSS_DEFAULT_EXEMPTIONS (kube-system). An entry of another form denies every
 * pod with a message naming it: a typo must not exempt or allow silently.
 *
 * What is judged, as PodSecurity does: Pods on CREATE and UPDATE (an UPDATE
 * that changes no image and no seccomp annotation is allowed unevaluated,
 * PodSecurity's isSignificantPodUpdate), pods/ephemeralcontainers, and the
 * pod templates of workloads. PodSecurity only warns about templates; these
 * rules deny them, so a Deployment that could never create its pods is
 * refused when it is applied.
 *
 * The apiserver copies a container's AppArmor annotation into its
 * securityContext.appArmorProfile field and back before any validating
 * admission sees a Pod (pkg/api/pod applyAppArmorVersionSkew). The
 * appArmorProfile check does that copy too, so a manifest reviewed offline
 * gets the message the cluster gives; on what the apiserver sends it changes
 * nothing.
 *
 * Errors: none. A value the apiserver's schema would have refused (a string
 * where a bool belongs) reads as Go's zero value, like a missing field.
 * Messages longer than PSS_MSG_MAX, or a check listing more than
 * PSS_ITEMS_MAX names, end in "..."; the verdict never depends on a limit.
 */
#ifndef TINYHOOK_PSS_H
#define TINYHOOK_PSS_H

#include <stdint.h>

#include "buf.h"
#include "json.h"
#include "limit.h"
#include "rules.h"

enum pss_level {
	PSS_BASELINE,
	PSS_RESTRICTED,
	NUM_PSS_LEVELS
};

/* Exemption entries for the rule argument: LIST(PSS_NAMESPACE("ci"), ...). */
#define PSS_NAMESPACE(s)	"namespace:" s
#define PSS_USERNAME(s)		"username:" s
#define PSS_RUNTIMECLASS(s)	"runtimeClass:" s
#define PSS_DEFAULT_EXEMPTIONS	LIST(PSS_NAMESPACE("kube-system"))

/*
 * Evaluates the PodSpec pod with the pod metadata meta (annotations; the
 * template's metadata for a workload, JSON_NONE if none) against level, as
 * PodSecurity's EvaluatePod + AggregateCheckResults do, and appends the
 * violated checks to out in PodSecurity's order and wording:
 * `check (detail), check (detail)`. Returns how many checks failed: 0 means
 * allowed (out is untouched then).
 */
int	pss_evaluate(struct json *d, int meta, int pod, enum pss_level level,
	    struct buf *out);

/*
 * For the rule kinds: 1 when the request is exempt (namespace, username,
 * runtime class of the pod) by the entries of list (NULL: the default);
 * 0 if not; -1 with *bad set to the first entry that is none of the three
 * forms.
 */
int	pss_exempt(struct rule_ctx *rc, const char *const *list, const char **bad);

/* The pod metadata of the reviewed workload (see pss_evaluate), or JSON_NONE. */
int	pss_pod_meta(struct rule_ctx *rc);

/*
 * Rule kinds and their constructors (exemptions: LIST(PSS_NAMESPACE(..),
 * ...) or NULL for PSS_DEFAULT_EXEMPTIONS).
 */
extern const struct rule_kind rk_pss_baseline, rk_pss_restricted,
    rk_pss_restricted_defaults;

/* Validate against the baseline standard (pss_rule.c). */
#define POD_SECURITY_BASELINE(action, exemptions) RULE_ROW(action, rk_pss_baseline, \
	RULE_VALIDATE, pod_security_baseline_takes_DENY_WARN_or_AUDIT, .list = (exemptions))
/* Validate against the restricted standard (pss_rule.c). */
#define POD_SECURITY_RESTRICTED(action, exemptions) RULE_ROW(action, rk_pss_restricted, \
	RULE_VALIDATE, pod_security_restricted_takes_DENY_WARN_or_AUDIT, .list = (exemptions))
/* Fill what restricted needs where unset and safe (pss_defaults.c). */
#define POD_SECURITY_RESTRICTED_DEFAULTS(exemptions) \
	{ MUTATE, &rk_pss_restricted_defaults, { .list = (exemptions) } }

#endif
