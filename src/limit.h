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

/*
 * Server defaults; each is a flag (webhook.c's table prints them in --help).
 */
#define SERVER_MAX_BODY		(8u << 20)	/* the apiserver caps requests at 3 MiB (CONTRACT rule 7) */
#define SERVER_HEADER_TIMEOUT_MS 10000		/* handshake + request head */
#define SERVER_BODY_TIMEOUT_MS	10000		/* the whole body, from the end of the head */
#define SERVER_IDLE_TIMEOUT_MS	120000		/* > the apiserver's 90 s (CONTRACT rule 5) */
#define SERVER_WRITE_TIMEOUT_MS	10000		/* a client that stops reading */
#define SERVER_MAX_CONNS	4096
#define SERVER_SHUTDOWN_GRACE_MS 15000		/* the Deployment's grace period is 30 s */

#endif
