/*
 * fuzz_known.h: reported-but-unfixed bugs a fuzz run may step over.
 *
 * A property violation that is already reported would otherwise stop
 * every fuzz run at its first occurrence and hide everything behind it.
 * test/fuzz/run.sh sets FUZZ_KNOWN (comma-separated tags, from
 * test/fuzz/known) while fuzzing; the regression replay never sets it, so
 * the kept input in test/regress/ fails until the bug is fixed. Remove
 * the tag from test/fuzz/known with the fix.
 */
#ifndef FUZZ_KNOWN_H
#define FUZZ_KNOWN_H

#include <stdlib.h>
#include <string.h>

/* True when tag is listed in $FUZZ_KNOWN. */
static inline int
fuzz_known(const char *tag)
{
	const char *k = getenv("FUZZ_KNOWN"), *p;
	size_t n = strlen(tag);

	for (p = k; p != NULL && *p != '\0'; p += strcspn(p, ",")) {
		p += strspn(p, ",");
		if (strncmp(p, tag, n) == 0 && (p[n] == ',' || p[n] == '\0'))
			return 1;
	}
	return 0;
}

#endif
