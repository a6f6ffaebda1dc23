#!/usr/bin/python3
"""test/it/worst.py: every worst-case generator of bench/worst/gen.py costs
linear instructions (issue 13), counted by callgrind inside worst_run() of
bench/worst/worst.c (never wall time): from 8 KiB to 32 KiB of input, at most
5x the instructions (1.25x the real byte ratio). Each input must also end the
way its generator says (a 200 review, a head stream read to its end, ...), so
an input refused at its first byte cannot pass for linear.

KNOWN lists the generators known to grow faster, each with its cause: they
must still be non-linear here (a fixed one fails until its line is removed,
so the table never hides a regression behind a stale entry).
`make bench-worst` measures the same generators at 64 KiB, 512 KiB and 3 MiB.
Needs valgrind and the drivers (make worst-drivers; make test builds both).
"""
import os
import shutil
import subprocess
import sys
import tempfile

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(REPO, "bench", "worst"))
import gen  # noqa: E402
import run  # noqa: E402

SMALL = 8 * 1024        # the two sizes: 4x apart
LARGE = 32 * 1024

# Generator -> why it is not linear yet (file, function). Remove a line with its fix.
KNOWN = {
}

passed = failed = 0


def ok(msg):
    global passed
    passed += 1
    print("ok   " + msg)


def nok(msg):
    global failed
    failed += 1
    print("FAIL " + msg)


def main():
    drv = os.path.join(REPO, "build", "worst")
    if shutil.which("valgrind") is None:
        nok("valgrind missing (apt-get install valgrind; make test installs it)")
        return
    policies = sorted({g[3] for g in gen.GENS})
    if not all(os.access(os.path.join(drv, p, "worst"), os.X_OK) for p in policies):
        subprocess.run(["make", "-s", "-C", REPO, "worst-drivers"],
                       stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
    for p in policies:
        if not os.access(os.path.join(drv, p, "worst"), os.X_OK):
            nok("no driver %s/%s/worst (make worst-drivers)" % (drv, p))
            return
    for name in KNOWN:
        if not any(g[0] == name for g in gen.GENS):
            nok("KNOWN names %s, which gen.py does not have" % name)
    tmp = tempfile.mkdtemp(prefix="worst-test.")
    try:
        for g in gen.GENS:
            one(g, tmp)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def one(g, tmp):
    name, mode, arg, policy, expect = g[:5]
    counts = []
    for size in (SMALL, LARGE):
        data = g[6](size)
        path = os.path.join(tmp, "%s-%d.in" % (name, size))
        with open(path, "wb") as f:
            f.write(data)
        try:
            n, st = run.callgrind(policy, mode, path, arg, tmp, "%s-%d" % (name, size))
        except (RuntimeError, subprocess.TimeoutExpired) as e:
            nok("%s: %s" % (name, str(e)[:300]))
            return
        if not run.status_ok(expect, st):
            nok("%s at %d bytes: status %s, expected %s (refused before the code "
                "it aims at?)" % (name, len(data), st, expect))
            return
        counts.append((len(data), n))
    (b0, i0), (b1, i1) = counts
    ratio, limit = i1 / i0, run.GROWTH_SLACK * b1 / b0
    what = "%s: %.2fx the instructions for %.2fx the input (limit %.2fx; %d -> %d)" % (
        name, ratio, b1 / b0, limit, i0, i1)
    if b1 / b0 < 2:
        nok("%s: the generator did not grow (%d -> %d bytes)" % (name, b0, b1))
    elif name in KNOWN and ratio > limit:
        ok("%s, known: %s" % (what, KNOWN[name]))
    elif name in KNOWN:
        nok("%s: linear now, remove it from KNOWN in test/it/worst.py" % what)
    elif ratio <= limit:
        ok(what)
    else:
        nok("%s: NOT LINEAR" % what)


if __name__ == "__main__":
    main()
    print("worst: %d passed, %d failed" % (passed, failed))
    sys.exit(1 if failed else 0)
