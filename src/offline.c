/*
 * offline.c: `tinyhook review`: its command line, and the run of every
 * input (inputs.h) through the per-piece reviewer (offline_review.h) into
 * the report (see offline.h). Not on the request path: it allocates.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "limit.h"
#include "offline.h"
#include "offline_review.h"
#include "review.h"
#include "rules.h"
#include "yml_write.h"

static const char review_usage[] =
    "usage: tinyhook review [flags] [FILE|DIR|-]...\n"
    "  Reviews every object of the inputs with the compiled policy, as the webhook\n"
    "  would: JSON or YAML files (many documents, kind: List and *List as kubectl get\n"
    "  prints them), directories (their *.yaml, *.yml, *.json, recursively) and - for\n"
    "  stdin (the default). Bare objects are reviewed as a CREATE, AdmissionReviews as\n"
    "  they are, ConversionReviews through /convert. One line per object:\n"
    "    DENY|WARN|PASS|SKIP Kind namespace/name file:document messages\n"
    "  then \"N objects: a passed, d denied, w warned, s skipped\".\n"
    "  Exit 0 nothing denied, 1 something denied, 2 bad input (nothing in a bad file\n"
    "  counts as passed).\n"
    "flags:\n"
    "  -o text|json|junit      report format [text]\n"
    "  --warn-exit-code N      exit N when something warned and nothing was denied [0]\n"
    "  --patched               print the objects as the policy's patch leaves them\n"
    "                          (YAML for YAML input, JSON lines otherwise) on stdout;\n"
    "                          the report goes to stderr\n"
    "  -v                      also print each review's /mutate and /validate answers,\n"
    "                          the decoded patch and the patched object\n"
    "  --json                  those details as one JSON object per object, nothing else\n"
    "  --namespace NS          namespace of objects without one [theirs, else default]\n"
    "  --max-file-size BYTES   largest input file (suffix Ki, Mi, Gi) [1Gi]\n"
    "  --max-object-size BYTES largest document or List item (suffix Ki, Mi, Gi) [16Mi]\n";

static void
offline_begin(void *arg, const char *file, int yaml)
{
	struct offline *o = arg;

	(void)file;
	o->yaml = yaml;
	report_file_begin(o->r);
}

static void
offline_end(void *arg, const char *file, int ok)
{
	(void)file;
	report_file_end(((struct offline *)arg)->r, ok);
}

static void
offline_error(void *arg, const char *file, long line, long col, const char *msg)
{
	report_error(((struct offline *)arg)->r, file, line, col, msg);
}

static int
offline_open(struct offline *o, const struct offline_opts *opts, struct report *r)
{
	memset(o, 0, sizeof(*o));
	o->ns = opts->ns;
	o->keep_patched = opts->keep_patched;
	o->detail = opts->detail;
	o->detail_out = opts->detail_out;
	o->r = r;
	o->has_validate = rules_serve(policy_rules, policy_nrules, 0);
	o->has_mutate = rules_serve(policy_rules, policy_nrules, 1);
	if ((o->ctx = review_ctx_new(opts->lim.max_object)) == NULL) {
		r->nomem = 1;
		return -1;
	}
	return 0;
}

static void
offline_close(struct offline *o)
{
	review_ctx_free(o->ctx);
	json_store_free(&o->st);
	json_store_free(&o->ast);
	ostr_free(&o->wrap);
	free(o->mout.p);
	free(o->vout.p);
}

/* See offline.h. */
int
offline_run(const struct offline_opts *opts, char *const *paths, int n, struct report *r)
{
	struct offline o;
	struct inputs_sink sink = { NULL, offline_begin, offline_end, offline_piece, offline_error };

	if (offline_open(&o, opts, r) < 0)
		return -1;
	sink.arg = &o;
	inputs_run(paths, n, &opts->lim, &sink);
	offline_close(&o);
	return r->nomem ? -1 : 0;
}

/* See offline.h. */
int
offline_run_text(const struct offline_opts *opts, const char *file, const char *text,
    size_t len, long line, struct report *r)
{
	struct offline o;
	struct inputs_piece p;
	int rc;

	if (offline_open(&o, opts, r) < 0)
		return -1;
	memset(&p, 0, sizeof(p));
	p.file = file;
	p.doc = 1;
	p.item = -1;
	p.yaml = 1;
	p.text = text;
	p.len = len;
	p.line = line;
	p.col = 1;
	report_file_begin(r);
	rc = offline_piece(&o, &p);
	report_file_end(r, rc == 0);
	offline_close(&o);
	return r->nomem ? -1 : 0;
}

/* Parses a size with an optional Ki/Mi/Gi suffix; 0 when malformed. */
static unsigned long long
offline_size(const char *s)
{
	char *end;
	unsigned long long v;

	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno != 0 || end == s || s[0] == '-')
		return 0;
	if (strcmp(end, "Ki") == 0)
		v <<= 10;
	else if (strcmp(end, "Mi") == 0)
		v <<= 20;
	else if (strcmp(end, "Gi") == 0)
		v <<= 30;
	else if (*end != '\0')
		return 0;
	return v;
}

/* Flags of `tinyhook review`. */
struct offline_flags {
	struct offline_opts	 o;
	enum report_format	 fmt;
	int			 warn_exit, patched;
	char			**paths;
	int			 npaths;
};

/* Parses one flag with a value at argv[*i]. Returns 0, or -1 when bad. */
static int
offline_flag_value(struct offline_flags *f, const char *flag, const char *v)
{
	unsigned long long n;

	if (strcmp(flag, "-o") == 0 || strcmp(flag, "--output") == 0) {
		f->fmt = strcmp(v, "json") == 0 ? FMT_JSON : strcmp(v, "junit") == 0 ? FMT_JUNIT :
		    strcmp(v, "text") == 0 ? FMT_TEXT : NUM_FORMATS;
		return f->fmt == NUM_FORMATS ? -1 : 0;
	}
	if (strcmp(flag, "--namespace") == 0) {
		f->o.ns = v;
		return v[0] == '\0' ? -1 : 0;
	}
	if (strcmp(flag, "--warn-exit-code") == 0) {
		n = offline_size(v);
		f->warn_exit = (int)n;
		return n > 255 || (n == 0 && strcmp(v, "0") != 0) ? -1 : 0;
	}
	n = offline_size(v);
	if (strcmp(flag, "--max-file-size") == 0 && n > 0)
		f->o.lim.max_file = n;
	else if (strcmp(flag, "--max-object-size") == 0 && n > 0 && n < JSON_MAX_LEN)
		f->o.lim.max_object = (size_t)n;
	else
		return -1;
	return 0;
}

/* Parses argv. Returns -1 to go on, or an exit code (usage printed). */
static int
offline_flags(struct offline_flags *f, int argc, char **argv)
{
	static const char *const valued[] = { "-o", "--output", "--namespace",
	    "--warn-exit-code", "--max-file-size", "--max-object-size" };
	size_t k;
	int i;

	for (i = 1; i < argc; i++) {
		for (k = 0; k < sizeof(valued) / sizeof(valued[0]); k++)
			if (strcmp(argv[i], valued[k]) == 0)
				break;
		if (k < sizeof(valued) / sizeof(valued[0])) {
			if (i + 1 >= argc || offline_flag_value(f, argv[i], argv[i + 1]) < 0) {
				fprintf(stderr, "tinyhook review: %s: a bad or missing value\n%s",
				    argv[i], review_usage);
				return 2;
			}
			i++;
		} else if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
			fputs(review_usage, stdout);
			return 0;
		} else if (strcmp(argv[i], "-v") == 0)
			f->o.detail = 1;
		else if (strcmp(argv[i], "--json") == 0)
			f->o.detail = 2;
		else if (strcmp(argv[i], "--patched") == 0)
			f->patched = f->o.keep_patched = 1;
		else if (argv[i][0] == '-' && argv[i][1] != '\0') {
			fprintf(stderr, "tinyhook review: unknown flag %s\n%s", argv[i], review_usage);
			return 2;
		} else
			f->paths[f->npaths++] = argv[i];
	}
	return -1;
}

/* --patched: every object as the patch leaves it, in input order. */
static void
offline_print_patched(const struct report *r, FILE *out)
{
	struct json_store st = { NULL, 0 };
	struct ostr y = OSTR_INIT;
	struct json d;
	const char *t;
	int i, err;

	for (i = 0; i < r->n; i++) {
		if (r->rec[i].dropped || (t = report_at(r, r->rec[i].patched)) == NULL)
			continue;
		if (!r->rec[i].yaml) {
			offline_put_compact(t, strlen(t), out);
			putc('\n', out);
			continue;
		}
		err = json_parse(&d, &st, t, strlen(t));
		if (err != JSON_OK && err != JSON_ERR_NOTOBJ)
			continue;
		y.len = 0;
		yml_write(&y, &d, 0);
		fprintf(out, "---\n%s", ostr_str(&y));
	}
	ostr_free(&y);
	json_store_free(&st);
}

/* See offline.h: `tinyhook review [flags] [FILE|DIR|-]...`. */
int
review_cli(int argc, char **argv)
{
	static char *dash[] = { "-" };
	struct offline_flags f;
	struct report r;
	int rc;

	memset(&f, 0, sizeof(f));
	f.o.lim.max_file = INPUTS_MAX_FILE;
	f.o.lim.max_object = INPUTS_MAX_OBJECT;
	f.o.detail_out = stdout;
	if ((f.paths = calloc((size_t)argc + 1, sizeof(*f.paths))) == NULL)
		return 2;
	if ((rc = offline_flags(&f, argc, argv)) >= 0) {
		free(f.paths);
		return rc;
	}
	report_init(&r);
	if (offline_run(&f.o, f.npaths ? f.paths : dash, f.npaths ? f.npaths : 1, &r) < 0)
		fprintf(stderr, "tinyhook review: out of memory\n");
	if (f.patched)
		offline_print_patched(&r, stdout);
	/* --patched and --json keep stdout for objects: the report goes to stderr. */
	report_print(&r, f.fmt, f.patched || f.o.detail == 2 ? stderr : stdout);
	rc = report_exit(&r, f.warn_exit);
	report_free(&r);
	free(f.paths);
	return rc;
}
