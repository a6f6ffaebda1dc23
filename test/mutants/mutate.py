#!/usr/bin/python3
"""mutate.py: plants each bug of test/mutants/*.txt, one at a time, in a
scratch copy of the tree (never the working tree), runs the suites that
should catch it, and prints a table and a score. `make mutate` runs it;
`make test` does not (it takes about half an hour).

A mutant is a block of `key: value` lines (see test/mutants/README.md):

    name:   server-cl-equal-max-refused
    file:   src/server.c
    from:   c->req.content_length > cfg->max_body
    to:     c->req.content_length >= cfg->max_body
    catch:  it:connections.py
    why:    Content-Length equal to --max-body refused (issue 17)

`from` is exact text that must occur exactly once in `file` (an anchor that
is missing or ambiguous is reported as such, not run: re-target it after
the file changed). A second from/to pair is allowed where one bug needs
two lines. `catch` lists suites, cheapest first: unit:NAME (test/unit/
NAME.c), it:FILE (test/it/), ship:FILE (test/ship/). The first suite that
fails catches the mutant; the rest are not run.

Before any mutant, every suite named by some mutant runs on the unchanged
copy: a suite that fails there cannot catch anything (reported, its
mutants marked "baseline").

Usage: mutate.py [--only NAME,NAME] [--keep] [--list]
"""
import glob
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
SUITE_TIMEOUT = 900		# a hung suite counts as caught (it would fail make test)
BUILD_TIMEOUT = 900
CACHED = ("build/bearssl-src", "build/bearssl-musl", "build/inc", "build/.deps",
          "build/.testdeps")


def parse(paths):
    """The mutants of the given files, in order: a list of dicts."""
    out = []
    for path in paths:
        cur = None
        with open(path) as f:
            for lineno, line in enumerate(f, 1):
                line = line.rstrip("\n")
                if not line.strip() or line.lstrip().startswith("#"):
                    if cur:
                        out.append(cur)
                    cur = None
                    continue
                key, sep, val = line.partition(":")
                key, val = key.strip(), val.strip()
                if not sep or key not in ("name", "file", "from", "to", "catch", "why"):
                    sys.exit("%s:%d: expected 'key: value' (name, file, from, to, catch, why)"
                             % (path, lineno))
                if cur is None:
                    cur = {"edits": [], "where": "%s:%d" % (os.path.relpath(path, ROOT), lineno)}
                if key == "from":
                    cur["edits"].append([val, None])
                elif key == "to":
                    if not cur["edits"] or cur["edits"][-1][1] is not None:
                        sys.exit("%s:%d: 'to' without its 'from'" % (path, lineno))
                    cur["edits"][-1][1] = val
                elif key == "catch":
                    cur["catch"] = val.split()
                else:
                    cur[key] = val
        if cur:
            out.append(cur)
    for m in out:
        for k in ("name", "file", "catch"):
            if k not in m:
                sys.exit("%s: mutant without '%s'" % (m["where"], k))
        if not m["edits"] or any(t is None for _, t in m["edits"]):
            sys.exit("%s: mutant %s needs from/to" % (m["where"], m["name"]))
    names = [m["name"] for m in out]
    dup = {n for n in names if names.count(n) > 1}
    if dup:
        sys.exit("duplicate mutant names: %s" % ", ".join(sorted(dup)))
    return out


def scratch_copy():
    """The tracked tree, the cached third-party builds and the objects
    already built (mtimes kept, so a mutant rebuilds only what it touches)."""
    top = tempfile.mkdtemp(prefix="tinyhook-mutate-")
    dst = os.path.join(top, "tree")
    files = subprocess.run(["git", "ls-files", "-co", "--exclude-standard"], cwd=ROOT,
                           capture_output=True, text=True, check=True).stdout.split("\n")
    for f in files:
        if f and os.path.isfile(os.path.join(ROOT, f)):
            os.makedirs(os.path.dirname(os.path.join(dst, f)) or dst, exist_ok=True)
            shutil.copy2(os.path.join(ROOT, f), os.path.join(dst, f), follow_symlinks=False)
    for c in CACHED:
        src = os.path.join(ROOT, c)
        if os.path.isdir(src):
            shutil.copytree(src, os.path.join(dst, c), symlinks=True)
        elif os.path.exists(src):
            os.makedirs(os.path.dirname(os.path.join(dst, c)), exist_ok=True)
            shutil.copy2(src, os.path.join(dst, c))
    return top, dst


def run(cmd, cwd, env, timeout):
    """(exit code or "timeout", seconds, last lines of output). The command
    runs in a process group of its own; on a timeout the whole group (the
    suite and the servers it started) is killed."""
    t0 = time.time()
    p = subprocess.Popen(cmd, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                         start_new_session=True)
    try:
        out, _ = p.communicate(timeout=timeout)
        rc = p.returncode
    except subprocess.TimeoutExpired:
        os.killpg(p.pid, signal.SIGKILL)
        out, _ = p.communicate()
        rc = "timeout"
    lines = out.decode("utf-8", "replace").strip().splitlines()
    fails = [l for l in lines if l.lstrip().startswith("FAIL")][:1]
    return rc, time.time() - t0, fails + lines[-6:]


def suite_cmd(tree, suite):
    kind, _, name = suite.partition(":")
    if kind == "unit":
        return [["make", "-s", "build/test-policy/%s" % name], ["build/test-policy/%s" % name]]
    d = {"it": "test/it", "ship": "test/ship"}.get(kind)
    if d is None or not os.path.exists(os.path.join(tree, d, name)):
        sys.exit("unknown suite %r" % suite)
    interp = "/usr/bin/python3" if name.endswith(".py") else "sh"
    return [[interp, os.path.join(d, name)]]


def run_suite(tree, env, suite):
    """(passed?, seconds, tail of the output) for one suite on the tree."""
    total, tail = 0.0, []
    for cmd in suite_cmd(tree, suite):
        rc, secs, tail = run(cmd, tree, env, SUITE_TIMEOUT)
        total += secs
        if rc != 0:
            return False, total, ["exit %s" % rc] + tail
    return True, total, tail


def build(tree, env):
    rc, secs, tail = run(["make", "-s", "tinyhook"], tree, env, BUILD_TIMEOUT)
    return rc == 0, secs, tail


def apply(tree, m):
    """Plants m; returns (original text or None, problem or None)."""
    path = os.path.join(tree, m["file"])
    if not os.path.exists(path):
        return None, "file missing"
    with open(path) as f:
        orig = f.read()
    text = orig
    for old, new in m["edits"]:
        n = text.count(old)
        if n != 1:
            return None, "anchor %s (%d matches): %r" % ("missing" if n == 0 else "ambiguous", n, old)
        text = text.replace(old, new)
    with open(path, "w") as f:
        f.write(text)
    return orig, None


def restore(tree, m, orig):
    with open(os.path.join(tree, m["file"]), "w") as f:
        f.write(orig)


def main():
    args = sys.argv[1:]
    only = None
    if "--only" in args:
        only = set(args[args.index("--only") + 1].split(","))
    mutants = parse(sorted(glob.glob(os.path.join(ROOT, "test", "mutants", "*.txt"))))
    if "--list" in args:
        for m in mutants:
            print("%-36s %-16s %s" % (m["name"], m["file"], " ".join(m["catch"])))
        return 0
    if only:
        unknown = only - {m["name"] for m in mutants}
        if unknown:
            sys.exit("no such mutant: %s" % ", ".join(sorted(unknown)))
        mutants = [m for m in mutants if m["name"] in only]
    top, tree = scratch_copy()
    env = dict(os.environ, TINYHOOK=os.path.join(tree, "tinyhook"), TH_FAIL_FAST="1")
    env.setdefault("SHARED", os.path.join(os.path.dirname(ROOT), "shared"))
    for k in ("MAKEFLAGS", "MAKELEVEL", "MFLAGS"):
        env.pop(k, None)
    print("mutate: %d mutants, scratch tree %s" % (len(mutants), tree))
    sys.stdout.flush()
    rows = []
    try:
        ok, secs, tail = build(tree, env)
        if not ok:
            print("the unchanged tree does not build:\n  " + "\n  ".join(tail))
            return 1
        suites = []
        for m in mutants:
            suites += [s for s in m["catch"] if s not in suites]
        broken = set()
        for s in suites:
            ok, secs, tail = run_suite(tree, env, s)
            print("baseline %-28s %s (%.0f s)" % (s, "pass" if ok else "FAIL", secs))
            if not ok:
                broken.add(s)
                print("  " + "\n  ".join(tail))
            sys.stdout.flush()
        for m in mutants:
            t0 = time.time()
            orig, problem = apply(tree, m)
            if problem:
                rows.append((m, "anchor", problem, 0))
                print("%-36s anchor: %s" % (m["name"], problem))
                sys.stdout.flush()
                continue
            try:
                status, by = "survived", ""
                ok, _, tail = build(tree, env)
                if not ok:
                    status, by = "no build", " | ".join(tail[-2:])
                else:
                    live = [s for s in m["catch"] if s not in broken]
                    if not live:
                        status, by = "baseline", "every catch suite fails unmutated"
                    for s in live:
                        ok, _, tail = run_suite(tree, env, s)
                        if not ok:
                            first = [l for l in tail if l.lstrip().startswith("FAIL")][:1]
                            status, by = "caught", s + (": " + first[0].strip()[:90] if first else
                                                        " (" + tail[0] + ")")
                            break
            finally:
                restore(tree, m, orig)
            rows.append((m, status, by, time.time() - t0))
            print("%-36s %-8s %s (%.0f s)" % (m["name"], status, by, time.time() - t0))
            sys.stdout.flush()
    finally:
        if "--keep" not in args:
            shutil.rmtree(top, ignore_errors=True)
    print()
    print("| mutant | file | result | caught by | s |")
    print("| --- | --- | --- | --- | --- |")
    for m, status, by, secs in rows:
        print("| %s | %s | %s | %s | %.0f |" % (m["name"], m["file"], status,
                                              by.replace("|", "/"), secs))
    counts = {}
    for _, status, _, _ in rows:
        counts[status] = counts.get(status, 0) + 1
    caught, survived = counts.get("caught", 0), counts.get("survived", 0)
    print()
    for m, status, by, _ in rows:
        if status == "survived":
            print("survived: %s (%s): %s" % (m["name"], m["where"], m.get("why", "")))
        elif status in ("anchor", "no build", "baseline"):
            print("%s: %s (%s): %s" % (status, m["name"], m["where"], by))
    print("mutate: %d caught, %d survived, %d anchor missing or ambiguous, %d did not build, "
          "%d baseline failures" % (caught, survived, counts.get("anchor", 0),
                                    counts.get("no build", 0), counts.get("baseline", 0)))
    print("score: %d/%d caught" % (caught, caught + survived))
    return 0 if survived == 0 and caught == len(rows) else 1


if __name__ == "__main__":
    sys.exit(main())
