/*
 * inputs.c: paths to JSON pieces (see inputs.h). Not on the request path:
 * it allocates, and it reads files.
 *
 * JSON is split here without being parsed: a byte scanner follows strings
 * and nesting to find where each top-level object ends and, inside one,
 * where each element of a top-level "items" array ends. Every piece is then
 * parsed by json_parse() (the one validator) in the sink, so the scanner
 * only has to be right about boundaries: it checks the separators between
 * items itself, because two items without a comma would each parse.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "inputs.h"
#include "limit.h"
#include "ostr.h"
#include "yml.h"

struct inputs_file {
	FILE			*fp;
	const char		*name;
	const struct inputs_limits *lim;
	struct inputs_sink	*sink;
	unsigned long long	 total;		/* bytes read so far */
	char			*pre;		/* read ahead for sniffing, served first */
	size_t			 npre, prepos;
	int			 failed;	/* an error was reported */
	int			 pieces;	/* pieces handed over */
};

enum jmode { J_TOP, J_DOC, J_ITEMS, J_TAIL };

/* The JSON splitter's state over a window of the file. */
struct jsplit {
	struct inputs_file	*f;
	char			*w;
	size_t			 len, cap;
	size_t			 pos;		/* next byte to look at */
	size_t			 keep;		/* bytes before it may go */
	size_t			 start;		/* the open document or item */
	size_t			 key;		/* depth-1 key being read (after its quote), or -1 */
	long			 line, col;	/* of w[pos] */
	long			 sline, scol;	/* of w[start] */
	long			 dline, dcol;	/* of the document's '{' */
	enum jmode		 mode;
	int			 depth, in_str, esc;
	int			 want_key;	/* depth 1: the next string is a key */
	int			 items_key;	/* depth 1: "items" was the last key */
	int			 in_item, need_item, first;
	int			 docno, nitems;
	struct ostr		 skel;		/* J_ITEMS / J_TAIL: the document without items */
};

#define NO_KEY	((size_t)-1)

static void
inputs_err(struct inputs_file *f, long line, long col, const char *msg)
{
	if (!f->failed)
		f->sink->error(f->sink->arg, f->name, line, col, msg);
	f->failed = 1;
}

/* See inputs.h. */
long
inputs_read(void *file, char *buf, size_t cap)
{
	struct inputs_file *f = file;
	size_t n;
	char msg[200];

	if (f->prepos < f->npre) {
		n = f->npre - f->prepos < cap ? f->npre - f->prepos : cap;
		memcpy(buf, f->pre + f->prepos, n);
		f->prepos += n;
		return (long)n;
	}
	n = fread(buf, 1, cap, f->fp);
	if (n == 0 && ferror(f->fp)) {
		snprintf(msg, sizeof(msg), "cannot read: %s", strerror(errno));
		inputs_err(f, 0, 0, msg);
		return -1;
	}
	f->total += n;
	if (f->total > f->lim->max_file) {
		snprintf(msg, sizeof(msg), "larger than %llu bytes; --max-file-size raises "
		    "the limit", f->lim->max_file);
		inputs_err(f, 0, 0, msg);
		return -1;
	}
	return (long)n;
}

/* See inputs.h. */
void
inputs_where(const struct inputs_piece *p, size_t off, long *line, long *col)
{
	size_t i;

	*line = p->line;
	*col = p->col;
	for (i = 0; i < off && i < p->len; i++) {
		if (p->text[i] == '\n') {
			(*line)++;
			*col = 1;
		} else
			(*col)++;
	}
}

static int
inputs_deliver(struct jsplit *j, const char *text, size_t n, int item, int skel,
    long line, long col)
{
	struct inputs_piece p;

	memset(&p, 0, sizeof(p));
	p.file = j->f->name;
	p.doc = j->docno;
	p.item = item;
	p.skeleton = skel;
	p.nitems = j->nitems;
	p.text = text;
	p.len = n;
	p.line = line;
	p.col = col;
	j->f->pieces++;
	if (j->f->sink->piece(j->f->sink->arg, &p) < 0) {
		j->f->failed = 1;
		return -1;
	}
	return 0;
}

static int
inputs_jfail(struct jsplit *j, const char *msg)
{
	inputs_err(j->f, j->line, j->col, msg);
	return -1;
}

static int
inputs_too_big(struct jsplit *j)
{
	char msg[200];

	snprintf(msg, sizeof(msg), "an object larger than %zu bytes; --max-object-size "
	    "raises the limit", j->f->lim->max_object);
	inputs_err(j->f, j->sline, j->scol, msg);
	return -1;
}

static void
inputs_mark(struct jsplit *j)
{
	j->start = j->pos;
	j->sline = j->line;
	j->scol = j->col;
}

/* A byte between documents. */
static int
inputs_top(struct jsplit *j, char c)
{
	if (c == ' ' || c == '\t' || c == '\n' || c == '\r')
		return 0;
	if (c != '{')
		return inputs_jfail(j, "expected a JSON object ('{')");
	inputs_mark(j);
	j->dline = j->line;
	j->dcol = j->col;
	j->mode = J_DOC;
	j->depth = 1;
	j->want_key = 1;
	j->items_key = 0;
	j->docno++;
	j->nitems = 0;
	return 0;
}

/* A byte of the root object (not inside a string). */
static int
inputs_doc(struct jsplit *j, char c)
{
	switch (c) {
	case '"':
		j->in_str = 1;
		j->key = j->depth == 1 && j->want_key ? j->pos + 1 : NO_KEY;
		j->want_key = 0;
		return 0;
	case '[':
		if (j->depth == 1 && j->items_key && j->mode == J_DOC) {
			j->skel.len = 0;
			ostr_put(&j->skel, j->w + j->start, j->pos + 1 - j->start);
			j->mode = J_ITEMS;
			j->depth = 2;
			j->in_item = j->need_item = 0;
			j->first = 1;
			j->keep = j->pos + 1;
			j->items_key = 0;
			return 0;
		}
		/* fall through */
	case '{':
		j->depth++;
		j->items_key = 0;
		return 0;
	case '}':
	case ']':
		if (--j->depth > 0)
			return 0;
		if (j->mode == J_DOC) {
			j->mode = J_TOP;
			return inputs_deliver(j, j->w + j->start, j->pos + 1 - j->start, -1, 0,
			    j->dline, j->dcol);
		}
		j->mode = J_TOP;
		ostr_put(&j->skel, j->w + j->keep, j->pos + 1 - j->keep);
		j->keep = j->pos + 1;
		return j->skel.nomem ? inputs_jfail(j, "out of memory") :
		    inputs_deliver(j, j->skel.p, j->skel.len, -1, 1, j->dline, j->dcol);
	case ',':
		if (j->depth == 1)
			j->want_key = 1;
		j->items_key = 0;
		return 0;
	case ':': case ' ': case '\t': case '\n': case '\r':
		return 0;
	default:
		j->items_key = 0;
		return 0;
	}
}

/* A byte inside the streamed items array (not inside a string). */
static int
inputs_items(struct jsplit *j, char c)
{
	if (j->in_item) {
		if (c == '"')
			j->in_str = 1;
		else if (c == '{' || c == '[')
			j->depth++;
		else if ((c == '}' || c == ']') && --j->depth == 2) {
			j->in_item = 0;
			j->keep = j->pos + 1;
			if (inputs_deliver(j, j->w + j->start, j->pos + 1 - j->start, j->nitems, 0,
			    j->sline, j->scol) < 0)
				return -1;
			j->nitems++;
		}
		return 0;
	}
	switch (c) {
	case ' ': case '\t': case '\n': case '\r':
		j->keep = j->pos + 1;
		return 0;
	case ',':
		if (j->first || j->need_item)
			return inputs_jfail(j, "unexpected ',' in items");
		j->need_item = 1;
		j->keep = j->pos + 1;
		return 0;
	case '{':
		if (!j->first && !j->need_item)
			return inputs_jfail(j, "expected ',' or ']' after an item");
		inputs_mark(j);
		j->in_item = 1;
		j->first = j->need_item = 0;
		j->depth = 3;
		return 0;
	case ']':
		if (j->need_item)
			return inputs_jfail(j, "trailing ',' in items");
		j->depth = 1;
		j->mode = J_TAIL;
		j->keep = j->pos;
		return 0;
	default:
		return inputs_jfail(j, "a List item is not an object");
	}
}

/* Scans w[pos, len): strings first, then the mode's bytes. */
static int
inputs_scan(struct jsplit *j)
{
	char c;
	int rc = 0;

	for (; rc == 0 && j->pos < j->len; j->pos++) {
		c = j->w[j->pos];
		if (j->in_str) {
			if (j->esc)
				j->esc = 0;
			else if (c == '\\')
				j->esc = 1;
			else if (c == '"') {
				j->in_str = 0;
				if (j->key != NO_KEY && j->pos - j->key == 5 &&
				    memcmp(j->w + j->key, "items", 5) == 0)
					j->items_key = 1;
				j->key = NO_KEY;
			}
		} else if (j->mode == J_TOP)
			rc = inputs_top(j, c);
		else if (j->mode == J_ITEMS)
			rc = inputs_items(j, c);
		else
			rc = inputs_doc(j, c);
		if (c == '\n') {
			j->line++;
			j->col = 1;
		} else
			j->col++;
	}
	return rc;
}

/* Drops what is consumed, keeps the open piece, reads more. 0, 1 at the end, -1. */
static int
inputs_refill(struct jsplit *j)
{
	size_t from = j->keep, need;
	long n;
	char *w;

	if (j->mode == J_TOP)
		from = j->pos;
	else if (j->mode == J_DOC || (j->mode == J_ITEMS && j->in_item))
		from = j->start;
	if (j->mode == J_TAIL) {
		ostr_put(&j->skel, j->w + j->keep, j->pos - j->keep);
		from = j->keep = j->pos;
	}
	if (from > j->len)
		from = j->len;
	if (from > 0)
		memmove(j->w, j->w + from, j->len - from);
	j->len -= from;
	j->pos -= from;
	j->keep = j->keep > from ? j->keep - from : 0;
	j->start = j->start > from ? j->start - from : 0;
	if (j->key != NO_KEY)
		j->key = j->key > from ? j->key - from : NO_KEY;
	if ((j->mode == J_DOC || j->in_item) && j->len > j->f->lim->max_object)
		return inputs_too_big(j);
	need = j->len + INPUTS_CHUNK;
	if (need > j->cap) {
		if ((w = realloc(j->w, need)) == NULL)
			return inputs_jfail(j, "out of memory");
		j->w = w;
		j->cap = need;
	}
	if ((n = inputs_read(j->f, j->w + j->len, INPUTS_CHUNK)) < 0)
		return -1;
	j->len += (size_t)n;
	return n == 0;
}

/* Splits a JSON stream (one or more objects) into pieces. */
static int
inputs_json(struct inputs_file *f)
{
	struct jsplit j;
	int rc;

	memset(&j, 0, sizeof(j));
	j.f = f;
	j.key = NO_KEY;
	j.line = j.col = 1;
	rc = inputs_refill(&j);
	if (rc == 0 && j.len >= 3 && memcmp(j.w, "\xef\xbb\xbf", 3) == 0)
		j.pos = j.keep = 3;	/* a UTF-8 byte order mark */
	for (; rc == 0; rc = inputs_refill(&j))
		if (inputs_scan(&j) < 0) {
			rc = -1;
			break;
		}
	if (rc > 0 && j.mode != J_TOP)
		rc = inputs_jfail(&j, "unexpected end of input: an object is not closed");
	free(j.w);
	ostr_free(&j.skel);
	return rc < 0 ? -1 : 0;
}

static int
inputs_has_ext(const char *path, const char *ext)
{
	size_t n = strlen(path), k = strlen(ext);

	return n > k && strcmp(path + n - k, ext) == 0;
}

/* YAML or JSON: by the name's extension, else by the first byte that is not space. */
static int
inputs_is_yaml(struct inputs_file *f)
{
	size_t i = 0;

	if (inputs_has_ext(f->name, ".json"))
		return 0;
	if (inputs_has_ext(f->name, ".yaml") || inputs_has_ext(f->name, ".yml"))
		return 1;
	if (f->npre >= 3 && memcmp(f->pre, "\xef\xbb\xbf", 3) == 0)
		i = 3;
	while (i < f->npre && strchr(" \t\r\n", f->pre[i]) != NULL)
		i++;
	return i == f->npre || f->pre[i] != '{';
}

/* Reads one file (or stdin) through the JSON splitter or the YAML reader. */
static int
inputs_file(const char *path, const struct inputs_limits *lim, struct inputs_sink *sink)
{
	struct inputs_file f;
	char msg[300];
	long n;
	int yaml;

	memset(&f, 0, sizeof(f));
	f.name = path;
	f.lim = lim;
	f.sink = sink;
	f.fp = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
	if (f.fp == NULL) {
		snprintf(msg, sizeof(msg), "cannot read: %s", strerror(errno));
		sink->begin(sink->arg, path, 0);
		inputs_err(&f, 0, 0, msg);
		sink->end(sink->arg, path, 0);
		return 1;
	}
	if ((f.pre = malloc(INPUTS_SNIFF)) == NULL)
		n = -1;
	else
		n = inputs_read(&f, f.pre, INPUTS_SNIFF);
	f.npre = n > 0 ? (size_t)n : 0;
	yaml = n >= 0 && inputs_is_yaml(&f);
	sink->begin(sink->arg, path, yaml);
	if (n < 0)
		inputs_err(&f, 0, 0, "cannot read");
	else if (yaml) {
		if ((n = yml_read(inputs_read, &f, path, lim->max_object, sink)) < 0)
			f.failed = 1;
		else
			f.pieces += (int)n;
	} else
		(void)inputs_json(&f);	/* reads the sniffed bytes first, like yml_read */
	if (!f.failed && f.pieces == 0)
		inputs_err(&f, 0, 0, yaml ? "empty input: no YAML document with an object in it" :
		    "empty input: no JSON object in it");
	if (f.fp != stdin)
		fclose(f.fp);
	free(f.pre);
	sink->end(sink->arg, path, !f.failed);
	return f.failed;
}

static int
inputs_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int
inputs_manifest_name(const char *name)
{
	return inputs_has_ext(name, ".yaml") || inputs_has_ext(name, ".yml") ||
	    inputs_has_ext(name, ".json");
}

/* Collects the manifests under dir (recursively) into *list, sorted per directory. */
static int
inputs_walk(const char *dir, int depth, char ***list, int *n, int *cap)
{
	DIR *d;
	struct dirent *e;
	struct stat sb;
	char **names = NULL, **grow, *p;
	int nn = 0, cn = 0, i, rc = 0;
	size_t len;

	if (depth > INPUTS_MAX_DEPTH || (d = opendir(dir)) == NULL)
		return -1;
	while ((e = readdir(d)) != NULL) {
		if (e->d_name[0] == '.')
			continue;
		len = strlen(dir) + strlen(e->d_name) + 2;
		if (nn == cn && (grow = realloc(names, (size_t)(cn = cn ? cn * 2 : 16) *
		    sizeof(*names))) != NULL)
			names = grow;
		if (nn >= cn || (p = malloc(len)) == NULL) {
			rc = -1;
			break;
		}
		snprintf(p, len, "%s%s%s", dir, dir[strlen(dir) - 1] == '/' ? "" : "/", e->d_name);
		names[nn++] = p;
	}
	closedir(d);
	if (nn > 0)
		qsort(names, (size_t)nn, sizeof(*names), inputs_cmp);
	for (i = 0; i < nn; i++) {
		if (rc == 0 && stat(names[i], &sb) == 0 && S_ISDIR(sb.st_mode)) {
			rc = inputs_walk(names[i], depth + 1, list, n, cap);
		} else if (rc == 0 && inputs_manifest_name(names[i])) {
			if (*n == *cap && (grow = realloc(*list, (size_t)(*cap = *cap ? *cap * 2 : 16) *
			    sizeof(**list))) != NULL)
				*list = grow;
			if (*n < *cap) {
				(*list)[(*n)++] = names[i];
				continue;
			}
			rc = -1;
		}
		free(names[i]);
	}
	free(names);
	return rc;
}

/* A directory: its manifests, or an error when it has none. */
static int
inputs_dir(const char *path, const struct inputs_limits *lim, struct inputs_sink *sink)
{
	char **list = NULL;
	int n = 0, cap = 0, i, bad = 0;

	if (inputs_walk(path, 0, &list, &n, &cap) < 0 || n == 0) {
		sink->begin(sink->arg, path, 0);
		sink->error(sink->arg, path, 0, 0, n == 0 ? "a directory without manifests "
		    "(no *.yaml, *.yml or *.json files in it or below)" :
		    "cannot read the whole directory");
		sink->end(sink->arg, path, 0);
		bad = 1;
	}
	for (i = 0; i < n; i++) {
		bad += inputs_file(list[i], lim, sink);
		free(list[i]);
	}
	free(list);
	return bad;
}

/* See inputs.h. */
int
inputs_run(char *const *paths, int npaths, const struct inputs_limits *lim,
    struct inputs_sink *sink)
{
	struct stat sb;
	int i, bad = 0;

	for (i = 0; i < npaths; i++) {
		if (strcmp(paths[i], "-") != 0 && stat(paths[i], &sb) == 0 && S_ISDIR(sb.st_mode))
			bad += inputs_dir(paths[i], lim, sink);
		else
			bad += inputs_file(paths[i], lim, sink);
	}
	return bad;
}
