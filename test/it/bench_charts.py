"""bench_charts.py: the pictures and the busy-connection RSS of `make bench`.

bench/charts.sh runs on a results directory written here (results.tsv,
rate.tsv, busy.tsv, server.tsv, with a missing figure in each), and every
SVG is read back with a real XML parser: it is SVG, has its title and axis
labels, one legend entry per expected series named after its server, and
the expected number of bars or points in each series (a missing figure is
a missing bar, never a zero and never a lost neighbour). Bar heights follow
the medians' order, so a swapped column or a mean instead of a median
shows. Without gnuplot the bench still succeeds, with a message; with
CHARTS_STRICT=1 it fails. bench/busy_conns.py is run for 2 s against the
real binary: every connection answered, no error, a TSV row, a peak RSS.

gnuplot comes from Debian's gnuplot-nox (installed by `make test`; here by
scripts/deps.sh when missing); the chart cases are skipped only when that
cannot install it (not root).
"""
import os
import shutil
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
from th import BENCH_PAYLOADS, ROOT, TINYHOOK, Server, check, mkcerts, skip, summary  # noqa: E402

SVG = "{http://www.w3.org/2000/svg}"
CHARTS = os.path.join(ROOT, "bench", "charts.sh")
BUSY = os.path.join(ROOT, "bench", "busy_conns.py")
NA = None

RESULTS_HEAD = ("server\trun\tpayload\tmode\tc\trequests\treq_s\tp50_ms\tp99_ms\tp999_ms\terrors\t"
                "srv_closed\tcpu_ticks\thz\trss_before_kb\trss_after_kb")
# cell -> server -> one (req_s, requests, cpu_ticks) per run; NA req_s = a failed run
# (requests 0). Medians are what the charts show; a mean would differ in every row.
RESULTS = [
    (("pod-small-create", "keepalive", "1"), {
        "tinyhook": [(9000, 18000, 50), (9500, 19000, 60), (20000, 40000, 70)],
        "go": [(6000, 12000, 160), (100, 200, 2), (6100, 12200, 170)],
        "flask": [(300, 600, 180), (310, 620, 190), (290, 580, 175)]}),
    (("pod-small-create", "keepalive", "32"), {
        "tinyhook": [(16000, 32000, 80), (17000, 34000, 85), (15000, 30000, 75)],
        "go": [(5300, 10600, 100), (5200, 10400, 99), (5400, 10800, 101)],
        "flask": [(320, 640, 200), (330, 660, 205), (310, 620, 195)]}),
    (("pod-large-create", "keepalive", "32"), {
        "tinyhook": [(6000, 12000, 90), (6100, 12200, 92), (5900, 11800, 88)],
        "go": [(NA, 0, 0), (NA, 0, 0), (NA, 0, 0)],          # go failed this cell: no bar
        "flask": [(100, 200, 150), (110, 220, 160), (90, 180, 140)]}),
    (("pod-small-create", "newconn", "32"), {                # flask has no rows: no bar
        "tinyhook": [(500, 1000, 105), (490, 980, 103), (510, 1020, 107)],
        "go": [(900, 1800, 85), (910, 1820, 86), (890, 1780, 84)]}),
]
HZ = 100
SERVERS = ["tinyhook", "go", "flask"]

RATE_HEAD = ("server\trun\tpayload\trate\tconns\tsent\tdone\terrors\tp50_us\tp90_us\tp99_us\t"
             "p999_us\tmax_us\tachieved_rps")
# server -> rate -> one (p50, p99, p99.9 in us) per run; go has no 5000 row.
RATE = {
    "tinyhook": {500: [(100, 300, 600), (120, 320, 700)], 2000: [(110, 400, 900), (130, 420, 950)],
                 5000: [(150, 800, 2000), (170, 900, 2500)]},
    "go": {500: [(300, 2000, 5000), (320, 2100, 5200)], 2000: [(400, 3000, 9000), (420, 3100, 9500)]},
}
BUSY_ROWS = [("tinyhook", "1", 7300), ("tinyhook", "2", 7500), ("go", "1", 35000), ("go", "2", 36000)]
SERVER_ROWS = [("tinyhook", "idle_rss_kb", "504"), ("tinyhook", "idle_conns_rss_kb", "7256"),
               ("tinyhook", "idle_conns_held", "256/256"), ("go", "idle_rss_kb", "6652"),
               ("go", "idle_conns_rss_kb", "22880"), ("go", "idle_conns_held", "256/256")]


def med(vals):
    vals = sorted(v for v in vals if v is not None)
    n = len(vals)
    if n == 0:
        return None
    return vals[n // 2] if n % 2 else (vals[n // 2 - 1] + vals[n // 2]) / 2


def write_fixture(d, rate=True, busy=True):
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, "results.tsv"), "w") as f:
        f.write(RESULTS_HEAD + "\n")
        for run in range(3):
            for (p, mode, c), per in RESULTS:
                for s, runs in per.items():
                    rps, req, ticks = runs[run]
                    f.write("\t".join(str(x) for x in (
                        s, run + 1, p, mode, c, req, "NaN" if rps is None else rps, 1, 2, 3, 0,
                        "0%", ticks, HZ, 500, 600)) + "\n")
    if rate:
        with open(os.path.join(d, "rate.tsv"), "w") as f:
            f.write(RATE_HEAD + "\n")
            for s, by_rate in RATE.items():
                for r, runs in by_rate.items():
                    for i, (p50, p99, p999) in enumerate(runs):
                        f.write("\t".join(str(x) for x in (
                            s, i + 1, "pod-large-create", r, 64, r * 2, r * 2, 0, p50, p50 * 2,
                            p99, p999, p999 * 2, r)) + "\n")
    if busy:
        with open(os.path.join(d, "busy.tsv"), "w") as f:
            f.write("server\trun\tconns\tpayload\tpeak_rss_kb\trequests\terrors\n")
            for s, run, kb in BUSY_ROWS:
                f.write("%s\t%s\t256\tpod-large-create\t%d\t25000\t0\n" % (s, run, kb))
        with open(os.path.join(d, "server.tsv"), "w") as f:
            f.write("server\tmetric\trun\tvalue\n")
            for s, m, v in SERVER_ROWS:
                f.write("%s\t%s\t1\t%s\n" % (s, m, v))


def run_charts(d, env=None):
    e = dict(os.environ)
    e.update(env or {})
    return subprocess.run(["/bin/sh", CHARTS, d], capture_output=True, text=True, env=e, timeout=120)


def series(path):
    """[(legend title, polygons, points, texts)] per gnuplot_plot group, and
    all texts outside them (titles, labels, tics), of an SVG file."""
    root = ET.parse(path).getroot()
    if root.tag != SVG + "svg":
        raise ValueError("root element is %s, not svg" % root.tag)
    out, inside = [], set()
    for g in root.iter(SVG + "g"):
        if g.get("id", "").startswith("gnuplot_plot_"):
            texts = [t.text for t in g.iter(SVG + "text")]
            inside.update(id(t) for t in g.iter(SVG + "text"))
            polys = [p.get("points") for p in g.iter(SVG + "polygon")]
            out.append((texts[0] if texts else None, polys, len(list(g.iter(SVG + "use"))), texts))
    rest = [t.text for t in root.iter(SVG + "text") if id(t) not in inside]
    return out, rest


def bar_tops(polys):
    """(x, top y) of each bar's polygon, key sample (the first) left out, by x."""
    bars = []
    for pts in polys[1:]:
        xy = [tuple(float(v) for v in p.split(",")) for p in pts.split()]
        bars.append((min(x for x, _ in xy), min(y for _, y in xy)))
    return sorted(bars)


def check_data(name, datfile, expect):
    """The numbers charts.py wrote for gnuplot: the medians, to 5 digits."""
    try:
        rows = [line.split("\t")[1:] for line in open(datfile).read().splitlines()
                if not line.startswith("#")]
    except OSError as e:
        check("%s: data file" % name, False, str(e))
        return
    got = [[None if v == "NaN" else float(v) for v in r] for r in rows]
    want = [[vals[i] for _, vals in expect] for i in range(len(expect[0][1]))]
    same = len(got) == len(want) and all(
        len(g) == len(w) and all((a is None and b is None) or
                                 (a is not None and b is not None and abs(a - b) <= 1e-5 * abs(b))
                                 for a, b in zip(g, w)) for g, w in zip(got, want))
    check("%s: plotted figures are the medians over runs" % name, same,
          "got %s want %s" % (got, want))


def check_bars(name, svgfile, expect, tics, labels):
    """expect: [(server, [value or None per cluster])]; bars per series and
    their heights' order against the values'."""
    try:
        got, rest = series(svgfile)
    except (OSError, ET.ParseError, ValueError) as e:
        check("%s is an SVG document" % name, False, str(e))
        return
    check("%s is an SVG document" % name, True)
    check("%s: legend names %s" % (name, [s for s, _ in expect]),
          [g[0] for g in got] == [s for s, _ in expect], "got %s" % [g[0] for g in got])
    for (s, vals), g in zip(expect, got):
        want = [v for v in vals if v is not None]
        bars = bar_tops(g[1]) if g[0] == s else []
        check("%s: %s has %d bars (one per figure, none for a missing one)" % (name, s, len(want)),
              len(bars) == len(want), "got %d" % len(bars))
        if len(bars) == len(want) and len(want) > 1:
            # higher value -> smaller top y; ties aside, the orders must agree
            order_v = sorted(range(len(want)), key=lambda i: -want[i])
            order_y = sorted(range(len(bars)), key=lambda i: bars[i][1])
            check("%s: %s's bar heights follow the medians %s" % (name, s, want),
                  order_v == order_y, "tops %s" % [round(b[1]) for b in bars])
    check("%s: x tics are the clusters in order" % name,
          [t for t in rest if t in tics] == tics, "texts %s" % rest)
    for lab in labels:
        check("%s: title/axis text containing %r" % (name, lab),
              any(t and lab in t for t in rest), "texts %s" % rest)


def charts_cases(tmp):
    d = os.path.join(tmp, "full")
    write_fixture(d)
    r = run_charts(d, {"CHARTS_STRICT": "1"})
    check("charts.sh on a full results dir exits 0", r.returncode == 0, r.stdout + r.stderr)
    for n in ("reqs", "cpu", "latency", "rss"):
        check("%s.svg written" % n, os.path.isfile(os.path.join(d, n + ".svg")))

    tics = []
    for (p, mode, c), _ in RESULTS:
        tics += [p, "%s c=%s" % ("new conn" if mode == "newconn" else "keep-alive", c)]
    rps = [(s, [med(x[0] for x in per[s]) if s in per else None for _, per in RESULTS])
           for s in SERVERS]
    check_data("reqs.svg", os.path.join(d, "charts", "reqs.dat"), rps)
    check_bars("reqs.svg", os.path.join(d, "reqs.svg"), rps, tics,
               ["Throughput", "requests per second", "median of 3 runs"])
    cpu = [(s, [med(t / HZ / q * 1e6 if q else None for _, q, t in per[s]) if s in per else None
                for _, per in RESULTS]) for s in SERVERS]
    check_data("cpu.svg", os.path.join(d, "charts", "cpu.dat"), cpu)
    check_bars("cpu.svg", os.path.join(d, "cpu.svg"), cpu, tics,
               ["CPU time per request", "microseconds"])
    busy = {s: med(kb for n, _, kb in BUSY_ROWS if n == s) / 1024 for s in ("tinyhook", "go")}
    srv = {(s, m): int(v) / 1024 for s, m, v in SERVER_ROWS if m.endswith("_kb")}
    rss = [(s, [srv[(s, "idle_rss_kb")], srv[(s, "idle_conns_rss_kb")], busy[s]])
           for s in ("tinyhook", "go")]
    check_rss(os.path.join(d, "rss.svg"), rss)
    check_latency(os.path.join(d, "latency.svg"))

    # only results.tsv: two charts, and a line naming what was skipped
    d2 = os.path.join(tmp, "bare")
    write_fixture(d2, rate=False, busy=False)
    r = run_charts(d2, {"CHARTS_STRICT": "1"})
    check("charts.sh without rate.tsv/busy.tsv exits 0", r.returncode == 0, r.stdout + r.stderr)
    check("latency.svg skipped with a message",
          not os.path.exists(os.path.join(d2, "latency.svg")) and
          "latency.svg skipped" in r.stdout + r.stderr, r.stdout + r.stderr)
    check("rss.svg skipped with a message",
          not os.path.exists(os.path.join(d2, "rss.svg")) and
          "rss.svg skipped" in r.stdout + r.stderr, r.stdout + r.stderr)
    check("reqs.svg and cpu.svg still written",
          all(os.path.isfile(os.path.join(d2, n)) for n in ("reqs.svg", "cpu.svg")))


def check_rss(path, expect):
    try:
        got, rest = series(path)
    except (OSError, ET.ParseError, ValueError) as e:
        check("rss.svg is an SVG document", False, str(e))
        return
    check("rss.svg is an SVG document", True)
    bars = [g for g in got if g[0] in ("tinyhook", "go")]
    check("rss.svg: legend names tinyhook, go and the 16 MiB target",
          [g[0] for g in got][:2] == ["tinyhook", "go"] and
          any(g[0] and "16 MiB" in g[0] for g in got), "got %s" % [g[0] for g in got])
    for (s, vals), g in zip(expect, bars):
        tops = bar_tops(g[1])
        check("rss.svg: %s has 3 bars (idle, idle conns, busy conns)" % s, len(tops) == 3,
              "got %d" % len(tops))
        if len(tops) == 3:
            order_v = sorted(range(3), key=lambda i: -vals[i])
            order_y = sorted(range(3), key=lambda i: tops[i][1])
            check("rss.svg: %s's bars follow %s MiB" % (s, [round(v, 1) for v in vals]),
                  order_v == order_y, "tops %s" % [round(t[1]) for t in tops])
    check("rss.svg: clusters labelled (idle, 256 idle, 256 busy)",
          any(t and "256 idle" in t for t in rest) and any(t and "256 busy" in t for t in rest)
          and any(t and t.startswith("idle") for t in rest), "texts %s" % rest)
    check("rss.svg: y axis in MiB", any(t and "MiB" in t for t in rest), "texts %s" % rest)


def check_latency(path):
    try:
        got, rest = series(path)
    except (OSError, ET.ParseError, ValueError) as e:
        check("latency.svg is an SVG document", False, str(e))
        return
    check("latency.svg is an SVG document", True)
    want = [("%s %s" % (s, p), len(RATE[s])) for s in RATE for p in ("p50", "p99", "p99.9")]
    check("latency.svg: legend %s" % [w for w, _ in want],
          [g[0] for g in got] == [w for w, _ in want], "got %s" % [g[0] for g in got])
    for (title, n), g in zip(want, got):
        # one marker per rate, plus the one of the legend sample
        check("latency.svg: %s has %d points" % (title, n), g[2] == n + 1, "got %d" % (g[2] - 1))
    for lab in ("offered load", "requests per second", "milliseconds", "500", "2000", "5000"):
        check("latency.svg: text %r" % lab, any(t and lab in t for t in rest), "texts %s" % rest)


def no_gnuplot_cases(tmp):
    """charts.sh with no gnuplot on PATH: a message; exit 0, or 1 when strict."""
    d = os.path.join(tmp, "nognuplot")
    write_fixture(d, rate=False, busy=False)
    env = {"PATH": os.path.join(tmp, "empty-path")}
    r = run_charts(d, env)
    check("no gnuplot: exit 0 (the bench goes on)", r.returncode == 0, "rc %d" % r.returncode)
    check("no gnuplot: says so and how to install it",
          "gnuplot is missing" in r.stderr and "gnuplot-nox" in r.stderr, r.stderr)
    check("no gnuplot: no SVG written", not os.path.exists(os.path.join(d, "reqs.svg")))
    env["CHARTS_STRICT"] = "1"
    r = run_charts(d, env)
    check("no gnuplot, CHARTS_STRICT=1: exit 1", r.returncode == 1, "rc %d" % r.returncode)


def busy_cases(tmp):
    """busy_conns.py against the real binary, 32 connections for 2 s."""
    if not os.access(TINYHOOK, os.X_OK):
        check("busy_conns: binary %s exists (make)" % TINYHOOK, False)
        return
    certs = mkcerts(os.path.join(tmp, "certs"))
    srv = Server(certs)
    tsv = os.path.join(tmp, "busy.tsv")
    try:
        r = subprocess.run(
            ["/usr/bin/python3", BUSY, "--url", "https://127.0.0.1:%d/validate" % srv.port,
             "--payload", os.path.join(BENCH_PAYLOADS, "pod-large-create.json"),
             "--pid", str(srv.proc.pid), "--conns", "32", "--secs", "2", "--tsv", tsv,
             "--server", "tinyhook", "--run", "1"],
            capture_output=True, text=True, timeout=60)
    finally:
        srv.stop()
    line = [x for x in r.stdout.splitlines() if x.startswith("RESULT ")]
    f = dict(kv.split("=", 1) for kv in line[-1].split()[1:]) if line else {}
    check("busy_conns: exit 0 and a RESULT line", r.returncode == 0 and bool(f),
          r.stdout + r.stderr)
    if not f:
        return
    check("busy_conns: all 32 connections answered (active=%s)" % f["active"], f["active"] == "32")
    check("busy_conns: no errors (%s)" % f["errors"], f["errors"] == "0", r.stderr)
    check("busy_conns: more answers than connections (%s)" % f["requests"],
          int(f["requests"]) > 32)
    # 32 connections each holding TLS state and a 21 KB request: the peak must show them
    check("busy_conns: peak > RSS before > 0 (%s, %s kB)" % (f["peak_rss_kb"], f["rss_before_kb"]),
          int(f["peak_rss_kb"]) > int(f["rss_before_kb"]) > 0)
    check("busy_conns: peak >= largest sample (%s >= %s)" % (f["peak_rss_kb"], f["sampled_max_kb"]),
          int(f["peak_rss_kb"]) >= int(f["sampled_max_kb"]))
    rows = open(tsv).read().splitlines() if os.path.exists(tsv) else []
    want = "tinyhook\t1\t32\tpod-large-create\t%s\t%s\t0" % (f["peak_rss_kb"], f["requests"])
    check("busy_conns: busy.tsv header and row", rows == [
        "server\trun\tconns\tpayload\tpeak_rss_kb\trequests\terrors", want], "got %s" % rows)


def have_gnuplot():
    if shutil.which("gnuplot"):
        return True
    subprocess.run(["sh", os.path.join(ROOT, "scripts", "deps.sh"), "gnuplot-nox"],
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=900)
    return shutil.which("gnuplot") is not None


def main():
    tmp = tempfile.mkdtemp(prefix="bench_charts.")
    try:
        os.makedirs(os.path.join(tmp, "empty-path"))
        no_gnuplot_cases(tmp)
        if have_gnuplot():
            charts_cases(tmp)
        else:
            skip("charts drawn from a fixture results dir",
                 "no gnuplot and scripts/deps.sh could not install gnuplot-nox (not root?)")
        busy_cases(tmp)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    summary("bench_charts")


if __name__ == "__main__":
    main()
