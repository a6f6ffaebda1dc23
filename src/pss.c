/*
 * pss.c: the checks of the Pod Security Standards, one function per
 * PodSecurity check (k8s.io/pod-security-admission policy/check_*.go at
 * Kubernetes v1.36, newest version of each), evaluated by pss_evaluate() in
 * PodSecurity's order. See pss.h.
 *
 * Order (policy/registry.go): the baseline check IDs sorted as Go strings,
 * then the restricted check IDs sorted; at restricted, the baseline checks a
 * restricted check overrides are left out (capabilities_baseline,
 * hostPathVolumes, procMount and seccompProfile_baseline).
 *
 * Wording (policy/helpers.go): a list of names is joinQuote'd ("a", "b":
 * plain quotes, no escaping), "container"/"containers" and "uses"/"use"
 * follow the count, and a set (sets.String) is deduplicated and sorted
 * bytewise as Go sorts strings. Names are unescaped JSON strings; the
 * denial writer escapes the whole message once.
 *
 * Cost: every check walks the pod once; each list is at most PSS_ITEMS_MAX
 * long, so deduplication and sorting are bounded, and an evaluation is
 * linear in the size of the pod.
 */
#include <string.h>

#include "json.h"
#include "limit.h"
#include "pss.h"
#include "rules.h"

#define NELEM(a)	(sizeof(a) / sizeof((a)[0]))

/* container.apparmor.security.beta.kubernetes.io/<container name> */
#define PSS_APPARMOR_PREFIX	"container.apparmor.security.beta.kubernetes.io/"

/*
 * Containers whose members the checks read (enum pss_field) are looked up
 * in one pass per evaluation rather than once per check: a container object
 * has a dozen members and nearly every check reads one. Containers past
 * PSS_VIEW_MAX (limit.h) are looked up each time: slower, the same answers.
 */
enum pss_field {
	PSS_F_SC,
	PSS_F_NAME,
	PSS_F_PORTS,
	PSS_F_LIVENESS,
	PSS_F_READINESS,
	PSS_F_STARTUP,
	PSS_F_LIFECYCLE,
	NUM_PSS_FIELDS
};

static const char *const pss_field_names[NUM_PSS_FIELDS] = {
	[PSS_F_SC] = "securityContext",
	[PSS_F_NAME] = "name",
	[PSS_F_PORTS] = "ports",
	[PSS_F_LIVENESS] = "livenessProbe",
	[PSS_F_READINESS] = "readinessProbe",
	[PSS_F_STARTUP] = "startupProbe",
	[PSS_F_LIFECYCLE] = "lifecycle",
};

/* What one evaluation reads everywhere. */
struct pss_eval {
	struct json	*d;
	int		 pod;
	int		 meta;
	int		 sc;		/* spec.securityContext, JSON_NONE if not an object */
	int		 lists[3];	/* initContainers, containers, ephemeralContainers */
	int		 view[PSS_VIEW_MAX][NUM_PSS_FIELDS];	/* see PSS_VIEW_MAX */
	int		 nview;
	int		 windows;	/* spec.os.name == "windows" */
	int		 userns;	/* spec.hostUsers == false */
	struct buf	*out;
	int		 nviol;
};

/* Where pss_next() is: list index (-1 before the first), container, ordinal. */
struct pss_cursor {
	int	list;
	int	c;
	int	i;
};

#define PSS_CURSOR	{ -1, JSON_NONE, -1 }

/*
 * A list of strings in a fixed pool: the names, values and hosts a check
 * collects before it writes them. Items that do not fit are counted in more
 * and written as "...".
 */
struct pss_strs {
	char		 pool[PSS_POOL_MAX];
	size_t		 used;
	uint16_t	 off[PSS_ITEMS_MAX];
	uint16_t	 len[PSS_ITEMS_MAX];
	int		 n;
	int		 more;
};

/* --- small helpers ------------------------------------------------------ */

static void
pss_strs_init(struct pss_strs *s)
{
	s->used = 0;
	s->n = 0;
	s->more = 0;
}

/* Items counted for "container"/"containers": stored and cut ones. */
static int
pss_strs_count(const struct pss_strs *s)
{
	return s->n + s->more;
}

static int
pss_strs_has(const struct pss_strs *s, const char *p, size_t n)
{
	int i;

	for (i = 0; i < s->n; i++)
		if (s->len[i] == n && memcmp(s->pool + s->off[i], p, n) == 0)
			return 1;
	return 0;
}

/* Appends p[0, n); a set (uniq) keeps one copy of each string. */
static void
pss_strs_add(struct pss_strs *s, const char *p, size_t n, int uniq)
{
	if (uniq && pss_strs_has(s, p, n))
		return;
	if (s->n == PSS_ITEMS_MAX || n > sizeof(s->pool) - s->used) {
		s->more++;
		return;
	}
	memcpy(s->pool + s->used, p, n);
	s->off[s->n] = (uint16_t)s->used;
	s->len[s->n] = (uint16_t)n;
	s->used += n;
	s->n++;
}

/*
 * Appends the unescaped string v; anything but a string is Go's zero value
 * "" (what a typed decode leaves for null or a missing field).
 */
static void
pss_strs_add_json(struct pss_strs *s, struct json *d, int v, int uniq)
{
	char tmp[RULES_STR_MAX];
	long n = json_str_copy(d, v, tmp, sizeof(tmp));

	if (n == -2)
		n = (long)strlen(tmp);
	pss_strs_add(s, tmp, n < 0 ? 0 : (size_t)n, uniq);
}

/* Go's string order: bytewise, a prefix first. */
static int
pss_strs_less(const struct pss_strs *s, int a, int b)
{
	size_t n = s->len[a] < s->len[b] ? s->len[a] : s->len[b];
	int c = memcmp(s->pool + s->off[a], s->pool + s->off[b], n);

	return c < 0 || (c == 0 && s->len[a] < s->len[b]);
}

/* Sorts the items (insertion sort: at most PSS_ITEMS_MAX of them). */
static void
pss_strs_sort(struct pss_strs *s)
{
	uint16_t o, l;
	int i, j;

	for (i = 1; i < s->n; i++) {
		for (j = i; j > 0 && pss_strs_less(s, j, j - 1); j--) {
			o = s->off[j], l = s->len[j];
			s->off[j] = s->off[j - 1], s->len[j] = s->len[j - 1];
			s->off[j - 1] = o, s->len[j - 1] = l;
		}
	}
}

/* Writes the items joined by sep, each between q and q (q: "" or "\""). */
static void
pss_put_join(struct buf *b, const struct pss_strs *s, const char *sep,
    const char *q)
{
	int i;

	for (i = 0; i < s->n; i++) {
		if (i > 0)
			buf_puts(b, sep);
		buf_puts(b, q);
		buf_put(b, s->pool + s->off[i], s->len[i]);
		buf_puts(b, q);
	}
	if (s->more > 0)
		buf_puts(b, s->n > 0 ? ", ..." : "...");
}

/* joinQuote(): "a", "b". */
static void
pss_put_quoted(struct buf *b, const struct pss_strs *s)
{
	pss_put_join(b, s, ", ", "\"");
}

static const char *
pss_plural(int n, const char *one, const char *many)
{
	return n == 1 ? one : many;
}

/* `container "a"` or `containers "a", "b"`. */
static void
pss_put_containers(struct buf *b, const struct pss_strs *s)
{
	buf_puts(b, pss_plural(pss_strs_count(s), "container ", "containers "));
	pss_put_quoted(b, s);
}

/* Opens one violation: ", " between checks, then `reason (`. */
static void
pss_violation(struct pss_eval *e, const char *reason)
{
	if (e->nviol++ > 0)
		buf_puts(e->out, ", ");
	buf_puts(e->out, reason);
	buf_puts(e->out, " (");
}

static void
pss_violation_end(struct pss_eval *e)
{
	buf_putc(e->out, ')');
}

/* Joins the setters of a check (`pod and containers "a"`) with " and ". */
static void
pss_put_setters(struct buf *b, int pod, const struct pss_strs *ctrs)
{
	if (pod)
		buf_puts(b, "pod");
	if (pod && pss_strs_count(ctrs) > 0)
		buf_puts(b, " and ");
	if (pss_strs_count(ctrs) > 0)
		pss_put_containers(b, ctrs);
}

/*
 * The next container object after k, in PodSecurity's visit order
 * (policy/visitor.go): initContainers, containers, ephemeralContainers.
 * Returns 0 after the last.
 */
static int
pss_next(const struct pss_eval *e, struct pss_cursor *k)
{
	if (k->list >= 0)
		k->c = json_next(e->d, k->c);
	for (;;) {
		while (k->c != JSON_NONE && json_type(e->d, k->c) != JSON_OBJECT)
			k->c = json_next(e->d, k->c);
		if (k->c != JSON_NONE) {
			k->i++;
			return 1;
		}
		if (++k->list >= (int)NELEM(e->lists))
			return 0;
		k->c = json_first(e->d, e->lists[k->list]);
	}
}

/* Member key of object v when v is an object, else JSON_NONE. */
static int
pss_obj(struct json *d, int v, const char *key)
{
	int o = json_get(d, v, key);

	return json_type(d, o) == JSON_OBJECT ? o : JSON_NONE;
}

/*
 * Fills f with the members of container c named by pss_field_names, in one
 * pass; the last of duplicate keys wins, as with json_get. Keys are told
 * apart by their first raw byte before they are compared (an escaped key
 * is always compared).
 */
static void
pss_view(struct json *d, int c, int *f)
{
	const char *r;
	size_t i, rn;
	int k;

	for (i = 0; i < NUM_PSS_FIELDS; i++)
		f[i] = JSON_NONE;
	for (k = json_first(d, c); k != JSON_NONE; k = json_next(d, k)) {
		if ((r = json_raw(d, k, &rn)) == NULL || rn == 0)
			continue;
		for (i = 0; i < NUM_PSS_FIELDS; i++)
			if ((r[0] == '\\' || r[0] == pss_field_names[i][0]) &&
			    json_str_eq(d, k, pss_field_names[i])) {
				f[i] = k + 1;
				break;
			}
	}
}

/* Member f of the container at k. */
static int
pss_field(const struct pss_eval *e, const struct pss_cursor *k, enum pss_field f)
{
	if (k->i < e->nview)
		return e->view[k->i][f];
	return json_get(e->d, k->c, pss_field_names[f]);
}

/* The securityContext object of the container at k, or JSON_NONE (Go: nil). */
static int
pss_csc(const struct pss_eval *e, const struct pss_cursor *k)
{
	int v = pss_field(e, k, PSS_F_SC);

	return json_type(e->d, v) == JSON_OBJECT ? v : JSON_NONE;
}

/* The name of the container at k. */
static int
pss_name(const struct pss_eval *e, const struct pss_cursor *k)
{
	return pss_field(e, k, PSS_F_NAME);
}

/* Go's *bool == false: an explicit false (null and absent are nil). */
static int
pss_is_false(const struct json *d, int v)
{
	return json_type(d, v) == JSON_BOOL && !json_is_true(d, v);
}

/* Whether v is one of the strings of set (NULL-terminated). */
static int
pss_in(struct json *d, int v, const char *const *set)
{
	for (; *set != NULL; set++)
		if (json_str_eq(d, v, *set))
			return 1;
	return 0;
}

/* runAsUser == 0 (an integer 0; null and absent are nil). */
static int
pss_is_root(const struct json *d, int v)
{
	long long n;

	return json_int(d, v, &n) && n == 0;
}

/* --- baseline checks ---------------------------------------------------- */

/* Allowed appArmorProfile.type values (check_appArmorProfile.go). */
static const char *const pss_apparmor_types[] = { "RuntimeDefault", "Localhost", NULL };

/* Annotation values allowed: "", runtime/default, localhost/<profile>. */
static int
pss_apparmor_value_ok(struct json *d, int v)
{
	return json_type(d, v) != JSON_STRING || json_str_empty(d, v) ||
	    json_str_eq(d, v, "runtime/default") || json_str_prefix(d, v, "localhost/");
}


/*
 * Writes "container.apparmor.security.beta.kubernetes.io/<name>" into
 * key[PSS_APPARMOR_KEY]; returns its length, or 0 when there is no name or one
 * longer than any valid container name (no such annotation can exist).
 */
#define PSS_APPARMOR_KEY	(sizeof(PSS_APPARMOR_PREFIX) + PSS_NAME_MAX)

static size_t
pss_apparmor_key(struct json *d, int name, char *key)
{
	size_t k = sizeof(PSS_APPARMOR_PREFIX) - 1;
	long n;

	memcpy(key, PSS_APPARMOR_PREFIX, k);
	n = json_str_copy(d, name, key + k, PSS_APPARMOR_KEY - k);
	return n > 0 ? k + (size_t)n : 0;
}

/*
 * The apiserver's annotation <-> field copy for the container named name before any
 * validating admission (applyAppArmorVersionSkew; not on Windows pods):
 * without the annotation, an Unconfined field (the container's, else the
 * pod's) gains the annotation "unconfined"; with the annotation "unconfined"
 * and no field, the container gains type Unconfined unless the pod has it
 * already. Other values copy to allowed ones and change no verdict or
 * message, so only Unconfined is followed here. cp and pp: the container's
 * and the pod's appArmorProfile.
 */
static void
pss_apparmor_sync(const struct pss_eval *e, int ann, int name, int cp, int pp,
    struct pss_strs *ctrs, struct pss_strs *types, struct pss_strs *anns)
{
	static const char unconfined[] = "=\"unconfined\"";
	struct json *d = e->d;
	char key[PSS_APPARMOR_KEY + sizeof(unconfined)];
	size_t n = pss_apparmor_key(d, name, key);
	int eff = json_is_null(d, cp) ? pp : cp, v;

	if (n == 0 || e->windows)
		return;
	v = json_get(d, ann, key);
	if (v == JSON_NONE) {
		if (!json_str_eq(d, json_get(d, eff, "type"), "Unconfined"))
			return;
		memcpy(key + n, unconfined, sizeof(unconfined));
		pss_strs_add(anns, key, n + sizeof(unconfined) - 1, 1);
	} else if (json_is_null(d, cp) && json_str_eq(d, v, "unconfined") &&
	    !json_str_eq(d, json_get(d, pp, "type"), "Unconfined")) {
		pss_strs_add_json(ctrs, d, name, 0);
		pss_strs_add(types, "Unconfined", 10, 1);
	}
}

/*
 * The forbidden AppArmor annotations: key="value" (value Go-%q-quoted) of
 * every container.apparmor.security.beta.kubernetes.io/ annotation whose
 * value is not allowed. A key given twice counts once, with its last value,
 * as Go decodes it.
 */
static void
pss_apparmor_annotations(const struct pss_eval *e, int ann, struct pss_strs *anns)
{
	struct json *d = e->d;
	char key[RULES_STR_MAX], mem[RULES_STR_MAX * 2];
	struct buf m;
	long n;
	int k;

	for (k = json_first(d, ann); k != JSON_NONE; k = json_next(d, k)) {
		if (!json_str_prefix(d, k, PSS_APPARMOR_PREFIX) ||
		    pss_apparmor_value_ok(d, k + 1))
			continue;
		n = json_str_copy(d, k, key, sizeof(key));
		if (n >= 0 && json_get(d, ann, key) != k + 1)
			continue;	/* a later duplicate wins */
		buf_init(&m, mem, sizeof(mem));
		buf_puts(&m, key);
		buf_putc(&m, '=');
		rules_put_quoted(&m, d, k + 1);
		pss_strs_add(anns, m.p, m.len, 1);
	}
}

/*
 * appArmorProfile (baseline): the pod's and every container's
 * securityContext.appArmorProfile.type is RuntimeDefault or Localhost, and
 * no AppArmor annotation is other than runtime/default or localhost/<profile>.
 */
static void
pss_app_armor_profile(struct pss_eval *e)
{
	struct pss_strs ctrs, types, anns;
	struct json *d = e->d;
	struct pss_cursor k = PSS_CURSOR;
	int pp = json_get(d, e->sc, "appArmorProfile"), cp, pod = 0;
	int ann = pss_obj(d, e->meta, "annotations"), nann, nvals;

	pss_strs_init(&ctrs), pss_strs_init(&types), pss_strs_init(&anns);
	if (!json_is_null(d, pp) && !pss_in(d, json_get(d, pp, "type"), pss_apparmor_types)) {
		pod = 1;
		pss_strs_add_json(&types, d, json_get(d, pp, "type"), 1);
	}
	while (pss_next(e, &k)) {
		cp = json_get(d, pss_csc(e, &k), "appArmorProfile");
		if (!json_is_null(d, cp) && !pss_in(d, json_get(d, cp, "type"), pss_apparmor_types)) {
			pss_strs_add_json(&ctrs, d, pss_name(e, &k), 0);
			pss_strs_add_json(&types, d, json_get(d, cp, "type"), 1);
		}
		pss_apparmor_sync(e, ann, pss_name(e, &k), cp, json_is_null(d, pp) ? JSON_NONE : pp,
		    &ctrs, &types, &anns);
	}
	pss_apparmor_annotations(e, ann, &anns);
	nann = pss_strs_count(&anns);
	nvals = pss_strs_count(&types) + nann;
	if (nvals == 0)
		return;
	pss_strs_sort(&types);
	pss_strs_sort(&anns);
	pss_violation(e, pss_plural(nvals, "forbidden AppArmor profile",
	    "forbidden AppArmor profiles"));
	pss_put_setters(e->out, pod, &ctrs);
	if (nann > 0) {
		buf_puts(e->out, pod || pss_strs_count(&ctrs) > 0 ? " and " : "");
		buf_puts(e->out, pss_plural(nann, "annotation", "annotations"));
	}
	buf_puts(e->out, " must not set AppArmor profile type to ");
	pss_put_quoted(e->out, &types);
	buf_puts(e->out, pss_strs_count(&types) > 0 && nann > 0 ? ", " : "");
	pss_put_quoted(e->out, &anns);
	pss_violation_end(e);
}

/* Capabilities a baseline container may add (check_capabilities_baseline.go). */
static const char *const pss_baseline_caps[] = {
	"AUDIT_WRITE", "CHOWN", "DAC_OVERRIDE", "FOWNER", "FSETID", "KILL",
	"MKNOD", "NET_BIND_SERVICE", "SETFCAP", "SETGID", "SETPCAP", "SETUID",
	"SYS_CHROOT", NULL
};

/*
 * capabilities_baseline: securityContext.capabilities.add holds only the
 * baseline set, compared exactly ("chown" and "CAP_CHOWN" are not CHOWN).
 */
static void
pss_capabilities_baseline(struct pss_eval *e)
{
	struct pss_strs ctrs, caps;
	struct json *d = e->d;
	struct pss_cursor k = PSS_CURSOR;
	int add, v, bad;

	pss_strs_init(&ctrs), pss_strs_init(&caps);
	while (pss_next(e, &k)) {
		add = json_get(d, pss_obj(d, pss_csc(e, &k), "capabilities"), "add");
		bad = 0;
		for (v = json_first(d, add); json_type(d, add) == JSON_ARRAY &&
		    v != JSON_NONE; v = json_next(d, v)) {
			if (pss_in(d, v, pss_baseline_caps))
				continue;
			bad = 1;
			pss_strs_add_json(&caps, d, v, 1);
		}
		if (bad)
			pss_strs_add_json(&ctrs, d, pss_name(e, &k), 0);
	}
	if (pss_strs_count(&ctrs) == 0)
		return;
	pss_strs_sort(&caps);
	pss_violation(e, "non-default capabilities");
	pss_put_containers(e->out, &ctrs);
	buf_puts(e->out, " must not include ");
	pss_put_quoted(e->out, &caps);
	buf_puts(e->out, " in securityContext.capabilities.add");
	pss_violation_end(e);
}

/*
 * hostNamespaces: hostNetwork, hostPID, hostIPC unset or false. The detail
 * is a sorted set: hostIPC, hostNetwork, hostPID is already Go's order.
 */
static void
pss_host_namespaces(struct pss_eval *e)
{
	static const char *const ns[] = { "hostIPC", "hostNetwork", "hostPID" };
	size_t i;
	int n = 0;

	for (i = 0; i < NELEM(ns); i++) {
		if (!json_is_true(e->d, json_get(e->d, e->pod, ns[i])))
			continue;
		if (n++ == 0)
			pss_violation(e, "host namespaces");
		else
			buf_puts(e->out, ", ");
		buf_puts(e->out, ns[i]);
		buf_puts(e->out, "=true");
	}
	if (n > 0)
		pss_violation_end(e);
}

/* hostPathVolumes (baseline only; restricted has restrictedVolumes). */
static void
pss_host_path_volumes(struct pss_eval *e)
{
	struct pss_strs vols;
	struct json *d = e->d;
	int arr = json_get(d, e->pod, "volumes"), v;

	pss_strs_init(&vols);
	for (v = json_first(d, arr); json_type(d, arr) == JSON_ARRAY && v != JSON_NONE;
	    v = json_next(d, v))
		if (!json_is_null(d, json_get(d, v, "hostPath")))
			pss_strs_add_json(&vols, d, json_get(d, v, "name"), 0);
	if (pss_strs_count(&vols) == 0)
		return;
	pss_violation(e, "hostPath volumes");
	buf_puts(e->out, pss_plural(pss_strs_count(&vols), "volume ", "volumes "));
	pss_put_quoted(e->out, &vols);
	pss_violation_end(e);
}

/*
 * Adds hostPort p to set ports as strconv.Itoa writes it; returns whether p
 * is set (an integer other than 0; another non-null value the apiserver
 * would have refused counts too, written as its JSON text).
 */
static int
pss_host_port(struct json *d, int p, struct pss_strs *ports)
{
	char num[24];
	struct buf b;
	const char *raw;
	long long n;
	size_t len;

	if (json_is_null(d, p) || (json_int(d, p, &n) && n == 0))
		return 0;
	buf_init(&b, num, sizeof(num));
	if (json_int(d, p, &n)) {
		if (n < 0)
			buf_putc(&b, '-');
		buf_put_u64(&b, n < 0 ? (uint64_t)0 - (uint64_t)n : (uint64_t)n);
		pss_strs_add(ports, b.p, b.len, 1);
	} else if ((raw = json_raw(d, p, &len)) != NULL)
		pss_strs_add(ports, raw, len, 1);
	return 1;
}

/* hostPorts: no container port sets hostPort. */
static void
pss_host_ports(struct pss_eval *e)
{
	struct pss_strs ctrs, ports;
	struct json *d = e->d;
	struct pss_cursor k = PSS_CURSOR;
	int arr, p, bad, nc;

	pss_strs_init(&ctrs), pss_strs_init(&ports);
	while (pss_next(e, &k)) {
		arr = pss_field(e, &k, PSS_F_PORTS);
		bad = 0;
		for (p = json_first(d, arr); json_type(d, arr) == JSON_ARRAY &&
		    p != JSON_NONE; p = json_next(d, p))
			bad |= pss_host_port(d, json_get(d, p, "hostPort"), &ports);
		if (bad)
			pss_strs_add_json(&ctrs, d, pss_name(e, &k), 0);
	}
	if ((nc = pss_strs_count(&ctrs)) == 0)
		return;
	pss_strs_sort(&ports);
	pss_violation(e, "hostPort");
	pss_put_containers(e->out, &ctrs);
	buf_puts(e->out, pss_plural(nc, " uses ", " use "));
	buf_puts(e->out, pss_plural(pss_strs_count(&ports), "hostPort ", "hostPorts "));
	pss_put_join(e->out, &ports, ", ", "");
	pss_violation_end(e);
}

/* Adds the non-empty httpGet.host and tcpSocket.host of handler h to hosts. */
static int
pss_handler_hosts(struct json *d, int h, struct pss_strs *hosts)
{
	static const char *const probe_kinds[] = { "httpGet", "tcpSocket" };
	size_t i;
	int host, bad = 0;

	for (i = 0; i < NELEM(probe_kinds); i++) {
		host = json_get(d, pss_obj(d, h, probe_kinds[i]), "host");
		if (json_type(d, host) != JSON_STRING || json_str_empty(d, host))
			continue;
		bad = 1;
		pss_strs_add_json(hosts, d, host, 1);
	}
	return bad;
}

/*
 * hostProbesAndHostLifecycle (baseline, v1.34): probes and lifecycle
 * handlers set no host. Containers and hosts are both sorted sets here.
 */
static void
pss_host_probes(struct pss_eval *e)
{
	static const enum pss_field probes[] = { PSS_F_LIVENESS, PSS_F_READINESS, PSS_F_STARTUP };
	static const char *const hooks[] = { "postStart", "preStop" };
	struct pss_strs ctrs, hosts;
	struct json *d = e->d;
	struct pss_cursor k = PSS_CURSOR;
	int bad, lc, nc;
	size_t i;

	pss_strs_init(&ctrs), pss_strs_init(&hosts);
	while (pss_next(e, &k)) {
		bad = 0;
		for (i = 0; i < NELEM(probes); i++)
			bad |= pss_handler_hosts(d, pss_field(e, &k, probes[i]), &hosts);
		lc = pss_field(e, &k, PSS_F_LIFECYCLE);
		for (i = 0; i < NELEM(hooks); i++)
			bad |= pss_handler_hosts(d, pss_obj(d, lc, hooks[i]), &hosts);
		if (bad)
			pss_strs_add_json(&ctrs, d, pss_name(e, &k), 1);
	}
	if ((nc = pss_strs_count(&ctrs)) == 0)
		return;
	pss_strs_sort(&ctrs);
	pss_strs_sort(&hosts);
	pss_violation(e, "probe or lifecycle host");
	pss_put_containers(e->out, &ctrs);
	buf_puts(e->out, pss_plural(nc, " uses ", " use "));
	buf_puts(e->out, pss_plural(pss_strs_count(&hosts), "probe or lifecycle host ",
	    "probe or lifecycle hosts "));
	pss_put_quoted(e->out, &hosts);
	pss_violation_end(e);
}

/* privileged: no container sets securityContext.privileged=true. */
static void
pss_privileged(struct pss_eval *e)
{
	struct pss_strs ctrs;
	struct pss_cursor k = PSS_CURSOR;

	pss_strs_init(&ctrs);
	while (pss_next(e, &k))
		if (json_is_true(e->d, json_get(e->d, pss_csc(e, &k), "privileged")))
			pss_strs_add_json(&ctrs, e->d, pss_name(e, &k), 0);
	if (pss_strs_count(&ctrs) == 0)
		return;
	pss_violation(e, "privileged");
	pss_put_containers(e->out, &ctrs);
	buf_puts(e->out, " must not set securityContext.privileged=true");
	pss_violation_end(e);
}

/*
 * procMount: securityContext.procMount unset or "Default". The baseline
 * check (v1.35) allows any value in a user namespace (spec.hostUsers:
 * false); the restricted one (procMount_restricted, v1.35) never does.
 */
static void
pss_proc_mount(struct pss_eval *e, int relax)
{
	struct pss_strs ctrs, types;
	struct json *d = e->d;
	struct pss_cursor k = PSS_CURSOR;
	int pm;

	if (relax && e->userns)
		return;
	pss_strs_init(&ctrs), pss_strs_init(&types);
	while (pss_next(e, &k)) {
		pm = json_get(d, pss_csc(e, &k), "procMount");
		if (json_is_null(d, pm) || json_str_eq(d, pm, "Default"))
			continue;
		pss_strs_add_json(&ctrs, d, pss_name(e, &k), 0);
		pss_strs_add_json(&types, d, pm, 1);
	}
	if (pss_strs_count(&ctrs) == 0)
		return;
	pss_strs_sort(&types);
	pss_violation(e, "procMount");
	pss_put_containers(e->out, &ctrs);
	buf_puts(e->out, " must not set securityContext.procMount to ");
	pss_put_quoted(e->out, &types);
	pss_violation_end(e);
}

static void
pss_proc_mount_baseline(struct pss_eval *e)
{
	pss_proc_mount(e, 1);
}

static void
pss_proc_mount_restricted(struct pss_eval *e)
{
	pss_proc_mount(e, 0);
}

/* SELinux types allowed since policy v1.31 (check_seLinuxOptions.go). */
static const char *const pss_selinux_types[] = {
	"", "container_t", "container_init_t", "container_kvm_t", "container_engine_t", NULL
};

/* What the seLinuxOptions objects of a pod set that baseline forbids. */
struct pss_selinux {
	struct pss_strs	types;
	int		user, role;
};

/* Returns whether seLinuxOptions o is forbidden, noting why in s. */
static int
pss_selinux_bad(struct json *d, int o, struct pss_selinux *s)
{
	int t = json_get(d, o, "type"), u = json_get(d, o, "user"), r = json_get(d, o, "role");
	int bad = 0;

	if (!(json_type(d, t) != JSON_STRING ? 1 : pss_in(d, t, pss_selinux_types))) {
		bad = 1;
		pss_strs_add_json(&s->types, d, t, 1);
	}
	if (json_type(d, u) == JSON_STRING && !json_str_empty(d, u))
		bad = s->user = 1;
	if (json_type(d, r) == JSON_STRING && !json_str_empty(d, r))
		bad = s->role = 1;
	return bad;
}

/*
 * seLinuxOptions: type one of pss_selinux_types, user and role unset, on
 * the pod and every container.
 */
static void
pss_selinux_options(struct pss_eval *e)
{
	struct pss_selinux s;
	struct pss_strs ctrs;
	struct json *d = e->d;
	struct pss_cursor k = PSS_CURSOR;
	int o, pod = 0, n = 0;

	pss_strs_init(&s.types), pss_strs_init(&ctrs);
	s.user = s.role = 0;
	o = pss_obj(d, e->sc, "seLinuxOptions");
	if (o != JSON_NONE && pss_selinux_bad(d, o, &s))
		pod = 1;
	while (pss_next(e, &k)) {
		o = pss_obj(d, pss_csc(e, &k), "seLinuxOptions");
		if (o != JSON_NONE && pss_selinux_bad(d, o, &s))
			pss_strs_add_json(&ctrs, d, pss_name(e, &k), 0);
	}
	if (!pod && pss_strs_count(&ctrs) == 0)
		return;
	pss_strs_sort(&s.types);
	pss_violation(e, "seLinuxOptions");
	pss_put_setters(e->out, pod, &ctrs);
	buf_puts(e->out, " set forbidden securityContext.seLinuxOptions: ");
	if (pss_strs_count(&s.types) > 0) {
		buf_puts(e->out, pss_plural(pss_strs_count(&s.types), "type ", "types "));
		pss_put_quoted(e->out, &s.types);
		n++;
	}
	if (s.user)
		buf_puts(e->out, n++ > 0 ? "; user may not be set" : "user may not be set");
	if (s.role)
		buf_puts(e->out, n++ > 0 ? "; role may not be set" : "role may not be set");
	pss_violation_end(e);
}

/* Allowed seccompProfile.type values. */
static const char *const pss_seccomp_types[] = { "RuntimeDefault", "Localhost", NULL };

/*
 * The explicit seccomp setters: the pod (returned) and the containers (in
 * ctrs) whose seccompProfile is set to another type, the types in values.
 * *pod_ok: the pod sets an allowed type; implicit: containers that set
 * none (for restricted, when the pod sets none either).
 */
static int
pss_seccomp_scan(struct pss_eval *e, struct pss_strs *ctrs, struct pss_strs *values,
    struct pss_strs *implicit)
{
	struct json *d = e->d;
	struct pss_cursor k = PSS_CURSOR;
	int sp = pss_obj(d, e->sc, "seccompProfile"), pod = 0, pod_ok = 0;

	if (!json_is_null(d, json_get(d, e->sc, "seccompProfile"))) {
		if (pss_in(d, json_get(d, sp, "type"), pss_seccomp_types))
			pod_ok = 1;
		else {
			pod = 1;
			pss_strs_add_json(values, d, json_get(d, sp, "type"), 1);
		}
	}
	while (pss_next(e, &k)) {
		sp = json_get(d, pss_csc(e, &k), "seccompProfile");
		if (json_is_null(d, sp)) {
			if (!pod_ok && implicit != NULL)
				pss_strs_add_json(implicit, d, pss_name(e, &k), 0);
		} else if (!pss_in(d, json_get(d, sp, "type"), pss_seccomp_types)) {
			pss_strs_add_json(ctrs, d, pss_name(e, &k), 0);
			pss_strs_add_json(values, d, json_get(d, sp, "type"), 1);
		}
	}
	return pod;
}

/* Writes `pod and containers "a" must not set ...seccompProfile.type to "X"`. */
static void
pss_seccomp_explicit(struct pss_eval *e, int pod, struct pss_strs *ctrs,
    struct pss_strs *values)
{
	pss_strs_sort(values);
	pss_violation(e, "seccompProfile");
	pss_put_setters(e->out, pod, ctrs);
	buf_puts(e->out, " must not set securityContext.seccompProfile.type to ");
	pss_put_quoted(e->out, values);
	pss_violation_end(e);
}

/* seccompProfile_baseline (v1.19): no seccompProfile.type but allowed ones. */
static void
pss_seccomp_baseline(struct pss_eval *e)
{
	struct pss_strs ctrs, values;
	int pod;

	pss_strs_init(&ctrs), pss_strs_init(&values);
	pod = pss_seccomp_scan(e, &ctrs, &values, NULL);
	if (pod || pss_strs_count(&ctrs) > 0)
		pss_seccomp_explicit(e, pod, &ctrs, &values);
}

/* Sysctls baseline allows (check_sysctls.go, policy v1.32 set). */
static const char *const pss_safe_sysctls[] = {
	"kernel.shm_rmid_forced", "net.ipv4.ip_local_port_range",
	"net.ipv4.ip_unprivileged_port_start", "net.ipv4.tcp_syncookies",
	"net.ipv4.ping_group_range", "net.ipv4.ip_local_reserved_ports",
	"net.ipv4.tcp_keepalive_time", "net.ipv4.tcp_fin_timeout",
	"net.ipv4.tcp_keepalive_intvl", "net.ipv4.tcp_keepalive_probes",
	"net.ipv4.tcp_rmem", "net.ipv4.tcp_wmem", NULL
};

/* sysctls: spec.securityContext.sysctls names only from the safe set. */
static void
pss_sysctls(struct pss_eval *e)
{
	struct pss_strs bad;
	struct json *d = e->d;
	int arr = json_get(d, e->sc, "sysctls"), s, name;

	pss_strs_init(&bad);
	for (s = json_first(d, arr); json_type(d, arr) == JSON_ARRAY && s != JSON_NONE;
	    s = json_next(d, s)) {
		name = json_get(d, s, "name");
		if (json_type(d, name) != JSON_STRING || !pss_in(d, name, pss_safe_sysctls))
			pss_strs_add_json(&bad, d, name, 0);
	}
	if (pss_strs_count(&bad) == 0)
		return;
	pss_violation(e, "forbidden sysctls");
	pss_put_join(e->out, &bad, ", ", "");
	pss_violation_end(e);
}

/* windowsHostProcess: windowsOptions.hostProcess unset or false. */
static void
pss_windows_host_process(struct pss_eval *e)
{
	struct pss_strs ctrs;
	struct json *d = e->d;
	struct pss_cursor k = PSS_CURSOR;
	int pod;

	pss_strs_init(&ctrs);
	while (pss_next(e, &k))
		if (json_is_true(d, json_getp(d, pss_csc(e, &k), "windowsOptions.hostProcess")))
			pss_strs_add_json(&ctrs, d, pss_name(e, &k), 0);
	pod = json_is_true(d, json_getp(d, e->sc, "windowsOptions.hostProcess"));
	if (!pod && pss_strs_count(&ctrs) == 0)
		return;
	pss_violation(e, "hostProcess");
	pss_put_setters(e->out, pod, &ctrs);
	buf_puts(e->out, " must not set securityContext.windowsOptions.hostProcess=true");
	pss_violation_end(e);
}

/* --- restricted checks -------------------------------------------------- */

/*
 * allowPrivilegeEscalation (v1.25): every container sets it to false;
 * Windows pods are exempt (the field does not exist there).
 */
static void
pss_allow_privilege_escalation(struct pss_eval *e)
{
	struct pss_strs ctrs;
	struct pss_cursor k = PSS_CURSOR;

	if (e->windows)
		return;
	pss_strs_init(&ctrs);
	while (pss_next(e, &k))
		if (!pss_is_false(e->d, json_get(e->d, pss_csc(e, &k), "allowPrivilegeEscalation")))
			pss_strs_add_json(&ctrs, e->d, pss_name(e, &k), 0);
	if (pss_strs_count(&ctrs) == 0)
		return;
	pss_violation(e, "allowPrivilegeEscalation != false");
	pss_put_containers(e->out, &ctrs);
	buf_puts(e->out, " must set securityContext.allowPrivilegeEscalation=false");
	pss_violation_end(e);
}

/* Whether the array drop holds "ALL" (exactly). */
static int
pss_drops_all(struct json *d, int drop)
{
	int v;

	for (v = json_first(d, drop); json_type(d, drop) == JSON_ARRAY && v != JSON_NONE;
	    v = json_next(d, v))
		if (json_str_eq(d, v, "ALL"))
			return 1;
	return 0;
}

/* Adds to caps the added capabilities of caps object o but NET_BIND_SERVICE. */
static int
pss_restricted_adds(struct json *d, int o, struct pss_strs *caps)
{
	int add = json_get(d, o, "add"), v, bad = 0;

	for (v = json_first(d, add); json_type(d, add) == JSON_ARRAY && v != JSON_NONE;
	    v = json_next(d, v)) {
		if (json_str_eq(d, v, "NET_BIND_SERVICE"))
			continue;
		bad = 1;
		pss_strs_add_json(caps, d, v, 1);
	}
	return bad;
}

/*
 * capabilities_restricted (v1.25): every container drops ALL and adds at
 * most NET_BIND_SERVICE; Windows pods are exempt.
 */
static void
pss_capabilities_restricted(struct pss_eval *e)
{
	struct pss_strs nodrop, adding, caps;
	struct json *d = e->d;
	struct pss_cursor k = PSS_CURSOR;
	int o, name;

	if (e->windows)
		return;
	pss_strs_init(&nodrop), pss_strs_init(&adding), pss_strs_init(&caps);
	while (pss_next(e, &k)) {
		o = pss_obj(d, pss_csc(e, &k), "capabilities");
		name = pss_name(e, &k);
		if (o == JSON_NONE || !pss_drops_all(d, json_get(d, o, "drop")))
			pss_strs_add_json(&nodrop, d, name, 0);
		if (o != JSON_NONE && pss_restricted_adds(d, o, &caps))
			pss_strs_add_json(&adding, d, name, 0);
	}
	if (pss_strs_count(&nodrop) == 0 && pss_strs_count(&adding) == 0)
		return;
	pss_strs_sort(&caps);
	pss_violation(e, "unrestricted capabilities");
	if (pss_strs_count(&nodrop) > 0) {
		pss_put_containers(e->out, &nodrop);
		buf_puts(e->out, " must set securityContext.capabilities.drop=[\"ALL\"]");
	}
	if (pss_strs_count(&nodrop) > 0 && pss_strs_count(&adding) > 0)
		buf_puts(e->out, "; ");
	if (pss_strs_count(&adding) > 0) {
		pss_put_containers(e->out, &adding);
		buf_puts(e->out, " must not include ");
		pss_put_quoted(e->out, &caps);
		buf_puts(e->out, " in securityContext.capabilities.add");
	}
	pss_violation_end(e);
}

/*
 * Volume sources restricted allows (check_restrictedVolumes.go), then the
 * named restricted ones in the order the check tests them: a volume is
 * reported as the first one it sets, "unknown" if none.
 */
static const char *const pss_allowed_volumes[] = {
	"configMap", "csi", "downwardAPI", "emptyDir", "ephemeral", "image",
	"persistentVolumeClaim", "projected", "secret", NULL
};
static const char *const pss_restricted_volumes[] = {
	"hostPath", "gcePersistentDisk", "awsElasticBlockStore", "gitRepo", "nfs",
	"iscsi", "glusterfs", "rbd", "flexVolume", "cinder", "cephfs", "flocker",
	"fc", "azureFile", "vsphereVolume", "quobyte", "azureDisk",
	"photonPersistentDisk", "portworxVolume", "scaleIO", "storageos", NULL
};

/*
 * The restricted type volume v uses, or NULL when it is allowed. A volume
 * that sets no source at all is an emptyDir: the apiserver defaults it so
 * before admission (SetDefaults_Volume); one that sets a source this table
 * does not know is "unknown", as PodSecurity calls it.
 */
static const char *
pss_volume_type(struct json *d, int v)
{
	const char *const *t;
	int k;

	for (t = pss_allowed_volumes; *t != NULL; t++)
		if (!json_is_null(d, json_get(d, v, *t)))
			return NULL;
	for (t = pss_restricted_volumes; *t != NULL; t++)
		if (!json_is_null(d, json_get(d, v, *t)))
			return *t;
	for (k = json_first(d, v); k != JSON_NONE; k = json_next(d, k))
		if (!json_str_eq(d, k, "name") && !json_is_null(d, k + 1))
			return "unknown";
	return NULL;
}

/* restrictedVolumes: only the volume types of pss_allowed_volumes. */
static void
pss_restricted_volume_types(struct pss_eval *e)
{
	struct pss_strs vols, types;
	struct json *d = e->d;
	int arr = json_get(d, e->pod, "volumes"), v, nv;
	const char *t;

	pss_strs_init(&vols), pss_strs_init(&types);
	for (v = json_first(d, arr); json_type(d, arr) == JSON_ARRAY && v != JSON_NONE;
	    v = json_next(d, v)) {
		if (json_type(d, v) != JSON_OBJECT || (t = pss_volume_type(d, v)) == NULL)
			continue;
		pss_strs_add_json(&vols, d, json_get(d, v, "name"), 0);
		pss_strs_add(&types, t, strlen(t), 1);
	}
	if ((nv = pss_strs_count(&vols)) == 0)
		return;
	pss_strs_sort(&types);
	pss_violation(e, "restricted volume types");
	buf_puts(e->out, pss_plural(nv, "volume ", "volumes "));
	pss_put_quoted(e->out, &vols);
	buf_puts(e->out, pss_plural(nv, " uses ", " use "));
	buf_puts(e->out, pss_plural(pss_strs_count(&types), "restricted volume type ",
	    "restricted volume types "));
	pss_put_quoted(e->out, &types);
	pss_violation_end(e);
}

/*
 * runAsNonRoot (v1.35): the pod sets runAsNonRoot=true (a container may
 * leave it unset then) or every container does, and nobody sets false.
 * Skipped in a user namespace (spec.hostUsers: false).
 */
static void
pss_run_as_non_root(struct pss_eval *e)
{
	struct pss_strs bad, implicit;
	struct json *d = e->d;
	struct pss_cursor k = PSS_CURSOR;
	int v = json_get(d, e->sc, "runAsNonRoot"), pod = pss_is_false(d, v);
	int pod_true = json_is_true(d, v);

	if (e->userns)
		return;
	pss_strs_init(&bad), pss_strs_init(&implicit);
	while (pss_next(e, &k)) {
		v = json_get(d, pss_csc(e, &k), "runAsNonRoot");
		if (pss_is_false(d, v))
			pss_strs_add_json(&bad, d, pss_name(e, &k), 0);
		else if (json_type(d, v) != JSON_BOOL && !pod_true)
			pss_strs_add_json(&implicit, d, pss_name(e, &k), 0);
	}
	if (pod || pss_strs_count(&bad) > 0) {
		pss_violation(e, "runAsNonRoot != true");
		pss_put_setters(e->out, pod, &bad);
		buf_puts(e->out, " must not set securityContext.runAsNonRoot=false");
	} else if (pss_strs_count(&implicit) > 0) {
		pss_violation(e, "runAsNonRoot != true");
		buf_puts(e->out, "pod or ");
		pss_put_containers(e->out, &implicit);
		buf_puts(e->out, " must set securityContext.runAsNonRoot=true");
	} else
		return;
	pss_violation_end(e);
}

/* runAsUser (v1.35): no runAsUser=0 on the pod or a container; not in a user namespace. */
static void
pss_run_as_user(struct pss_eval *e)
{
	struct pss_strs ctrs;
	struct json *d = e->d;
	struct pss_cursor k = PSS_CURSOR;
	int pod = pss_is_root(d, json_get(d, e->sc, "runAsUser"));

	if (e->userns)
		return;
	pss_strs_init(&ctrs);
	while (pss_next(e, &k))
		if (pss_is_root(d, json_get(d, pss_csc(e, &k), "runAsUser")))
			pss_strs_add_json(&ctrs, d, pss_name(e, &k), 0);
	if (!pod && pss_strs_count(&ctrs) == 0)
		return;
	pss_violation(e, "runAsUser=0");
	pss_put_setters(e->out, pod, &ctrs);
	buf_puts(e->out, " must not set runAsUser=0");
	pss_violation_end(e);
}

/*
 * seccompProfile_restricted (v1.25): the pod sets RuntimeDefault or
 * Localhost (containers may then leave it unset) or every container does,
 * and nobody sets another type. Windows pods are exempt.
 */
static void
pss_seccomp_restricted(struct pss_eval *e)
{
	struct pss_strs ctrs, values, implicit;
	int pod;

	if (e->windows)
		return;
	pss_strs_init(&ctrs), pss_strs_init(&values), pss_strs_init(&implicit);
	pod = pss_seccomp_scan(e, &ctrs, &values, &implicit);
	if (pod || pss_strs_count(&ctrs) > 0) {
		pss_seccomp_explicit(e, pod, &ctrs, &values);
		return;
	}
	if (pss_strs_count(&implicit) == 0)
		return;
	pss_violation(e, "seccompProfile");
	buf_puts(e->out, "pod or ");
	pss_put_containers(e->out, &implicit);
	buf_puts(e->out, " must set securityContext.seccompProfile.type to "
	    "\"RuntimeDefault\" or \"Localhost\"");
	pss_violation_end(e);
}

/* --- evaluation --------------------------------------------------------- */

typedef void pss_check_fn(struct pss_eval *e);

/*
 * The checks in PodSecurity's order (see the top of this file). To add a
 * check: a function above and one line here, at the place its check ID
 * sorts to, with the levels it runs at.
 */
static const struct {
	pss_check_fn	*fn;
	unsigned	 levels;	/* bit (1 << enum pss_level) */
} pss_checks[] = {
#define B	(1u << PSS_BASELINE)
#define R	(1u << PSS_RESTRICTED)
	/* baseline IDs, sorted */
	{ pss_app_armor_profile, B | R },	/* appArmorProfile */
	{ pss_capabilities_baseline, B },	/* capabilities_baseline */
	{ pss_host_namespaces, B | R },		/* hostNamespaces */
	{ pss_host_path_volumes, B },		/* hostPathVolumes */
	{ pss_host_ports, B | R },		/* hostPorts */
	{ pss_host_probes, B | R },		/* hostProbesAndHostLifecycle */
	{ pss_privileged, B | R },		/* privileged */
	{ pss_proc_mount_baseline, B },		/* procMount */
	{ pss_selinux_options, B | R },		/* seLinuxOptions */
	{ pss_seccomp_baseline, B },		/* seccompProfile_baseline */
	{ pss_sysctls, B | R },			/* sysctls */
	{ pss_windows_host_process, B | R },	/* windowsHostProcess */
	/* restricted IDs, sorted; they override the baseline ones marked B only */
	{ pss_allow_privilege_escalation, R },	/* allowPrivilegeEscalation */
	{ pss_capabilities_restricted, R },	/* capabilities_restricted */
	{ pss_proc_mount_restricted, R },	/* procMount_restricted */
	{ pss_restricted_volume_types, R },	/* restrictedVolumes */
	{ pss_run_as_non_root, R },		/* runAsNonRoot */
	{ pss_run_as_user, R },			/* runAsUser */
	{ pss_seccomp_restricted, R },		/* seccompProfile_restricted */
#undef B
#undef R
};

/* See pss.h. */
int
pss_evaluate(struct json *d, int meta, int pod, enum pss_level level, struct buf *out)
{
	static const char *const lists[] = { "initContainers", "containers", "ephemeralContainers" };
	struct pss_eval e;
	struct pss_cursor k;
	size_t i;
	int v;

	if (json_type(d, pod) != JSON_OBJECT || level >= NUM_PSS_LEVELS)
		return 0;
	memset(&e, 0, sizeof(e));
	e.d = d;
	e.pod = pod;
	e.meta = json_type(d, meta) == JSON_OBJECT ? meta : JSON_NONE;
	e.sc = pss_obj(d, pod, "securityContext");
	for (i = 0; i < NELEM(lists); i++) {
		v = json_get(d, pod, lists[i]);
		e.lists[i] = json_type(d, v) == JSON_ARRAY ? v : JSON_NONE;
	}
	e.windows = json_str_eq(d, json_getp(d, pod, "os.name"), "windows");
	e.userns = pss_is_false(d, json_get(d, pod, "hostUsers"));
	for (k = (struct pss_cursor)PSS_CURSOR; pss_next(&e, &k) && k.i < PSS_VIEW_MAX; e.nview++)
		pss_view(d, k.c, e.view[k.i]);
	e.out = out;
	for (i = 0; i < NELEM(pss_checks); i++)
		if (pss_checks[i].levels & (1u << level))
			pss_checks[i].fn(&e);
	return e.nviol;
}
