/*
 * certinfo.h: what an operator needs to know about the serving certificate
 * before the apiserver finds out: expired, not yet valid, expiring soon, or
 * without a subjectAltName (Go clients ignore the CN since 1.15, so such a
 * certificate fails every call). Read from the leaf's DER at every load;
 * never an outage by itself: the certificate is still served.
 *
 * Errors: certinfo_read() returns 0, or -1 when the DER is not a
 * certificate it can walk (the TLS layer has already refused those).
 */
#ifndef TINYHOOK_CERTINFO_H
#define TINYHOOK_CERTINFO_H

#include <stddef.h>
#include <stdint.h>
#include "limit.h"

enum certinfo_problem {
	CERT_EXPIRED = 1 << 0,
	CERT_NOT_YET_VALID = 1 << 1,
	CERT_EXPIRING = 1 << 2,		/* within CERTINFO_WARN_DAYS */
	CERT_NO_SAN = 1 << 3,
	NUM_CERT_PROBLEMS = 4
};

struct certinfo {
	int64_t		 not_before, not_after;	/* seconds since the epoch */
	char		 subject[CERTINFO_TEXT];	/* "CN=..." or "" */
	char		 sans[CERTINFO_TEXT];		/* "DNS:a, IP:127.0.0.1" */
	unsigned	 problems;			/* enum certinfo_problem */
};

/* Names of the problems, for logs and metric labels. */
extern const char *const certinfo_problem_names[NUM_CERT_PROBLEMS];

/*
 * Reads the validity, subject CN and SANs of the DER certificate der[0, n)
 * and sets ci->problems as of now (seconds since the epoch).
 */
int	certinfo_read(const unsigned char *der, size_t n, int64_t now,
	    struct certinfo *ci);

#endif
