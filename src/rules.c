/*
 * rules.c: the policy engine: runs a rule table, routes reports to the
 * denial, the warnings or the audit annotations, writes the patch
 * operations rule kinds share, and quotes strings as Go's %q does so
 * messages read like a Go webhook's. The rule kinds are in rulekinds.c.
 */
#include <string.h>

#include "json.h"
#include "limit.h"
#include "patch.h"
#include "rules.h"

/* The container lists of a PodSpec, in the order rules visit them. */
static const struct {
	unsigned	 bit;
	const char	*name;
} rules_lists[] = {
	{ RULES_INIT, "initContainers" },
	{ RULES_MAIN, "containers" },
	{ RULES_EPHEMERAL, "ephemeralContainers" },
};

#define NELEM(a)	(sizeof(a) / sizeof((a)[0]))

_Static_assert(NELEM(rules_lists) == RULES_NLISTS, "rule_ctx.lists_tok: one per list");
_Static_assert(RULES_INIT == 1 && RULES_MAIN == 2 && RULES_EPHEMERAL == 4,
    "rules_set_lists(): rules_lists in this order");

/* json_get(meta, "labels"), looked up once per review (rule_ctx.known). */
static int
rules_labels_tok(struct rule_ctx *rc)
{
	if (!(rc->known & RULES_KNOWN_LABELS)) {
		rc->labels_tok = json_get(rc->rq->d, rc->rq->meta, "labels");
		rc->known |= RULES_KNOWN_LABELS;
	}
	return rc->labels_tok;
}

/* See rules.h. */
void
rules_set_lists(struct rule_ctx *rc, int init, int containers, int ephemeral)
{
	rc->lists_tok[0] = init;	/* rules_lists' order */
	rc->lists_tok[1] = containers;
	rc->lists_tok[2] = ephemeral;
	rc->known |= RULES_INIT | RULES_MAIN | RULES_EPHEMERAL;
}

/* json_get(pod, rules_lists[l].name), looked up once per review. */
static int
rules_list_tok(struct rule_ctx *rc, size_t l)
{
	if (!(rc->known & rules_lists[l].bit)) {
		rc->lists_tok[l] = json_get(rc->rq->d, rc->rq->pod, rules_lists[l].name);
		rc->known |= rules_lists[l].bit;
	}
	return rc->lists_tok[l];
}

/*
 * Runs the rules of the table for one route: the MUTATE rules when mutate
 * is set, the DENY / WARN / AUDIT rules otherwise, in table order. A
 * per-container kind runs on every container of its lists, and only when
 * the object has a PodSpec.
 */
void
rules_run(struct rule_ctx *rc, const struct rule *rules, size_t n, int mutate)
{
	const struct rule_kind *k;
	size_t i;

	for (i = 0; i < n; i++) {
		if ((rules[i].action == MUTATE) != (mutate != 0))
			continue;
		rc->rule_index = (int)i;
		rc->scratch = 0;
		k = rules[i].kind;
		if (k->each != NULL) {
			if (rc->rq->pod != JSON_NONE)
				rules_each_container(rc, &rules[i], k->lists, k->each);
		} else {
			k->fn(rc, &rules[i]);
		}
	}
}

/* Whether the table has a rule served on /mutate (mutate) or /validate. */
int
rules_serve(const struct rule *rules, size_t n, int mutate)
{
	size_t i;

	for (i = 0; i < n; i++)
		if ((rules[i].action == MUTATE) == (mutate != 0))
			return 1;
	return 0;
}

/*
 * Appends one violation to the denial message (CONTRACT rule 16), joined by
 * "; ". When the message would pass RULES_DENY_MAX it ends in "; ..." once;
 * the request is denied whatever the message length.
 */
static void
rules_deny(struct rule_ctx *rc, const char *msg, size_t n)
{
	struct buf *b = &rc->deny;
	size_t len = b->len, cap = b->cap;

	if (rc->ndeny++ > 0 && b->len >= 3 &&
	    memcmp(b->p + b->len - 3, "...", 3) == 0)
		return;
	b->cap = cap - RULES_DENY_SLACK;
	if (rc->ndeny > 1)
		buf_puts(b, "; ");
	json_put_esc(b, msg, n);
	b->cap = cap;
	if (b->overflow) {
		b->overflow = 0;
		b->len = len;
		buf_puts(b, len > 0 ? "; ..." : "...");
		rc->deny_cut = 1;
	}
}

/*
 * The number of bytes of s[0, n) that make up at most max characters, and
 * in *chars how many characters that is.
 */
static size_t
rules_utf8_cut(const char *s, size_t n, size_t max, size_t *chars)
{
	size_t i = 0, c = 0;

	while (i < n && c < max) {
		i++;
		while (i < n && ((unsigned char)s[i] & 0xc0) == 0x80)
			i++;
		c++;
	}
	*chars = c;
	return i;
}

/*
 * Adds a warning (CONTRACT rule 17): control characters (and DEL, which
 * Go's header check refuses too) become spaces and
 * invalid UTF-8 becomes '?', so the apiserver does not drop it, and all
 * warnings together stay within RULES_WARN_CHARS characters (a warning that
 * does not fit is cut; once the budget is spent the rest are dropped).
 */
static void
rules_warn(struct rule_ctx *rc, const char *msg, size_t n)
{
	char clean[RULES_MSG_MAX];
	size_t i, k, o = 0, chars;

	for (i = 0; i < n && o < sizeof(clean); i += k) {
		k = json_utf8_char(msg + i, n - i);
		if (k == 0 || (unsigned char)msg[i] < 0x20 || msg[i] == 0x7f) {
			clean[o++] = k == 0 ? '?' : ' ';
			k = 1;
		} else if (o + k <= sizeof(clean)) {
			memcpy(clean + o, msg + i, k);
			o += k;
		} else
			break;
	}
	if (rc->warn_chars >= RULES_WARN_CHARS || o == 0)
		return;
	o = rules_utf8_cut(clean, o, RULES_WARN_CHARS - rc->warn_chars, &chars);
	if (rc->nwarn > 0)
		buf_putc(&rc->warn, ',');
	json_put_str(&rc->warn, clean, o);
	rc->warn_chars += chars;
	rc->nwarn++;
}

/* True when key is a valid auditAnnotations key (CONTRACT rule 18). */
static int
rules_audit_key_ok(const char *key)
{
	size_t i, n = strlen(key);

	if (n == 0 || n > RULES_AUDIT_KEY)
		return 0;
	for (i = 0; i < n; i++) {
		char c = key[i];
		int alnum = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9');
		if (!alnum && ((i == 0 || i == n - 1) ||
		    (c != '-' && c != '_' && c != '.')))
			return 0;
	}
	return 1;
}

/*
 * Adds an audit annotation keyed by the rule kind's name ("images"), or
 * "rule-N" for a custom rule (N: its index in the table); a rule reporting more than once extends its own value with
 * "; " rather than repeating a key (a JSON object with duplicate keys keeps
 * only one of them). Values past RULES_AUDIT_MAX are dropped.
 */
static void
rules_audit(struct rule_ctx *rc, const struct rule *r, const char *msg,
    size_t n)
{
	const char *key = r->kind->name;
	struct buf *b = &rc->audit;
	size_t len = b->len;
	char k[16] = "rule-";
	int reopen;

	if (key == NULL || !rules_audit_key_ok(key)) {
		size_t i = 5, v = (size_t)rc->rule_index, d = 1;
		while (v / d >= 10)
			d *= 10;
		for (; d > 0 && i < sizeof(k) - 1; d /= 10)
			k[i++] = (char)('0' + v / d % 10);
		k[i] = '\0';
		key = k;
	}
	reopen = len > 0 && rc->audit_last == rc->rule_index;
	if (reopen) {
		b->len--;		/* reopen the value: drop its closing quote */
		buf_puts(b, "; ");
	} else {
		if (len > 0)
			buf_putc(b, ',');
		json_put_cstr(b, key);
		buf_puts(b, ":\"");
	}
	json_put_esc(b, msg, n);
	buf_putc(b, '"');
	if (b->overflow) {
		b->overflow = 0;
		b->len = len;
		if (reopen)
			b->p[len - 1] = '"';	/* "; " may have overwritten it */
		return;
	}
	rc->audit_last = rc->rule_index;
}

/*
 * Reports a finding of rule r: a violation (DENY), a warning (WARN) or an
 * audit annotation (AUDIT). MUTATE rules do not report.
 */
void
rules_report(struct rule_ctx *rc, const struct rule *r, const char *msg,
    size_t n)
{
	switch (r->action) {
	case DENY:
		rules_deny(rc, msg, n);
		break;
	case WARN:
		rules_warn(rc, msg, n);
		break;
	case AUDIT:
		rules_audit(rc, r, msg, n);
		break;
	default:
		break;
	}
}

/*
 * Reports the message built in m; a message that overflowed m is reported
 * as far as it got, ending in "...".
 */
void
rules_report_buf(struct rule_ctx *rc, const struct rule *r, struct buf *m)
{
	size_t n = m->len;

	if (m->overflow) {
		while (n > 0 && m->cap - n < 3)
			n--;
		while (n > 0 && ((unsigned char)m->p[n] & 0xc0) == 0x80)
			n--;
		memcpy(m->p + n, "...", 3);
		n += 3;
	}
	rules_report(rc, r, m->p, n);
}

/*
 * Whether rule r can add nothing more: a denial already cut ("; ...") or a
 * warning budget spent. Its remaining containers are not visited then, so
 * thousands of violations cost no more messages than fit (the verdict
 * stands: one violation denies).
 */
int
rules_spent(const struct rule_ctx *rc, const struct rule *r)
{
	return (r->action == DENY && rc->deny_cut) ||
	    (r->action == WARN && rc->warn_chars >= RULES_WARN_CHARS);
}

/*
 * Calls fn for each container object of the PodSpec in the lists of mask
 * lists (RULES_INIT | RULES_MAIN | RULES_EPHEMERAL), with the list's name and
 * the container's index for patch paths. A list of the wrong type, or an
 * element that is not an object, is skipped: the apiserver's schema would
 * have refused it, and there is nothing to judge or patch.
 */
void
rules_each_container(struct rule_ctx *rc, const struct rule *r,
    unsigned lists, rules_container_fn *fn)
{
	struct json *d = rc->rq->d;
	size_t l;
	int arr, c, i;

	for (l = 0; l < NELEM(rules_lists); l++) {
		if (!(lists & rules_lists[l].bit) || rules_spent(rc, r))
			continue;
		arr = rules_list_tok(rc, l);
		if (json_type(d, arr) != JSON_ARRAY)
			continue;
		for (c = json_first(d, arr), i = 0; c != JSON_NONE && !rules_spent(rc, r);
		    c = json_next(d, c), i++)
			if (json_type(d, c) == JSON_OBJECT)
				fn(rc, r, c, rules_lists[l].name, i);
	}
}

/* Writes rune cp of a quoted string the way Go's strconv.Quote does. */
static void
rules_quote_rune(struct buf *m, const char *s, size_t k, unsigned cp)
{
	static const char hex[] = "0123456789abcdef";
	static const char ctl[] = "\a\b\f\n\r\t\v";
	static const char ctl_esc[] = "abfnrtv";
	const char *p;
	char e[6] = { '\\', 'x', 0, 0, 0, 0 };

	if (cp == '"' || cp == '\\') {
		buf_putc(m, '\\');
		buf_putc(m, (char)cp);
	} else if (cp != 0 && (p = strchr(ctl, (int)cp)) != NULL) {
		buf_putc(m, '\\');
		buf_putc(m, ctl_esc[p - ctl]);
	} else if (cp < 0x20 || cp == 0x7f) {
		e[2] = hex[cp >> 4];
		e[3] = hex[cp & 15];
		buf_put(m, e, 4);
	} else if ((cp >= 0x80 && cp < 0xa0) || cp == 0x2028 || cp == 0x2029 ||
	    cp == 0xfeff) {
		e[1] = 'u';
		e[2] = hex[(cp >> 12) & 15];
		e[3] = hex[(cp >> 8) & 15];
		e[4] = hex[(cp >> 4) & 15];
		e[5] = hex[cp & 15];
		buf_put(m, e, 6);
	} else
		buf_put(m, s, k);
}

/* The code point of the valid UTF-8 sequence s[0, k). */
static unsigned
rules_rune(const char *s, size_t k)
{
	const unsigned char *u = (const unsigned char *)s;
	unsigned cp = k == 1 ? u[0] : u[0] & (0x3f >> (k - 1));
	size_t i;

	for (i = 1; i < k; i++)
		cp = cp << 6 | (u[i] & 0x3f);
	return cp;
}

/*
 * Writes string s[0, n) double-quoted like Go's %q, so messages read the
 * same as those of Go webhooks (container "app" image "nginx:1"). Bytes that
 * are not UTF-8 are written \xNN, as Go does.
 */
void
rules_quote(struct buf *m, const char *s, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	char e[4] = { '\\', 'x', 0, 0 };
	size_t i, k;

	buf_putc(m, '"');
	for (i = 0; i < n; i += k) {
		if ((k = json_utf8_char(s + i, n - i)) == 0) {
			e[2] = hex[(unsigned char)s[i] >> 4];
			e[3] = hex[(unsigned char)s[i] & 15];
			buf_put(m, e, 4);
			k = 1;
			continue;
		}
		rules_quote_rune(m, s + i, k, rules_rune(s + i, k));
	}
	buf_putc(m, '"');
}

/*
 * Writes the unescaped string v Go-%q-quoted; a non-string reads as ""
 * (what a Go webhook sees for a missing field), a string cut to
 * RULES_STR_MAX ends in "...".
 */
void
rules_put_quoted(struct buf *m, struct json *d, int v)
{
	char s[RULES_STR_MAX];
	long n = json_str_copy(d, v, s, sizeof(s));

	if (n == -2)
		n = (long)strlen(s);
	rules_quote(m, s, n < 0 ? 0 : (size_t)n);
	if (n >= (long)sizeof(s) - 1)
		buf_puts(m, "...");
}

/* The labels object of the reviewed object, or JSON_NONE. */
int
rules_labels(struct rule_ctx *rc)
{
	struct json *d = rc->rq->d;
	int l = rules_labels_tok(rc);

	return json_type(d, l) == JSON_OBJECT ? l : JSON_NONE;
}

/*
 * Adds label key=value with a patch (CONTRACT rule 21: add needs its
 * parent). The first label added to an object without labels (absent or
 * null) creates /metadata/labels as a whole map; later ones add members to
 * it. Labels of another type are left alone: no patch can fix them safely.
 */
void
rules_patch_label(struct rule_ctx *rc, const char *key, const char *value)
{
	struct json *d = rc->rq->d;
	struct patch *p = rc->patch;
	int l = rules_labels_tok(rc);
	int whole = !rc->labels_made && json_is_null(d, l);

	if (!whole && !rc->labels_made && json_type(d, l) != JSON_OBJECT)
		return;
	patch_op(p, "add");
	if (rc->rq->meta == JSON_NONE && whole) {
		patch_ptr(p, "/metadata");
		patch_value(p);
		buf_puts(&p->b, "{\"labels\":{");
	} else if (whole) {
		patch_ptr(p, "/metadata/labels");
		patch_value(p);
		buf_putc(&p->b, '{');
	} else {
		patch_ptr(p, "/metadata/labels");
		patch_token(p, key, strlen(key));
		patch_value(p);
		json_put_cstr(&p->b, value);
		patch_end(p);
		return;
	}
	json_put_cstr(&p->b, key);
	buf_putc(&p->b, ':');
	json_put_cstr(&p->b, value);
	buf_puts(&p->b, rc->rq->meta == JSON_NONE ? "}}" : "}");
	patch_end(p);
	rc->labels_made = 1;
}

/*
 * Opens an "add" of field of container index of list, leaving p ready for
 * the value: the caller writes one JSON value and calls patch_end().
 */
void
rules_patch_container(struct rule_ctx *rc, const char *list, int index,
    const char *field)
{
	struct patch *p = rc->patch;

	patch_op(p, "add");
	patch_ptr(p, rc->rq->kind->ptr);
	patch_token(p, list, strlen(list));
	patch_index(p, index);
	patch_token(p, field, strlen(field));
	patch_value(p);
}

