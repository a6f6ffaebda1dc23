/*
 * apply.c: the offline commands' view of a patch: base64 decoding of the
 * AdmissionReview "patch" field, and the patched object.
 *
 * The patch is applied to a tree of the object that is built only where an
 * operation walks (struct apply_node: a value of the object or of an
 * operation, named by its token), then the object is written once: every
 * part no operation touched is copied byte for byte from what the policy
 * saw, so the result is exactly the text the old splicing applier made
 * (one re-parse per operation), in one parse of the object and the ops.
 * Only "add" and "replace" are applied (all the built-in rules write); any
 * other operation fails, so `--patched` and `tinyhook test` never show an
 * object the cluster would not get. The tests check the result against
 * python3-jsonpatch, an independent applier.
 *
 * Cost: each container is opened (its members listed, an object's keys
 * unescaped into a hash) at most once, each step of a path is a hash or
 * array lookup, and the writer visits each opened container once: linear
 * in the object and the ops, but for an "add" into the middle of an array
 * (a move of the later elements; no built-in rule does it).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "apply.h"
#include "json.h"
#include "limit.h"

/* See apply.h. */
int
apply_unbase64(const char *s, size_t n, struct ostr *o)
{
	static const char b64[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	unsigned v = 0, bits = 0;
	const char *p;
	size_t i;

	for (i = 0; i < n && s[i] != '='; i++) {
		if (s[i] == '\0' || (p = strchr(b64, s[i])) == NULL)
			return -1;
		v = (v << 6) | (unsigned)(p - b64);
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			ostr_putc(o, (char)((v >> bits) & 0xff));
		}
	}
	return o->nomem ? -1 : 0;
}

/* One member of an opened container: its value, where it stood, its key. */
struct apply_slot {
	int	node;		/* the value (struct apply_node index) */
	int	orig;		/* its token in the container's document, -1 when an op added it */
	size_t	koff, klen;	/* object member: the unescaped key in apply_tree.keys */
};

/* A value: a token of one of the two documents; a container once opened. */
struct apply_node {
	struct json		*d;	/* the object's document or the ops' */
	int			 tok;
	struct apply_slot	*slots;	/* opened: the members in order */
	int			 nslots, cap, open;
};

/* A name in the hash of object members: (container, key) -> slot. */
struct apply_hent {
	int	node, slot;	/* node -1: empty */
};

/* The tree, and the hash that names the members of its opened objects. */
struct apply_tree {
	struct apply_node	*nodes;
	int			 nnodes, cap;
	struct ostr		 keys;		/* the unescaped keys, back to back */
	struct apply_hent	*hash;
	size_t			 hcap, hused;	/* hcap a power of two, at most half used */
	int			 nomem;
};

/* A new node for token tok of d; -1 when out of memory. */
static int
apply_node_new(struct apply_tree *t, struct json *d, int tok)
{
	struct apply_node *p;
	int cap;

	if (t->nnodes == t->cap) {
		cap = t->cap ? t->cap * 2 : 64;
		if ((p = realloc(t->nodes, (size_t)cap * sizeof(*p))) == NULL)
			return t->nomem = 1, -1;
		t->nodes = p;
		t->cap = cap;
	}
	memset(&t->nodes[t->nnodes], 0, sizeof(*p));
	t->nodes[t->nnodes].d = d;
	t->nodes[t->nnodes].tok = tok;
	return t->nnodes++;
}

/* FNV-1a of the container's index and the key. */
static size_t
apply_hash(int node, const char *k, size_t n)
{
	uint64_t h = 14695981039346656037ull ^ (uint64_t)(unsigned)node;
	size_t i;

	h *= 1099511628211ull;
	for (i = 0; i < n; i++)
		h = (h ^ (unsigned char)k[i]) * 1099511628211ull;
	return (size_t)(h ^ (h >> 32));
}

/* The hash entry of (node, key): the one holding it, or the empty one it would take. */
static struct apply_hent *
apply_hfind(struct apply_tree *t, int node, const char *k, size_t n)
{
	struct apply_hent *e;
	struct apply_slot *s;
	size_t i = apply_hash(node, k, n) & (t->hcap - 1);

	for (;; i = (i + 1) & (t->hcap - 1)) {
		e = &t->hash[i];
		if (e->node < 0)
			return e;
		s = &t->nodes[e->node].slots[e->slot];
		if (e->node == node && s->klen == n && memcmp(t->keys.p + s->koff, k, n) == 0)
			return e;
	}
}

/* Doubles the hash (or makes it); 0, or -1 when out of memory. */
static int
apply_hgrow(struct apply_tree *t)
{
	struct apply_hent *old = t->hash, *e;
	struct apply_slot *s;
	size_t i, ocap = t->hcap;

	t->hcap = ocap ? ocap * 2 : 256;
	if ((t->hash = malloc(t->hcap * sizeof(*t->hash))) == NULL) {
		t->hash = old;
		t->hcap = ocap;
		return t->nomem = 1, -1;
	}
	for (i = 0; i < t->hcap; i++)
		t->hash[i].node = -1;
	for (i = 0; i < ocap; i++) {
		if (old[i].node < 0)
			continue;
		s = &t->nodes[old[i].node].slots[old[i].slot];
		e = apply_hfind(t, old[i].node, t->keys.p + s->koff, s->klen);
		*e = old[i];
	}
	free(old);
	return 0;
}

/*
 * Names slot of object node by its key in the hash; a later duplicate key
 * takes the name over (json_get's rule: the last duplicate wins).
 */
static int
apply_hput(struct apply_tree *t, int node, int slot)
{
	struct apply_slot *s = &t->nodes[node].slots[slot];
	struct apply_hent *e;

	if ((t->hused + 1) * 2 > t->hcap && apply_hgrow(t) < 0)
		return -1;
	s = &t->nodes[node].slots[slot];
	e = apply_hfind(t, node, t->keys.p + s->koff, s->klen);
	if (e->node < 0)
		t->hused++;
	e->node = node;
	e->slot = slot;
	return 0;
}

/* Makes room for one more slot in node at index at (moving the later ones). */
static struct apply_slot *
apply_slot_insert(struct apply_tree *t, int node, int at)
{
	struct apply_node *n = &t->nodes[node];
	struct apply_slot *p;
	int cap;

	if (n->nslots == n->cap) {
		cap = n->cap ? n->cap * 2 : 4;
		if ((p = realloc(n->slots, (size_t)cap * sizeof(*p))) == NULL)
			return t->nomem = 1, NULL;
		n->slots = p;
		n->cap = cap;
	}
	memmove(&n->slots[at + 1], &n->slots[at], (size_t)(n->nslots - at) * sizeof(*p));
	n->nslots++;
	memset(&n->slots[at], 0, sizeof(*p));
	n->slots[at].orig = -1;
	return &n->slots[at];
}

/* Stores key k[0, n) in the key text for slot s; -1 when out of memory. */
static int
apply_key(struct apply_tree *t, struct apply_slot *s, const char *k, size_t n)
{
	s->koff = t->keys.len;
	s->klen = n;
	ostr_put(&t->keys, k, n);
	return t->keys.nomem ? (t->nomem = 1, -1) : 0;
}

/* Lists the members of container node (once). 0, or -1 when out of memory. */
static int
apply_open(struct apply_tree *t, int node)
{
	struct json *d = t->nodes[node].d;
	int obj = json_type(d, t->nodes[node].tok) == JSON_OBJECT, m, v, c, i = 0;
	struct apply_slot *s;
	const char *raw;
	size_t rn;
	long kn;

	if (t->nodes[node].open)
		return 0;
	t->nodes[node].open = 1;
	for (m = json_first(d, t->nodes[node].tok); m != JSON_NONE; m = json_next(d, m), i++) {
		v = obj ? m + 1 : m;
		if ((c = apply_node_new(t, d, v)) < 0 || (s = apply_slot_insert(t, node, i)) == NULL)
			return -1;
		s->node = c;
		s->orig = v;
		if (!obj)
			continue;
		raw = json_raw(d, m, &rn);
		ostr_reserve(&t->keys, rn + 1);
		if (t->keys.nomem)
			return t->nomem = 1, -1;
		kn = json_unescape(raw, rn, t->keys.p + t->keys.len, rn + 1);
		s->koff = t->keys.len;
		if (kn < 0)
			continue;	/* invalid escapes: never matches, never named */
		t->keys.len += (size_t)kn;
		s->klen = (size_t)kn;
		if (apply_hput(t, node, i) < 0)
			return -1;
	}
	return 0;
}

/* The slot of member key of object node, or -1. */
static int
apply_member(struct apply_tree *t, int node, const char *key)
{
	struct apply_hent *e;

	if (t->hcap == 0)
		return -1;
	e = apply_hfind(t, node, key, strlen(key));
	return e->node < 0 ? -1 : e->slot;
}

/* Decodes one RFC 6901 token path[0, n) into key (~1 is '/', ~0 is '~'). */
static int
apply_token(const char *path, size_t n, char *key, size_t cap)
{
	size_t i, o = 0;

	for (i = 0; i < n && o + 1 < cap; i++) {
		if (path[i] == '~' && i + 1 < n && (path[i + 1] == '0' || path[i + 1] == '1'))
			key[o++] = path[++i] == '0' ? '~' : '/';
		else if (path[i] == '~')
			return -1;
		else
			key[o++] = path[i];
	}
	key[o] = '\0';
	return i == n ? 0 : -1;
}

/* The JSON type of node, from its token. */
static enum json_type
apply_type(const struct apply_tree *t, int node)
{
	return json_type(t->nodes[node].d, t->nodes[node].tok);
}

/*
 * Follows pointer path to the (opened) container holding its last token
 * (left in last): an array step reads its token as atoi() does, an object
 * step looks the member up. -1 when a step is missing.
 */
static int
apply_walk(struct apply_tree *t, const char *path, char *last, size_t cap)
{
	const char *p = path, *e;
	int v = 0, i;

	while (*p == '/') {
		e = strchr(p + 1, '/');
		if (apply_token(p + 1, e ? (size_t)(e - p - 1) : strlen(p + 1), last, cap) < 0)
			return -1;
		if (apply_type(t, v) != JSON_OBJECT && apply_type(t, v) != JSON_ARRAY)
			return -1;
		if (apply_open(t, v) < 0)
			return -1;
		if (e == NULL)
			return v;
		if (apply_type(t, v) == JSON_ARRAY) {
			i = atoi(last);
			if (i < 0 || i >= t->nodes[v].nslots)
				return -1;
		} else if ((i = apply_member(t, v, last)) < 0)
			return -1;
		v = t->nodes[v].slots[i].node;
		p = e;
	}
	return -1;
}

/*
 * Applies one add (or, replace set, replace) of value val (a token of the
 * ops document od) at path: an object member is set (added at the end
 * when absent, for either op); an array element is replaced (replace),
 * inserted before (add), or appended at "-" or the length.
 */
static int
apply_op(struct apply_tree *t, const char *path, struct json *od, int val, int replace)
{
	char key[APPLY_KEY_MAX];
	struct apply_slot *s;
	int p, v, len, i;

	if (val == JSON_NONE || (p = apply_walk(t, path, key, sizeof(key))) < 0 ||
	    (v = apply_node_new(t, od, val)) < 0)
		return -1;
	len = t->nodes[p].nslots;
	i = atoi(key);
	if (apply_type(t, p) == JSON_OBJECT) {
		if ((i = apply_member(t, p, key)) >= 0) {
			t->nodes[p].slots[i].node = v;
			return 0;
		}
		if ((s = apply_slot_insert(t, p, len)) == NULL ||
		    apply_key(t, s, key, strlen(key)) < 0)
			return -1;
		s->node = v;
		return apply_hput(t, p, len);
	}
	if (replace && i >= 0 && i < len) {
		t->nodes[p].slots[i].node = v;
		return 0;
	}
	if (strcmp(key, "-") == 0 || i == len)
		i = len;
	else if (i < 0 || i >= len)
		return -1;
	if ((s = apply_slot_insert(t, p, i)) == NULL)
		return -1;
	s->node = v;
	return 0;
}

static void apply_write(struct apply_tree *t, int node, struct ostr *out);

/*
 * Writes opened container node: its own text between the members that
 * stood there (so spacing and untouched members stay as they were), each
 * member's current value, an added element before the next one that stood
 * there as "value," and the members added after the last one before the
 * closing bracket as ",key:value" (no comma in an empty container).
 */
static void
apply_write_open(struct apply_tree *t, int node, struct ostr *out)
{
	struct apply_node *n = &t->nodes[node];
	struct apply_slot *s;
	struct json *d = n->d;
	size_t off, len, at, voff, vlen, end;
	int i, next = 0, obj = json_type(d, n->tok) == JSON_OBJECT, tail = 0;

	json_span(d, n->tok, &off, &len);
	at = off;
	end = off + len - 1;	/* the closing bracket */
	for (i = 0; i < n->nslots; i++) {
		s = &n->slots[i];
		if (s->orig >= 0) {
			json_span(d, s->orig, &voff, &vlen);
			ostr_put(out, d->s + at, voff - at);
			apply_write(t, s->node, out);
			at = voff + vlen;
			continue;
		}
		/* next: the first member after i that stood there (moves forward only) */
		while (!tail && next < n->nslots && (next <= i || n->slots[next].orig < 0))
			next++;
		if (!tail && next < n->nslots) {
			json_span(d, n->slots[next].orig, &voff, &vlen);
			ostr_put(out, d->s + at, voff - at);
			at = voff;
			apply_write(t, s->node, out);
			ostr_putc(out, ',');
			continue;
		}
		if (!tail) {
			ostr_put(out, d->s + at, end - at);
			at = end;
			tail = 1;
		}
		ostr_puts(out, i > 0 ? "," : "");
		if (obj) {
			ostr_put_json(out, t->keys.p + s->koff, s->klen);
			ostr_putc(out, ':');
		}
		apply_write(t, s->node, out);
	}
	ostr_put(out, d->s + at, off + len - at);
}

/* Writes node: as its document has it, unless it was opened. */
static void
apply_write(struct apply_tree *t, int node, struct ostr *out)
{
	size_t off, n;

	if (t->nodes[node].open) {
		apply_write_open(t, node, out);
		return;
	}
	json_span(t->nodes[node].d, t->nodes[node].tok, &off, &n);
	ostr_put(out, t->nodes[node].d->s + off, n);
}

static void
apply_tree_free(struct apply_tree *t)
{
	int i;

	for (i = 0; i < t->nnodes; i++)
		free(t->nodes[i].slots);
	free(t->nodes);
	free(t->hash);
	ostr_free(&t->keys);
}

/*
 * See apply.h. After a failed operation out holds the object as the
 * operations before it left it (what -v prints beside the error).
 */
int
apply_patch(const char *obj, size_t objn, const char *ops, size_t opsn, struct ostr *out)
{
	struct json_store st = { NULL, 0 }, ost = { NULL, 0 };
	struct apply_tree t;
	struct json od, d;
	char path[APPLY_KEY_MAX * 2];
	int op, rc = 0, replace, tree;

	memset(&t, 0, sizeof(t));
	tree = opsn > 0 && json_parse(&d, &st, obj, objn) == JSON_OK &&
	    apply_node_new(&t, &d, 0) == 0;
	/* json_parse fills od for an array too, answering JSON_ERR_NOTOBJ. */
	if (opsn > 0 && (!tree || json_parse(&od, &ost, ops, opsn) != JSON_ERR_NOTOBJ))
		rc = -1;
	for (op = opsn > 0 && rc == 0 ? json_first(&od, 0) : JSON_NONE;
	    rc == 0 && op != JSON_NONE; op = json_next(&od, op)) {
		replace = json_str_eq(&od, json_get(&od, op, "op"), "replace");
		if (!replace && !json_str_eq(&od, json_get(&od, op, "op"), "add")) {
			rc = -1;
			break;
		}
		json_str_copy(&od, json_get(&od, op, "path"), path, sizeof(path));
		rc = apply_op(&t, path, &od, json_get(&od, op, "value"), replace);
	}
	if (tree)
		apply_write(&t, 0, out);
	else
		ostr_put(out, obj, objn);
	if (out->nomem || t.nomem)
		rc = -1;
	apply_tree_free(&t);
	json_store_free(&st);
	json_store_free(&ost);
	return rc;
}
