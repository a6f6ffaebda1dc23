#!/usr/bin/python3
"""policy.h (the default policy): warns, audits, labels; never denies.
Also hostile inputs (wrong types, duplicates, escapes), every workload kind,
bare-object input to `tinyhook review`, and `tinyhook manifests`."""
import json
import os
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "fixtures"))
from policylib import Suite, admission, build, container, obj, podspec, review, run_case

import yaml

s = Suite("policy_default")
binary = build("policy")
MB = "/metadata/labels/app.kubernetes.io~1managed-by"
W_APP = 'missing required label "app"'
LONG_WARN = lambda i: ('container "c%03d" image "img%s" has no tag or uses :latest; pin a version or digest'
                       % (i, "x" * 200))
managed = lambda o: o["metadata"]["labels"]["app.kubernetes.io/managed-by"] == "tinyhook"

cases = [
    {"name": "pinned image, app label", "review": admission(obj("Pod", podspec([container("a", "nginx:1.27")]),
     labels={"app": "a"})), "allowed": True, "warnings": [], "paths": [MB], "patched": managed,
     "audit": {"images": "nginx:1.27"}, "code": 0},
    {"name": "latest and untagged warn, never deny", "review": admission(obj("Pod", podspec(
        [container("a", "nginx"), container("b", "nginx:latest"), container("c", "nginx@sha256:" + "a" * 64)]))),
     "allowed": True, "paths": ["/metadata/labels"], "code": 0,
     "warnings": ['container "a" image "nginx" has no tag or uses :latest; pin a version or digest',
                  'container "b" image "nginx:latest" has no tag or uses :latest; pin a version or digest', W_APP],
     "audit": {"images": "nginx; nginx:latest; nginx@sha256:" + "a" * 64}},
    {"name": "labels with / and ~ kept", "review": admission(obj("Pod", labels={"a/b~c": "1", "app": "x"})),
     "paths": [MB], "patched": lambda o: o["metadata"]["labels"]["a/b~c"] == "1" and managed(o)},
    {"name": "managed-by already set", "review": admission(obj("Pod", labels={"app.kubernetes.io/managed-by": "helm", "app": "x"})),
     "paths": []},
    {"name": "escaped key counts as set", "review": json.dumps(admission(obj("Pod", labels={
        "app.kubernetes.io/managed-by": "helm", "app": "x"}))).replace("managed-by", "managed\\u002dby"), "paths": []},
    {"name": "duplicate labels key: last wins", "review": json.dumps(admission(obj("Pod", labels={"app": "x"}))).replace(
        '"labels": {"app": "x"}', '"labels": {"app": "x", "app": ""}'), "warnings": [W_APP], "paths": [MB]},
    {"name": "missing metadata", "review": admission(obj("Pod", meta=False)), "paths": ["/metadata"],
     "patched": managed, "warnings": [W_APP]},
    {"name": "labels as array: no patch, no crash", "review": admission(obj("Pod", labels=["app"])), "paths": []},
    # Shapes the apiserver never sends (it decodes typed objects first): 400, exit 2,
    # rather than a policy that judged nothing.
    {"name": "containers as object -> 400", "review": admission(obj("Pod", {"containers": {"name": "a", "image": "x"}},
     labels={"app": "a"})), "status": 400, "code": 2},
    {"name": "spec null", "review": admission(obj("Pod", labels={"app": "a"}) | {"spec": None}), "paths": [MB]},
    {"name": "images of every type -> 400", "review": admission(obj("Pod", podspec([{"name": 1, "image": 2}, 7, None]),
     labels={"app": "a"})), "status": 400, "code": 2},
    {"name": "DELETE: no patch", "review": admission(None, kind="Pod", op="DELETE", old=obj("Pod")), "paths": [],
     "warnings": []},
    {"name": "CONNECT exec", "review": admission({"kind": "PodExecOptions", "command": ["sh"]}, kind="PodExecOptions",
     op="CONNECT", sub="exec"), "allowed": True, "paths": []},
    {"name": "status subresource untouched", "review": admission(obj("Pod"), op="UPDATE", old=obj("Pod"), sub="status"),
     "paths": [], "warnings": []},
    {"name": "ephemeralcontainers subresource is validated", "review": admission(obj("Pod", podspec(
        [container("a", "nginx:1")], eph=[container("dbg", "busybox")]), labels={"app": "a"}), op="UPDATE",
        old=obj("Pod"), sub="ephemeralcontainers"),
     "warnings": ['container "dbg" image "busybox" has no tag or uses :latest; pin a version or digest'], "paths": []},
    {"name": "hostile image text is escaped", "review": admission(obj("Pod", podspec([container("a\u2028", "x\"\\\u0001:latest")]),
     labels={"app": "a"})), "warn_contains": ['container "a\\u2028" image "x\\"\\\\\\x01:latest"'], "paths": [MB]},
    {"name": "bad JSON -> 400, exit 2", "review": '{"apiVersion":', "status": 400, "code": 2},
    {"name": "lone surrogate in a string read -> 400", "review": json.dumps(admission(obj("Pod", podspec(
        [container("a", "nginx:1")]), labels={"app": "a"}))).replace("nginx:1", "nginx\\ud800:1"),
     "status": 400, "mstatus": 200, "code": 2},
    {"name": "pretty-printed with CRLF line ends (JSON whitespace): judged", "review": json.dumps(admission(
        obj("Pod", podspec([container("a", "nginx:1")]), labels={"app": "a"})), indent=1).replace("\n", "\r\n"),
     "allowed": True, "warnings": [], "paths": [MB]},
    # DELETE carries object null (CONTRACT rule 9); should one carry an object
    # anyway, the answer still has no patch (rule 21: a patch on DELETE fails).
    {"name": "DELETE with an object present: still no patch", "review": admission(
        obj("Pod", labels={"app": "a"}), op="DELETE", old=obj("Pod")), "paths": []},
    # 40 warnings of 280 characters: the first 14 whole, the 15th cut to the
    # 4096-character budget (CONTRACT rule 17), the rest dropped.
    {"name": "many warnings fill the budget, never pass it", "review": admission(obj("Pod", podspec(
        [container("c%03d" % i, "img" + "x" * 200) for i in range(40)]), labels={"app": "a"})), "paths": [MB],
     "nwarnings": 15, "warns_ok": lambda w: w[:14] == [LONG_WARN(i) for i in range(14)]
     and LONG_WARN(14).startswith(w[14]) and sum(len(x) for x in w) == 4096},
]
for kind, base in (("Deployment", "/spec/template/spec"), ("ReplicaSet", ""), ("StatefulSet", ""), ("DaemonSet", ""),
                   ("Job", ""), ("CronJob", ""), ("ReplicationController", "")):
    cases.append({"name": kind + " template", "review": admission(obj(kind, podspec([container("a", "nginx")]),
                  labels={"app": "a"})), "warnings": ['container "a" image "nginx" has no tag or uses :latest; '
                                                     'pin a version or digest'], "paths": [MB]})

for c in cases:
    run_case(s, binary, c)

# A bare object (kubectl create --dry-run=client -o json) is reviewed as a CREATE.
bare = obj("Deployment", podspec([container("a", "nginx")]))
p = subprocess.run([binary, "review", "--json", "-"], input=json.dumps(bare).encode(), capture_output=True, timeout=30)
out = json.loads(p.stdout)
s.check(p.returncode == 0 and out["validate"]["response"]["allowed"] is True and len(out["validate"]["response"]["warnings"]) == 2,
        "bare object reviewed", out["validate"])
s.check(out["object"]["metadata"]["labels"]["app.kubernetes.io/managed-by"] == "tinyhook", "patched object printed", out["object"])
p = subprocess.run([binary, "review", "-"], input=b'{"no":"kind"}', capture_output=True, timeout=30)
s.check(p.returncode == 2, "neither review nor object: exit 2", p.stderr)
p = subprocess.run([binary, "review", "--help"], capture_output=True, timeout=30)
s.check(p.returncode == 0 and b"usage" in p.stdout, "review --help")

# manifests: the configurations the policy needs, nothing else.
p = subprocess.run([binary, "manifests", "--namespace", "hooks", "--timeout", "7"], capture_output=True, timeout=30)
docs = [d for d in yaml.safe_load_all(p.stdout) if d]
kinds = [d["kind"] for d in docs]
s.check(p.returncode == 0 and kinds == ["ValidatingWebhookConfiguration", "MutatingWebhookConfiguration"], "manifests kinds", kinds)
for d in docs:
    w = d["webhooks"][0]
    s.check(w["sideEffects"] == "None" and w["admissionReviewVersions"] == ["v1"] and w["timeoutSeconds"] == 7
            and w["failurePolicy"] == "Ignore",   # policy.h never denies: fail open (issue 15)
            "manifests fields " + d["kind"], w)
    s.check(w["clientConfig"]["service"] == {"namespace": "hooks", "name": "tinyhook", "port": 443,
            "path": "/mutate" if d["kind"].startswith("Mutating") else "/validate"}, "service path", w["clientConfig"])
    s.check(w["namespaceSelector"]["matchExpressions"][0]["values"] == ["kube-system", "hooks"], "namespaceSelector", w)
    res = sorted(r for rule in w["rules"] for r in rule["resources"])
    s.check("pods" in res and "cronjobs" in res and "deployments" in res, "resources", res)
s.check(docs[1]["webhooks"][0].get("reinvocationPolicy") == "IfNeeded", "mutate reinvocation IfNeeded")
p = subprocess.run([binary, "manifests", "--url", "https://10.0.0.1:8443", "--failure-policy", "Ignore"],
                   capture_output=True, timeout=30)
docs = [d for d in yaml.safe_load_all(p.stdout) if d]
s.check(docs[0]["webhooks"][0]["clientConfig"]["url"] == "https://10.0.0.1:8443/validate"
        and docs[0]["webhooks"][0]["failurePolicy"] == "Ignore", "manifests --url", docs[0]["webhooks"][0])
for bad in (["--failure-policy", "Maybe"], ["--timeout", "0"], ["--timeout", "31"], ["--bogus", "x"], ["--name"]):
    p = subprocess.run([binary, "manifests"] + bad, capture_output=True, timeout=30)
    s.check(p.returncode == 2 and bad[0].encode() in p.stderr, "manifests bad flag %s" % bad,
            (p.returncode, p.stderr[:200]))
s.finish()
