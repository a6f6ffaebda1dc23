"""readme.py: every command in README.md is run, or mirrored exactly.

The ```sh blocks are run in order, with bash -e, in a scratch copy of the
repository (a sibling `shared` link makes ../shared resolve as in a
checkout; without ../shared, a block naming ../shared is skipped, saying so). `make run` is started in the background and the "Try it" curl
line is run against it; `make test` is this runner, so it is not run again.
The ```console blocks need a cluster: their files must exist after the sh
blocks ran. Indented `make` lines (the 11-minute benchmark) are dry-run
with make -n; test/it/bench_smoke.sh runs a short benchmark for real. The flags block must equal `tinyhook --help`, and every file
the policy table names must exist.
"""
import glob
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
from th import ROOT, SHARED, TINYHOOK, check, skip, summary  # noqa: E402

README = open(os.path.join(ROOT, "README.md")).read()
BLOCKS = re.findall(r"```(\w+)\n(.*?)```", README, re.S)
RUN_PORT = 8443


def scratch_copy():
    """A copy of the tracked tree plus the cached third-party build inputs."""
    top = tempfile.mkdtemp(prefix="tinyhook-readme-")
    dst = os.path.join(top, "main")
    files = subprocess.run(["git", "ls-files", "-co", "--exclude-standard"], cwd=ROOT,
                           capture_output=True, text=True, check=True).stdout.split()
    for f in files:
        if os.path.exists(os.path.join(ROOT, f)):
            os.makedirs(os.path.dirname(os.path.join(dst, f)), exist_ok=True)
            shutil.copy2(os.path.join(ROOT, f), os.path.join(dst, f), follow_symlinks=False)
    for cached in ("build/bearssl-src", "build/bearssl-musl", "build/libyaml-src", "build/libyaml-musl",
                   "build/inc", "build/.deps"):
        src = os.path.join(ROOT, cached)
        if os.path.isdir(src):
            shutil.copytree(src, os.path.join(dst, cached), symlinks=True)
        elif os.path.exists(src):
            shutil.copy2(src, os.path.join(dst, cached))
    if os.path.isdir(SHARED):
        os.symlink(SHARED, os.path.join(top, "shared"))
    return top, dst


def wait_port(port, proc, secs=120):
    end = time.time() + secs
    while time.time() < end and proc.poll() is None:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return True
        except OSError:
            time.sleep(0.2)
    return False


def run_block(cwd, text, name):
    p = subprocess.run(["bash", "-e", "-c", text], cwd=cwd, capture_output=True, text=True,
                       timeout=600)
    check("README sh block runs: %s" % name, p.returncode == 0,
          "rc=%d\n%s\n%s" % (p.returncode, p.stdout[-1500:], p.stderr[-1500:]))
    return p


def first_block():
    kind, text = BLOCKS[0]
    lines = [l.split("#")[0].strip() for l in text.strip().splitlines()]
    check("README opens with `make run` then `make test`", kind == "sh" and
          lines[:2] == ["make run", "make test"], repr(lines))


def help_block():
    m = re.search(r"<!-- help -->\n```text\n(.*?)```", README, re.S)
    out = subprocess.run([TINYHOOK, "--help"], capture_output=True, text=True).stdout
    check("README flags block equals `tinyhook --help`", m is not None and m.group(1) == out)


def policy_table():
    names = re.findall(r"^\| `((?:policies/)?[\w.-]+\.h)`(?:, `(policies/[\w.-]+\.h)`)? \|", README, re.M)
    files = [f for pair in names for f in pair if f]
    missing = [f for f in files if not os.path.exists(os.path.join(ROOT, f))]
    check("every policy file README names exists (%d)" % len(files), files and not missing,
          repr(missing))


def sh_blocks(dst):
    """Runs every sh block after the first; the curl line needs `make run`."""
    busy = False
    try:
        socket.create_connection(("127.0.0.1", RUN_PORT), timeout=1).close()
        busy = True
    except OSError:
        pass
    if not check("port %d is free for `make run`" % RUN_PORT, not busy):
        return
    ran_curl = False
    run = subprocess.Popen(["make", "run"], cwd=dst, stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT, start_new_session=True)
    try:
        up = wait_port(RUN_PORT, run)
        check("`make run` serves on 127.0.0.1:%d" % RUN_PORT, up)
        for kind, text in BLOCKS[1:]:
            if kind != "sh":
                continue
            if "../shared" in text and not os.path.isdir(SHARED):
                skip("README sh block: %s" % text.strip().splitlines()[0][:60],
                     "it reads ../shared, absent here (README could use test/fixtures/)")
                continue
            p = run_block(dst, text, text.strip().splitlines()[0][:60])
            if "curl" in text:
                ran_curl = True
                check("README curl line: an AdmissionReview with the request's uid",
                      '"kind":"AdmissionReview"' in p.stdout and
                      "94cc016d-59fb-44af-b479-09c712ea3837" in p.stdout, p.stdout[:300])
            if "tinyhook review" in text:
                check("README review lines print the answers", "# validate" in p.stdout and
                      '"allowed":true' in p.stdout, p.stdout[:300])
    finally:
        os.killpg(run.pid, signal.SIGTERM)
        try:
            out, _ = run.communicate(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(run.pid, signal.SIGKILL)
            out, _ = run.communicate()
    text = out.decode("utf-8", "replace")
    check("`make run` printed a curl line to try it", "curl --cacert certs/dev/ca.crt" in text,
          text[-800:])
    if ran_curl:
        check("`make run` logged the request as a JSON line", '"path":"/validate"' in text, text[-800:])
    else:
        skip("`make run` logged the request as a JSON line", "the README curl block did not run")


def console_blocks(dst):
    """Cluster-side commands: the files they take must exist."""
    for kind, text in BLOCKS:
        if kind != "console":
            continue
        for line in text.strip().splitlines():
            cmd = line.lstrip("$ ").strip()
            for word in cmd.split():
                if word.endswith((".yaml", ".tar")):
                    pattern = re.sub(r"<[a-z-]+>", "*", word)
                    found = glob.glob(os.path.join(dst, pattern))
                    check("README `%s`: %s exists after the build commands" % (cmd, pattern),
                          len(found) == 1, repr(found))


def indented_make_lines(dst):
    """Long-running make lines in indented blocks (the benchmark): make -n
    proves the target and its variables resolve without running it."""
    lines = re.findall(r"^    (make [^\n]+)$", README, re.M)
    for line in lines:
        p = subprocess.run("make -n " + line[len("make "):], shell=True, cwd=dst,
                           capture_output=True, text=True, timeout=120)
        check("README `%s` resolves (make -n)" % line[:60], p.returncode == 0, p.stderr[-500:])
    check("README has the benchmark command", any("make bench" in l for l in lines))


def troubleshooting_mirrors(dst):
    """The inline commands of Troubleshooting, mirrored exactly."""
    binary = os.path.join(dst, "tinyhook")
    out = subprocess.run([binary, "manifests", "--failure-policy", "Ignore"],
                         capture_output=True, text=True).stdout
    check("`./tinyhook manifests --failure-policy Ignore` renders failurePolicy: Ignore",
          "failurePolicy: Ignore" in out and "failurePolicy: Fail" not in out, out[:300])
    out = subprocess.run([binary, "manifests"], capture_output=True, text=True).stdout
    for kind in ("ValidatingWebhookConfiguration", "MutatingWebhookConfiguration"):
        check("README's `kubectl delete %s tinyhook` names the rendered object" % kind.lower(),
              re.search(r"kind: %s\nmetadata:\n  name: tinyhook\n" % kind, out) is not None)
    check("manifests declare sideEffects: None (so --dry-run=server works)",
          "sideEffects: None" in out and "kube-system" in out)


def main():
    first_block()
    help_block()
    policy_table()
    top, dst = scratch_copy()
    try:
        sh_blocks(dst)
        console_blocks(dst)
        indented_make_lines(dst)
        troubleshooting_mirrors(dst)
    finally:
        shutil.rmtree(top, ignore_errors=True)
    summary("readme")


if __name__ == "__main__":
    main()
