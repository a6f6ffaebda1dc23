#!/bin/sh
# version.sh: tinyhook's version, from git tags (releases are tagged v0.x.y).
#
#   v0.2.0 tagged on HEAD           -> 0.2.0
#   3 commits after v0.2.0          -> 0.2.0-3-g1a2b3c4
#   uncommitted changes             -> ...-dirty
#   no release tag yet              -> 0.0.0-g1a2b3c4
#   not a git checkout              -> 0.0.0
#
# The result is a valid image tag ([A-Za-z0-9_.-], at most 128 characters)
# and a SemVer 2.0 version (the describe suffix reads as a pre-release), so
# it is the `--version` string, the image label and the image tag's start.
set -eu
cd "$(dirname "$0")/.."
v=$(git describe --tags --match 'v[0-9]*.[0-9]*.[0-9]*' --dirty 2>/dev/null) ||
	v=$(git describe --always --dirty --abbrev=7 2>/dev/null | sed 's/^/0.0.0-g/') ||
	v=0.0.0
[ -n "$v" ] || v=0.0.0
v=${v#v}
case $v in
*[!A-Za-z0-9_.-]*) echo "version.sh: unexpected version: $v" >&2; exit 1 ;;
esac
echo "$v"
