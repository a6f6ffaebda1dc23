/*
 * imageref_test.c: the image reference grammar (src/imageref.c) against the
 * cases distribution/reference (what docker and containerd use) decides:
 * registry with port, localhost, digests, tag + digest, uppercase, no tag,
 * library/ images, explicit docker.io, index.docker.io, IPv6 registries;
 * and the registry-prefix match at a path boundary.
 */
#include <stdio.h>
#include <string.h>

#include "imageref.h"

#include "check.h"

static const struct {
	const char	*ref;
	int		 valid;
	const char	*name;		/* normalized, when valid */
	const char	*tag;		/* NULL: none */
	int		 digest;
} cases[] = {
	{ "nginx", 1, "docker.io/library/nginx", NULL, 0 },
	{ "nginx:1.27", 1, "docker.io/library/nginx", "1.27", 0 },
	{ "library/nginx:1", 1, "docker.io/library/nginx", "1", 0 },
	{ "docker.io/nginx", 1, "docker.io/library/nginx", NULL, 0 },
	{ "docker.io/library/nginx", 1, "docker.io/library/nginx", NULL, 0 },
	{ "index.docker.io/nginx:1", 1, "docker.io/library/nginx", "1", 0 },
	{ "index.docker.io/user/app", 1, "docker.io/user/app", NULL, 0 },
	{ "user/app:v2", 1, "docker.io/user/app", "v2", 0 },
	{ "registry.example.com/app:1.0", 1, "registry.example.com/app", "1.0", 0 },
	{ "registry.example.com:5000/team/app:1", 1, "registry.example.com:5000/team/app", "1", 0 },
	{ "localhost/app", 1, "localhost/app", NULL, 0 },
	{ "localhost:5000/app:dev", 1, "localhost:5000/app", "dev", 0 },
	{ "localhostx/app", 1, "docker.io/localhostx/app", NULL, 0 },
	{ "10.0.0.1:5000/app", 1, "10.0.0.1:5000/app", NULL, 0 },
	{ "[fd00::1]:5000/app:1", 1, "[fd00::1]:5000/app", "1", 0 },
	{ "[::1]/app", 1, "[::1]/app", NULL, 0 },
	{ "[fd00::1:5000/app", 0, NULL, NULL, 0 },
	{ "fd00::1]/app", 0, NULL, NULL, 0 },
	{ "registry.example.com/a[b]", 0, NULL, NULL, 0 },
	{ "nginx@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef", 1,
	  "docker.io/library/nginx", NULL, 1 },
	{ "nginx:1.27@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef", 1,
	  "docker.io/library/nginx", "1.27", 1 },
	{ "Registry.Example.com/app", 1, "Registry.Example.com/app", NULL, 0 },
	{ "Nginx", 0, NULL, NULL, 0 },
	{ "registry.example.com/App:1", 0, NULL, NULL, 0 },
	{ "nginx:TAG_Upper-1", 1, "docker.io/library/nginx", "TAG_Upper-1", 0 },
	{ "", 0, NULL, NULL, 0 },
	{ "nginx:", 0, NULL, NULL, 0 },
	{ "nginx:a:b", 0, NULL, NULL, 0 },
	{ "/nginx", 0, NULL, NULL, 0 },
	{ "nginx/", 0, NULL, NULL, 0 },
	{ "nginx@", 0, NULL, NULL, 0 },
	{ "a@b@c", 0, NULL, NULL, 0 },
	{ "nginx 1", 0, NULL, NULL, 0 },
	{ "nginx\"", 0, NULL, NULL, 0 },
};

static const struct {
	const char	*name;		/* normalized */
	const char	*entry;
	int		 under;
} matches[] = {
	{ "registry.example.com/app", "registry.example.com/", 1 },
	{ "registry.example.com/app", "registry.example.com", 1 },
	{ "registry.example.com.evil.io/app", "registry.example.com", 0 },
	{ "registry.example.com.evil.io/app", "registry.example.com/", 0 },
	{ "registry.example.com:5000/app", "registry.example.com", 0 },
	{ "registry.example.com:5000/app", "registry.example.com:5000/", 1 },
	{ "REGISTRY.example.com/app", "registry.example.com/", 1 },
	{ "docker.io/library/nginx", "docker.io/library", 1 },
	{ "docker.io/library/nginx", "docker.io/library/", 1 },
	{ "docker.io/libraryx/nginx", "docker.io/library", 0 },
	{ "docker.io/library/nginx", "docker.io/library/nginx", 1 },
	{ "docker.io/library/nginxx", "docker.io/library/nginx", 0 },
	{ "registry.example.com/team/app", "registry.example.com/team", 1 },
	{ "registry.example.com/teamx/app", "registry.example.com/team", 0 },
	{ "registry.example.com/app", "", 0 },
	{ "registry.example.com", "registry.example.com/", 0 },
};

int
main(void)
{
	struct imageref im;
	char name[256], what[200];
	struct buf b;
	size_t i;
	int ok;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		imageref_parse(&im, cases[i].ref, strlen(cases[i].ref));
		snprintf(what, sizeof(what), "%s: valid %d", cases[i].ref, cases[i].valid);
		check(im.valid == cases[i].valid, what, im.valid ? "valid" : "invalid");
		if (!cases[i].valid || !im.valid)
			continue;
		buf_init(&b, name, sizeof(name) - 1);
		imageref_name(&im, &b);
		name[b.len] = '\0';
		snprintf(what, sizeof(what), "%s: name %s", cases[i].ref, cases[i].name);
		check(strcmp(name, cases[i].name) == 0, what, name);
		ok = cases[i].tag == NULL ? im.tag == NULL :
		    im.tag != NULL && im.tagn == strlen(cases[i].tag) &&
		    memcmp(im.tag, cases[i].tag, im.tagn) == 0;
		snprintf(what, sizeof(what), "%s: tag and digest", cases[i].ref);
		check(ok && im.digest == cases[i].digest, what, im.tag ? im.tag : "(none)");
	}
	for (i = 0; i < sizeof(matches) / sizeof(matches[0]); i++) {
		snprintf(what, sizeof(what), "%s under %s: %d", matches[i].name,
		    matches[i].entry, matches[i].under);
		check(imageref_under(matches[i].name, strlen(matches[i].name),
		    matches[i].entry) == matches[i].under, what, "");
	}
	printf("imageref_test: %d passed, %d failed\n", passed, failed);
	return failed != 0;
}
