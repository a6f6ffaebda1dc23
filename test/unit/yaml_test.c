/*
 * yaml_test.c: the YAML scalar typing table (src/yml_scalar.c), one line per
 * case: what kubectl's reader (sigs.k8s.io/yaml over gopkg.in/yaml.v2,
 * resolve.go, then encoding/json) makes of a scalar. The expected values
 * follow go-yaml v2's resolve(): the table of YAML 1.1 words, ParseInt with
 * base prefixes after dropping '_', ParseUint, the yamlStyleFloat regexp,
 * and encoding/json's float layout. Errors are "!" followed by nothing.
 */
#include <string.h>

#include "check.h"
#include "yml_scalar.h"

#define STR	"tag:yaml.org,2002:str"
#define INT	"tag:yaml.org,2002:int"
#define FLT	"tag:yaml.org,2002:float"
#define BOOL	"tag:yaml.org,2002:bool"
#define NUL	"tag:yaml.org,2002:null"
#define TS	"tag:yaml.org,2002:timestamp"
#define BIN	"tag:yaml.org,2002:binary"

static const struct {
	const char	*in;
	int		 plain;		/* a plain scalar (else quoted or block) */
	const char	*tag;
	const char	*json;		/* expected JSON value, "!" for an error */
} values[] = {
	/* booleans: YAML 1.1 words in three capitalisations, y/n included */
	{ "yes", 1, NULL, "true" }, { "Yes", 1, NULL, "true" }, { "YES", 1, NULL, "true" },
	{ "no", 1, NULL, "false" }, { "No", 1, NULL, "false" }, { "NO", 1, NULL, "false" },
	{ "on", 1, NULL, "true" }, { "On", 1, NULL, "true" }, { "ON", 1, NULL, "true" },
	{ "off", 1, NULL, "false" }, { "Off", 1, NULL, "false" }, { "OFF", 1, NULL, "false" },
	{ "true", 1, NULL, "true" }, { "True", 1, NULL, "true" }, { "TRUE", 1, NULL, "true" },
	{ "false", 1, NULL, "false" }, { "False", 1, NULL, "false" }, { "FALSE", 1, NULL, "false" },
	{ "y", 1, NULL, "true" }, { "Y", 1, NULL, "true" }, { "n", 1, NULL, "false" },
	{ "N", 1, NULL, "false" },
	{ "yEs", 1, NULL, "\"yEs\"" }, { "tRUE", 1, NULL, "\"tRUE\"" },
	{ "yes", 0, NULL, "\"yes\"" },			/* quoted: a string */
	{ "on", 0, NULL, "\"on\"" },
	/* null */
	{ "", 1, NULL, "null" }, { "~", 1, NULL, "null" }, { "null", 1, NULL, "null" },
	{ "Null", 1, NULL, "null" }, { "NULL", 1, NULL, "null" }, { "nULL", 1, NULL, "\"nULL\"" },
	{ "", 0, NULL, "\"\"" }, { "null", 0, NULL, "\"null\"" },
	/* ints: decimal, octal by a leading 0, 0o, 0x, 0b, signs, underscores */
	{ "0", 1, NULL, "0" }, { "42", 1, NULL, "42" }, { "-17", 1, NULL, "-17" },
	{ "+17", 1, NULL, "17" }, { "0755", 1, NULL, "493" }, { "0o17", 1, NULL, "15" },
	{ "0x1F", 1, NULL, "31" }, { "0xff", 1, NULL, "255" }, { "-0x10", 1, NULL, "-16" },
	{ "0b101", 1, NULL, "5" }, { "1_000", 1, NULL, "1000" }, { "00", 1, NULL, "0" },
	{ "-0", 1, NULL, "0" },
	{ "9223372036854775807", 1, NULL, "9223372036854775807" },
	{ "-9223372036854775808", 1, NULL, "-9223372036854775808" },
	{ "9223372036854775808", 1, NULL, "9223372036854775808" },	/* uint64 */
	{ "18446744073709551616", 1, NULL, "18446744073709552000" },	/* float 1.8e19 */
	{ "08", 1, NULL, "8" },				/* not octal: the float regexp */
	{ "0x", 1, NULL, "\"0x\"" }, { "0xg", 1, NULL, "\"0xg\"" }, { "_1", 1, NULL, "\"_1\"" },
	{ "1-2", 1, NULL, "\"1-2\"" }, { "-", 1, NULL, "\"-\"" }, { "+", 1, NULL, "\"+\"" },
	{ "0755", 0, NULL, "\"0755\"" }, { "42", 0, NULL, "\"42\"" },
	/* floats */
	{ "1e3", 1, NULL, "1000" }, { "1E3", 1, NULL, "1000" }, { "1.5", 1, NULL, "1.5" },
	{ "-1.5e-3", 1, NULL, "-0.0015" }, { "1.", 1, NULL, "1" }, { ".5", 1, NULL, "0.5" },
	{ "+.5", 1, NULL, "0.5" }, { "1.0", 1, NULL, "1" }, { "0.1", 1, NULL, "0.1" },
	{ "1e21", 1, NULL, "1e+21" }, { "1e-7", 1, NULL, "1e-7" }, { "1.5e-10", 1, NULL, "1.5e-10" },
	{ "123456789.5", 1, NULL, "123456789.5" }, { "1_000.5", 1, NULL, "1000.5" },
	{ "1e400", 1, NULL, "\"1e400\"" },		/* out of range: ParseFloat fails */
	{ "1e", 1, NULL, "\"1e\"" }, { ".", 1, NULL, "\".\"" }, { ".e3", 1, NULL, "\".e3\"" },
	{ "1.2.3", 1, NULL, "\"1.2.3\"" }, { "1e3", 0, NULL, "\"1e3\"" },
	{ ".inf", 1, NULL, "!" }, { "-.Inf", 1, NULL, "!" }, { "+.INF", 1, NULL, "!" },
	{ ".nan", 1, NULL, "!" }, { ".NaN", 1, NULL, "!" }, { ".inf", 0, NULL, "\".inf\"" },
	{ ".Nan", 1, NULL, "\".Nan\"" },
	/* strings and timestamps (a timestamp into interface{} is its text) */
	{ "nginx:1.27", 1, NULL, "\"nginx:1.27\"" }, { "2001-12-14", 1, NULL, "\"2001-12-14\"" },
	{ "2001-12-14T21:59:43.10-05:00", 1, NULL, "\"2001-12-14T21:59:43.10-05:00\"" },
	{ "<<", 1, NULL, "\"<<\"" }, { "a\"b\\c\n", 0, NULL, "\"a\\\"b\\\\c\\u000a\"" },
	/* tags force a type; a value that does not fit is an error */
	{ "42", 1, STR, "\"42\"" }, { "yes", 1, STR, "\"yes\"" }, { "42", 0, INT, "42" },
	{ "0x10", 0, INT, "16" }, { "1", 1, FLT, "1" }, { "1.5", 1, INT, "!" },
	{ "yes", 1, BOOL, "true" }, { "x", 1, BOOL, "!" }, { "~", 1, NUL, "null" },
	{ "x", 1, NUL, "!" }, { "2001-12-14", 1, TS, "\"2001-12-14\"" }, { "12", 1, TS, "!" },
	{ "aGk=", 1, BIN, "!" }, { "12", 1, "!local", "\"12\"" }, { "12", 1, "!", "\"12\"" },
};

static const struct {
	const char	*in;
	int		 plain;
	const char	*json;		/* the JSON key, "!" for an error */
} keys[] = {
	{ "app", 1, "\"app\"" }, { "yes", 1, "\"true\"" }, { "no", 1, "\"false\"" },
	{ "yes", 0, "\"yes\"" }, { "42", 1, "\"42\"" }, { "0x10", 1, "\"16\"" },
	{ "1.5", 1, "\"1.5\"" }, { "1e3", 1, "\"1000\"" }, { "1e6", 1, "\"1e+06\"" },
	{ "0.1", 1, "\"0.1\"" }, { "123456", 1, "\"123456\"" }, { "1e-5", 1, "\"1e-05\"" },
	{ ".inf", 1, "\".inf\"" }, { "-.inf", 1, "\"-.inf\"" }, { ".nan", 1, "\".nan\"" },
	{ "~", 1, "!" }, { "", 1, "!" }, { "null", 0, "\"null\"" },
	{ "18446744073709551615", 1, "!" },		/* uint64: no JSON key form */
};

static const struct {
	double		 f;
	const char	*json;
} floats[] = {
	{ 0, "0" }, { -0.0, "-0" }, { 1, "1" }, { 100, "100" }, { 0.5, "0.5" },
	{ 1e20, "100000000000000000000" }, { 1e21, "1e+21" }, { 1.5e300, "1.5e+300" },
	{ 0.000001, "0.000001" }, { 0.0000001, "1e-7" }, { 1.7976931348623157e308, "1.7976931348623157e+308" },
	{ 5e-324, "5e-324" }, { 0.1 + 0.2, "0.30000000000000004" }, { -2.5, "-2.5" },
};

int
main(void)
{
	struct ostr o = OSTR_INIT;
	const char *err;
	char what[160];
	size_t i;
	int rc;

	for (i = 0; i < sizeof(values) / sizeof(values[0]); i++) {
		o.len = 0;
		err = NULL;
		rc = yml_scalar_json(values[i].in, strlen(values[i].in), values[i].plain,
		    values[i].tag, &o, &err);
		snprintf(what, sizeof(what), "value %s%s%s%s", values[i].plain ? "" : "'",
		    values[i].in, values[i].plain ? "" : "'", values[i].tag ? " (tagged)" : "");
		if (strcmp(values[i].json, "!") == 0)
			check(rc < 0 && err != NULL, what, rc < 0 ? "" : ostr_str(&o));
		else
			check(rc == 0 && strcmp(ostr_str(&o), values[i].json) == 0, what,
			    rc < 0 ? err : ostr_str(&o));
	}
	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		o.len = 0;
		err = NULL;
		rc = yml_scalar_key(keys[i].in, strlen(keys[i].in), keys[i].plain, NULL, &o, &err);
		snprintf(what, sizeof(what), "key %s", keys[i].in);
		if (strcmp(keys[i].json, "!") == 0)
			check(rc < 0 && err != NULL, what, rc < 0 ? "" : ostr_str(&o));
		else
			check(rc == 0 && strcmp(ostr_str(&o), keys[i].json) == 0, what,
			    rc < 0 ? err : ostr_str(&o));
	}
	for (i = 0; i < sizeof(floats) / sizeof(floats[0]); i++) {
		o.len = 0;
		yml_put_float(&o, floats[i].f);
		snprintf(what, sizeof(what), "float %s", floats[i].json);
		check(strcmp(ostr_str(&o), floats[i].json) == 0, what, ostr_str(&o));
	}
	ostr_free(&o);
	printf("yaml_test: %d passed, %d failed\n", passed, failed);
	return failed != 0;
}
