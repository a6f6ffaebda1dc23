#!/bin/sh
# mkimage.sh: the container image of a static binary, assembled with tar,
# gzip and sha256sum. No Docker daemon, no base image.
#
#   sh scripts/mkimage.sh --binary FILE --out IMAGE.oci.tar [--arch A]
#       [--version V] [--policy-name N] [--policy-hash H] [--source URL] [--tag T]
#   sh scripts/mkimage.sh --platform amd64=FILE --platform arm64=FILE2 --out ...
#       a multi-arch image: the index lists one manifest per platform and
#       runtimes pull their own; the docker-archive view holds the first.
# Architectures: amd64, arm64, armv7 (OCI architecture "arm", variant "v7").
# --tag defaults to tinyhook:VERSION; the Makefile passes
# tinyhook:VERSION-POLICY-HASH, so two policies never share a tag.
#
# The archive is at once an OCI image layout (oci-layout, index.json,
# blobs/sha256/...) and a docker-archive (manifest.json pointing into the same
# blobs), so `skopeo ... oci-archive:`, `podman load`, `k3s ctr images import`
# and older `docker load` all read it.
#
# Reproducible: every timestamp is SOURCE_DATE_EPOCH (default: the last
# commit's time, or 0 without a commit), entries are sorted, owners numeric,
# gzip stores no name or time, JSON is written in one fixed key order. The same
# binary therefore always gives the same archive and the same digest.
set -eu

prog=mkimage
die() { echo "$prog: $*" >&2; exit 1; }

bin= out= arch= version=0.0.0 pname=policy phash=unknown source= tag= platforms= summary=
while [ $# -gt 0 ]; do
	[ $# -ge 2 ] || die "$1 needs a value"
	case $1 in
	--binary) bin=$2 ;;
	--platform) platforms="$platforms $2" ;;
	--out) out=$2 ;;
	--arch) arch=$2 ;;
	--version) version=$2 ;;
	--policy-name) pname=$2 ;;
	--policy-hash) phash=$2 ;;
	--source) source=$2 ;;
	--tag) tag=$2 ;;
	*) die "unknown argument: $1" ;;
	esac
	shift 2
done
[ -n "$arch" ] || arch=$(uname -m | sed 's/x86_64/amd64/;s/aarch64/arm64/;s/armv7l/armv7/')
[ -n "$platforms" ] || platforms="$arch=$bin"
[ -n "$out" ] && [ "$platforms" != "$arch=" ] ||
	die "usage: mkimage.sh --binary FILE | --platform ARCH=FILE... --out IMAGE.oci.tar [...]"
# A scratch image has no dynamic loader: refuse anything not statically linked.
check_bin() {
	[ -f "$1" ] || die "$1: no such file (run make first)"
	case $(od -An -c -N4 "$1" | tr -d ' ') in
	*ELF) ;; *) die "$1 is not an ELF binary" ;; esac
	if command -v file >/dev/null 2>&1; then
		case $(file -b "$1") in
		*dynamically\ linked*) die "$1 is dynamically linked; a scratch image needs a static binary" ;;
		esac
	fi
}
for p in $platforms; do check_bin "${p#*=}"; done
# org.opencontainers.image.source must be a URL others can open: the git
# remote when it is one (scp-style git@host:path becomes https), else the
# project's home. Never a local path.
if [ -z "$source" ]; then
	source=$(git config --get remote.origin.url 2>/dev/null || true)
	case $source in
	https://*) ;;
	git@*:*) source=$(echo "$source" | sed 's|^git@\([^:]*\):|https://\1/|') ;;
	*) source= ;;
	esac
	source=${source%.git}
fi
[ -n "$source" ] || source=https://github.com/tinyhook/tinyhook
case $source in https://*|http://*) ;; *) die "--source must be a URL: $source" ;; esac
[ -n "$tag" ] || tag=tinyhook:$version
ref=${tag##*:}
revision=$(git rev-parse -q --verify HEAD 2>/dev/null || echo unknown)
if [ -z "${SOURCE_DATE_EPOCH:-}" ]; then
	SOURCE_DATE_EPOCH=$(git log -1 --format=%ct 2>/dev/null || echo 0)
	[ -n "$SOURCE_DATE_EPOCH" ] || SOURCE_DATE_EPOCH=0
fi
case $SOURCE_DATE_EPOCH in *[!0-9]*) die "SOURCE_DATE_EPOCH not a number" ;; esac
created=$(date -u -d "@$SOURCE_DATE_EPOCH" +%Y-%m-%dT%H:%M:%SZ)
# Values go into JSON strings: refuse what would need escaping.
for v in "$version" "$pname" "$phash" "$source" "$tag" "$platforms" "$revision"; do
	case $v in *[\"\\]*) die "unsupported character in: $v" ;; esac
	case $v in *[![:print:]]*) die "unsupported character in: $v" ;; esac
done

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT INT TERM
mkdir -p "$tmp/img/blobs/sha256"

# Fixed tar options: GNU tar, ustar format (no atime/ctime), sorted, numeric
# root owner, one mtime.
rtar() {
	tar --format=ustar --sort=name --numeric-owner --owner=0 --group=0 \
	    --mtime="@$SOURCE_DATE_EPOCH" "$@"
}
sha() { sha256sum "$1" | cut -d' ' -f1; }
size() { wc -c <"$1" | tr -d ' '; }
blob() {	# blob FILE: moves FILE into blobs/ under its digest, prints the digest
	d=$(sha "$1")
	mv "$1" "$tmp/img/blobs/sha256/$d"
	echo "$d"
}

labels=$(printf '"io.tinyhook.policy.hash":"%s","io.tinyhook.policy.name":"%s","org.opencontainers.image.created":"%s","org.opencontainers.image.licenses":"Apache-2.0","org.opencontainers.image.revision":"%s","org.opencontainers.image.source":"%s","org.opencontainers.image.title":"tinyhook","org.opencontainers.image.version":"%s"' \
    "$phash" "$pname" "$created" "$revision" "$source" "$version")

# platform ARCH: the OCI platform fields of one of our architecture names.
platform() {
	case $1 in
	amd64|arm64) echo "\"architecture\":\"$1\",\"os\":\"linux\"" ;;
	armv7) echo '"architecture":"arm","os":"linux","variant":"v7"' ;;
	*) die "unknown architecture $1 (amd64, arm64, armv7)" ;;
	esac
}

# image ARCH FILE: the layer, config and manifest of one platform; appends
# its index entry to $entries and sets $config, $layer, $manifest.
entries=
image() {
	plat=$(platform "$1")
	rm -rf "$tmp/root"
	mkdir -p "$tmp/root"
	cp "$2" "$tmp/root/tinyhook"
	chmod 0755 "$tmp/root/tinyhook"
	# The layer: /tinyhook only. The binary stays owned by root and the
	# process runs as 65532, so it cannot rewrite itself.
	rtar -C "$tmp/root" -cf "$tmp/layer.tar" tinyhook
	diffid=$(sha "$tmp/layer.tar")
	gzip -n -9 <"$tmp/layer.tar" >"$tmp/layer.tgz"
	layer_size=$(size "$tmp/layer.tgz")
	layer=$(blob "$tmp/layer.tgz")
	# Entrypoint: in-cluster defaults; Cmd is empty so `args:` in a pod adds flags.
	printf '{%s,"config":{"Entrypoint":["/tinyhook","--listen",":9443","--cert-dir","/etc/tinyhook/certs"],"ExposedPorts":{"9443/tcp":{}},"Labels":{%s},"User":"65532:65532","WorkingDir":"/"},"created":"%s","history":[{"created":"%s","created_by":"scripts/mkimage.sh: COPY tinyhook /tinyhook"}],"rootfs":{"diff_ids":["sha256:%s"],"type":"layers"}}' \
	    "$plat" "$labels" "$created" "$created" "$diffid" >"$tmp/config.json"
	config_size=$(size "$tmp/config.json")
	config=$(blob "$tmp/config.json")
	printf '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"sha256:%s","size":%s},"layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar+gzip","digest":"sha256:%s","size":%s}],"annotations":{%s}}' \
	    "$config" "$config_size" "$layer" "$layer_size" "$labels" >"$tmp/manifest.json"
	manifest_size=$(size "$tmp/manifest.json")
	manifest=$(blob "$tmp/manifest.json")
	# ref.name: the tag the OCI tools (skopeo, umoci, podman) use.
	entries="$entries${entries:+,}$(printf '{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:%s","size":%s,"annotations":{"io.containerd.image.name":"docker.io/library/%s","org.opencontainers.image.ref.name":"%s"},"platform":{%s}}' \
	    "$manifest" "$manifest_size" "$tag" "$ref" "$plat")"
}

first=
for p in $platforms; do
	image "${p%%=*}" "${p#*=}"
	# docker-archive view of the same blobs (docker load before 25.0 reads
	# only this); it holds one image, the first platform's.
	[ -n "$first" ] || first=$(printf '[{"Config":"blobs/sha256/%s","RepoTags":["%s"],"Layers":["blobs/sha256/%s"]}]' \
	    "$config" "$tag" "$layer")
	summary="$summary ${p%%=*} sha256:$manifest"
done
printf '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[%s]}' \
    "$entries" >"$tmp/index.json"
if [ "$(echo $platforms | wc -w)" -gt 1 ]; then
	# Several platforms: the layout's index names one image, itself an
	# index of the per-platform manifests, so tools pick by architecture.
	index_size=$(size "$tmp/index.json")
	index=$(blob "$tmp/index.json")
	printf '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[{"mediaType":"application/vnd.oci.image.index.v1+json","digest":"sha256:%s","size":%s,"annotations":{"io.containerd.image.name":"docker.io/library/%s","org.opencontainers.image.ref.name":"%s"}}]}' \
	    "$index" "$index_size" "$tag" "$ref" >"$tmp/img/index.json"
	summary="$summary, index sha256:$index"
else
	mv "$tmp/index.json" "$tmp/img/index.json"
fi
printf '%s' "$first" >"$tmp/img/manifest.json"
printf '{"imageLayoutVersion":"1.0.0"}' >"$tmp/img/oci-layout"

chmod 0755 "$tmp/img" "$tmp/img/blobs" "$tmp/img/blobs/sha256"
chmod 0644 "$tmp/img"/*.json "$tmp/img/oci-layout" "$tmp/img/blobs/sha256"/*
mkdir -p "$(dirname "$out")"
rtar -C "$tmp/img" -cf "$tmp/image.tar" blobs index.json manifest.json oci-layout
mv -f "$tmp/image.tar" "$out"
echo "$prog: $out: $tag,$summary; $(size "$out") bytes archive"
