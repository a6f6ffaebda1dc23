#!/usr/bin/python3
"""summary.py OUTDIR: the table of a bench/run.sh session.

Reads OUTDIR/results.tsv (one row per server, run and load cell),
OUTDIR/server.tsv (per-server figures: start-up, RSS, sizes, check.sh) and,
if present, OUTDIR/callgrind.tsv and OUTDIR/meta.txt. Prints:

  1. load cells: medians over the runs of req/s, p50, p99, p99.9, CPU time
     per request and RSS after the run; errors summed over the runs; each
     peer's row carries tinyhook/peer ratios (req/s: higher is better for
     tinyhook; p99 and CPU/request: lower is better);
  2. per-server figures with ratios;
  3. the targets of issue 7, each PASS, MISS or n/a (no data to judge).

A cell where tinyhook answered with errors or non-200s never PASSes: a fast
400 is not a fast review.
"""
import csv
import os
import statistics
import sys

TH = "tinyhook"


def num(s):
    try:
        v = float(s)
    except (TypeError, ValueError):
        return None
    return None if v != v else v  # NaN -> None


def med(vals):
    vals = [v for v in vals if v is not None]
    return statistics.median(vals) if vals else None


def fmt(v, nd=1):
    if v is None:
        return "NA"
    if nd == 0:
        return "%d" % round(v)
    return "%.*f" % (nd, v)


def ratio(a, b):
    if a is None or b is None or b == 0:
        return None
    return a / b


def fx(r):
    if r is None:
        return "NA"
    return "%.1fx" % r if r >= 10 else "%.2fx" % r if r >= 0.01 else "%.4fx" % r


def read_tsv(path):
    if not os.path.exists(path):
        return []
    with open(path, newline="") as f:
        return list(csv.DictReader(f, delimiter="\t"))


def load_cells(rows):
    """{(payload, mode, c): {server: {metric: median, ...}}} and cell order."""
    order, cells = [], {}
    for r in rows:
        key = (r["payload"], r["mode"], int(r["c"]))
        if key not in cells:
            order.append(key)
            cells[key] = {}
        cells[key].setdefault(r["server"], []).append(r)
    out = {}
    for key, by_server in cells.items():
        out[key] = {}
        for srv, runs in by_server.items():
            cpu_us = []
            for r in runs:
                n, t, hz = num(r["requests"]), num(r["cpu_ticks"]), num(r["hz"])
                cpu_us.append(t / hz * 1e6 / n if n and t is not None and hz else None)
            errs = [num(r["errors"]) for r in runs]
            reqs = sum(num(r["requests"]) or 0 for r in runs)
            closed = [num(r["srv_closed"]) for r in runs]
            out[key][srv] = {
                "runs": len(runs),
                "rps": med(num(r["req_s"]) for r in runs),
                "p50": med(num(r["p50_ms"]) for r in runs),
                "p99": med(num(r["p99_ms"]) for r in runs),
                "p999": med(num(r["p999_ms"]) for r in runs),
                # NaN errors = the load tool printed no summary: count as an error
                "errors": sum(1 if e is None else e for e in errs),
                "requests": reqs,
                "closed": (None if any(c is None for c in closed) or not reqs
                           else 100.0 * sum(closed) / reqs),
                "cpu_us": med(cpu_us),
                "rss": med((num(r["rss_after_kb"]) or 0) / 1024 or None for r in runs),
            }
    return order, out


def table(rows, header):
    w = [max(len(str(x)) for x in col) for col in zip(header, *rows)]
    lines = ["  ".join(str(x).rjust(w[i]) if i >= 4 else str(x).ljust(w[i])
                       for i, x in enumerate(r)).rstrip() for r in [header] + rows]
    return "\n".join(lines)


def main():
    if len(sys.argv) != 2:
        print("usage: summary.py OUTDIR", file=sys.stderr)
        return 2
    d = sys.argv[1]
    order, cells = load_cells(read_tsv(os.path.join(d, "results.tsv")))
    srv = {}
    for r in read_tsv(os.path.join(d, "server.tsv")):
        srv.setdefault(r["server"], {}).setdefault(r["metric"], []).append(r["value"])
    servers = [TH] + sorted({s for c in cells.values() for s in c} | set(srv), key=lambda s: (
        ["go", "flask", "gunicorn"].index(s) if s in ("go", "flask", "gunicorn") else 9, s))
    servers = list(dict.fromkeys(servers))
    peers = [s for s in servers if s != TH]
    runs = max((m["runs"] for c in cells.values() for m in c.values()), default=0)

    if os.path.exists(os.path.join(d, "meta.txt")):
        print("".join("# " + l for l in open(os.path.join(d, "meta.txt"))).rstrip())

    # 1. load cells
    hdr = ["payload", "mode", "c", "server", "req/s", "p50_ms", "p99_ms", "p99.9_ms", "errors",
           "closed", "cpu_us/req", "rss_MiB", "| th/peer: req/s", "p99", "cpu/req"]
    rows = []
    for key in order:
        payload, mode, c = key
        th = cells[key].get(TH)
        first = True
        for s in servers:
            m = cells[key].get(s)
            if m is None:
                continue
            r = [payload if first else "", mode if first else "", str(c) if first else "", s,
                 fmt(m["rps"], 0), fmt(m["p50"], 3), fmt(m["p99"], 3), fmt(m["p999"], 3),
                 fmt(m["errors"], 0), "NA" if m["closed"] is None else "%d%%" % round(m["closed"]),
                 fmt(m["cpu_us"], 0), fmt(m["rss"], 1)]
            if s != TH and th is not None:
                r += [fx(ratio(th["rps"], m["rps"])), fx(ratio(th["p99"], m["p99"])),
                      fx(ratio(th["cpu_us"], m["cpu_us"]))]
            else:
                r += ["", "", ""]
            rows.append(r)
            first = False
    print("\n## load: medians of %d run(s) per cell; errors summed over the runs" % runs)
    if rows:
        print(table(rows, hdr))
    print("# keepalive: wrk (latency from request sent; p99.9 from wrk's 1 us histogram);"
          " newconn: hey, a new TCP+TLS\n#   connection per request, latency includes the"
          " handshake, 0.1 ms resolution, no p99.9. closed = answers\n#   after which the"
          " server closed the connection. cpu_us/req = server utime+stime / requests.")

    # 2. per-server figures
    def first(s, k):
        v = srv.get(s, {}).get(k)
        return v[0] if v else None

    def medk(s, k):
        return med(num(v) for v in srv.get(s, {}).get(k, []))

    def kib_mib(v):
        return None if v is None else v / 1024

    metrics = [
        ("startup ms (median)", lambda s: medk(s, "startup_ms"), 1),
        ("startup ms (min)", lambda s: min((v for v in (num(x) for x in srv.get(s, {}).get(
            "startup_ms", [])) if v is not None), default=None), 1),
        ("probe ms (GET /healthz, running)", lambda s: medk(s, "healthz_ms"), 1),
        ("idle RSS MiB", lambda s: kib_mib(medk(s, "idle_rss_kb")), 2),
        ("RSS with idle conns MiB", lambda s: kib_mib(medk(s, "idle_conns_rss_kb")), 2),
        ("peak RSS MiB (VmHWM)", lambda s: kib_mib(medk(s, "peak_rss_kb")), 2),
        ("binary KiB", lambda s: kib_mib(medk(s, "binary_bytes")), 0),
        ("image KiB (OCI tar)", lambda s: kib_mib(medk(s, "image_bytes")), 0),
    ]
    hdr2 = ["figure", "", "", ""] + servers + ["th/" + p for p in peers]
    rows2 = []
    for name, get, nd in metrics:
        vals = {s: get(s) for s in servers}
        if all(v is None for v in vals.values()):
            continue
        rows2.append([name, "", "", ""] + [fmt(vals[s], nd) for s in servers] +
                     [fx(ratio(vals[TH], vals[p])) for p in peers])
    rows2.append(["idle conns held", "", "", ""] +
                 [first(s, "idle_conns_held") or "NA" for s in servers] + ["" for _ in peers])
    rows2.append(["check.sh passed", "", "", ""] +
                 [first(s, "check") or "NA" for s in servers] + ["" for _ in peers])
    print("\n## servers")
    print(table(rows2, hdr2))
    print("# startup = spawn -> first 200 on GET /healthz over TLS (launch.py); probe = the same"
          " request\n#   (new connection, Python TLS client) against the running server: launch.py's floor."
          " RSS = VmRSS; with idle conns = after\n#   one request on each connection,"
          " connections held open (a server that closes them holds none).\n#   image ="
          " scripts/mkimage.sh of the binary under test (go: no image built).")

    # 3. callgrind
    cg = {r[0]: (num(r[1]), num(r[2])) for r in
          (l.rstrip("\n").split("\t") for l in open(os.path.join(d, "callgrind.tsv"))
           if l.strip())} if os.path.exists(os.path.join(d, "callgrind.tsv")) else {}
    per = {k: (v[0] / v[1] if v[0] is not None and v[1] else None) for k, v in cg.items()}
    if per:
        print("\n## instructions per request, pod-large-create (callgrind, bench_loop only)")
        for k in ("jsmn", "review_mutate", "review_validate"):
            if k in per:
                print("  %-16s %10s  %s" % (k, fmt(per[k], 0),
                                            "" if k == "jsmn" else fx(ratio(per[k], per.get("jsmn")))
                                            + " jsmn"))

    # 4. targets
    def cell(payload, mode, c, s):
        return cells.get((payload, mode, c), {}).get(s)

    res = []

    def target(name, ok, measured):
        res.append(("n/a" if ok is None else "PASS" if ok else "MISS", name, measured))

    def rps_target(name, payload, mode, k):
        th, go = cell(payload, mode, 32, TH), cell(payload, mode, 32, "go")
        if th is None or go is None or th["rps"] is None or go["rps"] is None:
            target(name, None, "no %s c=32 cell for tinyhook and go" % payload)
            return
        r = ratio(th["rps"], go["rps"])
        ok = r is not None and r >= k and th["errors"] == 0
        target(name, ok, "%s vs %s req/s = %s%s" % (fmt(th["rps"], 0), fmt(go["rps"], 0), fx(r),
               "" if th["errors"] == 0 else ", but tinyhook had %d errors/non-200s" % th["errors"]))

    rps_target("21 KB pod (pod-large-create) keep-alive c=32 req/s >= 5x go",
               "pod-large-create", "keepalive", 5)
    th, go = cell("pod-large-create", "keepalive", 32, TH), cell("pod-large-create", "keepalive", 32, "go")
    if th and go and th["p99"] is not None and go["p99"] is not None:
        r = ratio(th["p99"], go["p99"])
        target("21 KB pod keep-alive c=32 p99 <= 1/10 of go's", r is not None and r <= 0.1 and
               th["errors"] == 0, "%s vs %s ms = %s" % (fmt(th["p99"], 3), fmt(go["p99"], 3), fx(r)))
    else:
        target("21 KB pod keep-alive c=32 p99 <= 1/10 of go's", None, "no data")
    rps_target("2.7 KB pod (pod-small-create) keep-alive c=32 req/s >= 3x go",
               "pod-small-create", "keepalive", 3)
    rps_target("new TLS connection per request (pod-small-create) c=32 req/s >= go",
               "pod-small-create", "newconn", 1)
    rps_target("ConversionReview of 100 objects (conversion-100) c=32 req/s >= 10x go",
               "conversion-100", "keepalive", 10)
    v = medk(TH, "idle_rss_kb")
    target("idle RSS <= 1 MiB", None if v is None else v <= 1024, "%s MiB" % fmt(kib_mib(v), 2))
    v, held = medk(TH, "idle_conns_rss_kb"), first(TH, "idle_conns_held")
    n = held.split("/")[1] if held and "/" in held else None
    if v is None or n != "256":
        target("RSS with 256 idle keep-alive connections <= 16 MiB", None,
               "not measured with 256 connections (held %s)" % held)
    else:
        target("RSS with 256 idle keep-alive connections <= 16 MiB",
               v <= 16 * 1024 and held == "256/256", "%s MiB, %s held" % (fmt(kib_mib(v), 2), held))
    v = medk(TH, "startup_ms")
    target("startup (spawn -> first 200) <= 5 ms", None if v is None else v <= 5,
           "%s ms median of %d (launch.py; its own HTTPS GET on the running server takes %s ms)"
           % (fmt(v, 1), len(srv.get(TH, {}).get("startup_ms", [])), fmt(medk(TH, "healthz_ms"), 1)))
    r = ratio(per.get("review_mutate"), per.get("jsmn"))
    target("instructions per 21 KB review <= 3x jsmn alone (callgrind)", None if r is None else r <= 3,
           "%s vs %s = %s" % (fmt(per.get("review_mutate"), 0), fmt(per.get("jsmn"), 0), fx(r)))
    print("\n## targets (issue 7)")
    for st, name, m in res:
        print("  %-4s  %-70s %s" % (st, name, m))
    return 0


if __name__ == "__main__":
    sys.exit(main())
