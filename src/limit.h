/*
 * limit.h: the limits every layer shares, each with the reason for its
 * value. (Not "limits.h": with -Isrc that name would shadow the C library's
 * <limits.h>.) Flags take their defaults from here.
 */
#ifndef TINYHOOK_LIMIT_H
#define TINYHOOK_LIMIT_H

/*
 * JSON. Kubernetes objects nest a few dozen containers deep (a CRD schema
 * about 40); 256 is ample and keeps a refusal cheap. Checked by jsmn itself
 * as it tokenizes (patches/jsmn-linear.patch), so a body of brackets is
 * refused at byte JSON_MAX_DEPTH + 1, whatever its length. Above: 400.
 */
#define JSON_MAX_DEPTH		256
#define JSON_MAX_TOKENS		(1 << 20)	/* ~20 MiB of tokens; above: 413 */
#define JSON_MIN_TOKENS		4096		/* first token array of a worker */
#define JSON_MAX_LEN		0x7fffff00u	/* jsmn offsets are int */

#endif
