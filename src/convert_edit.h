/*
 * convert_edit.h: what a custom conversion function (convert_fn, named in
 * a CONVERT_SPOKE_FN table line) may call on the object it converts. Each
 * call records edits exactly as a table rule does (convert_edit.c); the
 * object is written once they are all known. Included by convert.h, so a
 * policy file needs only that.
 */
#ifndef TINYHOOK_CONVERT_EDIT_H
#define TINYHOOK_CONVERT_EDIT_H

#include <stddef.h>
#include "json.h"

/* Nesting of a value a custom function sets or an annotation restores (json_valid_value). */
#define CONVERT_JSON_DEPTH	64

/*
 * One object being converted, for custom conversion functions. Opaque: use
 * the functions below, which record edits exactly as table rules do.
 */
struct convert_obj;

/*
 * A conversion step a table cannot say. Runs after the table's fields when
 * converting to the hub, before them when converting from the hub. Returns
 * NULL, or a short static reason that fails the whole review.
 */
typedef const char *convert_fn(struct convert_obj *o);

/*
 * For custom functions. Paths and keys must outlive the call (string
 * literals): edits keep pointers to them until the object is written.
 * convert_get() returns the token (in convert_doc()) of the value at path as
 * the conversion sees it so far, or JSON_NONE when absent or not a value of
 * the request (a default or a restored annotation).
 */
struct json	*convert_doc(struct convert_obj *o);
int	convert_get(struct convert_obj *o, const char *path);
void	convert_delete(struct convert_obj *o, const char *path);
void	convert_move(struct convert_obj *o, const char *from, const char *to);
void	convert_set_tok(struct convert_obj *o, const char *path, int tok);
void	convert_set_json(struct convert_obj *o, const char *path,
	    const char *json, size_t n);
void	convert_preserve(struct convert_obj *o, const char *path,
	    const char *annotation);
void	convert_restore(struct convert_obj *o, const char *annotation,
	    const char *path, const char *def);

#endif
