/*
 * pss_host.c: the Pod Security checks of what a pod shares with its node:
 * host namespaces, hostPath and restricted volume types, host ports, probe
 * and lifecycle hosts, sysctls, Windows host processes. One function per
 * PodSecurity check (policy/check_*.go, Kubernetes v1.36); pss.c runs them
 * in PodSecurity's order. See pss_check.h.
 */
#include <string.h>

#include "json.h"
#include "limit.h"
#include "pss_check.h"

#define NELEM(a)	(sizeof(a) / sizeof((a)[0]))

/*
 * hostNamespaces: hostNetwork, hostPID, hostIPC unset or false. The detail
 * is a sorted set: hostIPC, hostNetwork, hostPID is already Go's order.
 */
void
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
void
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
void
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
void
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
void
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
void
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
void
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
