/*
 * check.h: the case counter every unit test shares. check() records one
 * case and prints a failure with its detail; the test's main() ends with
 * printf("name: %d passed, %d failed\n", passed, failed), the line
 * test/run.sh reads.
 */
#ifndef TINYHOOK_CHECK_H
#define TINYHOOK_CHECK_H

#include <stdio.h>

static int passed, failed;

static void
check(int ok, const char *what, const char *detail)
{
	if (ok)
		passed++;
	else {
		failed++;
		printf("FAIL %s: %s\n", what, detail);
	}
}

#endif
