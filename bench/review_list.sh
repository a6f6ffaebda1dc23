#!/bin/sh
# review_list.sh [N]: the audit figure of README ("Testing a policy offline"):
# `tinyhook review -` on what `kubectl get pods -A -o json` prints for N pods
# (default 10000, about 60 MB), on one core (taskset), RUNS times (3).
# Prints the input size, then per run the wall and user time and the peak RSS
# (GNU time), then the best run. The binary is $TINYHOOK (default ./tinyhook).
# Not a test: the figure depends on the machine; test/it/review_cli.py checks
# that a List streams, here we only measure it.
set -eu
cd "$(dirname "$0")/.."
n=${1:-10000}
runs=${RUNS:-3}
bin=${TINYHOOK:-./tinyhook}
cpu=${CPU:-0}
tmp=$(mktemp -d "${TMPDIR:-/tmp}/review-list.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
[ -x /usr/bin/time ] || sh scripts/deps.sh time
/usr/bin/python3 bench/review_list.py "$n" "$tmp/pods.json"
echo "input: $n pods, $(stat -c %s "$tmp/pods.json") bytes of JSON; $("$bin" --version)"
i=0
while [ "$i" -lt "$runs" ]; do
	taskset -c "$cpu" /usr/bin/time -f '%e %U %M' -o "$tmp/t" "$bin" review - \
	    <"$tmp/pods.json" >"$tmp/out" || true
	# GNU time says "Command exited with non-zero status 1" first on a denial.
	set -- $(tail -n 1 "$tmp/t")
	wall=$1 user=$2 rss=$3
	echo "run $((i + 1)): wall ${wall} s, user ${user} s, peak RSS ${rss} KiB; $(tail -n 1 "$tmp/out")"
	echo "$wall $user $rss" >>"$tmp/all"
	i=$((i + 1))
done
sort -n "$tmp/all" | head -n 1 | while read -r wall user rss; do
	echo "best: $n pods in ${wall} s wall (${user} s user) on one core, peak RSS ${rss} KiB"
done
