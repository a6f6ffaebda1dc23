#!/bin/sh
# run.sh UNIT_BINARY...: runs the given unit test binaries, then every
# integration suite in test/it/, and sums their closing
# "N passed, N failed" lines into one. Exit status 1 if anything failed
# or a suite died without its summary line.
cd "$(dirname "$0")/.." || exit 1
: "${SHARED:=$(cd .. && pwd)/shared}"
export SHARED
pass=0 fail=0 broken=
log=$(mktemp)
run_suite() {
	name=$1; shift
	printf '== %s\n' "$name"
	"$@" >"$log" 2>&1
	rc=$?
	cat "$log"
	line=$(grep -E '^([A-Za-z0-9_.-]+: )?[0-9]+ passed, [0-9]+ failed' "$log" | tail -n 1)
	if [ -z "$line" ]; then
		broken="$broken $name(rc=$rc)"
		return
	fi
	p=$(echo "$line" | sed -E 's/^([A-Za-z0-9_.-]+: )?([0-9]+) passed.*/\2/')
	f=$(echo "$line" | sed -E 's/.* ([0-9]+) failed.*/\1/')
	pass=$((pass + p)); fail=$((fail + f))
	[ "$rc" = 0 ] || [ "$f" != 0 ] || broken="$broken $name(rc=$rc)"
}
for t in "$@"; do
	run_suite "$(basename "$t")" "$t"
done
for t in test/it/*.py; do
	[ -f "$t" ] && run_suite "$t" /usr/bin/python3 "$t"
done
for t in test/it/*.sh; do
	[ -f "$t" ] && run_suite "$t" sh "$t"
done
rm -f "$log"
if [ -n "$broken" ]; then
	echo "suites that died or exited non-zero:$broken"
	fail=$((fail + 1))
fi
echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
