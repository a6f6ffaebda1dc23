/*
 * yml_scalar.h: YAML scalars typed as kubectl types them (yml_scalar.c),
 * shared by the reader (yml.c: a scalar becomes a JSON value) and the
 * writer (yml_write.c: a string is written plain only when it reads back
 * as that string). Neither includes the other's header.
 *
 * Errors: -1 with *err set to a message (a scalar the YAML 1.1 schema
 * refuses, e.g. a !!int tag on "abc").
 */
#ifndef TINYHOOK_YML_SCALAR_H
#define TINYHOOK_YML_SCALAR_H

#include <stddef.h>

#include "ostr.h"

/*
 * Appends the JSON value (or, for a key, the JSON string) of scalar
 * s[0, n). plain: a plain scalar (libyaml's plain_implicit); tag: the
 * resolved tag or NULL. 0, or -1 with *err.
 */
int	yml_scalar_json(const char *s, size_t n, int plain, const char *tag,
	    struct ostr *out, const char **err);
int	yml_scalar_key(const char *s, size_t n, int plain, const char *tag,
	    struct ostr *out, const char **err);

/*
 * A float64 as encoding/json writes it: shortest digits, %f between 1e-6
 * and 1e21, else %e with "e-07" cleaned to "e-7".
 */
void	yml_put_float(struct ostr *o, double f);

#endif
