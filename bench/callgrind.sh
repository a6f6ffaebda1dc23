#!/bin/bash
# bench/callgrind.sh DRIVER_DIR [N=1000]: instructions per review of the 21 KB
# pod (pod-large-create.json) through review_handle() (callgrind_review, on
# /mutate and /validate) against jsmn alone over the same body
# (callgrind_jsmn), counted by valgrind's callgrind inside bench_loop() only.
# Instruction counts do not depend on machine load: the figure repeats.
# env: SHARED (the shared tree), CG_PAYLOAD (default pod-large-create),
#      CG_TSV=file to also write "what<TAB>instructions<TAB>n" rows.
set -uo pipefail
[ $# -ge 1 ] || { echo "usage: $0 DRIVER_DIR [N]" >&2; exit 2; }
DIR=$1 N=${2:-${CG_N:-1000}}
[ -n "$N" ] || N=1000
REPO=$(cd "$(dirname "$(readlink -f "$0")")/.." && pwd)
SHARED=${SHARED:-$(cd "$REPO/.." && pwd)/shared}
PAYLOAD=$SHARED/bench/payloads/${CG_PAYLOAD:-pod-large-create}.json
[[ $N =~ ^[0-9]+$ && $N -ge 1 ]] || { echo "callgrind: N must be a number >= 1" >&2; exit 2; }
command -v valgrind >/dev/null || { echo "callgrind: no valgrind (apt-get install valgrind)" >&2; exit 1; }
for d in review jsmn; do
  [ -x "$DIR/callgrind_$d" ] || { echo "callgrind: no $DIR/callgrind_$d (make bench-drivers)" >&2; exit 1; }
done
[ -r "$PAYLOAD" ] || { echo "callgrind: no $PAYLOAD" >&2; exit 1; }
tmp=$(mktemp -d /tmp/callgrind.XXXXXX)
trap 'rm -rf "$tmp"' EXIT

# count NAME DRIVER ARGS...: prints the instructions executed inside bench_loop
count() {
  local name=$1; shift
  if ! timeout 600 valgrind --tool=callgrind --callgrind-out-file="$tmp/$name.out" \
       --toggle-collect=bench_loop "$@" >"$tmp/$name.log" 2>&1; then
    echo "callgrind: $name failed:" >&2; tail -5 "$tmp/$name.log" >&2; return 1
  fi
  sed -n 's/^summary: *//p' "$tmp/$name.out"
}
jsmn=$(count jsmn "$DIR/callgrind_jsmn" "$PAYLOAD" "$N") || exit 1
mut=$(count mutate "$DIR/callgrind_review" "$PAYLOAD" "$N" mutate) || exit 1
val=$(count validate "$DIR/callgrind_review" "$PAYLOAD" "$N" validate) || exit 1
[ -n "${CG_TSV:-}" ] && printf 'jsmn\t%s\t%s\nreview_mutate\t%s\t%s\nreview_validate\t%s\t%s\n' \
  "$jsmn" "$N" "$mut" "$N" "$val" "$N" >"$CG_TSV"
awk -v j="$jsmn" -v m="$mut" -v v="$val" -v n="$N" -v f="$(basename "$PAYLOAD") ($(stat -c %s "$PAYLOAD") bytes)" 'BEGIN {
  printf "instructions per request, %s, %d iterations under callgrind:\n", f, n
  printf "  jsmn alone             %10.0f\n", j / n
  printf "  review_handle /mutate  %10.0f   %.2fx jsmn   target <= 3x: %s\n", m / n, m / j, (m / j <= 3 ? "PASS" : "MISS")
  printf "  review_handle /validate%10.0f   %.2fx jsmn\n", v / n, v / j
}'
