/*
 * pemfile.h: PEM files for the TLS layer, at the bottom of it: tls.c (the
 * serving certificate and key) and auth.c (client CAs) both read theirs here,
 * and neither includes the other for it.
 *
 * Errors: NULL or -1, with a reason naming the file where there is one.
 */
#ifndef TINYHOOK_PEMFILE_H
#define TINYHOOK_PEMFILE_H

#include <stddef.h>
#include <sys/types.h>
#include <time.h>
#include "limit.h"

/*
 * The files both the serving pair (tls.c) and the client CAs (auth.c) read. pemfile_read() reads a whole file of at
 * most TLS_MAX_FILE_BYTES (malloc'd; NULL with a reason naming the file in
 * err). pemfile_each() calls fn(arg, name, der, len) for each PEM object
 * and returns their number, or -1 when the PEM is malformed or fn failed.
 * pemfile_sig() reads the stat signature that tells a changed file (a
 * missing file reads as zeros).
 */
struct pemfile_sig {
	dev_t		dev;
	ino_t		ino;
	off_t		size;
	struct timespec	mtime;
};

unsigned char *pemfile_read(const char *path, size_t *len, char *err, size_t errlen);
int	pemfile_each(const unsigned char *pem, size_t len,
	    int (*fn)(void *, const char *, const unsigned char *, size_t), void *arg);
void	pemfile_sig(const char *path, struct pemfile_sig *s);

#endif
