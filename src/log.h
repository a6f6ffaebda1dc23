/*
 * log.h: one JSON object per line. Requests go to stdout (one line each,
 * written by the server with log_request_line()); everything else goes to
 * stderr as {"time","level","msg"} lines.
 */
#ifndef TINYHOOK_LOG_H
#define TINYHOOK_LOG_H

#include "buf.h"
#include "limit.h"

enum log_level { LOG_ERROR, LOG_WARN, LOG_INFO, LOG_DEBUG, NUM_LOG_LEVELS };

extern int log_level;		/* messages above it are dropped */

/* Parses "error", "warn", "info" or "debug"; -1 for anything else. */
int	log_parse_level(const char *s);

/* Writes a message at level to stderr (printf format), if enabled. */
void	log_msg(enum log_level level, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));

/* Appends the current UTC time as an RFC 3339 string with microseconds. */
void	log_put_time(struct buf *b);

/* Writes b's bytes to fd in one write(2), so lines from threads never mix. */
void	log_write(int fd, const struct buf *b);

#endif
