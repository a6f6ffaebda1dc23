#!/bin/sh
# policy_tests.sh: every shipped policy (policy.h, policies/*.h) has a test
# file policies/tests/<name>.yaml, and `tinyhook test` passes it with the
# binary built for that policy (make POLICY=...). A policy without a test
# file fails here, so a new policy cannot ship untested. The closing line
# sums the cases of every file: "policy_tests: N passed, N failed".
cd "$(dirname "$0")/../.." || exit 1
pass=0 fail=0
out=$(mktemp)
for src in policy.h policies/*.h; do
	name=$(basename "$src" .h)
	tests=policies/tests/$name.yaml
	if [ ! -f "$tests" ]; then
		echo "FAIL $src: no test file $tests"
		fail=$((fail + 1))
		continue
	fi
	if ! make -s POLICY="$src" "build/$name/tinyhook" >/dev/null 2>"$out"; then
		echo "FAIL $src: build failed"; cat "$out"
		fail=$((fail + 1))
		continue
	fi
	"build/$name/tinyhook" test "$tests" >"$out" 2>&1
	rc=$?
	cat "$out"
	line=$(tail -n 1 "$out")
	p=$(echo "$line" | sed -n 's/^\([0-9]*\) passed, \([0-9]*\) failed$/\1/p')
	f=$(echo "$line" | sed -n 's/^\([0-9]*\) passed, \([0-9]*\) failed$/\2/p')
	if [ -z "$p" ] || [ "$p" = 0 ]; then
		echo "FAIL $tests: no summary line or no case passed (rc=$rc)"
		fail=$((fail + 1))
		continue
	fi
	[ "$rc" = 0 ] || [ "$f" != 0 ] || { echo "FAIL $tests: exit $rc with 0 failed"; f=1; }
	pass=$((pass + p)); fail=$((fail + f))
done
# The gate must fail what it did not check: a test file for another policy,
# and a wrong expectation.
bin=build/policy/tinyhook
if [ -x "$bin" ]; then
	if "$bin" test policies/tests/reference.yaml >"$out" 2>&1; then
		echo "FAIL a test file for another policy passed"; fail=$((fail + 1))
	else pass=$((pass + 1)); fi
	sed 's/result: warn/result: pass/' policies/tests/policy.yaml >"$out.yaml"
	if "$bin" test "$out.yaml" >"$out" 2>&1; then
		echo "FAIL a wrong expectation passed"; fail=$((fail + 1))
	else pass=$((pass + 1)); fi
	rm -f "$out.yaml"
fi
rm -f "$out"
echo "policy_tests: $pass passed, $fail failed"
[ "$fail" = 0 ]
