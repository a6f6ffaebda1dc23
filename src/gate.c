/*
 * gate.c: `tinyhook test PATH...`: a policy's test files, in the spirit of
 * `kyverno test` and Gatekeeper's `gator verify`. A test file (YAML):
 *
 *	policy: reference		# the policy it tests (policy_name)
 *	resources:			# files (relative to this file) or inline objects
 *	- pods.yaml
 *	- apiVersion: v1
 *	  kind: Pod
 *	  metadata: {name: bad, namespace: default}
 *	  ...
 *	results:			# one per object of the resources
 *	- kind: Pod
 *	  name: bad
 *	  namespace: default		# optional
 *	  result: deny			# pass | deny | warn | skip
 *	  message: must start with	# optional: a substring of the messages
 *	  patched: {...}		# optional: the object after the policy's patch
 *
 * The resources go through the same pipeline as `tinyhook review`. Each
 * expected result is a case; an object of the resources without an expected
 * result, or a resource that cannot be read, fails too: a test file says
 * what happens to everything it holds. A directory PATH runs its *.yaml and
 * *.yml files (not recursively) whose policy is the compiled one.
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "json.h"
#include "limit.h"
#include "offline.h"
#include "review.h"
#include "version.h"
#include "yml.h"

static const char gate_usage[] =
    "usage: tinyhook test PATH...\n"
    "  Runs test files (YAML: policy, resources, results; see policies/tests/) against\n"
    "  the compiled policy: each expected result is a case, printed PASS or FAIL, then\n"
    "  \"N passed, N failed\". A directory runs its *.yaml and *.yml files whose policy\n"
    "  is this binary's. Exit 0 when every case passed, 1 otherwise.\n";

struct gate {
	int		 passed, failed, files;
	const char	*file;
};

/* One case's outcome. */
static void
gate_case(struct gate *g, int ok, const char *what, const char *why)
{
	if (ok)
		g->passed++;
	else
		g->failed++;
	printf("%s %s: %s%s%s\n", ok ? "PASS" : "FAIL", g->file, what, why[0] ? ": " : "", why);
}

/* Collects the first document of a test file as JSON. */
struct gate_doc {
	struct ostr	 json;
	long		 line;
	int		 n;
	struct ostr	 err;
};

static void
gate_nop_begin(void *arg, const char *file, int yaml)
{
	(void)arg;
	(void)file;
	(void)yaml;
}

static void
gate_nop_end(void *arg, const char *file, int ok)
{
	(void)arg;
	(void)file;
	(void)ok;
}

static int
gate_doc_piece(void *arg, const struct inputs_piece *p)
{
	struct gate_doc *gd = arg;

	if (gd->n++ == 0 && !p->skeleton && p->item < 0) {
		ostr_put(&gd->json, p->text, p->len);
		gd->line = p->line;
	}
	return 0;
}

static void
gate_doc_error(void *arg, const char *file, long line, long col, const char *msg)
{
	struct gate_doc *gd = arg;

	if (gd->err.len == 0)
		ostr_printf(&gd->err, "%s:%ld:%ld: %s", file, line, col, msg);
}

/* Whether strings a and b are equal once unescaped. */
static int
gate_str_equal(struct json *a, int va, struct json *b, int vb)
{
	size_t n;
	char *s;
	long len;
	int eq;

	json_raw(b, vb, &n);
	if ((s = malloc(n + 1)) == NULL)
		return 0;
	len = json_str_copy(b, vb, s, n + 1);
	eq = len >= 0 && json_str_eqn(a, va, s, (size_t)len);
	free(s);
	return eq;
}

/* Whether two JSON values are equal (objects as key sets, last duplicate wins). */
static int
gate_equal(struct json *a, int va, struct json *b, int vb, struct ostr *where)
{
	char key[GATE_STR_MAX];
	enum json_type t = json_type(a, va);
	size_t na, nb, at = where->len;
	const char *ra, *rb;
	int k, i;

	if (t != json_type(b, vb))
		return 0;
	switch (t) {
	case JSON_STRING:
		return gate_str_equal(a, va, b, vb);
	case JSON_NUMBER:
		ra = json_raw(a, va, &na);
		rb = json_raw(b, vb, &nb);
		return strtod(ra, NULL) == strtod(rb, NULL);
	case JSON_OBJECT:
		for (i = 0; i < 2; i++)
			for (k = json_first(i ? b : a, i ? vb : va); k != JSON_NONE;
			    k = json_next(i ? b : a, k)) {
				json_str_copy(i ? b : a, k, key, sizeof(key));
				where->len = at;
				ostr_printf(where, "/%s", key);
				if (json_get(i ? a : b, i ? va : vb, key) == JSON_NONE)
					return 0;
				if (!gate_equal(a, json_get(a, va, key), b, json_get(b, vb, key), where))
					return 0;
			}
		where->len = at;
		return 1;
	case JSON_ARRAY:
		if (json_len(a, va) != json_len(b, vb))
			return 0;
		for (i = 0; i < json_len(a, va); i++) {
			where->len = at;
			ostr_printf(where, "/%d", i);
			if (!gate_equal(a, json_index(a, va, i), b, json_index(b, vb, i), where))
				return 0;
		}
		where->len = at;
		return 1;
	default:
		ra = json_raw(a, va, &na);
		rb = json_raw(b, vb, &nb);
		return na == nb && memcmp(ra, rb, na) == 0;
	}
}

static void
gate_str(struct json *d, int obj, const char *key, char *dst)
{
	dst[0] = '\0';
	if (json_type(d, json_get(d, obj, key)) == JSON_STRING)
		json_str_copy(d, json_get(d, obj, key), dst, GATE_STR_MAX);
}

static const char *
gate_at(const struct report *r, size_t off)
{
	return report_at(r, off) != NULL ? report_at(r, off) : "";
}

static int
gate_verdict(const char *s)
{
	return strcmp(s, "pass") == 0 ? V_PASS : strcmp(s, "deny") == 0 ? V_DENY :
	    strcmp(s, "warn") == 0 ? V_WARN : strcmp(s, "skip") == 0 ? V_SKIP : -1;
}

/* Checks the patched object of x against expected value e of d. */
static void
gate_patched(struct gate *g, const struct report *r, const struct report_rec *x,
    struct json *d, int e, const char *what)
{
	struct json_store st = { NULL, 0 };
	struct json pd;
	struct ostr where = OSTR_INIT, why = OSTR_INIT;
	const char *t = report_at(r, x->patched);
	int err = t != NULL ? json_parse(&pd, &st, t, strlen(t)) : JSON_ERR_SYNTAX;
	int ok = (err == JSON_OK || err == JSON_ERR_NOTOBJ) && gate_equal(d, e, &pd, 0, &where);

	if (!ok)
		ostr_printf(&why, "the patched object differs at %s: %.300s",
		    where.len ? where.p : "/", t ? t : "(none)");
	gate_case(g, ok, what, ok ? "" : ostr_str(&why));
	ostr_free(&where);
	ostr_free(&why);
	json_store_free(&st);
}

/* One expected result against the records; marks the record it matched. */
static void
gate_expect(struct gate *g, struct report *r, char *used, struct json *d, int e)
{
	char kind[GATE_STR_MAX], name[GATE_STR_MAX], ns[GATE_STR_MAX], res[GATE_STR_MAX];
	char msg[GATE_STR_MAX], what[4 * GATE_STR_MAX + 16];
	struct ostr got = OSTR_INIT, why = OSTR_INIT;
	const struct report_rec *x = NULL;
	int i, n = 0, want;

	gate_str(d, e, "kind", kind);
	gate_str(d, e, "name", name);
	gate_str(d, e, "namespace", ns);
	gate_str(d, e, "result", res);
	gate_str(d, e, "message", msg);
	snprintf(what, sizeof(what), "%s %s%s%s %s", kind, ns, ns[0] ? "/" : "", name, res);
	for (i = 0; i < r->n; i++) {
		const struct report_rec *y = &r->rec[i];

		if (y->v == V_ERROR || strcmp(gate_at(r, y->kind), kind) != 0 ||
		    strcmp(gate_at(r, y->name), name) != 0 ||
		    (ns[0] && strcmp(gate_at(r, y->ns), ns) != 0))
			continue;
		x = y;
		used[i] = 1;
		n++;
	}
	if ((want = gate_verdict(res)) < 0 || n != 1) {
		gate_case(g, 0, what, want < 0 ? "result must be pass, deny, warn or skip" :
		    n == 0 ? "no such object in the resources" :
		    "several objects match (give the namespace)");
		return;
	}
	report_message(r, x, &got);
	if (x->v != (enum report_verdict)want)
		ostr_printf(&why, "got %s (%s)", report_verdict_name(x->v), ostr_str(&got));
	else if (msg[0] && strstr(ostr_str(&got), msg) == NULL)
		ostr_printf(&why, "the messages do not contain \"%s\": %s", msg, ostr_str(&got));
	gate_case(g, why.len == 0, what, ostr_str(&why));
	if (why.len == 0 && json_get(d, e, "patched") != JSON_NONE) {
		strncat(what, " patched", sizeof(what) - strlen(what) - 1);
		gate_patched(g, r, x, d, json_get(d, e, "patched"), what);
	}
	ostr_free(&got);
	ostr_free(&why);
}

/* The resources of a test file into r (paths relative to the file's directory). */
static int
gate_resources(const struct offline_opts *o, const char *file, struct json *d,
    int res, struct report *r)
{
	const char *slash = strrchr(file, '/');
	char rel[2048], path[4096], label[4096 + 32], *p = path;
	size_t off, n;
	int v, i = 0, rc = 0;

	for (v = json_first(d, res); v != JSON_NONE && rc == 0; v = json_next(d, v), i++) {
		if (json_type(d, v) == JSON_OBJECT) {
			json_span(d, v, &off, &n);
			snprintf(label, sizeof(label), "%s:resources[%d]", file, i);
			rc = offline_run_text(o, label, d->s + off, n, 0, r);
			continue;
		}
		json_str_copy(d, v, rel, sizeof(rel));
		if (rel[0] == '/' || slash == NULL)
			p = rel;
		else
			snprintf(p = path, sizeof(path), "%.*s/%s", (int)(slash - file) & 2047, file, rel);
		rc = offline_run(o, &p, 1, r);
	}
	return rc;
}

/* Runs one test file. dir_mode: a file for another policy is skipped. */
static void
gate_file(struct gate *g, const char *file, int dir_mode)
{
	struct inputs_limits lim = { INPUTS_MAX_FILE, INPUTS_MAX_OBJECT };
	struct offline_opts o;
	struct gate_doc gd;
	struct inputs_sink sink = { NULL, gate_nop_begin, gate_nop_end, gate_doc_piece,
	    gate_doc_error };
	struct json_store st = { NULL, 0 };
	struct json d;
	struct report r;
	char policy[GATE_STR_MAX], what[GATE_STR_MAX + 64];
	char *used = NULL, *files[1] = { (char *)file };
	int i, e;

	memset(&gd, 0, sizeof(gd));
	memset(&o, 0, sizeof(o));
	o.lim = lim;
	o.keep_patched = 1;
	sink.arg = &gd;
	g->file = file;
	report_init(&r);
	inputs_run(files, 1, &lim, &sink);
	if (gd.err.len > 0 || json_parse(&d, &st, ostr_str(&gd.json), gd.json.len) != JSON_OK) {
		gate_case(g, 0, "read the test file", gd.err.len ? gd.err.p : "not a mapping");
		goto out;
	}
	gate_str(&d, 0, "policy", policy);
	if (strcmp(policy, policy_name) != 0) {
		if (dir_mode && policy[0] != '\0')
			printf("skip %s: for policy %s (this binary: %s)\n", file, policy, policy_name);
		else
			gate_case(g, 0, "policy", "the file tests another policy than this binary's");
		goto out;
	}
	g->files++;
	if (json_type(&d, json_get(&d, 0, "results")) != JSON_ARRAY ||
	    json_len(&d, json_get(&d, 0, "results")) == 0) {
		gate_case(g, 0, "results", "a test file needs a non-empty results list");
		goto out;
	}
	if (gate_resources(&o, file, &d, json_get(&d, 0, "resources"), &r) < 0 ||
	    (used = calloc((size_t)r.n + 1, 1)) == NULL) {
		gate_case(g, 0, "resources", "out of memory");
		goto out;
	}
	for (e = json_first(&d, json_get(&d, 0, "results")); e != JSON_NONE; e = json_next(&d, e))
		gate_expect(g, &r, used, &d, e);
	for (i = 0; i < r.n; i++) {
		struct ostr src = OSTR_INIT;

		if (used[i])
			continue;
		report_source(&r, &r.rec[i], &src);
		snprintf(what, sizeof(what), "%s %s", r.rec[i].v == V_ERROR ? "resource" :
		    gate_at(&r, r.rec[i].kind), ostr_str(&src));
		gate_case(g, 0, what, r.rec[i].v == V_ERROR ? gate_at(&r, r.rec[i].msg) :
		    "an object without an expected result");
		ostr_free(&src);
	}
out:
	free(used);
	report_free(&r);
	json_store_free(&st);
	ostr_free(&gd.json);
	ostr_free(&gd.err);
}

static int
gate_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The *.yaml and *.yml files of dir, in name order. */
static void
gate_dir(struct gate *g, const char *dir)
{
	char *names[GATE_MAX_FILES];
	struct dirent *e;
	DIR *d = opendir(dir);
	int n = 0, i;
	size_t len;

	if (d == NULL)
		return;
	while ((e = readdir(d)) != NULL && n < GATE_MAX_FILES) {
		len = strlen(e->d_name);
		if (e->d_name[0] == '.' || !((len > 5 && strcmp(e->d_name + len - 5, ".yaml") == 0) ||
		    (len > 4 && strcmp(e->d_name + len - 4, ".yml") == 0)))
			continue;
		len += strlen(dir) + 2;
		if ((names[n] = malloc(len)) == NULL)
			break;
		snprintf(names[n++], len, "%s/%s", dir, e->d_name);
	}
	closedir(d);
	qsort(names, (size_t)n, sizeof(names[0]), gate_cmp);
	for (i = 0; i < n; i++) {
		gate_file(g, names[i], 1);
		free(names[i]);
	}
}

/* See offline.h. */
int
gate_cli(int argc, char **argv)
{
	struct gate g;
	struct stat sb;
	int i;

	memset(&g, 0, sizeof(g));
	if (argc < 2 || strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0) {
		fputs(gate_usage, argc < 2 ? stderr : stdout);
		return argc < 2 ? 2 : 0;
	}
	if (!yml_built_in) {
		fprintf(stderr, "tinyhook test: test files are YAML, and YAML is not built into "
		    "this binary (make YAML=0)\n");
		return 2;
	}
	for (i = 1; i < argc; i++) {
		if (stat(argv[i], &sb) == 0 && S_ISDIR(sb.st_mode))
			gate_dir(&g, argv[i]);
		else
			gate_file(&g, argv[i], 0);
	}
	if (g.files == 0 && g.failed == 0) {
		g.file = argc > 2 ? "(paths)" : argv[1];
		gate_case(&g, 0, "test files", "none for this binary's policy");
	}
	printf("%d passed, %d failed\n", g.passed, g.failed);
	return g.failed > 0 ? 1 : 0;
}
