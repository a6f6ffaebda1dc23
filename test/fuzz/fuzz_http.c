/*
 * fuzz_http.c: libFuzzer target for src/http.c, the real parser.
 *
 * Input: two bytes that pick a split offset and a body limit, then the
 * bytes a client sends. Properties asserted (abort() on violation, so a
 * wrong answer is a crash just like an over-read):
 *
 * - http_parse_request on every prefix (all of them for short inputs, a
 *   spread sample for long ones) is monotonic: once a prefix is an error
 *   every longer one is an error; once a prefix is a complete head every
 *   longer one is the same head (the parse restarts at buf[0], so bytes
 *   after the head must not change it); results point inside the head.
 * - http_chunked_decode gives the same answer (status, decoded bytes, the
 *   pipelined bytes after the message) fed in one piece, split in two at
 *   the chosen offset, and one byte at a time. The server feeds it
 *   whatever recv() returns, so any split must be harmless.
 *
 * Each prefix is copied to an exactly sized heap block so ASan reports a
 * read of even one byte past len.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http.h"

/* Inputs up to this size have every prefix parsed; above, a sample. */
#define FUZZ_ALL_PREFIXES	256
#define FUZZ_PREFIX_SAMPLES	64
/* Body limits the chunked decoder is tried with (picked by a byte). */
static const uint64_t fuzz_limits[] = { 0, 1, 7, 64, 4096, 1u << 20 };

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_ASSERT(c) do { if (!(c)) { \
	fprintf(stderr, "fuzz_http: %s:%d: %s\n", __FILE__, __LINE__, #c); \
	abort(); } } while (0)

static int
parse_copy(const uint8_t *s, size_t n, struct http_request *req)
{
	char *p = malloc(n ? n : 1);
	int r;

	FUZZ_ASSERT(p != NULL);
	memcpy(p, s, n);
	memset(req, 0, sizeof(*req));
	r = http_parse_request(p, n, req);
	if (r > 0) {
		FUZZ_ASSERT((size_t)r <= n && (size_t)r == req->header_len);
		FUZZ_ASSERT(req->target >= p && req->target + req->target_len <= p + r);
		FUZZ_ASSERT(req->path_len <= req->target_len);
		FUZZ_ASSERT(req->minor == 0 || req->minor == 1);
		FUZZ_ASSERT(!(req->chunked && req->has_length));
		FUZZ_ASSERT(!req->has_length ||
		    req->content_length <= HTTP_MAX_CONTENT_LENGTH);
		FUZZ_ASSERT((size_t)r <= HTTP_MAX_HEADER_BYTES);
		/* Make the pointer comparable after the copy is gone. */
		req->target = (const char *)(uintptr_t)(req->target - p);
	} else {
		FUZZ_ASSERT(r == HTTP_INCOMPLETE || r == -400 || r == -431 ||
		    r == -501 || r == -505);
	}
	free(p);
	return r;
}

static int
same_head(const struct http_request *a, const struct http_request *b)
{
	return a->method == b->method && a->target == b->target &&
	    a->target_len == b->target_len && a->path_len == b->path_len &&
	    a->minor == b->minor && a->keep_alive == b->keep_alive &&
	    a->chunked == b->chunked && a->has_length == b->has_length &&
	    a->content_length == b->content_length &&
	    a->expect_continue == b->expect_continue &&
	    a->header_len == b->header_len;
}

/* Prefix lengths to try, ascending, ending with size. */
static size_t
prefix_len(size_t size, size_t i, size_t count)
{
	if (size <= FUZZ_ALL_PREFIXES)
		return i;
	return i + 1 == count ? size : (size * i) / (count - 1);
}

static void
fuzz_head(const uint8_t *s, size_t size)
{
	struct http_request first, req;
	size_t count, i, n;
	int r, state = HTTP_INCOMPLETE;	/* what the longest prefix so far gave */

	count = size <= FUZZ_ALL_PREFIXES ? size + 1 : FUZZ_PREFIX_SAMPLES;
	memset(&first, 0, sizeof(first));
	for (i = 0; i < count; i++) {
		n = prefix_len(size, i, count);
		r = parse_copy(s, n, &req);
		if (state > 0) {
			FUZZ_ASSERT(r == state && same_head(&first, &req));
		} else if (state < HTTP_INCOMPLETE) {
			FUZZ_ASSERT(r < HTTP_INCOMPLETE);
		} else if (r > 0) {
			first = req;
		}
		if (state == HTTP_INCOMPLETE)
			state = r;
	}
}

/* What a decode produced: status, data, pipelined bytes after it. */
struct dec {
	int	 r;
	char	*data;
	size_t	 dlen;
	char	*rest;
	size_t	 rlen;
};

/*
 * Feeds s[0..size) to a fresh decoder in pieces cut at the offsets in
 * cuts[0..ncuts) (ascending), the way the server does: raw bytes land
 * right after the data decoded so far.
 */
static void
decode_pieces(const uint8_t *s, size_t size, uint64_t limit,
    const size_t *cuts, size_t ncuts, struct dec *out)
{
	struct http_chunked c;
	char *body = malloc(size ? size : 1);
	size_t have = 0, from = 0, to, k, n, i;
	int r = HTTP_INCOMPLETE;

	FUZZ_ASSERT(body != NULL);
	http_chunked_init(&c, limit);
	for (k = 0; k <= ncuts && from < size; k++) {
		to = k < ncuts ? cuts[k] : size;
		if (to <= from)
			continue;
		memcpy(body + have, s + from, to - from);
		n = to - from;
		r = http_chunked_decode(&c, body + have, &n);
		if (r == HTTP_INCOMPLETE) {
			FUZZ_ASSERT(n <= to - from);
			have += n;
			from = to;
			continue;
		}
		if (r >= 0) {
			FUZZ_ASSERT(n + (size_t)r <= to - from);
			/* Bytes not yet fed are pipelined too. */
			out->rest = malloc((size_t)r + (size - to) + 1);
			FUZZ_ASSERT(out->rest != NULL);
			memcpy(out->rest, body + have + n, (size_t)r);
			memcpy(out->rest + r, s + to, size - to);
			out->rlen = (size_t)r + (size - to);
			have += n;
		}
		break;
	}
	FUZZ_ASSERT(r == HTTP_INCOMPLETE || r >= 0 || r == -400 || r == -413);
	FUZZ_ASSERT(have <= size);
	if (r >= 0 || r == HTTP_INCOMPLETE)
		FUZZ_ASSERT(have <= limit);
	out->r = r >= 0 ? 0 : r;	/* done; rlen says how much followed */
	out->data = body;
	out->dlen = r < HTTP_INCOMPLETE ? 0 : have;
	for (i = 0; i < out->dlen; i++)
		(void)body[i];
	if (r != HTTP_INCOMPLETE && r < 0) {
		/* Errors are sticky: more bytes never revive the decoder. */
		char more[4] = { '0', '\r', '\n', '\r' };
		size_t m = sizeof(more);

		FUZZ_ASSERT(http_chunked_decode(&c, more, &m) == r);
	}
}

static int
same_dec(const struct dec *a, const struct dec *b)
{
	if (a->r != b->r)
		return 0;
	if (a->r < HTTP_INCOMPLETE)
		return 1;
	if (a->dlen != b->dlen || memcmp(a->data, b->data, a->dlen) != 0)
		return 0;
	if (a->r == HTTP_INCOMPLETE)
		return 1;
	return a->rlen == b->rlen && memcmp(a->rest, b->rest, a->rlen) == 0;
}

static void
dec_free(struct dec *d)
{
	free(d->data);
	free(d->rest);
	memset(d, 0, sizeof(*d));
}

static void
fuzz_chunked(const uint8_t *s, size_t size, size_t split, uint64_t limit)
{
	struct dec one = { 0 }, two = { 0 }, bytes = { 0 };
	size_t cut[1] = { split }, *every, i;

	decode_pieces(s, size, limit, NULL, 0, &one);
	decode_pieces(s, size, limit, cut, 1, &two);
	if (!same_dec(&one, &two)) {
		fprintf(stderr, "fuzz_http: split at %zu: %d vs one-shot %d\n",
		    split, two.r, one.r);
		abort();
	}
	if (size <= 4096) {
		every = malloc((size ? size : 1) * sizeof(*every));
		FUZZ_ASSERT(every != NULL);
		for (i = 0; i < size; i++)
			every[i] = i + 1;
		decode_pieces(s, size, limit, every, size, &bytes);
		free(every);
		if (!same_dec(&one, &bytes)) {
			fprintf(stderr, "fuzz_http: byte-wise: %d vs one-shot %d\n",
			    bytes.r, one.r);
			abort();
		}
		dec_free(&bytes);
	}
	dec_free(&one);
	dec_free(&two);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct http_request req;
	size_t split, body;
	uint64_t limit;
	int r;

	if (size < 2)
		return 0;
	split = data[0];
	limit = fuzz_limits[data[1] % (sizeof(fuzz_limits) / sizeof(fuzz_limits[0]))];
	data += 2;
	size -= 2;
	fuzz_head(data, size);

	/* The body after a complete head, or the whole input, as chunked. */
	r = parse_copy(data, size, &req);
	body = r > 0 ? (size_t)r : 0;
	split = size - body > 0 ? split % (size - body + 1) : 0;
	fuzz_chunked(data + body, size - body, split, limit);
	return 0;
}
