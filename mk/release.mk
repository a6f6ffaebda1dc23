# Releases: tag the commit first (git tag -a v0.x.y -m ...); VERSION is the tag.
#   make release      dist/<tag>/: static binaries for amd64, arm64 and armv7, one
#                     OCI image index of all three, an SPDX SBOM and SHA256SUMS;
#                     the same bytes on every run (SOURCE_DATE_EPOCH: the commit's time)
# <tag> is <version>-<policy>-<policy hash>, as the image tag (POLICY= works).
# libyaml is linked (YAML=1, the default): the SBOM names it too.

RELEASE_DIR	:= dist/$(IMAGE_TAG)
RELEASE_EPOCH	:= $(shell git log -1 --format=%ct 2>/dev/null || echo 0)
RELEASE_ARGS	:= --bearssl-src $(BEARSSL_SRC) $(if $(filter 1,$(YAML)),--sbom-with libyaml)

release: multiarch-bins
	SOURCE_DATE_EPOCH=$${SOURCE_DATE_EPOCH:-$(RELEASE_EPOCH)} sh scripts/release.sh \
	    --out $(RELEASE_DIR) --version $(VERSION) --policy $(PNAME) --hash $(PHASH) \
	    $(RELEASE_ARGS) $(foreach a,$(MULTI_ARCHES),$(a)=$(call arch-bin,$(a)))

.PHONY: release
