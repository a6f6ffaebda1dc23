/*
 * rules_test.c: each built-in rule kind on objects -> verdict, message and
 * patch, through the engine (rules_run) the reviewer calls. Each row is one
 * rule on one object; expectations follow the kind's contract in rules.h
 * and Kubernetes' own semantics (image references as distribution/reference
 * reads them, labels, imagePullPolicy), not the code.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "kinds.h"
#include "patch.h"
#include "rules.h"

#include "check.h"

#define POD(spec)	"{\"metadata\":{\"name\":\"p\",\"labels\":{\"app\":\"a\"}},\"spec\":" spec "}"
#define C1(img)		"{\"containers\":[{\"name\":\"c\",\"image\":\"" img "\"}]}"

static const struct rule r_req_owner[] = { REQUIRE_LABEL(DENY, "owner") };
static const struct rule r_reg[] = { ALLOWED_REGISTRIES(DENY, "registry.example.com/") };
static const struct rule r_reg_noslash[] = { ALLOWED_REGISTRIES(DENY, "registry.example.com") };
static const struct rule r_reg_port[] = { ALLOWED_REGISTRIES(DENY, "registry.example.com:5000/") };
static const struct rule r_reg_hub[] = { ALLOWED_REGISTRIES(DENY, "docker.io/library/") };
static const struct rule r_reg_local[] = { ALLOWED_REGISTRIES(DENY, "localhost:5000") };
static const struct rule r_prefix[] = { IMAGE_PREFIX(DENY, "registry.example.com/") };
static const struct rule r_name_prefix[] = { IMAGE_NAME_PREFIX(DENY, "team_") };
static const struct rule r_latest[] = { NO_LATEST_TAG(DENY) };
static const struct rule r_latest_warn[] = { NO_LATEST_TAG(WARN) };
static const struct rule r_priv[] = { NO_PRIVILEGED(DENY) };
static const struct rule r_hostns[] = { NO_HOST_NAMESPACES(DENY) };
static const struct rule r_hostpath[] = { NO_HOST_PATH(DENY) };
static const struct rule r_caps[] = { NO_ADDED_CAPABILITIES(DENY) };
static const struct rule r_caps_but[] = { NO_ADDED_CAPABILITIES_BUT(DENY, "NET_ADMIN") };
static const struct rule r_nonroot[] = { REQUIRE_RUN_AS_NON_ROOT(DENY) };
static const struct rule r_audit[] = { AUDIT_IMAGES() };
static const struct rule r_label[] = { DEFAULT_LABEL("env", "dev") };
static const struct rule r_label_slash[] = { DEFAULT_LABEL("app.kubernetes.io/name", "x") };
static const struct rule r_pull[] = { IMAGE_PULL_POLICY("Always") };
static const struct rule r_force[] = { FORCE_IMAGE_PULL_POLICY("Always") };
static const struct rule r_secret[] = { ADD_IMAGE_PULL_SECRET("creds") };

#define R(t)	t, sizeof(t) / sizeof(t[0])

static const struct {
	const struct rule	*rules;
	size_t			 n;
	const char		*kind;		/* workload kind of the object */
	const char		*obj;
	const char		*deny;		/* the joined denial (escaped), "" none */
	const char		*warn;		/* the warnings JSON, "" none */
	const char		*patch;		/* the ops JSON, "" none */
} cases[] = {
	/* require_label */
	{ R(r_req_owner), "Pod", POD(C1("x")), "missing required label \\\"owner\\\"", "", "" },
	{ R(r_req_owner), "Pod", "{\"metadata\":{\"labels\":{\"owner\":\"me\"}},\"spec\":{}}", "", "", "" },
	{ R(r_req_owner), "Pod", "{\"metadata\":{\"labels\":{\"owner\":\"\"}},\"spec\":{}}",
	  "missing required label \\\"owner\\\"", "", "" },
	{ R(r_req_owner), "Pod", "{\"metadata\":{\"labels\":null},\"spec\":{}}",
	  "missing required label \\\"owner\\\"", "", "" },
	{ R(r_req_owner), "Pod", "{\"metadata\":{\"labels\":{\"own\\u0065r\":\"me\"}},\"spec\":{}}", "", "", "" },
	/* allowed_registries */
	{ R(r_reg), "Pod", POD(C1("registry.example.com/app:1")), "", "", "" },
	{ R(r_reg), "Pod", POD(C1("registry.example.com.evil.io/app:1")),
	  "container \\\"c\\\" image \\\"registry.example.com.evil.io/app:1\\\" is not from an allowed registry (registry.example.com/)", "", "" },
	{ R(r_reg_noslash), "Pod", POD(C1("registry.example.com/app:1")), "", "", "" },
	{ R(r_reg_noslash), "Pod", POD(C1("registry.example.com.evil.io/app:1")),
	  "container \\\"c\\\" image \\\"registry.example.com.evil.io/app:1\\\" is not from an allowed registry (registry.example.com)", "", "" },
	{ R(r_reg_noslash), "Pod", POD(C1("registry.example.com:5000/app")),
	  "container \\\"c\\\" image \\\"registry.example.com:5000/app\\\" is not from an allowed registry (registry.example.com)", "", "" },
	{ R(r_reg_port), "Pod", POD(C1("registry.example.com:5000/app")), "", "", "" },
	{ R(r_reg_hub), "Pod", POD(C1("nginx:1")), "", "", "" },
	{ R(r_reg_hub), "Pod", POD(C1("docker.io/nginx:1")), "", "", "" },
	{ R(r_reg_hub), "Pod", POD(C1("index.docker.io/library/nginx:1")), "", "", "" },
	{ R(r_reg_hub), "Pod", POD(C1("user/nginx:1")),
	  "container \\\"c\\\" image \\\"user/nginx:1\\\" is not from an allowed registry (docker.io/library/)", "", "" },
	{ R(r_reg_local), "Pod", POD(C1("localhost:5000/app")), "", "", "" },
	{ R(r_reg_local), "Pod", POD(C1("localhost/app")),
	  "container \\\"c\\\" image \\\"localhost/app\\\" is not from an allowed registry (localhost:5000)", "", "" },
	{ R(r_reg), "Pod", POD(C1("Registry.example.com/App")),
	  "container \\\"c\\\" image \\\"Registry.example.com/App\\\" is not a valid image reference", "", "" },
	{ R(r_reg), "Pod", POD("{\"initContainers\":[{\"name\":\"i\",\"image\":\"evil.io/x\"}],"
	  "\"containers\":[{\"name\":\"c\",\"image\":\"registry.example.com/a\"}],"
	  "\"ephemeralContainers\":[{\"name\":\"e\",\"image\":\"evil.io/y\"}]}"),
	  "container \\\"i\\\" image \\\"evil.io/x\\\" is not from an allowed registry (registry.example.com/); "
	  "container \\\"e\\\" image \\\"evil.io/y\\\" is not from an allowed registry (registry.example.com/)", "", "" },
	{ R(r_reg), "Deployment", "{\"metadata\":{},\"spec\":{\"template\":{\"spec\":" C1("evil.io/x") "}}}",
	  "container \\\"c\\\" image \\\"evil.io/x\\\" is not from an allowed registry (registry.example.com/)", "", "" },
	{ R(r_reg), "CronJob", "{\"metadata\":{},\"spec\":{\"jobTemplate\":{\"spec\":{\"template\":{\"spec\":"
	  C1("evil.io/x") "}}}}}",
	  "container \\\"c\\\" image \\\"evil.io/x\\\" is not from an allowed registry (registry.example.com/)", "", "" },
	/* image_prefix: a plain string prefix */
	{ R(r_prefix), "Pod", POD(C1("registry.example.com/a")), "", "", "" },
	{ R(r_prefix), "Pod", POD(C1("registry.example.comx/a")),
	  "container \\\"c\\\" image \\\"registry.example.comx/a\\\" is not from registry.example.com/", "", "" },
	/* image_name_prefix */
	{ R(r_name_prefix), "Pod", POD(C1("registry.example.com/team_web:1")), "", "", "" },
	{ R(r_name_prefix), "Pod", POD(C1("team_web")), "", "", "" },
	{ R(r_name_prefix), "Pod", POD(C1("registry.example.com/other_web:1")),
	  "container \\\"c\\\" image \\\"registry.example.com/other_web:1\\\" name does not start with \\\"team_\\\"", "", "" },
	/* no_latest_tag */
	{ R(r_latest), "Pod", POD(C1("nginx:1.27")), "", "", "" },
	{ R(r_latest), "Pod", POD(C1("nginx@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef")), "", "", "" },
	{ R(r_latest), "Pod", POD(C1("nginx")),
	  "container \\\"c\\\" image \\\"nginx\\\" has no tag or uses :latest; pin a version or digest", "", "" },
	{ R(r_latest), "Pod", POD(C1("localhost:5000/nginx")),
	  "container \\\"c\\\" image \\\"localhost:5000/nginx\\\" has no tag or uses :latest; pin a version or digest", "", "" },
	{ R(r_latest_warn), "Pod", POD(C1("nginx:latest")), "",
	  "\"container \\\"c\\\" image \\\"nginx:latest\\\" has no tag or uses :latest; pin a version or digest\"", "" },
	/* security */
	{ R(r_priv), "Pod", POD("{\"containers\":[{\"name\":\"c\",\"securityContext\":{\"privileged\":true}}]}"),
	  "container \\\"c\\\" must not be privileged (securityContext.privileged)", "", "" },
	{ R(r_priv), "Pod", POD("{\"containers\":[{\"name\":\"c\",\"securityContext\":{\"privileged\":false,\"privileged\":true}}]}"),
	  "container \\\"c\\\" must not be privileged (securityContext.privileged)", "", "" },
	{ R(r_priv), "Pod", POD("{\"containers\":[{\"name\":\"c\",\"securityContext\":{\"privileged\":false}}]}"), "", "", "" },
	{ R(r_hostns), "Pod", POD("{\"hostNetwork\":true,\"hostIPC\":true,\"containers\":[]}"),
	  "hostNetwork is not allowed; hostIPC is not allowed", "", "" },
	{ R(r_hostpath), "Pod", POD("{\"volumes\":[{\"name\":\"v\",\"hostPath\":{\"path\":\"/\"}},{\"name\":\"w\",\"emptyDir\":{}}]}"),
	  "volume \\\"v\\\" must not use hostPath", "", "" },
	{ R(r_caps), "Pod", POD("{\"containers\":[{\"name\":\"c\",\"securityContext\":{\"capabilities\":{\"add\":[\"CHOWN\",\"NET_ADMIN\"]}}}]}"),
	  "container \\\"c\\\" must not add capability \\\"NET_ADMIN\\\"", "", "" },
	{ R(r_caps_but), "Pod", POD("{\"containers\":[{\"name\":\"c\",\"securityContext\":{\"capabilities\":{\"add\":[\"CHOWN\",\"NET_ADMIN\"]}}}]}"),
	  "container \\\"c\\\" must not add capability \\\"CHOWN\\\"", "", "" },
	{ R(r_nonroot), "Pod", POD("{\"securityContext\":{\"runAsNonRoot\":true},\"containers\":[{\"name\":\"c\"}]}"), "", "", "" },
	{ R(r_nonroot), "Pod", POD("{\"securityContext\":{\"runAsNonRoot\":true},\"containers\":[{\"name\":\"c\",\"securityContext\":{\"runAsNonRoot\":false}}]}"),
	  "container \\\"c\\\" must set securityContext.runAsNonRoot to true", "", "" },
	/* mutations */
	{ R(r_label), "Pod", "{\"metadata\":{\"name\":\"p\"},\"spec\":{}}", "", "",
	  "[{\"op\":\"add\",\"path\":\"/metadata/labels\",\"value\":{\"env\":\"dev\"}}]" },
	{ R(r_label), "Pod", "{\"metadata\":{\"labels\":{\"a\":\"b\"}},\"spec\":{}}", "", "",
	  "[{\"op\":\"add\",\"path\":\"/metadata/labels/env\",\"value\":\"dev\"}]" },
	{ R(r_label), "Pod", "{\"metadata\":{\"labels\":{\"env\":\"\"}},\"spec\":{}}", "", "", "" },
	{ R(r_label), "Pod", "{\"spec\":{}}", "", "",
	  "[{\"op\":\"add\",\"path\":\"/metadata\",\"value\":{\"labels\":{\"env\":\"dev\"}}}]" },
	{ R(r_label_slash), "Pod", "{\"metadata\":{\"labels\":{}},\"spec\":{}}", "", "",
	  "[{\"op\":\"add\",\"path\":\"/metadata/labels/app.kubernetes.io~1name\",\"value\":\"x\"}]" },
	{ R(r_pull), "Pod", POD("{\"initContainers\":[{\"name\":\"i\"}],\"containers\":[{\"name\":\"c\",\"imagePullPolicy\":\"Never\"},{\"name\":\"d\"}]}"),
	  "", "", "[{\"op\":\"add\",\"path\":\"/spec/initContainers/0/imagePullPolicy\",\"value\":\"Always\"},"
	  "{\"op\":\"add\",\"path\":\"/spec/containers/1/imagePullPolicy\",\"value\":\"Always\"}]" },
	{ R(r_force), "Deployment", "{\"metadata\":{},\"spec\":{\"template\":{\"spec\":{\"containers\":[{\"name\":\"c\",\"imagePullPolicy\":\"Never\"}]}}}}",
	  "", "", "[{\"op\":\"add\",\"path\":\"/spec/template/spec/containers/0/imagePullPolicy\",\"value\":\"Always\"}]" },
	{ R(r_secret), "Pod", POD("{\"containers\":[]}"), "", "",
	  "[{\"op\":\"add\",\"path\":\"/spec/imagePullSecrets\",\"value\":[{\"name\":\"creds\"}]}]" },
	{ R(r_secret), "Pod", POD("{\"imagePullSecrets\":[{\"name\":\"other\"}]}"), "", "",
	  "[{\"op\":\"add\",\"path\":\"/spec/imagePullSecrets/-\",\"value\":{\"name\":\"creds\"}}]" },
	{ R(r_secret), "Pod", POD("{\"imagePullSecrets\":[{\"name\":\"creds\"}]}"), "", "", "" },
	/* a pod rule on an object that is not a workload does nothing */
	{ R(r_reg), "ConfigMap", "{\"metadata\":{},\"data\":{\"image\":\"evil.io/x\"}}", "", "", "" },
};

/* Runs rules on obj as kind; fills the three outputs (NUL-terminated). */
static void
run(const struct rule *rules, size_t n, const char *kind, const char *obj,
    char *deny, char *warn, char *ops, char *audit, size_t cap)
{
	static struct json_store st;
	char dmem[RULES_DENY_MAX], wmem[RULES_WARN_MAX], amem[RULES_AUDIT_MAX], pmem[PATCH_MAX];
	struct admission rq;
	struct rule_ctx rc;
	struct patch p;
	struct json d;
	const char *pj;
	size_t pn, i;
	int mutate;

	deny[0] = warn[0] = ops[0] = audit[0] = '\0';
	if (json_parse(&d, &st, obj, strlen(obj)) != JSON_OK) {
		snprintf(deny, cap, "(fixture is not JSON)");
		return;
	}
	memset(&rq, 0, sizeof(rq));
	rq.d = &d;
	rq.object = 0;
	rq.old = JSON_NONE;
	rq.meta = json_get(&d, 0, "metadata");
	rq.op = "CREATE";
	rq.pod = JSON_NONE;
	for (i = 0; i < NUM_KINDS; i++)
		if (strcmp(kinds[i].kind, kind) == 0) {
			rq.kind = &kinds[i];
			rq.pod = json_getp(&d, 0, kinds[i].spec);
		}
	memset(&rc, 0, sizeof(rc));
	rc.rq = &rq;
	rc.audit_last = -1;
	buf_init(&rc.deny, dmem, sizeof(dmem));
	buf_init(&rc.warn, wmem, sizeof(wmem));
	buf_init(&rc.audit, amem, sizeof(amem));
	patch_init(&p, pmem, sizeof(pmem));
	rc.patch = &p;
	mutate = rules[0].action == MUTATE;
	rules_run(&rc, rules, n, mutate);
	snprintf(deny, cap, "%.*s", (int)rc.deny.len, rc.deny.p);
	snprintf(warn, cap, "%.*s", (int)rc.warn.len, rc.warn.p);
	snprintf(audit, cap, "%.*s", (int)rc.audit.len, rc.audit.p);
	if ((pj = patch_json(&p, &pn)) != NULL && p.nops > 0)
		snprintf(ops, cap, "%.*s", (int)pn, pj);
}

static void
test_table(void)
{
	char deny[4096], warn[4096], ops[4096], audit[4096], what[160];
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		run(cases[i].rules, cases[i].n, cases[i].kind, cases[i].obj, deny, warn,
		    ops, audit, sizeof(deny));
		snprintf(what, sizeof(what), "case %zu (%s) denial", i, cases[i].rules[0].kind->name);
		check(strcmp(deny, cases[i].deny) == 0, what, deny);
		snprintf(what, sizeof(what), "case %zu (%s) warnings", i, cases[i].rules[0].kind->name);
		check(strcmp(warn, cases[i].warn) == 0, what, warn);
		snprintf(what, sizeof(what), "case %zu (%s) patch", i, cases[i].rules[0].kind->name);
		check(strcmp(ops, cases[i].patch) == 0, what, ops);
	}
}

/* AUDIT: one annotation keyed by the kind's name; a second report extends it. */
static void
test_audit(void)
{
	char deny[4096], warn[4096], ops[4096], audit[4096];

	run(R(r_audit), "Pod", POD("{\"containers\":[{\"name\":\"a\",\"image\":\"x:1\"},"
	    "{\"name\":\"b\",\"image\":\"y:2\"}]}"), deny, warn, ops, audit, sizeof(deny));
	check(strcmp(audit, "\"images\":\"x:1; y:2\"") == 0 && deny[0] == '\0',
	    "audit_images: one annotation listing every image", audit);
}

/* The denial never passes RULES_DENY_MAX and still denies. */
static void
test_deny_cap(void)
{
	char *obj = malloc(200000), deny[8192], warn[4096], ops[4096], audit[4096];
	size_t o = 0;
	int i;

	o += (size_t)sprintf(obj + o, "{\"metadata\":{},\"spec\":{\"containers\":[");
	for (i = 0; i < 2000; i++)
		o += (size_t)sprintf(obj + o, "%s{\"name\":\"c%d\",\"image\":\"evil.io/x%d\"}",
		    i ? "," : "", i, i);
	sprintf(obj + o, "]}}");
	run(R(r_reg), "Pod", obj, deny, warn, ops, audit, sizeof(deny));
	check(strlen(deny) <= RULES_DENY_MAX && strlen(deny) > 100 &&
	    strcmp(deny + strlen(deny) - 5, "; ...") == 0,
	    "2000 violations: the denial is cut with \"; ...\" within RULES_DENY_MAX", deny + strlen(deny) - 10);
	free(obj);
}

/* The kind table matches group and kind (a CRD named Pod is no PodSpec). */
static void
test_kinds(void)
{
	static const struct {
		const char	*gvk;
		const char	*kind;		/* NULL: no workload */
	} cases[] = {
		{ "{\"group\":\"\",\"version\":\"v1\",\"kind\":\"Pod\"}", "Pod" },
		{ "{\"version\":\"v1\",\"kind\":\"Pod\"}", "Pod" },
		{ "{\"group\":\"example.com\",\"version\":\"v1\",\"kind\":\"Pod\"}", NULL },
		{ "{\"group\":\"apps\",\"version\":\"v1\",\"kind\":\"Deployment\"}", "Deployment" },
		{ "{\"group\":\"batch\",\"version\":\"v1\",\"kind\":\"Deployment\"}", NULL },
		{ "{\"group\":\"batch\",\"version\":\"v1\",\"kind\":\"CronJob\"}", "CronJob" },
		{ "{\"group\":\"\",\"version\":\"v1\",\"kind\":\"ConfigMap\"}", NULL },
	};
	static struct json_store st;
	const struct kind *k;
	struct json d;
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		if (json_parse(&d, &st, cases[i].gvk, strlen(cases[i].gvk)) != JSON_OK) {
			check(0, "kinds fixture", cases[i].gvk);
			continue;
		}
		k = kinds_find(&d, 0, WL_ALL);
		check(cases[i].kind == NULL ? k == NULL :
		    k != NULL && strcmp(k->kind, cases[i].kind) == 0, "kinds_find", cases[i].gvk);
	}
	json_store_free(&st);
}

int
main(void)
{
	test_table();
	test_kinds();
	test_audit();
	test_deny_cap();
	printf("rules_test: %d passed, %d failed\n", passed, failed);
	return failed != 0;
}
