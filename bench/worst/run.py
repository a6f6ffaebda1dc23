#!/usr/bin/python3
"""bench/worst/run.py: `make bench-worst`. Every generator of gen.py at each
size under callgrind (instructions inside worst_run() of bench/worst/worst.c,
which machine load does not move), next to the realistic 21 KB pod.

Targets (issue 13), per generator:
  growth   each step costs at most 1.25x its input ratio in instructions
           (4x the input -> at most 5x; 64 KiB -> 512 KiB: at most 10x;
           512 KiB -> 3 MiB: at most 7.5x), from the real byte counts;
  per KiB  no size costs more than 10x the instructions per KiB of the
           realistic request (the captured /validate head + pod-large-create).
Each generator is also run at a size 8x below the smallest (the "8K->64K"
step): cheap, and it gives the growth before any costly run. A size whose
run would pass WORST_BUDGET instructions (extrapolated from the sizes before
it, at the growth they showed) is not run: its cell says "skipped" and the
verdicts rest on the sizes measured (results.tsv keeps the estimate).

env: WORST_SIZES (bytes, default "65536 524288 3145728"), WORST_ONLY (names),
     WORST_BUDGET (instructions, default 3e10: about 2-3 minutes of callgrind),
     WORST_OUT (directory for inputs, callgrind files, results.tsv),
     WORST_DRIVERS (default build/worst); the realistic pod is test/fixtures'.
"""
import math
import os
import re
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, HERE)
import gen  # noqa: E402

KIB = 1024
GROWTH_SLACK = 1.25     # 4x input -> 5x instructions
PER_KIB_FACTOR = 10     # worst case vs the realistic pod, per KiB
CG_TIMEOUT = 1800       # seconds for one callgrind run, whatever the budget


def drivers():
    return os.environ.get("WORST_DRIVERS", os.path.join(REPO, "build", "worst"))


def callgrind(policy, mode, path, arg, outdir, tag):
    """Instructions inside worst_run() and the driver's status line."""
    drv = os.path.join(drivers(), policy, "worst")
    out = os.path.join(outdir, tag + ".cg")
    cmd = ["valgrind", "--tool=callgrind", "--callgrind-out-file=" + out,
           "--toggle-collect=worst_run", drv, mode, path]
    if arg not in ("", "-"):
        cmd.append(arg)
    p = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                       timeout=CG_TIMEOUT, text=True)
    st = re.findall(r"^status=(-?\d+) allowed=(-?\d+)", p.stderr, re.M)
    with open(out) as f:
        m = re.search(r"^summary:\s*(\d+)", f.read(), re.M)
    if p.returncode != 0 or not st or not m:
        raise RuntimeError("callgrind %s failed: %s" % (" ".join(cmd), p.stderr[-500:]))
    os.unlink(out)
    return int(m.group(1)), "%s/%s" % st[-1]


def status_ok(expect, got):
    """expect: "200", "400,413" or "200/1" (status/allowed)."""
    status, allowed = got.split("/")
    for e in expect.split(","):
        want = e.split("/")
        if want[0] == status and (len(want) == 1 or want[1] == allowed):
            return True
    return False


def realistic(outdir):
    """The captured apiserver /validate and /mutate heads with the 21 KB pod."""
    fix = os.path.join(REPO, "test", "fixtures")    # copies of the shared captures
    body_p = os.path.join(fix, "bench-payloads", "pod-large-create.json")
    rows = []
    for route in ("validate", "mutate"):
        head_p = os.path.join(fix, "apiserver-v1.36", route + ".head.txt")
        if not (os.path.exists(body_p) and os.path.exists(head_p)):
            return rows
        body = open(body_p, "rb").read()
        head = open(head_p, "rb").read()
        head = head[:head.index(b"\r\n\r\n") + 4]
        head = re.sub(rb"Content-Length: \d+", b"Content-Length: %d" % len(body), head)
        path = os.path.join(outdir, "realistic-%s.req" % route)
        with open(path, "wb") as f:
            f.write(head + body)
        n, st = callgrind("crontab", "request", path, "", outdir, "realistic-" + route)
        rows.append((route, len(head + body), n, st))
    return rows


def run_one(g, size, outdir):
    """(size, bytes, instructions, None, status) of generator g at size."""
    name, mode, arg, policy, expect = g[:5]
    data = g[6](size)
    path = os.path.join(outdir, "%s-%d.in" % (name, size))
    with open(path, "wb") as f:
        f.write(data)
    try:
        n, st = callgrind(policy, mode, path, arg, outdir, "%s-%d" % (name, size))
    except subprocess.TimeoutExpired:
        return (size, len(data), None, None, "timeout")
    finally:
        os.unlink(path)
    return (size, len(data), n, None, st if status_ok(expect, st) else "BAD " + st)


def measure(g, sizes, outdir, budget):
    """[(size, bytes, instructions or None, estimate, status)] for generator g:
    first an extra size 8x below the smallest (cheap; it gives the growth
    before any costly run), then each size unless its extrapolated cost
    passes the budget."""
    rows = []
    if sizes[0] >= 8 * KIB:
        r = run_one(g, sizes[0] // 8, outdir)
        rows.append(r[:4] + ("extra " + r[4],))
    for size in sizes:
        done = [r for r in rows if r[2] is not None]
        if done:
            data_len = len(g[6](size))
            b0, i0 = done[-1][1], done[-1][2]
            e = 1.0
            if len(done) >= 2:
                b_1, i_1 = done[-2][1], done[-2][2]
                e = max(1.0, math.log(i0 / i_1) / math.log(b0 / b_1)) if b0 > b_1 else 1.0
            est = i0 * (data_len / b0) ** e
            if est > budget:
                rows.append((size, data_len, None, est, "skipped"))
                continue
        rows.append(run_one(g, size, outdir))
    return rows


def judge(rows, ref_kib):
    """(growth verdict, worst ratio text, per-KiB verdict, worst per KiB)."""
    growth, steps = "PASS", []
    done = [r for r in rows if r[2] is not None]
    for a, b in zip(done, done[1:]):
        ratio = b[2] / a[2]
        limit = GROWTH_SLACK * b[1] / a[1]
        steps.append("%s%.1fx/%.1f" % ("%s->%s: " % (fmt_b(a[0]), fmt_b(b[0]))
                                       if a[4].startswith("extra") else "", ratio, limit))
        if ratio > limit:
            growth = "MISS"
    if len(done) < len(rows) and len(done) >= 2 and growth == "MISS":
        steps.append("(rest skipped)")
    if any(r[4] == "timeout" for r in rows):
        growth = "MISS"
        steps.append("(a run passed %d s)" % CG_TIMEOUT)
    if len(done) < 2:
        growth = "n/a"
        steps.append("(one size measured)")
    kib = max(r[2] / (r[1] / 1024) for r in done) if done else 0
    per = "n/a" if ref_kib is None else (
        "PASS" if kib <= PER_KIB_FACTOR * ref_kib else "MISS")
    if any("BAD" in r[4] for r in rows):
        growth = per = "BAD"
    return growth, " ".join(steps), per, kib


def fmt_b(n):
    return "%dK" % (n // 1024) if n < 1 << 20 else "%gM" % (n / (1 << 20))


def fmt_i(n):
    for unit, div in (("G", 1e9), ("M", 1e6), ("K", 1e3)):
        if n >= div:
            return "%.3g%s" % (n / div, unit)
    return "%d" % n


def main():
    sizes = [int(s) for s in os.environ.get("WORST_SIZES", "65536 524288 3145728").split()]
    only = os.environ.get("WORST_ONLY", "").split()
    budget = float(os.environ.get("WORST_BUDGET", "3e10"))
    outdir = os.environ.get("WORST_OUT", "/tmp/worst")
    os.makedirs(outdir, exist_ok=True)
    outdir = tempfile.mkdtemp(prefix="run.", dir=outdir)
    gens = [g for g in gen.GENS if not only or g[0] in only]
    if only and len(gens) != len(only):
        sys.exit("run.py: unknown generator in WORST_ONLY=%s" % " ".join(only))
    tsv = open(os.path.join(outdir, "results.tsv"), "w")
    tsv.write("generator\tsize\tbytes\tinstructions\tinstructions_per_kib\tstatus\n")

    print("worst-case inputs: callgrind instructions inside worst_run() "
          "(bench/worst/worst.c), musl -O2 build")
    real = realistic(outdir)
    ref_kib = None
    for route, nbytes, n, st in real:
        kib = n / (nbytes / 1024)
        ref_kib = kib if ref_kib is None else min(ref_kib, kib)
        print("realistic: /%s head + pod-large-create.json, %d bytes: %s instructions, "
              "%s per KiB (status %s)" % (route, nbytes, fmt_i(n), fmt_i(kib), st))
        tsv.write("realistic-%s\t-\t%d\t%d\t%.0f\t%s\n" % (route, nbytes, n, kib, st))
    if ref_kib is None:
        print("realistic: no test/fixtures/bench-payloads/pod-large-create.json: per-KiB target n/a")
    else:
        print("targets: growth <= %.2fx the input ratio per step; per KiB <= %dx "
              "the cheaper realistic route = %s" % (GROWTH_SLACK, PER_KIB_FACTOR,
                                                     fmt_i(PER_KIB_FACTOR * ref_kib)))
    print()
    hdr = "%-24s %-8s" % ("generator", "policy") + "".join(
        " %11s" % ("%d KiB I/KiB" % (s // 1024) if s < 1 << 20 else
                   "%g MiB I/KiB" % (s / (1 << 20))) for s in sizes)
    print(hdr + "  %-6s %-6s %s" % ("growth", "perKiB", "steps (ratio/limit)"))
    tally = {"PASS": 0, "MISS": 0, "BAD": 0}
    for g in gens:
        rows = measure(g, sizes, outdir, budget)
        growth, steps, per, kib = judge(rows, ref_kib)
        cells = ""
        for size, nbytes, n, est, st in rows:
            kibv = (n if n is not None else est) / (nbytes / 1024)
            if not st.startswith("extra"):
                cells += " %11s" % ("skipped" if n is None else fmt_i(kibv))
            tsv.write("%s\t%d\t%d\t%s\t%.0f\t%s\n" % (g[0], size, nbytes,
                      n if n is not None else "", kibv, st if n is not None else
                      "skipped (estimate %.3g)" % est))
            if "BAD" in st:
                steps += " %d: status %s, expected %s" % (size, st.split("BAD ")[1], g[4])
        tsv.flush()
        print("%-24s %-8s%s  %-6s %-6s %s" % (g[0], g[3], cells, growth, per, steps),
              flush=True)
        for v in (growth, per):
            if v in tally:
                tally[v] += 1
    print("\nskipped: not run, its estimate (from the sizes before) over WORST_BUDGET=%.3g "
          "instructions; 8K->64K: the step from the extra, smaller size" % budget)
    print("verdicts: %d PASS, %d MISS, %d BAD; results in %s" % (tally["PASS"], tally["MISS"], tally["BAD"],
                                                          os.path.join(outdir, "results.tsv")))


if __name__ == "__main__":
    main()
