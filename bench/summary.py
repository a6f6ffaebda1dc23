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
  3. if OUTDIR/rate.tsv exists: the fixed-rate cells (bench/rate), medians
     of p50/p90/p99/p99.9 per server and offered rate, with tinyhook/peer;
  4. if OUTDIR/busy.tsv exists: peak RSS with N busy keep-alive connections;
  5. the targets of issue 16 and those of issue 7 that still stand, each
     PASS, MISS or n/a (no data to judge).

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

    # 4. fixed rate
    rate_order, rates = load_rates(read_tsv(os.path.join(d, "rate.tsv")))
    if rate_order:
        print_rates(rate_order, rates, servers, peers)

    # 5. RSS under load (busy.tsv, written by bench/busy_conns.py when run)
    busy = load_busy(read_tsv(os.path.join(d, "busy.tsv")))
    if busy:
        print_busy(busy, servers, peers)

    # 6. targets
    def cell(payload, mode, c, s):
        return cells.get((payload, mode, c), {}).get(s)

    res = []

    def target(group, name, ok, measured):
        res.append((group, "n/a" if ok is None else "PASS" if ok else "MISS", name, measured))

    # issue 16: latency at a fixed rate
    th, go = (rates.get(("pod-large-create", 2000), {}).get(s) for s in (TH, "go"))
    name = "21 KB pod at 2,000 req/s (fixed rate): tinyhook p99 <= 1 ms"
    if th is None or th["p99"] is None:
        target(16, name, None, "no fixed-rate pod-large-create 2000 cell")
    else:
        target(16, name, th["p99"] <= 1000 and th["clean"],
               "p99 %s us%s" % (fmt(th["p99"], 0), bad_note(th)))
    name = "21 KB pod at 2,000 req/s (fixed rate): p99 <= 1/5 of go's"
    if th is None or go is None or th["p99"] is None or go["p99"] is None:
        target(16, name, None, "no fixed-rate pod-large-create 2000 cell for tinyhook and go")
    else:
        r = ratio(th["p99"], go["p99"])
        target(16, name, r is not None and r <= 0.2 and th["clean"],
               "%s vs %s us = %s%s" % (fmt(th["p99"], 0), fmt(go["p99"], 0), fx(r), bad_note(th)))

    # issue 16: CPU per request (with throughput) at keep-alive c=32
    def cpu_target(name, payload, mode, cpu_max, rps_min):
        th, go = cell(payload, mode, 32, TH), cell(payload, mode, 32, "go")
        if th is None or go is None or th["cpu_us"] is None or go["cpu_us"] is None:
            target(16, name, None, "no %s %s c=32 cell for tinyhook and go" % (payload, mode))
            return
        rc, rr = ratio(th["cpu_us"], go["cpu_us"]), ratio(th["rps"], go["rps"])
        ok = (rc is not None and rc <= cpu_max and th["errors"] == 0 and
              (rps_min is None or (rr is not None and rr >= rps_min)))
        m = "cpu %s vs %s us/req = %s" % (fmt(th["cpu_us"], 0), fmt(go["cpu_us"], 0), fx(rc))
        if rps_min is not None:
            m += "; req/s %s vs %s = %s" % (fmt(th["rps"], 0), fmt(go["rps"], 0), fx(rr))
        if th["errors"]:
            m += ", but tinyhook had %d errors/non-200s" % th["errors"]
        target(16, name, ok, m)

    cpu_target("21 KB pod keep-alive c=32: CPU/req <= 1/10 of go's, req/s >= 5x",
               "pod-large-create", "keepalive", 0.1, 5)
    cpu_target("2.7 KB pod keep-alive c=32: CPU/req <= 1/6 of go's, req/s >= 3x",
               "pod-small-create", "keepalive", 1 / 6, 3)
    cpu_target("ConversionReview of 100 keep-alive c=32: CPU/req <= 1/15, req/s >= 10x",
               "conversion-100", "keepalive", 1 / 15, 10)
    cpu_target("new TLS connection per request c=32: CPU/req <= 1.5x go's",
               "pod-small-create", "newconn", 1.5, None)

    # issue 16: RSS under load
    name = "peak RSS with 256 busy keep-alive conns (21 KB pod) <= 16 MiB"
    b = busy.get((TH, 256, "pod-large-create"))
    if b is None or b["rss"] is None:
        target(16, name, None, "no busy.tsv row for tinyhook, 256 conns, pod-large-create")
    else:
        g = busy.get(("go", 256, "pod-large-create"))
        target(16, name, b["rss"] <= 16384 and b["errors"] == 0,
               "%s MiB%s%s" % (fmt(b["rss"] / 1024, 2),
                               "" if g is None or g["rss"] is None else
                               " (go %s MiB)" % fmt(g["rss"] / 1024, 2),
                               "" if b["errors"] == 0 else ", but %d errors" % b["errors"]))

    # issue 7, the targets that still stand (its saturation p99 and new-connection
    # req/s targets are replaced by the fixed-rate p99 and the handshake CPU above)
    v = medk(TH, "idle_rss_kb")
    target(7, "idle RSS <= 1 MiB", None if v is None else v <= 1024, "%s MiB" % fmt(kib_mib(v), 2))
    v, held = medk(TH, "idle_conns_rss_kb"), first(TH, "idle_conns_held")
    n = held.split("/")[1] if held and "/" in held else None
    if v is None or n != "256":
        target(7, "RSS with 256 idle keep-alive connections <= 16 MiB", None,
               "not measured with 256 connections (held %s)" % held)
    else:
        target(7, "RSS with 256 idle keep-alive connections <= 16 MiB",
               v <= 16 * 1024 and held == "256/256", "%s MiB, %s held" % (fmt(kib_mib(v), 2), held))
    v = medk(TH, "startup_ms")
    target(7, "startup (spawn -> first 200) <= 5 ms", None if v is None else v <= 5,
           "%s ms median of %d (launch.py; its own HTTPS GET on the running server takes %s ms)"
           % (fmt(v, 1), len(srv.get(TH, {}).get("startup_ms", [])), fmt(medk(TH, "healthz_ms"), 1)))
    r = ratio(per.get("review_mutate"), per.get("jsmn"))
    target(7, "instructions per 21 KB review <= 3x jsmn alone (callgrind)",
           None if r is None else r <= 3,
           "%s vs %s = %s" % (fmt(per.get("review_mutate"), 0), fmt(per.get("jsmn"), 0), fx(r)))
    for grp in (16, 7):
        print("\n## targets (issue %d%s)" % (grp, ", still standing" if grp == 7 else ""))
        for g_, st, name, m in res:
            if g_ == grp:
                print("  %-4s  %-72s %s" % (st, name, m))
    return 0


def bad_note(m):
    if m["clean"]:
        return ""
    return ", but %s errors and %s non-200s" % (fmt(m["errors"], 0), fmt(m["non200"], 0))


def load_rates(rows):
    """{(payload, rate): {server: medians}} from rate.tsv, and the cell order."""
    order, by = [], {}
    for r in rows:
        key = (r["payload"], int(float(r["rate"])))
        if key not in by:
            order.append(key)
            by[key] = {}
        by[key].setdefault(r["server"], []).append(r)
    out = {}
    for key, per_server in by.items():
        out[key] = {}
        for srv, runs in per_server.items():
            # errors NaN = the generator printed no RATE line: count it as one error
            errs = sum(1 if num(r["errors"]) is None else num(r["errors"]) for r in runs)
            non200 = sum(num(r.get("non200")) or 0 for r in runs)
            cpu = []
            for r in runs:
                n = num(r.get("all_done")) or num(r["done"])
                t, hz = num(r.get("cpu_ticks")), num(r.get("hz"))
                cpu.append(t / hz * 1e6 / n if n and t is not None and hz else None)
            out[key][srv] = {
                "runs": len(runs),
                "sent": sum(num(r["sent"]) or 0 for r in runs),
                "rps": med(num(r["achieved_rps"]) for r in runs),
                "p50": med(num(r["p50_us"]) for r in runs),
                "p90": med(num(r["p90_us"]) for r in runs),
                "p99": med(num(r["p99_us"]) for r in runs),
                "p999": med(num(r["p999_us"]) for r in runs),
                "max": max((v for v in (num(r["max_us"]) for r in runs) if v is not None),
                           default=None),
                "late": sum(num(r.get("late")) or 0 for r in runs),
                "errors": errs,
                "non200": non200,
                "clean": errs == 0 and non200 == 0,
                "cpu_us": med(cpu),
                "conns": runs[0]["conns"],
                "gen_cpu": max((v for v in (num(r.get("gen_cpu_pct")) for r in runs)
                                if v is not None), default=None),
            }
    return order, out


def print_rates(order, rates, servers, peers):
    runs = max(m["runs"] for c in rates.values() for m in c.values())
    hdr = ["payload", "req/s asked", "conns", "server", "achieved", "p50_ms", "p90_ms", "p99_ms",
           "p99.9_ms", "max_ms", "late%", "errors", "non200", "cpu_us/req", "gen_cpu%",
           "| th/peer: p50", "p99", "p99.9"]
    rows = []
    for key in order:
        payload, rate = key
        th = rates[key].get(TH)
        first = True
        for s in servers:
            m = rates[key].get(s)
            if m is None:
                continue
            ms = (lambda v: None if v is None else v / 1000)
            r = [payload if first else "", str(rate) if first else "", m["conns"] if first else "",
                 s, fmt(m["rps"], 0), fmt(ms(m["p50"]), 3), fmt(ms(m["p90"]), 3),
                 fmt(ms(m["p99"]), 3), fmt(ms(m["p999"]), 3), fmt(ms(m["max"]), 1),
                 fmt(100.0 * m["late"] / m["sent"], 1) if m["sent"] else "NA",
                 fmt(m["errors"], 0), fmt(m["non200"], 0), fmt(m["cpu_us"], 0),
                 fmt(m["gen_cpu"], 0)]
            if s != TH and th is not None:
                r += [fx(ratio(th["p50"], m["p50"])), fx(ratio(th["p99"], m["p99"])),
                      fx(ratio(th["p999"], m["p999"]))]
            else:
                r += ["", "", ""]
            rows.append(r)
            first = False
    print("\n## fixed rate: medians of %d run(s) per cell; errors, non200, late summed" % runs)
    print(table(rows, hdr))
    print("# bench/rate (open loop): request k due at t0 + k/rate, spread over the keep-alive"
          " conns; latency = response read\n#   - scheduled send time, so queueing behind a"
          " stall counts. achieved = completions/s. late = waited > 1 ms for\n#   a free"
          " connection. Server and generator pinned to different CPUs. max, gen_cpu% (the"
          "\n#   generator's own CPU, % of one core; near 100 = the generator's limit): the"
          " highest of the runs.")


def load_busy(rows):
    """{(server, conns, payload): {"rss": median peak KiB, "requests", "errors"}}."""
    by = {}
    for r in rows:
        try:
            key = (r["server"], int(float(r["conns"])), r["payload"])
        except (TypeError, ValueError, KeyError):
            continue
        by.setdefault(key, []).append(r)
    return {k: {"rss": med(num(r["peak_rss_kb"]) for r in v),
                "requests": sum(num(r["requests"]) or 0 for r in v),
                "errors": sum(1 if num(r["errors"]) is None else num(r["errors"]) for r in v),
                "runs": len(v)} for k, v in by.items()}


def print_busy(busy, servers, peers):
    keys = sorted({(c, p) for (_, c, p) in busy})
    hdr = ["conns", "payload", "", "server", "peak RSS MiB", "requests", "errors", "| th/peer"]
    rows = []
    for c, p in keys:
        th = busy.get((TH, c, p))
        first = True
        for s in servers:
            m = busy.get((s, c, p))
            if m is None:
                continue
            rows.append([str(c) if first else "", p if first else "", "", s,
                         fmt(None if m["rss"] is None else m["rss"] / 1024, 2),
                         fmt(m["requests"], 0), fmt(m["errors"], 0),
                         fx(ratio(th["rss"], m["rss"])) if s != TH and th else ""])
            first = False
    print("\n## RSS under load (busy.tsv): peak VmHWM with N keep-alive connections all sending")
    print(table(rows, hdr))


if __name__ == "__main__":
    sys.exit(main())
