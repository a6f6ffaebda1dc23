"""review_cli.py: `tinyhook review` as a CI gate, table by table.

Every input form (JSON and YAML objects, multi-document YAML, kind: List and
*List, AdmissionReview, ConversionReview, directories, stdin), mixed files
with one denial anywhere (exit 1 in every order), bad input anywhere (exit 2,
file:line:column, nothing of a bad file reported as passed), the YAML
features manifests use (typed the way kubectl types them: go-yaml v2's YAML
1.1 rules, written out by hand below, not taken from PyYAML, which differs
on y/n and 1e3), the three report formats (JSON and JUnit parsed by real
parsers), --patched (checked against python3-jsonpatch), and a List
streamed in bounded memory. The reference policy denies images outside
registry.example.com/ and objects without an owner label; the default
policy warns.
"""
import itertools
import json
import os
import shutil
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET

import jsonpatch
import yaml

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "fixtures"))
from th import check, summary  # noqa: E402
from policylib import ROOT, build  # noqa: E402

REF = os.environ.get("REVIEW_REF") or build("reference")  # REVIEW_REF: e.g. an ASan build
DEF = build("policy")
TMP = tempfile.mkdtemp(prefix="review-cli-")

GOOD = {"apiVersion": "v1", "kind": "Pod",
        "metadata": {"name": "good", "namespace": "shop", "labels": {"owner": "me", "app": "a"}},
        "spec": {"containers": [{"name": "c", "image": "registry.example.com/shop:1"}]}}
BAD = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "bad", "namespace": "shop"},
       "spec": {"containers": [{"name": "c", "image": "nginx:latest"}]}}
CM = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "cm"}, "data": {"a": "b"}}
DEPLOY_BAD = {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web", "labels": {"owner": "x"}},
              "spec": {"template": {"metadata": {"labels": {"a": "b"}},
                                    "spec": {"containers": [{"name": "c", "image": "docker.io/web:1"}]}}}}


def named(o, name):
    o = json.loads(json.dumps(o))
    o["metadata"]["name"] = name
    return o


def write(name, content):
    path = os.path.join(TMP, name)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        f.write(content.encode() if isinstance(content, str) else content)
    return path


def j(o):
    return json.dumps(o, indent=2)


def y(*docs):
    return "".join("---\n" + yaml.safe_dump(d, sort_keys=False) for d in docs)


def run(binary, args, stdin=None, timeout=60):
    p = subprocess.run([binary, "review"] + args, input=stdin.encode() if isinstance(stdin, str) else stdin,
                       capture_output=True, timeout=timeout, cwd=TMP)
    return p.returncode, p.stdout.decode(errors="replace"), p.stderr.decode(errors="replace")


def lines(out):
    """The verdict lines: (verdict, kind, ns/name, source)."""
    rows = []
    for line in out.splitlines():
        parts = line.split()
        if parts and parts[0] in ("PASS", "WARN", "DENY", "SKIP"):
            rows.append(tuple(parts[:4]))
        elif parts and parts[0] == "ERROR":
            rows.append(("ERROR", parts[1].rstrip(":")))
    return rows


LIST = {"apiVersion": "v1", "kind": "List", "metadata": {"resourceVersion": ""},
        "items": [named(GOOD, "g1"), named(BAD, "b1"), named(GOOD, "g2")]}
POD_LIST = dict(LIST, kind="PodList")
CAPTURED = os.path.join(os.environ.get("SHARED", os.path.join(ROOT, "..", "shared")), "payloads",
                        "apiserver-v1.36")
ADM = {"apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview",
       "request": {"uid": "u-1", "kind": {"group": "", "version": "v1", "kind": "Pod"},
                   "resource": {"group": "", "version": "v1", "resource": "pods"},
                   "operation": "CREATE", "namespace": "shop", "name": "bad", "userInfo": {"username": "x"},
                   "object": BAD, "oldObject": None, "dryRun": False}}
CONV = {"apiVersion": "apiextensions.k8s.io/v1", "kind": "ConversionReview",
        "request": {"uid": "c-1", "desiredAPIVersion": "stable.example.com/v1",
                    "objects": [{"apiVersion": "stable.example.com/v1beta1", "kind": "CronTab",
                                 "metadata": {"name": "ct", "namespace": "ns", "uid": "u"},
                                 "spec": {"cronSpec": "* * * * *", "image": "x"}}]}}

# name, files {path: content}, args (paths relative to TMP), stdin, exit code, expected rows
FORMS = [
    ("bare JSON object, allowed", {"f/good.json": j(GOOD)}, ["f/good.json"], None, 0,
     [("PASS", "Pod", "shop/good", "f/good.json:1")]),
    ("bare JSON object, denied", {"f/bad.json": j(BAD)}, ["f/bad.json"], None, 1,
     [("DENY", "Pod", "shop/bad", "f/bad.json:1")]),
    ("bare YAML object", {"f/bad.yaml": y(BAD)}, ["f/bad.yaml"], None, 1,
     [("DENY", "Pod", "shop/bad", "f/bad.yaml:1")]),
    ("a .yml file", {"f/good.yml": y(GOOD)}, ["f/good.yml"], None, 0,
     [("PASS", "Pod", "shop/good", "f/good.yml:1")]),
    ("kind: List in JSON: every item, the denied one denies", {"f/list.json": j(LIST)}, ["f/list.json"], None, 1,
     [("PASS", "Pod", "shop/g1", "f/list.json:1/items/0"), ("DENY", "Pod", "shop/b1", "f/list.json:1/items/1"),
      ("PASS", "Pod", "shop/g2", "f/list.json:1/items/2")]),
    ("kind: List in compact JSON", {"f/listc.json": json.dumps(LIST)}, ["f/listc.json"], None, 1,
     [("PASS", "Pod", "shop/g1", "f/listc.json:1/items/0"), ("DENY", "Pod", "shop/b1", "f/listc.json:1/items/1"),
      ("PASS", "Pod", "shop/g2", "f/listc.json:1/items/2")]),
    ("PodList in YAML", {"f/list.yaml": y(POD_LIST)}, ["f/list.yaml"], None, 1,
     [("PASS", "Pod", "shop/g1", "f/list.yaml:1/items/0"), ("DENY", "Pod", "shop/b1", "f/list.yaml:1/items/1"),
      ("PASS", "Pod", "shop/g2", "f/list.yaml:1/items/2")]),
    ("List items after kind, in JSON", {"f/list2.json": json.dumps({"kind": "DeploymentList", "apiVersion": "apps/v1",
                                                                    "items": [DEPLOY_BAD]})}, ["f/list2.json"], None, 1,
     [("DENY", "Deployment", "default/web", "f/list2.json:1/items/0")]),
    ("empty List", {"f/empty-list.json": json.dumps({"apiVersion": "v1", "kind": "List", "items": []})},
     ["f/empty-list.json"], None, 0, []),
    ("AdmissionReview as is", {"f/adm.json": j(ADM)}, ["f/adm.json"], None, 1,
     [("DENY", "Pod", "shop/bad", "f/adm.json:1")]),
    ("ConversionReview through /convert", {"f/conv.json": j(CONV)}, ["f/conv.json"], None, 0,
     [("PASS", "ConversionReview", "c-1", "f/conv.json:1")]),
    ("multi-document YAML, comments and empty documents skipped",
     {"f/multi.yaml": "# leading comment\n" + y(GOOD) + "---\n# only a comment\n---\n" + y(CM) + "---\n...\n"},
     ["f/multi.yaml"], None, 0,
     [("PASS", "Pod", "shop/good", "f/multi.yaml:1"), ("SKIP", "ConfigMap", "default/cm", "f/multi.yaml:4")]),
    ("concatenated JSON objects", {"f/stream.json": json.dumps(GOOD) + "\n" + json.dumps(CM) + "\n"},
     ["f/stream.json"], None, 0,
     [("PASS", "Pod", "shop/good", "f/stream.json:1"), ("SKIP", "ConfigMap", "default/cm", "f/stream.json:2")]),
    ("a directory, recursively, in name order, *.txt ignored",
     {"d/b.yaml": y(named(GOOD, "b")), "d/a/x.json": j(named(GOOD, "ax")), "d/c.yml": y(named(BAD, "c")),
      "d/notes.txt": "not a manifest", "d/.hidden.yaml": y(BAD)},
     ["d"], None, 1,
     [("PASS", "Pod", "shop/ax", "d/a/x.json:1"), ("PASS", "Pod", "shop/b", "d/b.yaml:1"),
      ("DENY", "Pod", "shop/c", "d/c.yml:1")]),
    ("JSON with a byte order mark", {"f/bom.json": "\ufeff" + json.dumps(GOOD)}, ["f/bom.json"], None, 0,
     [("PASS", "Pod", "shop/good", "f/bom.json:1")]),
    ("YAML with a byte order mark", {"f/bom.yaml": "\ufeff" + y(BAD)}, ["f/bom.yaml"], None, 1,
     [("DENY", "Pod", "shop/bad", "f/bom.yaml:1")]),
    ("stdin JSON (no path)", {}, [], json.dumps(BAD), 1, [("DENY", "Pod", "shop/bad", "(stdin):1")]),
    ("stdin YAML (-)", {}, ["-"], y(GOOD, CM), 0,
     [("PASS", "Pod", "shop/good", "(stdin):1"), ("SKIP", "ConfigMap", "default/cm", "(stdin):2")]),
    ("--namespace overrides", {"f/good.json": j(GOOD)}, ["--namespace", "prod", "f/good.json"], None, 0,
     [("PASS", "Pod", "prod/good", "f/good.json:1")]),
    ("generateName shown when there is no name",
     {"f/gen.yaml": y({"apiVersion": "v1", "kind": "Pod", "metadata": {"generateName": "job-", "labels": {"owner": "o"}},
                       "spec": {"containers": [{"name": "c", "image": "registry.example.com/j:1"}]}})},
     ["f/gen.yaml"], None, 0, [("PASS", "Pod", "default/job-*", "f/gen.yaml:1")]),
]

for name, files, args, stdin, code, rows in FORMS:
    for p, c in files.items():
        write(p, c)
    rc, out, err = run(REF, args, stdin)
    check("form: %s: exit %d" % (name, code), rc == code, "rc=%d\n%s%s" % (rc, out, err))
    check("form: %s: one line per object" % name, lines(out) == rows, "%r\n%s" % (lines(out), out))
    n = len(rows)
    check("form: %s: summary" % name, ("%d objects: " % n) in out.splitlines()[-1] if out else False, out)

# One denial anywhere among several files: exit 1 whatever the order, every file reported.
write("mix/good.yaml", y(GOOD))
write("mix/good.json", j(named(GOOD, "g-json")))
write("mix/bad.yaml", y(BAD))
write("mix/list.json", j({"apiVersion": "v1", "kind": "List", "items": [named(GOOD, "l1")]}))
for order in itertools.permutations(["mix/good.yaml", "mix/good.json", "mix/bad.yaml", "mix/list.json"]):
    rc, out, err = run(REF, list(order))
    got = lines(out)
    check("mixed files %s: exit 1, 5 objects, 1 denied" % " ".join(os.path.basename(o) for o in order),
          rc == 1 and len(got) == 4 and sum(r[0] == "DENY" for r in got) == 1 and
          "4 objects: 3 passed, 1 denied" in out, "rc=%d %s" % (rc, out))

# Bad input anywhere: exit 2, the error names file:line:column, a bad file's passes are not reported.
BAD_DOC3 = y(GOOD, BAD) + "---\napiVersion: v1\nkind: Pod\nmetadata:\n  name: x\n   bad: indent\n"
BAD_LINE = BAD_DOC3.splitlines().index("   bad: indent") + 1
BADS = [
    ("multi-doc YAML with a bad 3rd document", "b/multi.yaml", BAD_DOC3, "b/multi.yaml:%d:7:" % BAD_LINE,
     "mapping values are not allowed", [("DENY", "Pod", "shop/bad", "b/multi.yaml:2")]),
    ("JSON syntax error", "b/syntax.json", '{"apiVersion": "v1", "kind": "Pod",\n  "metadata": {"name": tru}}',
     "b/syntax.json:2:24:", "invalid JSON", []),
    ("a List with a missing comma between items", "b/comma.json",
     '{"kind":"List","apiVersion":"v1","items":[\n' + json.dumps(GOOD) + "\n" + json.dumps(GOOD) + "]}",
     "b/comma.json:3:1:", "expected ','", []),
    ("an unclosed object", "b/open.json", json.dumps(GOOD)[:-5], "b/open.json:1:", "not closed", []),
    ("top-level items but not a List", "b/items.json", json.dumps({"apiVersion": "v1", "kind": "Pod",
                                                                    "items": [GOOD]}),
     "b/items.json:1:1:", "not a List", []),
    ("an object without kind", "b/nokind.yaml", "apiVersion: v1\nmetadata: {name: x}\n", "b/nokind.yaml:1:1:",
     "apiVersion and kind", []),
    ("a YAML scalar document", "b/scalar.yaml", "just text\n", "b/scalar.yaml:1:1:", "not an object", []),
    ("a YAML sequence document", "b/seq.yaml", "- a\n- b\n", "b/seq.yaml:1:1:", "not an object", []),
    (".inf has no JSON form", "b/inf.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\ndata:\n  a: .inf\n",
     "b/inf.yaml:5:6:", ".inf", []),
    ("an unknown alias", "b/alias.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: *nope}\n",
     "b/alias.yaml:3:18:", "unknown anchor", []),
    ("a review the engine refuses (containers not a list)", "b/shape.json",
     json.dumps({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "x", "labels": {"owner": "o"}},
                 "spec": {"containers": {"name": "c"}}}), "b/shape.json:1:1:", "refused (HTTP 400)", []),
    ("an empty file", "b/empty.json", "", "b/empty.json:", "empty input", []),
    ("a file of blank lines", "b/blank.yaml", "\n\n# nothing\n", "b/blank.yaml:", "empty input", []),
]
for name, path, content, where, msg, rows in BADS:
    write(path, content)
    rc, out, err = run(REF, ["mix/good.yaml", path])
    got = lines(out)
    errs = [l for l in out.splitlines() if l.startswith("ERROR")]
    check("bad input: %s: exit 2" % name, rc == 2, "rc=%d %s" % (rc, out))
    check("bad input: %s: error at %s" % (name, where), len(errs) == 1 and (" " + where) in errs[0] and msg in errs[0],
          out)
    check("bad input: %s: only the good file's object and the bad file's denials" % name,
          [r for r in got if r[0] != "ERROR"] == [("PASS", "Pod", "shop/good", "mix/good.yaml:1")] + rows, got)

ENV_ERRS = [
    ("a directory without manifests", ["emptydir"], "emptydir: a directory without manifests"),
    ("an unreadable (missing) file", ["nothere.yaml"], "nothere.yaml: cannot read: No such file"),
    ("a file over --max-file-size", ["--max-file-size", "1Ki", "big.json"],
     "big.json: larger than 1024 bytes; --max-file-size raises the limit"),
    ("an object over --max-object-size", ["--max-object-size", "2Ki", "big.json"],
     "an object larger than 2048 bytes; --max-object-size raises the limit"),
    ("a List item over --max-object-size", ["--max-object-size", "2Ki", "biglist.json"],
     "an object larger than 2048 bytes; --max-object-size raises the limit"),
]
os.makedirs(os.path.join(TMP, "emptydir", "sub"), exist_ok=True)
write("emptydir/sub/readme.txt", "x")
big = named(CM, "big")
big["data"] = {"k%d" % i: "v" * 100 for i in range(40)}
write("big.json", j(big))
write("biglist.json", j({"apiVersion": "v1", "kind": "List", "items": [GOOD, big]}))
for name, args, msg in ENV_ERRS:
    rc, out, err = run(REF, args)
    check("input error: %s: exit 2 and says so" % name, rc == 2 and msg in out, "rc=%d %s %s" % (rc, out, err))
rc, out, err = run(REF, ["--max-object-size", "1Mi", "big.json"])
check("--max-object-size raises the limit", rc == 0 and "SKIP" in out, out)

# YAML features, typed as kubectl types them (go-yaml v2 / YAML 1.1), seen through --json.
FEATURES = """apiVersion: v1
kind: ConfigMap
metadata:
  name: features   # a comment after a value
  labels: &labels
    app: web
    tier: "1"
# a comment line
data:
  literal: |
    line one
      indented
    last
  literal_strip: |-
    no newline
  folded: >
    folded
    text

    para
  folded_keep: >+
    kept

  quoted_num: "0755"
  plain_num: 0755
  single: 'yes'
  plain_yes: yes
  plain_y: y
  plain_on: On
  plain_null: ~
  empty:
  hex: 0x1F
  sci: 1e3
  float: 1.50
  under: 1_000
  big: 18446744073709551615
  date: 2001-12-14
  tagged_str: !!str 42
  tagged_int: !!int "42"
  colon: "a: b"
  url: http://x.example.com:80/p#frag
  alias: *labels
  merged:
    <<: *labels
    tier: two
  merged_list:
    <<: [{a: 1, b: 1}, {a: 2, c: 2}]
    a: 3
  early:
    app: before
    <<: *labels
  flow: {a: [1, "two", {three: 3}], b: []}
  1: int key
  yes: bool key
  1.5: float key
"""
WANT = {"literal": "line one\n  indented\nlast\n", "literal_strip": "no newline", "folded": "folded text\npara\n",
        "folded_keep": "kept\n\n", "quoted_num": "0755", "plain_num": 493, "single": "yes", "plain_yes": True,
        "plain_y": True, "plain_on": True, "plain_null": None, "empty": None, "hex": 31, "sci": 1000, "float": 1.5,
        "under": 1000, "big": 18446744073709551615, "date": "2001-12-14", "tagged_str": "42", "tagged_int": 42,
        "colon": "a: b", "url": "http://x.example.com:80/p#frag", "alias": {"app": "web", "tier": "1"},
        "merged": {"app": "web", "tier": "two"}, "merged_list": {"a": 3, "b": 1, "c": 2},
        "early": {"app": "web", "tier": "1"}, "flow": {"a": [1, "two", {"three": 3}], "b": []},
        "1": "int key", "true": "bool key", "1.5": "float key"}
write("feat/features.yaml", FEATURES)
rc, out, err = run(DEF, ["--json", "feat/features.yaml"])
try:
    obj = json.loads(out.splitlines()[0])["object"]
except (ValueError, IndexError, KeyError) as e:
    obj = {"error": repr(e)}
check("YAML features: reviewed (exit 0)", rc == 0, "rc=%d %s %s" % (rc, out[:300], err))
check("YAML features: metadata and labels", obj.get("metadata") == {"name": "features", "labels": {"app": "web", "tier": "1"}},
      obj.get("metadata"))
data = obj.get("data", {})
for k, v in WANT.items():
    check("YAML feature %s -> %s" % (k, json.dumps(v)), k in data and data[k] == v and type(data[k]) is type(v),
          "got %r" % (data.get(k, "(missing)"),))
check("YAML features: nothing more", sorted(data) == sorted(WANT), sorted(set(data) ^ set(WANT)))

# A billion laughs stops at the output limit, quickly and in little memory.
LOL = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: lol}\ndata:\n  a: &a [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n"
prev = "a"
for c in "bcdefghi":
    LOL += "  %s: &%s [%s]\n" % (c, c, ",".join(["*" + prev] * 9))
    prev = c
write("lol.yaml", LOL)
rc, out, err = run(REF, ["lol.yaml"], timeout=20)
check("billion laughs: exit 2 naming the limit", rc == 2 and "expands to more than" in out and
      "--max-object-size" in out, out)
check("anchor inside itself is an error", run(REF, ["-"], "a: &x [*x]\n")[0] == 2)

# -o json: one record per object, parsed and checked; the patch applies with jsonpatch.
write("out/list.json", j(LIST))
write("out/cm.yaml", y(CM))
rc, out, err = run(REF, ["-o", "json", "out/list.json", "out/cm.yaml"])
try:
    rep = json.loads(out)
except ValueError as e:
    rep = {"error": str(e)}
res = rep.get("results", [])
check("-o json: parses, exit 1", rc == 1 and isinstance(res, list), out[:300])
check("-o json: summary", rep.get("summary") == {"objects": 4, "passed": 2, "denied": 1, "warned": 0,
                                                  "skipped": 1, "errors": 0}, rep.get("summary"))
check("-o json: verdicts in order", [r.get("verdict") for r in res] == ["PASS", "DENY", "PASS", "SKIP"], res)
check("-o json: fields", res and res[1].get("kind") == "Pod" and res[1].get("name") == "b1" and
      res[1].get("namespace") == "shop" and res[1].get("item") == 1 and res[1].get("document") == 1 and
      "registry.example.com/" in (res[1].get("message") or "") and res[1].get("source") == "out/list.json:1/items/1",
      res[1:2])
check("-o json: policy named", rep.get("policy", {}).get("name") == "reference", rep.get("policy"))
for r in res[:3]:
    item = LIST["items"][r.get("item", 0)]
    ops = r.get("patch")
    ok = isinstance(ops, list) and ops
    if ok:
        patched = jsonpatch.apply_patch(json.loads(json.dumps(item)), ops)
        ok = patched["metadata"]["labels"].get("environment") == "development"
    check("-o json: %s's patch applies (python3-jsonpatch)" % r.get("name"), ok, ops)
check("-o json: a SKIP has no patch", res and res[-1].get("patch") is None, res[-1:])
rc, out, err = run(REF, ["-o", "json", "b/syntax.json"])
try:
    rep = json.loads(out)
    e = rep["results"][0]
    ok = rc == 2 and e["verdict"] == "ERROR" and e["line"] == 2 and e["column"] == 24 and rep["summary"]["errors"] == 1
except (ValueError, KeyError, IndexError):
    ok = False
check("-o json: an error record with line and column", ok, out)

# -o junit, parsed by a real XML parser.
write("out/evil.yaml", y(named(BAD, "evil<&>\"'")))
rc, out, err = run(REF, ["-o", "junit", "out/list.json", "out/cm.yaml", "out/evil.yaml", "b/syntax.json"])
try:
    root = ET.fromstring(out)
    suite = root.find("testsuite")
    cases = suite.findall("testcase")
    ok = (root.tag == "testsuites" and root.get("tests") == "6" and root.get("failures") == "2" and
          root.get("errors") == "1" and root.get("skipped") == "1" and len(cases) == 6)
except ET.ParseError as e:
    ok, cases = False, []
    out += repr(e)
check("-o junit: parses; 6 cases, 2 failures, 1 error, 1 skipped; exit 2", ok and rc == 2, out[:600])
names = [c.get("name") for c in cases]
check("-o junit: a failure per denial with its message",
      [c.find("failure").get("message")[:30] for c in cases if c.find("failure") is not None] and
      all("registry.example.com/" in c.find("failure").get("message") for c in cases if c.find("failure") is not None),
      names)
check("-o junit: hostile names escaped", any("evil<&>\"'" in (n or "") for n in names), names)
check("-o junit: skipped and error elements", sum(c.find("skipped") is not None for c in cases) == 1 and
      sum(c.find("error") is not None for c in cases) == 1, names)

# Exit codes: --warn-exit-code as kyverno has it (the default policy only warns).
write("w/latest.yaml", y({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "l"},
                          "spec": {"containers": [{"name": "c", "image": "nginx"}]}}))
rc, out, err = run(DEF, ["w/latest.yaml"])
check("a warning alone exits 0", rc == 0 and out.startswith("WARN"), out)
rc, out, err = run(DEF, ["--warn-exit-code", "3", "w/latest.yaml"])
check("--warn-exit-code 3: exit 3", rc == 3, out)
rc, out, err = run(REF, ["--warn-exit-code", "3", "mix/bad.yaml"])
check("--warn-exit-code does not hide a denial (exit 1)", rc == 1, out)
rc, out, err = run(REF, ["--warn-exit-code", "x", "mix/bad.yaml"])
check("a bad flag value: exit 2 with usage", rc == 2 and "usage" in err, err)
rc, out, err = run(REF, ["--bogus"])
check("an unknown flag: exit 2", rc == 2 and "unknown flag" in err, err)
rc, out, err = run(REF, ["--help"])
check("--help: usage on stdout, exit 0", rc == 0 and "usage: tinyhook review" in out, out)

# --patched: the objects as the patch leaves them; YAML for YAML input, JSON lines otherwise.
rc, out, err = run(REF, ["--patched", "out/list.json"])
want = []
for item in LIST["items"]:
    r2 = run(REF, ["-o", "json", "-"], json.dumps(item))[1]
    want.append(jsonpatch.apply_patch(json.loads(json.dumps(item)), json.loads(r2)["results"][0]["patch"]))
try:
    got = [json.loads(l) for l in out.splitlines()]
except ValueError:
    got = None
check("--patched (JSON): one JSON line per object, equal to python3-jsonpatch's result", got == want,
      "%s\n%s" % (out[:500], err))
check("--patched: the report goes to stderr", "3 objects: 2 passed, 1 denied" in err and rc == 1, err)
rc, out, err = run(REF, ["--patched", "f/list.yaml"])
try:
    docs = list(yaml.safe_load_all(out))
except yaml.YAMLError as e:
    docs = repr(e)
check("--patched (YAML): YAML documents, equal to python3-jsonpatch's result", docs == want,
      "%s\n%s" % (out[:500], err))
tricky = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "t", "labels": {"owner": "o"}},
          "data": {"a": "yes", "b": "0755", "c": "1e3", "d": "~", "e": "", "f": "- x", "g": "a: b", "h": "#x",
                   "i": "line\nbreak", "j": "tab\there", "k": " lead", "l": "trail ", "m": "é\u0085x", "nn": "<<",
                   "o": "null", "p": "@x", "q": "x #y", "r": "\u00e9t\u00e9", "s": "*a", "t": "!t", "u": "%x"}}
# Written as JSON (a YAML flow mapping, every string quoted): PyYAML's own
# output would leave 1e3 and n plain, which go-yaml (kubectl) reads as 1000, false.
write("t/tricky.yaml", json.dumps(tricky))
rc, out, err = run(REF, ["--patched", "t/tricky.yaml"])
try:
    back = yaml.safe_load(out)
except yaml.YAMLError as e:
    back = repr(e)
rc2, out2, err2 = run(REF, ["--json", "-"], out)
try:
    ours = json.loads(out2.split("\n")[0])["object"]
except (ValueError, IndexError, KeyError):
    ours = None
check("--patched (YAML): strings that look like other types stay strings (PyYAML reads them back)",
      isinstance(back, dict) and back.get("data") == tricky["data"], out)
check("--patched (YAML): and tinyhook reads its own output back to the same object",
      ours is not None and ours.get("data") == tricky["data"], out2[:400])

# -v keeps the detailed answers; --json gives them as JSON, one object per line.
rc, out, err = run(REF, ["-v", "mix/bad.yaml"])
check("-v: the /mutate and /validate answers, then the verdict", "# validate (HTTP 200)" in out and
      "# patched object" in out and "DENY  Pod shop/bad" in out and rc == 1, out[:400])
rc, out, err = run(REF, ["--json", "out/list.json"])
try:
    det = [json.loads(l) for l in out.splitlines()]
except ValueError:
    det = []
check("--json: one detail object per object", len(det) == 3 and det[1]["validate"]["response"]["allowed"] is False
      and det[0]["object"]["metadata"]["labels"]["environment"] == "development", out[:300])

# A big List is streamed: memory stays far below the input's size (not a timing test).
n = 3000
items = []
for i in range(n):
    p = named(GOOD if i % 3 else BAD, "p%05d" % i)
    p["metadata"]["annotations"] = {"note": "x" * 4000}
    items.append(p)
write("big/pods.json", json.dumps({"apiVersion": "v1", "kind": "List", "items": items}, indent=4))
size = os.path.getsize(os.path.join(TMP, "big/pods.json"))
p = subprocess.run(["/usr/bin/time", "-f", "%M", REF, "review", "big/pods.json"], cwd=TMP,
                   capture_output=True, timeout=120)
out = p.stdout.decode()
try:
    peak = int(p.stderr.decode().strip().splitlines()[-1])
except (ValueError, IndexError):
    peak = 1 << 30
check("a %d-pod List (%d MB): every item reviewed" % (n, size >> 20),
      p.returncode == 1 and "%d objects: %d passed, %d denied" % (n, n - n // 3, n // 3) in out, out[-300:])
check("a %d MB List is streamed: peak RSS %d KiB stays under a third of it" % (size >> 20, peak),
      peak < size / 1024 / 3, "peak %d KiB for %d bytes" % (peak, size))

# make YAML=0: JSON still works, YAML says it is not built in.
p = subprocess.run(["make", "-s", "YAML=0", "POLICY=policies/reference.h", "build/reference-noyaml/tinyhook"],
                   cwd=ROOT, capture_output=True, timeout=900)
NOYAML = os.path.join(ROOT, "build/reference-noyaml/tinyhook")
if check("make YAML=0 builds", p.returncode == 0, p.stderr[-500:]):
    rc, out, err = run(NOYAML, ["f/list.json"])
    check("YAML=0: JSON is reviewed", rc == 1 and "3 objects" in out, out)
    rc, out, err = run(NOYAML, ["f/bad.yaml"])
    check("YAML=0: YAML input says it is not built in (exit 2)", rc == 2 and "not built into" in out, out)

shutil.rmtree(TMP, ignore_errors=True)
summary("review_cli")
