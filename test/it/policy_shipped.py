#!/usr/bin/python3
"""The shipped policies in policies/ (other than reference.h), each with a
table of fixtures: require-labels, registries, defaults, always-pull,
pod-hardening and pod-hardening-warn."""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "fixtures"))
from policylib import Suite, admission, build, container, obj, podspec, run_case

s = Suite("policy_shipped")
P = lambda *imgs, **kw: podspec([container("c%d" % i, im) for i, im in enumerate(imgs)], **kw)
OK = "registry.example.com/msalinasc_web:1.0"

def img_case(name, image, allowed, contains=()):
    return {"name": name, "review": admission(obj("Pod", P(image))), "allowed": allowed, "contains": list(contains)}

tables = {
    "require-labels": [
        {"name": "both labels", "review": admission(obj("Pod", labels={"owner": "o", "app": "a"})), "allowed": True},
        {"name": "none", "review": admission(obj("Deployment", labels={})), "allowed": False,
         "message": 'missing required label "owner"; missing required label "app"', "code": 1},
        {"name": "no metadata", "review": admission(obj("Pod", meta=False)), "allowed": False},
        {"name": "labels as string", "review": admission(obj("Pod", labels="owner")), "allowed": False},
        {"name": "DELETE allowed", "review": admission(None, kind="Pod", op="DELETE", old=obj("Pod")), "allowed": True},
    ],
    "registries": [
        img_case("ours", OK, True),
        img_case("ours with digest", "registry.example.com/msalinasc_web@sha256:" + "b" * 64, True),
        img_case("ours uppercase host", "REGISTRY.example.com/msalinasc_web:1", True),
        img_case("latest", "registry.example.com/msalinasc_web:latest", False, ["has no tag or uses :latest"]),
        img_case("untagged", "registry.example.com/msalinasc_web", False, ["has no tag"]),
        img_case("docker hub default", "msalinasc_web:1", False, ["not from an allowed registry"]),
        img_case("port is another registry", "registry.example.com:5000/msalinasc_web:1", False, ["allowed registry"]),
        img_case("lookalike host", "registry.example.com.evil.io/msalinasc_web:1", False, ["allowed registry"]),
        img_case("wrong prefix", "registry.example.com/web:1", False, ['name does not start with "msalinasc_"']),
        img_case("uppercase path invalid", "registry.example.com/msalinasc_Web:1", False, ["not a valid image reference"]),
        img_case("empty image", "", False, ["not a valid image reference"]),
        {"name": "init container checked", "review": admission(obj("Job", P(OK, init=[container("i", "busybox:1")]))),
         "allowed": False, "contains": ['container "i" image "busybox:1"']},
    ],
    "defaults": [
        {"name": "bare pod gets everything", "review": admission(obj("Pod", P("a:1"), labels=None)), "allowed": True,
         "paths": ["/metadata/labels", "/metadata/labels/app", "/spec/containers/0/imagePullPolicy", "/spec/imagePullSecrets"],
         "patched": lambda o: o["metadata"]["labels"] == {"environment": "development", "app": "my-app"}
         and o["spec"]["imagePullSecrets"] == [{"name": "registry-credentials"}]
         and o["spec"]["containers"][0]["imagePullPolicy"] == "IfNotPresent"},
        {"name": "existing secrets list appended", "review": admission(obj("Deployment", P("a:1", imagePullSecrets=[{"name": "x"}]),
         labels={"app": "a", "environment": "e"})),
         "paths": ["/spec/template/spec/containers/0/imagePullPolicy", "/spec/template/spec/imagePullSecrets/-"],
         "patched": lambda o: [x["name"] for x in o["spec"]["template"]["spec"]["imagePullSecrets"]] == ["x", "registry-credentials"]},
        {"name": "nothing to do", "review": admission(obj("CronJob", podspec([container("a", "a:1", imagePullPolicy="Always")],
         imagePullSecrets=[{"name": "registry-credentials"}]), labels={"app": "a", "environment": "e"})), "paths": []},
        {"name": "DELETE never patched", "review": admission(None, kind="Pod", op="DELETE", old=obj("Pod")), "paths": []},
    ],
    "always-pull": [
        {"name": "forces Always", "review": admission(obj("StatefulSet", podspec(
            [container("a", "a:1", imagePullPolicy="IfNotPresent"), container("b", "b:1", imagePullPolicy="Always")],
            init=[container("i", "i:1")]))),
         "paths": ["/spec/template/spec/initContainers/0/imagePullPolicy", "/spec/template/spec/containers/0/imagePullPolicy"],
         "patched": lambda o: all(c["imagePullPolicy"] == "Always" for c in o["spec"]["template"]["spec"]["containers"])},
    ],
}
bad = podspec([container("a", "a:1", securityContext={"privileged": True, "capabilities": {"add": ["NET_ADMIN", "CHOWN"]}})],
              hostNetwork=True, hostPID=True, volumes=[{"name": "h", "hostPath": {"path": "/"}}, {"name": "e", "emptyDir": {}}])
good = podspec([container("a", "a:1", securityContext={"capabilities": {"add": ["NET_BIND_SERVICE"]}})],
               securityContext={"runAsNonRoot": True})
msgs = ['container "a" must not be privileged (securityContext.privileged)', "hostNetwork is not allowed",
        "hostPID is not allowed", 'volume "h" must not use hostPath', 'container "a" must not add capability "NET_ADMIN"',
        'container "a" must set securityContext.runAsNonRoot to true']
tables["pod-hardening"] = [
    {"name": "everything wrong", "review": admission(obj("DaemonSet", bad)), "allowed": False, "message": "; ".join(msgs)},
    {"name": "compliant", "review": admission(obj("Pod", good)), "allowed": True},
    {"name": "container turns runAsNonRoot off", "review": admission(obj("Pod", podspec(
        [container("a", "a:1", securityContext={"runAsNonRoot": False})], securityContext={"runAsNonRoot": True}))),
     "allowed": False, "message": msgs[-1]},
]
tables["pod-hardening-warn"] = [
    {"name": "everything wrong, warned", "review": admission(obj("DaemonSet", bad)), "allowed": True, "warnings": msgs, "code": 0},
    {"name": "compliant", "review": admission(obj("Pod", good)), "allowed": True, "warnings": []},
]

for policy, cases in tables.items():
    binary = build(policy)
    for c in cases:
        c["name"] = policy + ": " + c["name"]
        run_case(s, binary, c)
s.finish()
