/*
 * verdict.c: the error body every layer answers with (see verdict.h).
 */
#include <string.h>

#include "json.h"
#include "verdict.h"

int
verdict_fail(struct buf *out, struct verdict *v, int status, const char *why)
{
	size_t n = strlen(why);

	out->len = 0;
	out->overflow = 0;
	buf_puts(out, "{\"error\":");
	json_put_cstr(out, why);
	buf_putc(out, '}');
	if (n >= sizeof(v->error))
		n = sizeof(v->error) - 1;
	memcpy(v->error, why, n);
	v->error[n] = '\0';
	v->allowed = -1;
	v->patched = 0;
	v->warnings = 0;
	return status;
}
