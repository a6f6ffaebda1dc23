#!/bin/sh
# deb-src.sh PACKAGE DIR: unpack the Debian source package PACKAGE into DIR
# (replacing DIR), for the third-party code we build ourselves with musl
# (scripts/bearssl-src.sh, scripts/libyaml-src.sh). Prints one line on
# stderr when done; exits non-zero with the reason otherwise.
#
# `apt-get source` needs a deb-src entry; a fresh Debian machine has only
# "Types: deb" in debian.sources, so as root we derive a deb-src twin of it
# (a file of our own beside it; nothing of the machine's is edited). A
# failed fetch is retried once after `apt-get update`: the package lists
# may be older than the mirror's pool.
set -eu
pkg=$1
dir=$2
srcs=/etc/apt/sources.list.d/tinyhook-deb-src.sources
if ! grep -rqs '^Types:.*deb-src\|^deb-src' /etc/apt/sources.list /etc/apt/sources.list.d/; then
	if [ "$(id -u)" != 0 ]; then
		echo "tinyhook: need a deb-src apt entry to fetch $pkg; as root run:" >&2
		echo "  sed 's/^Types: deb\$/Types: deb-src/' /etc/apt/sources.list.d/debian.sources > $srcs && apt-get update" >&2
		exit 1
	fi
	sed 's/^Types: deb$/Types: deb-src/' /etc/apt/sources.list.d/debian.sources >"$srcs"
	apt-get -o DPkg::Lock::Timeout=600 update -qq >/dev/null
fi
tmp=$(mktemp -d "${TMPDIR:-/tmp}/$pkg.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
(cd "$tmp" && apt-get source -qq "$pkg" >/dev/null 2>&1) || {
	apt-get -o DPkg::Lock::Timeout=600 update -qq >/dev/null 2>&1 || true
	(cd "$tmp" && apt-get source -qq "$pkg" >/dev/null)
}
mkdir -p "$(dirname "$dir")"
rm -rf "$dir"
mv "$tmp/$pkg"-*/ "$dir"
echo "tinyhook: $pkg source in $dir" >&2
