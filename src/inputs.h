/*
 * inputs.h: the manifests `tinyhook review` and `tinyhook test` read.
 *
 * inputs_run() walks its paths (files, directories recursively for *.yaml,
 * *.yml and *.json in name order, "-" for stdin), reads JSON or YAML and
 * hands every document to the sink as JSON text, one piece at a time. A
 * document whose top level has an "items" array (a List, as `kubectl get
 * -o json|yaml` prints it) is not held whole: each item is handed over as
 * it completes, then the rest of the document (the "skeleton", with
 * "items":[]), so a List of any length costs the memory of one item. The
 * sink decides from the skeleton's kind whether that was a List.
 *
 * Errors: every problem is reported through sink->error with the file and,
 * when known, the line and column (1-based); the file then ends (a later
 * file is still read). inputs_run() returns the number of files with an
 * error.
 */
#ifndef TINYHOOK_INPUTS_H
#define TINYHOOK_INPUTS_H

#include <stddef.h>
#include "inputs_sink.h"
#include "limit.h"

struct inputs_limits {
	unsigned long long	 max_file;	/* --max-file-size */
	size_t			 max_object;	/* --max-object-size */
};

int	inputs_run(char *const *paths, int npaths, const struct inputs_limits *lim,
	    struct inputs_sink *sink);

/* The line and column of text[off] for a piece starting at line, col. */
void	inputs_where(const struct inputs_piece *p, size_t off, long *line, long *col);

/* Reading, for the YAML reader (yml_read's reader): bytes read, 0 at the end, -1 after an error. */
struct inputs_file;
long	inputs_read(void *f, char *buf, size_t cap);

#endif
