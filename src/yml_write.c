/*
 * yml_write.c: a JSON value as block YAML (kubectl's layout: two spaces per
 * level, sequences of mappings as "- key: value"). A string is written plain
 * only when YAML 1.1 reads it back as that same string (yml_scalar.c says
 * so, and it starts with no indicator and holds nothing YAML would take as
 * syntax); otherwise it is double-quoted with escapes for every character
 * YAML does not allow raw (C0 and C1 controls, DEL, U+FFFE/FFFF).
 */
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "ostr.h"
#include "yml_scalar.h"
#include "yml_write.h"

/* Whether s[0, n) (unescaped) can be written plain. */
static int
yml_plain_ok(const char *s, size_t n)
{
	struct ostr t = OSTR_INIT;
	const char *err;
	size_t i;
	int ok;

	if (n == 0 || strchr("-?:,[]{}#&*!|>'\"%@` \t", s[0]) != NULL ||
	    s[n - 1] == ' ' || s[n - 1] == ':' || (n == 2 && memcmp(s, "<<", 2) == 0))
		return 0;
	for (i = 0; i < n; i++) {
		if ((unsigned char)s[i] < 0x20 || (unsigned char)s[i] >= 0x7f)
			return 0;
		if ((s[i] == ':' || s[i] == '#') && i + 1 < n && s[i + 1] == ' ')
			return 0;
		if (s[i] == ' ' && i + 1 < n && s[i + 1] == '#')
			return 0;
	}
	ok = yml_scalar_json(s, n, 1, NULL, &t, &err) == 0 && t.len > 0 && t.p[0] == '"';
	ostr_free(&t);
	return ok;
}

/* Double-quoted YAML: escapes for what YAML cannot hold raw. */
static void
yml_put_quoted(struct ostr *o, const char *s, size_t n)
{
	size_t i = 0, k;
	unsigned char c;
	unsigned cp;

	ostr_putc(o, '"');
	while (i < n) {
		c = (unsigned char)s[i];
		k = c < 0x80 ? 1 : json_utf8_char(s + i, n - i);
		if (c == '"' || c == '\\') {
			ostr_putc(o, '\\');
			ostr_putc(o, (char)c);
		} else if (c == '\n' || c == '\t' || c == '\r') {
			ostr_putc(o, '\\');
			ostr_putc(o, c == '\n' ? 'n' : c == '\t' ? 't' : 'r');
		} else if (c < 0x20 || c == 0x7f) {
			ostr_printf(o, "\\x%02x", c);
		} else if (k == 0) {
			ostr_puts(o, "\\ufffd");	/* not UTF-8: as JSON would */
			k = 1;
		} else if (k > 1) {
			cp = k == 2 ? ((c & 0x1fu) << 6) | (s[i + 1] & 0x3fu) :
			    k == 3 ? ((c & 0x0fu) << 12) | ((s[i + 1] & 0x3fu) << 6) | (s[i + 2] & 0x3fu) : 0;
			if ((cp >= 0x80 && cp <= 0x9f) || cp == 0xfffe || cp == 0xffff)
				ostr_printf(o, "\\u%04x", cp);
			else
				ostr_put(o, s + i, k);
		} else
			ostr_putc(o, (char)c);
		i += k;
	}
	ostr_putc(o, '"');
}

/* A JSON string token as a YAML scalar. */
static void
yml_put_string(struct ostr *o, struct json *d, int v)
{
	size_t n;
	const char *raw = json_raw(d, v, &n);
	char *s = malloc(n + 1);
	long len;

	if (s == NULL) {
		o->nomem = 1;
		return;
	}
	len = json_unescape(raw, n, s, n + 1);
	if (len < 0)
		len = 0;
	if (yml_plain_ok(s, (size_t)len))
		ostr_put(o, s, (size_t)len);
	else
		yml_put_quoted(o, s, (size_t)len);
	free(s);
}

static void
yml_indent(struct ostr *o, int n)
{
	while (n-- > 0)
		ostr_putc(o, ' ');
}

static int
yml_is_block(struct json *d, int v)
{
	enum json_type t = json_type(d, v);

	return (t == JSON_OBJECT || t == JSON_ARRAY) && json_len(d, v) > 0;
}

static void yml_node(struct ostr *o, struct json *d, int v, int indent, int inline_first);

/* A scalar, or an empty container, on the current line. */
static void
yml_scalar_out(struct ostr *o, struct json *d, int v)
{
	const char *raw;
	size_t n;

	switch (json_type(d, v)) {
	case JSON_STRING:
		yml_put_string(o, d, v);
		break;
	case JSON_OBJECT:
		ostr_puts(o, "{}");
		break;
	case JSON_ARRAY:
		ostr_puts(o, "[]");
		break;
	default:
		raw = json_raw(d, v, &n);
		ostr_put(o, raw != NULL ? raw : "null", raw != NULL ? n : 4);
		break;
	}
}

static void
yml_map(struct ostr *o, struct json *d, int v, int indent, int inline_first)
{
	int k, first = 1, val;

	for (k = json_first(d, v); k != JSON_NONE; k = json_next(d, k)) {
		if (!first || !inline_first)
			yml_indent(o, indent);
		first = 0;
		yml_put_string(o, d, k);
		ostr_putc(o, ':');
		val = k + 1;
		if (yml_is_block(d, val)) {
			ostr_putc(o, '\n');
			yml_node(o, d, val, json_type(d, val) == JSON_ARRAY ? indent : indent + 2, 0);
		} else {
			ostr_putc(o, ' ');
			yml_scalar_out(o, d, val);
			ostr_putc(o, '\n');
		}
	}
}

static void
yml_seq(struct ostr *o, struct json *d, int v, int indent, int inline_first)
{
	int e, first = 1;

	for (e = json_first(d, v); e != JSON_NONE; e = json_next(d, e)) {
		if (!first || !inline_first)
			yml_indent(o, indent);
		first = 0;
		ostr_puts(o, "- ");
		if (yml_is_block(d, e))
			yml_node(o, d, e, indent + 2, 1);
		else {
			yml_scalar_out(o, d, e);
			ostr_putc(o, '\n');
		}
	}
}

static void
yml_node(struct ostr *o, struct json *d, int v, int indent, int inline_first)
{
	if (json_type(d, v) == JSON_OBJECT && json_len(d, v) > 0)
		yml_map(o, d, v, indent, inline_first);
	else if (json_type(d, v) == JSON_ARRAY && json_len(d, v) > 0)
		yml_seq(o, d, v, indent, inline_first);
	else {
		yml_scalar_out(o, d, v);
		ostr_putc(o, '\n');
	}
}

/* See yml.h. */
void
yml_write(struct ostr *o, struct json *d, int v)
{
	yml_node(o, d, v, 0, 0);
}
