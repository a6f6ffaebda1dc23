/*
 * pss_check.c: what every Pod Security check uses: the walk over a pod's
 * containers in PodSecurity's visit order, the lists of names a check
 * collects, and PodSecurity's wording of a violation (policy/helpers.go):
 * joinQuote'd lists ("a", "b": plain quotes, no escaping),
 * "container"/"containers" following the count, sets (sets.String)
 * deduplicated and sorted bytewise as Go sorts strings. See pss_check.h.
 */
#include <string.h>

#include "json.h"
#include "limit.h"
#include "pss_check.h"
#include "rules.h"

#define NELEM(a)	(sizeof(a) / sizeof((a)[0]))

/* --- walking the pod ---------------------------------------------------- */

const char *const pss_field_names[NUM_PSS_FIELDS] = {
	[PSS_F_SC] = "securityContext",
	[PSS_F_NAME] = "name",
	[PSS_F_PORTS] = "ports",
	[PSS_F_LIVENESS] = "livenessProbe",
	[PSS_F_READINESS] = "readinessProbe",
	[PSS_F_STARTUP] = "startupProbe",
	[PSS_F_LIFECYCLE] = "lifecycle",
};

/* See pss_check.h. */
int
pss_next(const struct pss_eval *e, struct pss_cursor *k)
{
	if (k->list >= 0)
		k->c = json_next(e->d, k->c);
	for (;;) {
		while (k->c != JSON_NONE && json_type(e->d, k->c) != JSON_OBJECT)
			k->c = json_next(e->d, k->c);
		if (k->c != JSON_NONE) {
			k->i++;
			return 1;
		}
		if (++k->list >= (int)NELEM(e->lists))
			return 0;
		k->c = json_first(e->d, e->lists[k->list]);
	}
}

/* Whether v is one of the strings of set (NULL-terminated). */
int
pss_in(struct json *d, int v, const char *const *set)
{
	for (; *set != NULL; set++)
		if (json_str_eq(d, v, *set))
			return 1;
	return 0;
}

/* --- lists and wording -------------------------------------------------- */

void
pss_strs_init(struct pss_strs *s)
{
	s->used = 0;
	s->n = 0;
	s->more = 0;
}

static int
pss_strs_has(const struct pss_strs *s, const char *p, size_t n)
{
	int i;

	for (i = 0; i < s->n; i++)
		if (s->len[i] == n && memcmp(s->pool + s->off[i], p, n) == 0)
			return 1;
	return 0;
}

/* Appends p[0, n); a set (uniq) keeps one copy of each string. */
void
pss_strs_add(struct pss_strs *s, const char *p, size_t n, int uniq)
{
	if (uniq && pss_strs_has(s, p, n))
		return;
	if (s->n == PSS_ITEMS_MAX || n > sizeof(s->pool) - s->used) {
		s->more++;
		return;
	}
	memcpy(s->pool + s->used, p, n);
	s->off[s->n] = (uint16_t)s->used;
	s->len[s->n] = (uint16_t)n;
	s->used += n;
	s->n++;
}

/*
 * Appends the unescaped string v; anything but a string is Go's zero value
 * "" (what a typed decode leaves for null or a missing field).
 */
void
pss_strs_add_json(struct pss_strs *s, struct json *d, int v, int uniq)
{
	char tmp[RULES_STR_MAX];
	long n = json_str_copy(d, v, tmp, sizeof(tmp));

	if (n == -2)
		n = (long)strlen(tmp);
	pss_strs_add(s, tmp, n < 0 ? 0 : (size_t)n, uniq);
}

/* Go's string order: bytewise, a prefix first. */
static int
pss_strs_less(const struct pss_strs *s, int a, int b)
{
	size_t n = s->len[a] < s->len[b] ? s->len[a] : s->len[b];
	int c = memcmp(s->pool + s->off[a], s->pool + s->off[b], n);

	return c < 0 || (c == 0 && s->len[a] < s->len[b]);
}

/* Sorts the items (insertion sort: at most PSS_ITEMS_MAX of them). */
void
pss_strs_sort(struct pss_strs *s)
{
	uint16_t o, l;
	int i, j;

	for (i = 1; i < s->n; i++) {
		for (j = i; j > 0 && pss_strs_less(s, j, j - 1); j--) {
			o = s->off[j], l = s->len[j];
			s->off[j] = s->off[j - 1], s->len[j] = s->len[j - 1];
			s->off[j - 1] = o, s->len[j - 1] = l;
		}
	}
}

/* Writes the items joined by sep, each between q and q (q: "" or "\""). */
void
pss_put_join(struct buf *b, const struct pss_strs *s, const char *sep,
    const char *q)
{
	int i;

	for (i = 0; i < s->n; i++) {
		if (i > 0)
			buf_puts(b, sep);
		buf_puts(b, q);
		buf_put(b, s->pool + s->off[i], s->len[i]);
		buf_puts(b, q);
	}
	if (s->more > 0)
		buf_puts(b, s->n > 0 ? ", ..." : "...");
}

/* joinQuote(): "a", "b". */
void
pss_put_quoted(struct buf *b, const struct pss_strs *s)
{
	pss_put_join(b, s, ", ", "\"");
}

/* `container "a"` or `containers "a", "b"`. */
void
pss_put_containers(struct buf *b, const struct pss_strs *s)
{
	buf_puts(b, pss_plural(pss_strs_count(s), "container ", "containers "));
	pss_put_quoted(b, s);
}

/* Opens one violation: ", " between checks, then `reason (`. */
void
pss_violation(struct pss_eval *e, const char *reason)
{
	if (e->nviol++ > 0)
		buf_puts(e->out, ", ");
	buf_puts(e->out, reason);
	buf_puts(e->out, " (");
}

/* Joins the setters of a check (`pod and containers "a"`) with " and ". */
void
pss_put_setters(struct buf *b, int pod, const struct pss_strs *ctrs)
{
	if (pod)
		buf_puts(b, "pod");
	if (pod && pss_strs_count(ctrs) > 0)
		buf_puts(b, " and ");
	if (pss_strs_count(ctrs) > 0)
		pss_put_containers(b, ctrs);
}
