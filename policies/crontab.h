/*
 * policies/crontab.h: the reference admission policy (policies/reference.h,
 * the bench peers' /validate and /mutate) plus CRD conversion at /convert:
 * CronTab stable.example.com v1beta1 <-> v1 (spec.cronSpec <-> spec.schedule,
 * as bench/peers/go/main.go) and Widget rig.example.com v1 <-> v2 (the
 * captured apiserver request). So bench/check.sh passes every check against
 * `make POLICY=policies/crontab.h`.
 *
 * The CRDs: k8s/crd-crontab.yaml (in cluster, Service tinyhook/tinyhook
 * path /convert) and k8s/host/crd-crontab-url.yaml (host mode).
 */
#include "reference.h"
#include "conversions/crontab.h"
#include "conversions/widget.h"

#undef POLICY_CONVERSIONS	/* reference.h serves CronTab only */
#define POLICY_CONVERSIONS	{ &crontab_conversion, &widget_conversion }
