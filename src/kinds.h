/*
 * kinds.h: the workload kinds pod rules know, one table row each: API group,
 * kind, resource (for manifests), where the kind keeps its PodSpec (a
 * json_getp path and the same as a JSON pointer for patches), and its bit
 * for a policy's POLICY_WORKLOADS. Rules, metrics labels and the rendered
 * webhook configurations all read this one table; adding a kind is a row
 * in kinds.c and a bit here.
 */
#ifndef TINYHOOK_KINDS_H
#define TINYHOOK_KINDS_H

#include <stddef.h>
#include "json.h"

enum kind_bit {
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

#define NUM_KINDS	8

struct kind {
	enum kind_bit	 bit;
	const char	*group;		/* API group, "" for core */
	const char	*kind;
	const char	*resource;	/* plural, for manifests */
	const char	*spec;		/* PodSpec path for json_getp */
	const char	*ptr;		/* the same as a JSON pointer */
};

extern const struct kind kinds[NUM_KINDS];

/*
 * The kind named by the GroupVersionKind object gvk (request.kind), if its
 * bit is in mask; else NULL. The group is compared too, so a custom
 * resource that happens to be called "Pod" is not read as a PodSpec.
 */
const struct kind *kinds_find(struct json *d, int gvk, unsigned mask);

/* The index of the kind named s[0, n) (any group), or -1: metrics labels. */
int	kinds_index(const char *s, size_t n);

#endif
