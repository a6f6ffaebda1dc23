#!/bin/sh
# charts.sh OUTDIR: the SVG charts of a `make bench` results directory
# (reqs.svg, cpu.svg, latency.svg, rss.svg; see bench/charts.py), drawn by
# Debian's gnuplot (gnuplot-nox, installed by `make bench`).
#
# A bench must not fail because of its pictures: without gnuplot, or when a
# chart fails, this says why on stderr and exits 0, unless CHARTS_STRICT=1
# (the test sets it), when it exits 1.
OUTDIR=${1:?usage: charts.sh OUTDIR}
strict=${CHARTS_STRICT:-0}
fail() {
	echo "charts: $*" >&2
	[ "$strict" = 1 ] && exit 1
	exit 0
}
command -v gnuplot >/dev/null 2>&1 ||
	fail "no charts: gnuplot is missing (as root: sh scripts/deps.sh gnuplot-nox)"
[ -r "$OUTDIR/results.tsv" ] || fail "no charts: no $OUTDIR/results.tsv"
/usr/bin/python3 "$(dirname "$0")/charts.py" "$OUTDIR" ||
	fail "some charts failed (see above); the data and scripts are in $OUTDIR/charts/"
