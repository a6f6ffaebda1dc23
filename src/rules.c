/*
 * rules.c: the policy engine (run a rule table, route reports to denial /
 * warnings / audit annotations, write patch operations) and the built-in
 * rule kinds policy files use. See rules.h for the policy API.
 */
#include <string.h>
#include <strings.h>

#include "json.h"
#include "patch.h"
#include "rules.h"

/* Room kept in the denial buffer for the "; ..." that marks a cut. */
#define RULES_DENY_SLACK	8

/*
 * The kinds pod rules apply to and where each keeps its PodSpec. To add a
 * kind: one line here and one bit in enum rules_workload.
 */
static const struct rules_kind rules_kind_table[] = {
	{ WL_POD, "", "Pod", "pods", "spec", "/spec" },
	{ WL_DEPLOYMENT, "apps", "Deployment", "deployments",
	  "spec.template.spec", "/spec/template/spec" },
	{ WL_REPLICASET, "apps", "ReplicaSet", "replicasets",
	  "spec.template.spec", "/spec/template/spec" },
	{ WL_STATEFULSET, "apps", "StatefulSet", "statefulsets",
	  "spec.template.spec", "/spec/template/spec" },
	{ WL_DAEMONSET, "apps", "DaemonSet", "daemonsets",
	  "spec.template.spec", "/spec/template/spec" },
	{ WL_JOB, "batch", "Job", "jobs",
	  "spec.template.spec", "/spec/template/spec" },
	{ WL_CRONJOB, "batch", "CronJob", "cronjobs",
	  "spec.jobTemplate.spec.template.spec",
	  "/spec/jobTemplate/spec/template/spec" },
	{ WL_REPLICATIONCONTROLLER, "", "ReplicationController",
	  "replicationcontrollers", "spec.template.spec", "/spec/template/spec" },
};

/* The container lists of a PodSpec, in the order rules visit them. */
static const struct {
	unsigned	 bit;
	const char	*name;
} rules_lists[] = {
	{ RULES_INIT, "initContainers" },
	{ RULES_MAIN, "containers" },
	{ RULES_EPHEMERAL, "ephemeralContainers" },
};

/* Names of the built-in kinds, for default audit annotation keys. */
static const struct {
	rule_fn		*fn;
	const char	*name;
} rules_names[] = {
	{ require_label, "require-label" },
	{ allowed_registries, "allowed-registries" },
	{ image_prefix, "image-prefix" },
	{ image_name_prefix, "image-name-prefix" },
	{ deny_latest_tag, "deny-latest-tag" },
	{ default_label, "default-label" },
	{ image_pull_policy, "image-pull-policy" },
	{ force_image_pull_policy, "force-image-pull-policy" },
	{ add_image_pull_secret, "add-image-pull-secret" },
	{ no_privileged, "no-privileged" },
	{ no_host_namespaces, "no-host-namespaces" },
	{ no_host_path, "no-host-path" },
	{ no_added_capabilities, "no-added-capabilities" },
	{ require_run_as_non_root, "require-run-as-non-root" },
	{ audit_images, "images" },
};

#define NELEM(a)	(sizeof(a) / sizeof((a)[0]))

/* The table of workload kinds (for manifests). */
const struct rules_kind *
rules_kinds(size_t *n)
{
	*n = NELEM(rules_kind_table);
	return rules_kind_table;
}

/*
 * The workload kind named by the GroupVersionKind object gvk
 * (request.kind), if its bit is in mask; else NULL. The group is compared
 * too, so a custom resource that happens to be called "Pod" is not read as
 * a PodSpec.
 */
const struct rules_kind *
rules_kind_find(struct json *d, int gvk, unsigned mask)
{
	const struct rules_kind *k;
	int kind = json_get(d, gvk, "kind"), group = json_get(d, gvk, "group");
	size_t i;

	for (i = 0; i < NELEM(rules_kind_table); i++) {
		k = &rules_kind_table[i];
		if (!(mask & (unsigned)k->wl) || !json_str_eq(d, kind, k->kind))
			continue;
		if (json_str_eq(d, group, k->group) ||
		    (k->group[0] == '\0' && group == JSON_NONE))
			return k;
	}
	return NULL;
}

/* The built-in name of fn ("require-label"), or NULL for a custom rule. */
const char *
rules_kind_name(rule_fn *fn)
{
	size_t i;

	for (i = 0; i < NELEM(rules_names); i++)
		if (rules_names[i].fn == fn)
			return rules_names[i].name;
	return NULL;
}

/*
 * Runs the rules of the table for one route: the MUTATE rules when mutate
 * is set, the DENY / WARN / AUDIT rules otherwise, in table order.
 */
void
rules_run(struct rule_ctx *rc, const struct rule *rules, size_t n, int mutate)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if ((rules[i].action == MUTATE) != (mutate != 0))
			continue;
		rc->rule_index = (int)i;
		rules[i].fn(rc, &rules[i]);
	}
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
	const char *key = rules_kind_name(r->fn);
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
		if (!(lists & rules_lists[l].bit))
			continue;
		arr = json_get(d, rc->rq->pod, rules_lists[l].name);
		if (json_type(d, arr) != JSON_ARRAY)
			continue;
		for (c = json_first(d, arr), i = 0; c != JSON_NONE;
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
static void
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
	int l = json_get(d, rc->rq->meta, "labels");

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
	int l = json_get(d, rc->rq->meta, "labels");
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

/* Starts message m with `container "name" image "image"`. */
static void
rules_msg_image(struct buf *m, struct json *d, int c)
{
	buf_puts(m, "container ");
	rules_put_quoted(m, d, json_get(d, c, "name"));
	buf_puts(m, " image ");
	rules_put_quoted(m, d, json_get(d, c, "image"));
}

/* Starts message m with `container "name"`. */
static void
rules_msg_container(struct buf *m, struct json *d, int c)
{
	buf_puts(m, "container ");
	rules_put_quoted(m, d, json_get(d, c, "name"));
}

/*
 * require_label (.s = key): the object's metadata.labels[key] must be a
 * non-empty string (an empty value counts as missing, as in the reference
 * Go webhook).
 */
void
require_label(struct rule_ctx *rc, const struct rule *r)
{
	char mem[RULES_MSG_MAX];
	struct buf m;
	int v;

	if (rc->rq->object == JSON_NONE)
		return;
	v = json_get(rc->rq->d, rules_labels(rc), r->arg.s);
	if (json_type(rc->rq->d, v) == JSON_STRING && !json_str_empty(rc->rq->d, v))
		return;
	buf_init(&m, mem, sizeof(mem));
	buf_puts(&m, "missing required label ");
	rules_quote(&m, r->arg.s, strlen(r->arg.s));
	rules_report_buf(rc, r, &m);
}

static void
image_prefix_one(struct rule_ctx *rc, const struct rule *r, int c,
    const char *list, int index)
{
	struct json *d = rc->rq->d;
	char mem[RULES_MSG_MAX];
	struct buf m;

	(void)list;
	(void)index;
	if (json_str_prefix(d, json_get(d, c, "image"), r->arg.s))
		return;
	buf_init(&m, mem, sizeof(mem));
	rules_msg_image(&m, d, c);
	buf_puts(&m, " is not from ");
	buf_puts(&m, r->arg.s);
	rules_report_buf(rc, r, &m);
}

/*
 * image_prefix (.s): every container image (init, regular, ephemeral) must
 * start with the string as written, like strings.HasPrefix in the reference
 * webhooks. allowed_registries is the stricter, reference-aware check.
 */
void
image_prefix(struct rule_ctx *rc, const struct rule *r)
{
	if (rc->rq->pod != JSON_NONE)
		rules_each_container(rc, r, RULES_ALL_CONTAINERS, image_prefix_one);
}

/* An image reference split the way container runtimes read it. */
struct rules_image {
	char		 ref[RULES_STR_MAX];	/* unescaped */
	const char	*host, *path, *tag;
	size_t		 hostn, pathn, tagn;
	int		 implicit_host;		/* no registry part: docker.io */
	int		 digest;		/* pinned with @sha256:... */
	int		 valid;
};

/* True when c may appear in an image reference (name, tag, digest). */
static int
rules_ref_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || strchr("._-/:@+", c) != NULL;
}

/*
 * True when the first path component s[0, n) names a registry host: it has
 * a '.' or ':' or is "localhost" or has uppercase letters (repository paths
 * cannot). This is how docker and containerd tell "registry.example.com/x"
 * from "library/x" (distribution/reference's splitDockerDomain).
 */
static int
rules_is_host(const char *s, size_t n)
{
	size_t i;

	if (n == 9 && memcmp(s, "localhost", 9) == 0)
		return 1;
	for (i = 0; i < n; i++)
		if (s[i] == '.' || s[i] == ':' || (s[i] >= 'A' && s[i] <= 'Z'))
			return 1;
	return 0;
}

/* Splits name[:tag] (after the host) into path and tag; checks the path. */
static void
rules_image_path(struct rules_image *im, const char *s, size_t n)
{
	const char *colon = memchr(s, ':', n);
	size_t i;

	im->path = s;
	im->pathn = colon != NULL ? (size_t)(colon - s) : n;
	if (colon != NULL) {
		im->tag = colon + 1;
		im->tagn = n - im->pathn - 1;
		if (im->tagn == 0 || memchr(im->tag, ':', im->tagn) != NULL ||
		    memchr(im->tag, '/', im->tagn) != NULL)
			return;
	}
	if (im->pathn == 0 || s[0] == '/' || s[im->pathn - 1] == '/')
		return;
	for (i = 0; i < im->pathn; i++)
		if (s[i] >= 'A' && s[i] <= 'Z')
			return;
	im->valid = 1;
}

/*
 * Parses image string v: [host[:port]/]path[:tag][@digest]. A reference we
 * cannot read (not a string, too long, odd characters, uppercase path) is
 * left with valid == 0 and rules treat it as a violation, never a pass.
 */
static void
rules_image_parse(struct rules_image *im, struct json *d, int v)
{
	long n = json_str_copy(d, v, im->ref, sizeof(im->ref));
	const char *s = im->ref, *at, *slash;
	size_t i;

	im->host = im->path = im->tag = NULL;
	im->hostn = im->pathn = im->tagn = 0;
	im->implicit_host = im->digest = im->valid = 0;
	if (n <= 0)
		return;
	for (i = 0; i < (size_t)n; i++)
		if (!rules_ref_char(s[i]))
			return;
	if ((at = memchr(s, '@', (size_t)n)) != NULL) {
		im->digest = 1;
		if (at + 1 == s + n || memchr(at + 1, '@', (size_t)(s + n - at - 1)))
			return;
		n = at - s;
	}
	slash = memchr(s, '/', (size_t)n);
	if (slash != NULL && rules_is_host(s, (size_t)(slash - s))) {
		im->host = s;
		im->hostn = (size_t)(slash - s);
		rules_image_path(im, slash + 1, (size_t)(s + n - slash - 1));
	} else {
		im->host = "docker.io";
		im->hostn = 9;
		im->implicit_host = 1;
		rules_image_path(im, s, (size_t)n);
	}
}

/*
 * Writes the normalized name of im: host (docker.io when implicit, also for
 * index.docker.io), "/", "library/" for official images, path.
 */
static void
rules_image_name(const struct rules_image *im, struct buf *b)
{
	if (im->hostn == 15 && strncasecmp(im->host, "index.docker.io", 15) == 0)
		buf_puts(b, "docker.io");
	else
		buf_put(b, im->host, im->hostn);
	buf_putc(b, '/');
	if (im->implicit_host && memchr(im->path, '/', im->pathn) == NULL)
		buf_puts(b, "library/");
	buf_put(b, im->path, im->pathn);
}

/*
 * True when normalized name s[0, n) is under entry e: e is a prefix that
 * ends at a path boundary ("registry.example.com/" or "docker.io/library"
 * but not "registry.example.com" for "registry.example.com.evil.io/x").
 * Hosts compare without case; valid paths are lowercase anyway.
 */
static int
rules_registry_match(const char *s, size_t n, const char *e)
{
	size_t k = strlen(e);

	if (k == 0 || k > n || strncasecmp(s, e, k) != 0)
		return 0;
	return e[k - 1] == '/' || k == n || s[k] == '/';
}

static void
allowed_registries_one(struct rule_ctx *rc, const struct rule *r, int c,
    const char *list, int index)
{
	struct json *d = rc->rq->d;
	struct rules_image im;
	char name[RULES_STR_MAX + 16], mem[RULES_MSG_MAX];
	struct buf nb, m;
	const char *const *e;

	(void)list;
	(void)index;
	rules_image_parse(&im, d, json_get(d, c, "image"));
	buf_init(&nb, name, sizeof(name));
	rules_image_name(&im, &nb);
	for (e = r->arg.list; im.valid && !nb.overflow && e != NULL && *e != NULL; e++)
		if (rules_registry_match(nb.p, nb.len, *e))
			return;
	buf_init(&m, mem, sizeof(mem));
	rules_msg_image(&m, d, c);
	if (!im.valid) {
		buf_puts(&m, " is not a valid image reference");
	} else {
		buf_puts(&m, " is not from an allowed registry (");
		for (e = r->arg.list; e != NULL && *e != NULL; e++) {
			buf_puts(&m, *e);
			buf_puts(&m, e[1] != NULL ? ", " : "");
		}
		buf_putc(&m, ')');
	}
	rules_report_buf(rc, r, &m);
}

/*
 * allowed_registries (.list): every image must come from one of the listed
 * registries ("registry.example.com/", "registry.example.com:5000/",
 * "docker.io/library/"). Images without a registry part are docker.io ones.
 */
void
allowed_registries(struct rule_ctx *rc, const struct rule *r)
{
	if (rc->rq->pod != JSON_NONE)
		rules_each_container(rc, r, RULES_ALL_CONTAINERS, allowed_registries_one);
}

static void
image_name_prefix_one(struct rule_ctx *rc, const struct rule *r, int c,
    const char *list, int index)
{
	struct json *d = rc->rq->d;
	struct rules_image im;
	char mem[RULES_MSG_MAX];
	struct buf m;
	size_t k = strlen(r->arg.s);

	(void)list;
	(void)index;
	rules_image_parse(&im, d, json_get(d, c, "image"));
	if (im.valid && im.pathn >= k && memcmp(im.path, r->arg.s, k) == 0)
		return;
	buf_init(&m, mem, sizeof(mem));
	rules_msg_image(&m, d, c);
	buf_puts(&m, " name does not start with ");
	rules_quote(&m, r->arg.s, k);
	rules_report_buf(rc, r, &m);
}

/*
 * image_name_prefix (.s): the repository path after the registry part
 * ("msalinasc_web" in "registry.example.com/msalinasc_web:1.0") must start
 * with the string.
 */
void
image_name_prefix(struct rule_ctx *rc, const struct rule *r)
{
	if (rc->rq->pod != JSON_NONE)
		rules_each_container(rc, r, RULES_ALL_CONTAINERS, image_name_prefix_one);
}

static void
deny_latest_tag_one(struct rule_ctx *rc, const struct rule *r, int c,
    const char *list, int index)
{
	struct json *d = rc->rq->d;
	struct rules_image im;
	char mem[RULES_MSG_MAX];
	struct buf m;

	(void)list;
	(void)index;
	rules_image_parse(&im, d, json_get(d, c, "image"));
	if (im.valid && (im.digest || (im.tag != NULL &&
	    !(im.tagn == 6 && memcmp(im.tag, "latest", 6) == 0))))
		return;
	buf_init(&m, mem, sizeof(mem));
	rules_msg_image(&m, d, c);
	buf_puts(&m, im.valid ? " has no tag or uses :latest; pin a version or digest" :
	    " is not a valid image reference");
	rules_report_buf(rc, r, &m);
}

/*
 * deny_latest_tag: an image needs a tag other than "latest" or a digest
 * ("nginx", "nginx:latest" fail; "nginx:1.27", "nginx@sha256:..." pass).
 */
void
deny_latest_tag(struct rule_ctx *rc, const struct rule *r)
{
	if (rc->rq->pod != JSON_NONE)
		rules_each_container(rc, r, RULES_ALL_CONTAINERS, deny_latest_tag_one);
}

/*
 * default_label (.kv): adds the label when the key is not there at all
 * (a present key keeps its value, even empty). Idempotent: the patched
 * object has the key.
 */
void
default_label(struct rule_ctx *rc, const struct rule *r)
{
	if (rc->rq->object == JSON_NONE)
		return;
	if (json_get(rc->rq->d, rules_labels(rc), r->arg.kv.key) != JSON_NONE)
		return;
	rules_patch_label(rc, r->arg.kv.key, r->arg.kv.value);
}

static void
image_pull_policy_one(struct rule_ctx *rc, const struct rule *r, int c,
    const char *list, int index)
{
	struct json *d = rc->rq->d;
	int v = json_get(d, c, "imagePullPolicy");

	if (json_type(d, v) == JSON_STRING && !json_str_empty(d, v))
		return;
	rules_patch_container(rc, list, index, "imagePullPolicy");
	json_put_cstr(&rc->patch->b, r->arg.s);
	patch_end(rc->patch);
}

/*
 * image_pull_policy (.s): sets imagePullPolicy on init and regular
 * containers that have none (ephemeral containers cannot be patched on the
 * pod itself).
 */
void
image_pull_policy(struct rule_ctx *rc, const struct rule *r)
{
	if (rc->rq->pod != JSON_NONE)
		rules_each_container(rc, r, RULES_INIT | RULES_MAIN, image_pull_policy_one);
}

static void
force_image_pull_policy_one(struct rule_ctx *rc, const struct rule *r, int c,
    const char *list, int index)
{
	if (json_str_eq(rc->rq->d, json_get(rc->rq->d, c, "imagePullPolicy"), r->arg.s))
		return;
	rules_patch_container(rc, list, index, "imagePullPolicy");
	json_put_cstr(&rc->patch->b, r->arg.s);
	patch_end(rc->patch);
}

/*
 * force_image_pull_policy (.s): every init and regular container gets the
 * policy (like the AlwaysPullImages admission plugin with "Always").
 */
void
force_image_pull_policy(struct rule_ctx *rc, const struct rule *r)
{
	if (rc->rq->pod != JSON_NONE)
		rules_each_container(rc, r, RULES_INIT | RULES_MAIN,
		    force_image_pull_policy_one);
}

/* True when the imagePullSecrets array arr names secret s. */
static int
rules_has_secret(struct json *d, int arr, const char *s)
{
	int e;

	for (e = json_first(d, arr); e != JSON_NONE; e = json_next(d, e))
		if (json_str_eq(d, json_get(d, e, "name"), s))
			return 1;
	return 0;
}

/*
 * add_image_pull_secret (.s): adds {"name": s} to the PodSpec's
 * imagePullSecrets, creating the list when absent or null.
 */
void
add_image_pull_secret(struct rule_ctx *rc, const struct rule *r)
{
	struct json *d = rc->rq->d;
	struct patch *p = rc->patch;
	int arr = json_get(d, rc->rq->pod, "imagePullSecrets");
	int whole = json_is_null(d, arr) && !rc->secrets_made;

	if (rc->rq->pod == JSON_NONE || (!whole && !rc->secrets_made &&
	    json_type(d, arr) != JSON_ARRAY) || rules_has_secret(d, arr, r->arg.s))
		return;
	patch_op(p, "add");
	patch_ptr(p, rc->rq->kind->ptr);
	patch_ptr(p, whole ? "/imagePullSecrets" : "/imagePullSecrets/-");
	patch_value(p);
	buf_puts(&p->b, whole ? "[{\"name\":" : "{\"name\":");
	json_put_cstr(&p->b, r->arg.s);
	buf_puts(&p->b, whole ? "}]" : "}");
	patch_end(p);
	rc->secrets_made = 1;
}

static void
no_privileged_one(struct rule_ctx *rc, const struct rule *r, int c,
    const char *list, int index)
{
	struct json *d = rc->rq->d;
	char mem[RULES_MSG_MAX];
	struct buf m;

	(void)list;
	(void)index;
	if (!json_is_true(d, json_getp(d, c, "securityContext.privileged")))
		return;
	buf_init(&m, mem, sizeof(mem));
	rules_msg_container(&m, d, c);
	buf_puts(&m, " must not be privileged (securityContext.privileged)");
	rules_report_buf(rc, r, &m);
}

/* no_privileged: no container sets securityContext.privileged: true. */
void
no_privileged(struct rule_ctx *rc, const struct rule *r)
{
	if (rc->rq->pod != JSON_NONE)
		rules_each_container(rc, r, RULES_ALL_CONTAINERS, no_privileged_one);
}

/* no_host_namespaces: hostNetwork, hostPID and hostIPC stay unset/false. */
void
no_host_namespaces(struct rule_ctx *rc, const struct rule *r)
{
	static const char *const ns[] = { "hostNetwork", "hostPID", "hostIPC" };
	char mem[RULES_MSG_MAX];
	struct buf m;
	size_t i;

	for (i = 0; i < NELEM(ns); i++) {
		if (!json_is_true(rc->rq->d, json_get(rc->rq->d, rc->rq->pod, ns[i])))
			continue;
		buf_init(&m, mem, sizeof(mem));
		buf_puts(&m, ns[i]);
		buf_puts(&m, " is not allowed");
		rules_report_buf(rc, r, &m);
	}
}

/* no_host_path: no volume of the PodSpec is a hostPath volume. */
void
no_host_path(struct rule_ctx *rc, const struct rule *r)
{
	struct json *d = rc->rq->d;
	int vols = json_get(d, rc->rq->pod, "volumes"), v;
	char mem[RULES_MSG_MAX];
	struct buf m;

	if (json_type(d, vols) != JSON_ARRAY)
		return;
	for (v = json_first(d, vols); v != JSON_NONE; v = json_next(d, v)) {
		if (json_is_null(d, json_get(d, v, "hostPath")))
			continue;
		buf_init(&m, mem, sizeof(mem));
		buf_puts(&m, "volume ");
		rules_put_quoted(&m, d, json_get(d, v, "name"));
		buf_puts(&m, " must not use hostPath");
		rules_report_buf(rc, r, &m);
	}
}

/* Capabilities the pod security "baseline" profile lets a container add. */
static const char *const rules_baseline_caps[] = {
	"AUDIT_WRITE", "CHOWN", "DAC_OVERRIDE", "FOWNER", "FSETID", "KILL",
	"MKNOD", "NET_BIND_SERVICE", "SETFCAP", "SETGID", "SETPCAP", "SETUID",
	"SYS_CHROOT", NULL
};

static int
rules_in_list(struct json *d, int v, const char *const *list)
{
	for (; *list != NULL; list++)
		if (json_str_eq(d, v, *list))
			return 1;
	return 0;
}

static void
no_added_capabilities_one(struct rule_ctx *rc, const struct rule *r, int c,
    const char *list, int index)
{
	struct json *d = rc->rq->d;
	const char *const *ok = r->arg.list != NULL ? r->arg.list : rules_baseline_caps;
	int add = json_getp(d, c, "securityContext.capabilities.add"), cap;
	char mem[RULES_MSG_MAX];
	struct buf m;

	(void)list;
	(void)index;
	for (cap = json_first(d, add); json_type(d, add) == JSON_ARRAY &&
	    cap != JSON_NONE; cap = json_next(d, cap)) {
		if (rules_in_list(d, cap, ok))
			continue;
		buf_init(&m, mem, sizeof(mem));
		rules_msg_container(&m, d, c);
		buf_puts(&m, " must not add capability ");
		rules_put_quoted(&m, d, cap);
		rules_report_buf(rc, r, &m);
	}
}

/*
 * no_added_capabilities (.list or NULL): securityContext.capabilities.add
 * holds only listed capabilities (NULL: the baseline profile's list).
 */
void
no_added_capabilities(struct rule_ctx *rc, const struct rule *r)
{
	if (rc->rq->pod != JSON_NONE)
		rules_each_container(rc, r, RULES_ALL_CONTAINERS,
		    no_added_capabilities_one);
}

static void
run_as_non_root_one(struct rule_ctx *rc, const struct rule *r, int c,
    const char *list, int index)
{
	struct json *d = rc->rq->d;
	int v = json_getp(d, c, "securityContext.runAsNonRoot");
	int pod = json_is_true(d, json_getp(d, rc->rq->pod,
	    "securityContext.runAsNonRoot"));
	char mem[RULES_MSG_MAX];
	struct buf m;

	(void)list;
	(void)index;
	if (json_is_true(d, v) || (pod && json_is_null(d, v)))
		return;
	buf_init(&m, mem, sizeof(mem));
	rules_msg_container(&m, d, c);
	buf_puts(&m, " must set securityContext.runAsNonRoot to true");
	rules_report_buf(rc, r, &m);
}

/*
 * require_run_as_non_root: runAsNonRoot is true on the pod (and not turned
 * off by a container) or on every container.
 */
void
require_run_as_non_root(struct rule_ctx *rc, const struct rule *r)
{
	if (rc->rq->pod != JSON_NONE)
		rules_each_container(rc, r, RULES_ALL_CONTAINERS, run_as_non_root_one);
}

static void
audit_images_one(struct rule_ctx *rc, const struct rule *r, int c,
    const char *list, int index)
{
	struct json *d = rc->rq->d;
	char img[RULES_STR_MAX];
	long n = json_str_copy(d, json_get(d, c, "image"), img, sizeof(img));

	(void)list;
	(void)index;
	rules_report(rc, r, img, n < 0 ? strlen(img) : (size_t)n);
}

/*
 * audit_images: reports every container image (use with AUDIT: one
 * annotation "images" listing them, joined by "; ").
 */
void
audit_images(struct rule_ctx *rc, const struct rule *r)
{
	if (rc->rq->pod != JSON_NONE)
		rules_each_container(rc, r, RULES_ALL_CONTAINERS, audit_images_one);
}
