/*
 * convert.h: CRD conversion (ConversionReview, apiextensions.k8s.io/v1) with
 * rules compiled in from the policy file (CONTRACT rules 26-29).
 *
 * A policy declares, per group/kind, the served versions and a hub version;
 * each other version (a spoke) says how its fields map to the hub's. An
 * object is converted A -> hub -> C, so a table only ever describes one
 * spoke against the hub, never every pair of versions.
 *
 *	#include "conversions/crontab.h"	(defines crontab_conversion)
 *	#define POLICY_CONVERSIONS	{ &crontab_conversion }
 *
 * How a conversion runs: the rules of both steps become a short list of
 * edits (delete this member, set that one) keyed by output path; then the
 * object is written once, copying the raw bytes of every member no edit
 * touches. Nothing is re-encoded, nothing is allocated, no DOM is built.
 *
 * Paths are '.'-separated member names ("spec.cronSpec"); they address
 * object members only, not array elements. The apiVersion, kind and
 * metadata other than labels and annotations are never changed (CONTRACT
 * rule 29: the apiserver reverts other metadata changes, and a name or uid
 * change corrupts the object); a rule that tries is a Failure.
 *
 * The module's files, from the bottom up: convert_int.h (the record of one
 * object being converted, and the limits that size it), convert_edit.c/.h
 * (its edit list, and the functions custom conversions call),
 * convert_write.c (writing an object under its edits), convert.c/.h (the
 * tables and the ConversionReview). Nothing below includes what is above.
 */
#ifndef TINYHOOK_CONVERT_H
#define TINYHOOK_CONVERT_H

#include <stddef.h>
#include "buf.h"
#include "convert_edit.h"	/* convert_fn, and what custom functions call */
#include "json.h"
#include "verdict.h"

/*
 * What a field rule says about one spoke version against the hub.
 *
 * CONVERT_RENAME	the field is hub path `hub` and spoke path `spoke`
 *			(rename or move; a rename within one object keeps its
 *			place). `def`: JSON set at `hub` when converting to the
 *			hub and neither side has the field.
 * CONVERT_HUB_ONLY	the hub has `hub`, the spoke has no such field: from
 *			the hub it moves into annotation `annotation` (NULL:
 *			dropped), back to the hub it is restored from there,
 *			else `def` (JSON, NULL: none) when the hub lacks it.
 * CONVERT_SPOKE_ONLY	the mirror: the spoke has `spoke`, the hub keeps it in
 *			annotation `annotation`; `def` is set going to the spoke.
 *
 * Annotation values are the JSON text of the field, so a round trip
 * restores the value exactly (annotations are map[string]string).
 */
enum convert_op {
	CONVERT_RENAME,
	CONVERT_HUB_ONLY,
	CONVERT_SPOKE_ONLY,
	NUM_CONVERT_OPS
};

struct convert_field {
	enum convert_op	 op;
	const char	*hub;		/* path in the hub version */
	const char	*spoke;		/* path in the spoke version */
	const char	*annotation;	/* where the other side keeps it */
	const char	*def;		/* JSON text of a default, or NULL */
};

/* Table entries, one per line (see policies/conversions/crontab.h). */
#define CONVERT_RENAME(hub, spoke) \
	{ CONVERT_RENAME, (hub), (spoke), NULL, NULL }
#define CONVERT_RENAME_DEFAULT(hub, spoke, def) \
	{ CONVERT_RENAME, (hub), (spoke), NULL, (def) }
#define CONVERT_HUB_ONLY(hub, annotation, def) \
	{ CONVERT_HUB_ONLY, (hub), NULL, (annotation), (def) }
#define CONVERT_SPOKE_ONLY(spoke, annotation, def) \
	{ CONVERT_SPOKE_ONLY, NULL, (spoke), (annotation), (def) }

struct convert_version {
	const char			*name;		/* "v1beta1" */
	const struct convert_field	*fields;	/* NULL for the hub */
	size_t				 nfields;
	convert_fn			*to_hub;	/* NULL: table only */
	convert_fn			*from_hub;
};

#define CONVERT_HUB(name)	{ (name), NULL, 0, NULL, NULL }
#define CONVERT_SPOKE(name, fields) \
	{ (name), (fields), sizeof(fields) / sizeof((fields)[0]), NULL, NULL }
#define CONVERT_SPOKE_FN(name, fields, to_hub, from_hub) \
	{ (name), (fields), sizeof(fields) / sizeof((fields)[0]), (to_hub), (from_hub) }
/* A spoke whose schema equals the hub's: only apiVersion changes. */
#define CONVERT_SAME(name)	{ (name), NULL, 0, NULL, NULL }

struct convert_kind {
	const char			*group;		/* "stable.example.com" */
	const char			*kind;		/* "CronTab" */
	const char			*hub;		/* one of versions[].name */
	const struct convert_version	*versions;	/* every served version */
	size_t				 nversions;
};

#define CONVERT_VERSIONS(v)	(v), sizeof(v) / sizeof((v)[0])

/* The compiled policy's conversions (src/policy.c, from POLICY_CONVERSIONS). */
extern const struct convert_kind *const policy_conversions[];
extern const int policy_nconversions;

/*
 * Limits: above them an object's conversion is a Failure, never a crash.
 * Those of one object's edits (CONVERT_MAX_EDITS, CONVERT_MAX_SEGS,
 * CONVERT_SCRATCH) are in convert_int.h beside the record they size, and
 * CONVERT_JSON_DEPTH in convert_edit.h.
 */
#define CONVERT_NAME_MAX	320	/* apiVersion: DNS subdomain + "/" + version */
#define CONVERT_MSG_MAX		768	/* a Failure message (object, kind, name, why) */

/*
 * d: the parsed request body (already valid JSON); writes the whole
 * ConversionReview response into out and returns the HTTP status: 200 for
 * any well-formed ConversionReview (result Success or Failure), 400 with
 * {"error":"..."} when the body is not an apiextensions.k8s.io/v1
 * ConversionReview or has no request.uid, 500 when out is too small.
 * Fills info->uid, info->kind ("ConversionReview"), info->allowed (1
 * Success, 0 Failure), info->name (the failing object's) and info->error.
 */
int	convert_review(struct json *d, struct buf *out, struct verdict *info);

/* The same with an explicit table (tests, other front ends). */
int	convert_review_with(struct json *d, struct buf *out,
	    struct verdict *info, const struct convert_kind *const *kinds,
	    int nkinds);

#endif
