#!/bin/sh
# libyaml-src.sh DIR: unpack Debian's libyaml source package into DIR (the
# offline reviewer's YAML reader; compiled with musl by the Makefile, as
# Debian's libyaml.a is built for glibc), through scripts/deb-src.sh.
set -eu
dir=$1
[ -f "$dir/src/parser.c" ] && [ -f "$dir/include/yaml.h" ] && exit 0
sh "$(dirname "$0")/deb-src.sh" libyaml "$dir" || {
	echo "(or build without YAML input: make YAML=0)" >&2
	exit 1
}
