#!/bin/sh
# libyaml-src.sh DIR: unpack Debian's libyaml source package into DIR (the
# offline reviewer's YAML reader; compiled with musl by the Makefile, as
# Debian's libyaml.a is built for glibc). Like bearssl-src.sh: `apt-get
# source` needs a deb-src entry, which as root we derive from debian.sources.
set -eu
dir=$1
[ -f "$dir/src/parser.c" ] && [ -f "$dir/include/yaml.h" ] && exit 0
srcs=/etc/apt/sources.list.d/tinyhook-deb-src.sources
if ! grep -rqs '^Types:.*deb-src\|^deb-src' /etc/apt/sources.list /etc/apt/sources.list.d/; then
	if [ "$(id -u)" != 0 ]; then
		echo "tinyhook: need a deb-src apt entry to fetch libyaml; as root run:" >&2
		echo "  sed 's/^Types: deb\$/Types: deb-src/' /etc/apt/sources.list.d/debian.sources > $srcs && apt-get update" >&2
		echo "(or build without YAML input: make YAML=0)" >&2
		exit 1
	fi
	sed 's/^Types: deb$/Types: deb-src/' /etc/apt/sources.list.d/debian.sources >"$srcs"
	apt-get -o DPkg::Lock::Timeout=600 update -qq >/dev/null
fi
tmp=$(mktemp -d "${TMPDIR:-/tmp}/libyaml.XXXXXX")
(cd "$tmp" && apt-get source -qq libyaml >/dev/null 2>&1) || {
	apt-get -o DPkg::Lock::Timeout=600 update -qq >/dev/null 2>&1 || true
	(cd "$tmp" && apt-get source -qq libyaml >/dev/null)
}
mkdir -p "$(dirname "$dir")"
rm -rf "$dir"
mv "$tmp"/libyaml-*/ "$dir"
rm -rf "$tmp"
echo "tinyhook: libyaml source in $dir" >&2
