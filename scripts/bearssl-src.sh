#!/bin/sh
# bearssl-src.sh DIR: unpack Debian's bearssl source package into DIR.
# `apt-get source` needs a deb-src entry; a fresh Debian machine has only
# "Types: deb" in debian.sources, so as root we derive a deb-src twin of it.
set -eu
dir=$1
[ -f "$dir/inc/bearssl.h" ] && exit 0
srcs=/etc/apt/sources.list.d/tinyhook-deb-src.sources
if ! grep -rqs '^Types:.*deb-src\|^deb-src' /etc/apt/sources.list /etc/apt/sources.list.d/; then
	if [ "$(id -u)" != 0 ]; then
		echo "tinyhook: need a deb-src apt entry to fetch bearssl; as root run:" >&2
		echo "  sed 's/^Types: deb\$/Types: deb-src/' /etc/apt/sources.list.d/debian.sources > $srcs && apt-get update" >&2
		exit 1
	fi
	sed 's/^Types: deb$/Types: deb-src/' /etc/apt/sources.list.d/debian.sources >"$srcs"
	apt-get -o DPkg::Lock::Timeout=600 update -qq >/dev/null
fi
tmp=$(mktemp -d "${TMPDIR:-/tmp}/bearssl.XXXXXX")
(cd "$tmp" && apt-get source -qq bearssl >/dev/null 2>&1) || {
	apt-get -o DPkg::Lock::Timeout=600 update -qq >/dev/null 2>&1 || true
	(cd "$tmp" && apt-get source -qq bearssl >/dev/null)
}
mkdir -p "$(dirname "$dir")"
rm -rf "$dir"
mv "$tmp"/bearssl-*/ "$dir"
rm -rf "$tmp"
echo "tinyhook: BearSSL source in $dir" >&2
