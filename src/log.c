/*
 * log.c: JSON log lines. See log.h.
 */
#include <stdarg.h>
#include <stdio.h>
#include <time.h>
#include <unistd.h>

#include "json.h"
#include "log.h"

int log_level = LOG_INFO;

static const char *const log_names[NUM_LOG_LEVELS] = {
	[LOG_ERROR] = "error",
	[LOG_WARN] = "warn",
	[LOG_INFO] = "info",
	[LOG_DEBUG] = "debug",
};

int
log_parse_level(const char *s)
{
	int i;

	for (i = 0; i < NUM_LOG_LEVELS; i++)
		if (strcmp(s, log_names[i]) == 0)
			return i;
	return -1;
}

void
log_put_time(struct buf *b)
{
	struct timespec ts;
	struct tm tm;
	char tmp[40];
	size_t n;

	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	n = strftime(tmp, sizeof(tmp), "%Y-%m-%dT%H:%M:%S", &tm);
	n += (size_t)snprintf(tmp + n, sizeof(tmp) - n, ".%06ldZ",
	    ts.tv_nsec / 1000);
	buf_put(b, tmp, n);
}

void
log_write(int fd, const struct buf *b)
{
	size_t off = 0;
	ssize_t n;

	while (off < b->len && (n = write(fd, b->p + off, b->len - off)) > 0)
		off += (size_t)n;
}

void
log_msg(enum log_level level, const char *fmt, ...)
{
	char line[LOG_LINE_MAX], msg[LOG_LINE_MAX / 2];
	struct buf b;
	va_list ap;
	int n;

	if ((int)level > log_level)
		return;
	va_start(ap, fmt);
	n = vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if ((size_t)n >= sizeof(msg))
		n = sizeof(msg) - 1;
	buf_init(&b, line, sizeof(line) - 1);
	buf_puts(&b, "{\"time\":\"");
	log_put_time(&b);
	buf_puts(&b, "\",\"level\":\"");
	buf_puts(&b, log_names[level]);
	buf_puts(&b, "\",\"msg\":");
	json_put_str(&b, msg, (size_t)n);
	buf_puts(&b, "}");
	if (b.overflow)
		return;
	b.cap++;
	buf_putc(&b, '\n');
	log_write(2, &b);
}
