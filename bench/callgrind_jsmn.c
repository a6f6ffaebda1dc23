/*
 * callgrind_jsmn.c: the floor for callgrind_review.c. Tokenizes the same
 * body with jsmn alone (configured as src/json.c uses it: "jsmn.h", strict,
 * parent links), N times, into a token array sized once up front. A review
 * cannot cost less than this; `make bench-callgrind` reports the ratio.
 *
 *   callgrind_jsmn FILE [N=1000]
 *
 * Only bench_loop() is counted (valgrind --toggle-collect=bench_loop).
 */
#include <stdio.h>
#include <stdlib.h>

#include "slurp.h"

#include "jsmn.h"

unsigned long	bench_loop(const char *, size_t, jsmntok_t *, unsigned, unsigned long);


/* The measured loop; returns the sum of the token counts. */
__attribute__((noinline)) unsigned long
bench_loop(const char *body, size_t len, jsmntok_t *tok, unsigned ntok,
    unsigned long n)
{
	jsmn_parser p;
	unsigned long i, sum = 0;

	for (i = 0; i < n; i++) {
		jsmn_init(&p);
		sum += (unsigned long)jsmn_parse(&p, body, len, tok, ntok);
	}
	return sum;
}

int
main(int argc, char **argv)
{
	jsmn_parser p;
	jsmntok_t *tok;
	unsigned long n = 1000;
	size_t len = 0;
	char *body;
	int ntok = 0;

	if (argc < 2 || argc > 3) {
		fprintf(stderr, "usage: %s FILE [N]\n", argv[0]);
		return 2;
	}
	if (argc > 2 && (n = strtoul(argv[2], NULL, 10)) == 0)
		n = 1;
	if ((body = slurp(argv[1], &len)) == NULL) {
		perror(argv[1]);
		return 1;
	}
	/* Every token starts at a byte of its own: len tokens always do
	 * (strict mode checks the grammar, which needs the token array, so
	 * jsmn's counting call with no array is not available). */
	jsmn_init(&p);
	if ((tok = malloc((len + 1) * sizeof(*tok))) == NULL ||
	    (ntok = jsmn_parse(&p, body, len, tok, (unsigned)len + 1)) <= 0) {
		fprintf(stderr, "%s: %s: not JSON (jsmn %d) or out of memory\n",
		    argv[0], argv[1], ntok);
		return 1;
	}
	printf("jsmn %s: %zu bytes, %d tokens\n", argv[1], len, ntok);
	printf("loop: %lu parses, %lu tokens\n", n,
	    bench_loop(body, len, tok, (unsigned)ntok, n));
	free(tok);
	free(body);
	return 0;
}
