/*
 * convert.c: ConversionReview (apiextensions.k8s.io/v1) decode and encode
 * around the compiled conversion tables (CONTRACT rules 26-29).
 *
 * Per object: the table rules of both steps (spoke -> hub -> spoke) become
 * a list of edits keyed by output path, each "delete" or "set to a value".
 * A value is a token of the request (copied as raw bytes), JSON text (a
 * default), or an annotation holding JSON text (a preserved field). Then
 * the object is written once: members no edit reaches are copied as raw
 * spans, so untouched values leave byte for byte as they came.
 *
 * Edits are ordered: a new edit at path P replaces every older edit at or
 * below P, so at any path the deepest edit on the way is the newest, and
 * reading a path "as converted so far" (for the second step) needs no
 * intermediate document.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "convert.h"

static const char convert_api[] = "apiextensions.k8s.io/v1";
static const char convert_review_kind[] = "ConversionReview";

/*
 * Weak references: a build whose src/policy.c does not (yet) define the
 * policy's conversions links anyway, their addresses are then NULL and
 * every object is a Failure. Not weak definitions: the compiler may fold a
 * weak const's initializer into its users and ignore policy.c's value.
 */
extern const struct convert_kind *const policy_conversions[] __attribute__((weak));
extern const int policy_nconversions __attribute__((weak));

typedef uint64_t cv_mask;
_Static_assert(CONVERT_MAX_EDITS <= 64, "edit masks are uint64_t");

#define CV_BIT(i)	((cv_mask)1 << (i))

/* One member name of a path: not NUL-terminated, never escaped. */
struct cv_seg {
	const char	*s;
	size_t		 n;
};

struct cv_path {
	struct cv_seg	seg[CONVERT_MAX_SEGS];
	int		n;
};

enum cv_vtype {
	CV_ABSENT,
	CV_TOK,		/* token tok of the request, copied raw */
	CV_TEXT,	/* JSON text s[0, n) */
	CV_ANNOT,	/* string token tok whose content is JSON text */
	NUM_CV_VTYPES
};

struct cv_val {
	enum cv_vtype	 type;
	int		 tok;
	const char	*s;
	size_t		 n;
	int		 as_string;	/* written as a JSON string of its text */
	int		 key;		/* key token when read from an input member */
};

struct cv_edit {
	struct cv_path	path;
	int		del;
	int		dead;		/* replaced by a newer edit at or above */
	int		at;		/* key token whose place a new member takes */
	struct cv_val	v;
};

struct convert_obj {
	struct json	*d;
	int		 obj;		/* the object's token */
	struct cv_edit	 e[CONVERT_MAX_EDITS];
	int		 ne;
	int		 internal;	/* the engine's own apiVersion edit */
	const char	*why;		/* first error; the object fails */
	size_t		 nscratch;
	char		 scratch[CONVERT_SCRATCH];
};

/* The request as a whole, while its objects are converted. */
struct cv_review {
	struct json			*d;
	const struct convert_kind *const *kinds;
	int				 nkinds;
	int				 desired;	/* desiredAPIVersion token */
	char				 dav[CONVERT_NAME_MAX];
	char				 msg[CONVERT_MSG_MAX];
	struct verdict		*info;
};

/* ---- JSON text check (values restored from annotations, defaults) ---- */

static int	cj_value(const char *s, size_t n, size_t *i, int depth);

/* The index of the first non-whitespace byte at or after i. */
static size_t
cj_ws(const char *s, size_t n, size_t i)
{
	while (i < n && (s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '\r'))
		i++;
	return i;
}

/* One \-escape at s[*i] (the backslash), RFC 8259 section 7. */
static int
cj_escape(const char *s, size_t n, size_t *i)
{
	size_t k;

	if (*i + 1 >= n)
		return 0;
	if (s[*i + 1] != 'u') {
		*i += 2;
		return memchr("\"\\/bfnrt", s[*i - 1], 8) != NULL;
	}
	if (*i + 6 > n)
		return 0;
	for (k = *i + 2; k < *i + 6; k++)
		if (!((s[k] >= '0' && s[k] <= '9') || (s[k] >= 'a' && s[k] <= 'f') ||
		    (s[k] >= 'A' && s[k] <= 'F')))
			return 0;
	*i += 6;
	return 1;
}

/* A string at s[*i] (the quote): no raw control bytes, valid UTF-8. */
static int
cj_string(const char *s, size_t n, size_t *i)
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
			if (!cj_escape(s, n, i))
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

/* Skips a run of digits at s[*i]; true when there was at least one. */
static int
cj_digits(const char *s, size_t n, size_t *i)
{
	size_t start = *i;

	while (*i < n && s[*i] >= '0' && s[*i] <= '9')
		(*i)++;
	return *i > start;
}

/* A number or literal at s[*i] (RFC 8259 sections 3 and 6). */
static int
cj_scalar(const char *s, size_t n, size_t *i)
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
	if (s[*i] == '-')
		(*i)++;
	if (*i < n && s[*i] == '0')
		(*i)++;
	else if (!cj_digits(s, n, i))
		return 0;
	if (*i < n && s[*i] == '.' && (++*i, !cj_digits(s, n, i)))
		return 0;
	if (*i < n && (s[*i] == 'e' || s[*i] == 'E')) {
		(*i)++;
		if (*i < n && (s[*i] == '+' || s[*i] == '-'))
			(*i)++;
		return cj_digits(s, n, i);
	}
	return 1;
}

/* An object or array at s[*i], its members checked recursively. */
static int
cj_container(const char *s, size_t n, size_t *i, int depth)
{
	char close = s[*i] == '{' ? '}' : ']';

	if (depth >= CONVERT_JSON_DEPTH)
		return 0;
	*i = cj_ws(s, n, *i + 1);
	if (*i < n && s[*i] == close) {
		(*i)++;
		return 1;
	}
	while (*i < n) {
		if (close == '}') {
			if (s[*i] != '"' || !cj_string(s, n, i))
				return 0;
			*i = cj_ws(s, n, *i);
			if (*i >= n || s[(*i)++] != ':')
				return 0;
		}
		if (!cj_value(s, n, i, depth + 1))
			return 0;
		if (*i >= n)
			return 0;
		if (s[*i] == close) {
			(*i)++;
			return 1;
		}
		if (s[(*i)++] != ',')
			return 0;
		*i = cj_ws(s, n, *i);
	}
	return 0;
}

/* One value at s[*i] with the whitespace around it. */
static int
cj_value(const char *s, size_t n, size_t *i, int depth)
{
	int ok;

	*i = cj_ws(s, n, *i);
	if (*i >= n)
		return 0;
	if (s[*i] == '{' || s[*i] == '[')
		ok = cj_container(s, n, i, depth);
	else if (s[*i] == '"')
		ok = cj_string(s, n, i);
	else
		ok = cj_scalar(s, n, i);
	*i = cj_ws(s, n, *i);
	return ok;
}

/*
 * True when s[0, n) is exactly one JSON value (whitespace around allowed).
 * A value restored from an annotation is checked before it is written, so
 * a hand-edited annotation can fail a conversion but never produce a
 * response the apiserver cannot parse.
 */
int
convert_json_valid(const char *s, size_t n)
{
	size_t i = 0;

	return cj_value(s, n, &i, 0) && i == n;
}

/* ---- paths and edits ---- */

/* Records why the object fails; the first reason is the one reported. */
static void
cv_fail(struct convert_obj *o, const char *why)
{
	if (o->why == NULL)
		o->why = why;
}

/*
 * Splits a '.'-separated path, plus an optional last member taken whole
 * (an annotation key holds dots and slashes), into p. Returns 0, or -1 for
 * an empty member or a path deeper than CONVERT_MAX_SEGS.
 */
static int
cv_split(struct cv_path *p, const char *dotted, const char *leaf)
{
	const char *dot;

	p->n = 0;
	while (dotted != NULL && p->n < CONVERT_MAX_SEGS) {
		dot = strchr(dotted, '.');
		p->seg[p->n].s = dotted;
		p->seg[p->n].n = dot != NULL ? (size_t)(dot - dotted) : strlen(dotted);
		if (p->seg[p->n++].n == 0)
			return -1;
		dotted = dot != NULL ? dot + 1 : NULL;
	}
	if (dotted != NULL || (leaf != NULL && p->n == CONVERT_MAX_SEGS))
		return -1;
	if (leaf != NULL) {
		p->seg[p->n].s = leaf;
		p->seg[p->n].n = strlen(leaf);
		if (p->seg[p->n++].n == 0)
			return -1;
	}
	return p->n > 0 ? 0 : -1;
}

/* Splits a rule's path into p; a bad path fails the object. */
static int
cv_path(struct convert_obj *o, struct cv_path *p, const char *dotted,
    const char *leaf)
{
	if (dotted == NULL || cv_split(p, dotted, leaf) < 0) {
		cv_fail(o, "a conversion rule has an empty or too deep path");
		return -1;
	}
	return 0;
}

/* True when two path members are the same name. */
static int
cv_seg_eq(const struct cv_seg *a, const struct cv_seg *b)
{
	return a->n == b->n && memcmp(a->s, b->s, a->n) == 0;
}

/* True when path member a is the name s. */
static int
cv_seg_is(const struct cv_seg *a, const char *s)
{
	return a->n == strlen(s) && memcmp(a->s, s, a->n) == 0;
}

/* True when a equals b or is an ancestor of it. */
static int
cv_prefix(const struct cv_path *a, const struct cv_path *b)
{
	int i;

	if (a->n > b->n)
		return 0;
	for (i = 0; i < a->n; i++)
		if (!cv_seg_eq(&a->seg[i], &b->seg[i]))
			return 0;
	return 1;
}

/* True when a and b are members of the same object. */
static int
cv_siblings(const struct cv_path *a, const struct cv_path *b)
{
	int i;

	if (a->n != b->n)
		return 0;
	for (i = 0; i + 1 < a->n; i++)
		if (!cv_seg_eq(&a->seg[i], &b->seg[i]))
			return 0;
	return 1;
}

/*
 * Whether a rule may write at p (CONTRACT rule 29): not apiVersion or kind
 * (the engine sets apiVersion itself), and in metadata only a label or an
 * annotation; the apiserver reverts other metadata changes, and a changed
 * name or uid would corrupt the stored object.
 */
static int
cv_writable(const struct cv_path *p)
{
	if (cv_seg_is(&p->seg[0], "apiVersion") || cv_seg_is(&p->seg[0], "kind"))
		return 0;
	if (!cv_seg_is(&p->seg[0], "metadata"))
		return 1;
	return p->n == 3 && (cv_seg_is(&p->seg[1], "labels") ||
	    cv_seg_is(&p->seg[1], "annotations"));
}

/*
 * Records a new edit at p and returns it (its value still to fill), or
 * NULL with the object failed. Older edits at or below p die. An edit
 * below another must sit inside an object that edit copies from the
 * request; below a deletion or a default there is nothing to edit.
 */
static struct cv_edit *
cv_add(struct convert_obj *o, const struct cv_path *p)
{
	struct cv_edit *e;
	int i;

	if (o->why != NULL)
		return NULL;
	if (!o->internal && !cv_writable(p)) {
		cv_fail(o, "a conversion rule may change only spec, status, "
		    "labels and annotations");
		return NULL;
	}
	for (i = 0; i < o->ne; i++) {
		e = &o->e[i];
		if (e->dead)
			continue;
		if (cv_prefix(p, &e->path))
			e->dead = 1;
		else if (cv_prefix(&e->path, p) && (e->del || e->v.type != CV_TOK ||
		    e->v.as_string || json_type(o->d, e->v.tok) != JSON_OBJECT)) {
			cv_fail(o, "conversion rules overlap: a path below a "
			    "removed or non-object value");
			return NULL;
		}
	}
	if (o->ne >= CONVERT_MAX_EDITS) {
		cv_fail(o, "more edits than CONVERT_MAX_EDITS");
		return NULL;
	}
	e = &o->e[o->ne++];
	memset(e, 0, sizeof(*e));
	e->path = *p;
	e->at = JSON_NONE;
	return e;
}

/*
 * The value at p as converted so far: the newest edit on the way down
 * decides, else the request. A value with newer edits below it cannot be
 * read as one piece (it would be copied without them): that is a rule
 * overlap and fails the object.
 */
static struct cv_val
cv_lookup(struct convert_obj *o, const struct cv_path *p)
{
	struct cv_val v = { CV_ABSENT, JSON_NONE, NULL, 0, 0, JSON_NONE };
	const struct cv_edit *best = NULL, *e;
	int i, from = 0, t = o->obj;

	for (i = 0; i < o->ne; i++) {
		e = &o->e[i];
		if (e->dead)
			continue;
		if (e->path.n > p->n && cv_prefix(p, &e->path)) {
			cv_fail(o, "conversion rules overlap: a value read after "
			    "an edit inside it");
			return v;
		}
		if (cv_prefix(&e->path, p) && (best == NULL || e->path.n > best->path.n))
			best = e;
	}
	if (best != NULL && best->del)
		return v;
	if (best != NULL && best->path.n == p->n) {
		v = best->v;
		v.key = JSON_NONE;
		return v;
	}
	if (best != NULL) {
		if (best->v.type != CV_TOK || best->v.as_string)
			return v;
		t = best->v.tok;
		from = best->path.n;
	}
	for (i = from; i < p->n && t != JSON_NONE; i++)
		t = json_getn(o->d, t, p->seg[i].s, p->seg[i].n);	/* the last duplicate, as Go */
	if (t != JSON_NONE) {
		v.type = CV_TOK;
		v.tok = t;
		v.key = t - 1;	/* jsmn: a member's key token precedes its value */
	}
	return v;
}

/* Records "set p to v"; at: the key token whose place it takes, or JSON_NONE. */
static void
cv_set(struct convert_obj *o, const struct cv_path *p, struct cv_val v,
    int at)
{
	struct cv_edit *e = cv_add(o, p);

	if (e == NULL)
		return;
	v.key = JSON_NONE;
	e->v = v;
	e->at = at;
}

/* Records "delete the member at p". */
static void
cv_del(struct convert_obj *o, const struct cv_path *p)
{
	struct cv_edit *e = cv_add(o, p);

	if (e != NULL)
		e->del = 1;
}

/*
 * Moves the value at from to to. A rename within one object takes the old
 * member's place, so a round trip gives back the same bytes in the same
 * order. Nothing at from: nothing happens.
 */
static void
cv_move(struct convert_obj *o, const struct cv_path *from,
    const struct cv_path *to)
{
	struct cv_val v = cv_lookup(o, from);
	int at;

	if (v.type == CV_ABSENT || o->why != NULL)
		return;
	at = cv_siblings(from, to) ? v.key : JSON_NONE;
	cv_del(o, from);
	cv_set(o, to, v, at);
}

/* Sets JSON text def at p unless p already has a value. */
static void
cv_default(struct convert_obj *o, const struct cv_path *p, const char *def)
{
	struct cv_val v = { CV_TEXT, JSON_NONE, def, 0, 0, JSON_NONE };

	if (def == NULL || cv_lookup(o, p).type != CV_ABSENT || o->why != NULL)
		return;
	v.n = strlen(def);
	cv_set(o, p, v, JSON_NONE);
}

/*
 * Moves the value at p into annotation key as its JSON text (the target
 * version has no such field; the annotation makes the round trip
 * lossless). key NULL: the value is dropped.
 */
static void
cv_preserve(struct convert_obj *o, const struct cv_path *p, const char *key)
{
	struct cv_path ap;
	struct cv_val v = cv_lookup(o, p);

	if (v.type == CV_ABSENT || o->why != NULL)
		return;
	cv_del(o, p);
	if (key == NULL || cv_path(o, &ap, "metadata.annotations", key) < 0)
		return;
	v.as_string = 1;
	cv_set(o, &ap, v, JSON_NONE);
}

/*
 * The inverse of cv_preserve(): the JSON text in annotation key becomes
 * the value at p and the annotation goes; without the annotation, def.
 */
static void
cv_restore(struct convert_obj *o, const char *key, const struct cv_path *p,
    const char *def)
{
	struct cv_path ap;
	struct cv_val v;

	if (key == NULL || cv_path(o, &ap, "metadata.annotations", key) < 0) {
		cv_default(o, p, def);
		return;
	}
	v = cv_lookup(o, &ap);
	if (v.type == CV_ABSENT) {
		cv_default(o, p, def);
		return;
	}
	if (v.as_string)
		v.as_string = 0;
	else if (v.type == CV_TOK && json_type(o->d, v.tok) == JSON_STRING)
		v.type = CV_ANNOT;
	else {
		cv_fail(o, "a preserved-field annotation is not a string");
		return;
	}
	cv_del(o, &ap);
	cv_set(o, p, v, JSON_NONE);
}

/* ---- table rules ---- */

/* Applies one field rule of a spoke in the spoke -> hub direction. */
static void
cv_field_to_hub(struct convert_obj *o, const struct convert_field *f)
{
	struct cv_path hub, spoke;

	switch (f->op) {
	case CONVERT_RENAME:
		if (cv_path(o, &hub, f->hub, NULL) == 0 &&
		    cv_path(o, &spoke, f->spoke, NULL) == 0) {
			cv_move(o, &spoke, &hub);
			cv_default(o, &hub, f->def);
		}
		break;
	case CONVERT_HUB_ONLY:
		if (cv_path(o, &hub, f->hub, NULL) == 0)
			cv_restore(o, f->annotation, &hub, f->def);
		break;
	case CONVERT_SPOKE_ONLY:
		if (cv_path(o, &spoke, f->spoke, NULL) == 0)
			cv_preserve(o, &spoke, f->annotation);
		break;
	default:
		cv_fail(o, "unknown conversion rule");
	}
}

/* Applies one field rule of a spoke in the hub -> spoke direction. */
static void
cv_field_from_hub(struct convert_obj *o, const struct convert_field *f)
{
	struct cv_path hub, spoke;

	switch (f->op) {
	case CONVERT_RENAME:
		if (cv_path(o, &hub, f->hub, NULL) == 0 &&
		    cv_path(o, &spoke, f->spoke, NULL) == 0)
			cv_move(o, &hub, &spoke);
		break;
	case CONVERT_HUB_ONLY:
		if (cv_path(o, &hub, f->hub, NULL) == 0)
			cv_preserve(o, &hub, f->annotation);
		break;
	case CONVERT_SPOKE_ONLY:
		if (cv_path(o, &spoke, f->spoke, NULL) == 0)
			cv_restore(o, f->annotation, &spoke, f->def);
		break;
	default:
		cv_fail(o, "unknown conversion rule");
	}
}

/*
 * Spoke -> hub: the table in order, then the custom function. Hub ->
 * spoke mirrors it: the function first, then the table backwards, so a
 * round trip undoes the steps in reverse.
 */
static void
cv_to_hub(struct convert_obj *o, const struct convert_version *v)
{
	size_t i;
	const char *why;

	for (i = 0; i < v->nfields && o->why == NULL; i++)
		cv_field_to_hub(o, &v->fields[i]);
	if (o->why == NULL && v->to_hub != NULL && (why = v->to_hub(o)) != NULL)
		cv_fail(o, why);
}

/* Hub -> spoke v: the mirror of cv_to_hub(). */
static void
cv_from_hub(struct convert_obj *o, const struct convert_version *v)
{
	size_t i;
	const char *why;

	if (v->from_hub != NULL && (why = v->from_hub(o)) != NULL)
		cv_fail(o, why);
	for (i = v->nfields; i > 0 && o->why == NULL; i--)
		cv_field_from_hub(o, &v->fields[i - 1]);
}

/* ---- custom conversion functions (see convert.h) ---- */

/* The request document the tokens of convert_get() belong to. */
struct json *
convert_doc(struct convert_obj *o)
{
	return o->d;
}

/* See convert.h: the value at path as converted so far, if it is a request token. */
int
convert_get(struct convert_obj *o, const char *path)
{
	struct cv_path p;
	struct cv_val v;

	if (cv_path(o, &p, path, NULL) < 0)
		return JSON_NONE;
	v = cv_lookup(o, &p);
	return v.type == CV_TOK && !v.as_string ? v.tok : JSON_NONE;
}

/* Deletes the member at path (nothing when absent). */
void
convert_delete(struct convert_obj *o, const char *path)
{
	struct cv_path p;

	if (cv_path(o, &p, path, NULL) == 0 && cv_lookup(o, &p).type != CV_ABSENT)
		cv_del(o, &p);
}

/* Moves the value at from to to, as a CONVERT_RENAME rule does. */
void
convert_move(struct convert_obj *o, const char *from, const char *to)
{
	struct cv_path f, t;

	if (cv_path(o, &f, from, NULL) == 0 && cv_path(o, &t, to, NULL) == 0)
		cv_move(o, &f, &t);
}

/* Sets path to a copy of token tok of convert_doc() (raw bytes). */
void
convert_set_tok(struct convert_obj *o, const char *path, int tok)
{
	struct cv_path p;
	struct cv_val v = { CV_TOK, JSON_NONE, NULL, 0, 0, JSON_NONE };

	if (json_type(o->d, tok) == JSON_ABSENT) {
		cv_fail(o, "convert_set_tok: no such token");
		return;
	}
	v.tok = tok;
	if (cv_path(o, &p, path, NULL) == 0)
		cv_set(o, &p, v, JSON_NONE);
}

/*
 * Sets path to JSON text json[0, n), copied into the object's scratch
 * (the caller's buffer may be gone when the object is written).
 */
void
convert_set_json(struct convert_obj *o, const char *path, const char *json,
    size_t n)
{
	struct cv_path p;
	struct cv_val v = { CV_TEXT, JSON_NONE, NULL, 0, 0, JSON_NONE };

	if (n > sizeof(o->scratch) - o->nscratch) {
		cv_fail(o, "custom conversion values exceed CONVERT_SCRATCH");
		return;
	}
	if (!convert_json_valid(json, n)) {
		cv_fail(o, "a custom conversion set a value that is not JSON");
		return;
	}
	memcpy(o->scratch + o->nscratch, json, n);
	v.s = o->scratch + o->nscratch;
	v.n = n;
	o->nscratch += n;
	if (cv_path(o, &p, path, NULL) == 0)
		cv_set(o, &p, v, JSON_NONE);
}

/* Moves the value at path into annotation (see cv_preserve()). */
void
convert_preserve(struct convert_obj *o, const char *path, const char *annotation)
{
	struct cv_path p;

	if (cv_path(o, &p, path, NULL) == 0)
		cv_preserve(o, &p, annotation);
}

/* Restores path from annotation, else def (see cv_restore()). */
void
convert_restore(struct convert_obj *o, const char *annotation, const char *path,
    const char *def)
{
	struct cv_path p;

	if (cv_path(o, &p, path, NULL) == 0)
		cv_restore(o, annotation, &p, def);
}

/* ---- writing an object ---- */

static void	cv_put_object(struct convert_obj *o, struct buf *out, int obj,
		    int depth, cv_mask mask, int meta);
static void	cv_put_fresh(struct convert_obj *o, struct buf *out, int depth,
		    cv_mask fresh, cv_mask *done, int at, int *first);

/* Writes the comma before every member but the first. */
static void
cv_sep(struct buf *out, int *first)
{
	if (!*first)
		buf_putc(out, ',');
	*first = 0;
}

/* Edits of mask whose path continues at depth with member key k. */
static cv_mask
cv_match_key(struct convert_obj *o, cv_mask mask, int depth, int k)
{
	cv_mask r = 0;
	int i;

	for (i = 0; i < o->ne; i++)
		if ((mask & CV_BIT(i)) && json_str_eqn(o->d, k,
		    o->e[i].path.seg[depth].s, o->e[i].path.seg[depth].n))
			r |= CV_BIT(i);
	return r;
}

/* Edits of mask whose path continues at depth like edit j's. */
static cv_mask
cv_match_seg(struct convert_obj *o, cv_mask mask, int depth, int j)
{
	cv_mask r = 0;
	int i;

	for (i = 0; i < o->ne; i++)
		if ((mask & CV_BIT(i)) &&
		    cv_seg_eq(&o->e[i].path.seg[depth], &o->e[j].path.seg[depth]))
			r |= CV_BIT(i);
	return r;
}

/* The edit of mask that ends at depth (there is at most one alive), or -1. */
static int
cv_exact(struct convert_obj *o, cv_mask mask, int depth)
{
	int i;

	for (i = 0; i < o->ne; i++)
		if ((mask & CV_BIT(i)) && o->e[i].path.n == depth + 1)
			return i;
	return -1;
}

/* True when mask sets something (deletions alone create nothing). */
static int
cv_has_set(struct convert_obj *o, cv_mask mask)
{
	int i;

	for (i = 0; i < o->ne; i++)
		if ((mask & CV_BIT(i)) && !o->e[i].del)
			return 1;
	return 0;
}

/*
 * Writes the JSON text in annotation string tok unescaped, checking it is
 * one JSON value; it is unescaped straight into out, then checked there.
 */
static void
cv_put_annot(struct convert_obj *o, struct buf *out, int tok)
{
	const char *r;
	size_t rn;
	long n;

	r = json_raw(o->d, tok, &rn);
	if (out->overflow)
		return;
	n = json_unescape(r, rn, out->p + out->len, out->cap - out->len);
	if (n == -2) {
		out->overflow = 1;
		return;
	}
	if (n < 0 || !convert_json_valid(out->p + out->len, (size_t)n)) {
		cv_fail(o, "a preserved-field annotation does not hold JSON");
		return;
	}
	out->len += (size_t)n;
}

/* Writes value v (as a JSON string of its text when v->as_string). */
static void
cv_put_val(struct convert_obj *o, struct buf *out, const struct cv_val *v)
{
	size_t off = 0, n = 0;

	if (v->type == CV_TOK || v->type == CV_ANNOT)
		json_span(o->d, v->tok, &off, &n);
	if (v->type == CV_ANNOT && !v->as_string)
		cv_put_annot(o, out, v->tok);
	else if (v->type == CV_ANNOT || (v->type == CV_TOK && !v->as_string))
		buf_put(out, o->d->s + off, n);
	else if (v->type == CV_TOK)
		json_put_str(out, o->d->s + off, n);
	else if (v->as_string)
		json_put_str(out, v->s, v->n);
	else if (convert_json_valid(v->s, v->n))
		buf_put(out, v->s, v->n);
	else
		cv_fail(o, "a conversion default is not valid JSON");
}

/* Writes edit x's value; below are the edits inside it (an object). */
static void
cv_put_set(struct convert_obj *o, struct buf *out, int x, int depth,
    cv_mask below)
{
	if (below != 0)
		cv_put_object(o, out, o->e[x].v.tok, depth, below, 0);
	else
		cv_put_val(o, out, &o->e[x].v);
}

/* Writes an object that only edits create (a missing parent of a set). */
static void
cv_put_new(struct convert_obj *o, struct buf *out, int depth, cv_mask mask)
{
	cv_mask done = 0;
	int first = 1;

	buf_putc(out, '{');
	cv_put_fresh(o, out, depth, mask, &done, JSON_NONE, &first);
	buf_putc(out, '}');
}

/*
 * Writes the members that edits of fresh create at this depth (no member
 * of the object has their name), one per name, in edit order. With at set,
 * only the member that takes the place of key token at (a rename).
 */
static void
cv_put_fresh(struct convert_obj *o, struct buf *out, int depth, cv_mask fresh,
    cv_mask *done, int at, int *first)
{
	cv_mask group;
	int i, x;

	for (i = 0; i < o->ne; i++) {
		if (!(fresh & CV_BIT(i)) || (*done & CV_BIT(i)))
			continue;
		if (at != JSON_NONE && (o->e[i].at != at || o->e[i].path.n != depth + 1))
			continue;
		group = cv_match_seg(o, fresh, depth, i) & ~*done;
		*done |= group;
		if (!cv_has_set(o, group))
			continue;
		cv_sep(out, first);
		json_put_str(out, o->e[i].path.seg[depth].s, o->e[i].path.seg[depth].n);
		buf_putc(out, ':');
		if ((x = cv_exact(o, group, depth)) >= 0 && !o->e[x].del)
			cv_put_set(o, out, x, depth + 1, group & ~CV_BIT(x));
		else
			cv_put_new(o, out, depth + 1, group & ~(x >= 0 ? CV_BIT(x) : 0));
	}
}

/*
 * The number of members object v keeps under the edits of sub (leaf
 * edits: labels and annotations), to drop a map the edits empty.
 */
static int
cv_count(struct convert_obj *o, int v, int depth, cv_mask sub)
{
	cv_mask matched = 0, s;
	int k, x, count = 0;

	if (json_type(o->d, v) != JSON_OBJECT)
		return 1;
	for (k = json_first(o->d, v); k != JSON_NONE; k = json_next(o->d, k)) {
		s = cv_match_key(o, sub, depth, k);
		matched |= s;
		x = cv_exact(o, s, depth);
		count += x < 0 || !o->e[x].del;
	}
	return count + cv_has_set(o, sub & ~matched);
}

/*
 * Writes the value of a member that edits reach inside: an object is
 * walked, null becomes the object the edits create, anything else cannot
 * hold members.
 */
static void
cv_put_inside(struct convert_obj *o, struct buf *out, int v, int depth,
    cv_mask sub, int meta)
{
	size_t off, n;

	if (json_type(o->d, v) == JSON_OBJECT) {
		cv_put_object(o, out, v, depth, sub, meta);
	} else if (json_type(o->d, v) == JSON_NULL && cv_has_set(o, sub)) {
		cv_put_new(o, out, depth, sub);
	} else if (json_type(o->d, v) == JSON_NULL) {
		json_span(o->d, v, &off, &n);
		buf_put(out, o->d->s + off, n);
	} else {
		cv_fail(o, "a conversion rule's path goes through a non-object value");
	}
}

/*
 * Whether member k (value k + 1) of obj is left out: an earlier duplicate
 * of an edited key (Go keeps the last; writing one copy is enough), or a
 * label/annotation map the edits leave empty (ObjectMeta omits empty maps,
 * so a round trip that added and removed an annotation gives the same
 * object back). last: per edit, the last member of obj that it matches.
 */
static int
cv_skip_member(struct convert_obj *o, const int *last, int k, int depth,
    cv_mask sub, int meta)
{
	int i = 0;

	while (!(sub & CV_BIT(i)))
		i++;
	if (last[i] != k)
		return 1;
	if (!meta || (!json_str_eq(o->d, k, "annotations") &&
	    !json_str_eq(o->d, k, "labels")))
		return 0;
	return cv_exact(o, sub, depth) < 0 && cv_count(o, k + 1, depth + 1, sub) == 0;
}

/*
 * Writes object obj at depth under the edits of mask (those whose path
 * runs through it): untouched members as raw spans, edited ones replaced,
 * deleted ones left out, new ones in place of the member they rename or
 * at the end. meta: obj is the object's metadata.
 */
static void
cv_put_object(struct convert_obj *o, struct buf *out, int obj, int depth,
    cv_mask mask, int meta)
{
	cv_mask matched = 0, done = 0, sub;
	size_t off, n, koff, kn;
	int k, x, i, first = 1;
	int last[CONVERT_MAX_EDITS];	/* the last key each edit matches here */

	/* One pass finds, per edit, the member Go keeps (the last duplicate). */
	for (k = json_first(o->d, obj); k != JSON_NONE; k = json_next(o->d, k)) {
		sub = cv_match_key(o, mask, depth, k);
		matched |= sub;
		for (i = 0; sub != 0; i++, sub >>= 1)
			if (sub & 1)
				last[i] = k;
	}
	buf_putc(out, '{');
	for (k = json_first(o->d, obj); k != JSON_NONE; k = json_next(o->d, k)) {
		cv_put_fresh(o, out, depth, mask & ~matched, &done, k, &first);
		json_span(o->d, k, &koff, &kn);
		json_span(o->d, k + 1, &off, &n);
		if ((sub = cv_match_key(o, mask, depth, k)) == 0) {
			cv_sep(out, &first);
			buf_put(out, o->d->s + koff, off + n - koff);
			continue;
		}
		x = cv_exact(o, sub, depth);
		if ((x >= 0 && o->e[x].del) || cv_skip_member(o, last, k, depth, sub, meta))
			continue;
		cv_sep(out, &first);
		buf_put(out, o->d->s + koff, kn);
		buf_putc(out, ':');
		if (x >= 0)
			cv_put_set(o, out, x, depth + 1, sub & ~CV_BIT(x));
		else
			cv_put_inside(o, out, k + 1, depth + 1, sub,
			    depth == 0 && json_str_eq(o->d, k, "metadata"));
	}
	cv_put_fresh(o, out, depth, mask & ~matched, &done, JSON_NONE, &first);
	buf_putc(out, '}');
}

/* Writes the converted object: the root under every live edit. */
static void
cv_put(struct convert_obj *o, struct buf *out)
{
	cv_mask all = 0;
	int i;

	for (i = 0; i < o->ne; i++)
		if (!o->e[i].dead)
			all |= CV_BIT(i);
	cv_put_object(o, out, o->obj, 0, all, 0);
}

/* ---- the review ---- */

/* Writes {"error":why} (a fixed string, never request data); returns status. */
static int
cv_error(struct buf *out, struct verdict *info, int status, const char *why)
{
	return verdict_fail(out, info, status, why);
}

/* The entry of kinds for group and kind token k, or NULL. */
static const struct convert_kind *
cv_find_kind(struct cv_review *r, const char *group, int k)
{
	int i;

	for (i = 0; i < r->nkinds; i++)
		if (strcmp(r->kinds[i]->group, group) == 0 &&
		    json_str_eq(r->d, k, r->kinds[i]->kind))
			return r->kinds[i];
	return NULL;
}

/* The entry of k for version name, or NULL. */
static const struct convert_version *
cv_find_version(const struct convert_kind *k, const char *name)
{
	size_t i;

	for (i = 0; i < k->nversions; i++)
		if (strcmp(k->versions[i].name, name) == 0)
			return &k->versions[i];
	return NULL;
}

/*
 * Splits the apiVersion in buf at its '/' into group and version (a core
 * "v1" has group "").
 */
static void
cv_gv(char *buf, const char **group, const char **version)
{
	char *slash = strchr(buf, '/');

	*group = slash != NULL ? buf : "";
	*version = slash != NULL ? slash + 1 : buf;
	if (slash != NULL)
		*slash = '\0';
}

/*
 * Formats the Failure message for object i: its index, kind and name (so
 * an operator can find it) and why. Names are copied unescaped and
 * escaped again when written.
 */
static void
cv_object_failed(struct cv_review *r, int i, int obj, const char *why)
{
	char kind[VERDICT_KIND];
	int meta = json_get(r->d, obj, "metadata");

	(void)json_str_copy(r->d, json_get(r->d, obj, "kind"), kind, sizeof(kind));
	(void)json_str_copy(r->d, json_get(r->d, meta, "name"), r->info->name,
	    sizeof(r->info->name));
	snprintf(r->msg, sizeof(r->msg), "converting object %d (kind \"%.63s\", name \"%.253s\") "
	    "to %.96s: %.255s", i, kind, r->info->name, r->dav, why);
}

/* Checks what every object needs; returns NULL or why it is malformed. */
static const char *
cv_malformed(struct json *d, int obj)
{
	int meta;

	if (json_type(d, obj) != JSON_OBJECT)
		return "not a JSON object";
	if (json_type(d, json_get(d, obj, "apiVersion")) != JSON_STRING ||
	    json_str_empty(d, json_get(d, obj, "apiVersion")))
		return "apiVersion missing or not a string";
	if (json_type(d, json_get(d, obj, "kind")) != JSON_STRING ||
	    json_str_empty(d, json_get(d, obj, "kind")))
		return "kind missing or not a string";
	meta = json_get(d, obj, "metadata");
	if (meta != JSON_NONE && json_type(d, meta) != JSON_OBJECT)
		return "metadata is not an object";
	return NULL;
}

/*
 * Finds the versions an object converts between. Returns NULL with
 * *src and *dst set, or why (formatted into buf) the object cannot be
 * converted.
 */
static const char *
cv_route(struct cv_review *r, int obj, const struct convert_kind **kind,
    const struct convert_version **src, const struct convert_version **dst,
    char *buf, size_t cap)
{
	char av[CONVERT_NAME_MAX], dav[CONVERT_NAME_MAX];
	const char *group, *version, *dgroup, *dversion;

	if (json_str_copy(r->d, json_get(r->d, obj, "apiVersion"), av, sizeof(av)) <= 0)
		return "apiVersion is unreadable or longer than CONVERT_NAME_MAX";
	memcpy(dav, r->dav, sizeof(dav));
	cv_gv(av, &group, &version);
	cv_gv(dav, &dgroup, &dversion);
	if ((*kind = cv_find_kind(r, group, json_get(r->d, obj, "kind"))) == NULL) {
		snprintf(buf, cap, "no conversion for this kind in group \"%.200s\"", group);
		return buf;
	}
	if (cv_find_version(*kind, (*kind)->hub) == NULL)
		return "the conversion table's hub version is not among its versions";
	if (strcmp(dgroup, group) != 0)
		return "desiredAPIVersion is in another group";
	*src = cv_find_version(*kind, version);
	*dst = cv_find_version(*kind, dversion);
	if (*src == NULL || *dst == NULL) {
		snprintf(buf, cap, "unknown version \"%.160s\" (not in this kind's "
		    "conversion table)", *src == NULL ? version : dversion);
		return buf;
	}
	return NULL;
}

/*
 * Plans and writes one object that is not yet in the desired version.
 * Returns NULL or why it failed (an object never half-written counts:
 * the caller throws the whole answer away on failure).
 */
static const char *
cv_convert(struct cv_review *r, struct buf *out, int obj, char *buf, size_t cap)
{
	struct convert_obj o;
	const struct convert_kind *kind;
	const struct convert_version *src, *dst, *hub;
	struct cv_path ap;
	struct cv_val v = { CV_TOK, JSON_NONE, NULL, 0, 0, JSON_NONE };
	const char *why;

	if ((why = cv_route(r, obj, &kind, &src, &dst, buf, cap)) != NULL)
		return why;
	hub = cv_find_version(kind, kind->hub);
	o.d = r->d;
	o.obj = obj;
	o.ne = 0;
	o.why = NULL;
	o.nscratch = 0;
	o.internal = 1;
	(void)cv_split(&ap, "apiVersion", NULL);
	v.tok = r->desired;
	cv_set(&o, &ap, v, JSON_NONE);
	o.internal = 0;
	if (src != hub)
		cv_to_hub(&o, src);
	if (dst != hub && o.why == NULL)
		cv_from_hub(&o, dst);
	if (o.why == NULL)
		cv_put(&o, out);
	return o.why;
}

/*
 * Writes object i converted, or as received when it is already in the
 * desired version (CONTRACT rule 29). Returns NULL or why it failed.
 */
static const char *
cv_object(struct cv_review *r, struct buf *out, int i, int obj)
{
	char av[CONVERT_NAME_MAX], buf[CONVERT_MSG_MAX / 2];
	const char *why;
	size_t off, n;
	int bad = r->d->bad;

	/* A key or name we could not unescape makes this object unreadable. */
	r->d->bad = 0;
	if ((why = cv_malformed(r->d, obj)) == NULL &&
	    json_str_copy(r->d, json_get(r->d, obj, "apiVersion"), av, sizeof(av)) > 0 &&
	    strcmp(av, r->dav) == 0) {
		json_span(r->d, obj, &off, &n);
		buf_put(out, r->d->s + off, n);
	} else if (why == NULL)
		why = cv_convert(r, out, obj, buf, sizeof(buf));
	if (why == NULL && r->d->bad)
		why = "a string with an invalid escape";
	r->d->bad |= bad;
	if (why != NULL)
		cv_object_failed(r, i, obj, why);
	return why;
}

/*
 * Writes "convertedObjects":[...]. Returns NULL, or why the review fails
 * (r->msg holds the message); stops early when out overflowed.
 */
static const char *
cv_objects(struct cv_review *r, struct buf *out, int req)
{
	int objs = json_get(r->d, req, "objects"), v, i = 0;
	int dv = json_get(r->d, req, "desiredAPIVersion");

	if (json_str_copy(r->d, dv, r->dav, sizeof(r->dav)) <= 0) {
		snprintf(r->msg, sizeof(r->msg), "request.desiredAPIVersion is "
		    "missing, unreadable or longer than CONVERT_NAME_MAX");
		return r->msg;
	}
	if (json_type(r->d, objs) != JSON_ARRAY) {
		snprintf(r->msg, sizeof(r->msg), "request.objects is not an array");
		return r->msg;
	}
	r->desired = dv;
	buf_puts(out, ",\"convertedObjects\":[");
	for (v = json_first(r->d, objs); v != JSON_NONE && !out->overflow;
	    v = json_next(r->d, v), i++) {
		if (i > 0)
			buf_putc(out, ',');
		if (cv_object(r, out, i, v) != NULL)
			return r->msg;
	}
	buf_putc(out, ']');
	return NULL;
}

/* Writes the result and closes the response: Success, or Failure alone. */
static void
cv_result(struct cv_review *r, struct buf *out, size_t mark, const char *why)
{
	size_t n;

	r->info->allowed = why == NULL;
	if (why == NULL) {
		buf_puts(out, ",\"result\":{\"status\":\"Success\"}}}");
		return;
	}
	/* Never a partial answer: what was converted before is dropped. */
	out->len = mark;
	out->overflow = 0;
	buf_puts(out, ",\"result\":{\"status\":\"Failure\",\"message\":");
	json_put_cstr(out, r->msg);
	buf_puts(out, "}}}");
	n = strlen(r->msg);
	if (n >= sizeof(r->info->error))
		n = sizeof(r->info->error) - 1;
	memcpy(r->info->error, r->msg, n);
	r->info->error[n] = '\0';
}

/* See convert.h. */
int
convert_review_with(struct json *d, struct buf *out, struct verdict *info,
    const struct convert_kind *const *kinds, int nkinds)
{
	struct cv_review r;
	size_t off, n, mark;
	int req, uid;

	memcpy(info->kind, convert_review_kind, sizeof(convert_review_kind));
	out->len = 0;
	out->overflow = 0;
	if (!json_str_eq(d, json_get(d, 0, "apiVersion"), convert_api) ||
	    !json_str_eq(d, json_get(d, 0, "kind"), convert_review_kind))
		return cv_error(out, info, 400, "expected apiextensions.k8s.io/v1 ConversionReview");
	if (json_type(d, req = json_get(d, 0, "request")) != JSON_OBJECT)
		return cv_error(out, info, 400, "missing request");
	uid = json_get(d, req, "uid");
	if (json_type(d, uid) != JSON_STRING || json_str_empty(d, uid))
		return cv_error(out, info, 400, "missing request.uid");
	if (json_str_copy(d, uid, info->uid, sizeof(info->uid)) == -1)
		return cv_error(out, info, 400, "invalid string escape");
	memset(&r, 0, sizeof(r));
	r.d = d;
	r.kinds = kinds;
	r.nkinds = nkinds;
	r.info = info;
	json_span(d, uid, &off, &n);
	buf_puts(out, "{\"apiVersion\":\"apiextensions.k8s.io/v1\","
	    "\"kind\":\"ConversionReview\",\"response\":{\"uid\":");
	buf_put(out, d->s + off, n);
	mark = out->len;
	cv_result(&r, out, mark, cv_objects(&r, out, req));
	if (out->overflow)
		return cv_error(out, info, 500, "response larger than its buffer");
	return 200;
}

/* See convert.h: with the compiled policy's tables. */
int
convert_review(struct json *d, struct buf *out, struct verdict *info)
{
	if (&policy_nconversions == NULL || policy_conversions == NULL)
		return convert_review_with(d, out, info, NULL, 0);
	return convert_review_with(d, out, info, policy_conversions,
	    policy_nconversions);
}
