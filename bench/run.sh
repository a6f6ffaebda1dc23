#!/bin/bash
# bench/run.sh: `make bench`. tinyhook (built with policies/reference.h, the
# policy of the reference peers) against the peers of $SHARED/bench, all on
# 127.0.0.1 over TLS, in one session, with the shared scripts doing the work
# they already do: certs.sh (certificate), launch.py (start-up to first 200),
# rss.sh (VmRSS/VmHWM), check.sh (answers), load.sh (new connection per
# request, hey) and load.lua (keep-alive, wrk; bench/load.lua only adds p99.9).
# What is added here: CPU time per request (/proc/PID/stat utime+stime around
# each run), RSS with IDLE_CONNS idle keep-alive connections (idle_conns.py),
# RUNS runs per cell with the servers interleaved run by run (so a noisy
# neighbour hurts every server alike), and the table (summary.py).
# Then the fixed-rate section: each server started again pinned to one CPU,
# bench/rate/rate.c pinned to another offering RATES requests/s over
# RATE_CONNS keep-alive connections, latency from each request's scheduled
# send time (no coordinated omission; see bench/README.md).
#
# env (all optional):
#   TINYHOOK_BIN=build/reference/tinyhook   the binary under test
#   SHARED=../shared        the shared bench tree (scripts, payloads, peers)
#   PEERS="go flask"        reference peers to run too: go flask gunicorn ("" = none)
#   SECS=10 RUNS=3          seconds per load run, runs per cell (medians are reported)
#   STARTS=5                start-up measurements per server (median and minimum reported)
#   PAYLOADS="pod-small-create pod-large-create deployment-create pod-update pod-delete conversion-1 conversion-100"
#   CONCS="1 32 256"        keep-alive concurrencies (wrk)
#   NEWCONN_PAYLOADS=pod-small-create NEWCONN_CONCS="1 32"
#                           new TCP+TLS connection per request (hey via load.sh)
#   ADMISSION_PATH=mutate   endpoint for AdmissionReviews (conversions go to /convert)
#   IDLE_CONNS=256 IDLE_PAYLOAD=pod-large-create   idle keep-alive connections held for
#                           the RSS measurement, each after one request ("0" = skip)
#   BUSY_CONNS=256 BUSY_SECS=$SECS BUSY_PAYLOAD=pod-large-create   peak RSS of a fresh server
#                           while that many keep-alive connections send the payload back to
#                           back (bench/busy_conns.py), RUNS times per server ("0" = skip)
#   WARMUP=1                seconds of unrecorded load per server before the runs
#   MAX_REQS=1000000        request cap per run (count bound; SECS is the time bound)
#   CALLGRIND=1             also count instructions per review (bench/callgrind.sh)
#   CG_N=1000               reviews per callgrind run
#   PORT_BASE=29443         first port tried; ports in use are skipped
#   SERVER_CPUS= LOAD_CPUS= optional taskset CPU lists for the servers / wrk and hey
#                           (e.g. SERVER_CPUS=1 LOAD_CPUS=0: tails then show the server,
#                           not the load generator preempting it)
#   RATES="500 2000 5000"   fixed-rate cells, requests/s ("" = no fixed-rate section)
#   RATE_PAYLOADS=pod-large-create   payloads of the fixed-rate cells
#   RATE_CONNS=8            keep-alive connections the generator spreads the rate over
#                           (why 8: bench/README.md, "Fixed rate")
#   RATE_SECS=5 RATE_WARMUP=1   seconds per fixed-rate run, and unrecorded seconds before
#                           each (at the same rate)
#   RATE_SERVER_CPU=1 RATE_LOAD_CPU=0   CPUs the server and the generator are pinned to
#                           in the fixed-rate section ("" = no pinning; default with 2+ CPUs)
#   RATE_BIN=build/bench/rate   the generator (make build/bench/rate)
#   OUTDIR=/tmp/bench/results/tinyhook-<time>   logs, results.tsv, server.tsv, rate.tsv, table.txt
set -uo pipefail
REPO=$(cd "$(dirname "$(readlink -f "$0")")/.." && pwd)
SHARED=${SHARED:-$(cd "$REPO/.." && pwd)/shared}
SB=$SHARED/bench
PY=/usr/bin/python3                       # Debian's python3 (flask, jsonpatch), not a pyenv shim
export PYTHONDONTWRITEBYTECODE=1
TINYHOOK_BIN=${TINYHOOK_BIN:-$REPO/build/reference/tinyhook}
PEERS=${PEERS-go flask}
SECS=${SECS:-10}
RUNS=${RUNS:-3}
STARTS=${STARTS:-5}
PAYLOADS=${PAYLOADS:-pod-small-create pod-large-create deployment-create pod-update pod-delete conversion-1 conversion-100}
CONCS=${CONCS:-1 32 256}
NEWCONN_PAYLOADS=${NEWCONN_PAYLOADS-pod-small-create}
NEWCONN_CONCS=${NEWCONN_CONCS-1 32}
ADMISSION_PATH=${ADMISSION_PATH:-mutate}
IDLE_CONNS=${IDLE_CONNS:-256}
IDLE_PAYLOAD=${IDLE_PAYLOAD:-pod-large-create}
BUSY_CONNS=${BUSY_CONNS:-256}
BUSY_SECS=${BUSY_SECS:-$SECS}
BUSY_PAYLOAD=${BUSY_PAYLOAD:-pod-large-create}
WARMUP=${WARMUP:-1}
MAX_REQS=${MAX_REQS:-1000000}
CALLGRIND=${CALLGRIND:-1}
CG_N=${CG_N:-1000}
PORT_BASE=${PORT_BASE:-29443}
OUTDIR=${OUTDIR:-/tmp/bench/results/tinyhook-$(date +%Y%m%d-%H%M%S)}
SERVER_CPUS=${SERVER_CPUS:-} LOAD_CPUS=${LOAD_CPUS:-}
RATES=${RATES-500 2000 5000}
RATE_PAYLOADS=${RATE_PAYLOADS-pod-large-create}
RATE_CONNS=${RATE_CONNS:-8}
RATE_SECS=${RATE_SECS:-5}
RATE_WARMUP=${RATE_WARMUP:-1}
if [ "$(nproc)" -ge 2 ]; then
  RATE_SERVER_CPU=${RATE_SERVER_CPU-1} RATE_LOAD_CPU=${RATE_LOAD_CPU-0}
else
  RATE_SERVER_CPU=${RATE_SERVER_CPU-} RATE_LOAD_CPU=${RATE_LOAD_CPU-}
fi
RATE_BIN=${RATE_BIN:-$REPO/build/bench/rate}
export MAX_REQS
[ -n "$LOAD_CPUS" ] && export LOAD_CPUS          # load.sh pins hey itself

die() { echo "bench: $*" >&2; exit 1; }
for v in SECS RUNS STARTS IDLE_CONNS BUSY_CONNS BUSY_SECS WARMUP MAX_REQS CG_N PORT_BASE RATE_CONNS RATE_SECS RATE_WARMUP; do
  [[ ${!v} =~ ^[0-9]+$ ]] || die "$v must be a number, not '${!v}'"
done
[ "$SECS" -ge 1 ] && [ "$RUNS" -ge 1 ] || die "SECS and RUNS must be >= 1"
for c in $CONCS $NEWCONN_CONCS; do [[ $c =~ ^[0-9]+$ && $c -ge 1 ]] || die "bad concurrency '$c'"; done
for r in $RATES; do [[ $r =~ ^[0-9]+$ && $r -ge 1 ]] || die "bad rate '$r'"; done
[ "$RATE_CONNS" -ge 1 ] && [ "$RATE_SECS" -ge 1 ] || die "RATE_CONNS and RATE_SECS must be >= 1"
if [ -n "$RATES" ] && [ -n "$RATE_PAYLOADS" ] && [ ! -x "$RATE_BIN" ]; then
  die "no generator $RATE_BIN (make build/bench/rate), or RATES= to skip the fixed-rate section"
fi
for p in $PAYLOADS $NEWCONN_PAYLOADS $IDLE_PAYLOAD $BUSY_PAYLOAD $RATE_PAYLOADS; do
  [ -r "$SB/payloads/$p.json" ] || die "no payload $SB/payloads/$p.json"
done
[ -x "$TINYHOOK_BIN" ] || die "no binary $TINYHOOK_BIN (make -s POLICY=policies/reference.h build/reference/tinyhook)"
tools=(wrk openssl curl "$PY" ss); [ -n "$NEWCONN_PAYLOADS" ] && [ -n "$NEWCONN_CONCS" ] && tools+=(hey)
for t in "${tools[@]}"; do
  command -v "$t" >/dev/null || die "missing $t (sh scripts/deps.sh wrk hey golang-go python3-flask gunicorn python3-jsonpatch openssl curl)"
done
mkdir -p "$OUTDIR" /tmp/bench/bin || die "cannot create $OUTDIR"
CERTDIR=$("$SB/certs.sh" /tmp/bench/certs) || die "certificate generation failed"
CERT=$CERTDIR/tls.crt KEY=$CERTDIR/tls.key
HZ=$(getconf CLK_TCK)
TSV=$OUTDIR/results.tsv SRV=$OUTDIR/server.tsv
printf 'server\trun\tpayload\tmode\tc\trequests\treq_s\tp50_ms\tp99_ms\tp999_ms\terrors\tsrv_closed\tcpu_ticks\thz\trss_before_kb\trss_after_kb\n' >"$TSV"
printf 'server\tmetric\trun\tvalue\n' >"$SRV"

# ---------------------------------------------------------------- processes we started
STARTED=()   # PIDs of process-group leaders (launch.py starts each server in its own session)
stop_pid() {
  local pid=$1
  kill -0 "$pid" 2>/dev/null || return 0
  kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null
  for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || return 0; sleep 0.1; done
  kill -KILL -- "-$pid" 2>/dev/null || kill -KILL "$pid" 2>/dev/null
}
cleanup() { local p; for p in "${STARTED[@]}"; do stop_pid "$p"; done; }
trap cleanup EXIT
trap 'echo "bench: interrupted" >&2; exit 130' INT TERM

USED_PORTS=" "
next_port() {   # sets PORT: free now, and never handed out before in this session
  local p=$PORT_BASE
  while ss -Hltn "sport = :$p" | grep -q . || [[ $USED_PORTS == *" $p "* ]]; do p=$((p + 1)); done
  USED_PORTS+="$p "
  PORT=$p
}
field() { sed -n "s/.*[ ]$1=\([^ ]*\).*/\1/p" <<<" $2" | head -1; }
srv_row() { printf '%s\t%s\t%s\t%s\n' "$@" >>"$SRV"; }

# pids_of PID TREE: PID, and with TREE=1 all its descendants (gunicorn workers).
pids_of() {
  local q=("$1") k
  while [ ${#q[@]} -gt 0 ]; do
    echo "${q[0]}"
    if [ "$2" = 1 ]; then for k in $(ps -o pid= --ppid "${q[0]}" 2>/dev/null); do q+=("$k"); done; fi
    q=("${q[@]:1}")
  done
}
# cpu_ticks PID TREE: utime+stime (clock ticks) of the process(es); the
# process line of /proc/PID/stat already covers all of its threads.
cpu_ticks() {
  local t=0 p s
  for p in $(pids_of "$1" "$2"); do
    s=$(cat "/proc/$p/stat" 2>/dev/null) || continue
    s=${s##*) }                                   # comm may hold spaces: cut after ")"
    read -r -a f <<<"$s"
    t=$((t + f[11] + f[12]))                      # fields 14 and 15 of proc(5)
  done
  echo "$t"
}
rss_kb() { local fl=(-n -c); [ "$2" = 1 ] && fl+=(-t); "$SB/rss.sh" "${fl[@]}" "$1" 2>/dev/null || echo NA; }
hwm_kb() { local fl=(-n); [ "$2" = 1 ] && fl+=(-t); "$SB/rss.sh" "${fl[@]}" "$1" 2>/dev/null || echo NA; }

# ---------------------------------------------------------------- the servers
build_go() {   # the same build as compare.sh: Debian's golang-go, offline, stdlib only
  local bin=/tmp/bench/bin/go-webhook src=$SB/peers/go
  command -v go >/dev/null || { echo "   go peer skipped: no go (apt-get install golang-go)" >&2; return 1; }
  if [ ! -x "$bin" ] || [ -n "$(find "$src" -newer "$bin" \( -name '*.go' -o -name go.mod \))" ]; then
    echo "== building go peer -> $bin" >&2
    (cd "$src" && GOPROXY=off GOFLAGS=-mod=mod GOCACHE=/tmp/bench/gocache timeout 300 \
       go build -trimpath -o "$bin" .) >"$OUTDIR/go-build.log" 2>&1 ||
      { echo "   go peer skipped: build failed, see $OUTDIR/go-build.log" >&2; return 1; }
  fi
}
SERVERS=(tinyhook)
declare -A TREE=([tinyhook]=0 [go]=0 [flask]=0 [gunicorn]=1) BINARY=([tinyhook]=$TINYHOOK_BIN)
for peer in $PEERS; do
  case $peer in
    go) build_go && SERVERS+=(go) && BINARY[go]=/tmp/bench/bin/go-webhook ;;
    flask) $PY -c 'import flask' 2>/dev/null && SERVERS+=(flask) ||
             echo "   flask peer skipped: no python3-flask" >&2 ;;
    gunicorn) [ -x /usr/bin/gunicorn ] && SERVERS+=(gunicorn) ||
             echo "   gunicorn peer skipped: no gunicorn" >&2 ;;
    *) die "unknown peer '$peer' (go flask gunicorn)" ;;
  esac
done

# server_cmd NAME PORT: sets CMD, the foreground command line of server NAME.
server_cmd() {
  case $1 in
    tinyhook) CMD=("$TINYHOOK_BIN" --listen "127.0.0.1:$2" --tls-cert "$CERT" --tls-key "$KEY" --log-level warn) ;;
    go)       CMD=(/tmp/bench/bin/go-webhook -addr "127.0.0.1:$2" -cert "$CERT" -key "$KEY") ;;
    flask)    CMD=("$PY" "$SB/peers/py/webhook.py" --host 127.0.0.1 --port "$2" --cert "$CERT" --key "$KEY") ;;
    gunicorn) CMD=("$PY" /usr/bin/gunicorn --workers 2 --bind "127.0.0.1:$2" --certfile "$CERT"
                   --keyfile "$KEY" --chdir "$SB/peers/py" webhook:app) ;;
  esac
  [ -n "$SERVER_CPUS" ] && CMD=(taskset -c "$SERVER_CPUS" "${CMD[@]}")   # exec: same PID
}

# launch NAME TAG: starts server NAME with launch.py; sets LPID, LPORT, LMS
# (spawn -> first 200 on /healthz, ms). Returns 1 if it did not come up.
launch() {
  local out
  next_port; LPORT=$PORT; LPID='' LMS=''
  server_cmd "$1" "$LPORT"
  out=$(timeout 60 "$PY" "$SB/launch.py" --pidfile "$OUTDIR/$1.$2.pid" --log "$OUTDIR/$1.log" \
        --health "https://127.0.0.1:$LPORT/healthz" --timeout 30 -- "${CMD[@]}")
  LPID=$(cat "$OUTDIR/$1.$2.pid" 2>/dev/null)
  [ -n "$LPID" ] && STARTED+=("$LPID")
  LMS=$(field startup_ms "$out")
  if [ -z "$LPID" ] || [ -z "$LMS" ] || [ "$LMS" = NaN ]; then
    echo "   $1 failed to start: $out (log $OUTDIR/$1.log)" >&2
    [ -n "$LPID" ] && stop_pid "$LPID"
    return 1
  fi
}

cells=()
for p in $PAYLOADS; do for c in $CONCS; do cells+=("keepalive:$p:$c"); done; done
for p in $NEWCONN_PAYLOADS; do for c in $NEWCONN_CONCS; do cells+=("newconn:$p:$c"); done; done
rate_cells=()
[ -n "$RATES" ] && for p in $RATE_PAYLOADS; do for q in $RATES; do rate_cells+=("$p:$q"); done; done
est=$(( (${#cells[@]} * RUNS * (SECS + 1) + ${#rate_cells[@]} * RUNS * (RATE_SECS + RATE_WARMUP + 1) \
        + WARMUP + STARTS + 15) * ${#SERVERS[@]} / 60 + 1 ))
{
  echo "date        $(date -u +%FT%TZ)"
  echo "host        $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg) at start"
  echo "tinyhook    $("$TINYHOOK_BIN" --version 2>&1 | head -1) ($TINYHOOK_BIN)"
  echo "servers     ${SERVERS[*]}"
  echo "runs        RUNS=$RUNS SECS=$SECS STARTS=$STARTS CONCS='$CONCS' NEWCONN_CONCS='$NEWCONN_CONCS' MAX_REQS=$MAX_REQS"
  echo "payloads    $PAYLOADS (admission -> /$ADMISSION_PATH); newconn: $NEWCONN_PAYLOADS"
  echo "idle conns  $IDLE_CONNS after one $IDLE_PAYLOAD request each"
  echo "pinning     servers: ${SERVER_CPUS:-none}, load generator: ${LOAD_CPUS:-none}"
  echo "fixed rate  RATES='$RATES' RATE_PAYLOADS='$RATE_PAYLOADS' RATE_CONNS=$RATE_CONNS RATE_SECS=$RATE_SECS RATE_WARMUP=$RATE_WARMUP; server on CPU ${RATE_SERVER_CPU:-any}, generator on CPU ${RATE_LOAD_CPU:-any}"
} >"$OUTDIR/meta.txt"
echo "bench: ${SERVERS[*]}; ${#cells[@]} cells x $RUNS runs x ${SECS}s, ${#rate_cells[@]} fixed-rate cells; about $est min; results in $OUTDIR" >&2

# ---------------------------------------------------------------- 1. start-up, STARTS times each
for r in $(seq "$STARTS"); do
  for s in "${SERVERS[@]}"; do
    launch "$s" "start$r" && srv_row "$s" startup_ms "$r" "$LMS"
    [ -n "$LPID" ] && stop_pid "$LPID"
  done
done

# ---------------------------------------------------------------- 2. long-lived servers: idle RSS, idle conns, answers
declare -A PID PORT
for s in "${SERVERS[@]}"; do
  echo "== $s" >&2
  launch "$s" main || continue
  PID[$s]=$LPID PORT[$s]=$LPORT
  t=${TREE[$s]}
  sleep 0.2
  idle=$(rss_kb "$LPID" "$t"); srv_row "$s" idle_rss_kb 1 "$idle"
  # launch.py's client floor: the same HTTPS GET /healthz against the running server
  srv_row "$s" healthz_ms 1 "$(timeout 30 "$PY" - "https://127.0.0.1:$LPORT/healthz" <<'PYEOF'
import http.client, ssl, statistics, sys, time, urllib.parse
u, ctx, ms = urllib.parse.urlsplit(sys.argv[1]), ssl._create_unverified_context(), []
for _ in range(5):
    t0 = time.monotonic()
    c = http.client.HTTPSConnection(u.hostname, u.port, context=ctx, timeout=1)
    c.request("GET", u.path); c.getresponse().read(); c.close()
    ms.append((time.monotonic() - t0) * 1000)
print("%.1f" % statistics.median(ms))
PYEOF
)"
  [ -n "${BINARY[$s]:-}" ] && srv_row "$s" binary_bytes 1 "$(stat -c %s "${BINARY[$s]}")"
  msg="   pid $LPID port $LPORT: idle VmRSS $idle kB"
  if [ "$IDLE_CONNS" -gt 0 ]; then
    iflags=(); [ "$t" = 1 ] && iflags=(--tree)
    out=$(timeout 120 "$PY" "$REPO/bench/idle_conns.py" --url "https://127.0.0.1:$LPORT/$ADMISSION_PATH" \
          --payload "$SB/payloads/$IDLE_PAYLOAD.json" --conns "$IDLE_CONNS" --pid "$LPID" \
          --rss-sh "$SB/rss.sh" --timeout 90 "${iflags[@]}" 2>>"$OUTDIR/$s.idle.txt")
    echo "$out" >>"$OUTDIR/$s.idle.txt"
    line=$(grep '^RESULT ' <<<"$out" | tail -1)
    srv_row "$s" idle_conns_rss_kb 1 "$(field rss_kb "$line")"
    srv_row "$s" idle_conns_held 1 "$(field held "$line")/$(field conns "$line")"
    msg+=", with $(field held "$line")/$IDLE_CONNS idle conns $(field rss_kb "$line") kB"
  fi
  echo "$msg" >&2
  "$SB/check.sh" "https://127.0.0.1:$LPORT" >"$OUTDIR/$s.check.txt" 2>&1
  chk=$(awk '/^[0-9]+ passed, [0-9]+ failed$/ { c = $1 "/" ($1 + $3) } END { print c }' "$OUTDIR/$s.check.txt")
  srv_row "$s" check 1 "${chk:-error}"
  echo "   check.sh: ${chk:-error} passed" >&2
  [ "$WARMUP" -gt 0 ] && "$SB/load.sh" "https://127.0.0.1:$LPORT/$ADMISSION_PATH" \
    "$SB/payloads/pod-small-create.json" 4 "$WARMUP" >>"$OUTDIR/$s.load.txt" 2>&1
done

# ---------------------------------------------------------------- 3. load: run by run, cell by cell, server by server
# wrk_keepalive URL PAYLOAD C: load.sh's wrk invocation (same bounds and
# threads), with bench/load.lua, which runs the shared load.lua and adds p99.9.
wrk_keepalive() {
  local t=$(( $3 < 2 ? $3 : 2 )) max=$MAX_REQS pin=()
  (( max < $3 )) && max=$3
  [ -n "$LOAD_CPUS" ] && pin=(taskset -c "$LOAD_CPUS")
  WRK_BODY=$(readlink -f "$2") WRK_MAX_PER_THREAD=$(( (max + t - 1) / t )) BENCH_SHARED_LUA=$SB/load.lua \
    timeout -k 5 $((SECS + 15)) "${pin[@]}" wrk -t "$t" -c "$3" -d "${SECS}s" --timeout 10s -s "$REPO/bench/load.lua" "$1" 2>&1
}
for r in $(seq "$RUNS"); do
  for cell in "${cells[@]}"; do
    IFS=: read -r mode p c <<<"$cell"
    case $p in conversion-*) path=/convert;; *) path=/$ADMISSION_PATH;; esac
    for s in "${SERVERS[@]}"; do
      pid=${PID[$s]:-}; [ -n "$pid" ] || continue
      t=${TREE[$s]}
      if ! kill -0 "$pid" 2>/dev/null; then
        echo "   $s died (see $OUTDIR/$s.log)" >&2; unset "PID[$s]"; continue
      fi
      url="https://127.0.0.1:${PORT[$s]}$path"
      rss0=$(rss_kb "$pid" "$t"); cpu0=$(cpu_ticks "$pid" "$t")
      if [ "$mode" = keepalive ]; then
        out=$(wrk_keepalive "$url" "$SB/payloads/$p.json" "$c")
      else
        out=$(MODE=newconn "$SB/load.sh" "$url" "$SB/payloads/$p.json" "$c" "$SECS" 2>&1)
      fi
      cpu1=$(cpu_ticks "$pid" "$t"); rss1=$(rss_kb "$pid" "$t")
      printf '### %s run %s %s %s c=%s\n%s\n' "$s" "$r" "$mode" "$p" "$c" "$out" >>"$OUTDIR/$s.load.txt"
      res=$(grep '^RESULT ' <<<"$out" | tail -1)
      [ -n "$res" ] || res="RESULT requests=0 rps=0 p50_ms=NaN p99_ms=NaN errors=NaN server_closed=NA"
      p999=$(field p999_ms "$(grep '^TAIL ' <<<"$out" | tail -1)")
      printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$s" "$r" "$p" "$mode" "$c" \
        "$(field requests "$res")" "$(field rps "$res")" "$(field p50_ms "$res")" "$(field p99_ms "$res")" \
        "${p999:-NA}" "$(field errors "$res")" "$(field server_closed "$res")" "$((cpu1 - cpu0))" "$HZ" \
        "$rss0" "$rss1" >>"$TSV"
      printf '   run %s %-9s %-17s c=%-3s %-8s %9s req/s  p99 %8s ms  errors %s\n' "$r" "$mode" "$p" "$c" "$s" \
        "$(field rps "$res")" "$(field p99_ms "$res")" "$(field errors "$res")" >&2
    done
  done
done

# ---------------------------------------------------------------- 4. peak RSS, stop
for s in "${SERVERS[@]}"; do
  pid=${PID[$s]:-}; [ -n "$pid" ] || continue
  srv_row "$s" peak_rss_kb 1 "$(hwm_kb "$pid" "${TREE[$s]}")"
  stop_pid "$pid"
done

# ---------------------------------------------------------------- 4b. peak RSS under busy connections
# A fresh server per run (a webhook that just came up into a burst), the
# servers interleaved run by run like the cells; busy_conns.py resets the
# server's VmHWM itself, samples VmRSS, and appends a row to busy.tsv.
if [ "$BUSY_CONNS" -gt 0 ]; then
  for r in $(seq "$RUNS"); do
    for s in "${SERVERS[@]}"; do
      launch "$s" "busy$r" || continue
      bflags=(); [ "${TREE[$s]}" = 1 ] && bflags=(--tree)
      out=$(timeout $((BUSY_SECS + 60)) "$PY" "$REPO/bench/busy_conns.py" \
            --url "https://127.0.0.1:$LPORT/$ADMISSION_PATH" --payload "$SB/payloads/$BUSY_PAYLOAD.json" \
            --pid "$LPID" --conns "$BUSY_CONNS" --secs "$BUSY_SECS" --max-reqs "$MAX_REQS" \
            --tsv "$OUTDIR/busy.tsv" --server "$s" --run "$r" "${bflags[@]}" 2>>"$OUTDIR/$s.busy.txt")
      echo "$out" >>"$OUTDIR/$s.busy.txt"
      line=$(grep '^RESULT ' <<<"$out" | tail -1)
      printf '   busy run %s %-8s %s/%s conns answered, peak RSS %s kB, %s answers, %s errors\n' "$r" "$s" \
        "$(field active "$line")" "$BUSY_CONNS" "$(field peak_rss_kb "$line")" "$(field requests "$line")" \
        "$(field errors "$line")" >&2
      stop_pid "$LPID"
    done
  done
fi

# ---------------------------------------------------------------- 5. fixed rate
# Each server is started again with taskset on RATE_SERVER_CPU (so Go's
# GOMAXPROCS, read at start-up, is 1; tinyhook keeps one worker per online
# CPU, both on that CPU), the generator runs on RATE_LOAD_CPU: neither
# preempts the other, and the latency is the server's plus the generator's
# own wake-up (tens of us). Runs interleave as above: run, cell, server.
RATE_TSV=$OUTDIR/rate.tsv
printf 'server\trun\tpayload\trate\tconns\tsent\tdone\terrors\tp50_us\tp90_us\tp99_us\tp999_us\tmax_us\tachieved_rps\tnon200\tlate\tall_done\tcpu_ticks\thz\tgen_cpu_pct\n' >"$RATE_TSV"
if [ ${#rate_cells[@]} -gt 0 ]; then
  declare -A RPID RPORT
  saved_cpus=$SERVER_CPUS; SERVER_CPUS=$RATE_SERVER_CPU
  for s in "${SERVERS[@]}"; do
    launch "$s" rate && RPID[$s]=$LPID RPORT[$s]=$LPORT
  done
  SERVER_CPUS=$saved_cpus
  rpin=(); [ -n "$RATE_LOAD_CPU" ] && rpin=(taskset -c "$RATE_LOAD_CPU")
  for r in $(seq "$RUNS"); do
    for cell in "${rate_cells[@]}"; do
      IFS=: read -r p q <<<"$cell"
      case $p in conversion-*) path=/convert;; *) path=/$ADMISSION_PATH;; esac
      for s in "${SERVERS[@]}"; do
        pid=${RPID[$s]:-}; [ -n "$pid" ] || continue
        if ! kill -0 "$pid" 2>/dev/null; then
          echo "   $s died (see $OUTDIR/$s.log)" >&2; unset "RPID[$s]"; continue
        fi
        cpu0=$(cpu_ticks "$pid" "${TREE[$s]}")
        out=$(timeout -k 5 $((RATE_SECS + RATE_WARMUP + 20)) "${rpin[@]}" "$RATE_BIN" --rate "$q" \
              --conns "$RATE_CONNS" --secs "$RATE_SECS" --warmup "$RATE_WARMUP" --max "$MAX_REQS" \
              --timeout 5 --ca "$CERT" --name localhost "127.0.0.1:${RPORT[$s]}" "$path" \
              "$SB/payloads/$p.json" 2>&1)
        cpu1=$(cpu_ticks "$pid" "${TREE[$s]}")
        printf '### %s run %s rate %s %s conns=%s\n%s\n' "$s" "$r" "$q" "$p" "$RATE_CONNS" "$out" \
          >>"$OUTDIR/$s.rate.txt"
        res=$(grep '^RATE ' <<<"$out" | tail -1)
        # no RATE line: the generator failed; the row says NaN and counts as errors
        [ -n "$res" ] || res="RATE sent=0 done=0 errors=NaN"
        row=("$s" "$r" "$p" "$q" "$RATE_CONNS")
        for k in sent done errors p50_us p90_us p99_us p999_us max_us achieved_rps non200 late all_done; do
          v=$(field "$k" "$res"); row+=("${v:-NaN}")
        done
        v=$(field gen_cpu_pct "$res"); row+=("$((cpu1 - cpu0))" "$HZ" "${v:-NaN}")
        (IFS=$'\t'; echo "${row[*]}") >>"$RATE_TSV"
        printf '   run %s rate %-5s %-17s %-8s p50 %6s us  p99 %7s us  p99.9 %7s us  %8s req/s  errors %s non200 %s\n' \
          "$r" "$q" "$p" "$s" "$(field p50_us "$res")" "$(field p99_us "$res")" "$(field p999_us "$res")" \
          "$(field achieved_rps "$res")" "$(field errors "$res")" "$(field non200 "$res")" >&2
      done
    done
  done
  for s in "${SERVERS[@]}"; do [ -n "${RPID[$s]:-}" ] && stop_pid "${RPID[$s]}"; done
fi

# ---------------------------------------------------------------- 6. image, instructions
# The image of the binary under test, assembled like `make image` does it
# (scripts/mkimage.sh), into OUTDIR so the tree is not touched.
if [ -f "$REPO/scripts/mkimage.sh" ]; then
  img=$OUTDIR/tinyhook-bench.oci.tar
  if (cd "$REPO" && timeout 120 sh scripts/mkimage.sh --binary "$TINYHOOK_BIN" --out "$img" \
        --policy-name reference) >"$OUTDIR/image.log" 2>&1 && [ -s "$img" ]; then
    srv_row tinyhook image_bytes 1 "$(stat -c %s "$img")"
  else
    echo "   image: scripts/mkimage.sh failed, see $OUTDIR/image.log" >&2
  fi
fi
for f in "$REPO"/tinyhook-*.oci.tar; do
  [ -f "$f" ] && echo "$(basename "$f") $(stat -c %s "$f")" >>"$OUTDIR/images-in-tree.txt"
done
if [ "$CALLGRIND" = 1 ]; then
  SHARED=$SHARED CG_TSV=$OUTDIR/callgrind.tsv bash "$REPO/bench/callgrind.sh" \
    "$(dirname "$TINYHOOK_BIN")/bench" "$CG_N" >"$OUTDIR/callgrind.txt" 2>&1 ||
    echo "   callgrind: skipped or failed, see $OUTDIR/callgrind.txt" >&2
fi

# ---------------------------------------------------------------- 7. the table
"$PY" "$REPO/bench/summary.py" "$OUTDIR" | tee "$OUTDIR/table.txt"
# ---------------------------------------------------------------- 8. charts (never fail the bench)
sh "$REPO/bench/charts.sh" "$OUTDIR" >&2
echo "(results: $OUTDIR)"
