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
    "usage: tinyhook manifests [--namespace NS --service SVC | --url URL]\n"
    "         [--ca-bundle FILE] [--failure-policy Fail|Ignore] [--timeout N] [--name N]\n"
    "  Prints the Validating/MutatingWebhookConfiguration the compiled policy\n"
    "  needs (defaults: namespace tinyhook, service tinyhook, Fail, 5 s).\n";

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
};

static int
manifests_flags(struct manifests *f, int argc, char **argv)
{
	const char **dst;
	char *end;
	int i;

	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0)
			return 1;
		if (i + 1 >= argc)
			return -1;
		dst = strcmp(argv[i], "--namespace") == 0 ? &f->ns :
		    strcmp(argv[i], "--service") == 0 ? &f->svc :
		    strcmp(argv[i], "--url") == 0 ? &f->url :
		    strcmp(argv[i], "--ca-bundle") == 0 ? &f->ca :
		    strcmp(argv[i], "--failure-policy") == 0 ? &f->fail :
		    strcmp(argv[i], "--name") == 0 ? &f->name : NULL;
		if (strcmp(argv[i], "--timeout") == 0) {
			errno = 0;
			f->timeout = strtol(argv[++i], &end, 10);
			if (errno != 0 || *end != '\0' || f->timeout < 1 ||
			    f->timeout > MANIFESTS_MAX_TIMEOUT)
				return -1;
			continue;
		}
		if (dst == NULL || argv[i + 1][0] == '\0')
			return -1;
		*dst = argv[++i];
	}
	if (strcmp(f->fail, "Fail") != 0 && strcmp(f->fail, "Ignore") != 0)
		return -1;
	return 0;
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

/* Prints one webhook configuration for /validate or /mutate. */
static void
manifests_one(const struct manifests *f, int mutate)
{
	const char *what = mutate ? "mutate" : "validate";

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
	printf("  namespaceSelector:\n    matchExpressions:\n"
	    "    - key: kubernetes.io/metadata.name\n      operator: NotIn\n"
	    "      values: [\"kube-system\", \"%s\"]\n", f->ns);
	manifests_rules(mutate);
}

/* True when the policy has rules for the route. */
static int
manifests_has(int mutate)
{
	size_t i;

	for (i = 0; i < policy_nrules; i++)
		if ((policy_rules[i].action == MUTATE) == (mutate != 0))
			return 1;
	return 0;
}

/* True when s is safe inside our YAML unquoted (no quoting games). */
static int
manifests_yaml_ok(const char *s)
{
	for (; *s != '\0'; s++)
		if (strchr("\"\\\n\r:#{}[],&*!|>'%@`", *s) != NULL && *s != ':')
			return 0;
	return 1;
}

/* See review.h: prints the webhook configurations the policy needs. */
int
manifests_cli(int argc, char **argv)
{
	struct manifests f = { "tinyhook", "tinyhook", NULL, NULL, "Fail",
	    "tinyhook", MANIFESTS_DEF_TIMEOUT, NULL };
	int rc = manifests_flags(&f, argc, argv);

	if (rc > 0) {
		fputs(manifests_usage, stdout);
		return 0;
	}
	if (rc < 0 || !manifests_yaml_ok(f.ns) || !manifests_yaml_ok(f.svc) ||
	    !manifests_yaml_ok(f.name) || (f.url && !manifests_yaml_ok(f.url))) {
		fputs(manifests_usage, stderr);
		return 2;
	}
	if (manifests_ca(&f) < 0)
		return 2;
	if (manifests_has(0))
		manifests_one(&f, 0);
	if (manifests_has(1))
		manifests_one(&f, 1);
	free(f.ca_b64);
	return 0;
}
