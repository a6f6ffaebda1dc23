/*
 * policies/reference.h: exactly the policy of the reference webhooks in the
 * bench (bench/peers/go/main.go, bench/README.md "Policy"), message for
 * message, so bench/check.sh holds tinyhook to the same answers.
 *
 * /validate: every init, regular and ephemeral container image starts with
 *            "registry.example.com/" (a plain prefix, as strings.HasPrefix),
 *            and metadata.labels.owner is set and non-empty.
 * /mutate:   label environment=development when missing (the whole
 *            /metadata/labels map when there are no labels), and
 *            imagePullPolicy Always on init and regular containers without one.
 *
 * The peers know Pod, Deployment, ReplicaSet, StatefulSet, DaemonSet, Job
 * and CronJob, not ReplicationController.
 */
#define POLICY_WORKLOADS	(WL_ALL & ~WL_REPLICATIONCONTROLLER)

static const struct rule policy[] = {
	IMAGE_PREFIX(DENY, "registry.example.com/"),
	REQUIRE_LABEL(DENY, "owner"),
	DEFAULT_LABEL("environment", "development"),
	IMAGE_PULL_POLICY("Always"),
};

/* /convert: CronTab stable.example.com v1beta1 spec.cronSpec <-> v1 spec.schedule. */
#include "conversions/crontab.h"
#define POLICY_CONVERSIONS	{ &crontab_conversion }
