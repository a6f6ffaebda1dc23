/*
 * http.h: HTTP/1.1 request head parser, chunked body decoder and response
 * head writer. No I/O and no allocation: the caller owns every buffer.
 *
 * The parser is zero-copy in the manner of picohttpparser (results point
 * into the caller's buffer, a valid prefix is "incomplete, feed me more"),
 * but strict where leniency lets two parsers disagree about where a
 * request ends (request smuggling, RFC 9112 section 11.2): CRLF only,
 * no obs-fold, exactly one well-formed Content-Length or exactly one
 * "Transfer-Encoding: chunked", never both.
 */
#ifndef TINYHOOK_HTTP_H
#define TINYHOOK_HTTP_H

#include <stddef.h>
#include <stdint.h>
#include "buf.h"
#include "limit.h"

#define HTTP_INCOMPLETE		(-1)	/* need more bytes */

enum http_method { HTTP_GET, HTTP_HEAD, HTTP_POST, HTTP_OTHER_METHOD };

struct http_request {
	int		 method;	/* enum http_method (case-sensitive) */
	const char	*target;	/* request-target, points into buf */
	size_t		 target_len;
	size_t		 path_len;	/* bytes of target before '?' */
	int		 minor;		/* HTTP/1.minor: 0 or 1 */
	int		 keep_alive;	/* 1.1: unless "close"; 1.0: only "keep-alive" */
	int		 chunked;	/* Transfer-Encoding: chunked */
	int		 has_length;	/* a Content-Length header was present */
	uint64_t	 content_length;
	int		 expect_continue; /* "Expect: 100-continue" (HTTP/1.1 only) */
	size_t		 header_len;	/* request line + headers + final CRLF */
};

/*
 * Parses the request head at buf[0..len). Returns header_len (> 0) when the
 * head is complete (the body, if any, starts at buf + header_len), or
 * HTTP_INCOMPLETE when buf holds a valid prefix of a head (call again with
 * more bytes; the parse restarts from buf[0], so keep the bytes in place),
 * or the negated HTTP status of the error:
 *   -400  malformed line, bare CR or LF, obs-fold, bad or repeated
 *         Content-Length, repeated Transfer-Encoding or Host, TE with CL,
 *         TE in HTTP/1.0, no Host in HTTP/1.1;
 *   -431  no complete head within HTTP_MAX_HEADER_BYTES (reported as soon
 *         as len exceeds it), or more than HTTP_MAX_HEADERS fields;
 *   -501  a Transfer-Encoding other than exactly "chunked";
 *   -505  an HTTP version other than 1.0 and 1.1.
 * An error may be returned for a prefix already proven bad. *req is
 * meaningful only after a positive return.
 */
int	http_parse_request(const char *buf, size_t len, struct http_request *req);

/*
 * Incremental in-place decoder of a chunked body (RFC 9112 section 7.1).
 * The fields are private to http.c.
 */
struct http_chunked {
	uint64_t	max_body;	/* decoded bytes allowed in total */
	uint64_t	total;		/* decoded bytes announced so far */
	uint64_t	remaining;	/* size being read, then data bytes left */
	size_t		count;		/* digits, extension or trailer bytes */
	int		state;
	int		error;		/* sticky once set */
};

void	http_chunked_init(struct http_chunked *c, uint64_t max_body);

/*
 * Decodes buf[0..*len), raw chunked bytes that follow whatever an earlier
 * call consumed, and moves the decoded data to the front: on return
 * buf[0..*len) is the data this call produced.
 *
 * Every raw byte given is consumed: a size line, extension or trailer cut
 * at the end of buf is remembered in *c, so the caller never presents a
 * byte twice. The usual loop keeps the body in one buffer: with `have`
 * decoded bytes at body[0..have), read new raw bytes to body + have, call
 * with buf = body + have, then have += *len.
 *
 * Returns HTTP_INCOMPLETE when the message needs more bytes; or n >= 0
 * when the last chunk, trailers and final CRLF were read, the n raw bytes
 * that followed the message (a pipelined request) then being moved to
 * buf[*len..*len + n); or -400 (bad chunk size, more than
 * HTTP_MAX_CHUNK_DIGITS digits, bad or too long extension, data not
 * followed by CRLF, bad or too long trailer, bare CR or LF), or -413 when
 * the chunk sizes announce more than max_body bytes in total. Errors are
 * sticky. *len must not exceed INT_MAX.
 */
int	http_chunked_decode(struct http_chunked *c, char *buf, size_t *len);

/*
 * Writes "HTTP/1.1 <status> <reason>" and, for a final status (>= 200),
 * Content-Type (unless NULL), Content-Length, and "Connection: close" when
 * close, or "Connection: keep-alive" for an HTTP/1.0 client kept open
 * (minor == 0). Then extra (raw header lines each ending in CRLF, or
 * NULL) and the empty line. An HTTP/1.0 client gets the HTTP/1.1 status
 * line too (RFC 9110 section 6.2), never chunked output. A 1xx status
 * writes the status line, extra and the empty line only.
 */
void	http_response_head(struct buf *b, int status, int minor, int close,
	    const char *content_type, size_t content_length, const char *extra);

/* The reason phrase of status, "Unknown" for a status not in the table. */
const char	*http_reason(int status);

#endif
