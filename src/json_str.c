/*
 * json_str.c: JSON strings. Reading one (unescaping, comparing, copying:
 * always after unescaping, CONTRACT rule 11), UTF-8 checks, and writing
 * one escaped so that the output is valid JSON whatever the input.
 */
#include <string.h>

#include "json_int.h"

/* See json_int.h. */
int
json_hex4(const char *s, size_t n, size_t i, unsigned *out)
{
	unsigned v = 0, k;
	char c;

	if (i + 4 > n)
		return 0;
	for (k = 0; k < 4; k++) {
		c = s[i + k];
		v <<= 4;
		if (c >= '0' && c <= '9')
			v |= (unsigned)(c - '0');
		else if (c >= 'a' && c <= 'f')
			v |= (unsigned)(c - 'a' + 10);
		else if (c >= 'A' && c <= 'F')
			v |= (unsigned)(c - 'A' + 10);
		else
			return 0;
	}
	*out = v;
	return 1;
}

/* Writes code point cp as UTF-8 into out; returns its length (1..4). */
static int
json_utf8_put(unsigned cp, char out[4])
{
	if (cp < 0x80) {
		out[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		out[0] = (char)(0xc0 | (cp >> 6));
		out[1] = (char)(0x80 | (cp & 0x3f));
		return 2;
	}
	if (cp < 0x10000) {
		out[0] = (char)(0xe0 | (cp >> 12));
		out[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
		out[2] = (char)(0x80 | (cp & 0x3f));
		return 3;
	}
	out[0] = (char)(0xf0 | (cp >> 18));
	out[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
	out[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
	out[3] = (char)(0x80 | (cp & 0x3f));
	return 4;
}

/*
 * Decodes the \uXXXX escape at s[*i] (just after the 'u'), joining a
 * surrogate pair. Returns the code point, or -1 for a lone surrogate.
 */
static long
json_uescape(const char *s, size_t n, size_t *i)
{
	unsigned hi, lo;

	if (!json_hex4(s, n, *i, &hi))
		return -1;
	*i += 4;
	if (hi < 0xd800 || hi > 0xdfff)
		return hi;
	if (hi > 0xdbff || *i + 6 > n || s[*i] != '\\' || s[*i + 1] != 'u' ||
	    !json_hex4(s, n, *i + 2, &lo) || lo < 0xdc00 || lo > 0xdfff)
		return -1;
	*i += 6;
	return 0x10000 + ((long)(hi - 0xd800) << 10) + (lo - 0xdc00);
}

/*
 * Decodes the character at s[*i] of a raw JSON string into out (UTF-8
 * bytes), advancing *i. Returns the byte count, or -1 for an invalid escape,
 * a lone surrogate or a raw control character (RFC 8259 section 7).
 */
static int
json_char(const char *s, size_t n, size_t *i, char out[4])
{
	long cp;
	char c = s[(*i)++];

	if ((unsigned char)c < 0x20)
		return -1;
	if (c != '\\') {
		out[0] = c;
		return 1;
	}
	if (*i >= n)
		return -1;
	switch ((c = s[(*i)++])) {
	case '"': case '\\': case '/':
		out[0] = c;
		return 1;
	case 'b':	out[0] = '\b'; return 1;
	case 'f':	out[0] = '\f'; return 1;
	case 'n':	out[0] = '\n'; return 1;
	case 'r':	out[0] = '\r'; return 1;
	case 't':	out[0] = '\t'; return 1;
	case 'u':
		if ((cp = json_uescape(s, n, i)) < 0)
			return -1;
		return json_utf8_put((unsigned)cp, out);
	default:
		return -1;
	}
}

/*
 * Unescapes the raw JSON string s[0, n) into dst (NUL-terminated, cut at
 * cap - 1 bytes). Returns the full unescaped length, -1 for invalid escapes,
 * or -2 when it did not fit (dst then holds a prefix).
 */
long
json_unescape(const char *s, size_t n, char *dst, size_t cap)
{
	size_t i = 0, o = 0, j, m, room;
	char ch[4];
	int k, cut = 0;

	while (i < n) {
		/* A run of plain bytes is itself (json_char() would say so):
		 * copied whole, as much as fits before the NUL. */
		for (j = i; j < n && (unsigned char)s[j] >= 0x20 && s[j] != '\\'; j++)
			;
		if (j > i) {
			m = j - i;
			room = cap > o + 1 ? cap - 1 - o : 0;
			if (cut || m > room) {
				m = cut ? 0 : room;
				cut = 1;
			}
			if (m > 0)
				memcpy(dst + o, s + i, m);
			o += m;
			i = j;
			continue;
		}
		if ((k = json_char(s, n, &i, ch)) < 0)
			return -1;
		if (cut || o + (size_t)k >= cap) {
			cut = 1;	/* keep validating, copy nothing more: a prefix */
			continue;
		}
		memcpy(dst + o, ch, (size_t)k);
		o += (size_t)k;
	}
	if (cap > 0)
		dst[o < cap ? o : cap - 1] = '\0';
	return cut ? -2 : (long)o;
}

/*
 * Compares string v, unescaped, with s[0, n), decoding escapes as it goes
 * (no copy). A non-string is unequal; an invalid escape is unequal and
 * marks the document bad.
 */
int
json_str_eqn(struct json *d, int v, const char *s, size_t n)
{
	const char *r;
	size_t rn, i = 0, o = 0;
	char ch[4];
	int k;

	if ((r = json_str_raw(d, v, &rn)) == NULL)
		return 0;
	/* What the loop below would say at its first byte, said sooner: most
	 * keys a lookup passes over differ from the one sought right there. */
	if (rn > 0 && r[0] != '\\' && (unsigned char)r[0] >= 0x20 &&
	    (n == 0 || r[0] != s[0]))
		return 0;
	/* The same bytes and no escape: equal. One inline pass (libc's
	 * memcmp() and memchr() were two calls per key looked at). */
	if (rn == n) {
		while (i < n && r[i] == s[i] && r[i] != '\\')
			i++;
		if (i == n)
			return 1;
		i = 0;
	}
	while (i < rn) {
		if ((unsigned char)r[i] >= 0x20 && r[i] != '\\') {	/* plain */
			if (o >= n || s[o] != r[i])
				return 0;
			o++;
			i++;
			continue;
		}
		if ((k = json_char(r, rn, &i, ch)) < 0) {
			d->bad = 1;
			return 0;
		}
		if (o + (size_t)k > n || memcmp(s + o, ch, (size_t)k) != 0)
			return 0;
		o += (size_t)k;
	}
	return o == n;
}

int
json_str_eq(struct json *d, int v, const char *s)
{
	return json_str_eqn(d, v, s, strlen(s));
}

/* True when string v, unescaped, starts with prefix. */
int
json_str_prefix(struct json *d, int v, const char *prefix)
{
	const char *r;
	size_t rn, i = 0, o = 0, n = strlen(prefix);
	char ch[4];
	int k;

	if ((r = json_str_raw(d, v, &rn)) == NULL)
		return 0;
	while (o < n) {
		if (i >= rn)
			return 0;
		if ((k = json_char(r, rn, &i, ch)) < 0) {
			d->bad = 1;
			return 0;
		}
		if (o + (size_t)k > n || memcmp(prefix + o, ch, (size_t)k) != 0)
			return 0;
		o += (size_t)k;
	}
	return 1;
}

/* True when v is the empty string. */
int
json_str_empty(const struct json *d, int v)
{
	size_t n;

	return json_str_raw(d, v, &n) != NULL && n == 0;
}

/*
 * Copies string v, unescaped and NUL-terminated, into dst. Returns its
 * length, -1 when v is not a string or has invalid escapes (the document is
 * then marked bad), -2 when it was cut to fit cap.
 */
long
json_str_copy(struct json *d, int v, char *dst, size_t cap)
{
	const char *r;
	size_t rn;
	long n;

	if (cap > 0)
		dst[0] = '\0';
	if ((r = json_str_raw(d, v, &rn)) == NULL)
		return -1;
	n = json_unescape(r, rn, dst, cap);
	if (n == -1) {
		d->bad = 1;
		if (cap > 0)
			dst[0] = '\0';
	}
	return n;
}

/*
 * The length of the valid UTF-8 sequence at s[0, n) (RFC 3629: no overlong
 * forms, no surrogates, nothing above U+10FFFF), or 0 when invalid.
 */
static size_t
json_utf8_seq(const unsigned char *s, size_t n)
{
	size_t len, k;
	unsigned cp;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		len = 2, cp = s[0] & 0x1f;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		len = 3, cp = s[0] & 0x0f;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		len = 4, cp = s[0] & 0x07;
	else
		return 0;
	if (len > n)
		return 0;
	for (k = 1; k < len; k++) {
		if ((s[k] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[k] & 0x3f);
	}
	if ((len == 3 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) ||
	    (len == 4 && (cp < 0x10000 || cp > 0x10ffff)))
		return 0;
	return len;
}

/* The length of the one valid UTF-8 character at s[0, n), or 0. */
size_t
json_utf8_char(const char *s, size_t n)
{
	return n > 0 ? json_utf8_seq((const unsigned char *)s, n) : 0;
}

/* The length of the longest valid UTF-8 prefix of s[0, n). */
size_t
json_utf8_valid(const char *s, size_t n)
{
	size_t i = 0, k;

	while (i < n && (k = json_utf8_seq((const unsigned char *)s + i, n - i)) > 0)
		i += k;
	return i;
}

/*
 * Writes s[0, n) JSON-escaped, without quotes. Quote, backslash and control
 * characters are escaped; bytes that are not valid UTF-8 become U+FFFD so
 * the output is always valid JSON even when it quotes hostile input. Runs
 * of plain bytes are copied in one piece.
 */
void
json_put_esc(struct buf *b, const char *s, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	size_t i = 0, run = 0, k;
	unsigned char c;
	char esc[6] = { '\\', 'u', '0', '0', 0, 0 };

	while (i < n) {
		c = (unsigned char)s[i];
		if (c >= 0x20 && c < 0x80 && c != '"' && c != '\\') {
			i++;
			continue;
		}
		buf_put(b, s + run, i - run);
		if (c == '"' || c == '\\') {
			esc[1] = (char)c;
			buf_put(b, esc, 2);
			k = 1;
		} else if (c < 0x20) {
			esc[1] = 'u';
			esc[4] = hex[c >> 4];
			esc[5] = hex[c & 15];
			buf_put(b, esc, 6);
			k = 1;
		} else if ((k = json_utf8_seq((const unsigned char *)s + i, n - i)) == 0) {
			buf_puts(b, "\\ufffd");
			k = 1;
		} else {
			buf_put(b, s + i, k);
		}
		i += k;
		run = i;
	}
	buf_put(b, s + run, i - run);
}

/* Writes s[0, n) as a quoted JSON string (see json_put_esc). */
void
json_put_str(struct buf *b, const char *s, size_t n)
{
	buf_putc(b, '"');
	json_put_esc(b, s, n);
	buf_putc(b, '"');
}

void
json_put_cstr(struct buf *b, const char *s)
{
	json_put_str(b, s, strlen(s));
}
