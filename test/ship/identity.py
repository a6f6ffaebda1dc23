#!/usr/bin/python3
"""identity.py: the policy is part of the identity.

Two policies (policy.h, policies/pod-hardening.h) give two image tags and archive
names (`make image`'s variables), two images whose tag and labels name the
policy, and two rendered Deployments that differ exactly in the image
reference and the pod template's policy annotations (so applying the other
policy rolls the pods). The Deployment's image is the tag `make image` gives
the archive. k8s/check.py refuses a render whose pods and webhooks name
different policies, and kubectl kustomize k8s/generated equals tinyhook.yaml.
"""
import copy
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

import yaml

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
from th import ROOT, TINYHOOK, check, mkcerts, summary  # noqa: E402

sys.path.insert(0, os.path.join(ROOT, "k8s"))
import check as kcheck  # noqa: E402

POLICIES = [("policy.h", TINYHOOK), ("policies/pod-hardening.h", os.path.join(ROOT, "build", "pod-hardening", "tinyhook"))]


def run(cmd, **kw):
    return subprocess.run(cmd, capture_output=True, text=True, timeout=600, **kw)


def makevar(name, policy):
    r = run(["make", "-s", "--no-print-directory", "--eval", "print-var: ; @echo $(%s)" % name,
             "print-var", "POLICY=" + policy], cwd=ROOT)
    return r.stdout.strip()


def docs(path):
    with open(path) as f:
        return [d for d in yaml.safe_load_all(f) if d]


def norm(objs):
    out = {}
    for o in objs:
        o = copy.deepcopy(o)
        if o["kind"] == "Secret":
            o["data"] = {k: "".join(v.split()) for k, v in o.get("data", {}).items()}
        out[(o["kind"], o["metadata"].get("namespace", ""), o["metadata"]["name"])] = o
    return out


def main():
    # Both binaries at make's current VERSION (a commit since the last build
    # changes it; make rebuilds what prints it).
    if os.path.abspath(TINYHOOK) == os.path.join(ROOT, "tinyhook"):
        r = run(["make", "-s", "tinyhook"], cwd=ROOT)
        check("./tinyhook is up to date (make tinyhook)", r.returncode == 0, r.stderr[-500:])
    r = run(["make", "-s", "POLICY=policies/pod-hardening.h", "build/pod-hardening/tinyhook"], cwd=ROOT)
    check("build the pod-hardening policy (build/pod-hardening/tinyhook)", r.returncode == 0, r.stderr[-500:])
    tmp = tempfile.mkdtemp()
    try:
        certs = mkcerts(os.path.join(tmp, "certs"), "--service", "tinyhook", "--namespace", "tinyhook")
        got = {}
        for policy, binary in POLICIES:
            name = os.path.splitext(os.path.basename(policy))[0]
            ver = run([binary, "--version"]).stdout.split()
            tag, image = makevar("IMAGE_TAG", policy), makevar("IMAGE", policy)
            phash = ver[5].rstrip(")") if len(ver) == 6 else "?"
            check("%s: make's IMAGE_TAG is <version>-%s-<hash> of the binary" % (name, name),
                  tag == "%s-%s-%s" % (ver[1], name, phash), (tag, ver))
            check("%s: the archive name carries the tag" % name, image == "tinyhook-%s-%s.oci.tar"
                  % (tag, makevar("IMAGE_ARCH", policy)), image)
            k = os.path.join(tmp, "k8s-" + name)
            shutil.copytree(os.path.join(ROOT, "k8s"), k, ignore=shutil.ignore_patterns("generated"))
            out = os.path.join(tmp, name + ".yaml")
            r = run(["sh", os.path.join(k, "render.sh"), "--tinyhook", binary, "--certs", certs,
                     "--out", out])
            check("%s: render.sh (make manifests)" % name, r.returncode == 0, r.stderr)
            objs = docs(out) if r.returncode == 0 else []
            dep = [o for o in objs if o["kind"] == "Deployment"]
            img = dep[0]["spec"]["template"]["spec"]["containers"][0]["image"] if dep else ""
            check("%s: the Deployment runs docker.io/library/tinyhook:<make's IMAGE_TAG>" % name,
                  img == "docker.io/library/tinyhook:" + tag, (img, tag))
            ann = dep[0]["spec"]["template"]["metadata"].get("annotations", {}) if dep else {}
            check("%s: pod template annotations name the policy and hash" % name,
                  ann.get("tinyhook.io/policy") == name and ann.get("tinyhook.io/policy-hash") == phash, ann)
            hooks = [o for o in objs if o["kind"].endswith("WebhookConfiguration")]
            check("%s: webhooks are labelled with the same policy" % name, hooks and all(
                h["metadata"]["labels"]["tinyhook/policy"] == "%s-%s" % (name, phash) for h in hooks))
            # Images: tag and labels.
            arc = os.path.join(tmp, image)
            r = run(["sh", os.path.join(ROOT, "scripts", "mkimage.sh"), "--binary", binary, "--out", arc,
                     "--version", ver[1], "--policy-name", name, "--policy-hash", phash,
                     "--tag", "tinyhook:" + tag], cwd=ROOT)
            insp = run(["skopeo", "inspect", "oci-archive:" + arc]) if shutil.which("skopeo") else None
            if insp is not None and insp.returncode == 0:
                lab = json.loads(insp.stdout)["Labels"]
                check("%s: image labels name the policy and hash" % name,
                      lab.get("io.tinyhook.policy.name") == name and lab.get("io.tinyhook.policy.hash") == phash)
            else:
                check("%s: skopeo inspects the image" % name, False, insp and insp.stderr)
            with open(arc, "rb") as f:
                raw = f.read()
            check("%s: the archive names itself docker.io/library/tinyhook:%s" % (name, tag),
                  ('"io.containerd.image.name":"docker.io/library/tinyhook:%s"' % tag).encode() in raw)
            gen = os.path.join(k, "generated")
            if shutil.which("kubectl"):
                r = run(["kubectl", "kustomize", gen])
                kk = [d for d in yaml.safe_load_all(r.stdout) if d] if r.returncode == 0 else []
                check("%s: kubectl kustomize k8s/generated == tinyhook.yaml" % name,
                      kk and norm(kk) == norm(objs), r.stderr[-300:])
            r = run(["/usr/bin/python3", os.path.join(k, "check.py"), "render", gen])
            check("%s: check.py render k8s/generated == tinyhook.yaml" % name,
                  r.returncode == 0 and norm([d for d in yaml.safe_load_all(r.stdout) if d]) == norm(objs))
            got[name] = {"objs": objs, "dep": dep[0] if dep else {}, "tag": tag, "image": image,
                         "hooks": hooks, "certs": certs}

        a, b = got["policy"], got["pod-hardening"]
        check("two policies: two image tags", a["tag"] != b["tag"])
        check("two policies: two archive names", a["image"] != b["image"])
        da, db = copy.deepcopy(a["dep"]), copy.deepcopy(b["dep"])
        check("two policies: two Deployments", da != db)
        ta, tb = da["spec"]["template"], db["spec"]["template"]
        check("two policies: two pod templates (applying one after the other rolls the pods)", ta != tb)
        for d in (da, db):
            d["spec"]["template"]["metadata"].pop("annotations", None)
            d["spec"]["template"]["spec"]["containers"][0].pop("image")
        check("two policies: the Deployments differ only in image and policy annotations", da == db)

        # The checker: pods and webhooks of different policies, or no annotations.
        mixed = [o for o in a["objs"] if not o["kind"].endswith("WebhookConfiguration")] + b["hooks"]
        probs = " | ".join(kcheck.check(mixed, "tinyhook", os.path.join(a["certs"], "cabundle.b64")))
        check("check.py: refuses pods of one policy with webhooks of another", "is for policy" in probs, probs)
        bare = copy.deepcopy(a["objs"])
        for o in bare:
            if o["kind"] == "Deployment":
                del o["spec"]["template"]["metadata"]["annotations"]
        probs = " | ".join(kcheck.check(bare, "tinyhook", os.path.join(a["certs"], "cabundle.b64")))
        check("check.py: refuses a Deployment without the policy annotations", "lacks the" in probs, probs)
        wrong = copy.deepcopy(a["objs"])
        for o in wrong:
            if o["kind"] == "Deployment":
                o["spec"]["template"]["spec"]["containers"][0]["image"] = "docker.io/library/tinyhook:0.1.0"
        probs = " | ".join(kcheck.check(wrong, "tinyhook", os.path.join(a["certs"], "cabundle.b64")))
        check("check.py: refuses an image tag without the policy", "is not of policy" in probs, probs)
        r = run(["sh", os.path.join(tmp, "k8s-policy", "render.sh"), "--tinyhook", TINYHOOK, "--certs",
                 a["certs"], "--out", os.path.join(tmp, "v.yaml"), "--version", "9.9.9"])
        img = [o for o in docs(os.path.join(tmp, "v.yaml")) if o["kind"] == "Deployment"][0][
            "spec"]["template"]["spec"]["containers"][0]["image"] if r.returncode == 0 else ""
        check("render.sh --version 9.9.9: tag 9.9.9-policy-<hash>",
              re.fullmatch(r"docker\.io/library/tinyhook:9\.9\.9-policy-[0-9a-f]{12}", img) is not None, img)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    summary("identity")


if __name__ == "__main__":
    main()
