#!/bin/sh
# bench/worst/fuzz_slow.sh SECS TARGET...: fuzzing for slowness (issue 13).
#
# Each libFuzzer target of mk/fuzz.mk (build it first: make fuzz-build) runs
# SECS seconds with -timeout=2 (FUZZ_TIMEOUT), inputs up to FUZZ_MAX_LEN
# (1 MiB; 64 KiB for http, 256 KiB for pem: TLS_MAX_FILE_BYTES) from the
# first execution on (-len_control=0), seeded with the usual seeds plus the
# worst-case inputs of bench/worst/gen.py at 64 KiB (but those test/it/worst.py
# lists as KNOWN: they are slow already, and would only be found again).
# -fork=1 -ignore_timeouts=1 keep it going past a timeout; libFuzzer's
# timeout is wall time, which a loaded machine stretches, so every timeout
# input is then run again alone and counted in CPU seconds: one above the
# timeout is a slow input (a bug: keep it in test/regress/fuzz_<target>/).
# Prints per target: executions, timeouts, and the verdict of each. The CPU
# seconds are those of the whole target, harness oracles included (a slow
# oracle is a test bug, not a server one: check with make bench-worst).
set -u
cd "$(dirname "$0")/../.." || exit 1
secs=${1:?usage: $0 SECS TARGET...}
shift
B=build/fuzz
TO=${FUZZ_TIMEOUT:-2}
known=$(/usr/bin/python3 -c 'import sys; sys.path.insert(0, "test/it"); import worst; print(" ".join(worst.KNOWN))')
fail=0
for t in "$@"; do
	bin=$B/fuzz_$t
	[ -x "$bin" ] || { echo "fuzz-slow $t: no $bin (make fuzz-build)"; fail=1; continue; }
	case $t in
	http)	  kind=http dict=test/fuzz/http.dict max=65536 modes=head,chunked ;;
	json)	  kind=json dict=test/fuzz/json.dict max=1048576 modes=review ;;
	pem)	  kind=pem dict=test/fuzz/pem.dict max=262144 modes=pem ;;
	review-*) kind=review dict=test/fuzz/json.dict max=1048576 modes=review ;;
	*)	  echo "fuzz-slow $t: unknown target"; fail=1; continue ;;
	esac
	max=${FUZZ_MAX_LEN:-$max}
	seeds=$B/slow/seeds/$t out=$B/slow/$t corpus=$B/corpus/$t
	rm -rf "$seeds" "$out"
	mkdir -p "$seeds" "$out" "$corpus"
	# gen.py inputs in the target's input format (see test/fuzz/fuzz_*.c).
	/usr/bin/python3 - "$t" "$seeds" "$modes" "$known" <<'EOF'
import os, sys
sys.path.insert(0, "bench/worst")
import gen
t, out, modes, known = sys.argv[1], sys.argv[2], sys.argv[3].split(","), sys.argv[4].split()
route = {"validate": b"\0", "mutate": b"\1", "convert": b"\2"}
for g in gen.GENS:
    if g[1] not in modes or g[0] in known:
        continue
    data = g[6](64 * 1024)
    if t == "http":
        data = b"\x10\x05" + data          # split offset, body limit 1 MiB
    elif t == "pem":
        n = len(data) & 0xffff             # all of it the chain (split % (len + 1))
        data = bytes([n & 255, n >> 8, 3]) + data   # 3: a 256-byte error buffer
    elif t.startswith("review-"):
        data = route[g[2]] + data
    with open(os.path.join(out, g[0]), "wb") as f:
        f.write(data)
EOF
	log=$out/log
	"$bin" -fork=1 -ignore_timeouts=1 -ignore_crashes=0 -max_total_time="$secs" \
	    -timeout="$TO" -rss_limit_mb=2048 -max_len="$max" -len_control=0 \
	    -dict="$dict" -artifact_prefix="$out/" "$corpus" "$B/seeds/$kind" "$seeds" \
	    >"$log" 2>&1
	rc=$?
	execs=$(grep -a -o '^#[0-9]*' "$log" | tail -n 1 | tr -d '#')
	n=0 slow=0
	for f in "$out"/timeout-*; do
		[ -f "$f" ] || continue
		n=$((n + 1))
		/usr/bin/time -o "$out/cpu" -f '%U %S' "$bin" -runs=1 "$f" >/dev/null 2>&1
		cpu=$(awk '{ print $1 + $2 }' "$out/cpu")
		if awk -v c="$cpu" -v t="$TO" 'BEGIN { exit !(c > t) }'; then
			slow=$((slow + 1))
			echo "fuzz-slow $t: SLOW $f: ${cpu}s of CPU alone"
		else
			echo "fuzz-slow $t: not slow $f: ${cpu}s of CPU alone (the machine was busy)"
		fi
	done
	crashes=$(ls "$out"/crash-* 2>/dev/null | wc -l)
	echo "fuzz-slow $t: rc=$rc ${execs:-?} executions in ${secs}s, $n timeouts ($slow slow), $crashes crashes; log $log"
	[ "$slow" = 0 ] && [ "$crashes" = 0 ] || fail=1
done
exit $fail
