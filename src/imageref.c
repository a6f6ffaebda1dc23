/*
 * imageref.c: the image reference grammar (see imageref.h).
 */
#include <string.h>
#include <strings.h>

#include "imageref.h"

/* True when c may appear in an image reference (name, tag, digest). */
static int
imageref_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || strchr("._-/:@+[]", c) != NULL;
}

/*
 * True when the first path component s[0, n) names a registry host: it has
 * a '.' or ':' or is "localhost" or has uppercase letters (repository paths
 * cannot). This is how docker and containerd tell "registry.example.com/x"
 * from "library/x" (distribution/reference's splitDockerDomain). An IPv6
 * host is bracketed: "[fd00::1]:5000".
 */
static int
imageref_is_host(const char *s, size_t n)
{
	size_t i;

	if (n == 9 && memcmp(s, "localhost", 9) == 0)
		return 1;
	for (i = 0; i < n; i++)
		if (s[i] == '.' || s[i] == ':' || (s[i] >= 'A' && s[i] <= 'Z'))
			return 1;
	return 0;
}

/* Splits name[:tag] (after the host) into path and tag; checks the path. */
static void
imageref_path(struct imageref *im, const char *s, size_t n)
{
	const char *colon = memchr(s, ':', n);
	size_t i;

	im->path = s;
	im->pathn = colon != NULL ? (size_t)(colon - s) : n;
	if (colon != NULL) {
		im->tag = colon + 1;
		im->tagn = n - im->pathn - 1;
		if (im->tagn == 0 || memchr(im->tag, ':', im->tagn) != NULL ||
		    memchr(im->tag, '/', im->tagn) != NULL)
			return;
	}
	if (im->pathn == 0 || s[0] == '/' || s[im->pathn - 1] == '/')
		return;
	for (i = 0; i < n; i++)		/* brackets belong to an IPv6 host only */
		if ((i < im->pathn && s[i] >= 'A' && s[i] <= 'Z') || s[i] == '[' || s[i] == ']')
			return;
	im->valid = 1;
}

/* A host with brackets is "[v6]" or "[v6]:port", and only then. */
static int
imageref_host_ok(const char *s, size_t n)
{
	const char *close = memchr(s, ']', n);

	if (memchr(s, '[', n) == NULL && close == NULL)
		return 1;
	return s[0] == '[' && close != NULL && close > s + 1 &&
	    memchr(s + 1, '[', n - 1) == NULL &&
	    (close + 1 == s + n || close[1] == ':');
}

void
imageref_parse(struct imageref *im, const char *s, size_t n)
{
	const char *at, *slash;
	size_t i;

	memset(im, 0, sizeof(*im));
	if (n == 0)
		return;
	for (i = 0; i < n; i++)
		if (!imageref_char(s[i]))
			return;
	if ((at = memchr(s, '@', n)) != NULL) {
		im->digest = 1;
		if (at + 1 == s + n || memchr(at + 1, '@', (size_t)(s + n - at - 1)))
			return;
		n = (size_t)(at - s);
	}
	slash = memchr(s, '/', n);
	if (slash != NULL && imageref_is_host(s, (size_t)(slash - s))) {
		if (!imageref_host_ok(s, (size_t)(slash - s)))
			return;
		im->host = s;
		im->hostn = (size_t)(slash - s);
		imageref_path(im, slash + 1, (size_t)(s + n - slash - 1));
	} else {
		im->host = "docker.io";
		im->hostn = 9;
		im->implicit_host = 1;
		imageref_path(im, s, n);
	}
}

void
imageref_name(const struct imageref *im, struct buf *b)
{
	int hub = im->implicit_host ||
	    (im->hostn == 9 && strncasecmp(im->host, "docker.io", 9) == 0) ||
	    (im->hostn == 15 && strncasecmp(im->host, "index.docker.io", 15) == 0);

	if (hub)
		buf_puts(b, "docker.io");
	else
		buf_put(b, im->host, im->hostn);
	buf_putc(b, '/');
	/* Docker Hub's official images: "nginx" and "docker.io/nginx" alike. */
	if (hub && memchr(im->path, '/', im->pathn) == NULL)
		buf_puts(b, "library/");
	buf_put(b, im->path, im->pathn);
}

/* Hosts compare without case; valid paths are lowercase anyway. */
int
imageref_under(const char *s, size_t n, const char *e)
{
	size_t k = strlen(e);

	if (k == 0 || k > n || strncasecmp(s, e, k) != 0)
		return 0;
	return e[k - 1] == '/' || k == n || s[k] == '/';
}
