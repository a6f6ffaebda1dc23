/*
 * offline_review.h: one piece of the offline inputs reviewed (offline.c
 * runs the inputs through it): a document by its kind (an AdmissionReview
 * as it is, a bare object or each item of a List as a CREATE, a
 * ConversionReview through /convert), its verdict recorded in the report.
 * Not on the request path: it allocates. The review itself is
 * review_handle(), exactly what the server runs.
 *
 * Errors: a piece that cannot be reviewed is reported through
 * report_error() (the file is bad) and returns -1; out of memory sets the
 * report's nomem.
 */
#ifndef TINYHOOK_OFFLINE_REVIEW_H
#define TINYHOOK_OFFLINE_REVIEW_H

#include <stdio.h>

#include "buf.h"
#include "inputs_sink.h"
#include "json.h"
#include "ostr.h"

struct report;
struct review_ctx;

/* One run's reviewer: what it was asked (copied from offline_opts) and its buffers. */
struct offline {
	const char		*ns;		/* namespace of objects without one, or NULL */
	int			 keep_patched;	/* keep each object after its patch */
	int			 detail;	/* 0, 1: -v sections, 2: --json lines */
	FILE			*detail_out;
	struct report		*r;
	struct review_ctx	*ctx;
	struct json_store	 st;		/* the piece */
	struct json_store	 ast;		/* an answer */
	struct ostr		 wrap;		/* the AdmissionReview of a bare object */
	struct buf		 mout, vout;	/* the /mutate and /validate answers */
	int			 yaml;		/* the open file was YAML */
	int			 has_validate, has_mutate;
};

/*
 * Reviews piece p (an inputs_sink piece callback; arg is the struct
 * offline) and records its verdicts. Returns 0, or -1 after reporting why.
 */
int	offline_piece(void *arg, const struct inputs_piece *p);

/* Writes JSON text t[0, n) on one line: whitespace outside strings dropped. */
void	offline_put_compact(const char *t, size_t n, FILE *out);

#endif
