/*
 * patch.h: a JSONPatch (RFC 6902) builder writing into a caller-owned
 * buffer, and the base64 encoder the AdmissionReview "patch" field needs.
 *
 * An operation is written in pieces so that paths and values never need a
 * scratch copy:
 *
 *	patch_op(p, "add");
 *	patch_ptr(p, "/metadata/labels");		fixed pointer text
 *	patch_token(p, key, n);				"/" + RFC 6901 token
 *	patch_value(p);  json_put_str(&p->b, v, n);  patch_end(p);
 *
 * The ops array is "[" op "," op ... "]"; p->nops == 0 means no patch at all
 * (CONTRACT rule 20: no patch field and no patchType when nothing changes).
 */
#ifndef TINYHOOK_PATCH_H
#define TINYHOOK_PATCH_H

#include <stddef.h>
#include "buf.h"
#include "limit.h"

struct patch {
	struct buf	b;
	int		nops;
};

void	patch_init(struct patch *p, char *mem, size_t cap);
void	patch_op(struct patch *p, const char *op);
void	patch_ptr(struct patch *p, const char *ptr);
void	patch_token(struct patch *p, const char *s, size_t n);
void	patch_index(struct patch *p, int i);
void	patch_value(struct patch *p);
void	patch_end(struct patch *p);
void	patch_add_str(struct patch *p, const char *ptr, const char *v);
const char *patch_json(struct patch *p, size_t *n);

size_t	patch_base64_len(size_t n);
void	patch_base64(struct buf *out, const char *s, size_t n);

#endif
