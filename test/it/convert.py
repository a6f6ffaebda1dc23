"""convert.py: CRD conversion (POST /convert) through the real binary over TLS.

CONTRACT rules 26-29: the captured apiserver ConversionReview answered with
the exact envelope; the bench payloads (CronTab v1beta1 -> v1, as the Go
peer) answered byte for byte (every untouched value copied as received);
round trips v1beta1 -> v1 -> v1beta1 give the input back; mixed batches;
Failures that name the object and carry no convertedObjects; 400 for what
is not a ConversionReview; bench/check.sh passes; the demo policy
(test/fixtures/convert/convert-demo.h) exercises defaults, annotations and
a custom function.

Builds its binaries with make from the repo root:
  build/crontab/tinyhook       (policies/crontab.h)
  build/convert-demo/tinyhook  (test/fixtures/convert/convert-demo.h)
"""
import copy
import json
import os
import socket
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
from th import (BENCH_PAYLOADS, CAPTURED, ROOT, Server, check, load,  # noqa: E402
                mkcerts, post, request, shared_path, skip, summary)

TMP = tempfile.mkdtemp(prefix="tinyhook-convert-")
CERTS = mkcerts(os.path.join(TMP, "ec"))
ENVELOPE = b'{"apiVersion":"apiextensions.k8s.io/v1","kind":"ConversionReview","response":{"uid":'


def dumps(o):
    """Compact JSON, as Go and the payload generator write it."""
    return json.dumps(o, separators=(",", ":")).encode()


def build(policy, name):
    r = subprocess.run(["make", "-s", "POLICY=" + policy, "build/%s/tinyhook" % name],
                       cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=600)
    binary = os.path.join(ROOT, "build", name, "tinyhook")
    check("build %s" % policy, r.returncode == 0 and os.path.exists(binary), r.stdout[-2000:])
    return binary if r.returncode == 0 else None


def review(uid, desired, objects):
    return {"apiVersion": "apiextensions.k8s.io/v1", "kind": "ConversionReview",
            "request": {"uid": uid, "desiredAPIVersion": desired, "objects": objects}}


def success_bytes(uid, objects_bytes):
    """The whole answer tinyhook must give: envelope, objects, Success."""
    return (ENVELOPE + dumps(uid) + b',"convertedObjects":[' + b",".join(objects_bytes) +
            b'],"result":{"status":"Success"}}}')


def renamed(obj, desired, old, new):
    """obj with apiVersion = desired and spec key old renamed new, in place."""
    o = copy.deepcopy(obj)
    o["apiVersion"] = desired
    if isinstance(o.get("spec"), dict) and old in o["spec"]:
        o["spec"] = {(new if k == old else k): v for k, v in o["spec"].items()}
    return o


def convert(srv, body, path="/convert?timeout=30s"):
    return post(srv, path, body if isinstance(body, bytes) else dumps(body))


def failure_of(r):
    """(message, has convertedObjects) of a 200 Failure, else None."""
    if r.status != 200:
        return None
    resp = r.json().get("response", {})
    res = resp.get("result", {})
    if res.get("status") != "Failure":
        return None
    return res.get("message", ""), "convertedObjects" in resp


def captured_case(srv):
    body = load(os.path.join(CAPTURED, "convert.json"))
    req = json.loads(body)
    r = convert(srv, body)
    obj = req["request"]["objects"][0]
    want = success_bytes(req["request"]["uid"], [dumps(dict(obj, apiVersion="rig.example.com/v2"))])
    check("captured convert.json: HTTP 200, application/json",
          r.status == 200 and r.header("content-type") == "application/json", "%d %r" % (r.status, r.body[:300]))
    check("captured convert.json: exact envelope, uid, Widget as rig.example.com/v2, Success",
          r.body == want, "\n got  %r\n want %r" % (r.body[:800], want[:800]))
    j = r.json() if r.status == 200 else {}
    check("captured: metadata name/namespace/uid unchanged",
          j.get("response", {}).get("convertedObjects", [{}])[0].get("metadata") == obj["metadata"])


def bench_cases(srv):
    for name in ("conversion-1.json", "conversion-100.json"):
        body = load(os.path.join(BENCH_PAYLOADS, name))
        req = json.loads(body)
        rq = req["request"]
        want = success_bytes(rq["uid"], [dumps(renamed(o, rq["desiredAPIVersion"], "cronSpec", "schedule"))
                                         for o in rq["objects"]])
        r = convert(srv, body)
        check("bench %s: every object converted, untouched bytes identical (%d objects)"
              % (name, len(rq["objects"])), r.status == 200 and r.body == want,
              "%d %r" % (r.status, r.body[:400]))


def round_trip_cases(srv):
    req = json.loads(load(os.path.join(BENCH_PAYLOADS, "conversion-100.json")))
    objs = req["request"]["objects"]
    r1 = convert(srv, review("rt-1", "stable.example.com/v1", objs))
    v1 = r1.json()["response"].get("convertedObjects", []) if r1.status == 200 else []
    check("round trip: v1beta1 -> v1 renames cronSpec to schedule",
          len(v1) == len(objs) and all("schedule" in o["spec"] and "cronSpec" not in o["spec"] for o in v1))
    r2 = convert(srv, review("rt-2", "stable.example.com/v1beta1", v1))
    back = r2.json()["response"].get("convertedObjects", []) if r2.status == 200 else []
    check("round trip: v1beta1 -> v1 -> v1beta1 equals the input (parsed)", back == objs)
    check("round trip: ... and byte-identical", r2.status == 200 and
          r2.body == success_bytes("rt-2", [dumps(o) for o in objs]), r2.body[:300])


def mixed_cases(srv):
    req = json.loads(load(os.path.join(BENCH_PAYLOADS, "conversion-100.json")))
    objs = req["request"]["objects"][:10]
    mixed = [o if i % 2 else renamed(o, "stable.example.com/v1", "cronSpec", "schedule")
             for i, o in enumerate(objs)]
    for desired, old, new in (("stable.example.com/v1", "cronSpec", "schedule"),
                              ("stable.example.com/v1beta1", "schedule", "cronSpec")):
        want = [dumps(o) if o["apiVersion"] == desired else dumps(renamed(o, desired, old, new)) for o in mixed]
        r = convert(srv, review("mix", desired, mixed))
        check("mixed batch -> %s: order and count kept, objects already there as is" % desired,
              r.status == 200 and r.body == success_bytes("mix", want), r.body[:300])
    # An object already in the desired version is returned byte for byte,
    # whatever its spacing or escapes.
    raw = (b'{ "kind":"CronTab", "apiVersion" : "stable.example.com\\/v1",'
           b' "spec": {"cronSpec": "\\u002a * * * *"} }')
    body = (b'{"apiVersion":"apiextensions.k8s.io/v1","kind":"ConversionReview","request":{"uid":"as-is",'
            b'"desiredAPIVersion":"stable.example.com/v1","objects":[' + raw + b']}}')
    r = convert(srv, body)
    check("already desired: returned byte for byte", r.status == 200 and r.body == success_bytes("as-is", [raw]),
          r.body[:300])
    esc = (b'{"apiVersion":"stable.example.com\\/v1beta1","kind":"CronTab","spec":{"cron\\u0053pec":"x","a":1}}')
    body = (b'{"apiVersion":"apiextensions.k8s.io/v1","kind":"ConversionReview","request":{"uid":"esc",'
            b'"desiredAPIVersion":"stable.example.com/v1","objects":[' + esc + b']}}')
    r = convert(srv, body)
    check("escaped key \"cron\\u0053pec\" is cronSpec",
          r.status == 200 and r.json()["response"]["convertedObjects"][0]["spec"] == {"schedule": "x", "a": 1},
          r.body[:300])


def failure_cases(srv):
    good = json.loads(load(os.path.join(BENCH_PAYLOADS, "conversion-1.json")))["request"]["objects"][0]
    cases = [
        ("unknown kind", [good, dict(good, kind="CronJob")], "stable.example.com/v1",
         ["object 1", "CronJob", "crontab-001", "no conversion for this kind"]),
        ("unknown version", [dict(good, apiVersion="stable.example.com/v7")], "stable.example.com/v1",
         ["object 0", "CronTab", "crontab-001", "unknown version", "v7"]),
        ("unknown desired version", [good], "stable.example.com/v9", ["object 0", "v9"]),
        ("apiVersion missing", [good, {k: v for k, v in good.items() if k != "apiVersion"}],
         "stable.example.com/v1", ["object 1", "apiVersion missing"]),
        ("object not an object", [good, good, "x"], "stable.example.com/v1", ["object 2", "not a JSON object"]),
    ]
    for what, objs, desired, words in cases:
        f = failure_of(convert(srv, review("f-1", desired, objs)))
        check("Failure: %s names the object, no convertedObjects" % what,
              f is not None and all(w in f[0] for w in words) and not f[1], repr(f))
    body = review("f-2", "stable.example.com/v1", [])
    body["request"]["objects"] = {"not": "an array"}
    f = failure_of(convert(srv, body))
    check("Failure: objects not an array", f is not None and "not an array" in f[0] and not f[1], repr(f))
    for what, body, word in (
            ("not a ConversionReview", dict(review("x", "a/v1", []), kind="AdmissionReview"), "expected"),
            ("v1beta1 ConversionReview", dict(review("x", "a/v1", []), apiVersion="apiextensions.k8s.io/v1beta1"),
             "expected"),
            ("no request.uid", {"apiVersion": "apiextensions.k8s.io/v1", "kind": "ConversionReview",
                                "request": {"desiredAPIVersion": "a/v1", "objects": []}}, "request.uid")):
        r = convert(srv, body)
        check("400: %s" % what, r.status == 400 and word in r.json().get("error", ""), "%d %r" % (r.status, r.body))


def keepalive_case(srv):
    body = load(os.path.join(BENCH_PAYLOADS, "conversion-100.json"))
    s = srv.connect()
    # Go's net/http (the apiserver) sets TCP_NODELAY; without it Python's
    # request tail waits for a delayed ACK (40 ms) and that is all one measures.
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    n, t0, first, same = 200, time.time(), None, 0
    for _ in range(n):
        r = request(s, "POST", "/convert?timeout=30s", body)
        if r.status == 200 and r.body.endswith(b'"result":{"status":"Success"}}}'):
            first = first or r.body
            same += r.body == first
    dt = time.time() - t0
    s.close()
    # The server's own time per review, from its request log ("us"): printed,
    # never asserted (no wall-time assertion in make test).
    us = sorted(json.loads(line).get("us", 0) for line in srv.stdout().splitlines()
                if line.startswith("{") and '"c0de0100-' in line)
    med = us[len(us) // 2] / 1000.0 if us else 0.0
    print("keep-alive conversions: %.2f ms each with the Python client, server median %.2f ms"
          % (1000 * dt / n, med))
    check("keep-alive: %d reviews of 100 objects on one connection, every answer Success and "
          "identical (%d)" % (n, same), same == n)


def bench_check_case(srv):
    script = shared_path("bench", "check.sh")
    if script is None:
        skip("bench/check.sh (validate, mutate, convert)",
             "needs ../shared/bench/check.sh (the shared bench's checker; set SHARED)")
        return
    env = dict(os.environ, CACERT=srv.ca)
    r = subprocess.run(["bash", script, "https://127.0.0.1:%d" % srv.port],
                       env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=120)
    out = r.stdout.decode(errors="replace")
    last = out.strip().splitlines()[-1] if out.strip() else ""
    check("bench/check.sh (validate, mutate, convert): %s" % last,
          r.returncode == 0 and last.endswith(" 0 failed"), out[-1500:])


def offline_case(binary):
    """`tinyhook review` on a ConversionReview prints the /convert answer."""
    r = subprocess.run([binary, "review", "-v", os.path.join(CAPTURED, "convert.json")],
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=30)
    out = r.stdout.decode(errors="replace")
    check("tinyhook review convert.json: exit 0, Success, Widget as v2",
          r.returncode == 0 and '"Success"' in out and "rig.example.com/v2" in out,
          "rc=%d %s %s" % (r.returncode, out[:300], r.stderr[:300]))


GAD_TZ = "gadget.demo.example.com/timeZone"


def gadget(version, spec, meta=None):
    return {"apiVersion": "demo.example.com/" + version, "kind": "Gadget",
            "metadata": dict({"name": "g", "namespace": "ns", "uid": "u-g"}, **(meta or {})), "spec": spec}


def demo_cases(srv):
    def one(desired, obj):
        r = convert(srv, review("d", "demo.example.com/" + desired, [obj]))
        if r.status != 200 or r.json()["response"]["result"]["status"] != "Success":
            return None
        return r.json()["response"]["convertedObjects"][0]

    v1 = gadget("v1", {"schedule": "*/5 * * * *", "timeZone": "Europe/Paris", "suspend": True})
    b = one("v1beta1", v1)
    check("demo: hub-only field kept in an annotation",
          b == gadget("v1beta1", {"cronSpec": "*/5 * * * *", "suspend": True},
                      {"annotations": {GAD_TZ: '"Europe/Paris"'}}), repr(b))
    check("demo: v1 -> v1beta1 -> v1 loses nothing", b is not None and one("v1", b) == v1)
    d = one("v1", gadget("v1beta1", {"cronSpec": "c"}))
    check("demo: default for a field the old version lacks",
          d == gadget("v1", {"schedule": "c", "timeZone": "UTC"}), repr(d))
    a = gadget("v1alpha1", {"config": {"cron": "c"}, "paused": "yes"}, {"labels": {"x": "y"}})
    c = one("v1beta1", a)
    check("demo: v1alpha1 -> v1beta1 through the hub (custom function, move)",
          c is not None and c["spec"].get("cronSpec") == "c" and c["spec"].get("suspend") is True
          and c["metadata"]["labels"] == {"x": "y"} and c["metadata"]["uid"] == "u-g", repr(c))
    back = one("v1alpha1", c) if c else None
    check("demo: ... and back to v1alpha1 (with the timeZone default kept)",
          back == dict(a, metadata=dict(a["metadata"], annotations={GAD_TZ: '"UTC"'})), repr(back))
    f = failure_of(convert(srv, review("d", "demo.example.com/v1", [
        gadget("v1beta1", {}, {"annotations": {GAD_TZ: "not json"}})])))
    check("demo: a hand-broken annotation is a Failure, not bad JSON",
          f is not None and "does not hold JSON" in f[0], repr(f))


def manifest_cases():
    """The CRDs route conversion to /convert, with the versions the table knows."""
    import yaml
    for f, want in (("k8s/crd-crontab.yaml", {"service": {"namespace": "tinyhook", "name": "tinyhook",
                                                           "path": "/convert", "port": 443}}),
                    ("k8s/host/crd-crontab-url.yaml", {"url": "https://127.0.0.1:9443/convert"})):
        with open(os.path.join(ROOT, f)) as fh:
            crd = yaml.safe_load(fh)
        conv = crd["spec"]["conversion"]
        cc = dict(conv["webhook"]["clientConfig"])
        ca = cc.pop("caBundle", None)
        vs = {v["name"]: v for v in crd["spec"]["versions"]}
        check("%s: Webhook conversion, v1 ConversionReview, %s" % (f, list(want)[0]),
              conv["strategy"] == "Webhook" and conv["webhook"]["conversionReviewVersions"] == ["v1"]
              and cc == want and ca and crd["spec"]["group"] == "stable.example.com"
              and crd["spec"]["names"]["kind"] == "CronTab" and set(vs) == {"v1", "v1beta1"}
              and vs["v1"]["storage"] and "schedule" in str(vs["v1"]["schema"])
              and "cronSpec" in str(vs["v1beta1"]["schema"]), repr(conv))


def main():
    manifest_cases()
    binary = build("policies/crontab.h", "crontab")
    demo = build("test/fixtures/convert/convert-demo.h", "convert-demo")
    if binary:
        srv = Server(CERTS, binary=binary)
        try:
            captured_case(srv)
            bench_cases(srv)
            round_trip_cases(srv)
            mixed_cases(srv)
            failure_cases(srv)
            keepalive_case(srv)
            bench_check_case(srv)
        finally:
            check("crontab server exits cleanly on SIGTERM", srv.stop() == 0, srv.stderr()[-500:])
        offline_case(binary)
    if demo:
        srv = Server(CERTS, binary=demo)
        try:
            demo_cases(srv)
        finally:
            srv.stop()
    summary("convert")


if __name__ == "__main__":
    main()
