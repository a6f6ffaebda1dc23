/*
 * convert_test.c: the ConversionReview converter through
 * convert_review_with(), with the shipped tables (CronTab, Widget) and the
 * demo table that uses every rule (test/fixtures/convert/gadget.h). Each
 * case is one request and the exact answer (or a piece of it); every 200
 * answer must parse as JSON. Then round trips: A -> B -> A gives back the
 * same object.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "convert.h"
#include "json.h"
#include "policies/conversions/crontab.h"
#include "policies/conversions/widget.h"
#include "test/fixtures/convert/gadget.h"

/* A kind whose custom function tries to rename the object (CONTRACT 29). */
static const char *
evil_to_hub(struct convert_obj *o)
{
	convert_set_json(o, "metadata.name", "\"other\"", 7);
	return NULL;
}

/* A kind whose custom function fails on purpose. */
static const char *
refuse_to_hub(struct convert_obj *o)
{
	(void)o;
	return "refused by the custom function";
}

static const struct convert_field no_fields[1];
static const struct convert_version evil_versions[] = {
	CONVERT_HUB("v2"),
	{ "v1", no_fields, 0, evil_to_hub, NULL },
	{ "v0", no_fields, 0, refuse_to_hub, NULL },
};
static const struct convert_kind evil_conversion = {
	"evil.example.com", "Evil", "v2", CONVERT_VERSIONS(evil_versions)
};

/* A table whose hub is not among its versions (a policy author's slip). */
static const struct convert_version nohub_versions[] = {
	CONVERT_SAME("v1"), CONVERT_SAME("v2"),
};
static const struct convert_kind nohub_conversion = {
	"nohub.example.com", "NoHub", "v3", CONVERT_VERSIONS(nohub_versions)
};

static const struct convert_kind *const kinds[] = {
	&crontab_conversion, &widget_conversion, &gadget_conversion,
	&evil_conversion, &nohub_conversion,
};

#include "check.h"

#define ENV	"\"apiVersion\":\"apiextensions.k8s.io/v1\",\"kind\":\"ConversionReview\""
#define CR(desired, objs) \
	"{" ENV ",\"request\":{\"uid\":\"u-1\",\"desiredAPIVersion\":\"" desired \
	"\",\"objects\":[" objs "]}}"
#define OK(objs) \
	"{" ENV ",\"response\":{\"uid\":\"u-1\",\"convertedObjects\":[" objs \
	"],\"result\":{\"status\":\"Success\"}}}"
#define FAILURE	"{" ENV ",\"response\":{\"uid\":\"u-1\",\"result\":" \
	"{\"status\":\"Failure\",\"message\":\"converting object "

/* CronTab in both versions: identical but for the schedule's name. */
#define CT(v, field, rest) "{\"apiVersion\":\"stable.example.com/" v "\"," \
	"\"kind\":\"CronTab\",\"metadata\":{\"name\":\"c1\",\"namespace\":\"ns\"," \
	"\"uid\":\"5eed\"},\"spec\":{\"" field "\":\"*/5 * * * *\",\"image\":" \
	"\"img:1\",\"replicas\":2" rest "}}"
#define CT_B	CT("v1beta1", "cronSpec", "")
#define CT_1	CT("v1", "schedule", "")
#define GAD(v, meta, spec) "{\"apiVersion\":\"demo.example.com/" v "\"," \
	"\"kind\":\"Gadget\",\"metadata\":{\"name\":\"g\"" meta "},\"spec\":{" spec "}}"
#define TZ_ANN	",\"annotations\":{\"gadget.demo.example.com/timeZone\":"
/*
 * Members "<p>a":1 ... "<p>h":1, each followed by a comma: objects wider
 * than CONVERT_KEYS (32), whose keys the engine walks instead of indexing.
 */
#define W8(p)	"\"" p "a\":1,\"" p "b\":1,\"" p "c\":1,\"" p "d\":1,\"" p "e\":1," \
	"\"" p "f\":1,\"" p "g\":1,\"" p "h\":1,"
#define W29(p)	W8(p "1") W8(p "2") W8(p "3") "\"" p "4a\":1,\"" p "4b\":1,\"" p "4c\":1," \
	"\"" p "4d\":1,\"" p "4e\":1,"
#define W40(p)	W8(p "1") W8(p "2") W8(p "3") W8(p "4") W8(p "5")
#define CTW(v, top, field, spec) "{" top "\"apiVersion\":\"stable.example.com/" v "\"," \
	"\"kind\":\"CronTab\",\"spec\":{" spec "\"" field "\":\"s\"}}"

static const struct {
	const char	*what;
	const char	*body;
	int		 status;
	const char	*want;		/* the whole answer, or NULL */
	const char	*has;		/* a piece of it, or NULL */
} cases[] = {
	/* Envelope: 400 only when it is not a ConversionReview with a uid. */
	{ "empty object", "{}", 400, NULL, "expected apiextensions.k8s.io/v1 ConversionReview" },
	{ "v1beta1 review", "{\"apiVersion\":\"apiextensions.k8s.io/v1beta1\","
	  "\"kind\":\"ConversionReview\",\"request\":{\"uid\":\"u\"}}", 400, NULL,
	  "expected apiextensions.k8s.io/v1" },
	{ "AdmissionReview", "{\"apiVersion\":\"apiextensions.k8s.io/v1\","
	  "\"kind\":\"AdmissionReview\",\"request\":{\"uid\":\"u\"}}", 400, NULL, "expected" },
	{ "no request", "{" ENV "}", 400, NULL, "missing request" },
	{ "request null", "{" ENV ",\"request\":null}", 400, NULL, "missing request" },
	{ "no uid", "{" ENV ",\"request\":{\"objects\":[]}}", 400, NULL, "missing request.uid" },
	{ "empty uid", "{" ENV ",\"request\":{\"uid\":\"\"}}", 400, NULL, "missing request.uid" },
	{ "uid number", "{" ENV ",\"request\":{\"uid\":1}}", 400, NULL, "missing request.uid" },
	{ "uid lone surrogate", "{" ENV ",\"request\":{\"uid\":\"\\ud800\"}}", 400, NULL,
	  "invalid string escape" },
	/* Request-level Failures (a 200: the apiserver shows the message). */
	{ "no desiredAPIVersion", "{" ENV ",\"request\":{\"uid\":\"u-1\",\"objects\":[]}}", 200,
	  "{" ENV ",\"response\":{\"uid\":\"u-1\",\"result\":{\"status\":\"Failure\",\"message\":"
	  "\"request.desiredAPIVersion is missing, unreadable or longer than CONVERT_NAME_MAX\"}}}",
	  NULL },
	{ "objects not an array", "{" ENV ",\"request\":{\"uid\":\"u-1\",\"desiredAPIVersion\":"
	  "\"stable.example.com/v1\",\"objects\":{}}}", 200, NULL,
	  "\"status\":\"Failure\",\"message\":\"request.objects is not an array\"" },
	{ "objects null", "{" ENV ",\"request\":{\"uid\":\"u-1\",\"desiredAPIVersion\":"
	  "\"stable.example.com/v1\",\"objects\":null}}", 200, NULL, "request.objects is not an array" },
	{ "no objects", CR("stable.example.com/v1", ""), 200, OK(""), NULL },
	{ "uid echoed raw", "{" ENV ",\"request\":{\"uid\":\"u\\u002d1\",\"desiredAPIVersion\":"
	  "\"stable.example.com/v1\",\"objects\":[]}}", 200, NULL, "{\"uid\":\"u\\u002d1\"," },

	/* CronTab: the bench's conversion, both ways, in place. */
	{ "rename v1beta1 -> v1", CR("stable.example.com/v1", CT_B), 200, OK(CT_1), NULL },
	{ "rename v1 -> v1beta1", CR("stable.example.com/v1beta1", CT_1), 200, OK(CT_B), NULL },
	{ "already desired: as is", CR("stable.example.com/v1",
	  "{ \"kind\" : \"CronTab\" , \"apiVersion\": \"stable.example.com\\/v1\", \"spec\":{\"cronSpec\":1} }"),
	  200, OK("{ \"kind\" : \"CronTab\" , \"apiVersion\": \"stable.example.com\\/v1\", \"spec\":{\"cronSpec\":1} }"),
	  NULL },
	{ "mixed batch, order kept", CR("stable.example.com/v1", CT_B "," CT_1 "," CT_B), 200,
	  OK(CT_1 "," CT_1 "," CT_1), NULL },
	{ "escaped key and apiVersion", CR("stable.example.com/v1",
	  "{\"apiVersion\":\"stable.example.com\\/v1beta1\",\"kind\":\"Cron\\u0054ab\","
	  "\"spec\":{\"a\":1,\"cron\\u0053pec\":\"\\u002a/5\",\"b\":[1,2]}}"), 200,
	  OK("{\"apiVersion\":\"stable.example.com/v1\",\"kind\":\"Cron\\u0054ab\","
	  "\"spec\":{\"a\":1,\"schedule\":\"\\u002a/5\",\"b\":[1,2]}}"), NULL },
	/* Objects at and past CONVERT_KEYS members: indexed, then walked. */
	{ "32 members at the top", CR("stable.example.com/v1", CTW("v1beta1", W29("x"), "cronSpec", "")),
	  200, OK(CTW("v1", W29("x"), "schedule", "")), NULL },
	{ "33 members at the top", CR("stable.example.com/v1", CTW("v1beta1", W29("x") "\"y\":2,",
	  "cronSpec", "")), 200, OK(CTW("v1", W29("x") "\"y\":2,", "schedule", "")), NULL },
	{ "43 members at the top", CR("stable.example.com/v1", CTW("v1beta1", W40("x"), "cronSpec", "")),
	  200, OK(CTW("v1", W40("x"), "schedule", "")), NULL },
	{ "duplicate apiVersion 41 members apart", CR("stable.example.com/v1",
	  CTW("v1beta1", "\"apiVersion\":\"stable.example.com/v1\"," W40("x"), "cronSpec", "")),
	  200, OK(CTW("v1", W40("x"), "schedule", "")), NULL },
	{ "renamed member 41st in its object", CR("stable.example.com/v1",
	  CTW("v1beta1", "", "cronSpec", W40("s"))), 200, OK(CTW("v1", "", "schedule", W40("s"))), NULL },
	{ "duplicate cronSpec 41 members apart", CR("stable.example.com/v1",
	  CTW("v1beta1", "", "cronSpec", "\"cronSpec\":\"old\"," W40("s"))), 200,
	  OK(CTW("v1", "", "schedule", W40("s"))), NULL },
	{ "escaped desiredAPIVersion copied raw", "{" ENV ",\"request\":{\"uid\":\"u-1\","
	  "\"desiredAPIVersion\":\"stable.example.com\\/v1\",\"objects\":[" CT_B "]}}", 200,
	  NULL, "\"apiVersion\":\"stable.example.com\\/v1\",\"kind\":\"CronTab\"" },
	{ "no cronSpec: apiVersion only", CR("stable.example.com/v1",
	  "{\"apiVersion\":\"stable.example.com/v1beta1\",\"kind\":\"CronTab\",\"spec\":{\"x\":1}}"),
	  200, OK("{\"apiVersion\":\"stable.example.com/v1\",\"kind\":\"CronTab\",\"spec\":{\"x\":1}}"),
	  NULL },
	{ "no spec", CR("stable.example.com/v1",
	  "{\"apiVersion\":\"stable.example.com/v1beta1\",\"kind\":\"CronTab\"}"),
	  200, OK("{\"apiVersion\":\"stable.example.com/v1\",\"kind\":\"CronTab\"}"), NULL },
	{ "spec is a string", CR("stable.example.com/v1",
	  "{\"apiVersion\":\"stable.example.com/v1beta1\",\"kind\":\"CronTab\",\"spec\":\"x\"}"),
	  200, OK("{\"apiVersion\":\"stable.example.com/v1\",\"kind\":\"CronTab\",\"spec\":\"x\"}"),
	  NULL },
	{ "duplicate key: the last wins", CR("stable.example.com/v1",
	  "{\"apiVersion\":\"stable.example.com/v1beta1\",\"kind\":\"CronTab\","
	  "\"spec\":{\"cronSpec\":\"a\",\"x\":1,\"cronSpec\":\"b\"}}"), 200,
	  OK("{\"apiVersion\":\"stable.example.com/v1\",\"kind\":\"CronTab\","
	  "\"spec\":{\"x\":1,\"schedule\":\"b\"}}"), NULL },
	{ "both names present: v1 value replaced", CR("stable.example.com/v1",
	  "{\"apiVersion\":\"stable.example.com/v1beta1\",\"kind\":\"CronTab\","
	  "\"spec\":{\"schedule\":\"old\",\"cronSpec\":\"new\"}}"), 200,
	  OK("{\"apiVersion\":\"stable.example.com/v1\",\"kind\":\"CronTab\","
	  "\"spec\":{\"schedule\":\"new\"}}"), NULL },
	{ "whitespace inside values kept", CR("stable.example.com/v1",
	  "{\"apiVersion\":\"stable.example.com/v1beta1\",\"kind\":\"CronTab\","
	  "\"spec\":{\"cronSpec\" : [ 1 , 2 ] , \"z\" :\t{ } }}"), 200,
	  OK("{\"apiVersion\":\"stable.example.com/v1\",\"kind\":\"CronTab\","
	  "\"spec\":{\"schedule\":[ 1 , 2 ],\"z\" :\t{ }}}"), NULL },

	/* Widget (the captured apiserver request): apiVersion only. */
	{ "widget v1 -> v2", CR("rig.example.com/v2", "{\"apiVersion\":\"rig.example.com/v1\","
	  "\"kind\":\"Widget\",\"metadata\":{\"name\":\"w1\"},\"spec\":{\"size\":3}}"), 200,
	  OK("{\"apiVersion\":\"rig.example.com/v2\",\"kind\":\"Widget\",\"metadata\":"
	  "{\"name\":\"w1\"},\"spec\":{\"size\":3}}"), NULL },

	/* Failures name the object; no convertedObjects at all. */
	{ "unknown kind", CR("stable.example.com/v1", CT_B ",{\"apiVersion\":\"stable.example.com/"
	  "v1beta1\",\"kind\":\"Cron\",\"metadata\":{\"name\":\"n\\\"q\"}}"), 200,
	  FAILURE "1 (kind \\\"Cron\\\", name \\\"n\\\"q\\\") to stable.example.com/v1: no conversion "
	  "for this kind in group \\\"stable.example.com\\\"\"}}}", NULL },
	{ "unknown source version", CR("stable.example.com/v1", CT("v2", "x", "")), 200,
	  FAILURE "0 (kind \\\"CronTab\\\", name \\\"c1\\\") to stable.example.com/v1: unknown "
	  "version \\\"v2\\\" (not in this kind's conversion table)\"}}}", NULL },
	{ "unknown desired version", CR("stable.example.com/v3", CT_B), 200, NULL,
	  "unknown version \\\"v3\\\"" },
	{ "other group", CR("rig.example.com/v2", CT_B), 200, NULL,
	  "desiredAPIVersion is in another group" },
	{ "object is a number", CR("stable.example.com/v1", CT_B ",42"), 200,
	  FAILURE "1 (kind \\\"\\\", name \\\"\\\") to stable.example.com/v1: not a JSON object\"}}}",
	  NULL },
	{ "object is null", CR("stable.example.com/v1", "null"), 200, NULL, "object 0 (" },
	{ "apiVersion missing", CR("stable.example.com/v1",
	  "{\"kind\":\"CronTab\",\"metadata\":{\"name\":\"c9\"}}"), 200, NULL,
	  "object 0 (kind \\\"CronTab\\\", name \\\"c9\\\") to stable.example.com/v1: apiVersion "
	  "missing or not a string" },
	{ "apiVersion not a string", CR("stable.example.com/v1", "{\"apiVersion\":1,\"kind\":\"CronTab\"}"),
	  200, NULL, "apiVersion missing or not a string" },
	{ "kind missing", CR("stable.example.com/v1", "{\"apiVersion\":\"stable.example.com/v1beta1\"}"),
	  200, NULL, "kind missing or not a string" },
	{ "metadata not an object", CR("stable.example.com/v1",
	  "{\"apiVersion\":\"stable.example.com/v1beta1\",\"kind\":\"CronTab\",\"metadata\":[]}"),
	  200, NULL, "metadata is not an object" },
	{ "bad escape in a key", CR("stable.example.com/v1",
	  "{\"apiVersion\":\"stable.example.com/v1beta1\",\"kind\":\"CronTab\",\"\\udc00\":1}"),
	  200, NULL, "a string with an invalid escape" },
	{ "hub missing from the table", CR("nohub.example.com/v2",
	  "{\"apiVersion\":\"nohub.example.com/v1\",\"kind\":\"NoHub\"}"), 200, NULL,
	  "hub version is not among its versions" },
	{ "custom function may not rename", CR("evil.example.com/v2",
	  "{\"apiVersion\":\"evil.example.com/v1\",\"kind\":\"Evil\",\"metadata\":{\"name\":\"e\"}}"),
	  200, NULL, "may change only spec, status, labels and annotations" },
	{ "custom function refuses", CR("evil.example.com/v2",
	  "{\"apiVersion\":\"evil.example.com/v0\",\"kind\":\"Evil\"}"), 200, NULL,
	  "refused by the custom function" },

	/* Gadget: defaults, annotations, moves across objects, custom code. */
	{ "default for a missing field", CR("demo.example.com/v1",
	  GAD("v1beta1", "", "\"cronSpec\":\"s\"")), 200,
	  OK(GAD("v1", "", "\"schedule\":\"s\",\"timeZone\":\"UTC\"")), NULL },
	{ "hub-only field kept in an annotation", CR("demo.example.com/v1beta1",
	  GAD("v1", "", "\"schedule\":\"s\",\"timeZone\":\"Europe/Paris\",\"suspend\":true")), 200,
	  OK(GAD("v1beta1", TZ_ANN "\"\\\"Europe/Paris\\\"\"}",
	  "\"cronSpec\":\"s\",\"suspend\":true")), NULL },
	{ "restored from the annotation", CR("demo.example.com/v1",
	  GAD("v1beta1", TZ_ANN "\"\\\"Europe\\\\/Paris\\\"\",\"keep\":\"me\"}", "\"cronSpec\":\"s\"")),
	  200, OK(GAD("v1", ",\"annotations\":{\"keep\":\"me\"}",
	  "\"schedule\":\"s\",\"timeZone\":\"Europe\\/Paris\"")), NULL },
	{ "spoke-only field kept by the hub", CR("demo.example.com/v1",
	  GAD("v1beta1", ",\"labels\":{\"a\":\"b\"}", "\"note\":{\"x\":[1,\"\\u00e9\"]}")), 200,
	  OK(GAD("v1", ",\"labels\":{\"a\":\"b\"},\"annotations\":{\"gadget.demo.example.com/note\":"
	  "\"{\\\"x\\\":[1,\\\"\\\\u00e9\\\"]}\"}", "\"timeZone\":\"UTC\"")), NULL },
	{ "no metadata: created for the annotation", CR("demo.example.com/v1beta1",
	  "{\"apiVersion\":\"demo.example.com/v1\",\"kind\":\"Gadget\",\"spec\":{\"timeZone\":1}}"),
	  200, OK("{\"apiVersion\":\"demo.example.com/v1beta1\",\"kind\":\"Gadget\",\"spec\":{},"
	  "\"metadata\":{\"annotations\":{\"gadget.demo.example.com/timeZone\":\"1\"}}}"), NULL },
	{ "annotations null: replaced", CR("demo.example.com/v1beta1",
	  GAD("v1", ",\"annotations\":null", "\"timeZone\":\"t\"")), 200,
	  OK(GAD("v1beta1", TZ_ANN "\"\\\"t\\\"\"}", "")), NULL },
	{ "spec null: created for the default", CR("demo.example.com/v1",
	  "{\"apiVersion\":\"demo.example.com/v1beta1\",\"kind\":\"Gadget\",\"spec\":null}"), 200,
	  OK("{\"apiVersion\":\"demo.example.com/v1\",\"kind\":\"Gadget\","
	  "\"spec\":{\"timeZone\":\"UTC\"}}"), NULL },
	{ "spec a number: cannot hold the default", CR("demo.example.com/v1",
	  "{\"apiVersion\":\"demo.example.com/v1beta1\",\"kind\":\"Gadget\",\"spec\":5}"), 200,
	  NULL, "non-object value" },
	{ "annotation that is not JSON", CR("demo.example.com/v1",
	  GAD("v1beta1", TZ_ANN "\"Europe/Paris\"}", "")), 200, NULL,
	  "annotation does not hold JSON" },
	{ "annotation with a raw control character", CR("demo.example.com/v1",
	  GAD("v1beta1", TZ_ANN "\"\\\"a\\u0001\\\"\"}", "")), 200, NULL,
	  "annotation does not hold JSON" },
	{ "annotation not a string", CR("demo.example.com/v1",
	  GAD("v1beta1", TZ_ANN "5}", "")), 200, NULL, "annotation is not a string" },
	{ "v1alpha1 -> v1: moved and custom", CR("demo.example.com/v1",
	  GAD("v1alpha1", "", "\"config\":{\"cron\":\"c\",\"k\":1},\"paused\":\"yes\"")), 200,
	  OK(GAD("v1", "", "\"config\":{\"k\":1},\"schedule\":\"c\",\"timeZone\":\"UTC\","
	  "\"suspend\":true")), NULL },
	{ "v1alpha1 -> v1beta1 through the hub", CR("demo.example.com/v1beta1",
	  GAD("v1alpha1", "", "\"paused\":\"no\",\"config\":{\"cron\":\"c\"}")), 200,
	  OK(GAD("v1beta1", TZ_ANN "\"\\\"UTC\\\"\"}",
	  "\"config\":{},\"suspend\":false,\"cronSpec\":\"c\"")), NULL },
	{ "v1beta1 -> v1alpha1 through the hub", CR("demo.example.com/v1alpha1",
	  GAD("v1beta1", "", "\"cronSpec\":\"c\",\"suspend\":true")), 200,
	  OK(GAD("v1alpha1", TZ_ANN "\"\\\"UTC\\\"\"}", "\"paused\":\"yes\",\"config\":{\"cron\":\"c\"}")),
	  NULL },
	{ "custom function refuses a value", CR("demo.example.com/v1",
	  GAD("v1alpha1", "", "\"paused\":\"maybe\"")), 200, NULL,
	  "spec.paused must be \\\"yes\\\" or \\\"no\\\"" },
	{ "failure drops earlier objects", CR("demo.example.com/v1",
	  GAD("v1beta1", "", "") "," GAD("v1alpha1", "", "\"paused\":1")), 200, NULL,
	  "\"response\":{\"uid\":\"u-1\",\"result\":{\"status\":\"Failure\"" },
};

/* Parses body, converts with the test tables into out. */
static int
run(const char *body, size_t len, char *outp, size_t cap, size_t *outlen,
    struct verdict *info)
{
	static struct json_store st;
	struct json d;
	struct buf out;
	int status;

	memset(info, 0, sizeof(*info));
	buf_init(&out, outp, cap);
	if (json_parse(&d, &st, body, len) != JSON_OK)
		return -1;
	status = convert_review_with(&d, &out, info, kinds,
	    (int)(sizeof(kinds) / sizeof(kinds[0])));
	*outlen = out.len;
	return status;
}

/* True when s[0, n) parses with the project's own strict parser. */
static int
parses(const char *s, size_t n)
{
	static struct json_store st;
	struct json d;

	return json_parse(&d, &st, s, n) == JSON_OK && json_valid_value(s, n, CONVERT_JSON_DEPTH);
}

static void
run_cases(void)
{
	static char out[1 << 16];
	char detail[1 << 14];
	struct verdict info;
	size_t i, n = 0;
	int status, ok;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		status = run(cases[i].body, strlen(cases[i].body), out, sizeof(out) - 1, &n, &info);
		out[status < 0 ? 0 : n] = '\0';
		ok = status == cases[i].status &&
		    (cases[i].want == NULL || strcmp(out, cases[i].want) == 0) &&
		    (cases[i].has == NULL || strstr(out, cases[i].has) != NULL) &&
		    parses(out, n);
		snprintf(detail, sizeof(detail), "status %d\n  got  %s\n  want %s", status, out,
		    cases[i].want ? cases[i].want : cases[i].has);
		check(ok, cases[i].what, detail);
		if (status == 200)
			check(strcmp(info.kind, "ConversionReview") == 0 &&
			    strcmp(info.uid, "u-1") == 0 &&
			    info.allowed == (strstr(out, "\"Success\"") != NULL),
			    "info filled", cases[i].what);
	}
}

/*
 * Converts obj to version `to`, then the result back to `back`, and checks
 * the final object is byte-identical to want.
 */
static void
round_trip(const char *what, const char *obj, const char *to, const char *back,
    const char *want)
{
	static char body[1 << 15], out[1 << 15];
	static struct json_store st;
	struct verdict info;
	struct json d;
	size_t n, off, on;
	int o;

	snprintf(body, sizeof(body), "{" ENV ",\"request\":{\"uid\":\"u-1\","
	    "\"desiredAPIVersion\":\"%s\",\"objects\":[%s]}}", to, obj);
	if (run(body, strlen(body), out, sizeof(out), &n, &info) != 200 ||
	    json_parse(&d, &st, out, n) != JSON_OK) {
		check(0, what, "first step failed");
		return;
	}
	o = json_index(&d, json_getp(&d, 0, "response.convertedObjects"), 0);
	json_span(&d, o, &off, &on);
	snprintf(body, sizeof(body), "{" ENV ",\"request\":{\"uid\":\"u-1\","
	    "\"desiredAPIVersion\":\"%s\",\"objects\":[%.*s]}}", back, (int)on, out + off);
	if (run(body, strlen(body), out, sizeof(out), &n, &info) != 200 ||
	    json_parse(&d, &st, out, n) != JSON_OK) {
		check(0, what, "second step failed");
		return;
	}
	o = json_index(&d, json_getp(&d, 0, "response.convertedObjects"), 0);
	json_span(&d, o, &off, &on);
	out[n < sizeof(out) ? n : sizeof(out) - 1] = '\0';
	check(on == strlen(want) && memcmp(out + off, want, on) == 0, what, out);
}

static void
run_round_trips(void)
{
	round_trip("crontab v1beta1 -> v1 -> v1beta1", CT_B, "stable.example.com/v1",
	    "stable.example.com/v1beta1", CT_B);
	round_trip("crontab v1 -> v1beta1 -> v1", CT_1, "stable.example.com/v1beta1",
	    "stable.example.com/v1", CT_1);
	round_trip("widget v1 -> v2 -> v1", "{\"apiVersion\":\"rig.example.com/v1\",\"kind\":"
	    "\"Widget\",\"spec\":{\"size\":3}}", "rig.example.com/v2", "rig.example.com/v1",
	    "{\"apiVersion\":\"rig.example.com/v1\",\"kind\":\"Widget\",\"spec\":{\"size\":3}}");
	/* The hub-only field comes back from its annotation; the emptied
	 * annotations map goes (ObjectMeta omits empty maps). */
	round_trip("gadget v1 -> v1beta1 -> v1 (annotation)",
	    GAD("v1", "", "\"schedule\":\"s\",\"suspend\":true,\"timeZone\":{\"n\":\"\\u00e9\\\"\"}"),
	    "demo.example.com/v1beta1", "demo.example.com/v1",
	    GAD("v1", "", "\"schedule\":\"s\",\"suspend\":true,\"timeZone\":{\"n\":\"\\u00e9\\\"\"}"));
	round_trip("gadget v1beta1 -> v1 -> v1beta1 (spoke-only note)",
	    GAD("v1beta1", TZ_ANN "\"\\\"Asia/Tokyo\\\"\"}", "\"cronSpec\":\"c\",\"note\":[1,2]"),
	    "demo.example.com/v1", "demo.example.com/v1beta1",
	    GAD("v1beta1", TZ_ANN "\"\\\"Asia/Tokyo\\\"\"}", "\"cronSpec\":\"c\",\"note\":[1,2]"));
	round_trip("gadget v1alpha1 -> v1beta1 -> v1alpha1",
	    GAD("v1alpha1", TZ_ANN "\"\\\"UTC\\\"\"}", "\"config\":{\"cron\":\"c\"},\"paused\":\"yes\""),
	    "demo.example.com/v1beta1", "demo.example.com/v1alpha1",
	    GAD("v1alpha1", TZ_ANN "\"\\\"UTC\\\"\"}", "\"config\":{\"cron\":\"c\"},\"paused\":\"yes\""));
}

/* The JSON text check used on restored annotations and defaults. */
static void
run_json_valid(void)
{
	static const struct {
		const char	*s;
		int		 ok;
	} v[] = {
		{ "1", 1 }, { " -0.5e+3 ", 1 }, { "\"a\\u00e9\\n\"", 1 }, { "[]", 1 },
		{ "{\"a\":[true,false,null,{}]}", 1 }, { "\"\xc3\xa9\"", 1 },
		{ "", 0 }, { "01", 0 }, { "1.", 0 }, { "-", 0 }, { "tru", 0 }, { "[1,]", 0 },
		{ "{\"a\"}", 0 }, { "{\"a\":1,}", 0 }, { "\"\\x\"", 0 }, { "\"\\u12g4\"", 0 },
		{ "\"\x01\"", 0 }, { "\"\xc3\"", 0 }, { "1 2", 0 }, { "{1:2}", 0 }, { "[", 0 },
		{ "\"abc", 0 }, { "nul", 0 },
	};
	char deep[2 * CONVERT_JSON_DEPTH + 3];
	size_t i;

	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++)
		check(json_valid_value(v[i].s, strlen(v[i].s), CONVERT_JSON_DEPTH) == v[i].ok, "json valid", v[i].s);
	memset(deep, '[', CONVERT_JSON_DEPTH + 1);
	memset(deep + CONVERT_JSON_DEPTH + 1, ']', CONVERT_JSON_DEPTH + 1);
	check(!json_valid_value(deep, 2 * CONVERT_JSON_DEPTH + 2, CONVERT_JSON_DEPTH), "json too deep", "");
	check(json_valid_value(deep + 1, 2 * CONVERT_JSON_DEPTH, CONVERT_JSON_DEPTH), "json at max depth", "");
}

/* A response that does not fit is a 500, never a cut document. */
static void
run_overflow(void)
{
	static const char body[] = CR("stable.example.com/v1", CT_B "," CT_B);
	static char out[256];
	struct verdict info;
	size_t n;
	int status = run(body, strlen(body), out, sizeof(out), &n, &info);

	check(status == 500 && parses(out, n) && strstr(out, "larger than its buffer") != NULL,
	    "small buffer -> 500", out);
}

int
main(void)
{
	run_cases();
	run_round_trips();
	run_json_valid();
	run_overflow();
	printf("convert_test: %d passed, %d failed\n", passed, failed);
	return failed != 0;
}
