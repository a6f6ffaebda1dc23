/*
 * accesslog.h: the request log, one JSON line per answered request on
 * stdout (time, remote, method, path, status, bytes, microseconds, and for
 * reviews uid, kind, namespace, name, operation, decision), written in one
 * write(2) so lines from workers never interleave.
 */
#ifndef TINYHOOK_ACCESSLOG_H
#define TINYHOOK_ACCESSLOG_H

#include <stddef.h>
#include <stdint.h>
#include "limit.h"
#include "verdict.h"

struct accesslog_entry {
	const char		*remote;	/* "ip:port" */
	const char		*method;	/* NULL: no request line was read */
	const char		*path;
	size_t			 path_len;
	int			 status;
	size_t			 bytes;		/* of the body */
	uint64_t		 us;		/* first byte to response ready */
	const struct verdict	*v;		/* NULL unless a review */
};

void	accesslog_write(const struct accesslog_entry *e);

#endif
