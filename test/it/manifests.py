"""manifests.py: `tinyhook manifests` refuses bad arguments with exit 2 and a
line naming the argument; the failure policy follows the policy (Fail when it
denies, Ignore when it only warns: CONTRACT rule 24-25 and issue 15); excluded
namespaces and tinyhook's own pods are never sent; matchConditions pass
through. The output is read by a real YAML parser.
"""
import os
import subprocess
import sys
import tempfile

import yaml

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
from th import ROOT, TINYHOOK, check, summary  # noqa: E402


def run(binary, *args):
    return subprocess.run([binary, "manifests"] + list(args), capture_output=True, text=True)


def main():
    tmp = tempfile.mkdtemp()
    key = os.path.join(tmp, "tls.key")
    with open(key, "w") as f:
        f.write("-----BEGIN PRIVATE KEY-----\nMIGH\n-----END PRIVATE KEY-----\n")
    junk = os.path.join(tmp, "junk.txt")
    with open(junk, "w") as f:
        f.write("not a certificate\n")
    ca = os.path.join(tmp, "ca.crt")
    with open(ca, "w") as f:
        f.write("-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n")
    bad = [  # args, the text the one error line must hold
        (["--ca-bundle", key], "--ca-bundle %s: holds a private key" % key),
        (["--ca-bundle", junk], "holds no PEM certificate"),
        (["--url", "http://10.0.0.1:9443"], "--url http://10.0.0.1:9443: expected https://"),
        (["--url", "127.0.0.1:9443"], "--url 127.0.0.1:9443"),
        (["--url", "https://"], "--url https://"),
        (["--url", "https://h/x?a=b"], "query"),
        (["--url", "https://user@h"], "--url https://user@h"),
        (["--namespace", "Bad_NS"], "--namespace Bad_NS: expected a DNS-1123 label"),
        (["--namespace", "-x"], "--namespace -x"),
        (["--namespace", "a" * 64], "DNS-1123 label"),
        (["--service", "svc.x"], "--service svc.x"),
        (["--name", "Bad"], "--name Bad: expected a DNS-1123 subdomain"),
        (["--failure-policy", "ignore"], "--failure-policy ignore: expected Fail or Ignore"),
        (["--timeout", "60"], "--timeout 60: expected whole seconds, 1 to 30"),
        (["--timeout", "0"], "--timeout 0"),
        (["--timeout", "5s"], "--timeout 5s"),
        (["--exclude-namespace"], "--exclude-namespace: needs a value"),
        (["--exclude-namespace", "Bad"], "--exclude-namespace Bad"),
        (["--match-condition", "noequals"], "--match-condition noequals: expected NAME=CEL"),
        (["--bogus", "x"], "--bogus: unknown flag"),
        (["stray"], "stray: unknown argument"),
    ]
    for args, want in bad:
        r = run(TINYHOOK, *args)
        lines = [l for l in r.stderr.splitlines() if l]
        check("manifests %s: exit 2, one line naming it" % " ".join(args),
              r.returncode == 2 and len(lines) == 1 and want in lines[0] and r.stdout == "",
              "rc=%d %r" % (r.returncode, r.stderr[:200]))
    r = run(TINYHOOK, *sum([["--match-condition", "c%d=true" % i] for i in range(65)], []))
    check("manifests: 65 match conditions refused (the API allows 64)",
          r.returncode == 2 and "64" in r.stderr, r.stderr[:200])
    r = run(TINYHOOK, "-h")
    check("manifests -h: usage on stdout, exit 0", r.returncode == 0 and "usage:" in r.stdout, r.stderr)

    # The default policy never denies: Ignore unless told otherwise.
    r = run(TINYHOOK, "--exclude-namespace", "monitoring", "--exclude-namespace", "ci",
            "--match-condition", 'no-leases=request.resource.resource != "leases"',
            "--ca-bundle", ca)
    docs = [d for d in yaml.safe_load_all(r.stdout) if d]
    check("manifests: parsed by a YAML parser", r.returncode == 0 and len(docs) >= 1, r.stderr)
    for d in docs:
        w = d["webhooks"][0]
        kind = d["kind"]
        check("%s: failurePolicy Ignore for a policy that never denies" % kind,
              w["failurePolicy"] == "Ignore", w["failurePolicy"])
        ns = w["namespaceSelector"]["matchExpressions"][0]
        check("%s: kube-system, tinyhook and every --exclude-namespace excluded" % kind,
              ns["operator"] == "NotIn" and ns["values"] == ["kube-system", "tinyhook", "monitoring", "ci"],
              ns)
        obj = w["objectSelector"]["matchExpressions"][0]
        check("%s: tinyhook's own pods excluded by objectSelector" % kind,
              obj == {"key": "app.kubernetes.io/name", "operator": "NotIn", "values": ["tinyhook"]}, obj)
        check("%s: matchConditions passed through" % kind,
              w.get("matchConditions") == [{"name": "no-leases",
                                             "expression": 'request.resource.resource != "leases"'}],
              w.get("matchConditions"))
    r = run(TINYHOOK, "--failure-policy", "Fail")
    docs = [d for d in yaml.safe_load_all(r.stdout) if d]
    check("manifests --failure-policy Fail overrides the default",
          all(d["webhooks"][0]["failurePolicy"] == "Fail" for d in docs) and docs, r.stderr)
    # A policy that denies: Fail by default.
    ref = os.path.join(ROOT, "build", "reference", "tinyhook")
    b = subprocess.run(["make", "-s", "POLICY=policies/reference.h", "build/reference/tinyhook"],
                       cwd=ROOT, capture_output=True, text=True)
    if check("build the reference policy", b.returncode == 0, b.stderr[-300:]):
        r = run(ref)
        docs = [d for d in yaml.safe_load_all(r.stdout) if d]
        v = [d for d in docs if d["kind"] == "ValidatingWebhookConfiguration"]
        check("a denying policy: the validating webhook fails closed (Fail)",
              v and v[0]["webhooks"][0]["failurePolicy"] == "Fail", r.stdout[:300])
    # One CLI convention for the binary itself (issue 15): usage errors exit 2
    # with a line naming the argument, -h and help are --help (exit 0).
    cli = [  # args, exit code, where the text is, the text
        (["-h"], 0, "stdout", "usage: tinyhook"),
        (["--help"], 0, "stdout", "usage: tinyhook"),
        (["help"], 0, "stdout", "usage: tinyhook"),
        (["bogus"], 2, "stderr", "bogus: unknown command"),
        (["--bogus"], 2, "stderr", "--bogus: unknown flag"),
        (["--listen", "nope"], 2, "stderr", "--listen nope: expected IP:port"),
        (["--probe-listen", "1.2.3"], 2, "stderr", "--probe-listen 1.2.3"),
        (["--workers", "0"], 2, "stderr", "--workers 0: expected 1 to 64"),
        (["--idle-timeout", "soon"], 2, "stderr", "--idle-timeout soon"),
        (["--listen"], 2, "stderr", "--listen: needs a value"),
    ]
    for args, code, where, want in cli:
        r = subprocess.run([TINYHOOK] + args, capture_output=True, text=True, timeout=10)
        out = r.stdout if where == "stdout" else r.stderr
        check("tinyhook %s: exit %d, %s says %r" % (" ".join(args), code, where, want),
              r.returncode == code and want in out, "rc=%d %r" % (r.returncode, (r.stdout + r.stderr)[:200]))
    summary("manifests")


main()
