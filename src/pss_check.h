/*
 * pss_check.h: what the Pod Security checks share (pss*.c; not for policy
 * files, which include pss.h): one evaluation's record, the cursor over its
 * containers, the fixed string lists the checks collect names in, and the
 * checks themselves, grouped by what they guard:
 *
 *	pss_host.c	what a pod shares with its node: namespaces, ports,
 *			probe hosts, volumes, sysctls, Windows host processes
 *	pss_privilege.c	privilege: capabilities, privileged, escalation,
 *			procMount, the user the containers run as
 *	pss_profile.c	the kernel's confinement profiles: AppArmor, SELinux,
 *			seccomp
 *
 * pss.c runs them in PodSecurity's order (its pss_checks table);
 * pss_check.c holds the walk and the wording they share.
 * Errors: none (see pss.h).
 */
#ifndef TINYHOOK_PSS_CHECK_H
#define TINYHOOK_PSS_CHECK_H

#include <stdint.h>

#include "buf.h"
#include "json.h"
#include "limit.h"

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

/* Their member names (pss_check.c). */
extern const char *const pss_field_names[NUM_PSS_FIELDS];

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

/* --- walking the pod (pss_check.c) ------------------------------------ */

/*
 * The next container object after k, in PodSecurity's visit order
 * (policy/visitor.go): initContainers, containers, ephemeralContainers.
 * Returns 0 after the last.
 */
int	pss_next(const struct pss_eval *e, struct pss_cursor *k);

/* Whether v is one of the strings of set (NULL-terminated). */
int	pss_in(struct json *d, int v, const char *const *set);

/* Member key of object v when v is an object, else JSON_NONE. */
static inline int
pss_obj(struct json *d, int v, const char *key)
{
	int o = json_get(d, v, key);

	return json_type(d, o) == JSON_OBJECT ? o : JSON_NONE;
}

/* Member f of the container at k. */
static inline int
pss_field(const struct pss_eval *e, const struct pss_cursor *k, enum pss_field f)
{
	if (k->i < e->nview)
		return e->view[k->i][f];
	return json_get(e->d, k->c, pss_field_names[f]);
}

/* The securityContext object of the container at k, or JSON_NONE (Go: nil). */
static inline int
pss_csc(const struct pss_eval *e, const struct pss_cursor *k)
{
	int v = pss_field(e, k, PSS_F_SC);

	return json_type(e->d, v) == JSON_OBJECT ? v : JSON_NONE;
}

/* The name of the container at k. */
static inline int
pss_name(const struct pss_eval *e, const struct pss_cursor *k)
{
	return pss_field(e, k, PSS_F_NAME);
}

/* Go's *bool == false: an explicit false (null and absent are nil). */
static inline int
pss_is_false(const struct json *d, int v)
{
	return json_type(d, v) == JSON_BOOL && !json_is_true(d, v);
}

/* --- lists and wording (pss_check.c) ---------------------------------- */

void	pss_strs_init(struct pss_strs *s);
/* Appends p[0, n); a set (uniq) keeps one copy of each string. */
void	pss_strs_add(struct pss_strs *s, const char *p, size_t n, int uniq);
/*
 * Appends the unescaped string v; anything but a string is Go's zero value
 * "" (what a typed decode leaves for null or a missing field).
 */
void	pss_strs_add_json(struct pss_strs *s, struct json *d, int v, int uniq);
/* Sorts the items in Go's string order (bytewise, a prefix first). */
void	pss_strs_sort(struct pss_strs *s);

/* Items counted for "container"/"containers": stored and cut ones. */
static inline int
pss_strs_count(const struct pss_strs *s)
{
	return s->n + s->more;
}

static inline const char *
pss_plural(int n, const char *one, const char *many)
{
	return n == 1 ? one : many;
}

/* Writes the items joined by sep, each between q and q (q: "" or "\""). */
void	pss_put_join(struct buf *b, const struct pss_strs *s, const char *sep,
	    const char *q);
/* joinQuote(): "a", "b". */
void	pss_put_quoted(struct buf *b, const struct pss_strs *s);
/* `container "a"` or `containers "a", "b"`. */
void	pss_put_containers(struct buf *b, const struct pss_strs *s);
/* Joins the setters of a check (`pod and containers "a"`) with " and ". */
void	pss_put_setters(struct buf *b, int pod, const struct pss_strs *ctrs);
/* Opens one violation: ", " between checks, then `reason (`. */
void	pss_violation(struct pss_eval *e, const char *reason);

static inline void
pss_violation_end(struct pss_eval *e)
{
	buf_putc(e->out, ')');
}

/* --- the checks, one per PodSecurity check ID (pss.c runs them) ------- */

typedef void pss_check_fn(struct pss_eval *e);

/* pss_host.c */
pss_check_fn	pss_host_namespaces, pss_host_path_volumes, pss_host_ports,
		pss_host_probes, pss_sysctls, pss_windows_host_process,
		pss_restricted_volume_types;
/* pss_privilege.c */
pss_check_fn	pss_capabilities_baseline, pss_privileged, pss_proc_mount_baseline,
		pss_allow_privilege_escalation, pss_capabilities_restricted,
		pss_proc_mount_restricted, pss_run_as_non_root, pss_run_as_user;
/* pss_profile.c */
pss_check_fn	pss_app_armor_profile, pss_selinux_options, pss_seccomp_baseline,
		pss_seccomp_restricted;

#endif
