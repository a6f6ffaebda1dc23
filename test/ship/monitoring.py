#!/usr/bin/python3
"""monitoring.py: k8s/monitoring/ is sound.

- The PrometheusRule's groups pass `promtool check rules`, and
  `promtool test rules` on synthetic series: for every alert a case where it
  fires and one where it stays quiet (the table CASES below).
- The latency alert's threshold is the timeoutSeconds `tinyhook manifests`
  renders (the apiserver's patience).
- Every metric name the rules and the Grafana dashboard query is one a
  running tinyhook's /metrics exposes (after a few reviews), and every label
  they group or filter by is on those series or added by Prometheus.
- Every dashboard query is valid PromQL (promtool, as recording rules).
- The ServiceMonitor selects the Service's labels and port; the kustomization
  renders the dashboard ConfigMap for Grafana's sidecar.
Needs promtool (Debian's prometheus package, in TEST_DEBS); kubectl optional.
"""
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

import yaml

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
from th import ROOT, TINYHOOK, Server, check, mkcerts, post, request, summary  # noqa: E402

MON = os.path.join(ROOT, "k8s", "monitoring")
# Labels Prometheus itself puts on scraped series (ServiceMonitor targets).
TARGET_LABELS = {"job", "namespace", "pod", "instance", "service", "endpoint", "container"}
PROM_NAMES = {"up"}
SERIES = 'job="tinyhook",namespace="tinyhook",pod="tinyhook-a"'

# One row per promtool case: (alert, eval time, input series, fires?)
# series values use promtool's expanding notation (a+bxN: N steps of b).
REQ = "tinyhook_requests_total{%s,path=\"/validate\",decision=\"%s\"}"
BUCKET = "tinyhook_request_duration_seconds_bucket{%s,path=\"/validate\",le=\"%s\"}"


def req(decision, values):
    return (REQ % (SERIES, decision), values)


def buckets(counts):
    return [(BUCKET % (SERIES, le), v) for le, v in counts]


CASES = [
    ("TinyhookDown", "10m", [("up{%s}" % SERIES, "1 1 0x20")], True),
    ("TinyhookDown", "10m", [("up{%s}" % SERIES, "1x20")], False),
    ("TinyhookDown", "10m", [("tinyhook_build_info{%s}" % SERIES, "1x20")], True),  # never scraped: absent
    ("TinyhookReplicaDown", "20m", [("up{%s}" % SERIES, "1 0x30")], True),
    ("TinyhookReplicaDown", "20m", [("up{%s}" % SERIES, "1 0x5 1x30")], False),
    ("TinyhookErrors", "20m", [req("allowed", "0+100x30"), req("error", "0+5x30")], True),
    ("TinyhookErrors", "20m", [req("allowed", "0+1000x30"), req("error", "0+5x30")], False),  # 0.5%
    ("TinyhookSlow", "15m", buckets([("0.001", "0+80x20"), ("5", "0+90x20"), ("10", "0+100x20"),
                                     ("+Inf", "0+100x20")]), True),
    ("TinyhookSlow", "15m", buckets([("0.001", "0+99x20"), ("0.01", "0+100x20"), ("5", "0+100x20"),
                                     ("10", "0+100x20"), ("+Inf", "0+100x20")]), False),
    ("TinyhookCertificateExpiresSoon", "3h",
     [("tinyhook_certificate_expiry_timestamp_seconds{%s}" % SERIES, "%dx300" % (10 * 86400))], True),
    ("TinyhookCertificateExpiresSoon", "3h",
     [("tinyhook_certificate_expiry_timestamp_seconds{%s}" % SERIES, "%dx300" % (30 * 86400))], False),
    ("TinyhookCertificateExpiresSoon", "3h",  # no certificate loaded yet: 0, not "expired"
     [("tinyhook_certificate_expiry_timestamp_seconds{%s}" % SERIES, "0x300")], False),
    ("TinyhookCertificateProblem", "10m",
     [("tinyhook_certificate_problem{%s,problem=\"no_san\"}" % SERIES, "1x20")], True),
    ("TinyhookCertificateProblem", "10m",
     [("tinyhook_certificate_problem{%s,problem=\"expiring_soon\"}" % SERIES, "1x20")], False),
    # Denials: a spike after a quiet hour, after none at all, a steady rate,
    # a rise under 3x, and a spike of under 10.
    ("TinyhookDenialSpike", "100m", [req("denied", "0+1x80 81+5x30")], True),
    ("TinyhookDenialSpike", "100m", [req("denied", "_x80 0+5x30")], True),
    ("TinyhookDenialSpike", "100m", [req("denied", "0+5x120")], False),
    ("TinyhookDenialSpike", "100m", [req("denied", "0+2x80 160+5x30")], False),
    ("TinyhookDenialSpike", "100m", [req("denied", "_x80 0 0 0 0 0 0 0 0 0 0 0 0 0 1 2 3 4 5 6 7 8x20")], False),
    ("TinyhookBusy", "10m", [("tinyhook_busy_refusals_total{%s}" % SERIES, "0 0 3x20")], True),
    ("TinyhookBusy", "10m", [("tinyhook_busy_refusals_total{%s}" % SERIES, "0x20")], False),
]


def run(cmd, **kw):
    return subprocess.run(cmd, capture_output=True, text=True, timeout=120, **kw)


def docs(path):
    with open(path) as f:
        return [d for d in yaml.safe_load_all(f) if d]


def expected_alert(rule):
    labels = {"alertname": rule["alert"], "job": "tinyhook", "namespace": "tinyhook"}
    labels.update(rule.get("labels", {}))
    if rule["alert"] in ("TinyhookReplicaDown", "TinyhookCertificateExpiresSoon",
                         "TinyhookCertificateProblem"):
        labels["pod"] = "tinyhook-a"          # per-series alerts keep the pod
    if rule["alert"] == "TinyhookCertificateProblem":
        labels["problem"] = "no_san"
    return {"exp_labels": labels, "exp_annotations": rule.get("annotations", {})}


def promtool_tests(tmp, rules_file, rules):
    byname = {r["alert"]: r for r in rules}
    tests = []
    for alert, at, series, fires in CASES:
        exp = [expected_alert(byname[alert])] if fires else []
        if fires and alert == "TinyhookDown" and series[0][0].startswith("tinyhook_build_info"):
            exp[0]["exp_labels"] = {"alertname": alert, "job": "tinyhook",
                                    **byname[alert].get("labels", {})}
        tests.append({"interval": "1m",
                      "input_series": [{"series": s, "values": v} for s, v in series],
                      "alert_rule_test": [{"eval_time": at, "alertname": alert, "exp_alerts": exp}]})
    path = os.path.join(tmp, "rules_test.yaml")
    with open(path, "w") as f:
        yaml.safe_dump({"rule_files": [os.path.basename(rules_file)], "evaluation_interval": "1m",
                        "tests": tests}, f, sort_keys=False)
    return path


def exposed(certs):
    """Metric names -> label names, from a running server after reviews."""
    review = {"apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview", "request": {
        "uid": "0b7c8e4e-1111-4c4c-9a9a-000000000001",
        "kind": {"group": "", "version": "v1", "kind": "Pod"},
        "resource": {"group": "", "version": "v1", "resource": "pods"},
        "requestKind": {"group": "", "version": "v1", "kind": "Pod"},
        "requestResource": {"group": "", "version": "v1", "resource": "pods"},
        "namespace": "default", "operation": "CREATE", "userInfo": {"username": "t"},
        "dryRun": False, "oldObject": None, "options": None,
        "object": {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p", "namespace": "default"},
                   "spec": {"containers": [{"name": "c", "image": "nginx:latest"}]}}}}
    body = json.dumps(review).encode()
    srv = Server(certs)
    try:
        for path in ("/validate", "/mutate", "/validate"):
            post(srv, path, body)
        post(srv, "/validate", b"{not json")
        s = srv.connect()
        r = request(s, "GET", "/metrics")
        s.close()
        text = r.body.decode()
    finally:
        srv.stop()
    names = {}
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        m = re.match(r"([a-zA-Z_:][a-zA-Z0-9_:]*)(\{([^}]*)\})?\s", line)
        if m:
            labels = set(re.findall(r'([a-zA-Z_]\w*)="', m.group(3) or ""))
            names.setdefault(m.group(1), set()).update(labels)
    return names, text


def query_names(expr):
    """Metric names and label names an expression uses."""
    bare = re.sub(r'"[^"]*"', '""', expr)
    words = set(re.findall(r"\b([a-zA-Z_:][a-zA-Z0-9_:]*)\b", bare))
    metrics = {w for w in words if w.startswith("tinyhook_") or w in PROM_NAMES}
    labels = set(re.findall(r"\b([a-zA-Z_]\w*)\s*(?:=~|!=|!~|=)\s*\"", expr))
    for group in re.findall(r"\b(?:by|without)\s*\(([^)]*)\)", expr):
        labels |= {x.strip() for x in group.split(",") if x.strip()}
    return metrics, labels


def main():
    if not shutil.which("promtool"):
        check("promtool installed (apt-get install -y prometheus)", False)
        summary("monitoring")
    tmp = tempfile.mkdtemp()
    try:
        rule_doc = docs(os.path.join(MON, "prometheusrule.yaml"))[0]
        check("PrometheusRule monitoring.coreos.com/v1",
              rule_doc["kind"] == "PrometheusRule" and rule_doc["apiVersion"] == "monitoring.coreos.com/v1")
        rules_file = os.path.join(tmp, "rules.yaml")
        with open(rules_file, "w") as f:
            yaml.safe_dump(rule_doc["spec"], f)
        r = run(["promtool", "check", "rules", rules_file])
        check("promtool check rules", r.returncode == 0, r.stdout + r.stderr)
        rules = [x for g in rule_doc["spec"]["groups"] for x in g["rules"]]
        alerts = {x["alert"] for x in rules}
        for want in ("TinyhookDown", "TinyhookErrors", "TinyhookSlow",
                     "TinyhookCertificateExpiresSoon", "TinyhookDenialSpike"):
            check("alert %s exists" % want, want in alerts)
        for a in sorted(alerts):
            check("alert %s has a firing and a quiet promtool case" % a,
                  {f for n, _, _, f in CASES if n == a} == {True, False})
            check("alert %s has a severity and a summary" % a, all(
                x["labels"].get("severity") in ("warning", "critical") and x["annotations"].get("summary")
                for x in rules if x["alert"] == a))
        test_file = promtool_tests(tmp, rules_file, rules)
        r = run(["promtool", "test", "rules", test_file], cwd=tmp)
        check("promtool test rules: %d cases on synthetic series" % len(CASES),
              r.returncode == 0 and "SUCCESS" in r.stdout, (r.stdout + r.stderr)[-3000:])

        # The apiserver's patience: timeoutSeconds of the rendered webhooks.
        out = run([TINYHOOK, "manifests"]).stdout
        timeouts = set(re.findall(r"timeoutSeconds: (\d+)", out))
        slow = [x for x in rules if x["alert"] == "TinyhookSlow"][0]["expr"]
        m = re.search(r">\s*([0-9.]+)\s*$", slow.strip())
        check("p99 threshold = the webhooks' timeoutSeconds %s" % timeouts,
              m is not None and len(timeouts) == 1 and float(m.group(1)) == float(timeouts.pop()), slow)

        # Metric and label names against a running server.
        certs = mkcerts(os.path.join(tmp, "certs"))
        names, text = exposed(certs)
        for want in ("tinyhook_requests_total", "tinyhook_request_duration_seconds_bucket",
                     "tinyhook_certificate_problem", "tinyhook_busy_refusals_total",
                     "tinyhook_buffer_bytes", "tinyhook_buffer_budget_bytes"):
            check("/metrics exposes %s" % want, want in names, text[:400])
        dash = json.load(open(os.path.join(MON, "dashboard.json")))
        exprs = [("rule " + x["alert"], x["expr"]) for x in rules]
        exprs += [("panel " + p["title"], t["expr"]) for p in dash["panels"] for t in p["targets"]]
        labels_ok = set(TARGET_LABELS) | {"le"}
        for ls in names.values():
            labels_ok |= ls
        for where, e in exprs:
            ms, ls = query_names(e)
            missing = sorted(x for x in ms if x not in names and x not in PROM_NAMES)
            check("%s: every metric it queries is exposed" % where, ms and not missing, missing)
            check("%s: every label it uses exists" % where, ls <= labels_ok, sorted(ls - labels_ok))
        used = set().union(*(query_names(e)[0] for _, e in exprs))
        for want in ("tinyhook_requests_total", "tinyhook_request_duration_seconds_bucket",
                     "tinyhook_in_flight_requests", "tinyhook_open_connections",
                     "tinyhook_certificate_expiry_timestamp_seconds", "tinyhook_certificate_problem",
                     "tinyhook_busy_refusals_total", "tinyhook_buffer_bytes",
                     "tinyhook_buffer_budget_bytes"):
            check("dashboard or rules use %s" % want, want in used)
        exposed_unused = sorted(n for n in names if n.startswith("tinyhook_") and n not in used
                                and not n.endswith(("_sum", "_count")))
        check("the dashboard shows every tinyhook metric", not exposed_unused, exposed_unused)

        # Dashboard queries are PromQL (as recording rules, $namespace filled in).
        rec = {"groups": [{"name": "dashboard", "rules": [
            {"record": "dashboard:q%d" % i, "expr": e.replace("$namespace", ".*")}
            for i, (w, e) in enumerate(exprs) if w.startswith("panel")]}]}
        dfile = os.path.join(tmp, "dashboard_rules.yaml")
        with open(dfile, "w") as f:
            yaml.safe_dump(rec, f)
        r = run(["promtool", "check", "rules", dfile])
        check("every dashboard query is valid PromQL (promtool)", r.returncode == 0, r.stdout + r.stderr)
        check("dashboard: a datasource and a namespace variable",
              {v["name"] for v in dash["templating"]["list"]} == {"datasource", "namespace"})
        check("dashboard: panel ids unique, on a 24-column grid",
              len({p["id"] for p in dash["panels"]}) == len(dash["panels"]) and
              all(p["gridPos"]["x"] + p["gridPos"]["w"] <= 24 for p in dash["panels"]))

        # ServiceMonitor against the Service; the kustomization.
        sm = docs(os.path.join(MON, "servicemonitor.yaml"))[0]
        svc = docs(os.path.join(ROOT, "k8s", "workload", "service.yaml"))[0]
        check("ServiceMonitor selects the Service's labels",
              sm["spec"]["selector"]["matchLabels"].items() <= svc["metadata"]["labels"].items())
        check("ServiceMonitor scrapes the Service's https port over https at /metrics",
              sm["spec"]["endpoints"][0]["port"] in {p["name"] for p in svc["spec"]["ports"]} and
              sm["spec"]["endpoints"][0]["scheme"] == "https" and sm["spec"]["endpoints"][0]["path"] == "/metrics")
        check("ServiceMonitor looks in the Service's namespace",
              sm["spec"]["namespaceSelector"]["matchNames"] == [svc["metadata"]["namespace"]])
        if shutil.which("kubectl"):
            r = run(["kubectl", "kustomize", MON])
            objs = [d for d in yaml.safe_load_all(r.stdout) if d] if r.returncode == 0 else []
            cms = [o for o in objs if o["kind"] == "ConfigMap"]
            check("kubectl kustomize k8s/monitoring: ServiceMonitor, PrometheusRule, dashboard ConfigMap",
                  {o["kind"] for o in objs} == {"ServiceMonitor", "PrometheusRule", "ConfigMap"}, r.stderr)
            check("dashboard ConfigMap labelled for Grafana's sidecar, holding dashboard.json",
                  cms and cms[0]["metadata"]["labels"].get("grafana_dashboard") == "1" and
                  json.loads(cms[0]["data"]["tinyhook.json"]) == dash)
        else:
            print("skip kubectl kustomize k8s/monitoring: kubectl not installed")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    summary("monitoring")


if __name__ == "__main__":
    main()
