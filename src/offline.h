/*
 * offline.h: the review pipeline behind `tinyhook review` and `tinyhook
 * test`: inputs (inputs.h) -> one review per object with the compiled
 * policy, through the same review_handle() the server calls -> records
 * (report.h).
 *
 * Every object is reviewed as the apiserver would send it: an
 * AdmissionReview as is; a bare object, or each item of a List, as a
 * CREATE (dryRun) in its own namespace (or --namespace, else "default");
 * a ConversionReview through /convert.
 */
#ifndef TINYHOOK_OFFLINE_H
#define TINYHOOK_OFFLINE_H

#include <stdio.h>

#include "inputs.h"
#include "ostr.h"
#include "report.h"

/* How the pipeline runs. */
struct offline_opts {
	const char		*ns;		/* namespace of objects without one */
	struct inputs_limits	 lim;
	int			 keep_patched;	/* keep each object after its patch */
	int			 detail;	/* 0, 1: -v sections, 2: --json lines */
	FILE			*detail_out;
};

/* Reviews every object of paths into r. Returns 0, -1 when out of memory. */
int	offline_run(const struct offline_opts *o, char *const *paths, int n,
	    struct report *r);

/* Reviews one JSON document text (a resource written inline in a test file). */
int	offline_run_text(const struct offline_opts *o, const char *file,
	    const char *text, size_t len, long line, struct report *r);

/* Subcommands, dispatched from main(). Each returns the exit code. */
int	review_cli(int argc, char **argv);
int	gate_cli(int argc, char **argv);
int	manifests_cli(int argc, char **argv);

#endif
