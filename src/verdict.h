/*
 * verdict.h: what one request decided, the record every layer shares (the
 * reviewer fills it, the access log, metrics and the offline reporter read
 * it), and the one writer of error bodies. At the bottom of the house.
 */
#ifndef TINYHOOK_VERDICT_H
#define TINYHOOK_VERDICT_H

#include "limit.h"

/*
 * Filled as far as decoding got; empty strings for what was not reached.
 * Strings are unescaped and NUL-terminated; writers escape them again.
 */
struct verdict {
	char	 uid[VERDICT_UID];
	char	 kind[VERDICT_KIND];	/* request.kind.kind, e.g. "Pod" */
	char	 ns[VERDICT_NS];
	char	 name[VERDICT_NAME];
	char	 op[VERDICT_OP];	/* CREATE, UPDATE, DELETE, CONNECT */
	int	 allowed;		/* 1, 0, or -1 when no decision */
	int	 patched;		/* a patch was returned */
	int	 warnings;		/* number of warnings returned */
	char	 error[VERDICT_ERR];	/* why a 4xx/5xx, for the log */
};

#include "buf.h"

/*
 * Writes the body of a failed request, {"error":"why"} (replacing what out
 * held), and records why in v (no decision, no patch). Returns status, so
 * a handler can `return verdict_fail(out, v, 400, "...")`. Every layer's
 * error body is written here: the reviewers' and the connection's.
 */
int	verdict_fail(struct buf *out, struct verdict *v, int status, const char *why);

#endif
