/*
 * limit.h: every limit and default of tinyhook, each with the reason for
 * its value ("rule N" is a rule of CONTRACT.md, what the apiserver expects),
 * grouped by layer in the order a request meets them, then the offline
 * commands. (Not "limits.h": with -Isrc that name would shadow the C
 * library's <limits.h>.) Flags take their defaults from here.
 *
 * Not here: enum values, wire formats and bit masks, and sizes of fixed
 * tables (METRICS_NBUCKETS counts metrics.c's bucket bounds).
 */
#ifndef TINYHOOK_LIMIT_H
#define TINYHOOK_LIMIT_H

#include <stdint.h>

/*
 * Process: flags and the main loop (webhook.c). Server defaults are flags
 * (webhook.c's table prints them in --help).
 */
#define SERVER_MAX_BODY		(8u << 20)	/* the apiserver caps requests at 3 MiB (rule 7) */
#define SERVER_HEADER_TIMEOUT_MS 10000		/* handshake + request head */
#define SERVER_BODY_TIMEOUT_MS	10000		/* the whole body, from the end of the head */
#define SERVER_IDLE_TIMEOUT_MS	120000		/* > the apiserver's 90 s (rule 5) */
#define SERVER_WRITE_TIMEOUT_MS	10000		/* a client that stops reading */
#define SERVER_MAX_CONNS	4096
#define SERVER_SHUTDOWN_GRACE_MS 15000		/* the Deployment's grace period is 30 s */
#define CERT_CHECK_MS		1000	/* how often the cert files are stat'ed */
#define DRAIN_QUIET_MS		1000	/* no connection for this long ends the drain */
#define DRAIN_FINAL_MS		2000	/* accepting stops this long before the deadline */
#define PATH_BYTES		4096	/* a certificate file's path: Linux's PATH_MAX */

/* Listener and workers (server.c). */
#define SERVER_MAX_WORKERS	64	/* the static worker table; --workers is clamped to it */
#define SERVER_EVENTS		64	/* epoll events taken per wait */
#define SERVER_TICK_MS		100	/* timeout sweep and drain check period */
#define SERVER_BACKLOG		1024	/* many handshakes at once after a restart (rule 34) */
#define ACCEPT_PAUSE_MS		100	/* out of descriptors: stop accepting this long */
#define SERVER_SPARE_FDS	64	/* descriptors besides connections (logs, certs) */
#define SERVER_MAX_LISTENERS	2	/* the webhook port and --probe-listen */

/* TLS: credentials, sessions, records (tls.c, certinfo.c, pump.c). */
#define TLS_MAX_FILE_BYTES	(256 * 1024)	/* a PEM file larger than this is refused */
#define TLS_MAX_CHAIN		8		/* certificates in one chain */
#define TLS_MAX_KEY_BYTES	2048	/* raw key material: RSA-4096 CRT needs ~1.3 KiB */
#define TLS_SESSION_CACHE_BYTES	(128 * 1024)	/* ~1300 resumable sessions */
/*
 * Record buffers. Input must hold a full 16 KiB record (clients do not
 * negotiate smaller ones); output can be smaller, BearSSL then writes
 * smaller records. 4 KiB of payload per record keeps idle memory low and
 * costs nothing measurable for responses of a few hundred bytes.
 * (TLS_IBUF_BYTES expands only where <bearssl.h> is included.)
 */
#define TLS_IBUF_BYTES		BR_SSL_BUFSIZE_INPUT
#define TLS_OBUF_BYTES		(4096 + 325)
#define CERTINFO_WARN_DAYS	14	/* the PrometheusRule alerts at 14 days too */
#define CERTINFO_TEXT		256	/* subject and SAN text kept for the log */
#define PUMP_LINGER_MS		2000	/* wait for the peer's close after ours */

/* Client certificates, --client-ca / --client-cn (auth.c). */
#define AUTH_MAX_ANCHORS	16	/* CAs in --client-ca: old and new during a rotation, and room */
#define AUTH_MAX_CNS		16	/* --client-cn values: a few names in practice */
/*
 * A subject DN of a CA kept as a trust anchor. X.509 puts no bound on it;
 * real ones are under 300 bytes, and BearSSL sends them all in the
 * CertificateRequest, so a larger one is a mistake worth refusing.
 */
#define AUTH_MAX_DN_BYTES	1024
/*
 * The CN compared with --client-cn: RFC 5280's ub-common-name is 64
 * characters, up to 4 bytes each in UTF-8. A longer CN never matches.
 */
#define AUTH_CN_BYTES		257
/*
 * The client's leaf certificate kept for the refusal log (subject,
 * validity). An apiserver client certificate is under 1.5 KiB (RSA-4096:
 * about 1.4 KiB); a larger leaf is still validated, only not described.
 */
#define AUTH_LEAF_BYTES		4096
#define AUTH_DESC_BYTES		512	/* the anchors' subjects, for the log */

/*
 * Buffers (pool.c): one budget for every request and response buffer.
 * Bodies of 3 MiB (rule 7) are "large": they may use only their share, the
 * rest stays for the ordinary reviews (tens of KiB) sent meanwhile. The
 * default budget is half the cgroup memory limit when one is set (the other
 * half for token arrays, TLS state and the rest; see README), else
 * POOL_BUDGET_DEFAULT.
 */
#define POOL_KEEP		8		/* returned buffers a worker keeps */
#define POOL_LARGE_BYTES	(1u << 20)	/* a "large" buffer, above this */
#define POOL_LARGE_SHARE_PCT	75		/* of the budget, for large buffers */
#define POOL_BUDGET_DEFAULT	(64u << 20)
#define POOL_BUDGET_MIN		(1u << 20)	/* --max-buffer-bytes below it is refused */
#define POOL_SMALL_EXEMPT	1024		/* an error answer: head + JSON reason */

/* Connection (conn.c). */
#define CONN_HEAD_RESERVE	512		/* response head is written before the body */
#define CONN_IN_MIN		(8 * 1024)	/* first request buffer */
/*
 * While draining, an idle keep-alive connection is closed only after this
 * long without a request: closing it at once races a client that is
 * reusing it right now, and the apiserver does not retry (rule 5).
 */
#define CONN_DRAIN_IDLE_MS	1000
#define CONN_ERROR_BODY		256		/* {"error":"..."} */
/* Raw chunked bytes beyond the decoded body: one TLS record's plaintext
 * (RFC 5246 section 6.2.1), what the transport hands over at once. */
#define CONN_INPUT_SLACK	16384

/* HTTP/1.1 head and body framing (http.c; rules 1 to 4). */
/* Whole head incl. request line and leading empty lines; beyond it -> 431. */
#define HTTP_MAX_HEADER_BYTES	(16 * 1024)
/* Header field lines per request; one more -> 431. */
#define HTTP_MAX_HEADERS	64
/*
 * Empty lines skipped before a request line (RFC 9112 2.2 asks for at least
 * one); one more is 400. The server parses a head again as its lines come
 * in, so a head of thousands of empty lines would cost their square.
 */
#define HTTP_MAX_EMPTY_LINES	4
/* Largest Content-Length accepted (2^53, what JSON numbers and most peers
 * handle exactly); larger -> 400. The server applies its own body limit. */
#define HTTP_MAX_CONTENT_LENGTH	((uint64_t)1 << 53)
/* Hex digits in a chunk-size, leading zeros included (2^64 - 1 fits). */
#define HTTP_MAX_CHUNK_DIGITS	16
/* Bytes of one chunk extension (";name=value..."); we ignore them. */
#define HTTP_MAX_CHUNK_EXT	1024
/* Bytes of all trailer lines of a chunked body together. */
#define HTTP_MAX_TRAILER_BYTES	(16 * 1024)

/* Routes' own responses (route.c). */
#define ROUTE_SMALL_OUT		64		/* {"status":"draining"} */
#define ROUTE_METRICS_OUT	(64 * 1024)	/* the exposition is ~10 KiB */

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

/* AdmissionReview decode and encode (review.c). */
/* Envelope of the response without the variable parts (uid, messages). */
#define REVIEW_OUT_FIXED	1024
/*
 * The apiserver's uids are 36-character UUIDs; a longer one is refused. The
 * answer echoes the raw token (rule 15): at most 12 bytes a character (a
 * surrogate pair written as two \u escapes).
 */
#define REVIEW_UID_RUNES	128
#define REVIEW_UID_RUNES_TEXT	"128"		/* REVIEW_UID_RUNES, for the error message */
#define REVIEW_UID_MAX		(REVIEW_UID_RUNES * 12)

/* The per-request record (verdict.h): sizes of the copied strings; longer values are cut. */
#define VERDICT_UID		64	/* the apiserver's uids are 36-character UUIDs */
#define VERDICT_KIND		64	/* request.kind.kind: Kubernetes kinds are short words */
#define VERDICT_NS		64	/* a namespace is a DNS label: 63 + NUL */
#define VERDICT_NAME		254	/* DNS-1123 subdomain: 253 + NUL */
#define VERDICT_OP		16	/* CREATE, UPDATE, DELETE, CONNECT */
#define VERDICT_ERR		160	/* why a 4xx/5xx, one of our fixed strings, for the log */

/* Rules (rules.c): one review's outputs; every one is checked, none truncates JSON. */
#define RULES_DENY_MAX		3072	/* escaped bytes of the joined denial message */
#define RULES_DENY_SLACK	8	/* room kept in the denial for the "; ..." that marks a cut */
#define RULES_WARN_CHARS	4096	/* rule 17: characters of all warnings */
#define RULES_WARN_MAX		(RULES_WARN_CHARS * 6 + 256)	/* escaped bytes */
#define RULES_AUDIT_MAX		4096	/* bytes of the auditAnnotations members */
#define RULES_AUDIT_KEY		63	/* rule 18 */
#define RULES_MSG_MAX		512	/* one rule's message */
#define RULES_STR_MAX		1024	/* an unescaped image reference or label */
#define RULES_SUBRES_MAX	64	/* request.subResource, cut to fit ("ephemeralcontainers" is 19) */
/* Bytes of ops JSON one review may produce (~400 typical ops); above: 500. */
#define PATCH_MAX		32768

/*
 * Pod Security Standards (pss.c, pss_rule.c). Everything lives on the
 * worker's stack (about 16 KB at the deepest check, of musl's 128 KB thread
 * stack); nothing is allocated.
 */
#define PSS_MSG_MAX		RULES_DENY_MAX	/* a message: no more fits the denial */
#define PSS_ITEMS_MAX		64		/* names or values one list of a check holds */
#define PSS_POOL_MAX		2048		/* bytes of those; < 65536 (uint16_t offsets) */
#define PSS_NAME_MAX		253		/* a container name in an annotation key:
						 * a DNS label is 63, a subdomain 253 */
/* Containers whose members are indexed once per evaluation; past it, looked up each time. */
#define PSS_VIEW_MAX		64
/* Room for a PodSpec path turned into its metadata path ("spec.template.metadata"). */
#define PSS_PATH_MAX		96

/* Logs (log.c, accesslog.c). */
#define LOG_LINE_MAX		2048	/* longer messages are cut, never split */
#define ACCESSLOG_LINE_MAX	1024	/* a longer line is dropped, never cut */

/* Offline commands: reading inputs (inputs.c, yml.c); flags raise the first three. */
#define INPUTS_MAX_FILE		(1ull << 30)	/* bytes read from one input: a runaway pipe ends */
#define INPUTS_CHUNK		(1u << 20)	/* read size */
#define INPUTS_MAX_DEPTH	64		/* directory levels walked */
#define INPUTS_MAX_OBJECT	(16u << 20)	/* bytes of one document or List item held at once */
#define INPUTS_SNIFF		4096		/* bytes looked at to tell JSON from YAML */
/*
 * The JSON one YAML document (or List item) may become: aliases copy their
 * anchor's text, so a small "billion laughs" document would otherwise
 * expand without bound. Past it the document is an error.
 */
#define YML_MAX_JSON		INPUTS_MAX_OBJECT
#define YML_MAX_ANCHOR_BYTES	INPUTS_MAX_OBJECT	/* all anchors' text kept at once */
#define YML_MAX_ANCHORS		65536			/* anchors in one document */
#define YML_MAX_DEPTH		JSON_MAX_DEPTH		/* nesting, as for JSON */
#define YML_NUM_MAX		128	/* a longer plain scalar is never a number here */

/* Offline commands: review, apply, report, gate, manifests. */
#define OFFLINE_STR_MAX		1024	/* apiVersion, kind, name, namespace as read */
#define APPLY_KEY_MAX		1024	/* one JSON Pointer token, unescaped */
/* One warning unescaped: the whole warnings budget, 4 bytes a character at most. */
#define REPORT_WARN_MAX		(RULES_WARN_CHARS * 4 + 1)
#define GATE_STR_MAX		1024	/* kind, name, namespace, result, a key */
#define GATE_MAX_FILES		4096	/* test files in one directory */
#define MANIFESTS_DEF_TIMEOUT	5	/* timeoutSeconds written; the apiserver's default is 10 (rule 24) */
#define MANIFESTS_MAX_TIMEOUT	30	/* rule 24: 1..30 s */
#define MANIFESTS_MAX_CA	(1u << 20)	/* bytes of a CA bundle file */
#define MANIFESTS_MAX_EXCLUDE	32	/* --exclude-namespace values */
#define MANIFESTS_MAX_CONDITIONS 64	/* matchConditions: the API allows 64 */
#define MANIFESTS_LABEL_MAX	63	/* DNS-1123 label (namespace, service) */
#define MANIFESTS_NAME_MAX	253	/* DNS-1123 subdomain (object name) */

#endif
