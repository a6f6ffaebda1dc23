/*
 * review_test.c: AdmissionReview decode/encode through review_handle(), the
 * call the server makes. Cases hold for any compiled policy: envelope
 * errors, status codes, uid echo, no patch from /validate or on DELETE.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "review.h"

#include "check.h"

#define ENV	"\"apiVersion\":\"admission.k8s.io/v1\",\"kind\":\"AdmissionReview\""
#define REQ(x)	"{" ENV ",\"request\":{\"uid\":\"u-1\",\"kind\":{\"group\":\"\"," \
		"\"version\":\"v1\",\"kind\":\"Pod\"}," x "}}"
#define POD	"\"object\":{\"metadata\":{\"name\":\"p\"},\"spec\":{\"containers\":" \
		"[{\"name\":\"c\",\"image\":\"nginx\"}]}}"

static const struct {
	enum review_route	 route;
	const char		*body;
	int			 status;
	const char		*has;		/* substring of the answer */
	const char		*hasnt;		/* must not appear */
} cases[] = {
	{ ROUTE_VALIDATE, "", 400, "invalid JSON", NULL },
	{ ROUTE_VALIDATE, "{", 400, "invalid JSON", NULL },
	{ ROUTE_VALIDATE, "[]", 400, "not an object", NULL },
	{ ROUTE_VALIDATE, "{}", 400, "expected admission.k8s.io/v1 AdmissionReview", NULL },
	{ ROUTE_VALIDATE, "{\"apiVersion\":\"admission.k8s.io/v1beta1\",\"kind\":"
	  "\"AdmissionReview\",\"request\":{}}", 400, "expected admission.k8s.io/v1", NULL },
	{ ROUTE_VALIDATE, "{" ENV "}", 400, "missing request", NULL },
	{ ROUTE_VALIDATE, "{" ENV ",\"request\":null}", 400, "missing request", NULL },
	{ ROUTE_VALIDATE, "{" ENV ",\"request\":{}}", 400, "missing request.uid", NULL },
	{ ROUTE_VALIDATE, "{" ENV ",\"request\":{\"uid\":\"\"}}", 400, "missing request.uid", NULL },
	{ ROUTE_VALIDATE, "{" ENV ",\"request\":{\"uid\":7}}", 400, "missing request.uid", NULL },
	{ ROUTE_VALIDATE, "{" ENV ",\"request\":{\"uid\":\"u\"}}", 400, "missing request.kind", NULL },
	{ ROUTE_VALIDATE, REQ("\"operation\":\"PATCH\""), 400, "request.operation", NULL },
	{ ROUTE_VALIDATE, REQ("\"operation\":\"CREATE\",\"namespace\":[]"), 400, "not a string", NULL },
	{ ROUTE_VALIDATE, REQ("\"operation\":\"CREATE\",\"object\":[]"), 400, "not an object", NULL },
	{ ROUTE_VALIDATE, REQ("\"operation\":\"CREATE\",\"dryRun\":\"yes\""), 400, "dryRun", NULL },
	{ ROUTE_VALIDATE, REQ("\"operation\":\"CREATE\"," POD) "x", 400, "invalid JSON", NULL },
	{ ROUTE_VALIDATE, REQ("\"operation\":\"CREATE\",\"name\":\"\\ud800\"," POD), 400,
	  "invalid string escape", NULL },
	{ ROUTE_VALIDATE, REQ("\"operation\":\"CREATE\"," POD), 200,
	  "{\"apiVersion\":\"admission.k8s.io/v1\",\"kind\":\"AdmissionReview\","
	  "\"response\":{\"uid\":\"u-1\",\"allowed\":", "patch" },
	{ ROUTE_MUTATE, REQ("\"operation\":\"DELETE\",\"object\":null,\"oldObject\":"
	  "{\"metadata\":{\"name\":\"p\"},\"spec\":{\"containers\":[]}}"), 200,
	  "\"uid\":\"u-1\",\"allowed\":true", "patch" },
	{ ROUTE_VALIDATE, REQ("\"operation\":\"CONNECT\",\"subResource\":\"exec\","
	  "\"object\":{\"kind\":\"PodExecOptions\",\"command\":[\"sh\"]}"), 200,
	  "\"allowed\":true}}", NULL },
	{ ROUTE_VALIDATE, "{" ENV ",\"request\":{\"uid\":\"a\\u0026\\\"b\",\"kind\":"
	  "{\"kind\":\"Secret\"},\"operation\":\"CREATE\",\"object\":{}}}", 200,
	  "\"uid\":\"a\\u0026\\\"b\",\"allowed\":true}}", NULL },
	{ ROUTE_VALIDATE, REQ("\"operation\":\"CREATE\",\"object\":{\"metadata\":[],"
	  "\"spec\":{\"containers\":{\"name\":1},\"initContainers\":[7,null,\"x\"],"
	  "\"volumes\":\"v\"}}"), 400, "malformed object", NULL },
	{ ROUTE_MUTATE, REQ("\"operation\":\"CREATE\",\"object\":{\"metadata\":"
	  "{\"labels\":[\"a\"]},\"spec\":null}"), 200, "\"uid\":\"u-1\"", NULL },
	{ ROUTE_CONVERT, "{\"apiVersion\":\"apiextensions.k8s.io/v1\",\"kind\":"
	  "\"ConversionReview\",\"request\":{\"uid\":\"c\"}}", 200, "\"status\":\"Failure\"", NULL },
};

static void
test_cases(struct review_ctx *ctx)
{
	static char out[1 << 16];
	struct verdict info;
	struct buf b;
	size_t i, n;
	char *body;
	int st;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		n = strlen(cases[i].body);
		body = malloc(n + 1);
		memcpy(body, cases[i].body, n);	/* not NUL-terminated for review */
		buf_init(&b, out, sizeof(out) - 1);
		st = review_handle(ctx, cases[i].route, body, n, &b, &info);
		out[b.len] = '\0';
		check(st == cases[i].status && strstr(out, cases[i].has) != NULL &&
		    (cases[i].hasnt == NULL || strstr(out, cases[i].hasnt) == NULL),
		    "review", cases[i].body);
		if (st != 200)
			check(info.allowed == -1 && info.error[0] != '\0', "info on error",
			    cases[i].body);
		free(body);
	}
}

static void
test_info(struct review_ctx *ctx)
{
	static const char body[] = "{" ENV ",\"request\":{\"uid\":\"u-9\",\"kind\":"
	    "{\"group\":\"apps\",\"version\":\"v1\",\"kind\":\"Deployment\"},"
	    "\"operation\":\"UPDATE\",\"namespace\":\"n\\u0073\",\"name\":\"web\","
	    "\"object\":{\"metadata\":{\"name\":\"web\"}},\"oldObject\":{}}}";
	static char out[1 << 16];
	struct verdict info;
	struct buf b;

	buf_init(&b, out, sizeof(out));
	check(review_handle(ctx, ROUTE_VALIDATE, body, strlen(body), &b, &info) == 200,
	    "update decodes", body);
	check(strcmp(info.uid, "u-9") == 0 && strcmp(info.kind, "Deployment") == 0 &&
	    strcmp(info.ns, "ns") == 0 && strcmp(info.name, "web") == 0 &&
	    strcmp(info.op, "UPDATE") == 0 && info.allowed >= 0 && info.patched == 0,
	    "info filled, unescaped", info.ns);
	buf_init(&b, out, 16);
	check(review_handle(ctx, ROUTE_VALIDATE, body, strlen(body), &b, &info) == 500,
	    "small out buffer -> 500", "16 bytes");
	check(review_out_cap(100) > 4096, "out cap covers an answer", "cap");
}

int
main(void)
{
	struct review_ctx *ctx = review_ctx_new(1 << 20);

	test_cases(ctx);
	test_info(ctx);
	review_ctx_free(ctx);
	printf("review_test: %d passed, %d failed\n", passed, failed);
	return failed != 0;
}
