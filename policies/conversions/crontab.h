/*
 * conversions/crontab.h: CronTab (stable.example.com), the CRD of the
 * Kubernetes "CRD versioning" documentation and of the bench peers
 * (bench/peers/go/main.go convertObject): v1beta1 calls the schedule
 * spec.cronSpec, v1 calls it spec.schedule; nothing else differs.
 *
 * Include it from a policy file and list it in POLICY_CONVERSIONS:
 *	#include "conversions/crontab.h"
 *	#define POLICY_CONVERSIONS	{ &crontab_conversion }
 *
 * To add a field: one line in crontab_v1beta1[] per field that differs
 * (CONVERT_RENAME, CONVERT_HUB_ONLY, CONVERT_SPOKE_ONLY: see src/convert.h).
 * To add a version: a CONVERT_SPOKE line with its own field table.
 */
#ifndef TINYHOOK_CONVERSIONS_CRONTAB_H
#define TINYHOOK_CONVERSIONS_CRONTAB_H

#include "convert.h"

/* v1beta1 against the hub v1. */
static const struct convert_field crontab_v1beta1[] = {
	/* rule            hub (v1) path     v1beta1 path */
	CONVERT_RENAME(    "spec.schedule",  "spec.cronSpec"),
};

static const struct convert_version crontab_versions[] = {
	CONVERT_HUB(       "v1"),
	CONVERT_SPOKE(     "v1beta1", crontab_v1beta1),
};

static const struct convert_kind crontab_conversion = {
	"stable.example.com", "CronTab", "v1", CONVERT_VERSIONS(crontab_versions)
};

#endif
