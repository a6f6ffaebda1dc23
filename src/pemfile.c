/*
 * pemfile.c: reading PEM files (see pemfile.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <bearssl.h>

#include "pemfile.h"

/*
 * Reads a whole file of at most TLS_MAX_FILE_BYTES into a malloc'd buffer.
 * Returns it with *len set, or NULL with a reason in err.
 */
unsigned char *
pemfile_read(const char *path, size_t *len, char *err, size_t errlen)
{
	unsigned char *p;
	struct stat st;
	ssize_t n;
	size_t got = 0;
	int fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return NULL;
	}
	if (fstat(fd, &st) < 0 || st.st_size > TLS_MAX_FILE_BYTES ||
	    (p = malloc((size_t)st.st_size + 1)) == NULL) {
		snprintf(err, errlen, "%s: unreadable or larger than %d bytes",
		    path, TLS_MAX_FILE_BYTES);
		close(fd);
		return NULL;
	}
	while (got < (size_t)st.st_size &&
	    (n = read(fd, p + got, (size_t)st.st_size - got)) > 0)
		got += (size_t)n;
	close(fd);
	*len = got;
	return p;
}

/* Callback for the PEM decoder: appends decoded bytes to a bounded buffer. */
struct pemfile_der {
	unsigned char	*p;
	size_t		 len, cap;
	int		 overflow;
};

static void
pemfile_der_append(void *ctx, const void *data, size_t len)
{
	struct pemfile_der *d = ctx;

	if (d->overflow || len > d->cap - d->len) {
		d->overflow = 1;
		return;
	}
	memcpy(d->p + d->len, data, len);
	d->len += len;
}

/*
 * Calls fn(arg, name, der, len) for each PEM object in pem[0..len).
 * Returns the number of objects, or -1 on a malformed PEM file.
 */
int
pemfile_each(const unsigned char *pem, size_t len,
    int (*fn)(void *, const char *, const unsigned char *, size_t), void *arg)
{
	br_pem_decoder_context pc;
	struct pemfile_der der;
	unsigned char *buf;
	char name[128];
	int n = 0, inobj = 0, eol = 0;

	if ((buf = malloc(len + 1)) == NULL)
		return -1;
	br_pem_decoder_init(&pc);
	while (len > 0 || !eol) {
		if (len == 0) {
			/* The END line needs its newline; files may lack one. */
			pem = (const unsigned char *)"\n";
			len = 1;
			eol = 1;
		}
		size_t k = br_pem_decoder_push(&pc, pem, len);

		pem += k;
		len -= k;
		switch (br_pem_decoder_event(&pc)) {
		case BR_PEM_BEGIN_OBJ:
			snprintf(name, sizeof(name), "%s", br_pem_decoder_name(&pc));
			der = (struct pemfile_der){ buf, 0, len + 1, 0 };
			br_pem_decoder_setdest(&pc, pemfile_der_append, &der);
			inobj = 1;
			break;
		case BR_PEM_END_OBJ:
			if (!inobj || der.overflow || fn(arg, name, der.p, der.len) < 0)
				goto fail;
			inobj = 0;
			n++;
			break;
		case BR_PEM_ERROR:
			goto fail;
		}
	}
	free(buf);
	return inobj ? -1 : n;
fail:
	free(buf);
	return -1;
}

/* Reads the stat signature of path (following symlinks, as open does). */
void
pemfile_sig(const char *path, struct pemfile_sig *s)
{
	struct stat st;

	memset(s, 0, sizeof(*s));
	if (stat(path, &st) == 0) {
		s->dev = st.st_dev;
		s->ino = st.st_ino;
		s->size = st.st_size;
		s->mtime = st.st_mtim;
	}
}
