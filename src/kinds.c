/*
 * kinds.c: the workload kinds table (see kinds.h).
 */
#include <string.h>

#include "kinds.h"

/* Adding a kind: a row here, a bit in enum kind_bit, NUM_KINDS. */
const struct kind kinds[NUM_KINDS] = {
	{ WL_POD, "", "Pod", "pods", "spec", "/spec" },
	{ WL_DEPLOYMENT, "apps", "Deployment", "deployments",
	  "spec.template.spec", "/spec/template/spec" },
	{ WL_REPLICASET, "apps", "ReplicaSet", "replicasets",
	  "spec.template.spec", "/spec/template/spec" },
	{ WL_STATEFULSET, "apps", "StatefulSet", "statefulsets",
	  "spec.template.spec", "/spec/template/spec" },
	{ WL_DAEMONSET, "apps", "DaemonSet", "daemonsets",
	  "spec.template.spec", "/spec/template/spec" },
	{ WL_JOB, "batch", "Job", "jobs",
	  "spec.template.spec", "/spec/template/spec" },
	{ WL_CRONJOB, "batch", "CronJob", "cronjobs",
	  "spec.jobTemplate.spec.template.spec",
	  "/spec/jobTemplate/spec/template/spec" },
	{ WL_REPLICATIONCONTROLLER, "", "ReplicationController",
	  "replicationcontrollers", "spec.template.spec", "/spec/template/spec" },
};

const struct kind *
kinds_find(struct json *d, int gvk, unsigned mask)
{
	int kind = json_get(d, gvk, "kind"), group = json_get(d, gvk, "group");
	size_t i;

	for (i = 0; i < NUM_KINDS; i++) {
		if (!(mask & (unsigned)kinds[i].bit) || !json_str_eq(d, kind, kinds[i].kind))
			continue;
		if (json_str_eq(d, group, kinds[i].group) ||
		    (kinds[i].group[0] == '\0' && group == JSON_NONE))
			return &kinds[i];
	}
	return NULL;
}

int
kinds_index(const char *s, size_t n)
{
	int i;

	for (i = 0; i < NUM_KINDS; i++)
		if (strlen(kinds[i].kind) == n && memcmp(kinds[i].kind, s, n) == 0)
			return i;
	return -1;
}
