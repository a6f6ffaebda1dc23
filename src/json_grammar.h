/*
 * json_grammar.h: the pieces of RFC 8259's grammar that two JSON files
 * check as text: whitespace and numbers. The token check (json.c) and
 * json_valid_value() (json_text.c) both use them, so there is one number
 * grammar; it needs nothing of the token store, so json.c includes it
 * without reaching up into the reading side of the module.
 */
#ifndef TINYHOOK_JSON_GRAMMAR_H
#define TINYHOOK_JSON_GRAMMAR_H

#include <stddef.h>

static inline int
json_is_ws(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/* Skips the digits at s[*i]; true when there was at least one. */
static inline int
json_digits(const char *s, size_t n, size_t *i)
{
	size_t start = *i;

	while (*i < n && s[*i] >= '0' && s[*i] <= '9')
		(*i)++;
	return *i > start;
}

/* Skips the number at s[*i] (RFC 8259 section 6); true when one was there. */
static inline int
json_number(const char *s, size_t n, size_t *i)
{
	if (*i < n && s[*i] == '-')
		(*i)++;
	if (*i < n && s[*i] == '0')
		(*i)++;
	else if (!json_digits(s, n, i))
		return 0;
	if (*i < n && s[*i] == '.' && (++*i, !json_digits(s, n, i)))
		return 0;
	if (*i < n && (s[*i] == 'e' || s[*i] == 'E')) {
		(*i)++;
		if (*i < n && (s[*i] == '+' || s[*i] == '-'))
			(*i)++;
		return json_digits(s, n, i);
	}
	return 1;
}

#endif
