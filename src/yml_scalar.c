/*
 * yml_scalar.c: what a YAML scalar becomes in JSON, the way kubectl sees it.
 *
 * kubectl reads manifests with sigs.k8s.io/yaml: go-yaml v2 decodes the YAML
 * into interface{} values (YAML 1.1 resolution, gopkg.in/yaml.v2
 * resolve.go), then encoding/json writes them. So:
 *   - a quoted or block scalar without a tag is a string, always;
 *   - a plain scalar is looked up by its first character: y/Y/n/N/t/T/f/F/o/O
 *     and ~ only in the table (yes/no/on/off/true/false/y/n in three
 *     capitalisations, null/Null/NULL/~, and "" is null); a digit or sign
 *     is tried as an int (base prefixes 0x, 0o, 0b and a leading 0 for
 *     octal, underscores dropped), then a uint64, then a float matching
 *     [-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?; a '.' as a float
 *     or .inf/.nan; anything else is a string. Timestamps stay strings.
 *   - encoding/json cannot write .inf or .nan: YAMLToJSON fails, so do we.
 *   - a tag (!!str, !!int, !!float, !!bool, !!null) forces the type, and a
 *     value that does not resolve to it is an error, as in go-yaml.
 *   - map keys become strings: ints in decimal, floats as Go's
 *     FormatFloat(f, 'g', -1, 32), bools as true/false; a null key is an
 *     error (sigs.k8s.io/yaml: "Unsupported map key").
 * No libyaml here: the unit test checks this table on its own.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "limit.h"
#include "yml_scalar.h"

#define YML_TAG_PREFIX	"tag:yaml.org,2002:"

enum yml_type { Y_NULL, Y_BOOL, Y_INT, Y_UINT, Y_FLOAT, Y_STR, Y_TIME };

struct yml_val {
	enum yml_type		 type;
	int			 b;
	long long		 i;
	unsigned long long	 u;
	double			 f;
};

/* The YAML 1.1 words go-yaml v2 knows (resolve.go resolveMapList). */
static const struct {
	const char	*word;
	enum yml_type	 type;
	int		 b;
	double		 f;
} yml_words[] = {
	{ "y", Y_BOOL, 1, 0 }, { "Y", Y_BOOL, 1, 0 }, { "yes", Y_BOOL, 1, 0 },
	{ "Yes", Y_BOOL, 1, 0 }, { "YES", Y_BOOL, 1, 0 },
	{ "true", Y_BOOL, 1, 0 }, { "True", Y_BOOL, 1, 0 }, { "TRUE", Y_BOOL, 1, 0 },
	{ "on", Y_BOOL, 1, 0 }, { "On", Y_BOOL, 1, 0 }, { "ON", Y_BOOL, 1, 0 },
	{ "n", Y_BOOL, 0, 0 }, { "N", Y_BOOL, 0, 0 }, { "no", Y_BOOL, 0, 0 },
	{ "No", Y_BOOL, 0, 0 }, { "NO", Y_BOOL, 0, 0 },
	{ "false", Y_BOOL, 0, 0 }, { "False", Y_BOOL, 0, 0 }, { "FALSE", Y_BOOL, 0, 0 },
	{ "off", Y_BOOL, 0, 0 }, { "Off", Y_BOOL, 0, 0 }, { "OFF", Y_BOOL, 0, 0 },
	{ "", Y_NULL, 0, 0 }, { "~", Y_NULL, 0, 0 }, { "null", Y_NULL, 0, 0 },
	{ "Null", Y_NULL, 0, 0 }, { "NULL", Y_NULL, 0, 0 },
	{ ".nan", Y_FLOAT, 0, NAN }, { ".NaN", Y_FLOAT, 0, NAN }, { ".NAN", Y_FLOAT, 0, NAN },
	{ ".inf", Y_FLOAT, 0, INFINITY }, { ".Inf", Y_FLOAT, 0, INFINITY },
	{ ".INF", Y_FLOAT, 0, INFINITY }, { "+.inf", Y_FLOAT, 0, INFINITY },
	{ "+.Inf", Y_FLOAT, 0, INFINITY }, { "+.INF", Y_FLOAT, 0, INFINITY },
	{ "-.inf", Y_FLOAT, 0, -INFINITY }, { "-.Inf", Y_FLOAT, 0, -INFINITY },
	{ "-.INF", Y_FLOAT, 0, -INFINITY },
};

/* resolve.go's resolveTable: the hint of a first character, 0 for "a string". */
static char
yml_hint(const char *s, size_t n)
{
	if (n == 0)
		return 'N';
	if (s[0] == '+' || s[0] == '-')
		return 'S';
	if (s[0] >= '0' && s[0] <= '9')
		return 'D';
	if (strchr("yYnNtTfFoO~", s[0]) != NULL)
		return 'M';
	return s[0] == '.' ? '.' : 0;
}

static int
yml_word(const char *s, size_t n, struct yml_val *v)
{
	size_t i;

	for (i = 0; i < sizeof(yml_words) / sizeof(yml_words[0]); i++)
		if (strlen(yml_words[i].word) == n && memcmp(yml_words[i].word, s, n) == 0) {
			v->type = yml_words[i].type;
			v->b = yml_words[i].b;
			v->f = yml_words[i].f;
			return 1;
		}
	return 0;
}

static int
yml_digit(char c, int base)
{
	int d = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 :
	    c >= 'A' && c <= 'F' ? c - 'A' + 10 : 99;

	return d < base ? d : -1;
}

/*
 * Go's strconv.ParseUint(s, 0, 64) on s[0, n) without a sign: 0x, 0o, 0b
 * prefixes, a leading 0 for octal. Returns 0 or -1 (syntax or range).
 */
static int
yml_parse_u64(const char *s, size_t n, unsigned long long *out)
{
	unsigned long long v = 0;
	int base = 10, d;
	size_t i = 0;

	if (n > 1 && s[0] == '0') {
		i = 2;
		if (s[1] == 'x' || s[1] == 'X')
			base = 16;
		else if (s[1] == 'b' || s[1] == 'B')
			base = 2;
		else if (s[1] == 'o' || s[1] == 'O')
			base = 8;
		else
			base = 8, i = 1;
	}
	if (i >= n)
		return -1;
	for (; i < n; i++) {
		if ((d = yml_digit(s[i], base)) < 0)
			return -1;
		if (v > (~0ull - (unsigned)d) / (unsigned)base)
			return -1;
		v = v * (unsigned)base + (unsigned)d;
	}
	*out = v;
	return 0;
}

/* Go's strconv.ParseInt(s, 0, 64). */
static int
yml_parse_i64(const char *s, size_t n, long long *out)
{
	unsigned long long u;
	int neg = n > 0 && s[0] == '-';
	size_t k = n > 0 && (s[0] == '-' || s[0] == '+');

	if (yml_parse_u64(s + k, n - k, &u) < 0)
		return -1;
	if (neg ? u > 1ull << 63 : u > (1ull << 63) - 1)
		return -1;
	*out = neg ? (long long)(0 - u) : (long long)u;
	return 0;
}

/* resolve.go's yamlStyleFloat, anchored: [-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)? */
static int
yml_float_syntax(const char *s, size_t n)
{
	size_t i = 0, d;

	if (i < n && (s[i] == '+' || s[i] == '-'))
		i++;
	if (i < n && s[i] == '.') {
		for (d = ++i; i < n && s[i] >= '0' && s[i] <= '9'; i++)
			;
		if (i == d)
			return 0;
	} else {
		for (d = i; i < n && s[i] >= '0' && s[i] <= '9'; i++)
			;
		if (i == d)
			return 0;
		if (i < n && s[i] == '.')
			for (i++; i < n && s[i] >= '0' && s[i] <= '9'; i++)
				;
	}
	if (i < n && (s[i] == 'e' || s[i] == 'E')) {
		if (++i < n && (s[i] == '+' || s[i] == '-'))
			i++;
		for (d = i; i < n && s[i] >= '0' && s[i] <= '9'; i++)
			;
		if (i == d)
			return 0;
	}
	return i == n;
}

/* Go's ParseFloat on text already known to match yml_float_syntax: overflow fails. */
static int
yml_parse_float(const char *s, size_t n, double *f)
{
	char tmp[YML_NUM_MAX + 1];

	memcpy(tmp, s, n);
	tmp[n] = '\0';
	errno = 0;
	*f = strtod(tmp, NULL);
	return errno == ERANGE && isinf(*f) ? -1 : 0;
}

/* The int / uint / float steps of resolve() for a digit or sign hint. */
static void
yml_number(const char *s, size_t n, struct yml_val *v)
{
	char plain[YML_NUM_MAX];
	size_t i, k = 0;

	v->type = Y_STR;
	if (n >= sizeof(plain))
		return;
	for (i = 0; i < n; i++)
		if (s[i] != '_')
			plain[k++] = s[i];
	if (yml_parse_i64(plain, k, &v->i) == 0)
		v->type = Y_INT;
	else if (plain[0] != '+' && plain[0] != '-' && yml_parse_u64(plain, k, &v->u) == 0)
		v->type = Y_UINT;
	else if (yml_float_syntax(plain, k) && yml_parse_float(plain, k, &v->f) == 0)
		v->type = Y_FLOAT;
}

/*
 * resolve(tag, in) of go-yaml v2 for an untagged plain scalar or a
 * resolvable tag ("" for none). Timestamps are not told apart: into
 * interface{} go-yaml gives them back as the string.
 */
static void
yml_resolve(const char *s, size_t n, int is_str_tag, struct yml_val *v)
{
	char hint = yml_hint(s, n);

	v->type = Y_STR;
	if (hint == 0 || is_str_tag || yml_word(s, n, v))
		return;
	if (hint == '.' && yml_float_syntax(s, n) && n < YML_NUM_MAX &&
	    yml_parse_float(s, n, &v->f) == 0)
		v->type = Y_FLOAT;
	else if (hint == 'D' || hint == 'S')
		yml_number(s, n, v);
}

/* Whether s[0, n) looks like a YAML timestamp (YYYY-...), for !!timestamp. */
static int
yml_timestamp_like(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n && i < 4; i++)
		if (s[i] < '0' || s[i] > '9')
			return 0;
	return n > 4 && s[4] == '-';
}

/*
 * Types scalar s[0, n). plain: libyaml's plain_implicit (a plain scalar
 * without a tag); tag: the event's tag or NULL. Returns 0 or -1 with *err.
 */
static int
yml_type_of(const char *s, size_t n, int plain, const char *tag,
    struct yml_val *v, const char **err)
{
	static const char *const known[] = { "str", "int", "float", "bool", "null", "timestamp" };
	static const enum yml_type want[] = { Y_STR, Y_INT, Y_FLOAT, Y_BOOL, Y_NULL, Y_TIME };
	const char *t;
	size_t i;

	memset(v, 0, sizeof(*v));
	if (tag == NULL || tag[0] == '\0') {
		if (plain)
			yml_resolve(s, n, 0, v);
		else
			v->type = Y_STR;
		return 0;
	}
	v->type = Y_STR;
	if (strncmp(tag, YML_TAG_PREFIX, strlen(YML_TAG_PREFIX)) != 0)
		return 0;	/* a local tag (!foo): go-yaml keeps the string */
	t = tag + strlen(YML_TAG_PREFIX);
	if (strcmp(t, "binary") == 0) {
		*err = "!!binary values are not supported (write the base64 text as a plain string)";
		return -1;
	}
	for (i = 0; i < sizeof(known) / sizeof(known[0]); i++)
		if (strcmp(t, known[i]) == 0)
			break;
	if (i == sizeof(known) / sizeof(known[0]))
		return 0;	/* !!map, !!seq, !!set on a scalar: kept as a string */
	yml_resolve(s, n, want[i] == Y_STR, v);
	if (want[i] == Y_TIME && v->type == Y_STR && yml_timestamp_like(s, n))
		return 0;
	if (want[i] == Y_FLOAT && v->type == Y_INT) {
		v->type = Y_FLOAT;
		v->f = (double)v->i;
	} else if (want[i] == Y_FLOAT && v->type == Y_UINT) {
		v->type = Y_FLOAT;
		v->f = (double)v->u;
	}
	if (v->type != want[i]) {
		*err = "the scalar's value does not match its tag";
		return -1;
	}
	return 0;
}

/*
 * The shortest decimal digits that read back as f (at most sig digits of
 * precision, 17 for a double, 9 for a float32) in digits[], and the
 * decimal exponent of the first digit. f is finite and not negative.
 */
static int
yml_shortest(double f, int is32, char *digits, size_t cap, int *exp10)
{
	char tmp[64], *e;
	int p, nd = 0, i;

	for (p = 1; p <= (is32 ? 9 : 17); p++) {
		snprintf(tmp, sizeof(tmp), "%.*e", p - 1, f);
		if (is32 ? strtof(tmp, NULL) == (float)f : strtod(tmp, NULL) == f)
			break;
	}
	e = strchr(tmp, 'e');
	*exp10 = atoi(e + 1);
	for (i = 0; tmp + i < e && (size_t)nd + 1 < cap; i++)
		if (tmp[i] >= '0' && tmp[i] <= '9')
			digits[nd++] = tmp[i];
	while (nd > 1 && digits[nd - 1] == '0')
		nd--;
	digits[nd] = '\0';
	return nd;
}

/* Go's %e layout of digits: d[.ddd]e±XX (exponent of at least two digits). */
static void
yml_put_e(struct ostr *o, const char *d, int nd, int exp10)
{
	ostr_putc(o, d[0]);
	if (nd > 1) {
		ostr_putc(o, '.');
		ostr_put(o, d + 1, (size_t)nd - 1);
	}
	ostr_printf(o, "e%c%02d", exp10 < 0 ? '-' : '+', exp10 < 0 ? -exp10 : exp10);
}

/* Go's %f layout of digits with just the digits needed. */
static void
yml_put_f(struct ostr *o, const char *d, int nd, int exp10)
{
	int i;

	if (exp10 < 0) {
		ostr_puts(o, "0.");
		for (i = -1; i > exp10; i--)
			ostr_putc(o, '0');
		ostr_put(o, d, (size_t)nd);
		return;
	}
	for (i = 0; i <= exp10 || i < nd; i++) {
		if (i == exp10 + 1)
			ostr_putc(o, '.');
		ostr_putc(o, i < nd ? d[i] : '0');
	}
}

/*
 * A float64 as encoding/json writes it: shortest digits, %f between 1e-6
 * and 1e21, else %e with "e-07" cleaned to "e-7".
 */
void
yml_put_float(struct ostr *o, double f)
{
	char d[32];
	double a = fabs(f);
	int exp10, nd;
	size_t at;

	if (signbit(f))
		ostr_putc(o, '-');
	nd = yml_shortest(a, 0, d, sizeof(d), &exp10);
	if (a != 0 && (a < 1e-6 || a >= 1e21)) {
		at = o->len;
		yml_put_e(o, d, nd, exp10);
		if (!o->nomem && o->len - at >= 4 && o->p[o->len - 4] == 'e' &&
		    o->p[o->len - 3] == '-' && o->p[o->len - 2] == '0') {
			o->p[o->len - 2] = o->p[o->len - 1];
			o->p[--o->len] = '\0';
		}
	} else
		yml_put_f(o, d, nd, exp10);
}

/* strconv.FormatFloat(f, 'g', -1, 32), with go-yaml's .inf/.nan spellings. */
static void
yml_put_float32_g(struct ostr *o, double f)
{
	char d[32];
	int exp10, nd;

	if (isnan(f) || isinf(f)) {
		ostr_puts(o, isnan(f) ? ".nan" : f > 0 ? ".inf" : "-.inf");
		return;
	}
	if (signbit(f))
		ostr_putc(o, '-');
	nd = yml_shortest(fabs(f), 1, d, sizeof(d), &exp10);
	if (exp10 < -4 || exp10 >= 6)	/* shortest 'g' decides with precision 6 */
		yml_put_e(o, d, nd, exp10);
	else
		yml_put_f(o, d, nd, exp10);
}

/* See yml.h. */
int
yml_scalar_json(const char *s, size_t n, int plain, const char *tag,
    struct ostr *out, const char **err)
{
	struct yml_val v;

	if (yml_type_of(s, n, plain, tag, &v, err) < 0)
		return -1;
	switch (v.type) {
	case Y_NULL:	ostr_puts(out, "null"); break;
	case Y_BOOL:	ostr_puts(out, v.b ? "true" : "false"); break;
	case Y_INT:	ostr_printf(out, "%lld", v.i); break;
	case Y_UINT:	ostr_printf(out, "%llu", v.u); break;
	case Y_FLOAT:
		if (isnan(v.f) || isinf(v.f)) {
			*err = ".inf and .nan have no JSON form (quote the value to keep a string)";
			return -1;
		}
		yml_put_float(out, v.f);
		break;
	default:	ostr_put_json(out, s, n); break;
	}
	return 0;
}

/* See yml.h. */
int
yml_scalar_key(const char *s, size_t n, int plain, const char *tag,
    struct ostr *out, const char **err)
{
	struct yml_val v;
	struct ostr k = OSTR_INIT;

	if (yml_type_of(s, n, plain, tag, &v, err) < 0)
		return -1;
	switch (v.type) {
	case Y_NULL:
		*err = "a null map key has no JSON form";
		return -1;
	case Y_UINT:
		*err = "a map key above the int64 range has no JSON form";
		return -1;
	case Y_BOOL:	ostr_puts(&k, v.b ? "true" : "false"); break;
	case Y_INT:	ostr_printf(&k, "%lld", v.i); break;
	case Y_FLOAT:	yml_put_float32_g(&k, v.f); break;
	default:	ostr_put(&k, s, n); break;
	}
	if (k.nomem)
		out->nomem = 1;
	ostr_put_json(out, ostr_str(&k), k.len);
	ostr_free(&k);
	return 0;
}
