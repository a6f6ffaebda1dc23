/*
 * report.h: what `tinyhook review` found, one record per object, and its
 * output as text lines, JSON or JUnit XML, with the exit code.
 *
 * Records are grouped by input file. A file that turns out bad (a syntax
 * error, a document that is neither an object nor a List, a review the
 * engine refused) keeps its ERROR and DENY records, and the PASS, WARN and
 * SKIP records of that file are dropped: nothing in a bad file is reported
 * as passed.
 */
#ifndef TINYHOOK_REPORT_H
#define TINYHOOK_REPORT_H

#include <stddef.h>
#include <stdio.h>

#include "ostr.h"

enum report_verdict { V_PASS, V_WARN, V_DENY, V_SKIP, V_ERROR, NUM_VERDICTS };

enum report_format { FMT_TEXT, FMT_JSON, FMT_JUNIT, NUM_FORMATS };

#define REPORT_NONE	((size_t)-1)	/* an absent field */

/* One object (or one error). Strings are offsets into report.mem. */
struct report_rec {
	enum report_verdict	 v;
	size_t			 kind, api, ns, name, file;
	size_t			 msg;		/* denial or error text */
	size_t			 warnings;	/* JSON array */
	size_t			 audit;		/* JSON object */
	size_t			 patch;		/* JSON array of operations */
	size_t			 patched;	/* JSON: the object after the patch */
	int			 doc, item;	/* item -1: a whole document */
	long			 line, col;	/* errors */
	int			 yaml;		/* the input was YAML */
	int			 dropped;	/* of a bad file, not a denial */
};

struct report {
	struct report_rec	*rec;
	int			 n, cap;
	int			 group;		/* first record of the open file */
	struct ostr		 mem;
	int			 nomem;
};

void	report_init(struct report *r);
void	report_free(struct report *r);
size_t	report_str(struct report *r, const char *s, size_t n);
const char *report_at(const struct report *r, size_t off);
struct report_rec *report_add(struct report *r, enum report_verdict v);
void	report_error(struct report *r, const char *file, long line, long col,
	    const char *msg);
void	report_file_begin(struct report *r);
void	report_file_end(struct report *r, int ok);
void	report_print(const struct report *r, enum report_format fmt, FILE *out);
int	report_count(const struct report *r, enum report_verdict v);
int	report_exit(const struct report *r, int warn_exit);
void	report_source(const struct report *r, const struct report_rec *x, struct ostr *o);
const char *report_verdict_name(enum report_verdict v);
/* The messages of x as one line: denial, warnings, "mutated ..." (text form). */
void	report_message(const struct report *r, const struct report_rec *x, struct ostr *o);

#endif
