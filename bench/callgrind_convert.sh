#!/bin/bash
# bench/callgrind_convert.sh DRIVER_DIR [N=200]: instructions per ConversionReview
# (conversion-100.json and conversion-1.json of $SHARED/bench/payloads: CronTab
# v1beta1 -> v1) through review_handle() on /convert (callgrind_review ... convert),
# split into the parse (json_parse: jsmn + the structure check) and the conversion
# (convert_review), then the functions that cost most, by their own instructions
# (callgrind_annotate). Counted inside bench_loop() only, so the figures repeat
# whatever the machine's load (see bench/callgrind.sh for the 21 KB review).
# env: SHARED (the shared tree), CG_TOP=12 functions listed per payload (0: none),
#      CG_TSV=file to also write "what<TAB>instructions<TAB>n" rows.
set -uo pipefail
[ $# -ge 1 ] || { echo "usage: $0 DRIVER_DIR [N]" >&2; exit 2; }
DIR=$1 N=${2:-200} TOP=${CG_TOP:-12}
REPO=$(cd "$(dirname "$(readlink -f "$0")")/.." && pwd)
SHARED=${SHARED:-$(cd "$REPO/.." && pwd)/shared}
[[ $N =~ ^[0-9]+$ && $N -ge 1 ]] || { echo "callgrind_convert: N must be a number >= 1" >&2; exit 2; }
[[ $TOP =~ ^[0-9]+$ ]] || { echo "callgrind_convert: CG_TOP must be a number" >&2; exit 2; }
for t in valgrind callgrind_annotate; do
  command -v $t >/dev/null || { echo "callgrind_convert: no $t (apt-get install valgrind)" >&2; exit 1; }
done
[ -x "$DIR/callgrind_review" ] || { echo "callgrind_convert: no $DIR/callgrind_review (make bench-drivers)" >&2; exit 1; }
tmp=$(mktemp -d /tmp/callgrind_convert.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
[ -n "${CG_TSV:-}" ] && : >"$CG_TSV"

# incl FILE FUNCTION: the inclusive instructions of FUNCTION in callgrind output FILE
incl() {
  callgrind_annotate --inclusive=yes "$1" 2>/dev/null |
    awk -v f=":$2 " '$0 ~ /^ *[0-9,]+ \(/ && index($0, f) { gsub(",", "", $1); print $1; exit }'
}

for p in conversion-100 conversion-1; do
  body=$SHARED/bench/payloads/$p.json
  [ -r "$body" ] || { echo "callgrind_convert: no $body" >&2; exit 1; }
  out=$tmp/$p.out
  if ! timeout 600 valgrind --tool=callgrind --callgrind-out-file="$out" \
       --toggle-collect=bench_loop "$DIR/callgrind_review" "$body" "$N" convert \
       >"$tmp/$p.log" 2>&1; then
    echo "callgrind_convert: $p failed:" >&2; tail -5 "$tmp/$p.log" >&2; exit 1
  fi
  grep -q "status 200" "$tmp/$p.log" || { echo "callgrind_convert: $p: not a 200" >&2; exit 1; }
  total=$(sed -n 's/^summary: *//p' "$out")
  parse=$(incl "$out" json_parse)
  conv=$(incl "$out" convert_review)
  [ -n "${CG_TSV:-}" ] && printf 'convert_total_%s\t%s\t%s\nconvert_parse_%s\t%s\t%s\nconvert_walk_%s\t%s\t%s\n' \
    "$p" "$total" "$N" "$p" "${parse:-0}" "$N" "$p" "${conv:-0}" "$N" >>"$CG_TSV"
  awk -v t="$total" -v p="${parse:-0}" -v c="${conv:-0}" -v n="$N" \
      -v f="$p.json ($(stat -c %s "$body") bytes)" 'BEGIN {
    printf "instructions per ConversionReview, %s, %d iterations under callgrind:\n", f, n
    printf "  review_handle /convert %10.0f\n", t / n
    printf "    json_parse           %10.0f  %5.1f%%  (jsmn + structure check)\n", p / n, 100 * p / t
    printf "    convert_review       %10.0f  %5.1f%%  (find versions, plan edits, write)\n", c / n, 100 * c / t
  }'
  if [ "$TOP" -gt 0 ]; then
    echo "  most instructions by function (self):"
    callgrind_annotate --inclusive=no "$out" 2>/dev/null |
      awk -v top="$TOP" -v n="$N" '/^ *[0-9,]+ \( *[0-9.]+%\)/ && !/PROGRAM TOTALS/ && k < top {
        x = $1; gsub(",", "", x); pct = $0; sub(/^[^(]*\( */, "", pct); sub(/%.*/, "%", pct)
        name = $0; sub(/^[^)]*\) */, "", name); sub(/ \[.*/, "", name); sub(/.*\//, "", name)
        printf "    %-40s %10.0f  %6s\n", name, x / n, pct; k++ }'
  fi
done
