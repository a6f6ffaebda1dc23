#!/bin/sh
# go-new.sh DIR: unpacks into DIR the newest Go (1.24 or later) that the
# next Debian release and its backports carry, for test/it/tls_ems.py only:
# a Go client with GODEBUG=fips140=on is what a FIPS-mode kube-apiserver is,
# and bookworm's golang-go is 1.19, which has no FIPS mode.
#
# Nothing on the machine changes: apt-get runs on a private source list and
# index under a temporary directory (no pinning, nothing installed, nothing
# to remove), and the packages are only unpacked (dpkg-deb -x) into DIR.
# The mirror is the one this machine's own Debian source list names.
# Prints DIR/GOROOT's go path. Exit 1 (with the reason on stderr) when no
# such Go can be had; the suite then skips its FIPS case with that reason.
set -eu
dir=$1
MIN_MINOR=24	# Go 1.24 introduced GODEBUG=fips140=on
RELEASE=${GO_NEW_RELEASE:-trixie}
if [ -x "$dir/goroot/bin/go" ]; then
	echo "$dir/goroot/bin/go"
	exit 0
fi
uri=$(awk '/^URIs:/ { print $2; exit }' /etc/apt/sources.list.d/debian.sources 2>/dev/null || true)
[ -n "$uri" ] || uri=$(awk '$1 == "deb" { print $2; exit }' /etc/apt/sources.list 2>/dev/null || true)
[ -n "$uri" ] || { echo "go-new: no Debian mirror in this machine's apt sources" >&2; exit 1; }
work=$(mktemp -d "${TMPDIR:-/tmp}/go-new.XXXXXX")
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/lists/partial" "$work/cache/archives/partial"
key=/usr/share/keyrings/debian-archive-keyring.gpg
for suite in "$RELEASE" "$RELEASE-backports"; do
	echo "deb [signed-by=$key] $uri $suite main"
done >"$work/sources.list"
apt() {
	"$@" -o Dir::Etc::SourceList="$work/sources.list" \
	    -o Dir::Etc::SourceParts=/nonexistent -o Dir::State::Lists="$work/lists" \
	    -o Dir::Cache="$work/cache" -o APT::Sandbox::User=root \
	    -o APT::Architectures="$(dpkg --print-architecture)"
}
apt apt-get -qq update >"$work/log" 2>&1 || { cat "$work/log" >&2; exit 1; }
pkg=$(apt apt-cache search --names-only '^golang-1\.[0-9]+-go$' | cut -d' ' -f1 |
	sort -V | tail -n 1)
minor=$(echo "$pkg" | sed -n 's/^golang-1\.\([0-9]*\)-go$/\1/p')
if [ -z "$minor" ] || [ "$minor" -lt "$MIN_MINOR" ]; then
	echo "go-new: $RELEASE(-backports) has no Go 1.$MIN_MINOR or newer (newest: ${pkg:-none})" >&2
	exit 1
fi
(cd "$work" && apt apt-get -qq download "$pkg" "golang-1.$minor-src") >"$work/log" 2>&1 ||
	{ cat "$work/log" >&2; exit 1; }
for deb in "$work"/*.deb; do
	dpkg-deb -x "$deb" "$work/root"
done
rm -rf "$dir"
mkdir -p "$dir"
mv "$work/root" "$dir/root"
# Debian's GOROOT is /usr/lib/go-1.N with src a relative link into /usr/share.
ln -s "root/usr/lib/go-1.$minor" "$dir/goroot"
echo "$dir/goroot/bin/go"
