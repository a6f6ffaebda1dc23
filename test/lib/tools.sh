#!/bin/sh
# tools.sh: the tools the tests call that no bookworm package provides in a
# usable version, installed so that every machine runs the same checks
# (test/ship/k8s.py fails, it never drops out, when one is missing).
#
# kubectl: bookworm's kubernetes-client is 1.20 (kustomize v2, too old for
# k8s/'s components). Debian trixie's kubectl (1.32, kustomize v5) depends
# only on libc6 >= 2.34, which bookworm has. It is fetched with a private
# apt configuration (its own source list and lists directory under a
# temporary directory: the machine's sources and pins are left as they
# are, so nothing else ever comes from trixie) and installed as a local
# .deb. A kubectl already on PATH (the workplace image ships one) is kept.
set -eu
command -v kubectl >/dev/null 2>&1 && exit 0
if [ "$(id -u)" != 0 ]; then
	echo "tinyhook: kubectl missing; as root, run: sh test/lib/tools.sh" >&2
	exit 1
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/lists/partial" "$tmp/archives/partial"
printf 'deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] http://deb.debian.org/debian trixie main\n' \
	>"$tmp/sources.list"
apt="-o Dir::Etc::SourceList=$tmp/sources.list -o Dir::Etc::SourceParts=- \
     -o Dir::State::Lists=$tmp/lists -o Dir::Cache::Archives=$tmp/archives"
echo "tinyhook: fetching kubectl from Debian trixie (see test/lib/tools.sh)" >&2
apt-get $apt update -qq >/dev/null
(cd "$tmp" && apt-get $apt download -qq kubectl/trixie)
chmod 644 "$tmp"/kubectl_*.deb
DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 install -y -qq \
	--no-install-recommends "$tmp"/kubectl_*.deb >/dev/null
kubectl version --client >/dev/null
