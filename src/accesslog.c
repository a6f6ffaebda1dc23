/*
 * accesslog.c: see accesslog.h.
 */
#include "accesslog.h"
#include "buf.h"
#include "json.h"
#include "log.h"
#include "version.h"

/* The verdict's fields, for a review. */
static void
accesslog_put_verdict(struct buf *b, const struct verdict *v)
{
	buf_puts(b, ",\"uid\":");
	json_put_cstr(b, v->uid);
	buf_puts(b, ",\"kind\":");
	json_put_cstr(b, v->kind);
	buf_puts(b, ",\"namespace\":");
	json_put_cstr(b, v->ns);
	buf_puts(b, ",\"name\":");
	json_put_cstr(b, v->name);
	buf_puts(b, ",\"operation\":");
	json_put_cstr(b, v->op);
	if (v->allowed >= 0)
		buf_puts(b, v->allowed ? ",\"allowed\":true" : ",\"allowed\":false");
	if (v->patched)
		buf_puts(b, ",\"patched\":true");
	if (v->warnings) {
		buf_puts(b, ",\"warnings\":");
		buf_put_u64(b, (uint64_t)v->warnings);
	}
}

void
accesslog_write(const struct accesslog_entry *e)
{
	char line[ACCESSLOG_LINE_MAX];
	struct buf b;

	if (log_level < LOG_INFO)
		return;
	buf_init(&b, line, sizeof(line) - 1);
	buf_puts(&b, "{\"time\":\"");
	log_put_time(&b);
	buf_puts(&b, "\",\"remote\":");
	json_put_cstr(&b, e->remote);
	buf_puts(&b, ",\"method\":\"");
	buf_puts(&b, e->method ? e->method : "-");
	buf_puts(&b, "\",\"path\":");
	json_put_str(&b, e->method ? e->path : "-", e->method ? e->path_len : 1);
	buf_puts(&b, ",\"status\":");
	buf_put_u64(&b, (uint64_t)e->status);
	buf_puts(&b, ",\"bytes\":");
	buf_put_u64(&b, e->bytes);
	buf_puts(&b, ",\"us\":");
	buf_put_u64(&b, e->us);
	if (e->v != NULL && e->v->uid[0])
		accesslog_put_verdict(&b, e->v);
	if (e->v != NULL && e->v->error[0]) {
		buf_puts(&b, ",\"error\":");
		json_put_cstr(&b, e->v->error);
	}
	buf_puts(&b, ",\"policy\":\"");
	buf_puts(&b, policy_hash);
	buf_puts(&b, "\"}");
	if (b.overflow)
		return;
	b.cap++;
	buf_putc(&b, '\n');
	log_write(1, &b);
}
