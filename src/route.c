/*
 * route.c: the endpoint table and its handlers (see route.h).
 */
#include <string.h>

#include "http.h"
#include "json.h"
#include "limit.h"
#include "review.h"
#include "route.h"

static size_t
route_review_cap(int arg, size_t body_len)
{
	return review_out_cap_for((enum review_route)arg, body_len);
}

static size_t
route_small_cap(int arg, size_t body_len)
{
	(void)arg;
	(void)body_len;
	return ROUTE_SMALL_OUT;
}

static size_t
route_metrics_cap(int arg, size_t body_len)
{
	(void)arg;
	(void)body_len;
	return ROUTE_METRICS_OUT;
}

/* POST /validate, /mutate, /convert: the policy engine. */
static int
route_review(const struct route_call *rc, int arg, struct buf *out,
    struct route_answer *a)
{
	a->has_verdict = 1;
	return review_handle(rc->review, (enum review_route)arg, rc->body, rc->len,
	    out, &a->v);
}

static int
route_healthz(const struct route_call *rc, int arg, struct buf *out,
    struct route_answer *a)
{
	(void)rc;
	(void)arg;
	(void)a;
	buf_puts(out, "{\"status\":\"ok\"}");
	return 200;
}

/* 503 from SIGTERM on: the endpoint leaves the Service while we drain. */
static int
route_readyz(const struct route_call *rc, int arg, struct buf *out,
    struct route_answer *a)
{
	(void)arg;
	(void)a;
	buf_puts(out, rc->draining ? "{\"status\":\"draining\"}" : "{\"status\":\"ready\"}");
	return rc->draining ? 503 : 200;
}

static int
route_metrics(const struct route_call *rc, int arg, struct buf *out,
    struct route_answer *a)
{
	(void)arg;
	a->ctype = "text/plain; version=0.0.4; charset=utf-8";
	rc->render_metrics(out);
	return 200;
}

/*
 * Adding an endpoint: a row here and its name in enum route_id. The last
 * column: 1 if --probe-listen serves it too (no client certificate there).
 */
const struct route routes[NUM_ROUTES] = {
	[R_VALIDATE] = { "/validate", HTTP_POST, "Allow: POST\r\n",
	    route_review, ROUTE_VALIDATE, route_review_cap, 0 },
	[R_MUTATE] = { "/mutate", HTTP_POST, "Allow: POST\r\n",
	    route_review, ROUTE_MUTATE, route_review_cap, 0 },
	[R_CONVERT] = { "/convert", HTTP_POST, "Allow: POST\r\n",
	    route_review, ROUTE_CONVERT, route_review_cap, 0 },
	[R_HEALTHZ] = { "/healthz", HTTP_GET, "Allow: GET, HEAD\r\n",
	    route_healthz, 0, route_small_cap, 1 },
	[R_READYZ] = { "/readyz", HTTP_GET, "Allow: GET, HEAD\r\n",
	    route_readyz, 0, route_small_cap, 1 },
	[R_METRICS] = { "/metrics", HTTP_GET, "Allow: GET, HEAD\r\n",
	    route_metrics, 0, route_metrics_cap, 1 },
};

enum route_id
route_find(const char *path, size_t n, int probe_only)
{
	int i;

	for (i = 0; i < NUM_ROUTES; i++)
		if ((routes[i].probe || !probe_only) && strlen(routes[i].path) == n &&
		    memcmp(routes[i].path, path, n) == 0)
			return (enum route_id)i;
	return R_NONE;
}

int
route_method_ok(enum route_id id, int method)
{
	return method == routes[id].method ||
	    (method == HTTP_HEAD && routes[id].method == HTTP_GET);
}
