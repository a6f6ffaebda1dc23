#!/bin/sh
# fuzz.sh: the fuzzing suite `make test` runs (test/fuzz/, mk/fuzz.mk).
# Builds the libFuzzer targets, replays every kept crash input of
# test/regress/ (one case per file, without FUZZ_KNOWN: a known bug keeps
# failing here until it is fixed), then fuzzes each CI target for
# FUZZ_CI_SECS seconds (default 20; one process at a time); a target
# with 0 crashes passes. About 3 minutes in all.
# Ends with "fuzz: N passed, N failed".
cd "$(dirname "$0")/../.." || exit 1
secs=${FUZZ_CI_SECS:-20}
targets=${FUZZ_CI_TARGETS:-"http json pem review-policy review-reference review-pod-hardening review-pss"}
B=build/fuzz
pass=0 fail=0
ok() { pass=$((pass + 1)); echo "ok   $1"; }
bad() { fail=$((fail + 1)); echo "FAIL $1 $2"; }

bins=
for t in $targets; do bins="$bins $B/fuzz_$t"; done
if ! make -s -j2 $bins $B/seeds/.done >$B.build.log 2>&1; then
	tail -n 30 $B.build.log
	bad build "make$bins failed (libFuzzer runtime: apt-get install libclang-rt-14-dev)"
	echo "fuzz: $pass passed, $fail failed"
	exit 1
fi

# Regression inputs: test/regress/fuzz_<target>/*, and fuzz_review/* for
# every review target built here.
for t in $targets; do
	dirs=test/regress/fuzz_$t
	case $t in review-*) dirs="$dirs test/regress/fuzz_review" ;; esac
	for f in $(find $dirs -type f ! -name '*.md' 2>/dev/null | sort); do
		if env -u FUZZ_KNOWN timeout 60 "$B/fuzz_$t" "$f" >$B/replay.log 2>&1; then
			ok "replay $t $f"
		else
			bad "replay $t $f" "$(grep -a -m1 -E '^(fuzz_[a-z]+:|==[0-9]+==ERROR|SUMMARY|.*runtime error)' $B/replay.log)"
		fi
	done
done

for t in $targets; do
	line=$(sh test/fuzz/run.sh run "$secs" "$t")
	case $line in
	*": ok "*) ok "$line" ;;
	*) bad "fuzz $t" "$line" ;;
	esac
done
echo "fuzz: $pass passed, $fail failed"
[ "$fail" = 0 ]
