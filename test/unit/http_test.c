/*
 * http_test.c: table tests of the request parser, the chunked decoder and
 * the response head writer.
 *
 * Every input is copied so that its last byte sits right before a
 * PROT_NONE page (as picohttpparser's tests do): reading one byte past len
 * faults, and ASan reports where.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "http.h"

#define GUARD_AREA	(64 * 1024)	/* room before the guard page */
#define BIG_LEN		(HTTP_MAX_HEADER_BYTES + 4096)
#define NOLEN		(-1)		/* no Content-Length expected */

static char	*guard_end;		/* first byte of the PROT_NONE page */
static int	 passed, failed;

/* Maps GUARD_AREA bytes followed by one inaccessible page. */
static void
guard_setup(void)
{
	size_t pg = (size_t)sysconf(_SC_PAGESIZE);
	size_t area = (GUARD_AREA + pg - 1) / pg * pg;
	char *m = mmap(NULL, area + pg, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (m == MAP_FAILED || mprotect(m + area, pg, PROT_NONE) != 0) {
		perror("guard_setup");
		exit(2);
	}
	guard_end = m + area;
}

/* Copies s[0..n) to end right at the guard page and returns the copy. */
static char *
guarded(const void *s, size_t n)
{
	char *p = guard_end - n;

	memmove(p, s, n);
	return p;
}

/* Counts one case, printing its name when it failed. */
static void
report(const char *group, const char *name, int ok, const char *why)
{
	if (ok) {
		passed++;
		return;
	}
	failed++;
	printf("FAIL %s: %s: %s\n", group, name, why);
}

/*
 * Parser cases. err is 0 for a valid head, then tail is the number of
 * input bytes after the head (a body or the next request) and the other
 * fields are what the parse must yield; else err is the expected return.
 */
struct parse_case {
	const char	*name;
	const char	*in;
	size_t		 len;
	int		 err;
	size_t		 tail;
	int		 method;
	const char	*target;
	int		 minor, keep_alive, chunked;
	int64_t		 length;		/* NOLEN: no Content-Length */
	int		 expect;
};

#define OK(name, in, tail, m, target, minor, ka, ch, cl, ex) \
	{ name, in, sizeof(in) - 1, 0, tail, m, target, minor, ka, ch, cl, ex }
#define BAD(name, in, err) \
	{ name, in, sizeof(in) - 1, err, 0, 0, NULL, 0, 0, 0, 0, 0 }
#define H11	"Host: a\r\n"

static const struct parse_case parse_cases[] = {
	/* Valid heads: name, input, tail, method, target, minor, keep_alive, chunked, length, expect */
	OK("get minimal", "GET / HTTP/1.1\r\n" H11 "\r\n", 0, HTTP_GET, "/", 1, 1, 0, NOLEN, 0),
	OK("head", "HEAD /healthz HTTP/1.1\r\n" H11 "\r\n", 0, HTTP_HEAD, "/healthz", 1, 1, 0, NOLEN, 0),
	OK("post with length", "POST /validate HTTP/1.1\r\n" H11 "Content-Length: 10\r\n\r\n", 0, HTTP_POST, "/validate", 1, 1, 0, 10, 0),
	OK("delete is other", "DELETE /x HTTP/1.1\r\n" H11 "\r\n", 0, HTTP_OTHER_METHOD, "/x", 1, 1, 0, NOLEN, 0),
	OK("methods are case-sensitive", "post / HTTP/1.1\r\n" H11 "\r\n", 0, HTTP_OTHER_METHOD, "/", 1, 1, 0, NOLEN, 0),
	OK("method of tchars", "M-SEARCH / HTTP/1.1\r\n" H11 "\r\n", 0, HTTP_OTHER_METHOD, "/", 1, 1, 0, NOLEN, 0),
	OK("query", "POST /validate?timeout=10s HTTP/1.1\r\n" H11 "\r\n", 0, HTTP_POST, "/validate?timeout=10s", 1, 1, 0, NOLEN, 0),
	OK("query with two ?", "GET /a?b?c HTTP/1.1\r\n" H11 "\r\n", 0, HTTP_GET, "/a?b?c", 1, 1, 0, NOLEN, 0),
	OK("empty query", "GET /m? HTTP/1.1\r\n" H11 "\r\n", 0, HTTP_GET, "/m?", 1, 1, 0, NOLEN, 0),
	OK("target of visible ascii", "GET /a%20b/~c!$&'()*+,;=:@[]\"<>{}|\\^` HTTP/1.1\r\n" H11 "\r\n", 0, HTTP_GET, "/a%20b/~c!$&'()*+,;=:@[]\"<>{}|\\^`", 1, 1, 0, NOLEN, 0),
	OK("1.0 without host closes", "GET / HTTP/1.0\r\n\r\n", 0, HTTP_GET, "/", 0, 0, 0, NOLEN, 0),
	OK("1.0 keep-alive", "GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n", 0, HTTP_GET, "/", 0, 1, 0, NOLEN, 0),
	OK("1.0 Keep-Alive any case", "GET / HTTP/1.0\r\nconnection: Keep-Alive\r\n\r\n", 0, HTTP_GET, "/", 0, 1, 0, NOLEN, 0),
	OK("1.0 keep-alive, close", "GET / HTTP/1.0\r\nConnection: keep-alive, close\r\n\r\n", 0, HTTP_GET, "/", 0, 0, 0, NOLEN, 0),
	OK("1.0 with host and length", "POST /v HTTP/1.0\r\n" H11 "Content-Length: 2\r\n\r\n", 0, HTTP_POST, "/v", 0, 0, 0, 2, 0),
	OK("1.1 close", "GET / HTTP/1.1\r\n" H11 "Connection: close\r\n\r\n", 0, HTTP_GET, "/", 1, 0, 0, NOLEN, 0),
	OK("1.1 CLOSE", "GET / HTTP/1.1\r\n" H11 "CONNECTION: CLOSE\r\n\r\n", 0, HTTP_GET, "/", 1, 0, 0, NOLEN, 0),
	OK("close wins over keep-alive", "GET / HTTP/1.1\r\n" H11 "Connection: keep-alive, Close\r\n\r\n", 0, HTTP_GET, "/", 1, 0, 0, NOLEN, 0),
	OK("other connection option", "GET / HTTP/1.1\r\n" H11 "Connection: upgrade\r\n\r\n", 0, HTTP_GET, "/", 1, 1, 0, NOLEN, 0),
	OK("connection list with OWS", "GET / HTTP/1.1\r\n" H11 "Connection: ,, foo ,\tclose\t, bar\r\n\r\n", 0, HTTP_GET, "/", 1, 0, 0, NOLEN, 0),
	OK("second Connection line", "GET / HTTP/1.1\r\n" H11 "Connection: foo\r\nConnection: close\r\n\r\n", 0, HTTP_GET, "/", 1, 0, 0, NOLEN, 0),
	OK("closed is not close", "GET / HTTP/1.1\r\n" H11 "Connection: closed, xclose\r\n\r\n", 0, HTTP_GET, "/", 1, 1, 0, NOLEN, 0),
	OK("chunked", "POST / HTTP/1.1\r\n" H11 "Transfer-Encoding: chunked\r\n\r\n", 0, HTTP_POST, "/", 1, 1, 1, NOLEN, 0),
	OK("Chunked any case", "POST / HTTP/1.1\r\n" H11 "transfer-encoding: ChUnKeD\r\n\r\n", 0, HTTP_POST, "/", 1, 1, 1, NOLEN, 0),
	OK("chunked with OWS", "POST / HTTP/1.1\r\n" H11 "Transfer-Encoding: \t chunked \t\r\n\r\n", 0, HTTP_POST, "/", 1, 1, 1, NOLEN, 0),
	OK("name any case", "POST / HTTP/1.1\r\nhOsT: a\r\ncOnTeNt-LeNgTh: 3\r\n\r\n", 0, HTTP_POST, "/", 1, 1, 0, 3, 0),
	OK("length leading zeros", "POST / HTTP/1.1\r\n" H11 "Content-Length: 007\r\n\r\n", 0, HTTP_POST, "/", 1, 1, 0, 7, 0),
	OK("length zero", "POST / HTTP/1.1\r\n" H11 "Content-Length: 0\r\n\r\n", 0, HTTP_POST, "/", 1, 1, 0, 0, 0),
	OK("length 2^53", "POST / HTTP/1.1\r\n" H11 "Content-Length: 9007199254740992\r\n\r\n", 0, HTTP_POST, "/", 1, 1, 0, 9007199254740992LL, 0),
	OK("length with OWS", "POST / HTTP/1.1\r\n" H11 "Content-Length:  \t42 \t\r\n\r\n", 0, HTTP_POST, "/", 1, 1, 0, 42, 0),
	OK("no space after colon", "GET / HTTP/1.1\r\nHost:a\r\n\r\n", 0, HTTP_GET, "/", 1, 1, 0, NOLEN, 0),
	OK("empty value", "GET / HTTP/1.1\r\n" H11 "X-Empty:\r\nY:   \r\n\r\n", 0, HTTP_GET, "/", 1, 1, 0, NOLEN, 0),
	OK("obs-text in value", "GET / HTTP/1.1\r\n" H11 "X: caf\xc3\xa9 \xff\r\n\r\n", 0, HTTP_GET, "/", 1, 1, 0, NOLEN, 0),
	OK("spaces and tabs inside value", "GET / HTTP/1.1\r\n" H11 "X: a b\tc  d\r\n\r\n", 0, HTTP_GET, "/", 1, 1, 0, NOLEN, 0),
	OK("name of every tchar", "GET / HTTP/1.1\r\n" H11 "!#$%&'*+-.^_`|~09azAZ: v\r\n\r\n", 0, HTTP_GET, "/", 1, 1, 0, NOLEN, 0),
	OK("leading empty lines skipped", "\r\n\r\nGET / HTTP/1.1\r\n" H11 "\r\n", 0, HTTP_GET, "/", 1, 1, 0, NOLEN, 0),
	OK("body follows head", "POST / HTTP/1.1\r\n" H11 "Content-Length: 5\r\n\r\nhello", 5, HTTP_POST, "/", 1, 1, 0, 5, 0),
	OK("pipelined request follows", "GET /1 HTTP/1.1\r\n" H11 "\r\nGET /2 HTTP/1.1\r\n" H11 "\r\n", sizeof("GET /2 HTTP/1.1\r\n" H11 "\r\n") - 1, HTTP_GET, "/1", 1, 1, 0, NOLEN, 0),
	OK("bare LF in the body is not ours", "POST / HTTP/1.1\r\n" H11 "Content-Length: 3\r\n\r\na\nb", 3, HTTP_POST, "/", 1, 1, 0, 3, 0),
	OK("expect 100-continue", "POST / HTTP/1.1\r\n" H11 "Expect: 100-continue\r\nContent-Length: 1\r\n\r\n", 0, HTTP_POST, "/", 1, 1, 0, 1, 1),
	OK("expect any case", "POST / HTTP/1.1\r\n" H11 "EXPECT: 100-Continue\r\nContent-Length: 1\r\n\r\n", 0, HTTP_POST, "/", 1, 1, 0, 1, 1),
	OK("expect other value", "POST / HTTP/1.1\r\n" H11 "Expect: 200-ok\r\nContent-Length: 1\r\n\r\n", 0, HTTP_POST, "/", 1, 1, 0, 1, 0),
	OK("expect ignored from 1.0", "POST / HTTP/1.0\r\nExpect: 100-continue\r\nContent-Length: 1\r\n\r\n", 0, HTTP_POST, "/", 0, 0, 0, 1, 0),
	OK("host with port", "GET / HTTP/1.1\r\nHost: 127.0.0.1:8443\r\n\r\n", 0, HTTP_GET, "/", 1, 1, 0, NOLEN, 0),
	OK("host ipv6 literal", "GET / HTTP/1.1\r\nHost: [::1]:8443\r\n\r\n", 0, HTTP_GET, "/", 1, 1, 0, NOLEN, 0),
	OK("host empty (RFC 9112 3.2)", "GET / HTTP/1.1\r\nHost:\r\n\r\n", 0, HTTP_GET, "/", 1, 1, 0, NOLEN, 0),
	OK("host svc dns name", "GET / HTTP/1.1\r\nHost: tinyhook.tinyhook-system.svc:443\r\n\r\n", 0, HTTP_GET, "/", 1, 1, 0, NOLEN, 0),

	/* Real kube-apiserver v1.36 request heads, from
	 * test/fixtures/apiserver-v1.36/{validate,mutate,convert}.head.txt */
	OK("apiserver validate", "POST /validate?timeout=10s HTTP/1.1\r\nHost: 127.0.0.1:8443\r\nUser-Agent: kube-apiserver-admission\r\nContent-Length: 2952\r\nAccept: application/json, */*\r\nContent-Type: application/json\r\nAccept-Encoding: gzip\r\n\r\n", 0, HTTP_POST, "/validate?timeout=10s", 1, 1, 0, 2952, 0),
	OK("apiserver mutate", "POST /mutate?timeout=10s HTTP/1.1\r\nHost: 127.0.0.1:8443\r\nUser-Agent: kube-apiserver-admission\r\nContent-Length: 2783\r\nAccept: application/json, */*\r\nContent-Type: application/json\r\nAccept-Encoding: gzip\r\n\r\n", 0, HTTP_POST, "/mutate?timeout=10s", 1, 1, 0, 2783, 0),
	OK("apiserver convert", "POST /convert?timeout=30s HTTP/1.1\r\nHost: 127.0.0.1:8443\r\nUser-Agent: kube-apiserver-admission\r\nContent-Length: 667\r\nAccept: application/json, */*\r\nContent-Type: application/json\r\nAccept-Encoding: gzip\r\n\r\n", 0, HTTP_POST, "/convert?timeout=30s", 1, 1, 0, 667, 0),

	/* Line endings: CRLF only (RFC 9112 2.2; lenient parsers split differently). */
	BAD("bare LF after request line", "GET / HTTP/1.1\n" H11 "\r\n", -400),
	BAD("bare LF after field", "GET / HTTP/1.1\r\nHost: a\nX: b\r\n\r\n", -400),
	BAD("bare LF as final line", "GET / HTTP/1.1\r\n" H11 "\n", -400),
	BAD("bare CR in value", "GET / HTTP/1.1\r\n" H11 "X: a\rb\r\n\r\n", -400),
	BAD("bare CR after version", "GET / HTTP/1.1\rX\r\n" H11 "\r\n", -400),
	BAD("bare CR as final line", "GET / HTTP/1.1\r\n" H11 "\rX", -400),
	BAD("leading bare LF", "\nGET / HTTP/1.1\r\n" H11 "\r\n", -400),
	BAD("leading bare CR", "\rGET / HTTP/1.1\r\n" H11 "\r\n", -400),

	/* Field syntax (RFC 9112 5). */
	BAD("NUL in value", "GET / HTTP/1.1\r\n" H11 "X: a\0b\r\n\r\n", -400),
	BAD("NUL in name", "GET / HTTP/1.1\r\n" H11 "X\0Y: a\r\n\r\n", -400),
	BAD("DEL in value", "GET / HTTP/1.1\r\n" H11 "X: a\x7f\r\n\r\n", -400),
	BAD("CTL 0x01 in value", "GET / HTTP/1.1\r\n" H11 "X: \x01\r\n\r\n", -400),
	BAD("obs-text in name", "GET / HTTP/1.1\r\n" H11 "X\xff: a\r\n\r\n", -400),
	BAD("space before colon", "GET / HTTP/1.1\r\nHost : a\r\n\r\n", -400),
	BAD("TE with space before colon", "POST / HTTP/1.1\r\n" H11 "Transfer-Encoding : chunked\r\n\r\n", -400),
	BAD("tab before colon", "GET / HTTP/1.1\r\nHost\t: a\r\n\r\n", -400),
	BAD("empty name", "GET / HTTP/1.1\r\n" H11 ": a\r\n\r\n", -400),
	BAD("no colon", "GET / HTTP/1.1\r\n" H11 "Xa\r\n\r\n", -400),
	BAD("obs-fold", "GET / HTTP/1.1\r\n" H11 "X: a\r\n b\r\n\r\n", -400),
	BAD("obs-fold with tab", "GET / HTTP/1.1\r\n" H11 "X: a\r\n\tb\r\n\r\n", -400),
	BAD("space before first field", "GET / HTTP/1.1\r\n Host: a\r\n\r\n", -400),

	/* Request line (RFC 9112 3). */
	BAD("two spaces after method", "GET  / HTTP/1.1\r\n" H11 "\r\n", -400),
	BAD("two spaces after target", "GET /  HTTP/1.1\r\n" H11 "\r\n", -400),
	BAD("no space after method", "GET/ HTTP/1.1\r\n" H11 "\r\n", -400),
	BAD("empty method", " / HTTP/1.1\r\n" H11 "\r\n", -400),
	BAD("method with non-tchar", "GE(T / HTTP/1.1\r\n" H11 "\r\n", -400),
	BAD("tab as separator", "GET\t/ HTTP/1.1\r\n" H11 "\r\n", -400),
	BAD("absolute-form target", "GET http://a/ HTTP/1.1\r\n" H11 "\r\n", -400),
	BAD("asterisk-form target", "OPTIONS * HTTP/1.1\r\n" H11 "\r\n", -400),
	BAD("authority-form target", "CONNECT a:443 HTTP/1.1\r\n" H11 "\r\n", -400),
	BAD("obs-text in target", "GET /caf\xc3\xa9 HTTP/1.1\r\n" H11 "\r\n", -400),
	BAD("tab in target", "GET /a\tb HTTP/1.1\r\n" H11 "\r\n", -400),
	BAD("NUL in target", "GET /a\0b HTTP/1.1\r\n" H11 "\r\n", -400),
	BAD("no version", "GET /\r\n" H11 "\r\n", -400),
	BAD("lowercase version", "GET / http/1.1\r\n" H11 "\r\n", -400),
	BAD("version 1.10", "GET / HTTP/1.10\r\n" H11 "\r\n", -400),
	BAD("version 11", "GET / HTTP/11\r\n" H11 "\r\n", -400),
	BAD("space after version", "GET / HTTP/1.1 \r\n" H11 "\r\n", -400),
	BAD("junk version", "GET / FOO\r\n" H11 "\r\n", -400),
	BAD("version 2.0", "GET / HTTP/2.0\r\n" H11 "\r\n", -505),
	BAD("version 0.9", "GET / HTTP/0.9\r\n" H11 "\r\n", -505),
	BAD("version 1.2", "GET / HTTP/1.2\r\n" H11 "\r\n", -505),
	BAD("version 3.1", "GET / HTTP/3.1\r\n" H11 "\r\n", -505),

	/* Host (RFC 9112 3.2). */
	BAD("1.1 without host", "GET / HTTP/1.1\r\n\r\n", -400),
	BAD("repeated host", "GET / HTTP/1.1\r\nHost: a\r\nHost: a\r\n\r\n", -400),
	BAD("host with space", "GET / HTTP/1.1\r\nHost: a b\r\n\r\n", -400),
	BAD("host with slash", "GET / HTTP/1.1\r\nHost: a/b\r\n\r\n", -400),
	BAD("host with userinfo", "GET / HTTP/1.1\r\nHost: u@a\r\n\r\n", -400),

	/* Content-Length (RFC 9112 6.3, RFC 9110 8.6). */
	BAD("length with plus", "POST / HTTP/1.1\r\n" H11 "Content-Length: +5\r\n\r\n", -400),
	BAD("length negative", "POST / HTTP/1.1\r\n" H11 "Content-Length: -1\r\n\r\n", -400),
	BAD("length list", "POST / HTTP/1.1\r\n" H11 "Content-Length: 5, 5\r\n\r\n", -400),
	BAD("length inner space", "POST / HTTP/1.1\r\n" H11 "Content-Length: 1 2\r\n\r\n", -400),
	BAD("length empty", "POST / HTTP/1.1\r\n" H11 "Content-Length:\r\n\r\n", -400),
	BAD("length hex", "POST / HTTP/1.1\r\n" H11 "Content-Length: 0x10\r\n\r\n", -400),
	BAD("length 2^53 + 1", "POST / HTTP/1.1\r\n" H11 "Content-Length: 9007199254740993\r\n\r\n", -400),
	BAD("length 2^64 overflow", "POST / HTTP/1.1\r\n" H11 "Content-Length: 18446744073709551616\r\n\r\n", -400),
	BAD("length repeated identical", "POST / HTTP/1.1\r\n" H11 "Content-Length: 5\r\nContent-Length: 5\r\n\r\n", -400),
	BAD("length repeated different", "POST / HTTP/1.1\r\n" H11 "Content-Length: 5\r\ncontent-length: 6\r\n\r\n", -400),

	/* Transfer-Encoding (RFC 9112 6.1, 6.3). */
	BAD("te gzip", "POST / HTTP/1.1\r\n" H11 "Transfer-Encoding: gzip\r\n\r\n", -501),
	BAD("te gzip, chunked", "POST / HTTP/1.1\r\n" H11 "Transfer-Encoding: gzip, chunked\r\n\r\n", -501),
	BAD("te chunked, chunked", "POST / HTTP/1.1\r\n" H11 "Transfer-Encoding: chunked, chunked\r\n\r\n", -501),
	BAD("te identity", "POST / HTTP/1.1\r\n" H11 "Transfer-Encoding: identity\r\n\r\n", -501),
	BAD("te empty", "POST / HTTP/1.1\r\n" H11 "Transfer-Encoding:\r\n\r\n", -501),
	BAD("te chunked with comma", "POST / HTTP/1.1\r\n" H11 "Transfer-Encoding: chunked,\r\n\r\n", -501),
	BAD("te repeated", "POST / HTTP/1.1\r\n" H11 "Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n", -400),
	BAD("te then length", "POST / HTTP/1.1\r\n" H11 "Transfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n", -400),
	BAD("length then te", "POST / HTTP/1.1\r\n" H11 "Content-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n", -400),
	BAD("te gzip with length is 400", "POST / HTTP/1.1\r\n" H11 "Content-Length: 5\r\nTransfer-Encoding: gzip\r\n\r\n", -400),
	BAD("te in 1.0", "POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n", -400),
};

/* Checks the fields of a valid parse against the case. */
static const char *
check_fields(const struct parse_case *tc, const char *in,
    const struct http_request *req)
{
	size_t tlen = strlen(tc->target);
	const char *q = strchr(tc->target, '?');
	size_t off = (size_t)(strstr(tc->in, tc->target) - tc->in);

	if (req->method != tc->method)
		return "method";
	if (req->target != in + off ||
	    req->target_len != tlen || memcmp(req->target, tc->target, tlen))
		return "target";
	if (req->path_len != (q ? (size_t)(q - tc->target) : tlen))
		return "path_len";
	if (req->minor != tc->minor)
		return "minor";
	if (req->keep_alive != tc->keep_alive)
		return "keep_alive";
	if (req->chunked != tc->chunked)
		return "chunked";
	if (req->has_length != (tc->length != NOLEN) ||
	    (tc->length != NOLEN && req->content_length != (uint64_t)tc->length))
		return "content_length";
	if (req->expect_continue != tc->expect)
		return "expect_continue";
	return NULL;
}

/*
 * Runs one parser case: the whole input, then every strict prefix, which
 * must be HTTP_INCOMPLETE for a valid head and HTTP_INCOMPLETE or the same
 * error for a bad one (a prefix may prove the error early, never another).
 */
static const char *
run_parse(const char *in, size_t len, int want, struct http_request *req)
{
	size_t k, limit = want > 0 ? (size_t)want : len;
	int rc = http_parse_request(guarded(in, len), len, req);

	if (rc != want)
		return "return value";
	for (k = 0; k < limit; k++) {
		rc = http_parse_request(guarded(in, k), k, req);
		if (rc != HTTP_INCOMPLETE && (want > 0 || rc != want))
			return "prefix";
	}
	return NULL;
}

static void
test_parse_table(void)
{
	const struct parse_case *tc;
	struct http_request req;
	const char *why;
	size_t i;
	int want;

	for (i = 0; i < sizeof(parse_cases) / sizeof(parse_cases[0]); i++) {
		tc = &parse_cases[i];
		want = tc->err ? tc->err : (int)(tc->len - tc->tail);
		why = run_parse(tc->in, tc->len, want, &req);
		if (why == NULL && tc->err == 0) {
			http_parse_request(guarded(tc->in, tc->len), tc->len, &req);
			why = check_fields(tc, guard_end - tc->len, &req);
		}
		report("parse", tc->name, why == NULL, why);
	}
}

/* Builds a head of exactly len bytes: request line, Host, X: padding, CRLF. */
static size_t
build_head(char *b, size_t len)
{
	static const char start[] = "GET / HTTP/1.1\r\nHost: a\r\nX: ";

	memcpy(b, start, sizeof(start) - 1);
	memset(b + sizeof(start) - 1, 'x', len - (sizeof(start) - 1) - 4);
	memcpy(b + len - 4, "\r\n\r\n", 4);
	return len;
}

/* Builds a head with n fields "F<i>: v". */
static size_t
build_fields(char *b, int n)
{
	size_t len = (size_t)sprintf(b, "GET / HTTP/1.1\r\nHost: a\r\n");
	int i;

	for (i = 1; i < n; i++)
		len += (size_t)sprintf(b + len, "F%d: v\r\n", i);
	return len + (size_t)sprintf(b + len, "\r\n");
}

#define REQ1	"GET / HTTP/1.1\r\nHost: h\r\n\r\n"

/* The limit cases: field count, head size, leading empty lines. */
static void
test_parse_limits(void)
{
	static char b[BIG_LEN];
	struct http_request req;
	const char *why;
	size_t n, i;

	n = build_fields(b, HTTP_MAX_HEADERS);
	why = run_parse(b, n, (int)n, &req);
	report("limits", "64 fields", why == NULL, why);
	n = build_fields(b, HTTP_MAX_HEADERS + 1);
	why = run_parse(b, n, -431, &req);
	report("limits", "65 fields", why == NULL, why);

	n = build_head(b, HTTP_MAX_HEADER_BYTES);
	why = run_parse(b, n, (int)n, &req);
	report("limits", "head of exactly the limit", why == NULL, why);
	n = build_head(b, HTTP_MAX_HEADER_BYTES + 1);
	why = run_parse(b, n, -431, &req);
	report("limits", "head one byte over the limit", why == NULL, why);

	n = build_head(b, HTTP_MAX_HEADER_BYTES + 4);
	why = http_parse_request(guarded(b, HTTP_MAX_HEADER_BYTES),
	    HTTP_MAX_HEADER_BYTES, &req) == HTTP_INCOMPLETE &&
	    http_parse_request(guarded(b, HTTP_MAX_HEADER_BYTES + 1),
	    HTTP_MAX_HEADER_BYTES + 1, &req) == -431 ? NULL : "431 boundary";
	report("limits", "431 as soon as len exceeds the limit", why == NULL, why);

	n = build_head(b, 100);
	memset(b + n, 'B', sizeof(b) - n);
	why = http_parse_request(guarded(b, sizeof(b)), sizeof(b), &req) ==
	    100 && req.header_len == 100 ? NULL : "header_len";
	report("limits", "small head, long body after it", why == NULL, why);

	for (i = 0; i + 1 < sizeof(b); i += 2)
		memcpy(b + i, "\r\n", 2);
	why = run_parse(b, HTTP_MAX_HEADER_BYTES + 2, -400, &req);
	report("limits", "flood of empty lines: 400 at the one past HTTP_MAX_EMPTY_LINES",
	    why == NULL, why);
	/* Exactly HTTP_MAX_EMPTY_LINES before a request line: read. */
	for (i = 0, n = 0; i < HTTP_MAX_EMPTY_LINES; i++, n += 2)
		memcpy(b + n, "\r\n", 2);
	memcpy(b + n, REQ1, sizeof(REQ1) - 1);
	n += sizeof(REQ1) - 1;
	why = run_parse(b, n, (int)n, &req);
	report("limits", "HTTP_MAX_EMPTY_LINES empty lines, then a request", why == NULL, why);
	memmove(b + 2, b, n);
	memcpy(b, "\r\n", 2);
	why = run_parse(b, n + 2, -400, &req);
	report("limits", "one empty line more: 400", why == NULL, why);
}

/*
 * Chunked cases. want is the decoder's final return (bytes after the
 * message, or an error, or HTTP_INCOMPLETE); out the decoded data.
 */
struct chunk_case {
	const char	*name;
	const char	*in;
	size_t		 len;
	uint64_t	 max_body;
	int		 want;
	const char	*out;
	size_t		 out_len;
};

#define MAXB	(1024 * 1024)
#define CH(name, in, max, want, out) \
	{ name, in, sizeof(in) - 1, max, want, out, sizeof(out) - 1 }

static const struct chunk_case chunk_cases[] = {
	CH("one chunk", "5\r\nhello\r\n0\r\n\r\n", MAXB, 0, "hello"),
	CH("two chunks", "5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n", MAXB, 0, "hello world"),
	CH("empty body", "0\r\n\r\n", MAXB, 0, ""),
	CH("hex upper", "A\r\n0123456789\r\n0\r\n\r\n", MAXB, 0, "0123456789"),
	CH("hex lower", "a\r\n0123456789\r\n0\r\n\r\n", MAXB, 0, "0123456789"),
	CH("hex mixed two digits", "1a\r\nabcdefghijklmnopqrstuvwxyz\r\n0\r\n\r\n", MAXB, 0, "abcdefghijklmnopqrstuvwxyz"),
	CH("leading zeros", "0005\r\nhello\r\n000\r\n\r\n", MAXB, 0, "hello"),
	CH("16 digits", "0000000000000005\r\nhello\r\n0\r\n\r\n", MAXB, 0, "hello"),
	CH("data that looks like framing", "5\r\n0\r\n\r\n\r\n0\r\n\r\n", MAXB, 0, "0\r\n\r\n"),
	CH("data with NUL and LF", "3\r\na\0\n\r\n0\r\n\r\n", MAXB, 0, "a\0\n"),
	CH("many one-byte chunks", "1\r\na\r\n1\r\nb\r\n1\r\nc\r\n0\r\n\r\n", MAXB, 0, "abc"),
	CH("extension ignored", "5;name=value\r\nhello\r\n0;x\r\n\r\n", MAXB, 0, "hello"),
	CH("quoted extension", "5;a=\"b c;d\"\r\nhello\r\n0\r\n\r\n", MAXB, 0, "hello"),
	CH("trailer", "5\r\nhello\r\n0\r\nX-Sum: abc\r\n\r\n", MAXB, 0, "hello"),
	CH("two trailers", "5\r\nhello\r\n0\r\nA: 1\r\nB:\r\n\r\n", MAXB, 0, "hello"),
	CH("pipelined request after", "5\r\nhello\r\n0\r\n\r\nGET / HTTP/1.1\r\n", MAXB, 16, "hello"),
	CH("max_body exact", "5\r\nhello\r\n0\r\n\r\n", 5, 0, "hello"),
	CH("max_body 0, empty body", "0\r\n\r\n", 0, 0, ""),
	CH("no last chunk yet", "5\r\nhello\r\n", MAXB, HTTP_INCOMPLETE, "hello"),
	CH("no final CRLF yet", "5\r\nhello\r\n0\r\n", MAXB, HTTP_INCOMPLETE, "hello"),
	CH("inside a trailer", "0\r\nX: a", MAXB, HTTP_INCOMPLETE, ""),
	CH("17 digits", "00000000000000005\r\nhello\r\n0\r\n\r\n", MAXB, -400, ""),
	CH("17 digits overflow", "10000000000000000\r\nx\r\n0\r\n\r\n", MAXB, -400, ""),
	CH("max size is 413", "FFFFFFFFFFFFFFFF\r\nx\r\n0\r\n\r\n", MAXB, -413, ""),
	CH("over max_body in one chunk", "6\r\nhello!\r\n0\r\n\r\n", 5, -413, ""),
	CH("over max_body in total", "5\r\nhello\r\n1\r\n!\r\n0\r\n\r\n", 5, -413, ""),
	CH("empty size", "\r\nhello\r\n0\r\n\r\n", MAXB, -400, ""),
	CH("non-hex size", "g\r\nhello\r\n0\r\n\r\n", MAXB, -400, ""),
	CH("signed size", "+5\r\nhello\r\n0\r\n\r\n", MAXB, -400, ""),
	CH("0x prefix", "0x5\r\nhello\r\n0\r\n\r\n", MAXB, -400, ""),
	CH("space after size", "5 \r\nhello\r\n0\r\n\r\n", MAXB, -400, ""),
	CH("extension without size", ";a\r\nhello\r\n0\r\n\r\n", MAXB, -400, ""),
	CH("bare LF after size", "5\nhello\r\n0\r\n\r\n", MAXB, -400, ""),
	CH("bare CR after size", "5\rhello\r\n0\r\n\r\n", MAXB, -400, ""),
	CH("bare LF in extension", "5;a\nb\r\nhello\r\n0\r\n\r\n", MAXB, -400, ""),
	CH("data too long", "5\r\nhelloX\r\n0\r\n\r\n", MAXB, -400, ""),
	CH("junk instead of CR after data", "5\r\nhelloX\n0\r\n\r\n", MAXB, -400, ""),
	CH("junk instead of LF after data", "5\r\nhello\rX0\r\n\r\n", MAXB, -400, ""),
	CH("trailer CR then junk", "0\r\nX: a\rY\r\n\r\n", MAXB, -400, ""),
	CH("bare LF after data", "5\r\nhello\n0\r\n\r\n", MAXB, -400, ""),
	CH("no CRLF after data", "5\r\nhello0\r\n\r\n", MAXB, -400, ""),
	CH("trailer obs-fold", "0\r\nX: a\r\n b\r\n\r\n", MAXB, -400, ""),
	CH("trailer no colon", "0\r\nXa\r\n\r\n", MAXB, -400, ""),
	CH("trailer space before colon", "0\r\nX : a\r\n\r\n", MAXB, -400, ""),
	CH("trailer empty name", "0\r\n: a\r\n\r\n", MAXB, -400, ""),
	CH("trailer bare LF", "0\r\nX: a\n\r\n", MAXB, -400, ""),
	CH("trailer NUL", "0\r\nX: a\0\r\n\r\n", MAXB, -400, ""),
	CH("final bare LF", "0\r\n\n", MAXB, -400, ""),
	CH("final CR then junk", "0\r\n\rX", MAXB, -400, ""),
};

/* Compares a decode result with the case; NULL when they agree. */
static const char *
chunk_verdict(const struct chunk_case *tc, int rc, const char *out,
    size_t out_len)
{
	if (rc != tc->want)
		return "return value";
	if (rc >= 0 || rc == HTTP_INCOMPLETE)
		if (out_len != tc->out_len || memcmp(out, tc->out, out_len))
			return "decoded data";
	return NULL;
}

/* Feeds in[0..len) in pieces of at most step bytes, each at the guard. */
static const char *
chunk_feed(const struct chunk_case *tc, size_t step, size_t split)
{
	static char out[4096];
	struct http_chunked c;
	size_t pos = 0, have = 0, n, piece;
	char *p;
	int rc = HTTP_INCOMPLETE;

	http_chunked_init(&c, tc->max_body);
	while (pos < tc->len && rc == HTTP_INCOMPLETE) {
		piece = split ? (pos < split ? split : tc->len - pos) : step;
		if (piece > tc->len - pos)
			piece = tc->len - pos;
		p = guarded(tc->in + pos, piece);
		n = piece;
		rc = http_chunked_decode(&c, p, &n);
		memcpy(out + have, p, n);
		have += n;
		pos += piece;
		if (rc >= 0 && memcmp(p + n, tc->in + pos - rc, (size_t)rc))
			return "bytes after the message";
		if (rc >= 0)
			rc += (int)(tc->len - pos);
	}
	return chunk_verdict(tc, rc, out, have);
}

/*
 * Runs each chunked case all at once, byte by byte, and split in two at
 * every offset: the same result every way, the incremental contract.
 */
static void
test_chunked(void)
{
	const struct chunk_case *tc;
	const char *why;
	size_t i, k;

	for (i = 0; i < sizeof(chunk_cases) / sizeof(chunk_cases[0]); i++) {
		tc = &chunk_cases[i];
		why = chunk_feed(tc, tc->len, 0);
		if (why == NULL && (why = chunk_feed(tc, 1, 0)) != NULL)
			why = "byte by byte differs";
		for (k = 1; why == NULL && k < tc->len; k++)
			if (chunk_feed(tc, 0, k) != NULL)
				why = "split in two differs";
		report("chunked", tc->name, why == NULL, why);
	}
}

/* The documented caller loop: one body buffer, raw bytes read after it. */
static void
test_chunked_loop(void)
{
	static const char raw[] = "4\r\nwiki\r\n5;x=y\r\npedia\r\nE\r\n in\r\n\r\nchunks.\r\n0\r\nT: v\r\n\r\nNEXT";
	char body[sizeof(raw)];
	struct http_chunked c;
	size_t have = 0, pos = 0, n;
	int rc = HTTP_INCOMPLETE;

	http_chunked_init(&c, MAXB);
	while (rc == HTTP_INCOMPLETE && pos < sizeof(raw) - 1) {
		n = sizeof(raw) - 1 - pos < 3 ? sizeof(raw) - 1 - pos : 3;
		memcpy(body + have, raw + pos, n);	/* "read" 3 bytes */
		pos += n;
		rc = http_chunked_decode(&c, body + have, &n);
		have += n;
	}
	/* rc bytes of "NEXT" came with the last read, the rest was not read */
	report("chunked", "caller loop in one buffer", rc >= 0 &&
	    (size_t)rc + (sizeof(raw) - 1 - pos) == 4 &&
	    memcmp(body + have, "NEXT", (size_t)rc) == 0 && have == 23 &&
	    memcmp(body, "wikipedia in\r\n\r\nchunks.", 23) == 0,
	    "decoded body");
	n = 3;
	rc = http_chunked_decode(&c, body, &n);
	report("chunked", "call after the end", rc == 3 && n == 0, "return");
}

/* Generated chunked limits: extension and trailer lengths. */
static void
test_chunked_limits(void)
{
	static char b[HTTP_MAX_TRAILER_BYTES + 64];
	struct chunk_case tc = { "", b, 0, MAXB, 0, "", 0 };
	const char *why;
	size_t n;

	n = (size_t)sprintf(b, "0;");
	memset(b + n, 'e', HTTP_MAX_CHUNK_EXT - 1);
	n += HTTP_MAX_CHUNK_EXT - 1;
	tc.len = n + (size_t)sprintf(b + n, "\r\n\r\n");
	tc.want = 0;
	why = chunk_feed(&tc, tc.len, 0);
	report("chunked", "extension at the limit", why == NULL, why);
	memmove(b + n + 1, b + n, 4);
	b[n] = 'e';
	tc.len++;
	tc.want = -400;
	why = chunk_feed(&tc, tc.len, 0);
	report("chunked", "extension over the limit", why == NULL, why);

	n = (size_t)sprintf(b, "0\r\nX: ");
	memset(b + n, 'v', HTTP_MAX_TRAILER_BYTES - 7);
	n += HTTP_MAX_TRAILER_BYTES - 7;
	tc.len = n + (size_t)sprintf(b + n, "\r\n\r\n");
	tc.want = 0;
	why = chunk_feed(&tc, tc.len, 0);
	report("chunked", "trailers at the limit", why == NULL, why);
	memmove(b + n + 1, b + n, 4);
	b[n] = 'v';
	tc.len++;
	tc.want = -400;
	why = chunk_feed(&tc, tc.len, 0);
	report("chunked", "trailers over the limit", why == NULL, why);
}

/* Response head cases: arguments and the exact bytes expected. */
struct resp_case {
	const char	*name;
	int		 status, minor, close;
	const char	*ctype;
	size_t		 clen;
	const char	*extra;
	const char	*want;
};

#define JSON	"application/json"

static const struct resp_case resp_cases[] = {
	{ "200 keep-alive 1.1", 200, 1, 0, JSON, 12, NULL, "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 12\r\n\r\n" },
	{ "200 close 1.1", 200, 1, 1, JSON, 0, NULL, "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 0\r\nConnection: close\r\n\r\n" },
	{ "200 keep-alive 1.0", 200, 0, 0, JSON, 5, NULL, "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 5\r\nConnection: keep-alive\r\n\r\n" },
	{ "200 close 1.0", 200, 0, 1, JSON, 5, NULL, "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 5\r\nConnection: close\r\n\r\n" },
	{ "405 with Allow", 405, 1, 0, "text/plain", 19, "Allow: POST\r\n", "HTTP/1.1 405 Method Not Allowed\r\nContent-Type: text/plain\r\nContent-Length: 19\r\nAllow: POST\r\n\r\n" },
	{ "413 no content type", 413, 1, 1, NULL, 0, NULL, "HTTP/1.1 413 Content Too Large\r\nContent-Length: 0\r\nConnection: close\r\n\r\n" },
	{ "431", 431, 1, 1, NULL, 0, NULL, "HTTP/1.1 431 Request Header Fields Too Large\r\nContent-Length: 0\r\nConnection: close\r\n\r\n" },
	{ "505 to 1.0", 505, 0, 1, NULL, 0, NULL, "HTTP/1.1 505 HTTP Version Not Supported\r\nContent-Length: 0\r\nConnection: close\r\n\r\n" },
	{ "100 continue", 100, 1, 0, JSON, 99, NULL, "HTTP/1.1 100 Continue\r\n\r\n" },
	{ "unknown status", 299, 1, 0, NULL, 1, NULL, "HTTP/1.1 299 Unknown\r\nContent-Length: 1\r\n\r\n" },
	{ "status out of range", 42, 1, 1, NULL, 0, NULL, "HTTP/1.1 500 Internal Server Error\r\nContent-Length: 0\r\nConnection: close\r\n\r\n" },
	{ "large length", 200, 1, 0, NULL, 3145728, NULL, "HTTP/1.1 200 OK\r\nContent-Length: 3145728\r\n\r\n" },
};

static void
test_response(void)
{
	static const int codes[] = { 100, 200, 400, 404, 405, 408, 411, 413,
	    431, 500, 501, 503, 505 };
	const struct resp_case *tc;
	char out[512];
	struct buf b;
	size_t i;

	for (i = 0; i < sizeof(resp_cases) / sizeof(resp_cases[0]); i++) {
		tc = &resp_cases[i];
		buf_init(&b, out, sizeof(out));
		http_response_head(&b, tc->status, tc->minor, tc->close,
		    tc->ctype, tc->clen, tc->extra);
		report("response", tc->name, !b.overflow &&
		    b.len == strlen(tc->want) && memcmp(out, tc->want, b.len) == 0,
		    "bytes");
	}
	buf_init(&b, out, 20);
	http_response_head(&b, 200, 1, 0, JSON, 1, NULL);
	report("response", "overflow is sticky", b.overflow == 1 && b.len <= 20,
	    "overflow");
	for (i = 0; i < sizeof(codes) / sizeof(codes[0]); i++)
		report("reason", http_reason(codes[i]),
		    strcmp(http_reason(codes[i]), "Unknown") != 0, "missing");
}

int
main(void)
{
	guard_setup();
	test_parse_table();
	test_parse_limits();
	test_chunked();
	test_chunked_loop();
	test_chunked_limits();
	test_response();
	printf("http: %d passed, %d failed\n", passed, failed);
	return failed != 0;
}
