/*
 * json_text.c: json_valid_value() (json.h), one JSON value checked as text
 * where no token store is at hand (the number grammar is json_grammar.h's,
 * shared with the token check).
 */
#include <string.h>

#include "json_int.h"



static int	json_text_value(const char *s, size_t n, size_t *i, int depth,
		    int max_depth);

/* The index of the first non-whitespace byte at or after i. */
static size_t
json_text_ws(const char *s, size_t n, size_t i)
{
	while (i < n && json_is_ws(s[i]))
		i++;
	return i;
}

/* One \-escape at s[*i] (the backslash), RFC 8259 section 7. */
static int
json_text_escape(const char *s, size_t n, size_t *i)
{
	unsigned cp;

	if (*i + 1 >= n)
		return 0;
	if (s[*i + 1] != 'u') {
		*i += 2;
		return memchr("\"\\/bfnrt", s[*i - 1], 8) != NULL;
	}
	if (!json_hex4(s, n, *i + 2, &cp))
		return 0;
	*i += 6;
	return 1;
}

/* A string at s[*i] (the quote): no raw control bytes, valid UTF-8. */
static int
json_text_string(const char *s, size_t n, size_t *i)
{
	size_t k;

	for ((*i)++; *i < n;) {
		unsigned char c = (unsigned char)s[*i];

		if (c == '"') {
			(*i)++;
			return 1;
		}
		if (c < 0x20)
			return 0;
		if (c == '\\') {
			if (!json_text_escape(s, n, i))
				return 0;
		} else if (c >= 0x80) {
			if ((k = json_utf8_char(s + *i, n - *i)) == 0)
				return 0;
			*i += k;
		} else
			(*i)++;
	}
	return 0;
}

/* A literal or number at s[*i] (RFC 8259 sections 3 and 6). */
static int
json_text_scalar(const char *s, size_t n, size_t *i)
{
	static const char *const lit[] = { "true", "false", "null" };
	size_t k, l;

	for (k = 0; k < sizeof(lit) / sizeof(lit[0]); k++) {
		l = strlen(lit[k]);
		if (n - *i >= l && memcmp(s + *i, lit[k], l) == 0) {
			*i += l;
			return 1;
		}
	}
	return json_number(s, n, i);
}

/* An object or array at s[*i], its members checked recursively. */
static int
json_text_container(const char *s, size_t n, size_t *i, int depth,
    int max_depth)
{
	char close = s[*i] == '{' ? '}' : ']';

	if (depth >= max_depth)
		return 0;
	*i = json_text_ws(s, n, *i + 1);
	if (*i < n && s[*i] == close) {
		(*i)++;
		return 1;
	}
	while (*i < n) {
		if (close == '}') {
			if (s[*i] != '"' || !json_text_string(s, n, i))
				return 0;
			*i = json_text_ws(s, n, *i);
			if (*i >= n || s[(*i)++] != ':')
				return 0;
		}
		if (!json_text_value(s, n, i, depth + 1, max_depth))
			return 0;
		if (*i >= n)
			return 0;
		if (s[*i] == close) {
			(*i)++;
			return 1;
		}
		if (s[(*i)++] != ',')
			return 0;
		*i = json_text_ws(s, n, *i);
	}
	return 0;
}

/* One value at s[*i] with the whitespace around it. */
static int
json_text_value(const char *s, size_t n, size_t *i, int depth, int max_depth)
{
	int ok;

	*i = json_text_ws(s, n, *i);
	if (*i >= n)
		return 0;
	if (s[*i] == '{' || s[*i] == '[')
		ok = json_text_container(s, n, i, depth, max_depth);
	else if (s[*i] == '"')
		ok = json_text_string(s, n, i);
	else
		ok = json_text_scalar(s, n, i);
	*i = json_text_ws(s, n, *i);
	return ok;
}

/* See json.h: s[0, n) is exactly one JSON value, at most max_depth deep. */
int
json_valid_value(const char *s, size_t n, int max_depth)
{
	size_t i = 0;

	return json_text_value(s, n, &i, 0, max_depth) && i == n;
}
