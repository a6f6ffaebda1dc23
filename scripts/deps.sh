#!/bin/sh
# deps.sh PKG...: make sure the named Debian packages are installed.
# As root it installs what is missing (apt-get update once, first); as
# another user it prints the exact apt-get line and fails, so a fresh
# machine never half-builds. Called by the Makefile before anything else.
set -eu
missing=
for p in "$@"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' ||
		missing="$missing $p"
done
[ -z "$missing" ] && exit 0
if [ "$(id -u)" != 0 ]; then
	echo "tinyhook: missing Debian packages; run:" >&2
	echo "  sudo apt-get update && sudo apt-get install -y$missing" >&2
	exit 1
fi
echo "tinyhook: installing Debian packages:$missing" >&2
export DEBIAN_FRONTEND=noninteractive
# A freshly booted machine may be running unattended-upgrades (or a second
# make): wait for the dpkg lock instead of failing on it.
lock='-o DPkg::Lock::Timeout=600'
# A package named pkg:ARCH (the arm64 cross build) needs that dpkg architecture.
for p in $missing; do
	case $p in *:*)
		a=${p#*:}
		dpkg --print-foreign-architectures | grep -qx "$a" || dpkg --add-architecture "$a"
	esac
done
# A mirror mid-sync fails one index (seen: bookworm-security armhf) while
# the packages we want are there: warn and let the install decide.
apt-get $lock update -qq >/dev/null 2>&1 || apt-get $lock update >/dev/null 2>&1 ||
	echo "tinyhook: apt-get update had errors; installing from the lists it has" >&2
apt-get $lock install -y -qq --no-install-recommends $missing >/dev/null ||
	apt-get $lock install -y --no-install-recommends $missing
