/*
 * pss_test.c: the Pod Security Standards checks (src/pss.c) case by case,
 * and the rule glue (src/pss_rule.c: exemptions, template metadata). Each
 * case is a pod (JSON written with ' for ", so the table stays readable)
 * and the exact text PodSecurity writes after `violates PodSecurity
 * "<level>:latest": `, or "" when the pod is allowed. The cases follow the
 * Pod Security Standards page and PodSecurity's check_*.go: edge values,
 * pod-level vs container-level, Windows pods, user namespaces, the order
 * of checks, pluralisation, sorting and quoting. Run under ASan + UBSan.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "pss.h"
#include "rules.h"

#include "check.h"

#define B	PSS_BASELINE
#define R	PSS_RESTRICTED

/* A restricted-clean pod around containers (written as C, ' for "). */
#define OKSC	"'securityContext':{'allowPrivilegeEscalation':false,'capabilities':{'drop':['ALL']}}"
#define RPOD(x)	"{'spec':{'securityContext':{'runAsNonRoot':true,'seccompProfile':{'type':'RuntimeDefault'}}," x "}}"
#define C(n)	"{'name':'" n "','image':'i'," OKSC "}"

static const struct {
	enum pss_level	 level;
	const char	*pod;		/* {"metadata":..., "spec":...} */
	const char	*want;		/* "" when allowed */
} cases[] = {
	/* the minimal pod: baseline allows it, restricted lists its four unset fields */
	{ B, "{'spec':{'containers':[{'name':'c','image':'pause'}]}}", "" },
	{ R, "{'spec':{'containers':[{'name':'c','image':'pause'}]}}",
	  "allowPrivilegeEscalation != false (container \"c\" must set securityContext.allowPrivilegeEscalation=false), "
	  "unrestricted capabilities (container \"c\" must set securityContext.capabilities.drop=[\"ALL\"]), "
	  "runAsNonRoot != true (pod or container \"c\" must set securityContext.runAsNonRoot=true), "
	  "seccompProfile (pod or container \"c\" must set securityContext.seccompProfile.type to \"RuntimeDefault\" or \"Localhost\")" },
	{ R, RPOD("'containers':[" C("c") "]"), "" },
	{ B, "{'spec':{}}", "" },

	/* hostNamespaces: a sorted set; false and null allowed */
	{ B, "{'spec':{'hostPID':true,'hostNetwork':true,'hostIPC':true,'containers':[]}}",
	  "host namespaces (hostIPC=true, hostNetwork=true, hostPID=true)" },
	{ B, "{'spec':{'hostNetwork':false,'hostPID':null,'containers':[]}}", "" },

	/* privileged: init, regular, ephemeral in that order; the last duplicate key wins */
	{ B, "{'spec':{'ephemeralContainers':[{'name':'e','securityContext':{'privileged':true}}],"
	  "'containers':[{'name':'c','securityContext':{'privileged':true}}],"
	  "'initContainers':[{'name':'i','securityContext':{'privileged':true}}]}}",
	  "privileged (containers \"i\", \"c\", \"e\" must not set securityContext.privileged=true)" },
	{ B, "{'spec':{'containers':[{'name':'c','securityContext':{'privileged':false,'privileged':true}}]}}",
	  "privileged (container \"c\" must not set securityContext.privileged=true)" },
	{ B, "{'spec':{'containers':[{'name':'c','securityContext':{'privileged':true,'privileged':false}}]}}", "" },
	{ B, "{'spec':{'containers':[{'name':'c','securityContext':{'privileged':null}}]}}", "" },

	/* capabilities_baseline: exact names, a sorted set; restricted words it differently */
	{ B, "{'spec':{'containers':[{'name':'c','securityContext':{'capabilities':"
	  "{'add':['NET_RAW','CHOWN','chown','NET_RAW','CAP_CHOWN']}}}]}}",
	  "non-default capabilities (container \"c\" must not include \"CAP_CHOWN\", \"NET_RAW\", \"chown\" in securityContext.capabilities.add)" },
	{ B, "{'spec':{'containers':[{'name':'c','securityContext':{'capabilities':{'add':"
	  "['AUDIT_WRITE','CHOWN','DAC_OVERRIDE','FOWNER','FSETID','KILL','MKNOD','NET_BIND_SERVICE',"
	  "'SETFCAP','SETGID','SETPCAP','SETUID','SYS_CHROOT'],'drop':['ALL']}}}]}}", "" },
	{ R, RPOD("'containers':[{'name':'c','image':'i','securityContext':{'allowPrivilegeEscalation':false,"
	  "'capabilities':{'drop':['ALL'],'add':['NET_BIND_SERVICE','CHOWN']}}}]"),
	  "unrestricted capabilities (container \"c\" must not include \"CHOWN\" in securityContext.capabilities.add)" },
	{ R, RPOD("'containers':[{'name':'a','image':'i','securityContext':{'allowPrivilegeEscalation':false,"
	  "'capabilities':{'drop':['all'],'add':['SYS_ADMIN']}}}," C("b") "]"),
	  "unrestricted capabilities (container \"a\" must set securityContext.capabilities.drop=[\"ALL\"]; "
	  "container \"a\" must not include \"SYS_ADMIN\" in securityContext.capabilities.add)" },

	/* hostPathVolumes at baseline, restrictedVolumes at restricted */
	{ B, "{'spec':{'volumes':[{'name':'a','hostPath':{'path':'/'}},{'name':'x','emptyDir':{}},"
	  "{'name':'b','hostPath':{'path':'/b'}},{'name':'n','hostPath':null}]}}",
	  "hostPath volumes (volumes \"a\", \"b\")" },
	{ R, RPOD("'containers':[],'volumes':[{'name':'h','hostPath':{}},{'name':'e','emptyDir':{}},"
	  "{'name':'n','nfs':{}},{'name':'im','image':{'reference':'r'}},{'name':'d'},"
	  "{'name':'u','futureVolume':{}},{'name':'h2','hostPath':{}},{'name':'p','projected':{}},"
	  "{'name':'c','csi':{}},{'name':'eph','ephemeral':{}},{'name':'cm','configMap':{}},"
	  "{'name':'s','secret':{}},{'name':'pvc','persistentVolumeClaim':{}},{'name':'da','downwardAPI':{}}]"),
	  "restricted volume types (volumes \"h\", \"n\", \"u\", \"h2\" use restricted volume types \"hostPath\", \"nfs\", \"unknown\")" },
	{ R, RPOD("'containers':[],'volumes':[{'name':'g','gitRepo':{}}]"),
	  "restricted volume types (volume \"g\" uses restricted volume type \"gitRepo\")" },

	/* hostPorts: containers in visit order, ports a set sorted as strings */
	{ B, "{'spec':{'containers':[{'name':'a','ports':[{'containerPort':80,'hostPort':8080},{'hostPort':0}]},"
	  "{'name':'b','ports':[{'hostPort':443},{'hostPort':9},{'hostPort':8080}]},{'name':'z','ports':[{'containerPort':1}]}]}}",
	  "hostPort (containers \"a\", \"b\" use hostPorts 443, 8080, 9)" },
	{ B, "{'spec':{'initContainers':[{'name':'i','ports':[{'hostPort':1}]}]}}",
	  "hostPort (container \"i\" uses hostPort 1)" },

	/* hostProbesAndHostLifecycle: containers and hosts are sorted sets */
	{ B, "{'spec':{'containers':[{'name':'z','livenessProbe':{'httpGet':{'host':'b.host','port':80}},"
	  "'readinessProbe':{'tcpSocket':{'host':'a.host'}}},{'name':'a','lifecycle':{'preStop':"
	  "{'httpGet':{'host':'a.host'}},'postStart':{'tcpSocket':{'host':'::1'}}}},"
	  "{'name':'ok','startupProbe':{'httpGet':{'host':''}}}]}}",
	  "probe or lifecycle host (containers \"a\", \"z\" use probe or lifecycle hosts \"::1\", \"a.host\", \"b.host\")" },
	{ B, "{'spec':{'containers':[{'name':'c','startupProbe':{'tcpSocket':{'host':'10.0.0.1'}}}]}}",
	  "probe or lifecycle host (container \"c\" uses probe or lifecycle host \"10.0.0.1\")" },

	/* appArmorProfile: fields, annotations, and the apiserver's copy between them */
	{ B, "{'spec':{'securityContext':{'appArmorProfile':{'type':'Unconfined'}},"
	  "'containers':[{'name':'c','securityContext':{'appArmorProfile':{'type':'Localhost','localhostProfile':'p'}}}]}}",
	  "forbidden AppArmor profile (pod must not set AppArmor profile type to \"Unconfined\")" },
	{ B, "{'spec':{'securityContext':{'appArmorProfile':{'type':'Unconfined'}},"
	  "'containers':[{'name':'a'},{'name':'b'}]}}",
	  "forbidden AppArmor profiles (pod and annotations must not set AppArmor profile type to \"Unconfined\", "
	  "\"container.apparmor.security.beta.kubernetes.io/a=\"unconfined\"\", "
	  "\"container.apparmor.security.beta.kubernetes.io/b=\"unconfined\"\")" },
	{ B, "{'metadata':{'annotations':{'container.apparmor.security.beta.kubernetes.io/c':'unconfined'}},"
	  "'spec':{'containers':[{'name':'c'}]}}",
	  "forbidden AppArmor profiles (container \"c\" and annotation must not set AppArmor profile type to "
	  "\"Unconfined\", \"container.apparmor.security.beta.kubernetes.io/c=\"unconfined\"\")" },
	{ B, "{'metadata':{'annotations':{'container.apparmor.security.beta.kubernetes.io/c':'unconfined'}},"
	  "'spec':{'os':{'name':'windows'},'containers':[{'name':'c'}]}}",
	  "forbidden AppArmor profile (annotation must not set AppArmor profile type to "
	  "\"container.apparmor.security.beta.kubernetes.io/c=\"unconfined\"\")" },
	{ B, "{'metadata':{'annotations':{'container.apparmor.security.beta.kubernetes.io/c':'un\\\"c\\n'}},"
	  "'spec':{'containers':[{'name':'c'}]}}",
	  "forbidden AppArmor profile (annotation must not set AppArmor profile type to "
	  "\"container.apparmor.security.beta.kubernetes.io/c=\"un\\\"c\\n\"\")" },
	{ B, "{'metadata':{'annotations':{'container.apparmor.security.beta.kubernetes.io/a':'localhost/p',"
	  "'container.apparmor.security.beta.kubernetes.io/b':'runtime/default','container.apparmor.security.beta.kubernetes.io/c':'',"
	  "'apparmor.security.beta.kubernetes.io/d':'unconfined'}},"
	  "'spec':{'containers':[{'name':'a'},{'name':'b'},{'name':'c'},{'name':'d'}]}}", "" },
	{ B, "{'spec':{'containers':[{'name':'c','securityContext':{'appArmorProfile':{}}}]}}",
	  "forbidden AppArmor profile (container \"c\" must not set AppArmor profile type to \"\")" },

	/* procMount: baseline relaxed in a user namespace, restricted never */
	{ B, "{'spec':{'containers':[{'name':'c','securityContext':{'procMount':'Unmasked'}},"
	  "{'name':'d','securityContext':{'procMount':'Default'}}]}}",
	  "procMount (container \"c\" must not set securityContext.procMount to \"Unmasked\")" },
	{ B, "{'spec':{'hostUsers':false,'containers':[{'name':'c','securityContext':{'procMount':'Unmasked'}}]}}", "" },
	{ R, RPOD("'hostUsers':false,'containers':[{'name':'c','image':'i','securityContext':{"
	  "'allowPrivilegeEscalation':false,'capabilities':{'drop':['ALL']},'procMount':'Unmasked'}}]"),
	  "procMount (container \"c\" must not set securityContext.procMount to \"Unmasked\")" },

	/* seLinuxOptions: type, user and role reported together, any of them alone */
	{ B, "{'spec':{'securityContext':{'seLinuxOptions':{'user':'u','role':'r'}},"
	  "'containers':[{'name':'c','securityContext':{'seLinuxOptions':{'type':'spc_t'}}},"
	  "{'name':'ok','securityContext':{'seLinuxOptions':{'type':'container_engine_t','level':'s0:c1'}}}]}}",
	  "seLinuxOptions (pod and container \"c\" set forbidden securityContext.seLinuxOptions: "
	  "type \"spc_t\"; user may not be set; role may not be set)" },
	{ B, "{'spec':{'containers':[{'name':'c','securityContext':{'seLinuxOptions':{'role':'r'}}}]}}",
	  "seLinuxOptions (container \"c\" set forbidden securityContext.seLinuxOptions: role may not be set)" },

	/* seccompProfile: baseline forbids explicit bad types, restricted also asks for one */
	{ B, "{'spec':{'securityContext':{'seccompProfile':{'type':'Unconfined'}},"
	  "'initContainers':[{'name':'i','securityContext':{'seccompProfile':{'type':'Foo'}}}],"
	  "'containers':[{'name':'c','securityContext':{'seccompProfile':{'type':'Unconfined'}}},{'name':'d'}]}}",
	  "seccompProfile (pod and containers \"i\", \"c\" must not set securityContext.seccompProfile.type to \"Foo\", \"Unconfined\")" },
	{ B, "{'spec':{'containers':[{'name':'c','securityContext':{'seccompProfile':{'type':'Localhost','localhostProfile':'p'}}}]}}", "" },
	{ R, "{'spec':{'securityContext':{'runAsNonRoot':true},'initContainers':[" C("i") "],"
	  "'containers':[{'name':'c','image':'i','securityContext':{'allowPrivilegeEscalation':false,"
	  "'capabilities':{'drop':['ALL']},'seccompProfile':{'type':'Localhost'}}}]}}",
	  "seccompProfile (pod or container \"i\" must set securityContext.seccompProfile.type to \"RuntimeDefault\" or \"Localhost\")" },
	{ R, RPOD("'containers':[{'name':'c','image':'i','securityContext':{'allowPrivilegeEscalation':false,"
	  "'capabilities':{'drop':['ALL']},'seccompProfile':{'type':'Unconfined'}}}]"),
	  "seccompProfile (container \"c\" must not set securityContext.seccompProfile.type to \"Unconfined\")" },

	/* sysctls: the safe set of policy v1.32, reported in order, unquoted */
	{ B, "{'spec':{'securityContext':{'sysctls':[{'name':'kernel.shm_rmid_forced'},{'name':'net.ipv4.tcp_wmem'},"
	  "{'name':'net.ipv4.tcp_keepalive_time'},{'name':'foo'},{'name':'kernel.msgmax'},{'name':'net.ipv4.ip_local_reserved_ports'}]}}}",
	  "forbidden sysctls (foo, kernel.msgmax)" },

	/* windowsHostProcess: the pod first, then the containers */
	{ B, "{'spec':{'securityContext':{'windowsOptions':{'hostProcess':true}},"
	  "'containers':[{'name':'c','securityContext':{'windowsOptions':{'hostProcess':true}}},"
	  "{'name':'d','securityContext':{'windowsOptions':{'hostProcess':false}}}]}}",
	  "hostProcess (pod and container \"c\" must not set securityContext.windowsOptions.hostProcess=true)" },

	/* Windows pods: exempt from allowPrivilegeEscalation, capabilities, seccomp (not runAsNonRoot) */
	{ R, "{'spec':{'os':{'name':'windows'},'securityContext':{'runAsNonRoot':true},'containers':[{'name':'c'}]}}", "" },
	{ R, "{'spec':{'os':{'name':'windows'},'containers':[{'name':'c'}]}}",
	  "runAsNonRoot != true (pod or container \"c\" must set securityContext.runAsNonRoot=true)" },
	{ R, "{'spec':{'os':{'name':'Windows'},'securityContext':{'runAsNonRoot':true,'seccompProfile':{'type':'RuntimeDefault'}},"
	  "'containers':[{'name':'c','securityContext':{'capabilities':{'drop':['ALL']}}}]}}",
	  "allowPrivilegeEscalation != false (container \"c\" must set securityContext.allowPrivilegeEscalation=false)" },

	/* allowPrivilegeEscalation: only an explicit false passes */
	{ R, RPOD("'containers':[{'name':'t','image':'i','securityContext':{'allowPrivilegeEscalation':true,'capabilities':{'drop':['ALL']}}},"
	  "{'name':'n','image':'i','securityContext':{'allowPrivilegeEscalation':null,'capabilities':{'drop':['ALL']}}}," C("ok") "]"),
	  "allowPrivilegeEscalation != false (containers \"t\", \"n\" must set securityContext.allowPrivilegeEscalation=false)" },

	/* runAsNonRoot: explicit false wins over the missing ones; user namespaces skip it */
	{ R, "{'spec':{'securityContext':{'runAsNonRoot':false,'seccompProfile':{'type':'RuntimeDefault'}},"
	  "'containers':[{'name':'c','image':'i'," OKSC "},{'name':'d','image':'i','securityContext':{'runAsNonRoot':false,"
	  "'allowPrivilegeEscalation':false,'capabilities':{'drop':['ALL']}}}]}}",
	  "runAsNonRoot != true (pod and container \"d\" must not set securityContext.runAsNonRoot=false)" },
	{ R, "{'spec':{'securityContext':{'seccompProfile':{'type':'RuntimeDefault'}},"
	  "'containers':[{'name':'a','image':'i','securityContext':{'runAsNonRoot':true,'allowPrivilegeEscalation':false,"
	  "'capabilities':{'drop':['ALL']}}}," C("b") "," C("c") "]}}",
	  "runAsNonRoot != true (pod or containers \"b\", \"c\" must set securityContext.runAsNonRoot=true)" },
	{ R, "{'spec':{'hostUsers':false,'securityContext':{'runAsUser':0,'seccompProfile':{'type':'RuntimeDefault'}},"
	  "'containers':[" C("c") "]}}", "" },

	/* runAsUser: 0 is root; other ids and null pass */
	{ R, "{'spec':{'securityContext':{'runAsNonRoot':true,'runAsUser':0,'seccompProfile':{'type':'RuntimeDefault'}},"
	  "'containers':[{'name':'c','image':'i','securityContext':{'runAsUser':0,'allowPrivilegeEscalation':false,"
	  "'capabilities':{'drop':['ALL']}}},{'name':'d','image':'i','securityContext':{'runAsUser':1000,"
	  "'allowPrivilegeEscalation':false,'capabilities':{'drop':['ALL']}}}]}}",
	  "runAsUser=0 (pod and container \"c\" must not set runAsUser=0)" },
	{ R, RPOD("'containers':[{'name':'c','image':'i','securityContext':{'runAsUser':null,"
	  "'allowPrivilegeEscalation':false,'capabilities':{'drop':['ALL']}}}]"), "" },

	/* names are quoted as they are, not escaped (joinQuote) */
	{ B, "{'spec':{'containers':[{'name':'a\\u0022b','securityContext':{'privileged':true}},"
	  "{'securityContext':{'privileged':true}}]}}",
	  "privileged (containers \"a\"b\", \"\" must not set securityContext.privileged=true)" },

	/* the baseline order of every check at once */
	{ B, "{'metadata':{'annotations':{'container.apparmor.security.beta.kubernetes.io/c':'unconfined'}},"
	  "'spec':{'hostNetwork':true,'volumes':[{'name':'h','hostPath':{}}],"
	  "'securityContext':{'sysctls':[{'name':'x'}],'seccompProfile':{'type':'Unconfined'},"
	  "'seLinuxOptions':{'user':'u'},'windowsOptions':{'hostProcess':true}},"
	  "'containers':[{'name':'c','ports':[{'hostPort':1}],'livenessProbe':{'httpGet':{'host':'h'}},"
	  "'securityContext':{'privileged':true,'procMount':'Unmasked','capabilities':{'add':['NET_RAW']}}}]}}",
	  "forbidden AppArmor profiles (container \"c\" and annotation must not set AppArmor profile type to \"Unconfined\", "
	  "\"container.apparmor.security.beta.kubernetes.io/c=\"unconfined\"\"), "
	  "non-default capabilities (container \"c\" must not include \"NET_RAW\" in securityContext.capabilities.add), "
	  "host namespaces (hostNetwork=true), hostPath volumes (volume \"h\"), hostPort (container \"c\" uses hostPort 1), "
	  "probe or lifecycle host (container \"c\" uses probe or lifecycle host \"h\"), "
	  "privileged (container \"c\" must not set securityContext.privileged=true), "
	  "procMount (container \"c\" must not set securityContext.procMount to \"Unmasked\"), "
	  "seLinuxOptions (pod set forbidden securityContext.seLinuxOptions: user may not be set), "
	  "seccompProfile (pod must not set securityContext.seccompProfile.type to \"Unconfined\"), "
	  "forbidden sysctls (x), hostProcess (pod must not set securityContext.windowsOptions.hostProcess=true)" },
	/* ... and restricted: overridden baseline checks move to their restricted place */
	{ R, "{'spec':{'hostNetwork':true,'volumes':[{'name':'h','hostPath':{}}],"
	  "'securityContext':{'runAsUser':0,'seccompProfile':{'type':'Unconfined'}},"
	  "'containers':[{'name':'c','securityContext':{'privileged':true,'procMount':'Unmasked','capabilities':{'add':['NET_RAW']}}}]}}",
	  "host namespaces (hostNetwork=true), privileged (container \"c\" must not set securityContext.privileged=true), "
	  "allowPrivilegeEscalation != false (container \"c\" must set securityContext.allowPrivilegeEscalation=false), "
	  "unrestricted capabilities (container \"c\" must set securityContext.capabilities.drop=[\"ALL\"]; "
	  "container \"c\" must not include \"NET_RAW\" in securityContext.capabilities.add), "
	  "procMount (container \"c\" must not set securityContext.procMount to \"Unmasked\"), "
	  "restricted volume types (volume \"h\" uses restricted volume type \"hostPath\"), "
	  "runAsNonRoot != true (pod or container \"c\" must set securityContext.runAsNonRoot=true), "
	  "runAsUser=0 (pod must not set runAsUser=0), "
	  "seccompProfile (pod must not set securityContext.seccompProfile.type to \"Unconfined\")" },

	/* shapes the apiserver never sends: skipped, never a crash */
	{ B, "{'spec':{'containers':[7,null,'x',{'name':'c','securityContext':{'privileged':true}}],'initContainers':{}}}",
	  "privileged (container \"c\" must not set securityContext.privileged=true)" },
	{ B, "{'spec':[]}", "" },
};

/* Replaces ' by " in a copy placed at the end of a malloc'd block (ASan sees over-reads). */
static char *
dequote(const char *s, size_t *n)
{
	char *p;
	size_t i;

	*n = strlen(s);
	p = malloc(*n ? *n : 1);
	for (i = 0; i < *n; i++)
		p[i] = s[i] == '\'' ? '"' : s[i];
	return p;
}

static void
test_cases(struct json_store *st)
{
	static char mem[PSS_MSG_MAX + 1];
	struct json d;
	struct buf out;
	size_t i, n;
	char *doc;
	int nv;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		doc = dequote(cases[i].pod, &n);
		if (json_parse(&d, st, doc, n) != JSON_OK) {
			check(0, "case parses", cases[i].pod);
			free(doc);
			continue;
		}
		buf_init(&out, mem, sizeof(mem) - 1);
		nv = pss_evaluate(&d, json_get(&d, 0, "metadata"), json_get(&d, 0, "spec"),
		    cases[i].level, &out);
		mem[out.len] = '\0';
		check((nv > 0) == (cases[i].want[0] != '\0') && strcmp(mem, cases[i].want) == 0,
		    cases[i].level == B ? "baseline" : "restricted", mem[0] ? mem : cases[i].pod);
		free(doc);
	}
}

/*
 * 200 privileged containers, the last with a probe host: the privileged list
 * is cut with "...", the verdict stays, and containers past the one-pass
 * view (PSS_VIEW_MAX) are still read.
 */
static void
test_limits(struct json_store *st)
{
	static char doc[64 << 10], mem[PSS_MSG_MAX + 1];
	struct buf b, out;
	struct json d;
	int i, nv;

	buf_init(&b, doc, sizeof(doc));
	buf_puts(&b, "{\"spec\":{\"containers\":[");
	for (i = 0; i < 200; i++) {
		buf_puts(&b, i ? "," : "");
		buf_puts(&b, "{\"name\":\"container-with-a-long-name-");
		buf_put_u64(&b, (uint64_t)i);
		buf_puts(&b, "\",\"securityContext\":{\"privileged\":true}");
		buf_puts(&b, i == 199 ? ",\"startupProbe\":{\"httpGet\":{\"host\":\"h\"}}}" : "}");
	}
	buf_puts(&b, "]}}");
	check(!b.overflow && json_parse(&d, st, doc, b.len) == JSON_OK, "limits doc", "parse");
	buf_init(&out, mem, sizeof(mem) - 1);
	nv = pss_evaluate(&d, JSON_NONE, json_get(&d, 0, "spec"), B, &out);
	mem[out.len] = '\0';
	check(nv == 2 && strstr(mem, ", ...") != NULL && strstr(mem, "\"container-with-a-long-name-0\"") != NULL &&
	    strstr(mem, "probe or lifecycle host (container \"container-with-a-long-name-199\" uses") != NULL,
	    "200 containers: list cut, the last container (past PSS_VIEW_MAX) read", mem);
	buf_init(&out, mem, 64);
	check(pss_evaluate(&d, JSON_NONE, json_get(&d, 0, "spec"), R, &out) > 0 && out.overflow,
	    "small buffer: still denied", "overflow");
}

/* A review's rule context over AdmissionReview text (' for "). */
struct rq {
	struct admission	 a;
	struct rule_ctx		 rc;
	char			 deny[1024], warn[1024], audit[1024];
	char			*doc;
	struct json		 d;
};

static int
rq_open(struct rq *q, struct json_store *st, const char *text)
{
	size_t n;
	int req;

	memset(q, 0, sizeof(*q));
	q->doc = dequote(text, &n);
	if (json_parse(&q->d, st, q->doc, n) != JSON_OK)
		return 0;
	req = json_get(&q->d, 0, "request");
	q->a.d = &q->d;
	q->a.object = json_get(&q->d, req, "object");
	q->a.old = JSON_NONE;
	q->a.meta = json_get(&q->d, q->a.object, "metadata");
	q->a.kind = kinds_find(&q->d, json_get(&q->d, req, "kind"), WL_ALL);
	q->a.pod = q->a.kind ? json_getp(&q->d, q->a.object, q->a.kind->spec) : JSON_NONE;
	q->a.op = "CREATE";
	q->rc.rq = &q->a;
	q->rc.audit_last = -1;
	buf_init(&q->rc.deny, q->deny, sizeof(q->deny));
	buf_init(&q->rc.warn, q->warn, sizeof(q->warn));
	buf_init(&q->rc.audit, q->audit, sizeof(q->audit));
	return q->a.kind != NULL;
}

#define REVIEW(kind, group, ns, user, obj) \
	"{'request':{'kind':{'group':'" group "','version':'v1','kind':'" kind "'},'namespace':'" ns "'," \
	"'userInfo':{'username':'" user "'},'object':" obj "}}"
#define PRIV	"{'containers':[{'name':'c','securityContext':{'privileged':true}}],'runtimeClassName':'kata'}"

static void
test_rules(struct json_store *st)
{
	static const char *const ex[] = { PSS_NAMESPACE("ci"), PSS_USERNAME("system:serviceaccount:ci:bot"),
	    PSS_RUNTIMECLASS("kata"), NULL };
	static const char *const bad[] = { PSS_NAMESPACE("ci"), "namespaces:typo", NULL };
	static const char *const none[] = { PSS_RUNTIMECLASS(""), NULL };
	static const struct {
		const char		*review;
		const char *const	*list;
		int			 exempt;
	} exempt_cases[] = {
		{ REVIEW("Pod", "", "ci", "u", "{'spec':{}}"), ex, 1 },
		{ REVIEW("Pod", "", "cix", "u", "{'spec':{}}"), ex, 0 },
		{ REVIEW("Pod", "", "d", "system:serviceaccount:ci:bot", "{'spec':{}}"), ex, 1 },
		{ REVIEW("Pod", "", "d", "u", "{'spec':" PRIV "}"), ex, 1 },
		{ REVIEW("Deployment", "apps", "d", "u", "{'spec':{'template':{'spec':" PRIV "}}}"), ex, 1 },
		{ REVIEW("Pod", "", "kube-system", "u", "{'spec':{}}"), NULL, 1 },
		{ REVIEW("Pod", "", "kube-system", "u", "{'spec':{}}"), ex, 0 },
		{ REVIEW("Pod", "", "d", "u", "{'spec':{'runtimeClassName':''}}"), none, 0 },
		{ REVIEW("Pod", "", "ci", "u", "{'spec':{}}"), bad, 1 },
		{ REVIEW("Pod", "", "d", "u", "{'spec':{}}"), bad, -1 },
	};
	struct rule r = POD_SECURITY_BASELINE(DENY, bad);
	const char *why = NULL;
	struct rq q;
	size_t i;

	for (i = 0; i < sizeof(exempt_cases) / sizeof(exempt_cases[0]); i++) {
		check(rq_open(&q, st, exempt_cases[i].review) &&
		    pss_exempt(&q.rc, exempt_cases[i].list, &why) == exempt_cases[i].exempt,
		    "exemption", exempt_cases[i].review);
		free(q.doc);
	}
	check(rq_open(&q, st, REVIEW("Pod", "", "d", "u", "{'spec':" PRIV "}")), "bad entry review", "open");
	r.kind->fn(&q.rc, &r);
	q.deny[q.rc.deny.len] = '\0';
	check(q.rc.ndeny == 1 && strstr(q.deny, "unknown exemption namespaces:typo") != NULL,
	    "a bad exemption entry denies, naming it", q.deny);
	free(q.doc);
	check(rq_open(&q, st, REVIEW("CronJob", "batch", "d", "u", "{'spec':{'jobTemplate':{'spec':{'template':"
	    "{'metadata':{'annotations':{'a':'b'}},'spec':{}}}}}}")) &&
	    json_str_eq(&q.d, json_get(&q.d, json_get(&q.d, pss_pod_meta(&q.rc), "annotations"), "a"), "b"),
	    "CronJob: the template's metadata", "pss_pod_meta");
	free(q.doc);
}

int
main(void)
{
	struct json_store st = { 0 };

	test_cases(&st);
	test_limits(&st);
	test_rules(&st);
	json_store_free(&st);
	printf("pss_test: %d passed, %d failed\n", passed, failed);
	return failed != 0;
}
