/*
 * convert_int.h: what the three files of the conversion engine share, and
 * nothing outside them includes (the public interface is convert.h, and
 * convert_edit.h for custom functions). It includes none of them: it is the
 * module's ground floor, the record every layer above reads.
 *
 *	convert.c	ConversionReview decode and encode, finding the versions,
 *			applying the table rules: drives one object at a time
 *	convert_edit.c	paths and the edit list of one object (ce_*), and the
 *			functions custom conversions call (convert_*)
 *	convert_write.c	writing an object under its edits (cw_*)
 *
 * The records below (cv_*) are one object being converted. Functions here
 * fail the object through ce_fail() instead of returning errors: the first
 * reason is kept in o->why, and a failed object takes no more edits
 * (ce_add() refuses them), so a run of rules needs no check after each one.
 */
#ifndef TINYHOOK_CONVERT_INT_H
#define TINYHOOK_CONVERT_INT_H

#include <stdint.h>
#include <string.h>

#include "buf.h"
#include "json.h"

/* Limits of one object: above them its conversion is a Failure, never a crash. */
#define CONVERT_MAX_EDITS	64	/* edits of one object (a uint64_t mask) */
#define CONVERT_MAX_SEGS	8	/* members in one path */
#define CONVERT_SCRATCH		2048	/* JSON text set by custom functions, per object */
/*
 * Member keys of one object remembered instead of walked again: the
 * converted object's top level (indexed once, by convert.c), and any object
 * the writer copies, between its two passes. A CronTab has 4 at the top and
 * about a dozen in its metadata; past this many the tokens are walked again
 * (json_next() costs a binary search when a member holds a container).
 */
#define CONVERT_KEYS		32

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
	const int	*keys;		/* its member keys in order, when nkeys >= 0 */
	int		 nkeys;		/* -1: more than CONVERT_KEYS, walk the tokens */
	struct cv_edit	 e[CONVERT_MAX_EDITS];
	int		 ne;
	int		 internal;	/* the engine's own apiVersion edit */
	const char	*why;		/* first error; the object fails */
	size_t		 nscratch;
	char		 scratch[CONVERT_SCRATCH];
};

/* Records why the object fails; the first reason is the one reported. */
static inline void
ce_fail(struct convert_obj *o, const char *why)
{
	if (o->why == NULL)
		o->why = why;
}

/* True when two path members are the same name. */
static inline int
ce_seg_eq(const struct cv_seg *a, const struct cv_seg *b)
{
	return a->n == b->n && memcmp(a->s, b->s, a->n) == 0;
}

/*
 * True when string token k (a member name, or a value known to be a
 * string) is s[0, n) once unescaped. Text without a backslash is its own
 * unescaping, so it is compared as raw bytes (the common case: a memcmp);
 * text with escapes goes through json_str_eqn(), which decodes it and marks
 * the document bad on an invalid escape, exactly as before this shortcut.
 */
static inline int
cv_str_eq(struct json *d, int k, const char *s, size_t n)
{
	size_t rn;
	const char *r = json_raw(d, k, &rn);

	if (r == NULL)
		return 0;
	if (memchr(r, '\\', rn) != NULL)
		return json_str_eqn(d, k, s, n);
	return rn == n && memcmp(r, s, n) == 0;
}

/*
 * The member key after key k, the j-th (from 0) of object obj: from the
 * top-level index when obj is the converted object and it is indexed,
 * else the next token sibling. JSON_NONE after the last.
 */
static inline int
cv_next_key(const struct convert_obj *o, int obj, int k, int j)
{
	if (obj == o->obj && o->nkeys >= 0)
		return j < o->nkeys ? o->keys[j] : JSON_NONE;
	return json_next(o->d, k);
}

/* convert_edit.c: paths and edits (contracts there). */
int	ce_split(struct cv_path *p, const char *dotted, const char *leaf);
int	ce_path(struct convert_obj *o, struct cv_path *p, const char *dotted,
	    const char *leaf);
void	ce_set(struct convert_obj *o, const struct cv_path *p, struct cv_val v,
	    int at);
void	ce_move(struct convert_obj *o, const struct cv_path *from,
	    const struct cv_path *to);
void	ce_default(struct convert_obj *o, const struct cv_path *p,
	    const char *def);
void	ce_preserve(struct convert_obj *o, const struct cv_path *p,
	    const char *key);
void	ce_restore(struct convert_obj *o, const char *key,
	    const struct cv_path *p, const char *def);

/* convert_write.c: writes the converted object into out. */
void	cw_put(struct convert_obj *o, struct buf *out);

#endif
