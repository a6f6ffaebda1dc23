/*
 * apply.h: the offline commands' view of a patch (apply.c): the base64 of
 * an AdmissionReview's "patch" field decoded, and the object as the patch
 * leaves it. Not on the request path: it allocates.
 *
 * Errors: -1 (bad input, an operation it does not apply, or out of memory).
 */
#ifndef TINYHOOK_APPLY_H
#define TINYHOOK_APPLY_H

#include <stddef.h>

#include "ostr.h"

/* Appends the bytes of base64 text s[0, n) to o. 0, or -1 on a bad character. */
int	apply_unbase64(const char *s, size_t n, struct ostr *o);

/*
 * Appends to out object obj[0, objn) after the JSONPatch ops[0, opsn) (a
 * JSON array; empty: no patch). Only "add" and "replace" are applied.
 */
int	apply_patch(const char *obj, size_t objn, const char *ops, size_t opsn,
	    struct ostr *out);

#endif
