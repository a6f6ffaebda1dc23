/*
 * convert_write.c: writes one converted object under its edit list
 * (convert_edit.c) in a single pass over the request's tokens. Members no
 * edit reaches are copied as raw spans, so untouched values leave byte for
 * byte as they came; nothing is re-encoded and no document is built.
 *
 * Edits are selected by bit masks (cv_mask: edit i is bit i): a mask holds
 * the live edits whose path runs through the object being written.
 */
#include "convert_edit.h"
#include "convert_int.h"


static void	cw_put_object(struct convert_obj *o, struct buf *out, int obj,
		    int depth, cv_mask mask, int meta);
static void	cw_put_fresh(struct convert_obj *o, struct buf *out, int depth,
		    cv_mask fresh, cv_mask *done, int at, int *first);

/* Writes the comma before every member but the first. */
static void
cw_sep(struct buf *out, int *first)
{
	if (!*first)
		buf_putc(out, ',');
	*first = 0;
}

/*
 * Edits of mask whose path continues at depth with member key k. The key's
 * raw bytes are looked at once: without escapes each edit is a length
 * check and a memcmp (cv_str_eq() for a key with escapes).
 */
static cv_mask
cw_match_key(struct convert_obj *o, cv_mask mask, int depth, int k)
{
	const struct cv_seg *g;
	const char *raw;
	cv_mask r = 0;
	size_t rn;
	int i, esc;

	if (mask == 0 || (raw = json_raw(o->d, k, &rn)) == NULL)
		return 0;
	esc = memchr(raw, '\\', rn) != NULL;
	for (i = 0; i < o->ne; i++) {
		if (!(mask & CV_BIT(i)))
			continue;
		g = &o->e[i].path.seg[depth];
		if (esc ? json_str_eqn(o->d, k, g->s, g->n) :
		    (rn == g->n && memcmp(raw, g->s, rn) == 0))
			r |= CV_BIT(i);
	}
	return r;
}

/* Edits of mask whose path continues at depth like edit j's. */
static cv_mask
cw_match_seg(struct convert_obj *o, cv_mask mask, int depth, int j)
{
	cv_mask r = 0;
	int i;

	for (i = 0; i < o->ne; i++)
		if ((mask & CV_BIT(i)) &&
		    ce_seg_eq(&o->e[i].path.seg[depth], &o->e[j].path.seg[depth]))
			r |= CV_BIT(i);
	return r;
}

/* The edit of mask that ends at depth (there is at most one alive), or -1. */
static int
cw_exact(struct convert_obj *o, cv_mask mask, int depth)
{
	int i;

	for (i = 0; i < o->ne; i++)
		if ((mask & CV_BIT(i)) && o->e[i].path.n == depth + 1)
			return i;
	return -1;
}

/* True when mask sets something (deletions alone create nothing). */
static int
cw_has_set(struct convert_obj *o, cv_mask mask)
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
cw_put_annot(struct convert_obj *o, struct buf *out, int tok)
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
	if (n < 0 || !json_valid_value(out->p + out->len, (size_t)n,
	    CONVERT_JSON_DEPTH)) {
		ce_fail(o, "a preserved-field annotation does not hold JSON");
		return;
	}
	out->len += (size_t)n;
}

/* Writes value v (as a JSON string of its text when v->as_string). */
static void
cw_put_val(struct convert_obj *o, struct buf *out, const struct cv_val *v)
{
	size_t off = 0, n = 0;

	if (v->type == CV_TOK || v->type == CV_ANNOT)
		json_span(o->d, v->tok, &off, &n);
	if (v->type == CV_ANNOT && !v->as_string)
		cw_put_annot(o, out, v->tok);
	else if (v->type == CV_ANNOT || (v->type == CV_TOK && !v->as_string))
		buf_put(out, o->d->s + off, n);
	else if (v->type == CV_TOK)
		json_put_str(out, o->d->s + off, n);
	else if (v->as_string)
		json_put_str(out, v->s, v->n);
	else if (json_valid_value(v->s, v->n, CONVERT_JSON_DEPTH))
		buf_put(out, v->s, v->n);
	else
		ce_fail(o, "a conversion default is not valid JSON");
}

/* Writes edit x's value; below are the edits inside it (an object). */
static void
cw_put_set(struct convert_obj *o, struct buf *out, int x, int depth,
    cv_mask below)
{
	if (below != 0)
		cw_put_object(o, out, o->e[x].v.tok, depth, below, 0);
	else
		cw_put_val(o, out, &o->e[x].v);
}

/* Writes an object that only edits create (a missing parent of a set). */
static void
cw_put_new(struct convert_obj *o, struct buf *out, int depth, cv_mask mask)
{
	cv_mask done = 0;
	int first = 1;

	buf_putc(out, '{');
	cw_put_fresh(o, out, depth, mask, &done, JSON_NONE, &first);
	buf_putc(out, '}');
}

/*
 * Writes the members that edits of fresh create at this depth (no member
 * of the object has their name), one per name, in edit order. With at set,
 * only the member that takes the place of key token at (a rename).
 */
static void
cw_put_fresh(struct convert_obj *o, struct buf *out, int depth, cv_mask fresh,
    cv_mask *done, int at, int *first)
{
	cv_mask group;
	int i, x;

	if ((fresh & ~*done) == 0)
		return;
	for (i = 0; i < o->ne; i++) {
		if (!(fresh & CV_BIT(i)) || (*done & CV_BIT(i)))
			continue;
		if (at != JSON_NONE && (o->e[i].at != at || o->e[i].path.n != depth + 1))
			continue;
		group = cw_match_seg(o, fresh, depth, i) & ~*done;
		*done |= group;
		if (!cw_has_set(o, group))
			continue;
		cw_sep(out, first);
		json_put_str(out, o->e[i].path.seg[depth].s, o->e[i].path.seg[depth].n);
		buf_putc(out, ':');
		if ((x = cw_exact(o, group, depth)) >= 0 && !o->e[x].del)
			cw_put_set(o, out, x, depth + 1, group & ~CV_BIT(x));
		else
			cw_put_new(o, out, depth + 1, group & ~(x >= 0 ? CV_BIT(x) : 0));
	}
}

/*
 * The number of members object v keeps under the edits of sub (leaf
 * edits: labels and annotations), to drop a map the edits empty.
 */
static int
cw_count(struct convert_obj *o, int v, int depth, cv_mask sub)
{
	cv_mask matched = 0, s;
	int k, x, count = 0;

	if (json_type(o->d, v) != JSON_OBJECT)
		return 1;
	for (k = json_first(o->d, v); k != JSON_NONE; k = json_next(o->d, k)) {
		s = cw_match_key(o, sub, depth, k);
		matched |= s;
		x = cw_exact(o, s, depth);
		count += x < 0 || !o->e[x].del;
	}
	return count + cw_has_set(o, sub & ~matched);
}

/*
 * Writes the value of a member that edits reach inside: an object is
 * walked, null becomes the object the edits create, anything else cannot
 * hold members.
 */
static void
cw_put_inside(struct convert_obj *o, struct buf *out, int v, int depth,
    cv_mask sub, int meta)
{
	size_t off, n;

	if (json_type(o->d, v) == JSON_OBJECT) {
		cw_put_object(o, out, v, depth, sub, meta);
	} else if (json_type(o->d, v) == JSON_NULL && cw_has_set(o, sub)) {
		cw_put_new(o, out, depth, sub);
	} else if (json_type(o->d, v) == JSON_NULL) {
		json_span(o->d, v, &off, &n);
		buf_put(out, o->d->s + off, n);
	} else {
		ce_fail(o, "a conversion rule's path goes through a non-object value");
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
cw_skip_member(struct convert_obj *o, const int *last, int k, int depth,
    cv_mask sub, int meta)
{
	int i = 0;

	while (!(sub & CV_BIT(i)))
		i++;
	if (last[i] != k)
		return 1;
	if (!meta || (!cv_str_eq(o->d, k, "annotations", 11) &&
	    !cv_str_eq(o->d, k, "labels", 6)))
		return 0;
	return cw_exact(o, sub, depth) < 0 && cw_count(o, k + 1, depth + 1, sub) == 0;
}

/*
 * Writes object obj at depth under the edits of mask (those whose path
 * runs through it): untouched members as raw spans, edited ones replaced,
 * deleted ones left out, new ones in place of the member they rename or
 * at the end. meta: obj is the object's metadata.
 */
static void
cw_put_object(struct convert_obj *o, struct buf *out, int obj, int depth,
    cv_mask mask, int meta)
{
	cv_mask matched = 0, done = 0, sub;
	size_t off, n, koff, kn;
	int k, x, i, j, nk = 0, first = 1;
	int last[CONVERT_MAX_EDITS];	/* the last key each edit matches here */
	int keys[CONVERT_KEYS];		/* remembered for the second pass */
	cv_mask subs[CONVERT_KEYS];	/* the edits each of them matches */

	/* One pass finds, per edit, the member Go keeps (the last duplicate). */
	for (j = 0, k = json_first(o->d, obj); k != JSON_NONE;
	    k = cv_next_key(o, obj, k, ++j)) {
		sub = cw_match_key(o, mask, depth, k);
		if (nk < CONVERT_KEYS) {
			keys[nk] = k;
			subs[nk++] = sub;
		}
		matched |= sub;
		for (i = 0; sub != 0; i++, sub >>= 1)
			if (sub & 1)
				last[i] = k;
	}
	buf_putc(out, '{');
	for (j = 0, k = json_first(o->d, obj); k != JSON_NONE;
	    k = ++j < nk ? keys[j] : nk < CONVERT_KEYS ? JSON_NONE : json_next(o->d, k)) {
		cw_put_fresh(o, out, depth, mask & ~matched, &done, k, &first);
		json_span(o->d, k, &koff, &kn);
		json_span(o->d, k + 1, &off, &n);
		sub = j < nk ? subs[j] : cw_match_key(o, mask, depth, k);
		if (sub == 0) {
			cw_sep(out, &first);
			buf_put(out, o->d->s + koff, off + n - koff);
			continue;
		}
		x = cw_exact(o, sub, depth);
		if ((x >= 0 && o->e[x].del) || cw_skip_member(o, last, k, depth, sub, meta))
			continue;
		cw_sep(out, &first);
		buf_put(out, o->d->s + koff, kn);
		buf_putc(out, ':');
		if (x >= 0)
			cw_put_set(o, out, x, depth + 1, sub & ~CV_BIT(x));
		else
			cw_put_inside(o, out, k + 1, depth + 1, sub,
			    depth == 0 && cv_str_eq(o->d, k, "metadata", 8));
	}
	cw_put_fresh(o, out, depth, mask & ~matched, &done, JSON_NONE, &first);
	buf_putc(out, '}');
}

/* Writes the converted object: the root under every live edit. */
void
cw_put(struct convert_obj *o, struct buf *out)
{
	cv_mask all = 0;
	int i;

	for (i = 0; i < o->ne; i++)
		if (!o->e[i].dead)
			all |= CV_BIT(i);
	cw_put_object(o, out, o->obj, 0, all, 0);
}
