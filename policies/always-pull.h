/*
 * policies/always-pull.h: like the AlwaysPullImages admission plugin, every
 * init and regular container pulls its image on start, so a node's cached
 * image cannot be used by a pod without the pull secret for it.
 */
static const struct rule policy[] = {
	FORCE_IMAGE_PULL_POLICY("Always"),
};
