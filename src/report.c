/*
 * report.c: records and their three output formats (see report.h).
 *
 * text:  one line per object, VERDICT Kind namespace/name file:doc messages,
 *        then "N objects: a passed, d denied, w warned, s skipped".
 * json:  {"policy":{...},"results":[{...}],"summary":{...}}, one result per
 *        object with the verdict, messages, warnings, audit annotations and
 *        the patch as JSON.
 * junit: a <testsuite> with one <testcase> per object (CI systems show
 *        DENY as a failure, ERROR as an error, SKIP as skipped).
 */
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "limit.h"
#include "report.h"
#include "review.h"
#include "rules.h"
#include "version.h"

static const char *const report_names[NUM_VERDICTS] = {
	[V_PASS] = "PASS", [V_WARN] = "WARN", [V_DENY] = "DENY",
	[V_SKIP] = "SKIP", [V_ERROR] = "ERROR",
};

const char *
report_verdict_name(enum report_verdict v)
{
	return report_names[v];
}

void
report_init(struct report *r)
{
	memset(r, 0, sizeof(*r));
	ostr_putc(&r->mem, '\0');	/* offset 0 is "" */
}

void
report_free(struct report *r)
{
	free(r->rec);
	ostr_free(&r->mem);
	memset(r, 0, sizeof(*r));
}

/* Keeps s[0, n) and returns its offset (REPORT_NONE for NULL). */
size_t
report_str(struct report *r, const char *s, size_t n)
{
	size_t off = r->mem.len;

	if (s == NULL)
		return REPORT_NONE;
	if (n == 0)
		return 0;
	ostr_put(&r->mem, s, n);
	ostr_putc(&r->mem, '\0');
	r->nomem |= r->mem.nomem;
	return off;
}

const char *
report_at(const struct report *r, size_t off)
{
	return off == REPORT_NONE || r->mem.p == NULL ? NULL : r->mem.p + off;
}

/* A new record with every string absent; NULL when out of memory. */
struct report_rec *
report_add(struct report *r, enum report_verdict v)
{
	struct report_rec *x;

	if (r->n == r->cap) {
		int cap = r->cap ? r->cap * 2 : 64;

		if ((x = realloc(r->rec, (size_t)cap * sizeof(*x))) == NULL) {
			r->nomem = 1;
			return NULL;
		}
		r->rec = x;
		r->cap = cap;
	}
	x = &r->rec[r->n++];
	memset(x, 0, sizeof(*x));
	x->v = v;
	x->kind = x->api = x->ns = x->name = x->file = x->msg = REPORT_NONE;
	x->warnings = x->audit = x->patch = x->patched = REPORT_NONE;
	x->item = -1;
	return x;
}

void
report_error(struct report *r, const char *file, long line, long col, const char *msg)
{
	struct report_rec *x = report_add(r, V_ERROR);

	if (x == NULL)
		return;
	x->file = report_str(r, file, strlen(file));
	x->msg = report_str(r, msg, strlen(msg));
	x->line = line;
	x->col = col;
}

void
report_file_begin(struct report *r)
{
	r->group = r->n;
}

/* Ends the open file; a bad one loses its PASS, WARN and SKIP records. */
void
report_file_end(struct report *r, int ok)
{
	int i;

	for (i = r->group; !ok && i < r->n; i++)
		if (r->rec[i].v != V_ERROR && r->rec[i].v != V_DENY)
			r->rec[i].dropped = 1;
	r->group = r->n;
}

int
report_count(const struct report *r, enum report_verdict v)
{
	int i, n = 0;

	for (i = 0; i < r->n; i++)
		n += !r->rec[i].dropped && r->rec[i].v == v;
	return n;
}

/* 2: bad input; 1: a denial; warn_exit: a warning (when not 0); else 0. */
int
report_exit(const struct report *r, int warn_exit)
{
	if (r->nomem || report_count(r, V_ERROR) > 0)
		return 2;
	if (report_count(r, V_DENY) > 0)
		return 1;
	return report_count(r, V_WARN) > 0 ? warn_exit : 0;
}

/* file:doc, file:doc/items/N, or file:line:col for an error. */
void
report_source(const struct report *r, const struct report_rec *x, struct ostr *o)
{
	const char *f = report_at(r, x->file);

	ostr_puts(o, f != NULL && strcmp(f, "-") == 0 ? "(stdin)" : f ? f : "");
	if (x->v == V_ERROR) {
		if (x->line > 0)
			ostr_printf(o, ":%ld:%ld", x->line, x->col);
		return;
	}
	ostr_printf(o, ":%d", x->doc);
	if (x->item >= 0)
		ostr_printf(o, "/items/%d", x->item);
}

/* The warnings of x joined by sep (they are kept as a JSON array). */
static void
report_warnings(const struct report *r, const struct report_rec *x, const char *sep,
    struct ostr *o)
{
	struct json_store st = { NULL, 0 };
	struct json d;
	const char *w = report_at(r, x->warnings);
	char s[REPORT_WARN_MAX];
	int v, first = 1;

	if (w == NULL || json_parse(&d, &st, w, strlen(w)) != JSON_ERR_NOTOBJ) {
		json_store_free(&st);
		return;
	}
	for (v = json_first(&d, 0); v != JSON_NONE; v = json_next(&d, v)) {
		json_str_copy(&d, v, s, sizeof(s));
		ostr_puts(o, first ? "" : sep);
		ostr_puts(o, s);
		first = 0;
	}
	json_store_free(&st);
}

/* See report.h. */
void
report_message(const struct report *r, const struct report_rec *x, struct ostr *o)
{
	const char *m = report_at(r, x->msg), *p = report_at(r, x->patch);
	size_t at = o->len;

	if (m != NULL)
		ostr_puts(o, m);
	if (x->v == V_DENY && x->warnings != REPORT_NONE) {
		ostr_puts(o, m != NULL ? " (warnings: " : "(warnings: ");
		report_warnings(r, x, "; ", o);
		ostr_putc(o, ')');
	} else if (x->warnings != REPORT_NONE) {
		if (o->len > at)
			ostr_puts(o, "; ");
		report_warnings(r, x, "; ", o);
	}
	if (x->v != V_ERROR && p != NULL) {
		ostr_puts(o, o->len > at ? "; " : "");
		ostr_puts(o, "mutated by the policy's patch");
	}
}

static void
report_name(const struct report *r, const struct report_rec *x, struct ostr *o)
{
	const char *ns = report_at(r, x->ns), *name = report_at(r, x->name);

	if (ns != NULL && ns[0] != '\0')
		ostr_printf(o, "%s/", ns);
	ostr_puts(o, name != NULL && name[0] != '\0' ? name : "-");
}

static void
report_text(const struct report *r, FILE *out)
{
	struct ostr line = OSTR_INIT;
	const struct report_rec *x;
	int i;

	for (i = 0; i < r->n; i++) {
		x = &r->rec[i];
		if (x->dropped)
			continue;
		line.len = 0;
		ostr_printf(&line, "%-5s ", report_names[x->v]);
		if (x->v != V_ERROR) {
			ostr_printf(&line, "%s ", report_at(r, x->kind) ? report_at(r, x->kind) : "-");
			report_name(r, x, &line);
			ostr_putc(&line, ' ');
		}
		report_source(r, x, &line);
		ostr_puts(&line, x->v == V_ERROR ? ": " : " ");
		report_message(r, x, &line);
		fprintf(out, "%s\n", ostr_str(&line));
	}
	fprintf(out, "%d objects: %d passed, %d denied, %d warned, %d skipped",
	    report_count(r, V_PASS) + report_count(r, V_DENY) + report_count(r, V_WARN) +
	    report_count(r, V_SKIP), report_count(r, V_PASS), report_count(r, V_DENY),
	    report_count(r, V_WARN), report_count(r, V_SKIP));
	if (report_count(r, V_ERROR) > 0)
		fprintf(out, "; %d input errors", report_count(r, V_ERROR));
	fprintf(out, "\n");
	ostr_free(&line);
}

static void
report_json_str(struct ostr *o, const char *key, const char *v)
{
	ostr_printf(o, ",\"%s\":", key);
	if (v == NULL)
		ostr_puts(o, "null");
	else
		ostr_put_json(o, v, strlen(v));
}

static void
report_json_raw(struct ostr *o, const char *key, const char *v)
{
	ostr_printf(o, ",\"%s\":%s", key, v != NULL ? v : "null");
}

static void
report_json_one(const struct report *r, const struct report_rec *x, struct ostr *o)
{
	struct ostr src = OSTR_INIT;

	report_source(r, x, &src);
	ostr_printf(o, "{\"verdict\":\"%s\"", report_names[x->v]);
	report_json_str(o, "source", ostr_str(&src));
	report_json_str(o, "file", report_at(r, x->file));
	if (x->v == V_ERROR) {
		ostr_printf(o, ",\"line\":%ld,\"column\":%ld", x->line, x->col);
		report_json_str(o, "message", report_at(r, x->msg));
	} else {
		ostr_printf(o, ",\"document\":%d", x->doc);
		if (x->item >= 0)
			ostr_printf(o, ",\"item\":%d", x->item);
		report_json_str(o, "apiVersion", report_at(r, x->api));
		report_json_str(o, "kind", report_at(r, x->kind));
		report_json_str(o, "namespace", report_at(r, x->ns));
		report_json_str(o, "name", report_at(r, x->name));
		report_json_str(o, "message", report_at(r, x->msg));
		report_json_raw(o, "warnings", report_at(r, x->warnings) ?
		    report_at(r, x->warnings) : "[]");
		report_json_raw(o, "auditAnnotations", report_at(r, x->audit) ?
		    report_at(r, x->audit) : "{}");
		report_json_raw(o, "patch", report_at(r, x->patch));
	}
	ostr_putc(o, '}');
	ostr_free(&src);
}

static void
report_json(const struct report *r, FILE *out)
{
	struct ostr o = OSTR_INIT;
	int i, first = 1;

	ostr_puts(&o, "{\"policy\":{\"name\":");
	ostr_put_json(&o, policy_name, strlen(policy_name));
	ostr_puts(&o, ",\"hash\":");
	ostr_put_json(&o, policy_hash, strlen(policy_hash));
	ostr_puts(&o, "},\"results\":[");
	for (i = 0; i < r->n; i++) {
		if (r->rec[i].dropped)
			continue;
		ostr_puts(&o, first ? "\n" : ",\n");
		report_json_one(r, &r->rec[i], &o);
		first = 0;
	}
	ostr_printf(&o, "],\n\"summary\":{\"objects\":%d,\"passed\":%d,\"denied\":%d,"
	    "\"warned\":%d,\"skipped\":%d,\"errors\":%d}}\n",
	    report_count(r, V_PASS) + report_count(r, V_DENY) + report_count(r, V_WARN) +
	    report_count(r, V_SKIP), report_count(r, V_PASS), report_count(r, V_DENY),
	    report_count(r, V_WARN), report_count(r, V_SKIP), report_count(r, V_ERROR));
	fwrite(ostr_str(&o), 1, o.len, out);
	ostr_free(&o);
}

/* s as XML character data / attribute text: escaped, control bytes and invalid UTF-8 replaced. */
static void
report_xml(struct ostr *o, const char *s)
{
	size_t n = strlen(s), i = 0, k;
	unsigned char c;

	while (i < n) {
		c = (unsigned char)s[i];
		k = 1;
		if (c == '&')
			ostr_puts(o, "&amp;");
		else if (c == '<')
			ostr_puts(o, "&lt;");
		else if (c == '>')
			ostr_puts(o, "&gt;");
		else if (c == '"')
			ostr_puts(o, "&quot;");
		else if (c < 0x20 && c != '\t' && c != '\n' && c != '\r')
			ostr_putc(o, '?');	/* XML 1.0 has no form for these */
		else if (c < 0x80)
			ostr_putc(o, (char)c);
		else if ((k = json_utf8_char(s + i, n - i)) == 0) {
			ostr_puts(o, "\xef\xbf\xbd");
			k = 1;
		} else
			ostr_put(o, s + i, k);
		i += k;
	}
}

static void
report_junit_case(const struct report *r, const struct report_rec *x, struct ostr *o)
{
	static const char *const tag[NUM_VERDICTS] = {
		[V_DENY] = "failure", [V_ERROR] = "error", [V_SKIP] = "skipped",
	};
	struct ostr name = OSTR_INIT, msg = OSTR_INIT;

	if (x->v != V_ERROR) {
		ostr_printf(&name, "%s ", report_at(r, x->kind) ? report_at(r, x->kind) : "-");
		report_name(r, x, &name);
		ostr_puts(&name, " (");
	}
	report_source(r, x, &name);
	if (x->v != V_ERROR)
		ostr_putc(&name, ')');
	report_message(r, x, &msg);
	ostr_puts(o, "    <testcase classname=\"");
	report_xml(o, report_at(r, x->file) ? report_at(r, x->file) : "");
	ostr_puts(o, "\" name=\"");
	report_xml(o, ostr_str(&name));
	ostr_puts(o, "\">");
	if (tag[x->v] != NULL) {
		ostr_printf(o, "<%s message=\"", tag[x->v]);
		report_xml(o, ostr_str(&msg));
		ostr_printf(o, "\" type=\"%s\">", report_names[x->v]);
		report_xml(o, ostr_str(&msg));
		ostr_printf(o, "</%s>", tag[x->v]);
	} else if (msg.len > 0) {
		ostr_puts(o, "<system-out>");
		report_xml(o, ostr_str(&msg));
		ostr_puts(o, "</system-out>");
	}
	ostr_puts(o, "</testcase>\n");
	ostr_free(&name);
	ostr_free(&msg);
}

static void
report_junit(const struct report *r, FILE *out)
{
	struct ostr o = OSTR_INIT;
	int i, tests = 0, fail = report_count(r, V_DENY), err = report_count(r, V_ERROR);
	int skip = report_count(r, V_SKIP);

	for (i = 0; i < r->n; i++)
		tests += !r->rec[i].dropped;
	ostr_puts(&o, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
	ostr_printf(&o, "<testsuites name=\"tinyhook review\" tests=\"%d\" failures=\"%d\" "
	    "errors=\"%d\" skipped=\"%d\">\n", tests, fail, err, skip);
	ostr_puts(&o, "  <testsuite name=\"tinyhook review: policy ");
	report_xml(&o, policy_name);
	ostr_printf(&o, " %s\" tests=\"%d\" failures=\"%d\" errors=\"%d\" skipped=\"%d\">\n",
	    policy_hash, tests, fail, err, skip);
	for (i = 0; i < r->n; i++)
		if (!r->rec[i].dropped)
			report_junit_case(r, &r->rec[i], &o);
	ostr_puts(&o, "  </testsuite>\n</testsuites>\n");
	fwrite(ostr_str(&o), 1, o.len, out);
	ostr_free(&o);
}

void
report_print(const struct report *r, enum report_format fmt, FILE *out)
{
	switch (fmt) {
	case FMT_JSON:	report_json(r, out); break;
	case FMT_JUNIT:	report_junit(r, out); break;
	default:	report_text(r, out); break;
	}
}
