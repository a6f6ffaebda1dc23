#!/usr/bin/python3
"""charts.py OUTDIR: SVG charts of a `make bench` results directory.

Reads OUTDIR/results.tsv (bench/run.sh), and when they exist
OUTDIR/rate.tsv (fixed-rate latency), OUTDIR/busy.tsv (busy_conns.py) and
OUTDIR/server.tsv (idle RSS); writes

  reqs.svg     req/s per cell, one bar per server (median over runs)
  cpu.svg      server CPU time per request per cell (median over runs)
  latency.svg  p50 / p99 / p99.9 against offered load, per server (rate.tsv)
  rss.svg      RSS idle, with idle connections and with busy ones (busy.tsv)

and beside them OUTDIR/charts/NAME.dat + NAME.gp, the data and the gnuplot
script of each (`gnuplot OUTDIR/charts/NAME.gp` draws it again). A chart
whose input is absent is skipped with a line saying so. Every series is
named after its server, in the legend; a missing figure is a missing bar,
never a zero. Exit status: 0, or 1 if gnuplot failed or results.tsv is
unusable. Called by bench/charts.sh, which decides what a failure means.
"""
import csv
import os
import statistics
import subprocess
import sys

# Colours per server, the same in every chart; others cycle through SPARE.
COLOURS = {"tinyhook": "#1f4e9c", "go": "#00a0b0", "flask": "#c0392b", "gunicorn": "#e08e0b"}
SPARE = ["#6c3483", "#117a65", "#7f8c8d", "#a04000"]
# Dash types per percentile in latency.svg (gnuplot dashtype numbers).
PERCENTILES = [("p50_us", "p50", 3), ("p99_us", "p99", 1), ("p999_us", "p99.9", 2)]
RSS_TARGET_MIB = 16     # issue 16: peak RSS at 256 busy connections
CHART_W, CHART_H = 960, 540     # pixels; a bar chart widens with its clusters
CLUSTER_W = 110                 # pixels per cluster: room for a label like "pod-large-create"
LEFT_W = 200                    # pixels of y axis and legend beside the clusters


def terminal(width=CHART_W):
    return ("set terminal svg size %d,%d dynamic noenhanced font 'sans,12' background '#ffffff'"
            % (width, CHART_H))
# Room above the tallest bar for the legend (top right): a factor on a log
# axis (the top is the next decade above it), a factor on a linear one.
HEADROOM_LOG = 3
HEADROOM_LINEAR = 1.3
GP_WRITE_TIMEOUT = 60   # seconds gnuplot may take for one chart


def read_tsv(path):
    """Rows of a TSV with a header line, as dicts; [] when absent."""
    if not os.path.exists(path):
        return None
    with open(path, newline="") as f:
        return list(csv.DictReader(f, delimiter="\t"))


def num(s):
    """A float, or None for NA/NaN/empty/garbage."""
    try:
        v = float(s)
    except (TypeError, ValueError):
        return None
    return None if v != v else v


def median(vals):
    vals = [v for v in vals if v is not None]
    return statistics.median(vals) if vals else None


def servers_in(rows):
    """Server names in order of first appearance."""
    out = []
    for r in rows:
        if r["server"] not in out:
            out.append(r["server"])
    return out


def colour(server, servers):
    if server in COLOURS:
        return COLOURS[server]
    others = [s for s in servers if s not in COLOURS]
    return SPARE[others.index(server) % len(SPARE)]


def quote(s):
    """A gnuplot double-quoted string (data labels and titles)."""
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'


def fmt(v):
    return "NaN" if v is None else "%.6g" % v


def cell_label(payload, mode, c):
    return "%s\\n%s c=%s" % (payload, "new conn" if mode == "newconn" else "keep-alive", c)


def write_table(path, header, rows):
    """A tab-separated gnuplot data file: the header as a comment (a header
    line would be read as a cluster of its own), then label + numbers. A
    label is double-quoted, so gnuplot turns its \\n into a line break."""
    with open(path, "w") as f:
        f.write("# " + "\t".join(header) + "\n")
        for label, vals in rows:
            f.write("\t".join(['"%s"' % label.replace('"', "'")] + [fmt(v) for v in vals]) + "\n")


def log_range(vals):
    """[lo:hi] in decades around vals, lo strictly below the smallest: a bar
    starts at lo, and one whose value is lo would have no height at all."""
    vals = [v for v in vals if v is not None and v > 0]
    if not vals:
        return "[1:10]"
    lo, hi = 1.0, 1.0
    while lo >= min(vals):
        lo /= 10
    while lo * 10 < min(vals):
        lo *= 10
    while hi < max(vals) * HEADROOM_LOG:
        hi *= 10
    return "[%g:%g]" % (lo, max(hi, lo * 10))


def histogram(outdir, name, title, xlabel, ylabel, servers, rows, log, also=()):
    """A clustered bar chart: one cluster per row label, one bar per server;
    the y range holds every bar and the values of also (a target line)."""
    cdir = os.path.join(outdir, "charts")
    dat = os.path.join(cdir, name + ".dat")
    write_table(dat, ["label"] + servers, rows)
    allv = [v for _, vals in rows for v in vals] + list(also)
    top = max([v for v in allv if v is not None] or [1])
    yr = log_range(allv) if log else "[0:%g]" % (top * HEADROOM_LINEAR)
    plots = ", ".join("%s using %d:xtic(1) title %s lc rgb %s" % (
        quote(dat), i + 2, quote(s), quote(colour(s, servers))) for i, s in enumerate(servers))
    gp = [terminal(max(CHART_W, LEFT_W + CLUSTER_W * len(rows))),
          "set output %s" % quote(os.path.join(outdir, name + ".svg")),
          "set xtics font 'sans,10'", "set bmargin 5.5",
          "set datafile separator tab", "set title %s" % quote(title),
          "set ylabel %s" % quote(ylabel), "set style data histograms",
          "set xlabel %s offset 0,-1" % quote(xlabel),
          "set style histogram clustered gap 1", "set style fill solid 0.85 border -1",
          "set boxwidth 0.9", "set grid ytics", "set key top right",
          "set xrange [-0.5:%g]" % (len(rows) - 0.5), "set yrange %s" % yr]
    if log:
        gp.append("set logscale y")
    gp.append("plot " + plots)
    return gp


CELLS = "cell: payload, connection use (wrk keep-alive, hey new connection), concurrency"


def reqs_and_cpu(outdir, rows):
    """reqs.svg and cpu.svg from results.tsv rows."""
    servers = servers_in(rows)
    cells, rps, cpu = [], {}, {}
    for r in rows:
        key = (r["payload"], r["mode"], r["c"])
        if key not in cells:
            cells.append(key)
        req, hz = num(r["requests"]), num(r["hz"])
        rps.setdefault((key, r["server"]), []).append(num(r["req_s"]) or None)
        ticks = num(r["cpu_ticks"])
        per = None
        if req and hz and ticks is not None:
            per = ticks / hz / req * 1e6
        cpu.setdefault((key, r["server"]), []).append(per)
    runs = len({r["run"] for r in rows})
    rps_rows = [(cell_label(*k), [median(rps.get((k, s), [])) for s in servers]) for k in cells]
    cpu_rows = [(cell_label(*k), [median(cpu.get((k, s), [])) for s in servers]) for k in cells]
    return [
        ("reqs", histogram(outdir, "reqs", "Throughput per cell (median of %d runs)" % runs,
                           CELLS, "requests per second (log scale)", servers, rps_rows, True)),
        ("cpu", histogram(outdir, "cpu",
                          "Server CPU time per request (utime+stime / requests, median of %d runs)"
                          % runs, CELLS, "CPU time per request, microseconds (log scale)",
                          servers, cpu_rows, True)),
    ]


def latency(outdir, rows):
    """latency.svg: percentiles against offered load, one colour per server."""
    servers = servers_in(rows)
    payloads = []
    for r in rows:
        if r["payload"] not in payloads:
            payloads.append(r["payload"])
    cdir = os.path.join(outdir, "charts")
    dat = os.path.join(cdir, "latency.dat")
    blocks, plots, allv = [], [], []
    for s in servers:
        for p in payloads:
            mine = [r for r in rows if r["server"] == s and r["payload"] == p]
            if not mine:
                continue
            rates = sorted({num(r["rate"]) for r in mine} - {None})
            lines = ["# %s %s\n# rate\tp50_ms\tp99_ms\tp999_ms\tachieved_rps" % (s, p)]
            for rate in rates:
                at = [r for r in mine if num(r["rate"]) == rate]
                vals = [median(num(r[col]) for r in at) for col, _, _ in PERCENTILES]
                vals = [None if v is None else v / 1000 for v in vals]
                allv += vals
                lines.append("\t".join([fmt(rate)] + [fmt(v) for v in vals] +
                                       [fmt(median(num(r["achieved_rps"]) for r in at))]))
            idx = len(blocks)
            blocks.append("\n".join(lines))
            for i, (_, pname, dt) in enumerate(PERCENTILES):
                t = "%s %s" % (s, pname) + ("" if len(payloads) == 1 else " (%s)" % p)
                plots.append("%s index %d using 1:%d with linespoints dt %d lw 2 pt 7 ps 0.8 "
                             "lc rgb %s title %s" % (quote(dat), idx, i + 2, dt,
                                                     quote(colour(s, servers)), quote(t)))
    if not plots:
        return None
    with open(dat, "w") as f:
        f.write("\n\n\n".join(blocks) + "\n")
    title = "Latency at a fixed offered load (%s; from the scheduled send time)" % ", ".join(payloads)
    conns = sorted({r["conns"] for r in rows})
    gp = [terminal(), "set output %s" % quote(os.path.join(outdir, "latency.svg")),
          "set datafile separator tab", "set title %s" % quote(title),
          "set xlabel %s" % quote("offered load, requests per second (log scale; %s connections)"
                                  % "/".join(conns)),
          "set ylabel %s" % quote("latency, milliseconds (log scale)"),
          "set logscale xy", "set yrange %s" % log_range(allv), "set grid xtics ytics",
          "set key outside right top", "set xtics (%s)" % ", ".join(
              "%s %g" % (quote("%g" % v), v) for v in sorted({num(r["rate"]) for r in rows} - {None})),
          "plot " + ", \\\n  ".join(plots)]
    return gp


def rss(outdir, busy, srv):
    """rss.svg: idle, idle connections, busy connections; one bar per server."""
    servers = servers_in(busy)
    for r in srv or []:
        if r["server"] not in servers and r["metric"] in ("idle_rss_kb", "idle_conns_rss_kb"):
            servers.append(r["server"])
    rows = []
    if srv:
        def metric(m, s):
            return median(num(r["value"]) for r in srv if r["server"] == s and r["metric"] == m)
        held = [r["value"].split("/")[-1] for r in srv if r["metric"] == "idle_conns_held"]
        for m, label in (("idle_rss_kb", "idle, after start-up"),
                         ("idle_conns_rss_kb", "%s idle keep-alive conns" % (held[0] if held else "N"))):
            vals = [metric(m, s) for s in servers]
            if any(v is not None for v in vals):
                rows.append((label, [None if v is None else v / 1024 for v in vals]))
    groups = []
    for r in busy:
        if (r["conns"], r["payload"]) not in groups:
            groups.append((r["conns"], r["payload"]))
    for conns, payload in groups:
        vals = [median(num(r["peak_rss_kb"]) for r in busy if r["server"] == s and
                       r["conns"] == conns and r["payload"] == payload) for s in servers]
        rows.append(("%s busy keep-alive conns\\npeak, %s" % (conns, payload),
                     [None if v is None else v / 1024 for v in vals]))
    gp = histogram(outdir, "rss", "Resident memory of the server (VmRSS; busy: VmHWM during the load)",
                   "state of the server", "resident memory, MiB", servers, rows, False,
                   also=[RSS_TARGET_MIB])
    gp[-1] += ", %d with lines dt 2 lw 2 lc rgb '#444444' title %s" % (
        RSS_TARGET_MIB, quote("target for tinyhook busy: %d MiB" % RSS_TARGET_MIB))
    return gp


def draw(outdir, name, gp):
    """Writes charts/NAME.gp and runs gnuplot on it; True on success."""
    path = os.path.join(outdir, "charts", name + ".gp")
    with open(path, "w") as f:
        f.write("\n".join(gp) + "\n")
    try:
        p = subprocess.run(["gnuplot", path], capture_output=True, text=True,
                           timeout=GP_WRITE_TIMEOUT)
    except (OSError, subprocess.TimeoutExpired) as e:
        print("charts: %s: gnuplot: %s" % (name, e), file=sys.stderr)
        return False
    if p.returncode != 0 or not os.path.exists(os.path.join(outdir, name + ".svg")):
        print("charts: %s: gnuplot failed:\n%s" % (name, p.stderr.strip()), file=sys.stderr)
        return False
    if p.stderr.strip():
        print("charts: %s: gnuplot says: %s" % (name, p.stderr.strip()), file=sys.stderr)
    print("charts: wrote %s" % os.path.join(outdir, name + ".svg"))
    return True


def main():
    if len(sys.argv) != 2:
        print("usage: charts.py OUTDIR", file=sys.stderr)
        return 2
    outdir = os.path.abspath(sys.argv[1])
    results = read_tsv(os.path.join(outdir, "results.tsv"))
    if not results:
        print("charts: no rows in %s/results.tsv" % outdir, file=sys.stderr)
        return 1
    os.makedirs(os.path.join(outdir, "charts"), exist_ok=True)
    todo = reqs_and_cpu(outdir, results)
    rate = read_tsv(os.path.join(outdir, "rate.tsv"))
    lat = latency(outdir, rate) if rate else None
    if lat:
        todo.append(("latency", lat))
    else:
        print("charts: latency.svg skipped: no rows in %s/rate.tsv" % outdir)
    busy = read_tsv(os.path.join(outdir, "busy.tsv"))
    if busy:
        todo.append(("rss", rss(outdir, busy, read_tsv(os.path.join(outdir, "server.tsv")))))
    else:
        print("charts: rss.svg skipped: no rows in %s/busy.tsv" % outdir)
    ok = [draw(outdir, name, gp) for name, gp in todo]
    return 0 if all(ok) else 1


if __name__ == "__main__":
    sys.exit(main())
