/*
 * slurp.h: reading a payload file whole, for the callgrind drivers (outside
 * the measured loop, so plain stdio and malloc are fine).
 */
#ifndef TINYHOOK_BENCH_SLURP_H
#define TINYHOOK_BENCH_SLURP_H

#include <stdio.h>
#include <stdlib.h>

/* Reads all of path into a malloc'd buffer; returns NULL on failure. */
static char *
slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *p = NULL;
	long n;

	if (f == NULL || fseek(f, 0, SEEK_END) != 0 || (n = ftell(f)) < 0 ||
	    fseek(f, 0, SEEK_SET) != 0 || (p = malloc((size_t)n + 1)) == NULL ||
	    fread(p, 1, (size_t)n, f) != (size_t)n) {
		free(p);
		p = NULL;
	} else
		*len = (size_t)n;
	if (f != NULL)
		fclose(f);
	return p;
}

#endif
