/*
 * hist.h: a log-linear latency histogram in fixed memory (the layout of
 * HdrHistogram, reduced to what the rate generator needs).
 *
 * Values are microseconds. Below HIST_SUB every value has its own bucket
 * (exact). Above, each power of two [2^m, 2^(m+1)) is cut into HIST_HALF
 * equal buckets, so a bucket is at most 1/HIST_HALF = 0.8% of the values it
 * holds: the ~1% precision asked for. Values above HIST_MAX_US land in the
 * last bucket (the exact maximum is kept beside the buckets).
 */
#ifndef RATE_HIST_H
#define RATE_HIST_H

#include <stdint.h>
#include <string.h>

#define HIST_SUB	256	/* exact buckets 0..255 us; also the span of one power of two */
#define HIST_HALF	(HIST_SUB / 2)	/* buckets per power of two above HIST_SUB: 0.8% each */
#define HIST_SUB_BITS	8	/* log2(HIST_SUB) */
#define HIST_MAX_US	60000000ULL	/* 60 s: longer than any bounded bench run */
/* 2^25 < 60 s < 2^26 us: powers 8..25 above the exact range. */
#define HIST_TOP_POW	25
#define HIST_BUCKETS	(HIST_SUB + (HIST_TOP_POW - HIST_SUB_BITS + 1) * HIST_HALF)

struct hist {
	uint64_t count[HIST_BUCKETS];
	uint64_t total;
	uint64_t max;	/* exact, in us */
};

/* hist_index: the bucket of v (us), v clamped to HIST_MAX_US. */
static inline unsigned
hist_index(uint64_t v)
{
	unsigned m;

	if (v > HIST_MAX_US)
		v = HIST_MAX_US;
	if (v < HIST_SUB)
		return (unsigned)v;
	m = 63 - (unsigned)__builtin_clzll(v);	/* 2^m <= v < 2^(m+1), m >= 8 */
	return HIST_SUB + (m - HIST_SUB_BITS) * HIST_HALF +
	    (unsigned)((v >> (m - (HIST_SUB_BITS - 1))) - HIST_HALF);
}

/* hist_value: the middle of bucket i (us): the figure reported for it. */
static inline uint64_t
hist_value(unsigned i)
{
	unsigned m, shift;
	uint64_t lo;

	if (i < HIST_SUB)
		return i;
	m = (i - HIST_SUB) / HIST_HALF + HIST_SUB_BITS;
	shift = m - (HIST_SUB_BITS - 1);
	lo = (uint64_t)((i - HIST_SUB) % HIST_HALF + HIST_HALF) << shift;
	return lo + ((1ULL << shift) >> 1);
}

static inline void
hist_record(struct hist *h, uint64_t us)
{
	h->count[hist_index(us)]++;
	h->total++;
	if (us > h->max)
		h->max = us;
}

/*
 * hist_percentile: the value (us) at or below which at least p percent of
 * the recorded values lie (the bucket of the ceil(p/100 * total)-th
 * smallest value); 0 when empty. Never above the exact maximum.
 */
static inline uint64_t
hist_percentile(const struct hist *h, double p)
{
	uint64_t want, seen = 0, v;
	unsigned i;

	if (h->total == 0)
		return 0;
	want = (uint64_t)(p / 100.0 * (double)h->total + 0.999999);
	if (want < 1)
		want = 1;
	for (i = 0; i < HIST_BUCKETS; i++) {
		seen += h->count[i];
		if (seen >= want)
			break;
	}
	v = hist_value(i < HIST_BUCKETS ? i : HIST_BUCKETS - 1);
	return v > h->max ? h->max : v;
}

#endif
