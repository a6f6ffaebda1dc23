/*
 * apply_test.c: the JSONPatch applier behind `tinyhook review --patched`
 * (apply.c). The expected texts are what the applier before it made (it
 * spliced the text and re-parsed the object per operation): the one-pass
 * tree must give the same bytes, the spacing of untouched parts kept, and
 * on a failed operation the object as the operations before it left it.
 * Semantics are checked against python3-jsonpatch by test/it/review_cli.py.
 */
#include <stdio.h>
#include <string.h>

#include "apply.h"

#include "check.h"

static const struct {
	const char	*obj, *ops;
	int		 rc;
	const char	*out;
} cases[] = {
	{ "{}",
	  "[{\"op\":\"add\",\"path\":\"/a\",\"value\":1}]",
	  0, "{\"a\":1}" },
	{ "{ \"a\" : 1 }",
	  "[{\"op\":\"add\",\"path\":\"/b\",\"value\":2},{\"op\":\"add\",\"path\":\"/c\",\"value\":3}]",
	  0, "{ \"a\" : 1 ,\"b\":2,\"c\":3}" },
	{ "{\"a\":1,\"a\":2}",
	  "[{\"op\":\"replace\",\"path\":\"/a\",\"value\":9}]",
	  0, "{\"a\":1,\"a\":9}" },
	{ "{\"a\":[1, 2 ,3]}",
	  "[{\"op\":\"add\",\"path\":\"/a/1\",\"value\":\"x\"},{\"op\":\"add\",\"path\":\"/a/1\",\"value\":\"y\"}]",
	  0, "{\"a\":[1, \"y\",\"x\",2 ,3]}" },
	{ "{\"a\":[ ]}",
	  "[{\"op\":\"add\",\"path\":\"/a/-\",\"value\":1},{\"op\":\"add\",\"path\":\"/a/0\",\"value\":0},{\"op\":\"add\",\"path\":\"/a/2\",\"value\":2}]",
	  0, "{\"a\":[ 0,1,2]}" },
	{ "{\"a\":[1]}",
	  "[{\"op\":\"add\",\"path\":\"/a/-\",\"value\":2},{\"op\":\"add\",\"path\":\"/a/1\",\"value\":\"m\"},{\"op\":\"replace\",\"path\":\"/a/0\",\"value\":0}]",
	  0, "{\"a\":[0,\"m\",2]}" },
	{ "{\"s\":{}}",
	  "[{\"op\":\"add\",\"path\":\"/s/c\",\"value\":{}},{\"op\":\"add\",\"path\":\"/s/c/d\",\"value\":[]},{\"op\":\"add\",\"path\":\"/s/c/d/-\",\"value\":{\"e\":1}},{\"op\":\"add\",\"path\":\"/s/c/d/0/f\",\"value\":2}]",
	  0, "{\"s\":{\"c\":{\"d\":[{\"e\":1,\"f\":2}]}}}" },
	{ "{\"m\":{\"a~b\":1,\"c/d\":2}}",
	  "[{\"op\":\"replace\",\"path\":\"/m/a~0b\",\"value\":3},{\"op\":\"add\",\"path\":\"/m/c~1d\",\"value\":4},{\"op\":\"add\",\"path\":\"/m/e~1f\",\"value\":5}]",
	  0, "{\"m\":{\"a~b\":3,\"c/d\":4,\"e/f\":5}}" },
	{ "{\"m\":{\"own\\u0065r\":1}}",
	  "[{\"op\":\"replace\",\"path\":\"/m/owner\",\"value\":2}]",
	  0, "{\"m\":{\"own\\u0065r\":2}}" },
	{ "{\"a\":1}",
	  "[{\"op\":\"remove\",\"path\":\"/a\"}]",
	  -1, "{\"a\":1}" },
	{ "{\"a\":1}",
	  "[{\"op\":\"add\",\"path\":\"/b/c\",\"value\":1}]",
	  -1, "{\"a\":1}" },
	{ "{\"a\":[1]}",
	  "[{\"op\":\"add\",\"path\":\"/a/5\",\"value\":1}]",
	  -1, "{\"a\":[1]}" },
	{ "{\"a\":[1,2]}",
	  "[{\"op\":\"replace\",\"path\":\"/a/-\",\"value\":9}]",
	  0, "{\"a\":[9,2]}" },
	{ "{\"a\":1}",
	  "[{\"op\":\"add\",\"path\":\"/a/b\",\"value\":1}]",
	  -1, "{\"a\":1}" },
	{ "{\"a\":1}",
	  "[{\"op\":\"add\",\"path\":\"/b\",\"value\":2},{\"op\":\"bogus\"}]",
	  -1, "{\"a\":1,\"b\":2}" },
	{ "{\"a\":1}",
	  "",
	  0, "{\"a\":1}" },
	{ "{\"a\":1}",
	  "[]",
	  0, "{\"a\":1}" },
	{ "{\"a\":{\"b\":1}}",
	  "[{\"op\":\"replace\",\"path\":\"/a\",\"value\":{\"x\":[1]}},{\"op\":\"add\",\"path\":\"/a/x/0\",\"value\":0},{\"op\":\"add\",\"path\":\"/a/y\",\"value\":null}]",
	  0, "{\"a\":{\"x\":[0,1],\"y\":null}}" },
	{ "{\"a\":[{\"n\":1},{\"n\":2}]}",
	  "[{\"op\":\"add\",\"path\":\"/a/1/k\",\"value\":true},{\"op\":\"add\",\"path\":\"/a/0/k\",\"value\":false}]",
	  0, "{\"a\":[{\"n\":1,\"k\":false},{\"n\":2,\"k\":true}]}" },
	{ "{\"\":{\"\":1}}",
	  "[{\"op\":\"add\",\"path\":\"//\",\"value\":2},{\"op\":\"add\",\"path\":\"/\",\"value\":3}]",
	  0, "{\"\":3}" },
	{ "{\"a\":[1]}",
	  "[{\"op\":\"add\",\"path\":\"/a/x\",\"value\":0}]",
	  0, "{\"a\":[0,1]}" },
	{ "{\"a\":1}",
	  "[{\"op\":\"add\",\"path\":\"a\",\"value\":0}]",
	  -1, "{\"a\":1}" },
	{ "{\"a\":\"b\\u00e9\"}",
	  "[{\"op\":\"add\",\"path\":\"/\\u00e9\",\"value\":\"\\u00e9\"}]",
	  0, "{\"a\":\"b\\u00e9\",\"é\":\"\\u00e9\"}" },
};

int
main(void)
{
	char what[64];
	size_t i;
	int rc;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct ostr o = OSTR_INIT;

		rc = apply_patch(cases[i].obj, strlen(cases[i].obj), cases[i].ops,
		    strlen(cases[i].ops), &o);
		snprintf(what, sizeof(what), "apply case %zu", i);
		check(rc == cases[i].rc && o.p != NULL && strcmp(o.p, cases[i].out) == 0,
		    what, o.p != NULL ? o.p : "(nothing written)");
		ostr_free(&o);
	}
	printf("apply_test: %d passed, %d failed\n", passed, failed);
	return failed != 0;
}
