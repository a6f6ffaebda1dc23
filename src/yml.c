/*
 * yml.c: a YAML stream to JSON pieces with libyaml's event parser (see
 * yml.h). The JSON is written while the events arrive; only anchors are
 * kept (as the JSON text of their node) for the aliases that name them.
 *
 * go-yaml v2 (what kubectl reads manifests with) is the reference:
 *   - an anchor is known from the start of its node, so an alias inside its
 *     own node is "anchor 'x' value contains itself"; an unknown one is an
 *     error; a later anchor of the same name replaces the earlier one.
 *   - "<<" (plain, or tagged !!merge) merges a mapping, or a sequence of
 *     mappings, into the mapping holding it, at its place: later keys
 *     win, and of a sequence the earlier mappings win (go-yaml walks it
 *     backwards). Our JSON keeps duplicate keys in that order; json_get()
 *     reads the last one, as Go would.
 *   - a document that is empty (or null) is skipped, as kubectl skips it.
 * Built without libyaml (TINYHOOK_YAML undefined) only the stub remains.
 */
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "limit.h"
#include "ostr.h"
#include "yml.h"
#include "yml_scalar.h"

#ifndef TINYHOOK_YAML

const int yml_built_in = 0;

int
yml_read(yml_reader *read, void *ctx, const char *file, size_t max_json,
    struct inputs_sink *sink)
{
	(void)read;
	(void)ctx;
	(void)max_json;
	sink->error(sink->arg, file, 0, 0, "YAML input is not built into this binary "
	    "(built with make YAML=0): give JSON, e.g. kubectl get -o json");
	return -1;
}

#else

#include <yaml.h>

const int yml_built_in = 1;

enum yml_role {
	R_PLAIN,	/* written into its parent's text */
	R_MERGE,	/* the value of a << key: written aside, then merged */
	R_ITEMS,	/* the root's "items" sequence: its elements are pieces */
	R_ITEM		/* one element of R_ITEMS: written into the item buffer */
};

struct yml_frame {
	int		 map;		/* a mapping (else a sequence) */
	int		 n;		/* members or elements written */
	int		 want_key;	/* mapping: the next node is a key */
	int		 merge_next;	/* mapping: the next value is merged (<<) */
	int		 items_next;	/* root mapping: the next value is "items" */
	enum yml_role	 role;
	struct ostr	*out;		/* where this node's JSON goes */
	struct ostr	 aside;		/* R_MERGE: the node's own text */
	size_t		 start;		/* offset of this node's text in *out */
	int		 anchor;	/* index into anchors, or -1 */
	long		 line, col;
};

struct yml_anchor {
	size_t	 name, name_len;	/* in mem */
	size_t	 text, text_len;	/* the node's JSON, in mem */
	size_t	 key, key_len;		/* a scalar's key form, in mem */
	int	 open;			/* its node is still being read */
	int	 kind;			/* 's' scalar (key form valid), 'k' scalar without one, 'm', 'q' */
};

struct yml_conv {
	yaml_parser_t		 parser;
	yml_reader		*read;
	void			*in;
	const char		*file;
	struct inputs_sink	*sink;
	size_t			 max_json;
	struct yml_frame	 st[YML_MAX_DEPTH + 1];
	int			 sp;
	struct ostr		 doc, item, mem;
	struct yml_anchor	*anchors;
	int			 nanchors, capanchors;
	size_t			 aliased;	/* bytes copied by aliases in this document */
	int			 docno, nitems, streamed, empty;
	long			 doc_line, doc_col;
	int			 failed;
	int			 pieces;	/* handed to the sink */
};

/* Reports msg at mark; the conversion stops. Returns -1. */
static int
yml_fail(struct yml_conv *c, const yaml_mark_t *m, const char *msg)
{
	if (!c->failed)
		c->sink->error(c->sink->arg, c->file, m ? (long)m->line + 1 : 0,
		    m ? (long)m->column + 1 : 0, msg);
	c->failed = 1;
	return -1;
}

static int
yml_fail_size(struct yml_conv *c, const yaml_mark_t *m)
{
	char msg[200];

	snprintf(msg, sizeof(msg), "document %d expands to more than %zu bytes of JSON "
	    "(aliases?); --max-object-size raises the limit", c->docno, c->max_json);
	return yml_fail(c, m, msg);
}

static int
yml_read_handler(void *data, unsigned char *buf, size_t size, size_t *got)
{
	struct yml_conv *c = data;
	long n = c->read(c->in, (char *)buf, size);

	if (n < 0) {
		c->failed = 1;	/* the reader reported it */
		return 0;
	}
	*got = (size_t)n;
	return 1;
}

static struct yml_frame *
yml_top(struct yml_conv *c)
{
	return c->sp > 0 ? &c->st[c->sp - 1] : NULL;
}

/* The output of the node that starts now. */
static struct ostr *
yml_out(struct yml_conv *c)
{
	struct yml_frame *f = yml_top(c);

	return f != NULL ? f->out : &c->doc;
}

/* Writes the separator a new value needs in its parent. */
static void
yml_value_begin(struct yml_conv *c)
{
	struct yml_frame *f = yml_top(c);

	if (f != NULL && !f->map && f->role != R_ITEMS && f->n > 0)
		ostr_putc(f->out, ',');
}

static void
yml_value_end(struct yml_conv *c)
{
	struct yml_frame *f = yml_top(c);

	if (f == NULL)
		return;
	f->n++;
	if (f->map)
		f->want_key = 1;
}

/* Registers an anchor at the start of its node (open until the node ends). */
static int
yml_anchor_open(struct yml_conv *c, const yaml_char_t *name, const yaml_mark_t *m)
{
	struct yml_anchor *a;
	size_t n = strlen((const char *)name);

	if (c->nanchors >= YML_MAX_ANCHORS)
		return yml_fail(c, m, "more than YML_MAX_ANCHORS (65536) anchors in one document");
	if (c->nanchors == c->capanchors) {
		int cap = c->capanchors ? c->capanchors * 2 : 16;

		if ((a = realloc(c->anchors, (size_t)cap * sizeof(*a))) == NULL)
			return yml_fail(c, m, "out of memory");
		c->anchors = a;
		c->capanchors = cap;
	}
	a = &c->anchors[c->nanchors];
	memset(a, 0, sizeof(*a));
	a->name = c->mem.len;
	a->name_len = n;
	a->open = 1;
	ostr_put(&c->mem, (const char *)name, n);
	return c->nanchors++;
}

/* Closes anchor i with the node's JSON text (and a scalar's key form). */
static int
yml_anchor_close(struct yml_conv *c, int i, const char *text, size_t n,
    int kind, const struct ostr *key, const yaml_mark_t *m)
{
	struct yml_anchor *a = &c->anchors[i];

	if (c->mem.len + n > YML_MAX_ANCHOR_BYTES)
		return yml_fail(c, m, "anchored nodes hold more than YML_MAX_ANCHOR_BYTES of JSON");
	a->text = c->mem.len;
	a->text_len = n;
	ostr_put(&c->mem, text, n);
	if (key != NULL) {
		a->key = c->mem.len;
		a->key_len = key->len;
		ostr_put(&c->mem, ostr_str(key), key->len);
	}
	a->kind = kind;
	a->open = 0;
	return c->mem.nomem ? yml_fail(c, m, "out of memory") : 0;
}

/* The latest anchor called name, or NULL after reporting why not. */
static struct yml_anchor *
yml_alias(struct yml_conv *c, const yaml_char_t *name, const yaml_mark_t *m)
{
	size_t n = strlen((const char *)name);
	char msg[160];
	int i;

	for (i = c->nanchors - 1; i >= 0; i--)
		if (c->anchors[i].name_len == n &&
		    memcmp(c->mem.p + c->anchors[i].name, name, n) == 0)
			break;
	if (i < 0 || c->anchors[i].open) {
		snprintf(msg, sizeof(msg), i < 0 ? "unknown anchor '%.80s' referenced" :
		    "anchor '%.80s' value contains itself", (const char *)name);
		yml_fail(c, m, msg);
		return NULL;
	}
	return &c->anchors[i];
}

/* Copies n bytes an alias expands to into out, within the limits. */
static int
yml_copy(struct yml_conv *c, struct ostr *out, const char *s, size_t n,
    const yaml_mark_t *m)
{
	c->aliased += n;
	if (c->aliased > c->max_json || out->len + n > c->max_json)
		return yml_fail_size(c, m);
	ostr_put(out, s, n);
	return 0;
}

/*
 * Merges the members of the JSON object text[0, n) into the mapping f
 * (at its current place). A text that is not an object fails.
 */
static int
yml_merge_obj(struct yml_conv *c, struct yml_frame *f, const char *text,
    size_t n, const yaml_mark_t *m)
{
	size_t i = 1;

	if (n < 2 || text[0] != '{')
		return yml_fail(c, m, "map merge requires map or sequence of maps as the value");
	while (i < n - 1 && text[i] == ' ')
		i++;
	if (i == n - 1)
		return 0;
	if (f->n > 0)
		ostr_putc(f->out, ',');
	f->n++;
	return yml_copy(c, f->out, text + 1, n - 2, m);
}

/* Merges a sequence of mappings (JSON array text), the earlier ones winning. */
static int
yml_merge_seq(struct yml_conv *c, struct yml_frame *f, const struct ostr *a,
    const yaml_mark_t *m)
{
	struct json_store st = { NULL, 0 };
	struct json d;
	size_t off, n;
	int i, rc = 0;

	if (json_parse(&d, &st, a->p, a->len) != JSON_ERR_NOTOBJ) {
		json_store_free(&st);
		return yml_fail(c, m, "map merge requires map or sequence of maps as the value");
	}
	for (i = json_len(&d, 0) - 1; i >= 0 && rc == 0; i--) {
		json_span(&d, json_index(&d, 0, i), &off, &n);
		rc = yml_merge_obj(c, f, d.s + off, n, m);
	}
	json_store_free(&st);
	return rc;
}

/* Hands the finished document (or skeleton, or item) to the sink. */
static int
yml_deliver(struct yml_conv *c, const struct ostr *o, int item, int skeleton,
    long line, long col)
{
	struct inputs_piece p;

	memset(&p, 0, sizeof(p));
	p.file = c->file;
	p.doc = c->docno;
	p.item = item;
	p.skeleton = skeleton;
	p.nitems = c->nitems;
	p.yaml = 1;
	p.text = ostr_str(o);
	p.len = o->len;
	p.line = line;
	p.col = col;
	if (o->nomem)
		return yml_fail(c, NULL, "out of memory");
	c->pieces++;
	if (o->len > c->max_json)
		return yml_fail_size(c, NULL);
	if (c->sink->piece(c->sink->arg, &p) < 0) {
		c->failed = 1;
		return -1;
	}
	return 0;
}

static int
yml_key(struct yml_conv *c, struct yml_frame *f, const yaml_event_t *e)
{
	const char *v = (const char *)e->data.scalar.value, *err = NULL;
	const char *tag = (const char *)e->data.scalar.tag;
	size_t n = e->data.scalar.length;
	int plain = e->data.scalar.plain_implicit;

	if ((plain && n == 2 && memcmp(v, "<<", 2) == 0 && tag == NULL) ||
	    (tag != NULL && strcmp(tag, "tag:yaml.org,2002:merge") == 0)) {
		f->merge_next = 1;
		f->want_key = 0;
		return 0;
	}
	if (f->n > 0)
		ostr_putc(f->out, ',');
	if (yml_scalar_key(v, n, plain, tag, f->out, &err) < 0)
		return yml_fail(c, &e->start_mark, err);
	ostr_putc(f->out, ':');
	f->items_next = c->sp == 1 && n == 5 && memcmp(v, "items", 5) == 0;
	f->want_key = 0;
	return 0;
}

static int
yml_scalar(struct yml_conv *c, const yaml_event_t *e)
{
	struct yml_frame *f = yml_top(c);
	struct ostr *out = yml_out(c), key = OSTR_INIT;
	const char *v = (const char *)e->data.scalar.value, *err = NULL;
	const char *tag = (const char *)e->data.scalar.tag;
	size_t n = e->data.scalar.length, at;
	int plain = e->data.scalar.plain_implicit, a = -1, rc, kind = 's';

	if (f != NULL && f->map && f->want_key)
		return yml_key(c, f, e);
	if (f != NULL && f->merge_next)
		return yml_fail(c, &e->start_mark, "map merge requires map or sequence of maps as the value");
	if (f != NULL && f->role == R_ITEMS)
		return yml_fail(c, &e->start_mark, "a List item is not a mapping");
	if (e->data.scalar.anchor != NULL &&
	    (a = yml_anchor_open(c, e->data.scalar.anchor, &e->start_mark)) < 0)
		return -1;
	yml_value_begin(c);
	at = out->len;
	if (yml_scalar_json(v, n, plain, tag, out, &err) < 0)
		return yml_fail(c, &e->start_mark, err);
	if (f == NULL) {
		if (out->len - at == 4 && memcmp(out->p + at, "null", 4) == 0) {
			c->empty = 1;
			return 0;
		}
		return yml_fail(c, &e->start_mark, "the document is a scalar, not an object");
	}
	if (a >= 0) {
		if (yml_scalar_key(v, n, plain, tag, &key, &err) < 0)
			kind = 'k';
		rc = yml_anchor_close(c, a, out->p + at, out->len - at, kind,
		    kind == 's' ? &key : NULL, &e->start_mark);
		ostr_free(&key);
		if (rc < 0)
			return -1;
	}
	yml_value_end(c);
	return 0;
}

static int
yml_alias_ev(struct yml_conv *c, const yaml_event_t *e)
{
	struct yml_frame *f = yml_top(c);
	struct yml_anchor *a = yml_alias(c, e->data.alias.anchor, &e->start_mark);
	const char *text;

	if (a == NULL)
		return -1;
	text = c->mem.p + a->text;
	if (f == NULL)
		return yml_fail(c, &e->start_mark, "the document is an alias, not an object");
	if (f->map && f->want_key) {
		if (a->kind != 's')
			return yml_fail(c, &e->start_mark, "this alias cannot be a map key");
		if (f->n > 0)
			ostr_putc(f->out, ',');
		ostr_put(f->out, c->mem.p + a->key, a->key_len);
		ostr_putc(f->out, ':');
		f->want_key = 0;
		return 0;
	}
	if (f->merge_next) {
		f->merge_next = 0;
		f->want_key = 1;
		return yml_merge_obj(c, f, text, a->text_len, &e->start_mark);
	}
	if (f->role == R_ITEMS)
		return yml_fail(c, &e->start_mark, "a List item is an alias; write the item out");
	yml_value_begin(c);
	if (yml_copy(c, f->out, text, a->text_len, &e->start_mark) < 0)
		return -1;
	yml_value_end(c);
	return 0;
}

/* MAPPING_START / SEQUENCE_START. */
static int
yml_open(struct yml_conv *c, const yaml_event_t *e, int map)
{
	struct yml_frame *p = yml_top(c), *f;
	const yaml_char_t *anchor = map ? e->data.mapping_start.anchor :
	    e->data.sequence_start.anchor;
	enum yml_role role = R_PLAIN;

	if (p != NULL && p->map && p->want_key)
		return yml_fail(c, &e->start_mark, "a mapping or sequence as a map key has no JSON form");
	if (c->sp >= YML_MAX_DEPTH)
		return yml_fail(c, &e->start_mark, "nested deeper than YML_MAX_DEPTH (512)");
	if (p == NULL && !map)
		return yml_fail(c, &e->start_mark, "the document is a sequence, not an object");
	if (p != NULL && p->merge_next)
		role = R_MERGE;
	else if (p != NULL && p->role == R_ITEMS && !map)
		return yml_fail(c, &e->start_mark, "a List item is not a mapping");
	else if (p != NULL && p->role == R_ITEMS)
		role = R_ITEM;
	else if (p != NULL && p->items_next && !map)
		role = R_ITEMS;
	if (p != NULL && role != R_MERGE)
		yml_value_begin(c);
	f = &c->st[c->sp++];
	memset(f, 0, sizeof(*f));
	f->map = map;
	f->want_key = map;
	f->role = role;
	f->anchor = -1;
	f->line = (long)e->start_mark.line + 1;
	f->col = (long)e->start_mark.column + 1;
	f->out = role == R_MERGE ? &f->aside : role == R_ITEM ? &c->item :
	    p != NULL ? p->out : &c->doc;
	if (role == R_ITEM)
		c->item.len = 0;
	if (role == R_ITEMS)
		c->streamed = 1;
	f->start = f->out->len;
	if (anchor != NULL && (role == R_ITEMS || c->sp == 1))
		return yml_fail(c, &e->start_mark, "an anchor on a document or on a List's "
		    "items is not supported");
	if (anchor != NULL && (f->anchor = yml_anchor_open(c, anchor, &e->start_mark)) < 0)
		return -1;
	ostr_putc(f->out, map ? '{' : '[');
	return 0;
}

/* MAPPING_END / SEQUENCE_END. */
static int
yml_close(struct yml_conv *c, const yaml_event_t *e)
{
	struct yml_frame *f = &c->st[--c->sp], *p = yml_top(c);
	int rc = 0;

	ostr_putc(f->out, f->map ? '}' : ']');
	if (f->out->len > c->max_json)
		rc = yml_fail_size(c, &e->start_mark);
	if (rc == 0 && f->anchor >= 0)
		rc = yml_anchor_close(c, f->anchor, f->out->p + f->start,
		    f->out->len - f->start, f->map ? 'm' : 'q', NULL, &e->start_mark);
	if (rc == 0 && f->role == R_MERGE) {
		p->merge_next = 0;
		p->want_key = 1;
		rc = f->map ? yml_merge_obj(c, p, f->aside.p, f->aside.len, &e->start_mark) :
		    yml_merge_seq(c, p, &f->aside, &e->start_mark);
	} else if (rc == 0 && f->role == R_ITEM) {
		rc = yml_deliver(c, &c->item, c->nitems, 0, f->line, f->col);
		c->nitems++;
		yml_value_end(c);
	} else if (rc == 0)
		yml_value_end(c);
	ostr_free(&f->aside);
	return rc;
}

static void
yml_doc_start(struct yml_conv *c, const yaml_event_t *e)
{
	c->docno++;
	c->sp = 0;
	c->doc.len = 0;
	c->mem.len = 0;
	c->nanchors = 0;
	c->aliased = 0;
	c->nitems = 0;
	c->streamed = 0;
	c->empty = 0;
	c->doc_line = (long)e->start_mark.line + 1;
	c->doc_col = (long)e->start_mark.column + 1;
}

static int
yml_doc_end(struct yml_conv *c)
{
	if (c->empty)
		return 0;
	return yml_deliver(c, &c->doc, -1, c->streamed, c->doc_line, c->doc_col);
}

static int
yml_event(struct yml_conv *c, const yaml_event_t *e)
{
	switch (e->type) {
	case YAML_DOCUMENT_START_EVENT:
		yml_doc_start(c, e);
		return 0;
	case YAML_DOCUMENT_END_EVENT:
		return yml_doc_end(c);
	case YAML_SCALAR_EVENT:
		return yml_scalar(c, e);
	case YAML_ALIAS_EVENT:
		return yml_alias_ev(c, e);
	case YAML_MAPPING_START_EVENT:
		return yml_open(c, e, 1);
	case YAML_SEQUENCE_START_EVENT:
		return yml_open(c, e, 0);
	case YAML_MAPPING_END_EVENT:
	case YAML_SEQUENCE_END_EVENT:
		return yml_close(c, e);
	default:
		return 0;
	}
}

/* libyaml's own error, with its position and context. */
static int
yml_parser_error(struct yml_conv *c)
{
	yaml_parser_t *p = &c->parser;
	char msg[300];

	if (c->failed)
		return -1;	/* the reader reported it */
	if (p->error == YAML_MEMORY_ERROR)
		return yml_fail(c, NULL, "out of memory");
	if (p->error == YAML_READER_ERROR) {
		snprintf(msg, sizeof(msg), "%s at byte %zu", p->problem ? p->problem :
		    "unreadable", p->problem_offset);
		return yml_fail(c, NULL, msg);
	}
	snprintf(msg, sizeof(msg), "%s%s%s%s", p->problem ? p->problem : "invalid YAML",
	    p->context ? " (" : "", p->context ? p->context : "", p->context ? ")" : "");
	return yml_fail(c, &p->problem_mark, msg);
}

/* See yml.h. */
int
yml_read(yml_reader *read, void *in, const char *file, size_t max_json,
    struct inputs_sink *sink)
{
	struct yml_conv *c = calloc(1, sizeof(*c));
	yaml_event_t e;
	int done = 0, rc = 0, n;

	if (c == NULL || !yaml_parser_initialize(&c->parser)) {
		sink->error(sink->arg, file, 0, 0, "out of memory");
		free(c);
		return -1;
	}
	c->read = read;
	c->in = in;
	c->file = file;
	c->sink = sink;
	c->max_json = max_json;
	yaml_parser_set_input(&c->parser, yml_read_handler, c);
	while (!done && rc == 0) {
		if (!yaml_parser_parse(&c->parser, &e)) {
			rc = yml_parser_error(c);
			break;
		}
		done = e.type == YAML_STREAM_END_EVENT;
		rc = yml_event(c, &e);
		yaml_event_delete(&e);
	}
	while (c->sp > 0)
		ostr_free(&c->st[--c->sp].aside);
	yaml_parser_delete(&c->parser);
	ostr_free(&c->doc);
	ostr_free(&c->item);
	ostr_free(&c->mem);
	free(c->anchors);
	n = c->pieces;
	free(c);
	return rc < 0 ? -1 : n;
}

#endif
