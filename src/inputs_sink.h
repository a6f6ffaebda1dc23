/*
 * inputs_sink.h: what the offline readers hand on: pieces of JSON text
 * (a document, or one item of a streamed List) and the sink that takes
 * them. At the bottom of the offline house: inputs.c and the YAML reader
 * (yml.c) both write to a sink, and neither includes the other's header.
 */
#ifndef TINYHOOK_INPUTS_SINK_H
#define TINYHOOK_INPUTS_SINK_H

#include <stddef.h>
#include "limit.h"

/* One piece of input as JSON text. */
struct inputs_piece {
	const char	*file;		/* the path, "-" for stdin */
	int		 doc;		/* 1-based document number in the file */
	int		 item;		/* index in a streamed List's items, or -1 */
	int		 skeleton;	/* the document without its streamed items */
	int		 nitems;	/* skeleton: how many items were handed over */
	int		 yaml;		/* converted from YAML */
	const char	*text;		/* JSON, not NUL-terminated */
	size_t		 len;
	long		 line, col;	/* where the piece starts in the file */
};

struct inputs_sink {
	void	*arg;
	/* A file starts / ended (ok: no error in it). */
	void	(*begin)(void *arg, const char *file, int yaml);
	void	(*end)(void *arg, const char *file, int ok);
	/* A piece; returns 0, or -1 after reporting an error (the file stops). */
	int	(*piece)(void *arg, const struct inputs_piece *p);
	/* A problem; line 0 when there is no position. */
	void	(*error)(void *arg, const char *file, long line, long col, const char *msg);
};

#endif
