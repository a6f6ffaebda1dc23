/*
 * convert_edit.c: the edit list of one object being converted, and the
 * functions custom conversions call (convert.h). Nothing is written here:
 * convert_write.c writes the object once all edits are known.
 *
 * An edit is keyed by output path, each "delete" or "set to a value". A
 * value is a token of the request (copied as raw bytes), JSON text (a
 * default), or an annotation holding JSON text (a preserved field).
 *
 * Edits are ordered: a new edit at path P replaces every older edit at or
 * below P, so at any path the deepest edit on the way is the newest, and
 * reading a path "as converted so far" (for the second step) needs no
 * intermediate document.
 */
#include <string.h>

#include "convert_edit.h"
#include "convert_int.h"

/*
 * Splits a '.'-separated path, plus an optional last member taken whole
 * (an annotation key holds dots and slashes), into p. Returns 0, or -1 for
 * an empty member or a path deeper than CONVERT_MAX_SEGS.
 */
int
ce_split(struct cv_path *p, const char *dotted, const char *leaf)
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
int
ce_path(struct convert_obj *o, struct cv_path *p, const char *dotted,
    const char *leaf)
{
	if (dotted == NULL || ce_split(p, dotted, leaf) < 0) {
		ce_fail(o, "a conversion rule has an empty or too deep path");
		return -1;
	}
	return 0;
}

/* True when path member a is the name s. */
static int
ce_seg_is(const struct cv_seg *a, const char *s)
{
	return a->n == strlen(s) && memcmp(a->s, s, a->n) == 0;
}

/* True when a equals b or is an ancestor of it. */
static int
ce_prefix(const struct cv_path *a, const struct cv_path *b)
{
	int i;

	if (a->n > b->n)
		return 0;
	for (i = 0; i < a->n; i++)
		if (!ce_seg_eq(&a->seg[i], &b->seg[i]))
			return 0;
	return 1;
}

/* True when a and b are members of the same object. */
static int
ce_siblings(const struct cv_path *a, const struct cv_path *b)
{
	int i;

	if (a->n != b->n)
		return 0;
	for (i = 0; i + 1 < a->n; i++)
		if (!ce_seg_eq(&a->seg[i], &b->seg[i]))
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
ce_writable(const struct cv_path *p)
{
	if (ce_seg_is(&p->seg[0], "apiVersion") || ce_seg_is(&p->seg[0], "kind"))
		return 0;
	if (!ce_seg_is(&p->seg[0], "metadata"))
		return 1;
	return p->n == 3 && (ce_seg_is(&p->seg[1], "labels") ||
	    ce_seg_is(&p->seg[1], "annotations"));
}

/*
 * Records a new edit at p and returns it (its value still to fill), or
 * NULL with the object failed. Older edits at or below p die. An edit
 * below another must sit inside an object that edit copies from the
 * request; below a deletion or a default there is nothing to edit.
 */
static struct cv_edit *
ce_add(struct convert_obj *o, const struct cv_path *p)
{
	struct cv_edit *e;
	int i;

	if (o->why != NULL)
		return NULL;
	if (!o->internal && !ce_writable(p)) {
		ce_fail(o, "a conversion rule may change only spec, status, "
		    "labels and annotations");
		return NULL;
	}
	for (i = 0; i < o->ne; i++) {
		e = &o->e[i];
		if (e->dead)
			continue;
		if (ce_prefix(p, &e->path))
			e->dead = 1;
		else if (ce_prefix(&e->path, p) && (e->del || e->v.type != CV_TOK ||
		    e->v.as_string || json_type(o->d, e->v.tok) != JSON_OBJECT)) {
			ce_fail(o, "conversion rules overlap: a path below a "
			    "removed or non-object value");
			return NULL;
		}
	}
	if (o->ne >= CONVERT_MAX_EDITS) {
		ce_fail(o, "more edits than CONVERT_MAX_EDITS");
		return NULL;
	}
	e = &o->e[o->ne++];
	memset(e, 0, sizeof(*e));
	e->path = *p;
	e->at = JSON_NONE;
	return e;
}

/*
 * json_getn() of member s of obj (the last duplicate, as Go), through the
 * top-level index when obj is the converted object: the same answer without
 * walking its tokens again.
 */
static int
ce_member(struct convert_obj *o, int obj, const struct cv_seg *s)
{
	int j, found = JSON_NONE;

	if (obj != o->obj || o->nkeys < 0)
		return json_getn(o->d, obj, s->s, s->n);
	for (j = 0; j < o->nkeys; j++)
		if (cv_str_eq(o->d, o->keys[j], s->s, s->n))
			found = o->keys[j] + 1;
	return found;
}

/*
 * The value at p as converted so far: the newest edit on the way down
 * decides, else the request. A value with newer edits below it cannot be
 * read as one piece (it would be copied without them): that is a rule
 * overlap and fails the object.
 */
static struct cv_val
ce_lookup(struct convert_obj *o, const struct cv_path *p)
{
	struct cv_val v = { CV_ABSENT, JSON_NONE, NULL, 0, 0, JSON_NONE };
	const struct cv_edit *best = NULL, *e;
	int i, from = 0, t = o->obj;

	for (i = 0; i < o->ne; i++) {
		e = &o->e[i];
		if (e->dead)
			continue;
		if (e->path.n > p->n && ce_prefix(p, &e->path)) {
			ce_fail(o, "conversion rules overlap: a value read after "
			    "an edit inside it");
			return v;
		}
		if (ce_prefix(&e->path, p) && (best == NULL || e->path.n > best->path.n))
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
		t = ce_member(o, t, &p->seg[i]);
	if (t != JSON_NONE) {
		v.type = CV_TOK;
		v.tok = t;
		v.key = t - 1;	/* jsmn: a member's key token precedes its value */
	}
	return v;
}

/* Records "set p to v"; at: the key token whose place it takes, or JSON_NONE. */
void
ce_set(struct convert_obj *o, const struct cv_path *p, struct cv_val v,
    int at)
{
	struct cv_edit *e = ce_add(o, p);

	if (e == NULL)
		return;
	v.key = JSON_NONE;
	e->v = v;
	e->at = at;
}

/* Records "delete the member at p". */
static void
ce_del(struct convert_obj *o, const struct cv_path *p)
{
	struct cv_edit *e = ce_add(o, p);

	if (e != NULL)
		e->del = 1;
}

/*
 * Moves the value at from to to. A rename within one object takes the old
 * member's place, so a round trip gives back the same bytes in the same
 * order. Nothing at from: nothing happens.
 */
void
ce_move(struct convert_obj *o, const struct cv_path *from,
    const struct cv_path *to)
{
	struct cv_val v = ce_lookup(o, from);
	int at;

	if (v.type == CV_ABSENT || o->why != NULL)
		return;
	at = ce_siblings(from, to) ? v.key : JSON_NONE;
	ce_del(o, from);
	ce_set(o, to, v, at);
}

/* Sets JSON text def at p unless p already has a value. */
void
ce_default(struct convert_obj *o, const struct cv_path *p, const char *def)
{
	struct cv_val v = { CV_TEXT, JSON_NONE, def, 0, 0, JSON_NONE };

	if (def == NULL || ce_lookup(o, p).type != CV_ABSENT || o->why != NULL)
		return;
	v.n = strlen(def);
	ce_set(o, p, v, JSON_NONE);
}

/*
 * Moves the value at p into annotation key as its JSON text (the target
 * version has no such field; the annotation makes the round trip
 * lossless). key NULL: the value is dropped.
 */
void
ce_preserve(struct convert_obj *o, const struct cv_path *p, const char *key)
{
	struct cv_path ap;
	struct cv_val v = ce_lookup(o, p);

	if (v.type == CV_ABSENT || o->why != NULL)
		return;
	ce_del(o, p);
	if (key == NULL || ce_path(o, &ap, "metadata.annotations", key) < 0)
		return;
	v.as_string = 1;
	ce_set(o, &ap, v, JSON_NONE);
}

/*
 * The inverse of ce_preserve(): the JSON text in annotation key becomes
 * the value at p and the annotation goes; without the annotation, def.
 */
void
ce_restore(struct convert_obj *o, const char *key, const struct cv_path *p,
    const char *def)
{
	struct cv_path ap;
	struct cv_val v;

	if (key == NULL || ce_path(o, &ap, "metadata.annotations", key) < 0) {
		ce_default(o, p, def);
		return;
	}
	v = ce_lookup(o, &ap);
	if (v.type == CV_ABSENT) {
		ce_default(o, p, def);
		return;
	}
	if (v.as_string)
		v.as_string = 0;
	else if (v.type == CV_TOK && json_type(o->d, v.tok) == JSON_STRING)
		v.type = CV_ANNOT;
	else {
		ce_fail(o, "a preserved-field annotation is not a string");
		return;
	}
	ce_del(o, &ap);
	ce_set(o, p, v, JSON_NONE);
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

	if (ce_path(o, &p, path, NULL) < 0)
		return JSON_NONE;
	v = ce_lookup(o, &p);
	return v.type == CV_TOK && !v.as_string ? v.tok : JSON_NONE;
}

/* Deletes the member at path (nothing when absent). */
void
convert_delete(struct convert_obj *o, const char *path)
{
	struct cv_path p;

	if (ce_path(o, &p, path, NULL) == 0 && ce_lookup(o, &p).type != CV_ABSENT)
		ce_del(o, &p);
}

/* Moves the value at from to to, as a CONVERT_RENAME rule does. */
void
convert_move(struct convert_obj *o, const char *from, const char *to)
{
	struct cv_path f, t;

	if (ce_path(o, &f, from, NULL) == 0 && ce_path(o, &t, to, NULL) == 0)
		ce_move(o, &f, &t);
}

/* Sets path to a copy of token tok of convert_doc() (raw bytes). */
void
convert_set_tok(struct convert_obj *o, const char *path, int tok)
{
	struct cv_path p;
	struct cv_val v = { CV_TOK, JSON_NONE, NULL, 0, 0, JSON_NONE };

	if (json_type(o->d, tok) == JSON_ABSENT) {
		ce_fail(o, "convert_set_tok: no such token");
		return;
	}
	v.tok = tok;
	if (ce_path(o, &p, path, NULL) == 0)
		ce_set(o, &p, v, JSON_NONE);
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
		ce_fail(o, "custom conversion values exceed CONVERT_SCRATCH");
		return;
	}
	if (!json_valid_value(json, n, CONVERT_JSON_DEPTH)) {
		ce_fail(o, "a custom conversion set a value that is not JSON");
		return;
	}
	memcpy(o->scratch + o->nscratch, json, n);
	v.s = o->scratch + o->nscratch;
	v.n = n;
	o->nscratch += n;
	if (ce_path(o, &p, path, NULL) == 0)
		ce_set(o, &p, v, JSON_NONE);
}

/* Moves the value at path into annotation (see ce_preserve()). */
void
convert_preserve(struct convert_obj *o, const char *path, const char *annotation)
{
	struct cv_path p;

	if (ce_path(o, &p, path, NULL) == 0)
		ce_preserve(o, &p, annotation);
}

/* Restores path from annotation, else def (see ce_restore()). */
void
convert_restore(struct convert_obj *o, const char *annotation, const char *path,
    const char *def)
{
	struct cv_path p;

	if (ce_path(o, &p, path, NULL) == 0)
		ce_restore(o, annotation, &p, def);
}
