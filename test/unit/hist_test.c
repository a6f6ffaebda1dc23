/*
 * hist_test.c: bench/rate/hist.h, the fixed-rate generator's latency
 * histogram (1 us to 60 s). What the bench's p50/p99/p99.9 columns rest on:
 * - edges: 0, 1 us, the last exact value, the first shared bucket, 60 s,
 *   and beyond 60 s (clamped into the last bucket), each with the value
 *   worked out by hand from the layout (256 exact buckets, then 128 a
 *   power of two, reported at the bucket's middle);
 * - every value from 0 to 60 s, decade by decade: the reported value is
 *   within ERR_DEN of it (half a bucket of 1/128 of its power of two is
 *   1/256 = 0.39%; exact below 256 us), buckets are in order, in range, and
 *   each bucket's reported value falls in that bucket;
 * - percentiles of known distributions against the exact order statistic
 *   (the ceil(p/100 * n)-th smallest value), within the same error;
 * - counts, the exact maximum, and the empty histogram (every percentile 0).
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "bench/rate/hist.h"

#include "check.h"

#define ERR_DEN		256	/* |reported - v| * ERR_DEN <= v: 0.39%, under the 0.4% claimed */
#define MAX_VALUES	1000	/* largest distribution below */

static struct hist h;		/* 20 KiB: static, zeroed as rate.c zeroes its own */

/* within: reported r is v, or within 1/ERR_DEN of it (exact below HIST_SUB). */
static int
within(uint64_t r, uint64_t v)
{
	uint64_t d = r > v ? r - v : v - r;

	return v < HIST_SUB ? d == 0 : d * ERR_DEN <= v;
}

/* The edges, reported values worked out by hand: a value v in [2^m, 2^(m+1))
 * with m >= 8 falls in a bucket 2^(m-7) wide starting at v rounded down to a
 * multiple of that, and is reported as the bucket's start + half its width. */
static const struct {
	uint64_t	 us;
	uint64_t	 want;		/* hist_value(hist_index(us)) */
	const char	*why;
} edges[] = {
	{ 0, 0, "zero: the first bucket" },
	{ 1, 1, "1 us: exact" },
	{ 255, 255, "the last exact value" },
	{ 256, 257, "the first shared bucket, 256..257" },
	{ 257, 257, "its other value" },
	{ 258, 259, "the next bucket, 258..259" },
	{ 511, 511, "the last bucket of 2^8, 510..511" },
	{ 512, 514, "2^9: buckets 4 wide, 512..515" },
	{ 1000, 1002, "1 ms: 1000..1003" },
	{ 1000000, 1001472, "1 s: 999424..1003519" },
	{ 59999999, 59899904, "just under 60 s: 59768832..60030975" },
	{ 60000000, 59899904, "60 s (HIST_MAX_US)" },
	{ 60000001, 59899904, "just over 60 s: clamped into the 60 s bucket" },
	{ 60030976, 59899904, "the start of the next bucket: clamped" },
	{ 67108864, 59899904, "2^26 us (67 s), one bucket past the array: clamped" },
	{ 240000000, 59899904, "4 min: clamped" },
	{ 3600000000ULL, 59899904, "1 h: clamped" },
	{ UINT64_MAX, 59899904, "UINT64_MAX: clamped, no overflow" },
};

/* Decades of the sweep: every value in [lo, hi) is checked. */
static const struct {
	uint64_t	 lo, hi;
	const char	*name;
} decades[] = {
	{ 0, 10, "0..10 us" },
	{ 10, 100, "10..100 us" },
	{ 100, 1000, "100 us..1 ms" },
	{ 1000, 10000, "1..10 ms" },
	{ 10000, 100000, "10..100 ms" },
	{ 100000, 1000000, "100 ms..1 s" },
	{ 1000000, 10000000, "1..10 s" },
	{ 10000000, HIST_MAX_US + 1, "10..60 s" },
};

/* Distributions; fill() writes n values in increasing order. */
static size_t
uniform_1000(uint64_t *v)
{
	size_t i;

	for (i = 0; i < 1000; i++)
		v[i] = i + 1;
	return 1000;
}

/* 990 fast answers and 10 slow: p99 is the last fast one, p99.1 the first slow. */
static size_t
step_990(uint64_t *v)
{
	size_t i;

	for (i = 0; i < 1000; i++)
		v[i] = i < 990 ? 100 : 10000;
	return 1000;
}

/* k^3 for k = 1..391: 1 us to 59.8 s, a few values a decade at the bottom, many at the top. */
static size_t
cubes(uint64_t *v)
{
	uint64_t k;

	for (k = 1; k <= 391; k++)
		v[k - 1] = k * k * k;
	return 391;
}

static size_t
one_value(uint64_t *v)
{
	v[0] = 12345;
	return 1;
}

static const struct {
	const char	*name;
	size_t		(*fill)(uint64_t *);
	unsigned	 permille;	/* p = permille / 10 percent */
} pcts[] = {
	{ "uniform 1..1000", uniform_1000, 0 },
	{ "uniform 1..1000", uniform_1000, 500 },
	{ "uniform 1..1000", uniform_1000, 900 },
	{ "uniform 1..1000", uniform_1000, 990 },
	{ "uniform 1..1000", uniform_1000, 999 },
	{ "uniform 1..1000", uniform_1000, 1000 },
	{ "990 x 100 us + 10 x 10 ms", step_990, 500 },
	{ "990 x 100 us + 10 x 10 ms", step_990, 990 },
	{ "990 x 100 us + 10 x 10 ms", step_990, 991 },
	{ "990 x 100 us + 10 x 10 ms", step_990, 1000 },
	{ "k^3, 1 us..60 s", cubes, 0 },
	{ "k^3, 1 us..60 s", cubes, 10 },
	{ "k^3, 1 us..60 s", cubes, 500 },
	{ "k^3, 1 us..60 s", cubes, 990 },
	{ "k^3, 1 us..60 s", cubes, 999 },
	{ "k^3, 1 us..60 s", cubes, 1000 },
	{ "one value", one_value, 0 },
	{ "one value", one_value, 500 },
	{ "one value", one_value, 1000 },
};

static void
fill_hist(const uint64_t *v, size_t n)
{
	size_t i;

	memset(&h, 0, sizeof(h));
	for (i = 0; i < n; i++)
		hist_record(&h, v[i]);
}

static void
test_edges(void)
{
	char what[128], detail[64];
	uint64_t r;
	unsigned i;
	size_t k;

	for (k = 0; k < sizeof(edges) / sizeof(edges[0]); k++) {
		i = hist_index(edges[k].us);
		r = i < HIST_BUCKETS ? hist_value(i) : 0;
		snprintf(what, sizeof(what), "edge %llu us (%s) -> %llu",
		    (unsigned long long)edges[k].us, edges[k].why, (unsigned long long)edges[k].want);
		snprintf(detail, sizeof(detail), "bucket %u, %llu", i, (unsigned long long)r);
		check(i < HIST_BUCKETS && r == edges[k].want, what, detail);
	}
}

/* Every value of one decade: error, order and range of the buckets. */
static void
test_decade(size_t d)
{
	uint64_t v, r, worst_v = 0, bad_v = 0;
	unsigned i, prev = 0;
	int bad = 0;
	double worst = 0, e;
	char what[128], detail[96];

	for (v = decades[d].lo; v < decades[d].hi; v++) {
		i = hist_index(v);
		/* one more microsecond: the same bucket or the next */
		if (i >= HIST_BUCKETS || (v > decades[d].lo && (i < prev || i > prev + 1))) {
			bad = 1, bad_v = v;
			break;
		}
		prev = i;
		r = hist_value(i);
		if (!within(r, v)) {
			bad = 2, bad_v = v;
			break;
		}
		e = v ? (double)(r > v ? r - v : v - r) / (double)v : 0;
		if (e > worst)
			worst = e, worst_v = v;
	}
	snprintf(what, sizeof(what), "%s: every value within 1/%d, buckets in order", decades[d].name,
	    ERR_DEN);
	if (bad == 1)
		snprintf(detail, sizeof(detail), "bucket %u out of order or range at %llu us", i,
		    (unsigned long long)bad_v);
	else
		snprintf(detail, sizeof(detail), "%llu us reported %llu", (unsigned long long)bad_v,
		    (unsigned long long)hist_value(i));
	check(bad == 0, what, detail);
	if (worst > 0)
		printf("     %s: worst error %.3f%% at %llu us\n", decades[d].name, worst * 100,
		    (unsigned long long)worst_v);
	else
		printf("     %s: exact\n", decades[d].name);
}

/* Each bucket up to the 60 s one reports a value that falls in it. */
static void
test_round_trip(void)
{
	unsigned i, last = hist_index(HIST_MAX_US), bad = 0;
	char detail[64];

	for (i = 0; i <= last; i++)
		if (hist_index(hist_value(i)) != i) {
			bad = i;
			break;
		}
	snprintf(detail, sizeof(detail), "bucket %u reports %llu", bad,
	    (unsigned long long)hist_value(bad));
	check(i > last && last < HIST_BUCKETS, "every bucket's value falls in its bucket", detail);
}

static void
test_percentiles(void)
{
	static uint64_t v[MAX_VALUES];
	char what[128], detail[64];
	uint64_t r, want;
	size_t k, n, rank;

	for (k = 0; k < sizeof(pcts) / sizeof(pcts[0]); k++) {
		n = pcts[k].fill(v);
		fill_hist(v, n);
		rank = (pcts[k].permille * n + 999) / 1000;	/* ceil(p/100 * n) */
		want = v[(rank ? rank : 1) - 1];
		r = hist_percentile(&h, pcts[k].permille / 10.0);
		snprintf(what, sizeof(what), "%s: p%g = %llu us (within 1/%d, <= max)", pcts[k].name,
		    pcts[k].permille / 10.0, (unsigned long long)want, ERR_DEN);
		snprintf(detail, sizeof(detail), "got %llu", (unsigned long long)r);
		check(within(r, want) && r <= h.max, what, detail);
	}
}

static void
test_counts(void)
{
	static uint64_t v[MAX_VALUES];
	uint64_t sum = 0, r;
	size_t n, i;
	char detail[96];

	memset(&h, 0, sizeof(h));
	check(hist_percentile(&h, 0) == 0 && hist_percentile(&h, 50) == 0 &&
	    hist_percentile(&h, 100) == 0, "empty: every percentile is 0", "");
	for (i = 0; i < HIST_BUCKETS; i++)
		sum += h.count[i];
	check(h.total == 0 && h.max == 0 && sum == 0, "empty: no count, max 0", "");

	n = uniform_1000(v);
	fill_hist(v, n);
	for (sum = 0, i = 0; i < HIST_BUCKETS; i++)
		sum += h.count[i];
	snprintf(detail, sizeof(detail), "total %llu, buckets %llu, max %llu",
	    (unsigned long long)h.total, (unsigned long long)sum, (unsigned long long)h.max);
	check(h.total == 1000 && sum == 1000 && h.max == 1000,
	    "1..1000: total 1000, buckets sum to 1000, max 1000", detail);
	check(h.count[0] == 0 && h.count[hist_index(5)] == 1 && h.count[hist_index(600)] == 4,
	    "1..1000: 0 us empty, 5 us alone, 600..603 us together", "");
	/* the maximum is exact even where the bucket's middle lies above it */
	check(hist_percentile(&h, 100) == 1000, "1..1000: p100 is the exact max, not 1001", "");

	memset(&h, 0, sizeof(h));
	for (i = 0; i < 10; i++)
		hist_record(&h, 3600000000ULL);
	r = hist_percentile(&h, 50);
	snprintf(detail, sizeof(detail), "total %llu, max %llu, p50 %llu", (unsigned long long)h.total,
	    (unsigned long long)h.max, (unsigned long long)r);
	check(h.total == 10 && h.max == 3600000000ULL && h.count[hist_index(HIST_MAX_US)] == 10 &&
	    within(r, HIST_MAX_US), "10 x 1 h: counted in the 60 s bucket, p50 ~60 s, max exact",
	    detail);
}

int
main(void)
{
	size_t d;

	test_edges();
	for (d = 0; d < sizeof(decades) / sizeof(decades[0]); d++)
		test_decade(d);
	test_round_trip();
	test_percentiles();
	test_counts();
	printf("hist_test: %d passed, %d failed\n", passed, failed);
	return failed != 0;
}
