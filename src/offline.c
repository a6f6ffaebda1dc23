/*
 * offline.c: `tinyhook review` and `tinyhook manifests`, the offline uses of
 * the same binary. Not on the request path: it may allocate.
 */
#include <stdio.h>

#include "review.h"

int
review_cli(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	fprintf(stderr, "tinyhook review: not implemented yet\n");
	return 2;
}

int
manifests_cli(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	fprintf(stderr, "tinyhook manifests: not implemented yet\n");
	return 2;
}
