/*
 * yml.h: YAML in for the offline commands. (Not "yaml.h": that is
 * libyaml's header, and libyaml owns the yaml_ prefix.) The scalar typing
 * it shares with the writer is yml_scalar.h; the writer is yml_write.h.
 *
 * yml_read() turns a YAML stream into JSON text with libyaml's event
 * parser: one piece per document (empty documents skipped), a List's items
 * one by one (see inputs.h), scalars typed as kubectl types them
 * (yml_scalar.c), anchors and aliases expanded, merge keys (<<) as go-yaml
 * v2 applies them. Built without libyaml (make YAML=0) it reports that YAML
 * is not built in.
 */
#ifndef TINYHOOK_YML_H
#define TINYHOOK_YML_H

#include <stddef.h>

#include "inputs_sink.h"

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

#endif
