/*
 * jsmn.h: jsmn configured for tinyhook.
 *
 * The tokenizer itself is Debian's libjsmn-dev (1.1.0) header; the Makefile
 * copies /usr/include/jsmn.h to build/inc/jsmn/jsmn.h so the musl build (whose
 * sysroot does not search /usr/include) sees it too. Nothing of jsmn is kept
 * in this repository.
 *
 * JSMN_STATIC        the implementation is private to the one file that
 *                    includes this header without JSMN_HEADER (src/json.c;
 *                    the other json*.c files see the declarations only);
 * JSMN_PARENT_LINKS  every token knows its parent, so skipping a subtree and
 *                    walking back up is O(1) per token;
 * JSMN_STRICT        primitives must be true/false/null/numbers, keys must be
 *                    strings; with patches/jsmn-grammar.patch also the RFC 8259
 *                    grammar between tokens, no raw control bytes in strings,
 *                    nothing after the top value. Only a primitive's first
 *                    byte is looked at: src/json.c checks literals and numbers.
 * JSMN_MAX_DEPTH     containers nested deeper are refused while tokenizing
 *                    (JSMN_ERROR_DEPTH).
 *
 * Our patches, applied by the Makefile to the copy in order:
 * patches/jsmn-linear.patch makes the tokenizer linear: upstream closes a
 * container by walking up from the last token, as long as the depth, so N
 * nested brackets cost O(N^2) (100k took 12 s); it also adds the depth limit
 * above. patches/jsmn-strings.patch skips plain string bytes sixteen at a
 * time with SSE2, eight elsewhere (strings are most of an object's bytes). patches/jsmn-grammar.patch makes
 * strict mode check the grammar between tokens (a bit set of what may come
 * next), which upstream leaves to the caller. patches/jsmn-local.patch
 * keeps the parser's fields in registers while parsing: strict mode with
 * parent links (ours) runs jsmn_parse_strict(), the same tokens, errors
 * and parser state as the loop above it, on locals (token stores could
 * alias the caller's parser) and not inlined (inside json_parse_at() it
 * shared registers with the caller), jumping from each token or separator
 * straight to the likeliest next byte (a key's ':', a value's ',' or
 * close, the '"' or '{' after them) instead of through the switch; the
 * SSE2 string scan ends
 * on an overlapping load of the last sixteen bytes and needs no 64-bit
 * constants, which had held five registers across the loop. Other modes
 * keep upstream's loop, on a copy of the parser.
 */
#ifndef TINYHOOK_JSMN_H
#define TINYHOOK_JSMN_H

#ifndef JSMN_HEADER
#define JSMN_STATIC
#endif
#define JSMN_PARENT_LINKS
#define JSMN_STRICT
#include "limit.h"
#define JSMN_MAX_DEPTH JSON_MAX_DEPTH
#include <jsmn/jsmn.h>

#endif
