#!/bin/sh
# run.sh run SECS TARGET... | replay 0 TARGET...
#
# run:    fuzzes each target for SECS seconds, one process at a time (the
#         machine is shared), from build/fuzz/corpus/<target>/ plus the
#         seeds, with FUZZ_KNOWN set from test/fuzz/known. A crash input is
#         left in build/fuzz/crashes/<target>/.
# replay: runs every file of test/regress/fuzz_<target>/ (and, for
#         review-*, test/regress/fuzz_review/) once, without FUZZ_KNOWN.
# Prints one line per target: "fuzz <target>: ok|FAIL <details>", and
# exits 1 if any target failed. Binaries are build/fuzz/fuzz_<target>.
# env: FUZZ_TIMEOUT (seconds per input, default 10; a slower input is a
#      failure like a crash, left as build/fuzz/crashes/<target>/timeout-*),
#      FUZZ_MAX_LEN (bytes, default per target below). The slowness hunt of
#      issue 13: FUZZ_TIMEOUT=2 FUZZ_MAX_LEN=1048576 (65536 for http).
set -u
cd "$(dirname "$0")/../.." || exit 1
mode=$1 secs=$2
shift 2
B=build/fuzz
known=$(grep -v '^#' test/fuzz/known 2>/dev/null | cut -d' ' -f1 | paste -sd, -)
fail=0
for t in "$@"; do
	bin=$B/fuzz_$t
	case $t in
	http)	 kind=http dict=test/fuzz/http.dict max=20000 ;;
	json)	 kind=json dict=test/fuzz/json.dict max=65536 ;;
	pem)	 kind=pem dict=test/fuzz/pem.dict max=16384 ;;
	review-*) kind=review dict=test/fuzz/json.dict max=65536 ;;
	*)	 echo "fuzz $t: FAIL unknown target"; fail=1; continue ;;
	esac
	# Through make, so a binary older than the sources is rebuilt: a
	# stale one re-finds bugs already fixed.
	if ! make -s "$bin" >/dev/null 2>&1 || [ ! -x "$bin" ]; then
		echo "fuzz $t: FAIL $bin does not build (make $bin)"; fail=1; continue
	fi
	log=$B/logs/$t.log
	mkdir -p "$B/logs"
	if [ "$mode" = replay ]; then
		dirs="test/regress/fuzz_$t"
		case $t in review-*) dirs="$dirs test/regress/fuzz_review" ;; esac
		files=$(find $dirs -type f ! -name '*.md' 2>/dev/null | sort)
		if [ -z "$files" ]; then
			echo "fuzz $t: ok replay (no regression inputs)"; continue
		fi
		nf=0 bad=
		for f in $files; do
			nf=$((nf + 1))
			# One process per file: every kept input is its own case.
			if ! env -u FUZZ_KNOWN "$bin" "$f" >"$log" 2>&1; then
				bad="$bad $f"
			fi
		done
		if [ -n "$bad" ]; then
			echo "fuzz $t: FAIL replay of$bad"; fail=1
		else
			echo "fuzz $t: ok replay ($nf inputs)"
		fi
		continue
	fi
	corpus=$B/corpus/$t crashes=$B/crashes/$t
	mkdir -p "$corpus" "$crashes"
	FUZZ_KNOWN=$known "$bin" -max_total_time="$secs" -timeout="${FUZZ_TIMEOUT:-10}" \
	    -rss_limit_mb=2048 -max_len="${FUZZ_MAX_LEN:-$max}" -dict="$dict" -artifact_prefix="$crashes/" \
	    -print_final_stats=1 "$corpus" "$B/seeds/$kind" >"$log" 2>&1
	rc=$?
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
	if [ $rc -ne 0 ]; then
		why=$(grep -a -m1 -E '^(fuzz_[a-z]+:|==[0-9]+==ERROR|SUMMARY)' "$log")
		art=$(sed -n "s/.*Test unit written to //p" "$log" | tail -n 1)
		echo "fuzz $t: FAIL rc=$rc after ${execs:-?} executions: $why; input $art; log $log"
		fail=1
	else
		echo "fuzz $t: ok ${execs:-?} executions in ${secs}s, 0 crashes"
	fi
done
exit $fail
