#!/bin/sh
# bearssl-src.sh DIR [PATCH...]: unpack Debian's bearssl source package into
# DIR, apply our patches (patches/bearssl-*.patch) and regenerate the C that
# BearSSL's T0 compiler makes from the patched .t0 handshake code.
#
# DIR/.tinyhook-patched-HASH says which patches DIR holds (HASH: the first 12
# hex digits of the sha256 of the patches, concatenated in order; the
# Makefile computes the same name, so a changed patch rebuilds everything).
# A DIR without that stamp is patched in place when the patches apply (an
# unpatched checkout, e.g. from before the patches existed), and finished
# when they are already applied (an interrupted run); a DIR stamped for
# other patches is unpacked anew.
#
# The unpacking (and the deb-src entry `apt-get source` needs) is
# scripts/deb-src.sh's.
set -eu
dir=$1
shift
hash=$(cat /dev/null "$@" | sha256sum | cut -c1-12)
stamp=$dir/.tinyhook-patched-$hash
[ -f "$stamp" ] && exit 0

unpack() {
	sh "$(dirname "$0")/deb-src.sh" bearssl "$dir"
}

if [ ! -f "$dir/inc/bearssl.h" ] || ls "$dir"/.tinyhook-patched-* >/dev/null 2>&1; then
	unpack
fi
for p in "$@"; do
	p=$(realpath "$p")
	if (cd "$dir" && patch -p1 -s -f --dry-run <"$p" >/dev/null 2>&1); then
		(cd "$dir" && patch -p1 -s -f --no-backup-if-mismatch <"$p")
		echo "tinyhook: applied $(basename "$p") to $dir" >&2
	elif ! (cd "$dir" && patch -p1 -s -f -R --dry-run <"$p" >/dev/null 2>&1); then
		echo "tinyhook: $p does not apply to $dir; remove $dir (make distclean)" >&2
		exit 1
	fi
done
# T0Comp (C#, shipped in T0/) turns src/**/*.t0 into the .c files beside
# them; BearSSL's own "T0" target builds it with mono's compiler and reruns
# it on every .t0 file (the unpatched ones come out byte-identical).
log=$(mktemp "${TMPDIR:-/tmp}/bearssl-t0.XXXXXX")
make -s -C "$dir" CONF=Unix T0 >"$log" 2>&1 || { cat "$log" >&2; rm -f "$log"; exit 1; }
rm -f "$log"
rm -f "$dir"/.tinyhook-patched-*
touch "$stamp"
