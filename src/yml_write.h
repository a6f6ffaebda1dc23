/*
 * yml_write.h: a JSON value printed as block YAML that reads back to the
 * same value (strings quoted whenever YAML 1.1 would read them otherwise),
 * for `tinyhook review --patched` (yml_write.c). Errors: none but the
 * ostr's sticky nomem.
 */
#ifndef TINYHOOK_YML_WRITE_H
#define TINYHOOK_YML_WRITE_H

#include "json.h"
#include "ostr.h"

/* Appends value v of d as a YAML document body. */
void	yml_write(struct ostr *o, struct json *d, int v);

#endif
