/*
 * yml.h: YAML in and out for the offline commands. (Not "yaml.h": that is
 * libyaml's header, and libyaml owns the yaml_ prefix.)
 *
 * yml_read() turns a YAML stream into JSON text with libyaml's event
 * parser: one piece per document (empty documents skipped), a List's items
 * one by one (see inputs.h), scalars typed as kubectl types them
 * (yml_scalar.c), anchors and aliases expanded, merge keys (<<) as go-yaml
 * v2 applies them. Built without libyaml (make YAML=0) it reports that YAML
 * is not built in.
 *
 * yml_write() prints a JSON value as block YAML that reads back to the same
 * value (strings quoted whenever YAML 1.1 would read them otherwise).
 */
#ifndef TINYHOOK_YML_H
#define TINYHOOK_YML_H

#include <stddef.h>
#include <stdio.h>

#include "inputs_sink.h"
#include "json.h"
#include "limit.h"
#include "ostr.h"

/* 1 when this binary reads YAML (libyaml linked in). */
extern const int yml_built_in;

/* Where yml_read() takes its bytes: like read(2), -1 after reporting an error. */
typedef long yml_reader(void *ctx, char *buf, size_t cap);

/*
 * Reads a YAML stream (through read on ctx) and hands its documents to sink
 * as pieces of file. max_json bounds one piece's JSON. Returns the number
 * of pieces, or -1 after reporting the error through sink->error.
 */
int	yml_read(yml_reader *read, void *ctx, const char *file, size_t max_json,
	    struct inputs_sink *sink);

/* Scalar typing (yml_scalar.c): appends the JSON value (or, for a key,
 * the JSON string) of scalar s[0, n). plain: a plain scalar (libyaml's
 * plain_implicit); tag: the resolved tag or NULL. 0, or -1 with *err. */
int	yml_scalar_json(const char *s, size_t n, int plain, const char *tag,
	    struct ostr *out, const char **err);
int	yml_scalar_key(const char *s, size_t n, int plain, const char *tag,
	    struct ostr *out, const char **err);
void	yml_put_float(struct ostr *o, double f);

/* Appends value v of d as a YAML document body (yml_write.c). */
void	yml_write(struct ostr *o, struct json *d, int v);

#endif
