/*
 * review.h: the seam between the server and the policy engine.
 *
 * The server hands a complete request body to review_handle() and gets back
 * an HTTP status and a JSON body. Everything Kubernetes-specific (decoding
 * AdmissionReview / ConversionReview, running the compiled policy, building
 * the JSONPatch) lives behind this call; the server knows only bytes.
 */
#ifndef TINYHOOK_REVIEW_H
#define TINYHOOK_REVIEW_H

#include <stddef.h>
#include "buf.h"
#include "verdict.h"

enum review_route {
	ROUTE_VALIDATE,		/* POST /validate: AdmissionReview, no patch ever */
	ROUTE_MUTATE,		/* POST /mutate: AdmissionReview, JSONPatch */
	ROUTE_CONVERT,		/* POST /convert: ConversionReview */
	NUM_REVIEW_ROUTES
};

/* Per-worker scratch (token array, patch and message buffers). Opaque. */
struct review_ctx;

/*
 * Creates the scratch for one worker thread, able to handle bodies of up to
 * max_body bytes. Returns NULL on allocation failure. The only allocations
 * the engine makes happen here (and, bounded, when a larger body first
 * needs more tokens); review_handle() itself does not allocate.
 */
struct review_ctx	*review_ctx_new(size_t max_body);
void			 review_ctx_free(struct review_ctx *ctx);

/*
 * The capacity the response buffer needs for a body of body_len bytes
 * (a ConversionReview answer repeats every object).
 */
size_t	review_out_cap(size_t body_len);

/* The same for one route: an AdmissionReview answer does not grow with the body. */
size_t	review_out_cap_for(enum review_route route, size_t body_len);

/*
 * Decodes body (len bytes, not NUL-terminated, not modified), runs the
 * compiled policy for route, and writes the JSON response body into out.
 * Returns the HTTP status: 200 with an AdmissionReview/ConversionReview, or
 * 400 (not a review, bad JSON), 413 (too many tokens / too deep) or 500
 * (out overflowed, an internal limit) with a body {"error":"..."}.
 * info is always filled as far as decoding got.
 */
int	review_handle(struct review_ctx *ctx, enum review_route route,
	    const char *body, size_t len, struct buf *out,
	    struct verdict *info);

#endif
