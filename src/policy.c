/*
 * policy.c: the one translation unit that compiles the policy file
 * (POLICY_FILE, chosen by `make POLICY=...`) and exports its table, name
 * and hash. Keeping the include here means a policy's static functions and
 * tables exist once in the binary.
 */
#include <stddef.h>

#include "json.h"
#include "review.h"
#include "version.h"
#include "rules.h"
#include "pss.h"
#include "convert.h"

#include POLICY_FILE

/*
 * The workload kinds the policy's rules apply to. A policy narrows them by
 * defining POLICY_WORKLOADS before its table (policies/reference.h does,
 * to match the reference webhooks exactly).
 */
#ifndef POLICY_WORKLOADS
#define POLICY_WORKLOADS	WL_ALL
#endif

const struct rule	*const policy_rules = policy;
const size_t		 policy_nrules = sizeof(policy) / sizeof(policy[0]);
const unsigned		 policy_workloads = POLICY_WORKLOADS;
const char		 policy_name[] = POLICY_NAME;
const char		 policy_hash[] = POLICY_HASH;

/*
 * The CRD conversions of the policy: a policy that serves /convert defines
 * POLICY_CONVERSIONS as a list of tables (see policies/crontab.h).
 */
#ifdef POLICY_CONVERSIONS
const struct convert_kind *const policy_conversions[] = POLICY_CONVERSIONS;
const int policy_nconversions = sizeof(policy_conversions) / sizeof(policy_conversions[0]);
#else
const struct convert_kind *const policy_conversions[1];
const int policy_nconversions = 0;
#endif
