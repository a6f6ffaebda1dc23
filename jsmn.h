/*
 * jsmn.h: jsmn configured for tinyhook.
 *
 * The tokenizer itself is Debian's libjsmn-dev (1.1.0) header; the Makefile
 * copies /usr/include/jsmn.h to build/inc/jsmn/jsmn.h so the musl build (whose
 * sysroot does not search /usr/include) sees it too. Nothing of jsmn is kept
 * in this repository.
 *
 * JSMN_STATIC        the implementation is private to the one file that
 *                    includes this header (src/json.c);
 * JSMN_PARENT_LINKS  every token knows its parent, so skipping a subtree and
 *                    walking back up is O(1) per token;
 * JSMN_STRICT        primitives must be true/false/null/numbers, keys must be
 *                    strings. Strict mode still accepts some invalid JSON
 *                    (e.g. trailing garbage after the top value), so src/json.c
 *                    checks structure itself where it matters.
 * JSMN_MAX_DEPTH     containers nested deeper are refused while tokenizing
 *                    (JSMN_ERROR_DEPTH).
 *
 * patches/jsmn-linear.patch, applied by the Makefile to the copy, makes the
 * tokenizer linear: upstream closes a container by walking up from the last
 * token, as long as the depth, so N nested brackets cost O(N^2) (100k took
 * 12 s); it also adds the depth limit above.
 */
#ifndef TINYHOOK_JSMN_H
#define TINYHOOK_JSMN_H

#define JSMN_STATIC
#define JSMN_PARENT_LINKS
#define JSMN_STRICT
#include "limit.h"
#define JSMN_MAX_DEPTH JSON_MAX_DEPTH
#include <jsmn/jsmn.h>

#endif
