/*
 * callgrind_review.c: one request body through review_handle(), the call
 * the server makes per request, N times; for `make bench-callgrind`.
 *
 *   callgrind_review FILE [N=1000] [validate|mutate|convert]
 *
 * valgrind --tool=callgrind --toggle-collect=bench_loop counts only what
 * bench_loop() executes: reading the file, allocating the worker scratch and
 * the one warm-up review (which sizes the token array, as a worker's first
 * request does) are left out, so instructions / N is the cost of one review
 * in a warm worker. Built against the real sources of src/ (all but tls.c
 * and server.c) and policies/reference.h (mk/bench.mk). Run without valgrind it is a smoke test: it prints the
 * status and answer size, and exits 1 unless the answer is a 200.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "slurp.h"

#include "review.h"

unsigned long	bench_loop(struct review_ctx *, enum review_route, const char *,
		    size_t, struct buf *, unsigned long);


/*
 * The measured loop: n reviews of the same body. Not static and not
 * inlined, so callgrind finds it by name. Returns the sum of the answer
 * lengths, so no review can be optimized away.
 */
__attribute__((noinline)) unsigned long
bench_loop(struct review_ctx *ctx, enum review_route route, const char *body,
    size_t len, struct buf *out, unsigned long n)
{
	struct verdict info;
	unsigned long i, sum = 0;

	for (i = 0; i < n; i++) {
		(void)review_handle(ctx, route, body, len, out, &info);
		sum += out->len;
	}
	return sum;
}

int
main(int argc, char **argv)
{
	static const char *const routes[NUM_REVIEW_ROUTES] = {
		[ROUTE_VALIDATE] = "validate",
		[ROUTE_MUTATE] = "mutate",
		[ROUTE_CONVERT] = "convert",
	};
	enum review_route route = ROUTE_MUTATE;
	struct review_ctx *ctx;
	struct verdict info;
	struct buf out;
	unsigned long n = 1000;
	size_t len = 0;
	char *body, *obuf;
	int i, st;

	if (argc < 2 || argc > 4) {
		fprintf(stderr, "usage: %s FILE [N] [validate|mutate|convert]\n", argv[0]);
		return 2;
	}
	if (argc > 2 && (n = strtoul(argv[2], NULL, 10)) == 0)
		n = 1;
	if (argc > 3) {
		for (i = 0; i < NUM_REVIEW_ROUTES && strcmp(argv[3], routes[i]) != 0; i++)
			;
		if (i == NUM_REVIEW_ROUTES) {
			fprintf(stderr, "%s: unknown route %s\n", argv[0], argv[3]);
			return 2;
		}
		route = (enum review_route)i;
	}
	if ((body = slurp(argv[1], &len)) == NULL) {
		perror(argv[1]);
		return 1;
	}
	ctx = review_ctx_new(len);
	obuf = malloc(review_out_cap(len));
	if (ctx == NULL || obuf == NULL) {
		fprintf(stderr, "%s: out of memory\n", argv[0]);
		return 1;
	}
	buf_init(&out, obuf, review_out_cap(len));
	st = review_handle(ctx, route, body, len, &out, &info);	/* warm-up */
	printf("review %s %s: status %d, %zu bytes in, %zu bytes out, allowed %d, patched %d\n",
	    routes[route], argv[1], st, len, out.len, info.allowed, info.patched);
	if (st != 200) {
		printf("  %.*s\n", (int)(out.len < 300 ? out.len : 300), out.p);
		return 1;
	}
	printf("loop: %lu reviews, %lu bytes answered\n", n,
	    bench_loop(ctx, route, body, len, &out, n));
	review_ctx_free(ctx);
	free(obuf);
	free(body);
	return 0;
}
