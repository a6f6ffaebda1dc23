#!/usr/bin/python3
"""k8s/check.py: render and check tinyhook's manifests without kustomize.

  check.py render DIR [--namespace NS] [--service SVC] [--image-tag TAG]
      Prints DIR's kustomization as one YAML stream. This is NOT kustomize:
      it implements only what tinyhook's kustomizations use (resources as
      files or directories, secretGenerator from files with a fixed name,
      images, patches from files as strategic merges of named objects) and
      refuses any other field, so its output can be compared
      with `kubectl kustomize` (test/it/ship_k8s.py does) and `make
      manifests` works where kubectl is not installed.
  check.py check FILE [--namespace NS] [--ca-bundle FILE] [--cert-manager|--host]
      Checks a rendered stream: the Deployment's security fields and policy
      identity (the pod template names the policy and hash the webhooks were
      made from, the image tag ends in them), the Service, the PDB, and the
      lockout guard of every webhook (--host: only webhooks, called at an
      https url, excluding kube-system).
      Prints one line per problem; exit 1 if any.

Needs Debian's python3-yaml (run with /usr/bin/python3).
"""
import base64
import os
import sys

import yaml

# kustomize's "legacy" output order: what must exist first comes first.
ORDER = ["Namespace", "ResourceQuota", "StorageClass", "CustomResourceDefinition",
         "ServiceAccount", "PodSecurityPolicy", "Role", "ClusterRole", "RoleBinding",
         "ClusterRoleBinding", "ConfigMap", "Secret", "Endpoints", "Service",
         "LimitRange", "PriorityClass", "PersistentVolume", "PersistentVolumeClaim",
         "Deployment", "StatefulSet", "CronJob", "PodDisruptionBudget"]
LAST = ["MutatingWebhookConfiguration", "ValidatingWebhookConfiguration"]
CLUSTER_KINDS = {"Namespace", "ClusterRole", "ClusterRoleBinding", "PriorityClass",
                 "MutatingWebhookConfiguration", "ValidatingWebhookConfiguration",
                 "CustomResourceDefinition", "StorageClass", "PersistentVolume"}
KNOWN = {"apiVersion", "kind", "resources", "secretGenerator", "generatorOptions", "images",
         "patches"}
# The pod template annotations that make a new policy roll the pods (written
# by k8s/render.sh into generated/identity.yaml), and the label `tinyhook
# manifests` puts on the webhook configurations: "<policy>-<hash>".
POLICY_ANN = "tinyhook.io/policy"
HASH_ANN = "tinyhook.io/policy-hash"
POLICY_LABEL = "tinyhook/policy"


class RenderError(Exception):
    pass


def load_docs(path):
    with open(path) as f:
        return [d for d in yaml.safe_load_all(f) if d is not None]


def render(root):
    """Objects of the kustomization in directory root, images applied."""
    kfile = os.path.join(root, "kustomization.yaml")
    if not os.path.exists(kfile):
        raise RenderError("%s: no kustomization.yaml" % root)
    k = load_docs(kfile)[0]
    extra = set(k) - KNOWN
    if extra:
        raise RenderError("%s: unsupported field(s) %s: use kubectl kustomize"
                          % (kfile, ", ".join(sorted(extra))))
    objs = []
    for r in k.get("resources", []):
        p = os.path.join(root, r)
        if not os.path.exists(p):
            raise RenderError("%s: resource %s does not exist" % (kfile, p))
        objs += render(p) if os.path.isdir(p) else load_docs(p)
    gen = k.get("generatorOptions", {})
    for g in k.get("secretGenerator", []):
        if not gen.get("disableNameSuffixHash"):
            raise RenderError("%s: secretGenerator needs disableNameSuffixHash" % kfile)
        data = {}
        for spec in g.get("files", []):
            key, _, path = spec.partition("=")
            if not path:
                key, path = os.path.basename(spec), spec
            with open(os.path.join(root, path), "rb") as f:
                data[key] = base64.b64encode(f.read()).decode()
        meta = {"name": g["name"]}
        if "namespace" in g:
            meta["namespace"] = g["namespace"]
        s = {"apiVersion": "v1", "kind": "Secret", "metadata": meta, "data": data}
        if "type" in g:
            s["type"] = g["type"]
        objs.append(s)
    for img in k.get("images", []):
        set_image(objs, img["name"], img.get("newName"), img.get("newTag"))
    for pt in k.get("patches", []):
        if set(pt) != {"path"}:
            raise RenderError("%s: only patches given by path are supported" % kfile)
        for patch in load_docs(os.path.join(root, pt["path"])):
            apply_patch(objs, patch, kfile)
    return objs


def merge(dst, src):
    """Strategic merge as kustomize does it for what our patches hold: maps
    merge key by key, lists of maps with a name merge by name, other values
    and lists replace."""
    for key, v in src.items():
        old = dst.get(key)
        if isinstance(v, dict) and isinstance(old, dict):
            merge(old, v)
        elif (isinstance(v, list) and isinstance(old, list) and v and
              all(isinstance(x, dict) and "name" in x for x in v + old)):
            byname = {x["name"]: x for x in old}
            for x in v:
                if x["name"] in byname:
                    merge(byname[x["name"]], x)
                else:
                    old.append(x)
        else:
            dst[key] = v


def apply_patch(objs, patch, where):
    m = patch.get("metadata", {})
    hits = [o for o in objs if o.get("kind") == patch.get("kind") and
            o.get("metadata", {}).get("name") == m.get("name") and
            o.get("metadata", {}).get("namespace") == m.get("namespace")]
    if len(hits) != 1:
        raise RenderError("%s: patch for %s %s matches %d objects" %
                          (where, patch.get("kind"), m.get("name"), len(hits)))
    merge(hits[0], patch)


def pod_specs(o):
    spec = o.get("spec") or {}
    if o.get("kind") == "Pod":
        yield spec
    elif o.get("kind") == "CronJob":
        yield spec["jobTemplate"]["spec"]["template"]["spec"]
    elif "template" in spec:
        yield spec["template"]["spec"]


def set_image(objs, name, new_name=None, new_tag=None):
    for o in objs:
        for ps in pod_specs(o):
            for c in ps.get("containers", []) + ps.get("initContainers", []):
                img = c.get("image", "")
                base = img.split("@")[0]
                if ":" in base.rsplit("/", 1)[-1]:
                    base = base.rsplit(":", 1)[0]
                if base != name and base != new_name:
                    continue
                tag = new_tag or (img[len(base) + 1:] if len(img) > len(base) else "")
                c["image"] = (new_name or base) + (":" + tag if tag else "")


def set_namespace(objs, ns, old="tinyhook"):
    """Moves every namespaced object (and references to it) to ns."""
    for o in objs:
        m = o.setdefault("metadata", {})
        if o["kind"] == "Namespace":
            if m.get("name") == old:
                m["name"] = ns
        elif o["kind"] not in CLUSTER_KINDS:
            m["namespace"] = ns
        for w in o.get("webhooks") or []:
            svc = (w.get("clientConfig") or {}).get("service")
            if svc and svc.get("namespace") == old:
                svc["namespace"] = ns


def rename_service(objs, svc, old="tinyhook"):
    for o in objs:
        if o["kind"] == "Service" and o["metadata"]["name"] == old:
            o["metadata"]["name"] = svc


def sort_objs(objs):
    def key(o):
        kind = o.get("kind", "")
        if kind in ORDER:
            rank = ORDER.index(kind)
        elif kind in LAST:
            rank = 1000 + LAST.index(kind)
        else:
            rank = len(ORDER)
        m = o.get("metadata", {})
        return (rank, kind, m.get("namespace", ""), m.get("name", ""))
    return sorted(objs, key=key)


# ---- checks -------------------------------------------------------------

def check(objs, ns="tinyhook", ca_bundle=None, cert_manager=False, host=False):
    """Problems found in a rendered stream, as strings."""
    bad = []
    byk = {}
    for o in objs:
        byk.setdefault(o.get("kind"), []).append(o)
    for kind in ("Namespace", "ServiceAccount", "Service", "Deployment",
                 "PodDisruptionBudget"):
        if kind not in byk and not host:
            bad.append("no %s" % kind)
    if not cert_manager and not host and not any(
            s.get("type") == "kubernetes.io/tls" for s in byk.get("Secret", [])):
        bad.append("no kubernetes.io/tls Secret")
    hooks = byk.get("ValidatingWebhookConfiguration", []) + \
        byk.get("MutatingWebhookConfiguration", [])
    if not hooks:
        bad.append("no webhook configuration")
    for d in byk.get("Deployment", []):
        bad += check_deployment(d)
        bad += check_identity(d, hooks)
    for s in byk.get("Service", []):
        ports = s["spec"].get("ports", [])
        if not any(p.get("port") == 443 and p.get("targetPort") in (9443, "https")
                   for p in ports):
            bad.append("Service %s: no port 443 -> 9443" % s["metadata"]["name"])
    want_ca = None
    if ca_bundle:
        with open(ca_bundle) as f:
            want_ca = f.read().strip()
    for h in hooks:
        bad += check_webhooks(h, "" if host else ns, want_ca, cert_manager, host)
    return bad


def check_deployment(d):
    bad = []
    name = "Deployment %s" % d["metadata"]["name"]
    spec = d["spec"]
    ps = spec["template"]["spec"]
    psc = ps.get("securityContext", {})

    def want(cond, what):
        if not cond:
            bad.append("%s: %s" % (name, what))
    want(spec.get("replicas", 1) >= 2, "replicas < 2")
    want(ps.get("topologySpreadConstraints"), "no topologySpreadConstraints")
    want(ps.get("automountServiceAccountToken") is False,
         "automountServiceAccountToken not false")
    want(psc.get("runAsNonRoot") is True, "pod runAsNonRoot not true")
    want(psc.get("runAsUser") == 65532, "pod runAsUser not 65532")
    want((psc.get("seccompProfile") or {}).get("type") == "RuntimeDefault",
         "pod seccompProfile not RuntimeDefault")
    want(ps.get("terminationGracePeriodSeconds", 30) > 15,
         "terminationGracePeriodSeconds <= shutdown grace 15s")
    for c in ps.get("containers", []):
        csc = c.get("securityContext", {})
        cn = "container %s" % c["name"]
        want(csc.get("allowPrivilegeEscalation") is False,
             cn + " allowPrivilegeEscalation not false")
        want(csc.get("readOnlyRootFilesystem") is True,
             cn + " readOnlyRootFilesystem not true")
        want("ALL" in ((csc.get("capabilities") or {}).get("drop") or []),
             cn + " does not drop ALL capabilities")
        want(csc.get("runAsUser", psc.get("runAsUser")) == 65532, cn + " not uid 65532")
        res = c.get("resources", {})
        want(res.get("requests", {}).get("memory") and res.get("limits", {}).get("memory"),
             cn + " has no memory request/limit")
        for probe, path in (("readinessProbe", "/readyz"), ("livenessProbe", "/healthz")):
            g = (c.get(probe) or {}).get("httpGet") or {}
            want(g.get("scheme") == "HTTPS" and g.get("path") == path and
                 g.get("port") in (9443, "https"),
                 "%s %s is not HTTPS %s on 9443" % (cn, probe, path))
        for m in c.get("volumeMounts", []):
            want("subPath" not in m, cn + " mounts with subPath (no certificate updates)")
    return bad


def check_identity(d, hooks):
    """The pods run the policy the webhooks describe: the pod template names
    it (so a new policy changes the template and rolls the pods) and the
    image tag ends in it (so a new policy is a new image)."""
    name = "Deployment %s" % d["metadata"]["name"]
    tmpl = d["spec"]["template"]
    ann = (tmpl.get("metadata") or {}).get("annotations") or {}
    pol, h = ann.get(POLICY_ANN), ann.get(HASH_ANN)
    if not pol or not h:
        return ["%s: pod template lacks the %s and %s annotations (make manifests)"
                % (name, POLICY_ANN, HASH_ANN)]
    bad = []
    for c in tmpl["spec"].get("containers", []):
        if not c.get("image", "").endswith("-%s-%s" % (pol, h)):
            bad.append("%s: image %s is not of policy %s-%s" % (name, c.get("image"), pol, h))
    for hk in hooks:
        lab = (hk["metadata"].get("labels") or {}).get(POLICY_LABEL)
        if lab is not None and lab != "%s-%s" % (pol, h):
            bad.append("%s %s is for policy %s, the pods run %s-%s"
                       % (hk["kind"], hk["metadata"]["name"], lab, pol, h))
    return bad


def check_webhooks(h, ns, want_ca, cert_manager, host=False):
    bad = []
    name = "%s %s" % (h["kind"], h["metadata"]["name"])
    ann = h["metadata"].get("annotations") or {}
    if cert_manager and "cert-manager.io/inject-ca-from" not in ann:
        bad.append(name + ": no cert-manager.io/inject-ca-from annotation")
    for w in h.get("webhooks") or []:
        wn = "%s webhook %s" % (name, w.get("name"))
        excluded = set()
        for e in (w.get("namespaceSelector") or {}).get("matchExpressions") or []:
            if e.get("key") == "kubernetes.io/metadata.name" and e.get("operator") == "NotIn":
                excluded |= set(e.get("values") or [])
        for n in ("kube-system", ns):
            if n and n not in excluded:
                bad.append("%s: namespaceSelector does not exclude %s" % (wn, n))
        if w.get("failurePolicy") not in ("Fail", "Ignore"):
            bad.append(wn + ": failurePolicy not set explicitly")
        if w.get("timeoutSeconds") != 5:
            bad.append(wn + ": timeoutSeconds is not 5")
        if w.get("sideEffects") not in ("None", "NoneOnDryRun"):
            bad.append(wn + ": sideEffects not None/NoneOnDryRun")
        if "v1" not in (w.get("admissionReviewVersions") or []):
            bad.append(wn + ": admissionReviewVersions lacks v1")
        cc = w.get("clientConfig") or {}
        if not cert_manager:
            if not cc.get("caBundle"):
                bad.append(wn + ": no caBundle")
            elif want_ca and cc["caBundle"] != want_ca:
                bad.append(wn + ": caBundle is not the CA of the certificates")
        svc = cc.get("service")
        if host and not str(cc.get("url", "")).startswith("https://"):
            bad.append(wn + ": host mode needs an https url")
        elif svc is not None:
            if svc.get("namespace") != ns:
                bad.append("%s: service namespace %s, not %s" % (wn, svc.get("namespace"), ns))
            if svc.get("port", 443) != 443:
                bad.append(wn + ": service port is not 443")
        elif not str(cc.get("url", "")).startswith("https://"):
            bad.append(wn + ": neither service nor https url")
    return bad


def main(argv):
    if len(argv) < 3 or argv[1] not in ("render", "check"):
        sys.stderr.write(__doc__)
        return 2
    opts = {"--namespace": None, "--service": None, "--image-tag": None,
            "--ca-bundle": None}
    flags = set()
    args = argv[3:]
    while args:
        a = args.pop(0)
        if a in ("--cert-manager", "--host"):
            flags.add(a)
        elif a in opts and args:
            opts[a] = args.pop(0)
        else:
            sys.stderr.write("check.py: bad argument %s\n" % a)
            return 2
    try:
        if argv[1] == "render":
            objs = render(argv[2])
            if opts["--image-tag"]:
                set_image(objs, "docker.io/library/tinyhook", None, opts["--image-tag"])
            if opts["--namespace"] and opts["--namespace"] != "tinyhook":
                set_namespace(objs, opts["--namespace"])
            if opts["--service"] and opts["--service"] != "tinyhook":
                rename_service(objs, opts["--service"])
            sys.stdout.write(yaml.safe_dump_all(sort_objs(objs), sort_keys=True,
                                                default_flow_style=False))
            return 0
        objs = load_docs(argv[2])
        bad = check(objs, opts["--namespace"] or "tinyhook", opts["--ca-bundle"],
                    "--cert-manager" in flags, "--host" in flags)
    except (RenderError, OSError, yaml.YAMLError, KeyError, TypeError) as e:
        sys.stderr.write("check.py: %s\n" % e)
        return 1
    for b in bad:
        print("check.py: %s: %s" % (argv[2], b))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
