/*
 * rulekinds.c: the built-in rule kinds (rules.h has their constructors). A
 * per-container kind is one function called for each container; the
 * engine (rules.c) walks the lists it names.
 */
#include <string.h>

#include "imageref.h"
#include "json.h"
#include "patch.h"
#include "rules.h"

#define NELEM(a)	(sizeof(a) / sizeof((a)[0]))

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
static void
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

const struct rule_kind rk_require_label = { "require-label", require_label, NULL, 0, RULE_VALIDATE };

static void
image_prefix_each(struct rule_ctx *rc, const struct rule *r, int c,
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
const struct rule_kind rk_image_prefix = {
	"image-prefix", NULL, image_prefix_each, RULES_ALL_CONTAINERS, RULE_VALIDATE
};

/* One image check: the parsed reference and the message being written. */
struct rules_imgcheck {
	struct imageref	 im;
	char		 ref[RULES_STR_MAX];
	char		 mem[RULES_MSG_MAX];
	struct buf	 m;
};

/*
 * Parses the image of container c into k: a reference we cannot read (not
 * a string, longer than RULES_STR_MAX) is invalid.
 */
static void
rules_image(struct rules_imgcheck *k, struct json *d, int c)
{
	long n = json_str_copy(d, json_get(d, c, "image"), k->ref, RULES_STR_MAX);

	imageref_parse(&k->im, k->ref, n > 0 ? (size_t)n : 0);
}

/* Starts k's message `container "name" image "image"` + what. */
static struct buf *
rules_image_msg(struct rules_imgcheck *k, struct json *d, int c, const char *what)
{
	buf_init(&k->m, k->mem, sizeof(k->mem));
	rules_msg_image(&k->m, d, c);
	buf_puts(&k->m, what);
	return &k->m;
}

static void
allowed_registries_each(struct rule_ctx *rc, const struct rule *r, int c,
    const char *list, int index)
{
	struct rules_imgcheck k;
	char name[RULES_STR_MAX + 16];
	struct buf nb, *m;
	const char *const *e;

	(void)list;
	(void)index;
	rules_image(&k, rc->rq->d, c);
	buf_init(&nb, name, sizeof(name));
	imageref_name(&k.im, &nb);
	for (e = r->arg.list; k.im.valid && !nb.overflow && e != NULL && *e != NULL; e++)
		if (imageref_under(nb.p, nb.len, *e))
			return;
	if (!k.im.valid) {
		m = rules_image_msg(&k, rc->rq->d, c, " is not a valid image reference");
	} else {
		m = rules_image_msg(&k, rc->rq->d, c, " is not from an allowed registry (");
		for (e = r->arg.list; e != NULL && *e != NULL; e++) {
			buf_puts(m, *e);
			buf_puts(m, e[1] != NULL ? ", " : "");
		}
		buf_putc(m, ')');
	}
	rules_report_buf(rc, r, m);
}

/*
 * allowed_registries (.list): every image must come from one of the listed
 * registries ("registry.example.com/", "registry.example.com:5000/",
 * "docker.io/library/"). Images without a registry part are docker.io ones.
 */
const struct rule_kind rk_allowed_registries = {
	"allowed-registries", NULL, allowed_registries_each, RULES_ALL_CONTAINERS, RULE_VALIDATE
};

static void
image_name_prefix_each(struct rule_ctx *rc, const struct rule *r, int c,
    const char *list, int index)
{
	struct rules_imgcheck k;
	size_t n = strlen(r->arg.s);
	struct buf *m;

	(void)list;
	(void)index;
	rules_image(&k, rc->rq->d, c);
	if (k.im.valid && k.im.pathn >= n && memcmp(k.im.path, r->arg.s, n) == 0)
		return;
	m = rules_image_msg(&k, rc->rq->d, c, " name does not start with ");
	rules_quote(m, r->arg.s, n);
	rules_report_buf(rc, r, m);
}

/*
 * image_name_prefix (.s): the repository path after the registry part
 * ("msalinasc_web" in "registry.example.com/msalinasc_web:1.0") must start
 * with the string.
 */
const struct rule_kind rk_image_name_prefix = {
	"image-name-prefix", NULL, image_name_prefix_each, RULES_ALL_CONTAINERS, RULE_VALIDATE
};

static void
no_latest_tag_each(struct rule_ctx *rc, const struct rule *r, int c,
    const char *list, int index)
{
	struct rules_imgcheck k;

	(void)list;
	(void)index;
	rules_image(&k, rc->rq->d, c);
	if (k.im.valid && (k.im.digest || (k.im.tag != NULL &&
	    !(k.im.tagn == 6 && memcmp(k.im.tag, "latest", 6) == 0))))
		return;
	rules_report_buf(rc, r, rules_image_msg(&k, rc->rq->d, c, k.im.valid ?
	    " has no tag or uses :latest; pin a version or digest" :
	    " is not a valid image reference"));
}

/*
 * no_latest_tag: an image needs a tag other than "latest" or a digest
 * ("nginx", "nginx:latest" fail; "nginx:1.27", "nginx@sha256:..." pass).
 */
const struct rule_kind rk_no_latest_tag = {
	"no-latest-tag", NULL, no_latest_tag_each, RULES_ALL_CONTAINERS, RULE_VALIDATE
};

/*
 * default_label (.kv): adds the label when the key is not there at all
 * (a present key keeps its value, even empty). Idempotent: the patched
 * object has the key.
 */
static void
default_label(struct rule_ctx *rc, const struct rule *r)
{
	if (rc->rq->object == JSON_NONE)
		return;
	if (json_get(rc->rq->d, rules_labels(rc), r->arg.kv.key) != JSON_NONE)
		return;
	rules_patch_label(rc, r->arg.kv.key, r->arg.kv.value);
}

const struct rule_kind rk_default_label = { "default-label", default_label, NULL, 0, (1u << MUTATE) };

static void
image_pull_policy_each(struct rule_ctx *rc, const struct rule *r, int c,
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
const struct rule_kind rk_image_pull_policy = {
	"image-pull-policy", NULL, image_pull_policy_each, RULES_INIT | RULES_MAIN, (1u << MUTATE)
};

static void
force_image_pull_policy_each(struct rule_ctx *rc, const struct rule *r, int c,
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
const struct rule_kind rk_force_image_pull_policy = {
	"force-image-pull-policy", NULL, force_image_pull_policy_each, RULES_INIT | RULES_MAIN, (1u << MUTATE)
};

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
static void
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

const struct rule_kind rk_add_image_pull_secret = { "add-image-pull-secret", add_image_pull_secret, NULL, 0, (1u << MUTATE) };

static void
no_privileged_each(struct rule_ctx *rc, const struct rule *r, int c,
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
const struct rule_kind rk_no_privileged = {
	"no-privileged", NULL, no_privileged_each, RULES_ALL_CONTAINERS, RULE_VALIDATE
};

/* no_host_namespaces: hostNetwork, hostPID and hostIPC stay unset/false. */
static void
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

const struct rule_kind rk_no_host_namespaces = { "no-host-namespaces", no_host_namespaces, NULL, 0, RULE_VALIDATE };

/* no_host_path: no volume of the PodSpec is a hostPath volume. */
static void
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

const struct rule_kind rk_no_host_path = { "no-host-path", no_host_path, NULL, 0, RULE_VALIDATE };

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
no_added_capabilities_each(struct rule_ctx *rc, const struct rule *r, int c,
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
	    cap != JSON_NONE && !rules_spent(rc, r); cap = json_next(d, cap)) {
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
const struct rule_kind rk_no_added_capabilities = {
	"no-added-capabilities", NULL, no_added_capabilities_each, RULES_ALL_CONTAINERS, RULE_VALIDATE
};

static void
run_as_non_root_each(struct rule_ctx *rc, const struct rule *r, int c,
    const char *list, int index)
{
	struct json *d = rc->rq->d;
	int v = json_getp(d, c, "securityContext.runAsNonRoot"), pod;
	char mem[RULES_MSG_MAX];
	struct buf m;

	(void)list;
	(void)index;
	/* The pod's value, read once per object (scratch: 1 false, 2 true). */
	if (rc->scratch == 0)
		rc->scratch = 1 + json_is_true(d, json_getp(d, rc->rq->pod,
		    "securityContext.runAsNonRoot"));
	pod = rc->scratch == 2;
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
const struct rule_kind rk_require_run_as_non_root = {
	"require-run-as-non-root", NULL, run_as_non_root_each, RULES_ALL_CONTAINERS, RULE_VALIDATE
};

static void
audit_images_each(struct rule_ctx *rc, const struct rule *r, int c,
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
const struct rule_kind rk_audit_images = {
	"images", NULL, audit_images_each, RULES_ALL_CONTAINERS, (1u << AUDIT)
};
