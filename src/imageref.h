/*
 * imageref.h: a container image reference split the way container runtimes
 * read it (distribution/reference): [host[:port]/]path[:tag][@digest].
 * "nginx" is docker.io/library/nginx, and so are "library/nginx" and
 * "docker.io/nginx";
 * "localhost:5000/x" and "registry.example.com/x" name their registry, and
 * index.docker.io is docker.io.
 *
 * Errors: a reference that cannot be read (odd characters, uppercase path,
 * empty parts) has valid == 0; rules treat it as a violation, never a pass.
 */
#ifndef TINYHOOK_IMAGEREF_H
#define TINYHOOK_IMAGEREF_H

#include <stddef.h>
#include "buf.h"

struct imageref {
	const char	*host, *path, *tag;	/* into the parsed string */
	size_t		 hostn, pathn, tagn;
	int		 implicit_host;		/* no registry part: docker.io */
	int		 digest;		/* pinned with @sha256:... */
	int		 valid;
};

/* Splits s[0, n) (unescaped; it must outlive im). */
void	imageref_parse(struct imageref *im, const char *s, size_t n);

/*
 * Writes the normalized name: host (docker.io when implicit, also for
 * index.docker.io), "/", "library/" for official images, path.
 */
void	imageref_name(const struct imageref *im, struct buf *b);

/*
 * True when normalized name s[0, n) is under entry e: e is a prefix that
 * ends at a path boundary ("registry.example.com/" or "docker.io/library"
 * but not "registry.example.com" for "registry.example.com.evil.io/x").
 */
int	imageref_under(const char *s, size_t n, const char *e);

#endif
