/*
 * metrics.h: Prometheus counters and histograms (text format 0.0.4).
 *
 * Each worker owns one struct metrics and is its only writer, so the
 * request path takes no lock and shares no cache line with other workers.
 * A scrape sums every worker's counters with relaxed atomic loads: a total
 * may miss a request that is being counted that instant, never tear.
 *
 * Labels have fixed, small value sets (paths, operations, the workload
 * kinds policies know, decisions), so no request can create a new series:
 * any other kind is counted as "other".
 */
#ifndef TINYHOOK_METRICS_H
#define TINYHOOK_METRICS_H

#include <stdint.h>
#include "buf.h"
#include "kinds.h"
#include "route.h"
#include "verdict.h"

/* Path labels: the route table's (route.h), and "other" for R_NONE. */
#define NUM_MP	(NUM_ROUTES + 1)
enum metrics_op { MO_CREATE, MO_UPDATE, MO_DELETE, MO_CONNECT, MO_NONE, NUM_MO };
/* Kind labels: the workload kinds table's (kinds.h), then these. */
enum metrics_kind {
	MK_CONVERSION = NUM_KINDS, MK_OTHER, MK_NONE, NUM_MK
};
enum metrics_decision { MD_ALLOWED, MD_DENIED, MD_WARNED, MD_ERROR, MD_NONE, NUM_MD };

/* Upper bounds of the latency buckets, in microseconds (25 us .. 10 s). */
#define METRICS_NBUCKETS	18

struct metrics {
	uint64_t	requests[NUM_MP][NUM_MO][NUM_MK][NUM_MD];
	uint64_t	latency[NUM_MP][METRICS_NBUCKETS + 1];	/* last: +Inf */
	uint64_t	latency_sum_us[NUM_MP];
	uint64_t	handshakes_full, handshakes_resumed, handshake_failures;
	uint64_t	bytes_in, bytes_out;
	uint64_t	refused;	/* connections closed at accept (--max-conns) */
	uint64_t	busy_refusals;	/* requests answered 503: memory budget */
	uint64_t	in_flight;	/* gauge: requests between head and response */
};

/* Adds n to a counter owned by the calling worker. */
#define METRICS_ADD(field, n) \
	__atomic_store_n(&(field), (field) + (n), __ATOMIC_RELAXED)


/*
 * Counts one finished request: path, the review's operation, kind and
 * decision (ri may be NULL for non-review paths), HTTP status and latency.
 */
void	metrics_observe(struct metrics *m, enum route_id p,
	    const struct verdict *ri, int status, uint64_t us);

/* Values that are not per-worker counters. */
struct metrics_gauges {
	int64_t		open_conns;
	int64_t		cert_not_after;	/* seconds since the epoch */
	int		draining;
	size_t		buffer_bytes, buffer_budget;	/* pool.h */
	unsigned	cert_problems;	/* certinfo.h bits */
};

/*
 * Writes the exposition of the sum of n workers' metrics into b. The
 * caller checks b->overflow.
 */
void	metrics_render(struct buf *b, struct metrics *const *w, int n,
	    const struct metrics_gauges *g);

#endif
