#!/bin/sh
# release.sh: a release directory from already-built static binaries.
#
#   sh scripts/release.sh --out DIR --version V --policy NAME --hash H
#       --bearssl-src SRC [--sbom-with libyaml] ARCH=BINARY...
#
# ARCH is amd64, arm64 or armv7. DIR gets, for TAG = V-NAME-H:
#   tinyhook-TAG-linux-ARCH   each binary (0755)
#   tinyhook-TAG.oci.tar      one OCI image index over all of them
#                             (scripts/mkimage.sh), tagged tinyhook:TAG
#   tinyhook-TAG.spdx.json    the SPDX 2.3 SBOM (scripts/sbom.py)
#   SHA256SUMS                sha256sum -c format, sorted by name
# and nothing else (DIR is emptied first). Every byte is a function of the
# binaries, the Debian package versions and SOURCE_DATE_EPOCH (the Makefile
# passes the commit's time), so two runs give the same files.
set -eu

prog=release
die() { echo "$prog: $*" >&2; exit 1; }
here=$(cd "$(dirname "$0")" && pwd)

out= version= pname= phash= bsrc= with= bins=
while [ $# -gt 0 ]; do
	case $1 in
	--out|--version|--policy|--hash|--bearssl-src|--sbom-with)
		[ $# -ge 2 ] || die "$1 needs a value"
		case $1 in
		--out) out=$2 ;; --version) version=$2 ;; --policy) pname=$2 ;;
		--hash) phash=$2 ;; --bearssl-src) bsrc=$2 ;; --sbom-with) with="$with --with $2" ;;
		esac
		shift 2 ;;
	*=*) bins="$bins $1"; shift ;;
	*) die "unknown argument: $1" ;;
	esac
done
[ -n "$out" ] && [ -n "$version" ] && [ -n "$pname" ] && [ -n "$phash" ] &&
	[ -n "$bsrc" ] && [ -n "$bins" ] ||
	die "usage: release.sh --out DIR --version V --policy NAME --hash H --bearssl-src SRC ARCH=BIN..."
: "${SOURCE_DATE_EPOCH:?SOURCE_DATE_EPOCH must be set (the Makefile sets the commit time)}"
export SOURCE_DATE_EPOCH
case $version in
*-g[0-9a-f]*|*dirty*)
	echo "$prog: note: $version is not a release tag (tag the commit v0.x.y first)" >&2 ;;
esac

tag=$version-$pname-$phash
rm -rf "$out"
mkdir -p "$out"
platforms= arts=
for b in $bins; do
	arch=${b%%=*} file=${b#*=}
	case $arch in amd64|arm64|armv7) ;; *) die "unknown architecture $arch" ;; esac
	[ -f "$file" ] || die "$file: no such file (make ARCH=$arch)"
	# The binary must be the version it is released as (/metrics'
	# build_info string is one literal) and hold the policy's hash.
	grep -qaF "tinyhook_build_info{version=\"$version\",policy=\"" "$file" &&
		grep -qaF "$phash" "$file" ||
		die "$file is not tinyhook $version with policy $pname ($phash): rebuild it"
	dst=$out/tinyhook-$tag-linux-$arch
	cp "$file" "$dst"
	chmod 0755 "$dst"
	touch -d "@$SOURCE_DATE_EPOCH" "$dst"
	platforms="$platforms --platform $arch=$dst"
	arts="$arts bin:$arch=$dst"
done
# shellcheck disable=SC2086
sh "$here/mkimage.sh" $platforms --out "$out/tinyhook-$tag.oci.tar" --version "$version" \
    --policy-name "$pname" --policy-hash "$phash" --tag "tinyhook:$tag" >/dev/null
touch -d "@$SOURCE_DATE_EPOCH" "$out/tinyhook-$tag.oci.tar"
# shellcheck disable=SC2086
/usr/bin/python3 "$here/sbom.py" --out "$out/tinyhook-$tag.spdx.json" --version "$version" \
    --policy "$pname" --hash "$phash" --bearssl-src "$bsrc" $with \
    $arts "image=$out/tinyhook-$tag.oci.tar"
touch -d "@$SOURCE_DATE_EPOCH" "$out/tinyhook-$tag.spdx.json"
(cd "$out" && LC_ALL=C ls | grep -v '^SHA256SUMS' | LC_ALL=C sort | xargs sha256sum >SHA256SUMS.new &&
	mv SHA256SUMS.new SHA256SUMS && touch -d "@$SOURCE_DATE_EPOCH" SHA256SUMS)
echo "$prog: $out:"
(cd "$out" && for f in $(LC_ALL=C ls); do
	printf '  %s  %s bytes  sha256 %s\n' "$f" "$(wc -c <"$f" | tr -d ' ')" \
	    "$(sha256sum "$f" | cut -c1-16)"
done)
