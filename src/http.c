/*
 * http.c: HTTP/1.1 request head parser, chunked decoder, response head.
 *
 * One forward pass over the caller's bytes, never past len: every loop
 * tests p < end before it reads *p. Internal steps return 0 (go on),
 * HTTP_DONE, HTTP_INCOMPLETE or a negated HTTP status.
 */
#include <string.h>

#include "http.h"

#define HTTP_DONE		1
#define HTTP_VERSION_PATTERN	"HTTP/d.d\r\n"	/* 'd' is any DIGIT */
#define HTTP_VERSION_LEN	(sizeof(HTTP_VERSION_PATTERN) - 1)

/*
 * RFC 9110 section 5.6.2 tchar: "!#$%&'*+-.^_`|~", DIGIT, ALPHA, as a
 * bitmap of the 128 ASCII codes (bytes >= 0x80 are never tchar).
 */
static const uint32_t http_tchar_map[4] = {
	0x00000000, 0x03ff6cfa, 0xc7fffffe, 0x57ffffff
};

/* What the head said, for the checks that need the whole head. */
struct http_seen {
	int	fields;
	int	host, te, te_chunked;
	int	close, keep_alive;
};

/* Returns whether c is a tchar (header names, methods). */
static int
http_is_tchar(unsigned char c)
{
	return c < 128 && (http_tchar_map[c >> 5] >> (c & 31) & 1);
}

/*
 * Returns whether c may appear in a field value: VCHAR, SP, HTAB,
 * obs-text (RFC 9110 section 5.5). NUL, CR, LF and other CTLs may not.
 */
static int
http_is_field_char(unsigned char c)
{
	return c >= 0x20 ? c != 0x7f : c == '\t';
}

/* Returns whether s[0..n) equals lower, ASCII case-insensitively. */
static int
http_ieq(const char *s, size_t n, const char *lower)
{
	size_t i;
	unsigned char c;

	for (i = 0; i < n; i++) {
		c = (unsigned char)s[i];
		if (c >= 'A' && c <= 'Z')
			c += 'a' - 'A';
		if (lower[i] == '\0' || c != (unsigned char)lower[i])
			return 0;
	}
	return lower[n] == '\0';
}

/*
 * Checks for CRLF at p. Only CRLF ends a line: a bare CR or LF is 400,
 * since peers that accept them split lines differently (RFC 9112 2.2).
 */
static int
http_crlf(const char *p, const char *end)
{
	if (p == end)
		return HTTP_INCOMPLETE;
	if (*p != '\r')
		return -400;
	if (p + 1 == end)
		return HTTP_INCOMPLETE;
	return p[1] == '\n' ? 0 : -400;
}

/* Reads the method token and its SP; GET, HEAD, POST are case-sensitive. */
static int
http_parse_method(const char **pp, const char *end, struct http_request *req)
{
	const char *m = *pp, *p = *pp;
	size_t n;

	while (p < end && http_is_tchar((unsigned char)*p))
		p++;
	if (p == end)
		return HTTP_INCOMPLETE;
	if (p == m || *p != ' ')
		return -400;
	n = (size_t)(p - m);
	if (n == 3 && memcmp(m, "GET", 3) == 0)
		req->method = HTTP_GET;
	else if (n == 4 && memcmp(m, "HEAD", 4) == 0)
		req->method = HTTP_HEAD;
	else if (n == 4 && memcmp(m, "POST", 4) == 0)
		req->method = HTTP_POST;
	else
		req->method = HTTP_OTHER_METHOD;
	*pp = p + 1;
	return 0;
}

/*
 * Reads an origin-form target (RFC 9112 3.2.1) and its SP: it starts with
 * '/' and is visible ASCII only, so no absolute-form or '*' reaches the
 * router, and no byte a log or a proxy could read as a separator.
 */
static int
http_parse_target(const char **pp, const char *end, struct http_request *req)
{
	const char *t = *pp, *p = *pp, *query = NULL;

	if (p == end)
		return HTTP_INCOMPLETE;
	if (*p != '/')
		return -400;
	for (; p < end && *p > 0x20 && *p < 0x7f; p++)
		if (*p == '?' && query == NULL)
			query = p;
	if (p == end)
		return HTTP_INCOMPLETE;
	if (*p != ' ')
		return -400;
	req->target = t;
	req->target_len = (size_t)(p - t);
	req->path_len = (size_t)((query ? query : p) - t);
	*pp = p + 1;
	return 0;
}

/*
 * Reads "HTTP/d.d" CRLF. Each byte is checked as it arrives, so junk is 400
 * at once; a well-formed version other than 1.0 or 1.1 is 505.
 */
static int
http_parse_version(const char **pp, const char *end, struct http_request *req)
{
	static const char pat[] = HTTP_VERSION_PATTERN;
	const char *p = *pp;
	size_t i, avail = (size_t)(end - p);

	for (i = 0; i < HTTP_VERSION_LEN && i < avail; i++) {
		if (pat[i] == 'd' ? (p[i] < '0' || p[i] > '9') : p[i] != pat[i])
			return -400;
	}
	if (avail < HTTP_VERSION_LEN)
		return HTTP_INCOMPLETE;
	if (p[5] != '1' || (p[7] != '0' && p[7] != '1'))
		return -505;
	req->minor = p[7] - '0';
	*pp = p + HTTP_VERSION_LEN;
	return 0;
}

/*
 * Reads the request line, after skipping the empty lines RFC 9112 2.2 says
 * a server should ignore there (at most HTTP_MAX_EMPTY_LINES).
 */
static int
http_parse_request_line(const char **pp, const char *end,
    struct http_request *req)
{
	int rc, empty = 0;

	while (*pp < end && **pp == '\r') {
		if ((rc = http_crlf(*pp, end)) != 0)
			return rc;
		if (++empty > HTTP_MAX_EMPTY_LINES)
			return -400;
		*pp += 2;
	}
	if ((rc = http_parse_method(pp, end, req)) != 0)
		return rc;
	if ((rc = http_parse_target(pp, end, req)) != 0)
		return rc;
	return http_parse_version(pp, end, req);
}

/*
 * Content-Length is 1*DIGIT and nothing else: no sign, no list ("5, 5"),
 * no inner space, at most HTTP_MAX_CONTENT_LENGTH. RFC 9110 8.6 lets a
 * recipient merge identical values; we refuse them instead, one framing.
 */
static int
http_parse_length(const char *v, size_t n, uint64_t *out)
{
	uint64_t x = 0;
	unsigned d;
	size_t i;

	if (n == 0)
		return -400;
	for (i = 0; i < n; i++) {
		d = (unsigned)((unsigned char)v[i] - '0');
		if (d > 9 || x > (HTTP_MAX_CONTENT_LENGTH - d) / 10)
			return -400;
		x = x * 10 + d;
	}
	*out = x;
	return 0;
}

/*
 * Host is uri-host [":" port] (RFC 9112 3.2): reg-name, IPv4 or IP-literal
 * characters only; a Host with space, '/' or '@' is 400 (RFC 9112 3.2
 * requires 400 for an invalid Host).
 */
static int
http_valid_host(const char *v, size_t n)
{
	static const char extra[] = "-._~%!$&'()*+,;=:[]";
	unsigned char c;
	size_t i;

	for (i = 0; i < n; i++) {
		c = (unsigned char)v[i];
		if ((c | 0x20) >= 'a' && (c | 0x20) <= 'z')
			continue;
		if ((c >= '0' && c <= '9') || memchr(extra, c, sizeof(extra) - 1))
			continue;
		return 0;
	}
	return 1;
}

/*
 * Reads the comma-separated Connection options (RFC 9110 7.6.1); "close"
 * anywhere wins over "keep-alive" anywhere.
 */
static void
http_parse_connection(const char *v, size_t n, struct http_seen *seen)
{
	size_t i = 0, start, stop;

	while (i < n) {
		while (i < n && (v[i] == ' ' || v[i] == '\t' || v[i] == ','))
			i++;
		for (start = i; i < n && v[i] != ','; i++)
			;
		for (stop = i; stop > start && (v[stop - 1] == ' ' ||
		    v[stop - 1] == '\t'); stop--)
			;
		if (http_ieq(v + start, stop - start, "close"))
			seen->close = 1;
		else if (http_ieq(v + start, stop - start, "keep-alive"))
			seen->keep_alive = 1;
	}
}

/* Applies one field line whose name and trimmed value are known. */
static int
http_apply_field(const char *name, size_t nlen, const char *v, size_t n,
    struct http_request *req, struct http_seen *seen)
{
	if (http_ieq(name, nlen, "content-length")) {
		if (req->has_length)
			return -400;
		req->has_length = 1;
		return http_parse_length(v, n, &req->content_length);
	}
	if (http_ieq(name, nlen, "transfer-encoding")) {
		if (seen->te++)
			return -400;
		seen->te_chunked = http_ieq(v, n, "chunked");
	} else if (http_ieq(name, nlen, "host")) {
		if (seen->host++ || !http_valid_host(v, n))
			return -400;
	} else if (http_ieq(name, nlen, "connection")) {
		http_parse_connection(v, n, seen);
	} else if (http_ieq(name, nlen, "expect")) {
		/* RFC 9110 10.1.1: ignore 100-continue from HTTP/1.0. */
		if (req->minor == 1 && http_ieq(v, n, "100-continue"))
			req->expect_continue = 1;
	}
	return 0;
}

/*
 * Reads one field line, or the empty line that ends the head (HTTP_DONE).
 * name ':' OWS value OWS CRLF, with nothing between name and ':' (RFC 9112
 * 5.1); a line starting with SP/HTAB (obs-fold, RFC 9112 5.2) is 400.
 */
static int
http_parse_field(const char **pp, const char *end, struct http_request *req,
    struct http_seen *seen)
{
	const char *p = *pp, *name = p, *colon, *v, *vend;
	int rc;

	if (p < end && *p == '\r') {
		if ((rc = http_crlf(p, end)) != 0)
			return rc;
		*pp = p + 2;
		return HTTP_DONE;
	}
	while (p < end && http_is_tchar((unsigned char)*p))
		p++;
	if (p == end)
		return HTTP_INCOMPLETE;
	if (p == name || *p != ':')
		return -400;
	if (++seen->fields > HTTP_MAX_HEADERS)
		return -431;
	for (colon = p++; p < end && (*p == ' ' || *p == '\t'); p++)
		;
	for (v = p; p < end && http_is_field_char((unsigned char)*p); p++)
		;
	if ((rc = http_crlf(p, end)) != 0)
		return rc;
	for (vend = p; vend > v && (vend[-1] == ' ' || vend[-1] == '\t'); vend--)
		;
	*pp = p + 2;
	return http_apply_field(name, (size_t)(colon - name), v,
	    (size_t)(vend - v), req, seen);
}

/*
 * The checks that need the whole head (RFC 9112 6.1, 6.3, 3.2). TE with CL
 * and TE from HTTP/1.0 are the classic smuggling framings: 400 before the
 * 501 for an unknown coding.
 */
static int
http_finish(struct http_request *req, const struct http_seen *seen)
{
	if (seen->te && (req->has_length || req->minor == 0))
		return -400;
	if (seen->te && !seen->te_chunked)
		return -501;
	if (req->minor == 1 && !seen->host)
		return -400;
	req->chunked = seen->te;
	if (req->minor == 1)
		req->keep_alive = !seen->close;
	else
		req->keep_alive = seen->keep_alive && !seen->close;
	return (int)req->header_len;
}

/*
 * Parses the head at buf[0..len); see http.h. Only the first
 * HTTP_MAX_HEADER_BYTES bytes are looked at, so a head that has not ended
 * by then is 431 however the bytes arrive.
 */
int
http_parse_request(const char *buf, size_t len, struct http_request *req)
{
	const char *p = buf;
	const char *end = buf + (len < HTTP_MAX_HEADER_BYTES ?
	    len : HTTP_MAX_HEADER_BYTES);
	struct http_seen seen = { 0 };
	int rc;

	memset(req, 0, sizeof(*req));
	rc = http_parse_request_line(&p, end, req);
	while (rc == 0)
		rc = http_parse_field(&p, end, req, &seen);
	if (rc == HTTP_INCOMPLETE)
		return len > HTTP_MAX_HEADER_BYTES ? -431 : HTTP_INCOMPLETE;
	if (rc < 0)
		return rc;
	req->header_len = (size_t)(p - buf);
	return http_finish(req, &seen);
}

/* Decoder states, one per position in the chunked grammar. */
enum http_chunk_state {
	CH_SIZE,		/* hex digits of chunk-size */
	CH_EXT,			/* chunk-ext, ignored, up to CR */
	CH_SIZE_LF,		/* LF ending the size line */
	CH_DATA,		/* chunk-data, remaining bytes */
	CH_DATA_CR,		/* CRLF after chunk-data */
	CH_DATA_LF,
	CH_TRAILER,		/* start of a trailer line or the final CRLF */
	CH_TRAILER_NAME,
	CH_TRAILER_VALUE,
	CH_TRAILER_LF,
	CH_END_LF,		/* LF of the final CRLF */
	CH_DONE
};

void
http_chunked_init(struct http_chunked *c, uint64_t max_body)
{
	memset(c, 0, sizeof(*c));
	c->max_body = max_body;
	c->state = CH_SIZE;
}

/* Returns the value of hex digit ch, or -1. */
static int
http_hex(unsigned char ch)
{
	if (ch >= '0' && ch <= '9')
		return ch - '0';
	if ((ch | 0x20) >= 'a' && (ch | 0x20) <= 'f')
		return (ch | 0x20) - 'a' + 10;
	return -1;
}

/*
 * One byte of a size line: 1*HEXDIG [ ";" ext ] CRLF. The size is checked
 * against max_body as soon as it is known, so a huge chunk is 413 before
 * any of its data is read.
 */
static int
http_chunk_size_byte(struct http_chunked *c, unsigned char ch)
{
	int d;

	if (c->state == CH_SIZE && (d = http_hex(ch)) >= 0) {
		if (++c->count > HTTP_MAX_CHUNK_DIGITS)
			return -400;
		c->remaining = c->remaining << 4 | (uint64_t)d;
		return 0;
	}
	if (c->state == CH_SIZE) {
		if (c->count == 0 || (ch != ';' && ch != '\r'))
			return -400;
		if (c->remaining > c->max_body - c->total)
			return -413;
		c->count = 0;
		c->state = ch == ';' ? CH_EXT : CH_SIZE_LF;
		return 0;
	}
	if (c->state == CH_EXT) {
		if (++c->count > HTTP_MAX_CHUNK_EXT)
			return -400;
		if (ch == '\r')
			c->state = CH_SIZE_LF;
		return http_is_field_char(ch) || ch == '\r' ? 0 : -400;
	}
	if (ch != '\n')
		return -400;
	c->total += c->remaining;
	c->count = 0;
	c->state = c->remaining ? CH_DATA : CH_TRAILER;
	return 0;
}

/*
 * One byte of the trailer section: field lines checked like header lines
 * (a smuggled head must not pass as a trailer), then the final CRLF.
 */
static int
http_chunk_trailer_byte(struct http_chunked *c, unsigned char ch)
{
	if (++c->count > HTTP_MAX_TRAILER_BYTES)
		return -400;
	switch (c->state) {
	case CH_TRAILER:
		if (ch == '\r') {
			c->state = CH_END_LF;
			return 0;
		}
		c->state = CH_TRAILER_NAME;
		return http_is_tchar(ch) ? 0 : -400;
	case CH_TRAILER_NAME:
		if (ch == ':')
			c->state = CH_TRAILER_VALUE;
		return ch == ':' || http_is_tchar(ch) ? 0 : -400;
	case CH_TRAILER_VALUE:
		if (ch == '\r')
			c->state = CH_TRAILER_LF;
		return ch == '\r' || http_is_field_char(ch) ? 0 : -400;
	case CH_TRAILER_LF:
		c->state = CH_TRAILER;
		return ch == '\n' ? 0 : -400;
	default:			/* CH_END_LF */
		c->state = CH_DONE;
		return ch == '\n' ? 0 : -400;
	}
}

/* One framing byte (anything but chunk-data) in the current state. */
static int
http_chunk_byte(struct http_chunked *c, unsigned char ch)
{
	switch (c->state) {
	case CH_SIZE:
	case CH_EXT:
	case CH_SIZE_LF:
		return http_chunk_size_byte(c, ch);
	case CH_DATA_CR:
		c->state = CH_DATA_LF;
		return ch == '\r' ? 0 : -400;
	case CH_DATA_LF:
		c->state = CH_SIZE;
		c->remaining = 0;
		c->count = 0;
		return ch == '\n' ? 0 : -400;
	default:
		return http_chunk_trailer_byte(c, ch);
	}
}

/*
 * Decodes in place; see http.h. Data is moved a whole run at a time, the
 * framing bytes go one by one through the state machine. The write offset
 * never passes the read offset, so memmove within buf is safe.
 */
int
http_chunked_decode(struct http_chunked *c, char *buf, size_t *len)
{
	size_t src = 0, dst = 0, n = *len, take;
	int rc;

	while (c->error == 0 && c->state != CH_DONE && src < n) {
		if (c->state == CH_DATA) {
			take = n - src < c->remaining ? n - src : c->remaining;
			memmove(buf + dst, buf + src, take);
			dst += take;
			src += take;
			c->remaining -= take;
			if (c->remaining == 0)
				c->state = CH_DATA_CR;
			continue;
		}
		rc = http_chunk_byte(c, (unsigned char)buf[src++]);
		if (rc < 0)
			c->error = rc;
	}
	*len = dst;
	if (c->error)
		return c->error;
	if (c->state != CH_DONE)
		return HTTP_INCOMPLETE;
	memmove(buf + dst, buf + src, n - src);
	return (int)(n - src);
}

/*
 * The reason phrases we send. To add one, add a line; the order does not
 * matter.
 */
static const struct {
	int		 status;
	const char	*reason;
} http_reasons[] = {
	{ 100, "Continue" },
	{ 200, "OK" },
	{ 400, "Bad Request" },
	{ 404, "Not Found" },
	{ 405, "Method Not Allowed" },
	{ 408, "Request Timeout" },
	{ 411, "Length Required" },
	{ 413, "Content Too Large" },
	{ 415, "Unsupported Media Type" },
	{ 431, "Request Header Fields Too Large" },
	{ 500, "Internal Server Error" },
	{ 501, "Not Implemented" },
	{ 503, "Service Unavailable" },
	{ 505, "HTTP Version Not Supported" },
};

const char *
http_reason(int status)
{
	size_t i;

	for (i = 0; i < sizeof(http_reasons) / sizeof(http_reasons[0]); i++)
		if (http_reasons[i].status == status)
			return http_reasons[i].reason;
	return "Unknown";
}

/*
 * Writes a response head; see http.h. A status outside 100..999 would
 * break the three-digit status line (RFC 9112 4), so it becomes 500.
 */
void
http_response_head(struct buf *b, int status, int minor, int close,
    const char *content_type, size_t content_length, const char *extra)
{
	if (status < 100 || status > 999)
		status = 500;
	buf_puts(b, "HTTP/1.1 ");
	buf_put_u64(b, (uint64_t)status);
	buf_putc(b, ' ');
	buf_puts(b, http_reason(status));
	buf_puts(b, "\r\n");
	if (status >= 200) {
		if (content_type != NULL) {
			buf_puts(b, "Content-Type: ");
			buf_puts(b, content_type);
			buf_puts(b, "\r\n");
		}
		buf_puts(b, "Content-Length: ");
		buf_put_u64(b, (uint64_t)content_length);
		buf_puts(b, "\r\n");
		if (close)
			buf_puts(b, "Connection: close\r\n");
		else if (minor == 0)
			buf_puts(b, "Connection: keep-alive\r\n");
	}
	if (extra != NULL)
		buf_puts(b, extra);
	buf_puts(b, "\r\n");
}
