/*
 * route.h: the endpoints, one table row each: path, method, Allow header,
 * the handler, and the size of answer it may write. The row's index is also
 * the path label of the metrics (metrics.h), so an endpoint is added in one
 * place: a row in route.c and its enum name here.
 *
 * A handler reads the request body from rc and writes its answer body into
 * out (sized by the row's out_cap); it returns the HTTP status and may set
 * the content type, one extra header line and the verdict for the log.
 * Errors: HTTP status numbers, as everywhere on the request path.
 */
#ifndef TINYHOOK_ROUTE_H
#define TINYHOOK_ROUTE_H

#include <stddef.h>
#include "buf.h"
#include "verdict.h"

enum route_id {
	R_VALIDATE, R_MUTATE, R_CONVERT, R_HEALTHZ, R_READYZ, R_METRICS,
	NUM_ROUTES,
	R_NONE = NUM_ROUTES	/* no route: 404s and errors before routing */
};

struct review_ctx;

/* What a handler gets: the body and the worker's means. */
struct route_call {
	const char		*body;
	size_t			 len;
	struct review_ctx	*review;
	int			 draining;	/* SIGTERM seen: readiness goes 503 */
	void			(*render_metrics)(struct buf *b);	/* all workers */
};

/* What a handler answers besides its body. */
struct route_answer {
	const char	*ctype;		/* default application/json */
	const char	*extra;		/* one header line with CRLF, or NULL */
	struct verdict	 v;
	int		 has_verdict;	/* v is filled (reviews) */
};

typedef int	route_fn(const struct route_call *rc, int arg, struct buf *out,
		    struct route_answer *a);

struct route {
	const char	*path;
	int		 method;	/* the one it serves; HEAD goes with GET */
	const char	*allow;		/* the Allow header of its 405 */
	route_fn	*fn;
	int		 arg;		/* handler's argument (the review route) */
	size_t		(*out_cap)(int arg, size_t body_len);
	int		 probe;		/* also served on --probe-listen */
};

extern const struct route routes[NUM_ROUTES];

/*
 * The route of path[0, n) (the query already cut), or R_NONE. With
 * probe_only (the --probe-listen listener, which asks for no client
 * certificate) only rows marked probe are found: health and metrics,
 * never a review.
 */
enum route_id	route_find(const char *path, size_t n, int probe_only);

/* Whether method is the one route id serves (HEAD with GET). */
int	route_method_ok(enum route_id id, int method);

#endif
