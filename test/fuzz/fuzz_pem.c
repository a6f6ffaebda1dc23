/*
 * fuzz_pem.c: libFuzzer target for src/tls.c's credential parser (PEM
 * chain + private key, the code that runs on every certificate reload,
 * whose input a cert-manager or a typo controls), through the real
 * tls_check_pem() and BearSSL built with the same sanitizers.
 *
 * Input: two bytes (little-endian) that pick where the certificate ends
 * and the key begins, one byte for the error buffer's size, then the
 * bytes. Properties asserted: the answer is 0 or -1; a -1 comes with a
 * non-empty, NUL-terminated one-line reason inside the error buffer (an
 * exactly sized heap block, so ASan sees any write past errlen); the
 * same bytes give the same answer twice (no state leaks between loads);
 * no leak (LeakSanitizer runs after each input).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tls.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_ASSERT(c) do { if (!(c)) { \
	fprintf(stderr, "fuzz_pem: %s:%d: %s\n", __FILE__, __LINE__, #c); \
	abort(); } } while (0)

/* Error buffer sizes tried (picked by a byte): tiny ones test the cut. */
static const size_t fuzz_errlens[] = { 1, 2, 16, 256 };

static int
check(const uint8_t *cert, size_t clen, const uint8_t *key, size_t klen,
    size_t errlen)
{
	/* Exact-size copies so an over-read of either buffer is caught. */
	unsigned char *c = malloc(clen ? clen : 1), *k = malloc(klen ? klen : 1);
	char *err = malloc(errlen);
	int r;

	FUZZ_ASSERT(c != NULL && k != NULL && err != NULL);
	memcpy(c, cert, clen);
	memcpy(k, key, klen);
	memset(err, 'x', errlen);
	r = tls_check_pem(c, clen, k, klen, err, errlen);
	FUZZ_ASSERT(r == 0 || r == -1);
	if (r == -1) {
		size_t n = strnlen(err, errlen);

		FUZZ_ASSERT(n < errlen);
		FUZZ_ASSERT(n > 0 || errlen == 1);
		FUZZ_ASSERT(memchr(err, '\n', n) == NULL);
	}
	free(c);
	free(k);
	free(err);
	return r;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t split, errlen;
	int r;

	if (size < 3)
		return 0;
	split = (size_t)data[0] | (size_t)data[1] << 8;
	errlen = fuzz_errlens[data[2] % (sizeof(fuzz_errlens) / sizeof(fuzz_errlens[0]))];
	data += 3;
	size -= 3;
	split = split % (size + 1);
	r = check(data, split, data + split, size - split, errlen);
	FUZZ_ASSERT(check(data, split, data + split, size - split, errlen) == r);
	return 0;
}
