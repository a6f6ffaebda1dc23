#!/usr/bin/python3
"""pss.py: the Pod Security Standards policies (src/pss*.c) against
Kubernetes' own PodSecurity.

With ../shared/pss-fixtures (PodSecurity's test fixtures and what a real
kube-apiserver v1.36.2 answered for each, expected.json):
  - every fixture through `tinyhook review` and through the server, at its
    level (build/pss-baseline, build/pss-restricted): the verdict equals the
    apiserver's, and so does every message after `pods "NAME" is forbidden: `
    (the 422 procMount fixtures, refused by validation first: denied only);
  - every fixture as the template of a Deployment and of a CronJob: the same
    verdict and message as the pod (PodSecurity only warns there; we deny);
  - policies/pss-restricted-defaults.h: the patch (applied by
    python3-jsonpatch) makes every restricted fail fixture whose violations
    are all unset fields pass, leaves the others denied, keeps every value a
    fixture sets, changes no baseline verdict, and a second pass adds nothing.
Without it (skip lines say so), and always: exemptions (namespace, username,
runtime class; kube-system by default), pod updates PodSecurity ignores,
pods/ephemeralcontainers, the warn/audit form of policies/pss.h, and the
mutation on hand-made pods.
"""
import base64
import copy
import json
import os
import re
import subprocess
import sys
import tempfile

import jsonpatch
import yaml

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from th import ROOT, SHARED, Server, check, mkcerts, request, summary  # noqa: E402

FIX = os.path.join(SHARED, "pss-fixtures")
GVK = {"Pod": ("", "v1", "pods"), "Deployment": ("apps", "v1", "deployments"),
       "CronJob": ("batch", "v1", "cronjobs")}
BARE_RESTRICTED = (
    'allowPrivilegeEscalation != false (container "c" must set securityContext.allowPrivilegeEscalation=false), '
    'unrestricted capabilities (container "c" must set securityContext.capabilities.drop=["ALL"]), '
    'runAsNonRoot != true (pod or container "c" must set securityContext.runAsNonRoot=true), '
    'seccompProfile (pod or container "c" must set securityContext.seccompProfile.type to '
    '"RuntimeDefault" or "Localhost")')


def build(policy, name):
    r = subprocess.run(["make", "-s", "POLICY=" + policy, "build/%s/tinyhook" % name], cwd=ROOT,
                       stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, timeout=900)
    path = os.path.join(ROOT, "build", name, "tinyhook")
    check("build %s" % policy, r.returncode == 0 and os.path.exists(path), r.stderr.decode()[-500:])
    return path if r.returncode == 0 else None


def review(binary, doc):
    """`tinyhook review --json -` on doc (a bare object or an AdmissionReview)."""
    p = subprocess.run([binary, "review", "--json", "-"], input=json.dumps(doc).encode(),
                       capture_output=True, timeout=30)
    try:
        return p.returncode, json.loads(p.stdout)
    except ValueError:
        return p.returncode, None


def answer(out, route="validate"):
    """(allowed, message, warnings, audit annotations, patch ops) of one route."""
    r = out[route]["response"]
    ops = json.loads(base64.b64decode(r["patch"])) if "patch" in r else None
    return (r.get("allowed"), (r.get("status") or {}).get("message", ""), r.get("warnings", []),
            r.get("auditAnnotations", {}), ops)


def admission(o, op="CREATE", ns="default", user="admin", old=None, sub=None, kind=None):
    kind = kind or (o or old)["kind"]
    group, version, resource = GVK[kind]
    gvk = {"group": group, "version": version, "kind": kind}
    gvr = {"group": group, "version": version, "resource": resource}
    req = {"uid": "0b5c1d6e-0000-4000-8000-000000000001", "kind": gvk, "resource": gvr,
           "requestKind": gvk, "requestResource": gvr, "name": "x", "namespace": ns, "operation": op,
           "userInfo": {"username": user, "groups": ["system:authenticated"]},
           "object": o, "oldObject": old, "dryRun": False, "options": None}
    if sub:
        req["subResource"] = req["requestSubResource"] = sub
    return {"apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview", "request": req}


def pod(spec, name="p", annotations=None):
    meta = {"name": name, "namespace": "default"}
    if annotations is not None:
        meta["annotations"] = annotations
    return {"apiVersion": "v1", "kind": "Pod", "metadata": meta, "spec": spec}


def wrap(p, kind):
    """The pod as the template of a Deployment or CronJob (its metadata goes along)."""
    name = p["metadata"]["name"]
    meta = {k: v for k, v in p["metadata"].items() if k in ("annotations", "labels")}
    meta.setdefault("labels", {})["app"] = name
    tmpl = {"metadata": meta, "spec": copy.deepcopy(p["spec"])}
    if kind == "Deployment":
        spec = {"selector": {"matchLabels": {"app": name}}, "template": tmpl}
    else:
        spec = {"schedule": "*/5 * * * *", "jobTemplate": {"spec": {"template": tmpl}}}
    return {"apiVersion": "apps/v1" if kind == "Deployment" else "batch/v1", "kind": kind,
            "metadata": {"name": name, "namespace": "default"}, "spec": spec}


def fixtures():
    with open(os.path.join(FIX, "expected.json")) as f:
        expected = json.load(f)
    for path, e in sorted(expected.items()):
        with open(os.path.join(FIX, path)) as f:
            yield path, e, yaml.safe_load(f)


def want_message(e):
    """PodSecurity's text of a 403 answer, or None (allowed, or the 422s)."""
    if e["allowed"] or e.get("code") != 403:
        return None
    return e["message"].split(" is forbidden: ", 1)[1]


def fixture_cases(bins):
    """Offline review and workload templates, counting agreement per level."""
    agree = {}
    for path, e, p in fixtures():
        lvl, want = e["level"], want_message(e)
        a = agree.setdefault(lvl, [0, 0, 0, 0])
        rc, out = review(bins[lvl], p)
        ok = out is not None and answer(out)[0] is e["allowed"] and rc == (0 if e["allowed"] else 1)
        a[0] += ok
        a[1] += 1
        check("%s: %s" % (path, "allowed" if e["allowed"] else "denied"), ok, out and out["validate"])
        if want is not None and out is not None:
            msg = answer(out)[1]
            a[2] += msg == want
            a[3] += 1
            check("%s: PodSecurity's message" % path, msg == want, "\n  got  %s\n  want %s" % (msg, want))
        for kind in ("Deployment", "CronJob"):
            rc, out = review(bins[lvl], wrap(p, kind))
            got = out and answer(out)
            check("%s as a %s template: %s" % (path, kind, "allowed" if e["allowed"] else "denied"),
                  got is not None and got[0] is e["allowed"] and (want is None or got[1] == want), got)
    for lvl, (v, n, m, mn) in sorted(agree.items()):
        print("pss agreement %s: verdicts %d/%d, messages %d/%d" % (lvl, v, n, m, mn))


def server_cases(bins, certs):
    """The same fixtures as AdmissionReviews to the server, one keep-alive connection per level."""
    for lvl in ("baseline", "restricted"):
        srv = Server(certs, binary=bins[lvl])
        try:
            sock = srv.connect()
            for path, e, p in fixtures():
                if e["level"] != lvl:
                    continue
                r = request(sock, "POST", "/validate", json.dumps(admission(p)).encode())
                got = r.json()["response"] if r.status == 200 else {}
                msg = (got.get("status") or {}).get("message", "")
                want = want_message(e)
                check("server %s: %s" % (lvl, path), got.get("allowed") is e["allowed"]
                      and (want is None or msg == want), (r.status, msg, want))
            sock.close()
        finally:
            check("server %s exits cleanly" % lvl, srv.stop() == 0, srv.stderr()[-300:])


# The forms of a restricted violation that only an unset field causes.
UNSET = [r'allowPrivilegeEscalation != false \(containers? [^()]* must set securityContext\.'
         r'allowPrivilegeEscalation=false\)',
         r'unrestricted capabilities \(containers? [^()]* must set securityContext\.capabilities\.'
         r'drop=\["ALL"\]\)',
         r'runAsNonRoot != true \(pod or containers? [^()]* must set securityContext\.runAsNonRoot=true\)',
         r'seccompProfile \(pod or containers? [^()]* must set securityContext\.seccompProfile\.type '
         r'to "RuntimeDefault" or "Localhost"\)']
UNSET_RE = re.compile("(%s)(, (%s))*" % ("|".join(UNSET), "|".join(UNSET)))


def sets_ape(p):
    """Whether some container sets allowPrivilegeEscalation: true (the message cannot tell)."""
    spec = p["spec"]
    return any((c.get("securityContext") or {}).get("allowPrivilegeEscalation") is True
               for k in ("initContainers", "containers") for c in spec.get(k) or [])


def unset_only(e, p):
    """Whether the apiserver's restricted denial lists only unset fields."""
    want = want_message(e)
    if e["level"] != "restricted" or want is None:
        return False
    detail = want.split('violates PodSecurity "restricted:latest": ', 1)[1]
    return UNSET_RE.fullmatch(detail) is not None and not sets_ape(p)


def keeps(orig, patched):
    """Whether every value orig sets is in patched unchanged (lists: same prefix)."""
    if isinstance(orig, dict):
        return isinstance(patched, dict) and all(k in patched and keeps(v, patched[k])
                                                 for k, v in orig.items())
    if isinstance(orig, list):
        return isinstance(patched, list) and len(patched) >= len(orig) and \
            all(keeps(a, b) for a, b in zip(orig, patched))
    return orig == patched


def mutate(binary, doc):
    """The patched object after /mutate, the ops, and whether a second pass is empty."""
    rc, out = review(binary, doc)
    ops = answer(out, "mutate")[4] if out else None
    patched = jsonpatch.apply_patch(copy.deepcopy(doc), ops) if ops else copy.deepcopy(doc)
    rc, again = review(binary, patched)
    return patched, ops, again is not None and answer(again, "mutate")[4] is None


def defaults_fixture_cases(bins, dflt):
    fixed = 0
    for path, e, p in fixtures():
        try:
            patched, ops, idem = mutate(dflt, p)
        except jsonpatch.JsonPatchException as ex:
            check("%s: defaults patch applies" % path, False, ex)
            continue
        check("%s: defaults keep every value the pod sets" % path, keeps(p, patched), ops)
        check("%s: second mutation is empty" % path, idem, ops)
        allowed = answer(review(bins["restricted"], patched)[1])[0]
        if e["level"] == "restricted" and not e["allowed"]:
            if unset_only(e, p):
                fixed += 1
                check("%s: only unset fields: passes restricted after the defaults" % path,
                      allowed is True, ops)
            else:
                check("%s: explicit violations: still denied after the defaults" % path,
                      allowed is False, ops)
        elif e["allowed"]:
            check("%s: pass fixture still passes %s after the defaults" % (path, e["level"]),
                  answer(review(bins[e["level"]], patched)[1])[0] is True, ops)
        if e["level"] == "baseline":
            check("%s: baseline verdict unchanged by the defaults" % path,
                  answer(review(bins["baseline"], patched)[1])[0] is e["allowed"], ops)
    print("pss defaults: %d restricted fail fixtures fixed by unset fields only" % fixed)
    check("some fail fixtures are unset-only (the classification is not vacuous)", fixed >= 5, fixed)


PRIV = {"containers": [{"name": "c", "image": "pause", "securityContext": {"privileged": True}}]}
BARE = {"containers": [{"name": "c", "image": "pause"}]}
GOOD = {"securityContext": {"runAsNonRoot": True, "seccompProfile": {"type": "RuntimeDefault"}},
        "containers": [{"name": "c", "image": "pause", "securityContext": {
            "allowPrivilegeEscalation": False, "capabilities": {"drop": ["ALL"]}}}]}
PRIV_MSG = 'violates PodSecurity "baseline:latest": privileged (container "c" must not set ' \
           'securityContext.privileged=true)'


def exemption_cases(exempt, base):
    cases = [
        ("privileged pod in default: denied", admission(pod(PRIV)), False),
        ("namespace ci-exempt: allowed", admission(pod(PRIV), ns="ci-exempt"), True),
        ("user system:serviceaccount:ci:deployer: allowed",
         admission(pod(PRIV), user="system:serviceaccount:ci:deployer"), True),
        ("another service account: denied", admission(pod(PRIV), user="system:serviceaccount:ci:other"), False),
        ("runtimeClassName kata: allowed", admission(pod(dict(PRIV, runtimeClassName="kata"))), True),
        ("runtimeClassName gvisor: denied", admission(pod(dict(PRIV, runtimeClassName="gvisor"))), False),
        ("kube-system not listed here: denied", admission(pod(PRIV), ns="kube-system"), False),
        ("Deployment template with runtimeClassName kata: allowed",
         admission(wrap(pod(dict(PRIV, runtimeClassName="kata")), "Deployment")), True),
    ]
    for name, doc, allowed in cases:
        rc, out = review(exempt, doc)
        got = out and answer(out)
        check("exempt: " + name, got is not None and got[0] is allowed and
              (allowed or got[1] == PRIV_MSG) and (not allowed or got[2] == []), got)
    rc, out = review(exempt, admission(pod(BARE), ns="ci-exempt"))
    check("exempt: namespace ci-exempt is not mutated either", out and answer(out, "mutate")[4] is None,
          out and out["mutate"])
    for name, ns, allowed in (("kube-system exempt by default", "kube-system", True),
                              ("default namespace judged", "default", False)):
        rc, out = review(base, admission(pod(PRIV), ns=ns))
        check("pss-baseline: " + name, out and answer(out)[0] is allowed, out and out["validate"])


def warn_audit_cases(exempt):
    """policies/pss.h's shape (here with the test exemptions): deny baseline, warn+audit restricted."""
    rc, out = review(exempt, admission(pod(BARE)))
    allowed, msg, warns, audit, _ = answer(out)
    want = 'would violate PodSecurity "restricted:latest": ' + BARE_RESTRICTED
    check("warn: bare pod allowed with PodSecurity's restricted warning", allowed is True and warns == [want],
          warns)
    check("audit: the same text as an audit annotation", audit == {"pod-security-restricted": want}, audit)
    rc, out = review(exempt, admission(pod(PRIV)))
    allowed, msg, warns, audit, _ = answer(out)
    check("warn: no warning on a denied request (as PodSecurity)", allowed is False and msg == PRIV_MSG
          and warns == [], (msg, warns))
    check("audit: a denied request still gets its audit annotation",
          audit.get("pod-security-restricted", "").startswith('would violate PodSecurity "restricted:latest": privileged ('), audit)
    rc, out = review(exempt, admission(pod(GOOD)))
    check("restricted pod: allowed, no warning, no annotation", answer(out)[:4] == (True, "", [], {}),
          answer(out))


def update_cases(base):
    old = pod(PRIV)
    relabel = copy.deepcopy(old)
    relabel["metadata"]["labels"] = {"x": "y"}
    reimage = copy.deepcopy(old)
    reimage["spec"]["containers"][0]["image"] = "pause:3.10"
    reseccomp = copy.deepcopy(old)
    reseccomp["metadata"]["annotations"] = {"container.seccomp.security.alpha.kubernetes.io/c": "unconfined"}
    eph = copy.deepcopy(old)
    eph["spec"]["ephemeralContainers"] = [{"name": "debug", "image": "busybox", "securityContext": {
        "privileged": True}}]
    good_old = pod(BARE)
    good_eph = copy.deepcopy(good_old)
    good_eph["spec"]["ephemeralContainers"] = copy.deepcopy(eph["spec"]["ephemeralContainers"])
    dep = wrap(old, "Deployment")
    dep2 = copy.deepcopy(dep)
    dep2["metadata"]["labels"] = {"x": "y"}
    cases = [
        ("pod UPDATE changing a label only: allowed (not significant)", admission(relabel, "UPDATE", old=old), True),
        ("pod UPDATE changing an image: judged", admission(reimage, "UPDATE", old=old), False),
        ("pod UPDATE changing a seccomp annotation: judged", admission(reseccomp, "UPDATE", old=old), False),
        ("pods/ephemeralcontainers adding a privileged one: denied",
         admission(good_eph, "UPDATE", old=good_old, sub="ephemeralcontainers"), False),
        ("pods/ephemeralcontainers adding nothing: allowed",
         admission(eph, "UPDATE", old=eph, sub="ephemeralcontainers"), True),
        ("pods/status: not judged", admission(relabel, "UPDATE", old=old, sub="status"), True),
        ("DELETE: not judged", admission(None, "DELETE", old=old, kind="Pod"), True),
        ("Deployment UPDATE changing a label: the template is judged", admission(dep2, "UPDATE", old=dep), False),
    ]
    for name, doc, allowed in cases:
        rc, out = review(base, doc)
        check("update: " + name, out is not None and answer(out)[0] is allowed, out and out["validate"])
    rc, out = review(base, admission(good_eph, "UPDATE", old=good_old, sub="ephemeralcontainers"))
    check("update: the ephemeral container is named", answer(out)[1] == 'violates PodSecurity "baseline:latest": '
          'privileged (container "debug" must not set securityContext.privileged=true)', answer(out)[1])


def defaults_cases(dflt, restricted):
    win = {"os": {"name": "windows"}, "containers": [{"name": "c", "image": "pause"}]}
    root = {"containers": [{"name": "c", "image": "pause", "securityContext": {"runAsUser": 0}}]}
    explicit = {"containers": [
        {"name": "a", "image": "pause", "securityContext": {"allowPrivilegeEscalation": True,
                                                             "capabilities": {"drop": ["NET_RAW"]}}},
        {"name": "b", "image": "pause", "securityContext": {"privileged": True, "capabilities": {}}},
        {"name": "s", "image": "pause", "securityContext": {"capabilities": {"add": ["SYS_ADMIN"]}}}],
        "securityContext": {"seccompProfile": {"type": "Unconfined"}, "runAsNonRoot": False}}
    cases = [
        ("bare pod", admission(pod(BARE)),
         ["/spec/securityContext", "/spec/containers/0/securityContext"], True),
        ("Windows pod: runAsNonRoot only", admission(pod(win)), ["/spec/securityContext"], True),
        ("runAsUser 0: no runAsNonRoot", admission(pod(root)),
         ["/spec/securityContext", "/spec/containers/0/securityContext/allowPrivilegeEscalation",
          "/spec/containers/0/securityContext/capabilities"], False),
        ("explicit values kept; privileged and SYS_ADMIN get no allowPrivilegeEscalation",
         admission(pod(explicit)),
         ["/spec/containers/0/securityContext/capabilities/drop/-",
          "/spec/containers/1/securityContext/capabilities/drop",
          "/spec/containers/2/securityContext/capabilities/drop"], False),
        ("Deployment template", admission(wrap(pod(BARE), "Deployment")),
         ["/spec/template/spec/securityContext", "/spec/template/spec/containers/0/securityContext"], True),
        ("compliant pod: nothing", admission(pod(GOOD)), [], True),
        ("pod UPDATE: never patched", admission(pod(BARE), "UPDATE", old=pod(BARE)), [], None),
    ]
    for name, doc, paths, passes in cases:
        rc, out = review(dflt, doc)
        ops = answer(out, "mutate")[4] or []
        check("defaults: %s: patch paths" % name, sorted(o["path"] for o in ops) == sorted(paths), ops)
        patched = jsonpatch.apply_patch(copy.deepcopy(doc["request"]["object"]), ops)
        check("defaults: %s: keeps every value" % name, keeps(doc["request"]["object"], patched), ops)
        again = copy.deepcopy(doc)
        again["request"]["object"] = patched
        rc, out2 = review(dflt, again)
        check("defaults: %s: second pass adds nothing" % name, answer(out2, "mutate")[4] is None, out2)
        if passes is not None:
            rc, out3 = review(restricted, again)
            check("defaults: %s: restricted %s afterwards" % (name, "passes" if passes else "still denies"),
                  answer(out3)[0] is passes, answer(out3)[1])


def main():
    bins = {"baseline": build("policies/pss-baseline.h", "pss-baseline"),
            "restricted": build("policies/pss-restricted.h", "pss-restricted")}
    dflt = build("policies/pss-restricted-defaults.h", "pss-restricted-defaults")
    exempt = build("test/fixtures/pss/pss-exempt.h", "pss-exempt")
    build("policies/pss.h", "pss")
    if not all(bins.values()) or not dflt or not exempt:
        summary("pss")
    exemption_cases(exempt, bins["baseline"])
    warn_audit_cases(exempt)
    update_cases(bins["baseline"])
    defaults_cases(dflt, bins["restricted"])
    if not os.path.exists(os.path.join(FIX, "expected.json")):
        print("skip PodSecurity fixtures: %s not found (CI has ../shared/pss-fixtures)" % FIX)
        summary("pss")
    fixture_cases(bins)
    defaults_fixture_cases(bins, dflt)
    server_cases(bins, mkcerts(os.path.join(tempfile.mkdtemp(prefix="tinyhook-pss-"), "ec")))
    summary("pss")


main()
