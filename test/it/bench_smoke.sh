#!/bin/sh
# bench_smoke.sh: `make bench` in two seconds. bench/run.sh against $TINYHOOK
# alone (no peers): one payload, keep-alive c=4 with wrk for 2 s, 4 idle
# keep-alive connections, one 1 s fixed-rate cell (bench/rate at 500 req/s
# over 2 connections); then the callgrind drivers (built by
# `make bench-drivers`) run once each without valgrind.
# Asserts the plumbing, not the speed: non-zero req/s, no errors or non-200s,
# every column filled, the table printed.
set -u
cd "$(dirname "$0")/../.." || exit 1
: "${SHARED:=$(cd .. && pwd)/shared}"
: "${TINYHOOK:=$(pwd)/tinyhook}"
pass=0 fail=0
ok() { pass=$((pass + 1)); echo "ok   $1"; }
nok() { fail=$((fail + 1)); echo "FAIL $1"; }
t() { name=$1; shift; if "$@"; then ok "$name"; else nok "$name"; fi; }
end() { echo "bench_smoke: $pass passed, $fail failed"; [ "$fail" = 0 ]; exit; }

[ -x "$TINYHOOK" ] || { nok "no binary $TINYHOOK (make)"; end; }
command -v wrk >/dev/null || { nok "wrk missing (apt-get install wrk)"; end; }
mkdir -p /tmp/bench
out=$(mktemp -d /tmp/bench/smoke.XXXXXX) || { nok "mktemp"; end; }
trap 'rm -rf "$out"' EXIT INT TERM

# 1. the bench itself, reduced to one 2 s cell. bench/run.sh drives the
# shared bench's own scripts (launch.py, rss.sh, load.lua): without them it
# cannot run, and says so.
if [ -f "$SHARED/bench/load.lua" ] && [ -f "$SHARED/bench/launch.py" ]; then
	[ -x build/bench/rate ] || env -u MAKEFLAGS -u MAKELEVEL make -s build/bench/rate >"$out/make-rate.txt" 2>&1
	SHARED=$SHARED TINYHOOK_BIN=$TINYHOOK OUTDIR=$out/r PEERS='' SECS=2 RUNS=1 STARTS=1 \
	    PAYLOADS=pod-small-create CONCS=4 NEWCONN_PAYLOADS='' IDLE_CONNS=4 BUSY_CONNS=4 BUSY_SECS=1 WARMUP=0 \
	    CALLGRIND=0 PORT_BASE=31443 RATES=500 RATE_PAYLOADS=pod-small-create RATE_CONNS=2 \
	    RATE_SECS=1 RATE_WARMUP=0 timeout 60 bash bench/run.sh >"$out/run.txt" 2>&1
	rc=$?
	t "bench/run.sh exits 0 (rc $rc)" [ "$rc" = 0 ]
	row=$(awk -F'\t' '$1 == "tinyhook" && $4 == "keepalive"' "$out/r/results.tsv" 2>/dev/null)
	col() { echo "$row" | cut -f"$1"; }
	t "one keep-alive row in results.tsv" [ "$(echo "$row" | grep -c .)" = 1 ]
	t "req/s > 0 ($(col 7))" awk -v v="$(col 7)" 'BEGIN { exit !(v + 0 > 0) }'
	t "0 errors and non-200s ($(col 11))" [ "$(col 11)" = 0 ]
	t "p50 p99 p99.9 measured ($(col 8) $(col 9) $(col 10))" \
	    awk -v a="$(col 8)" -v b="$(col 9)" -v c="$(col 10)" \
	    'BEGIN { exit !(a + 0 > 0 && b + 0 >= a + 0 && c + 0 >= b + 0) }'
	t "CPU ticks and RSS recorded" awk -v t="$(col 13)" -v r="$(col 16)" \
	    'BEGIN { exit !(t ~ /^[0-9]+$/ && r + 0 > 0) }'
	srv() { awk -F'\t' -v m="$1" '$1 == "tinyhook" && $2 == m { print $4 }' "$out/r/server.tsv"; }
	t "start-up measured ($(srv startup_ms) ms)" awk -v v="$(srv startup_ms)" 'BEGIN { exit !(v + 0 > 0) }'
	t "4 idle keep-alive connections held ($(srv idle_conns_held))" [ "$(srv idle_conns_held)" = 4/4 ]
	t "table with targets printed" grep -q '^## targets' "$out/run.txt"
	# the fixed-rate cell: rate.tsv's header is what the charts read
	hdr=$(printf 'server\trun\tpayload\trate\tconns\tsent\tdone\terrors\tp50_us\tp90_us\tp99_us\tp999_us\tmax_us\tachieved_rps')
	t "rate.tsv header" [ "$(head -1 "$out/r/rate.tsv" 2>/dev/null | cut -f1-14)" = "$hdr" ]
	rrow=$(awk -F'\t' '$1 == "tinyhook" && $4 == 500' "$out/r/rate.tsv" 2>/dev/null)
	rc() { echo "$rrow" | cut -f"$1"; }
	t "one fixed-rate row: 500 sent, 500 done, 0 errors, 0 non-200 ($(rc 6) $(rc 7) $(rc 8) $(rc 15))" \
	    [ "$(rc 6)/$(rc 7)/$(rc 8)/$(rc 15)" = 500/500/0/0 ]
	t "fixed-rate p50 <= p99 <= p99.9 <= max, > 0 ($(rc 9) $(rc 11) $(rc 12) $(rc 13) us)" \
	    awk -v a="$(rc 9)" -v b="$(rc 11)" -v c="$(rc 12)" -v d="$(rc 13)" \
	    'BEGIN { exit !(a + 0 > 0 && b + 0 >= a + 0 && c + 0 >= b + 0 && d + 0 >= c + 0) }'
	t "fixed-rate table printed" grep -q '^## fixed rate' "$out/run.txt"
	# the busy-connections RSS run (bench/busy_conns.py) and the charts at the end
	brow=$(awk -F'\t' '$1 == "tinyhook" && $3 == 4' "$out/r/busy.tsv" 2>/dev/null)
	t "busy.tsv: peak RSS of 4 busy conns > 0, answers > 0, 0 errors ($(echo "$brow" | cut -f5-7))" \
	    awk -v r="$(echo "$brow" | cut -f5)" -v n="$(echo "$brow" | cut -f6)" -v e="$(echo "$brow" | cut -f7)" \
	    'BEGIN { exit !(r + 0 > 0 && n + 0 > 0 && e == "0") }'
	if command -v gnuplot >/dev/null; then
		t "charts drawn (reqs.svg cpu.svg latency.svg rss.svg)" \
		    test -s "$out/r/reqs.svg" -a -s "$out/r/cpu.svg" -a -s "$out/r/latency.svg" -a -s "$out/r/rss.svg"
	else
		echo "skip charts drawn: no gnuplot (make test installs gnuplot-nox as root)"
	fi
else
	echo "skip bench/run.sh one-cell run (15 checks): needs the shared bench scripts in \$SHARED/bench ($SHARED/bench absent)"
fi

# 2. the callgrind drivers, once, without valgrind
drv=build/reference/bench
if [ ! -x $drv/callgrind_review ] || [ ! -x $drv/callgrind_jsmn ]; then
	env -u MAKEFLAGS -u MAKELEVEL make -s bench-drivers >"$out/make.txt" 2>&1 ||
		tail -20 "$out/make.txt"
fi
P=test/fixtures/bench-payloads/pod-large-create.json
t "callgrind_review: 200 on pod-large-create" sh -c "$drv/callgrind_review '$P' 3 mutate >'$out/cr.txt'"
t "callgrind_jsmn: tokens counted" sh -c "$drv/callgrind_jsmn '$P' 3 | grep -q ' tokens$'"
[ "$fail" = 0 ] || { echo "--- run.sh output"; tail -30 "$out/run.txt" 2>/dev/null; cat "$out/cr.txt" 2>/dev/null; }
end
