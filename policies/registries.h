/*
 * policies/registries.h: images only from our registry, named with our
 * prefix, and pinned (no :latest, no missing tag). The registry check reads
 * image references the way container runtimes do: "nginx" is
 * docker.io/library/nginx, "registry.example.com:5000/x" is another
 * registry, "registry.example.com.evil.io/x" is not ours.
 */
static const struct rule policy[] = {
	ALLOWED_REGISTRIES(DENY, "registry.example.com/"),
	IMAGE_NAME_PREFIX(DENY, "msalinasc_"),
	NO_LATEST_TAG(DENY),
};
