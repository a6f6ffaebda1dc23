#!/bin/sh
# run.sh UNIT_BINARY...: runs the given unit test binaries, then the server
# behaviour suites of test/it/, then the packaging checks of test/ship/
# (image, certificates, arm64, Kubernetes manifests, README), and sums
# their closing "NAME: N passed, N failed[, N skipped, N cases]" lines.
#
# Counting: a check is one assertion; a case is one table entry (a suite
# that checks several invariants per case says "N cases"; otherwise every
# check is its own case). A line "skip WHAT: WHY" is a case that could not
# run here; every one is listed at the end with its reason. A suite that
# ran no case, died without its summary line or exited non-zero with no
# failure counted is a failure of its own.
#
# The last line is "N passed, N failed" (CI reads it). Exit status 1 if
# anything failed.
cd "$(dirname "$0")/.." || exit 1
: "${SHARED:=$(cd .. && pwd)/shared}"
export SHARED
pass=0 fail=0 cases=0 skipped=0 suites=0 broken=
log=$(mktemp)
skips=$(mktemp)
trap 'rm -f "$log" "$skips"' EXIT
run_suite() {
	name=$1; shift
	printf '== %s\n' "$name"
	"$@" >"$log" 2>&1
	rc=$?
	cat "$log"
	suites=$((suites + 1))
	grep -E '^skip ' "$log" | sed "s|^skip |  $name: |" >>"$skips"
	s=$(grep -cE '^skip ' "$log")
	skipped=$((skipped + s))
	line=$(grep -E '^([A-Za-z0-9_.-]+: )?[0-9]+ passed, [0-9]+ failed' "$log" | tail -n 1)
	if [ -z "$line" ]; then
		broken="$broken $name(died,rc=$rc)"
		return
	fi
	p=$(echo "$line" | sed -E 's/^([A-Za-z0-9_.-]+: )?([0-9]+) passed.*/\2/')
	f=$(echo "$line" | sed -E 's/.* ([0-9]+) failed.*/\1/')
	c=$(echo "$line" | sed -nE 's/.* ([0-9]+) cases.*/\1/p')
	[ -n "$c" ] || c=$((p + f))
	pass=$((pass + p)); fail=$((fail + f)); cases=$((cases + c))
	if [ "$c" = 0 ]; then
		broken="$broken $name(ran no case)"
	elif [ "$rc" != 0 ] && [ "$f" = 0 ]; then
		broken="$broken $name(rc=$rc)"
	fi
}
for t in "$@"; do
	run_suite "$(basename "$t")" "$t"
done
for dir in test/it test/ship; do
	for t in "$dir"/*.py; do
		[ -f "$t" ] && run_suite "$t" /usr/bin/python3 "$t"
	done
	for t in "$dir"/*.sh; do
		[ -f "$t" ] && run_suite "$t" sh "$t"
	done
done
if [ "$skipped" -gt 0 ]; then
	echo "skipped ($skipped), with the reason:"
	cat "$skips"
fi
if [ -n "$broken" ]; then
	echo "suites that died, ran no case or exited non-zero:$broken"
	fail=$((fail + 1))
fi
echo "$suites suites, $cases cases ran, $pass checks passed, $fail failed, $skipped skipped"
echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
