/*
 * manifests.c: `tinyhook manifests`, the Validating/MutatingWebhookConfiguration
 * objects the compiled policy needs, printed from the same rule table the
 * server runs (so they cannot drift from the code).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "limit.h"
#include "ostr.h"
#include "patch.h"
#include "review.h"
#include "rules.h"
#include "offline.h"
#include "version.h"

static const char manifests_usage[] =
    "usage: tinyhook manifests [--namespace NS --service SVC | --url https://HOST[:PORT][/PATH]]\n"
    "         [--ca-bundle FILE] [--failure-policy Fail|Ignore] [--timeout 1..30] [--name NAME]\n"
    "         [--exclude-namespace NS]... [--match-condition NAME=CEL]...\n"
    "  Prints the Validating/MutatingWebhookConfiguration the compiled policy\n"
    "  needs. Defaults: namespace and service tinyhook, timeout 5 s, failure\n"
    "  policy Fail when the policy denies anything, else Ignore (a webhook that\n"
    "  only warns must not stop the cluster when it is down). kube-system, the\n"
    "  webhook's own namespace and every --exclude-namespace are never sent, nor\n"
    "  are tinyhook's own pods (objectSelector).\n";

/* Reads the CA bundle file (at most MANIFESTS_MAX_CA bytes) into out. */
static int
manifests_read(const char *path, struct ostr *out)
{
	FILE *f = fopen(path, "rb");
	char chunk[4096];
	size_t n;
	int rc = 0;

	if (f == NULL) {
		fprintf(stderr, "tinyhook: %s: %s\n", path, strerror(errno));
		return -1;
	}
	while (rc == 0 && (n = fread(chunk, 1, sizeof(chunk), f)) > 0) {
		ostr_put(out, chunk, n);
		if (out->len > MANIFESTS_MAX_CA || out->nomem)
			rc = -1;
	}
	if (ferror(f))
		rc = -1;
	fclose(f);
	if (rc < 0)
		fprintf(stderr, "tinyhook: %s: cannot read (or larger than %u bytes)\n",
		    path, MANIFESTS_MAX_CA);
	return rc;
}

/* Flags of `tinyhook manifests`. */
struct manifests {
	const char	*ns, *svc, *url, *ca, *fail, *name;
	long		 timeout;
	char		*ca_b64;
	const char	*exclude[MANIFESTS_MAX_EXCLUDE];
	int		 nexclude;
	const char	*cond[MANIFESTS_MAX_CONDITIONS];	/* "name=expression" */
	int		 ncond;
};

/* A usage error: one line naming the argument, exit 2. */
static int
manifests_bad(const char *flag, const char *value, const char *why)
{
	fprintf(stderr, "tinyhook manifests: %s%s%s: %s (see --help)\n", flag,
	    value ? " " : "", value ? value : "", why);
	return -1;
}

/* DNS-1123 label: [a-z0-9]([-a-z0-9]*[a-z0-9])?, at most max bytes; with
 * dots allowed, a subdomain of such labels. */
static int
manifests_dns_ok(const char *s, size_t max, int dots)
{
	size_t i, n = strlen(s);

	if (n == 0 || n > max)
		return 0;
	for (i = 0; i < n; i++) {
		int alnum = (s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9');
		int edge = i == 0 || i == n - 1 || (dots && (s[i - 1] == '.' || s[i + 1] == '.'));

		if (!alnum && (edge || (s[i] != '-' && !(dots && s[i] == '.'))))
			return 0;
	}
	return 1;
}

/* https://host[:port][/path], no user info, query or fragment (the API's rules). */
static int
manifests_url_ok(const char *u)
{
	const char *host = u + 8;

	if (strncmp(u, "https://", 8) != 0 || *host == '\0' || *host == '/' ||
	    *host == ':' || strpbrk(u, "?#@ \"\\") != NULL)
		return 0;
	return u[strlen(u) - 1] != '/';
}

/* Takes the value of flag argv[i]; NULL (reported) when there is none. */
static const char *
manifests_value(int argc, char **argv, int i)
{
	if (i + 1 >= argc || argv[i + 1][0] == '\0') {
		manifests_bad(argv[i], NULL, "needs a value");
		return NULL;
	}
	return argv[i + 1];
}

static int
manifests_flag(struct manifests *f, const char *flag, const char *v)
{
	char *end;

	if (strcmp(flag, "--namespace") == 0 || strcmp(flag, "--service") == 0) {
		if (!manifests_dns_ok(v, MANIFESTS_LABEL_MAX, 0))
			return manifests_bad(flag, v, "expected a DNS-1123 label "
			    "(lower-case letters, digits, '-', at most 63)");
		*(flag[2] == 'n' ? &f->ns : &f->svc) = v;
	} else if (strcmp(flag, "--name") == 0) {
		if (!manifests_dns_ok(v, MANIFESTS_NAME_MAX, 1))
			return manifests_bad(flag, v, "expected a DNS-1123 subdomain");
		f->name = v;
	} else if (strcmp(flag, "--url") == 0) {
		if (!manifests_url_ok(v))
			return manifests_bad(flag, v, "expected https://HOST[:PORT][/PATH] "
			    "without a trailing /, query, fragment or user");
		f->url = v;
	} else if (strcmp(flag, "--failure-policy") == 0) {
		if (strcmp(v, "Fail") != 0 && strcmp(v, "Ignore") != 0)
			return manifests_bad(flag, v, "expected Fail or Ignore");
		f->fail = v;
	} else if (strcmp(flag, "--timeout") == 0) {
		errno = 0;
		f->timeout = strtol(v, &end, 10);
		if (errno != 0 || *end != '\0' || f->timeout < 1 ||
		    f->timeout > MANIFESTS_MAX_TIMEOUT)
			return manifests_bad(flag, v, "expected whole seconds, 1 to 30");
	} else if (strcmp(flag, "--ca-bundle") == 0) {
		f->ca = v;
	} else if (strcmp(flag, "--exclude-namespace") == 0) {
		if (!manifests_dns_ok(v, MANIFESTS_LABEL_MAX, 0))
			return manifests_bad(flag, v, "expected a DNS-1123 label");
		if (f->nexclude == MANIFESTS_MAX_EXCLUDE)
			return manifests_bad(flag, v, "too many (at most 32)");
		f->exclude[f->nexclude++] = v;
	} else if (strcmp(flag, "--match-condition") == 0) {
		end = strchr(v, '=');
		if (end == NULL || end == v || end[1] == '\0' || memchr(v, '"', (size_t)(end - v)))
			return manifests_bad(flag, v, "expected NAME=CEL-EXPRESSION");
		if (f->ncond == MANIFESTS_MAX_CONDITIONS)
			return manifests_bad(flag, v, "too many (the API allows 64)");
		f->cond[f->ncond++] = v;
	} else {
		return manifests_bad(flag, NULL, "unknown flag");
	}
	return 0;
}

/* 1: --help; 0: parsed; -1: a usage error (reported). */
static int
manifests_flags(struct manifests *f, int argc, char **argv)
{
	const char *v;
	int i;

	for (i = 1; i < argc; i += 2) {	/* every flag takes one value */
		if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0)
			return 1;
		if (strncmp(argv[i], "--", 2) != 0)
			return manifests_bad(argv[i], NULL, "unknown argument");
		if ((v = manifests_value(argc, argv, i)) == NULL ||
		    manifests_flag(f, argv[i], v) < 0)
			return -1;
	}
	return 0;
}

/* A CA bundle holds certificates and nothing else (never a private key). */
static int
manifests_ca_ok(const struct manifests *f, const struct ostr *raw)
{
	const char *p = raw->p ? raw->p : "";

	if (memmem(p, raw->len, "PRIVATE KEY", 11) != NULL) {
		manifests_bad("--ca-bundle", f->ca, "holds a private key: give the CA "
		    "certificate (ca.crt), never a key");
		return 0;
	}
	if (raw->len == 0 || memmem(p, raw->len, "-----BEGIN CERTIFICATE-----", 27) == NULL) {
		manifests_bad("--ca-bundle", f->ca, "holds no PEM certificate");
		return 0;
	}
	return 1;
}

/* Reads the CA bundle file and base64-encodes it for clientConfig.caBundle. */
static int
manifests_ca(struct manifests *f)
{
	struct ostr raw = OSTR_INIT;
	struct buf b;
	size_t cap;

	if (f->ca == NULL)
		return 0;
	if (manifests_read(f->ca, &raw) < 0)
		return -1;
	if (!manifests_ca_ok(f, &raw)) {
		free(raw.p);
		return -1;
	}
	cap = patch_base64_len(raw.len) + 1;
	if ((f->ca_b64 = malloc(cap)) == NULL) {
		free(raw.p);
		return -1;
	}
	buf_init(&b, f->ca_b64, cap);
	patch_base64(&b, raw.p ? raw.p : "", raw.len);
	f->ca_b64[b.len] = '\0';
	free(raw.p);
	return 0;
}

/* Prints the rules: one entry per API group of the policy's workloads. */
static void
manifests_rules(int mutate)
{
	const struct kind *k = kinds;
	size_t i, g, j, n = NUM_KINDS;
	int first;

	printf("  rules:\n");
	for (g = 0; g < n; g++) {
		/* each group once, in the table's order (kinds.h) */
		for (j = 0; j < g && strcmp(k[j].group, k[g].group) != 0; j++)
			;
		if (j < g)
			continue;
		first = 1;
		for (i = g; i < n; i++) {
			if (!(policy_workloads & (unsigned)k[i].bit) ||
			    strcmp(k[i].group, k[g].group) != 0)
				continue;
			if (first)
				printf("  - apiGroups: [\"%s\"]\n    apiVersions: [\"v1\"]\n"
				    "    operations: [\"CREATE\", \"UPDATE\"]\n"
				    "    scope: Namespaced\n    resources:\n", k[g].group);
			first = 0;
			printf("    - %s\n", k[i].resource);
			if (!mutate && k[i].bit == WL_POD)
				printf("    - pods/ephemeralcontainers\n");
		}
	}
}

/* matchConditions: CEL given by the operator, passed through quoted. */
static void
manifests_conditions(const struct manifests *f)
{
	const char *e, *p;
	int i;

	if (f->ncond == 0)
		return;
	printf("  matchConditions:\n");
	for (i = 0; i < f->ncond; i++) {
		e = strchr(f->cond[i], '=');
		printf("  - name: \"%.*s\"\n    expression: \"", (int)(e - f->cond[i]), f->cond[i]);
		for (p = e + 1; *p != '\0'; p++) {
			if (*p == '"' || *p == '\\')
				putchar('\\');
			putchar(*p);
		}
		printf("\"\n");
	}
}

/* Prints one webhook configuration for /validate or /mutate. */
static void
manifests_one(const struct manifests *f, int mutate)
{
	const char *what = mutate ? "mutate" : "validate";
	int i;

	printf("---\napiVersion: admissionregistration.k8s.io/v1\n"
	    "kind: %sWebhookConfiguration\nmetadata:\n  name: %s\n"
	    "  labels:\n    app.kubernetes.io/name: tinyhook\n"
	    "    tinyhook/policy: %s-%s\nwebhooks:\n"
	    "- name: %s.%s.tinyhook.io\n", mutate ? "Mutating" : "Validating",
	    f->name, policy_name, policy_hash, what, f->name);
	printf("  admissionReviewVersions: [\"v1\"]\n  sideEffects: None\n"
	    "  failurePolicy: %s\n  timeoutSeconds: %ld\n  matchPolicy: Equivalent\n",
	    f->fail, f->timeout);
	if (mutate)
		printf("  reinvocationPolicy: IfNeeded\n");
	printf("  clientConfig:\n");
	if (f->url != NULL)
		printf("    url: \"%s/%s\"\n", f->url, what);
	else
		printf("    service:\n      namespace: %s\n      name: %s\n"
		    "      path: /%s\n      port: 443\n", f->ns, f->svc, what);
	if (f->ca_b64 != NULL)
		printf("    caBundle: %s\n", f->ca_b64);
	/* CONTRACT rule 25: never our own namespace, nor kube-system. */
	printf("  namespaceSelector:\n    matchExpressions:\n"
	    "    - key: kubernetes.io/metadata.name\n      operator: NotIn\n"
	    "      values: [\"kube-system\", \"%s\"", f->ns);
	for (i = 0; i < f->nexclude; i++)
		printf(", \"%s\"", f->exclude[i]);
	printf("]\n  objectSelector:\n    matchExpressions:\n"
	    "    - key: app.kubernetes.io/name\n      operator: NotIn\n"
	    "      values: [\"tinyhook\"]\n");
	manifests_conditions(f);
	manifests_rules(mutate);
}

/* True when some rule of the policy denies (else failing open is safe). */
static int
manifests_denies(void)
{
	size_t i;

	for (i = 0; i < policy_nrules; i++)
		if (policy_rules[i].action == DENY)
			return 1;
	return 0;
}

/* See review.h: prints the webhook configurations the policy needs. */
int
manifests_cli(int argc, char **argv)
{
	struct manifests f = { "tinyhook", "tinyhook", NULL, NULL, NULL,
	    "tinyhook", MANIFESTS_DEF_TIMEOUT, NULL, { NULL }, 0, { NULL }, 0 };
	int rc = manifests_flags(&f, argc, argv);

	if (rc > 0) {
		fputs(manifests_usage, stdout);
		return 0;
	}
	if (rc < 0)
		return 2;
	if (f.fail == NULL)
		f.fail = manifests_denies() ? "Fail" : "Ignore";
	if (manifests_ca(&f) < 0)
		return 2;
	if (rules_serve(policy_rules, policy_nrules, 0))
		manifests_one(&f, 0);
	if (rules_serve(policy_rules, policy_nrules, 1))
		manifests_one(&f, 1);
	free(f.ca_b64);
	return 0;
}
