#!/usr/bin/python3
"""k8s.py: the Kubernetes manifests parse, carry the security fields,
render the same with k8s/check.py (a small kustomize subset) as with
`kubectl kustomize` (the test set-up installs kubectl: without it the
kustomize checks fail, they never drop out), and k8s/render.sh (make
manifests) refuses to write without real `tinyhook manifests` output.
Run from the repo root with Debian's /usr/bin/python3 (python3-yaml)."""
import glob
import os
import shutil
import subprocess
import sys
import tempfile

import yaml

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
os.chdir(ROOT)
sys.path.insert(0, os.path.join(ROOT, "k8s"))
import check as kcheck  # noqa: E402

passed = failed = skipped = 0


def t(name, cond, detail=""):
    global passed, failed
    if cond:
        passed += 1
        print("ok   " + name)
    else:
        failed += 1
        print("FAIL " + name + (": " + str(detail) if detail else ""))


def skip(name, reason):
    global skipped
    skipped += 1
    print("skip %s: %s" % (name, reason))


def docs(path):
    with open(path) as f:
        return [d for d in yaml.safe_load_all(f) if d is not None]


def run(cmd, **kw):
    return subprocess.run(cmd, capture_output=True, text=True, timeout=60, **kw)


def norm(objs):
    """Objects keyed by kind/namespace/name; Secret data without line breaks
    (kustomize wraps long base64 values)."""
    out = {}
    for o in objs:
        o = yaml.safe_load(yaml.safe_dump(o))
        if o["kind"] == "Secret":
            o["data"] = {k: "".join(v.split()) for k, v in o.get("data", {}).items()}
        m = o["metadata"]
        out[(o["kind"], m.get("namespace", ""), m["name"])] = o
    return out


# 1. Every manifest parses.
files = sorted(glob.glob("k8s/**/*.yaml", recursive=True))
files = [f for f in files if "/generated/" not in f]
for f in files:
    try:
        t("parses: " + f, len(docs(f)) >= 1)
    except yaml.YAMLError as e:
        t("parses: " + f, False, e)

# 2. Security fields, read straight from the files.
dep = docs("k8s/workload/deployment.yaml")[0]
ps = dep["spec"]["template"]["spec"]
c = ps["containers"][0]
csc = c["securityContext"]
t("replicas 2", dep["spec"]["replicas"] == 2)
t("topology spread by hostname",
  any(x["topologyKey"] == "kubernetes.io/hostname" for x in ps["topologySpreadConstraints"]))
t("pod runAsNonRoot", ps["securityContext"]["runAsNonRoot"] is True)
t("pod runAsUser 65532", ps["securityContext"]["runAsUser"] == 65532)
t("pod seccomp RuntimeDefault", ps["securityContext"]["seccompProfile"]["type"] == "RuntimeDefault")
t("automountServiceAccountToken false", ps["automountServiceAccountToken"] is False)
t("terminationGracePeriodSeconds 30", ps["terminationGracePeriodSeconds"] == 30)
t("readOnlyRootFilesystem", csc["readOnlyRootFilesystem"] is True)
t("allowPrivilegeEscalation false", csc["allowPrivilegeEscalation"] is False)
t("capabilities drop ALL", csc["capabilities"]["drop"] == ["ALL"])
t("container runAsUser 65532", csc["runAsUser"] == 65532)
t("requests 10m / 16Mi", c["resources"]["requests"] == {"cpu": "10m", "memory": "16Mi"})
t("args pin 2 workers, the apiserver's 3 MiB body cap and the memory bound", c.get("args") == ["--workers", "2", "--max-body", "3Mi", "--max-buffer-bytes", "24Mi", "--max-conns", "1024"])
t("limit 64Mi", c["resources"]["limits"]["memory"] == "64Mi")
t("containerPort 9443 named https",
  c["ports"][0]["containerPort"] == 9443 and c["ports"][0]["name"] == "https")
for probe, path in (("readinessProbe", "/readyz"), ("livenessProbe", "/healthz")):
    g = c[probe]["httpGet"]
    t("%s HTTPS %s" % (probe, path), g["scheme"] == "HTTPS" and g["path"] == path and g["port"] == "https")
mount = c["volumeMounts"][0]
vol = [v for v in ps["volumes"] if v["name"] == mount["name"]][0]
t("certs mounted at /etc/tinyhook/certs, no subPath",
  mount["mountPath"] == "/etc/tinyhook/certs" and "subPath" not in mount and mount["readOnly"])
t("certs from Secret tinyhook-tls", vol["secret"]["secretName"] == "tinyhook-tls")
svc = docs("k8s/workload/service.yaml")[0]
t("Service 443 -> https", svc["spec"]["ports"][0]["port"] == 443 and svc["spec"]["ports"][0]["targetPort"] == "https")
t("Service selects the pods", svc["spec"]["selector"].items() <= dep["spec"]["template"]["metadata"]["labels"].items())
pdb = docs("k8s/workload/pdb.yaml")[0]
t("PDB minAvailable 1 on the pods", pdb["spec"]["minAvailable"] == 1 and
  pdb["spec"]["selector"]["matchLabels"].items() <= dep["spec"]["template"]["metadata"]["labels"].items())
sa = docs("k8s/workload/serviceaccount.yaml")[0]
t("ServiceAccount automount false", sa["automountServiceAccountToken"] is False)
cm = {d["kind"] + "/" + d["metadata"]["name"]: d
      for f in ("k8s/cert-manager/issuer.yaml", "k8s/cert-manager/certificate.yaml") for d in docs(f)}
cert = cm["Certificate/tinyhook-serving"]
t("cert-manager Certificate writes tinyhook-tls", cert["spec"]["secretName"] == "tinyhook-tls")
t("cert-manager Certificate covers tinyhook.tinyhook.svc", "tinyhook.tinyhook.svc" in cert["spec"]["dnsNames"])
t("cert-manager key ECDSA P-256", cert["spec"]["privateKey"] == {**cert["spec"]["privateKey"], "algorithm": "ECDSA", "size": 256})

# 3. Render a copy of k8s/ with generated/ filled in.
tmp = tempfile.mkdtemp()
try:
    k = os.path.join(tmp, "k8s")
    shutil.copytree("k8s", k, ignore=shutil.ignore_patterns("generated"))
    certs = os.path.join(tmp, "certs")
    r = run(["sh", "certs/mkcerts.sh", "--out", certs, "--service", "tinyhook", "--namespace", "tinyhook"])
    t("mkcerts for the service", r.returncode == 0, r.stderr)
    with open(os.path.join(certs, "cabundle.b64")) as f:
        cab = f.read().strip()

    th = os.environ.get("TINYHOOK", "")
    real = bool(th) and os.access(th, os.X_OK)
    # A stub for render.sh's wiring only: it prints a guarded webhook
    # configuration with the caBundle of the file it is given.
    stub = os.path.join(tmp, "stub")
    with open(stub, "w") as f:
        f.write("""#!/bin/sh
[ "$1" != --version ] || { echo "tinyhook 0.9.0 policy stub (sha256 0123456789ab)"; exit 0; }
[ "$1" = manifests ] || exit 2; shift
ns=tinyhook svc=tinyhook ca= url=
while [ $# -gt 0 ]; do case $1 in --namespace) ns=$2;; --service) svc=$2;; --ca-bundle) ca=$2;; --url) url=$2;; esac; shift 2; done
cc="service: {name: $svc, namespace: $ns, path: /validate}"
[ -z "$url" ] || cc="url: $url/validate"
cat <<EOF
apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingWebhookConfiguration
metadata: {name: tinyhook}
webhooks:
- name: validate.tinyhook.io
  clientConfig:
    $cc
$( [ -z "$ca" ] || echo "    caBundle: $(openssl base64 -A -in $ca)" )
  rules: [{apiGroups: [""], apiVersions: [v1], operations: [CREATE], resources: [pods]}]
  namespaceSelector:
    matchExpressions: [{key: kubernetes.io/metadata.name, operator: NotIn, values: [kube-system, $ns]}]
  failurePolicy: Fail
  timeoutSeconds: 5
  sideEffects: None
  admissionReviewVersions: [v1]
EOF
""")
    os.chmod(stub, 0o755)
    failer = os.path.join(tmp, "failer")
    with open(failer, "w") as f:
        f.write("#!/bin/sh\n[ \"$1\" != --version ] || { echo 'tinyhook 0.9.0 policy stub (sha256 0123456789ab)'; exit 0; }\n"
                "echo 'unknown command: manifests' >&2\nexit 1\n")
    os.chmod(failer, 0o755)

    render = os.path.join(k, "render.sh")
    out = os.path.join(tmp, "tinyhook.yaml")
    r = run(["sh", render, "--tinyhook", failer, "--certs", certs, "--out", out])
    t("render.sh fails clearly without `tinyhook manifests`",
      r.returncode != 0 and "cannot print its webhook configurations" in r.stderr, r.stderr)
    t("render.sh wrote nothing then", not os.path.exists(out))
    r = run(["sh", render, "--tinyhook", os.path.join(tmp, "missing"), "--certs", certs, "--out", out])
    t("render.sh fails clearly without a binary", r.returncode != 0 and "build it first" in r.stderr, r.stderr)

    r = run(["sh", render, "--tinyhook", stub, "--certs", certs, "--out", out, "--version", "1.2.3"])
    t("render.sh (stub) writes tinyhook.yaml", r.returncode == 0 and os.path.exists(out), r.stderr)
    objs = docs(out) if os.path.exists(out) else []
    gk = os.path.join(k, "generated", "kustomization.yaml")
    t("generated kustomization: Secret generator without hash suffix",
      os.path.exists(gk) and docs(gk)[0]["generatorOptions"]["disableNameSuffixHash"] is True)
    kinds = [o["kind"] for o in objs]
    t("rendered: all kinds, Namespace first",
      kinds[:1] == ["Namespace"] and {"ServiceAccount", "Secret", "Service", "Deployment",
                                       "PodDisruptionBudget", "ValidatingWebhookConfiguration"} <= set(kinds), kinds)
    t("rendered: checks pass", kcheck.check(objs, "tinyhook", os.path.join(certs, "cabundle.b64")) == [])
    sec = [o for o in objs if o["kind"] == "Secret"]
    t("rendered: Secret is kubernetes.io/tls with the key pair",
      sec and sec[0]["type"] == "kubernetes.io/tls" and set(sec[0]["data"]) == {"tls.crt", "tls.key"})
    imgs = [o for o in objs if o["kind"] == "Deployment"]
    t("rendered: image tag from --version, policy and hash",
      imgs and imgs[0]["spec"]["template"]["spec"]["containers"][0]["image"] == "docker.io/library/tinyhook:1.2.3-stub-0123456789ab")

    # Python render vs kustomize, same generated/ inputs.
    kubectl = shutil.which("kubectl")
    if kubectl:
        r = run([kubectl, "kustomize", k])
        t("kubectl kustomize k8s/ renders offline", r.returncode == 0, r.stderr[-300:])
        r2 = run(["/usr/bin/python3", os.path.join(k, "check.py"), "render", k])
        if r.returncode == 0:
            a, b = norm(docs_s := list(yaml.safe_load_all(r2.stdout))), norm(list(yaml.safe_load_all(r.stdout)))
            t("check.py render == kubectl kustomize (objects)", a == b,
              set(a) ^ set(b) or [x for x in a if a[x] != b.get(x)])
            t("same output order as kustomize",
              [o["kind"] for o in docs_s] == [o["kind"] for o in yaml.safe_load_all(r.stdout)])
        # The optional priority component.
        os.makedirs(os.path.join(tmp, "prio"))
        with open(os.path.join(tmp, "prio", "kustomization.yaml"), "w") as f:
            f.write("apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\n"
                    "resources: [../k8s]\ncomponents: [../k8s/components/priority]\n")
        r = run([kubectl, "kustomize", os.path.join(tmp, "prio")])
        d = [o for o in yaml.safe_load_all(r.stdout) if o and o["kind"] == "Deployment"] if r.returncode == 0 else []
        t("component priority sets system-cluster-critical",
          d and d[0]["spec"]["template"]["spec"].get("priorityClassName") == "system-cluster-critical", r.stderr)
        # cert-manager variant.
        r = run(["sh", render, "--mode", "cert-manager", "--tinyhook", stub, "--out", out + ".cm"])
        t("render.sh cert-manager mode (stub)", r.returncode == 0, r.stderr)
        cmo = docs(out + ".cm") if r.returncode == 0 else []
        hooks = [o for o in cmo if o["kind"].endswith("WebhookConfiguration")]
        t("cert-manager: inject-ca-from on the webhooks",
          hooks and all(h["metadata"]["annotations"]["cert-manager.io/inject-ca-from"] == "tinyhook/tinyhook-serving" for h in hooks))
        t("cert-manager: Issuer, Certificate, no generated Secret",
          {"Issuer", "Certificate"} <= {o["kind"] for o in cmo} and "Secret" not in {o["kind"] for o in cmo})
    else:
        t("kubectl on PATH (make test installs it: test/lib/tools.sh)", False)

    # Namespace and service override.
    r = run(["sh", render, "--tinyhook", stub, "--certs", certs, "--out", out + ".ns",
             "--namespace", "hooks", "--service", "th"])
    t("render.sh --namespace hooks --service th", r.returncode == 0, r.stderr)
    if r.returncode == 0:
        o2 = docs(out + ".ns")
        t("override: every namespaced object in hooks",
          all(o["metadata"].get("namespace") == "hooks" for o in o2
              if o["kind"] not in kcheck.CLUSTER_KINDS))
        t("override: Namespace hooks, Service th",
          any(o["kind"] == "Namespace" and o["metadata"]["name"] == "hooks" for o in o2) and
          any(o["kind"] == "Service" and o["metadata"]["name"] == "th" for o in o2))
        t("override: checks pass for hooks",
          kcheck.check(o2, "hooks", os.path.join(certs, "cabundle.b64")) == [])

    # The checker catches what it must.
    bad = yaml.safe_load(yaml.safe_dump(objs))
    for o in bad:
        if o["kind"] == "Deployment":
            del o["spec"]["template"]["spec"]["containers"][0]["securityContext"]["readOnlyRootFilesystem"]
        if o["kind"].endswith("WebhookConfiguration"):
            o["webhooks"][0]["namespaceSelector"] = {}
            o["webhooks"][0]["clientConfig"]["caBundle"] = "Zm9v"
    probs = " | ".join(kcheck.check(bad, "tinyhook", os.path.join(certs, "cabundle.b64")))
    t("checker: flags missing readOnlyRootFilesystem", "readOnlyRootFilesystem" in probs, probs)
    t("checker: flags missing lockout guard", "does not exclude kube-system" in probs, probs)
    t("checker: flags wrong caBundle", "caBundle is not the CA" in probs, probs)

    # The real `tinyhook manifests`, once the binary exists.
    if real:
        r = run(["sh", render, "--tinyhook", th, "--certs", certs, "--out", out + ".real"])
        t("make manifests path with the real tinyhook", r.returncode == 0, (r.stdout + r.stderr)[-600:])
        if r.returncode == 0:
            o3 = docs(out + ".real")
            hooks = [o for o in o3 if o["kind"].endswith("WebhookConfiguration")]
            t("real: webhook configurations present", len(hooks) >= 1)
            t("real: caBundle is certs' CA", all(w["clientConfig"].get("caBundle") == cab
                                                 for h in hooks for w in h["webhooks"]))
            t("real: lockout guard and checks", kcheck.check(o3, "tinyhook", os.path.join(certs, "cabundle.b64")) == [])
        hcerts = os.path.join(tmp, "hcerts")
        run(["sh", "certs/mkcerts.sh", "--out", hcerts, "--host", "127.0.0.1"])
        r = run(["sh", render, "--mode", "host", "--tinyhook", th, "--certs", hcerts, "--out", out + ".host"])
        t("host mode with the real tinyhook", r.returncode == 0, (r.stdout + r.stderr)[-600:])
        if r.returncode == 0:
            urls = [w["clientConfig"].get("url", "") for h in docs(out + ".host") for w in h["webhooks"]]
            t("host: urls at https://127.0.0.1:9443/", urls and all(u.startswith("https://127.0.0.1:9443/") for u in urls), urls)
    else:
        skip("real `tinyhook manifests` (5 checks)", "TINYHOOK not set or not built")
finally:
    shutil.rmtree(tmp, ignore_errors=True)

# 4. Host unit and Dockerfile.
unit = open("k8s/host/tinyhook.service").read()
t("unit: ExecStart", "ExecStart=/usr/local/bin/tinyhook --listen 127.0.0.1:9443 --cert-dir /etc/tinyhook/certs --workers 2 --max-body 3Mi --max-buffer-bytes 24Mi --max-conns 1024" in unit)
for d in ("DynamicUser=yes", "NoNewPrivileges=yes", "ProtectSystem=strict", "CapabilityBoundingSet=\n",
          "PrivateDevices=yes", "RestrictAddressFamilies=", "SystemCallFilter=@system-service",
          "MemoryDenyWriteExecute=yes", "TimeoutStopSec=30"):
    t("unit: " + d.strip(), d in unit)
sa_bin = shutil.which("systemd-analyze")
if sa_bin:
    td = tempfile.mkdtemp()
    try:
        p = os.path.join(td, "tinyhook.service")
        with open(p, "w") as f:
            f.write(unit.replace("/usr/local/bin/tinyhook", shutil.which("true")))
        r = run([sa_bin, "verify", p])
        t("unit: systemd-analyze verify is silent", r.returncode == 0 and not r.stderr.strip(), r.stderr)
    finally:
        shutil.rmtree(td, ignore_errors=True)
else:
    t("systemd-analyze on PATH (make test installs it: test/lib/tools.sh)", False)
df = open("Dockerfile").read()
stages = [l for l in df.splitlines() if l.startswith("FROM ")]
t("Dockerfile: multi-stage, final FROM scratch", len(stages) >= 2 and stages[-1].strip() == "FROM scratch")
t("Dockerfile: USER 65532", "\nUSER 65532" in df)
t("Dockerfile: same entrypoint",
  'ENTRYPOINT ["/tinyhook", "--listen", ":9443", "--cert-dir", "/etc/tinyhook/certs"]' in df)

if passed + failed == 0:
    t("ship_k8s ran a case", False)
print("ship_k8s: %d passed, %d failed, %d skipped, %d cases" % (passed, failed, skipped, passed + failed))
sys.exit(1 if failed else 0)
