#!/usr/bin/python3
"""policies/reference.h against the bench payloads (answers of the reference
Go/Python peers, bench/payloads/expected.json) and the real apiserver
captures. Messages must be identical to the Go peer's."""
import json
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "fixtures"))
from policylib import (BENCH_PAYLOADS, CAPTURED, Suite, admission, build, container, load, obj, podspec,
                       run_case)

s = Suite("policy_reference")
binary = build("reference")
bench = BENCH_PAYLOADS
expected = load(os.path.join(bench, "expected.json"))

# Exact messages of the Go peer (fmt %q quoting, joined by "; ").
go_messages = {
    "deployment-create.json": 'container "log-shipper" image "docker.io/fluent/fluent-bit:2.2.2" '
                              'is not from registry.example.com/; missing required label "owner"',
    "pod-update.json": 'container "api" image "docker.io/payments/api:1.8.3" is not from registry.example.com/',
}

cases = []
for fn, exp in sorted(expected.items()):
    if exp["type"] != "admission":
        continue
    c = {"name": fn, "review": load(os.path.join(bench, fn)), "allowed": exp["validate_allowed"],
         "contains": exp.get("deny_contains", []), "paths": exp["mutate_paths"],
         "code": 0 if exp["validate_allowed"] else 1}
    if fn in go_messages:
        c["message"] = go_messages[fn]
    cases.append(c)

api = CAPTURED
cases += [
    {"name": "apiserver validate.json", "review": load(os.path.join(api, "validate.json")), "allowed": False,
     "message": 'container "c" image "busybox:1.36" is not from registry.example.com/; '
                'missing required label "owner"',
     "paths": ["/metadata/labels/environment"]},
    {"name": "apiserver mutate.json", "review": load(os.path.join(api, "mutate.json")), "allowed": False,
     "paths": ["/metadata/labels/environment"]},
]

good = podspec([container("a", "registry.example.com/a:1", imagePullPolicy="IfNotPresent")])
lab = {"owner": "me", "environment": "x"}


def labels_null():
    """metadata.labels present as JSON null (Go reads it as an empty map)."""
    o = obj("Pod", good, labels={"owner": "me"})
    o["metadata"]["labels"] = None
    r = admission(o)
    assert '"labels": null' in json.dumps(r)
    return r


cases += [
    {"name": "no labels: whole map", "review": admission(obj("Pod", good, labels=None)),
     "allowed": False, "message": 'missing required label "owner"', "paths": ["/metadata/labels"],
     "patched": lambda o: o["metadata"]["labels"] == {"environment": "development"}},
    {"name": "labels null: whole map", "review": labels_null(), "allowed": False,
     "message": 'missing required label "owner"', "paths": ["/metadata/labels"],
     "patched": lambda o: o["metadata"]["labels"] == {"environment": "development"}},
    {"name": "empty owner counts as missing", "review": admission(obj("Pod", good, labels={"owner": "", "environment": "e"})),
     "allowed": False, "message": 'missing required label "owner"'},
    {"name": "escaped owner key", "review": json.dumps(admission(obj("Pod", good, labels=lab))).replace(
        '"owner"', '"own\\u0065r"'), "allowed": True},
    {"name": "escaped image prefix", "review": json.dumps(admission(obj("Pod", good, labels=lab))).replace(
        "registry.example.com/a", "registry\\u002eexample.com\\/a"), "allowed": True},
    {"name": "init, ephemeral and quoted names", "review": admission(obj("Pod", podspec(
        [container("m", "registry.example.com/m:1", imagePullPolicy="Always")],
        init=[container('i"n', "evil/x\n", imagePullPolicy="Always")],
        eph=[container("e", "quay.io/e:1")]), labels=lab)), "allowed": False,
     "message": 'container "i\\"n" image "evil/x\\n" is not from registry.example.com/; '
                'container "e" image "quay.io/e:1" is not from registry.example.com/'},
    {"name": "ReplicationController is not policied by the peers",
     "review": admission(obj("ReplicationController", podspec([container("a", "nginx")]))), "allowed": True},
    {"name": "Service is not policied", "review": admission(obj("Service", {"ports": []})), "allowed": True},
    {"name": "CronJob nesting", "review": admission(obj("CronJob", podspec(
        [container("a", "nginx")], init=[container("b", "registry.example.com/b")]), labels=lab)),
     "allowed": False, "message": 'container "a" image "nginx" is not from registry.example.com/',
     "paths": ["/spec/jobTemplate/spec/template/spec/initContainers/0/imagePullPolicy",
               "/spec/jobTemplate/spec/template/spec/containers/0/imagePullPolicy"]},
]
for kind in ("Deployment", "ReplicaSet", "StatefulSet", "DaemonSet", "Job"):
    cases.append({"name": kind, "review": admission(obj(kind, podspec([container("a", "docker.io/a:1")]), labels={})),
                  "allowed": False, "paths": ["/metadata/labels/environment", "/spec/template/spec/containers/0/imagePullPolicy"],
                  "message": 'container "a" image "docker.io/a:1" is not from registry.example.com/; missing required label "owner"'})

for c in cases:
    run_case(s, binary, c)
s.finish()
