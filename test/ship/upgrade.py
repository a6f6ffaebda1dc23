#!/usr/bin/python3
"""upgrade.py: the Upgrade and Uninstall commands of k8s/README.md, tested.

There is no apiserver here (kubectl's --dry-run=client needs one too: it asks
the server for the API's resources), so:
- kubectl parses every README command (against a closed port: a command it
  accepts fails to connect; a wrong flag fails as a usage error);
- a model of the cluster's objects runs the same command lines with
  kubectl's semantics for what they use (apply -f with -l, --prune with an
  allowlist, rollout status, delete by type and selector, delete -f in file
  order with the Namespace taking its objects along), on the real manifests
  of two policies (policy.h: validate + mutate; policies/pod-hardening.h:
  validate only), checking after every command that no webhook
  configuration points at a missing Service or Deployment, and at the end
  that the webhooks and the pods are of the new policy, or that nothing is
  left after the uninstall. A bare `kubectl delete -f tinyhook.yaml` is run
  too, as the control the model must catch.
"""
import os
import re
import shlex
import shutil
import subprocess
import sys
import tempfile

import yaml

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
from th import ROOT, TINYHOOK, check, free_port, mkcerts, summary  # noqa: E402

NAMESPACED = {"ServiceAccount", "Secret", "Service", "Deployment", "PodDisruptionBudget"}
KINDS = {"validatingwebhookconfiguration": "ValidatingWebhookConfiguration",
         "mutatingwebhookconfiguration": "MutatingWebhookConfiguration",
         "deployment": "Deployment", "namespace": "Namespace"}


def readme_commands(section):
    """The kubectl lines of the ```sh blocks under '## <section>'."""
    text = open(os.path.join(ROOT, "k8s", "README.md")).read()
    m = re.search(r"^## %s.*?$(.*?)(?=^## )" % re.escape(section), text, re.S | re.M)
    cmds = []
    for block in re.findall(r"```sh\n(.*?)```", m.group(1) if m else "", re.S):
        block = block.replace("\\\n", " ")
        cmds += [l.strip() for l in block.splitlines() if l.strip().startswith("kubectl ")]
    return cmds


def selector(sel):
    """A function of labels for a kubectl -l expression (the forms we use)."""
    terms = []
    for t in sel.split(","):
        t = t.strip()
        if t.startswith("!"):
            terms.append(lambda l, k=t[1:]: k not in l)
        elif "!=" in t:
            k, v = t.split("!=")
            terms.append(lambda l, k=k, v=v: l.get(k) != v)
        elif "=" in t:
            k, v = t.split("=", 1)
            terms.append(lambda l, k=k, v=v: l.get(k) == v)
        else:
            terms.append(lambda l, k=t: k in l)
    return lambda labels: all(f(labels) for f in terms)


def key(o):
    return (o["kind"], o["metadata"].get("namespace", ""), o["metadata"]["name"])


class Cluster:
    """Objects by (kind, namespace, name), changed as kubectl would."""

    def __init__(self, files):
        self.objs = {}
        self.files = files
        self.problems = []
        self.transient = []     # dangling webhooks seen in the middle of a command

    def load(self, path):
        with open(self.files[path]) as f:
            return [d for d in yaml.safe_load_all(f) if d]

    def run(self, line):
        argv = shlex.split(line)[1:]
        opts, args, i = {}, [], 0
        while i < len(argv):
            a = argv[i]
            if a in ("-f", "-l", "-n", "--timeout"):
                opts[a] = argv[i + 1]
                i += 2
                continue
            if a.startswith("--prune-allowlist="):
                opts.setdefault("allow", []).append(a.split("=", 1)[1].rsplit("/", 1)[1])
            elif a.startswith("--timeout="):
                pass
            elif a.startswith("-"):
                opts[a] = True
            else:
                args.append(a)
            i += 1
        sel = selector(opts["-l"]) if "-l" in opts else (lambda labels: True)
        labels = lambda o: o["metadata"].get("labels") or {}  # noqa: E731
        if args[:1] == ["apply"]:
            objs = [o for o in self.load(opts["-f"]) if sel(labels(o))]
            for o in objs:
                self.objs[key(o)] = o
            if opts.get("--prune"):
                keep = {key(o) for o in objs}
                for k, o in list(self.objs.items()):
                    if k[0] in opts.get("allow", []) and sel(labels(o)) and k not in keep:
                        del self.objs[k]
        elif args[:2] == ["rollout", "status"]:
            kind, name = args[2].split("/")
            if (KINDS[kind], opts.get("-n", "default"), name) not in self.objs:
                self.problems.append("%s: no %s" % (line, args[2]))
        elif args[:1] == ["delete"] and "-f" in opts:
            for o in self.load(opts["-f"]):
                self.delete(key(o), line, opts.get("--ignore-not-found"))
        elif args[:1] == ["delete"]:
            kinds = {KINDS[k] for k in args[1].split(",")}
            for k, o in list(self.objs.items()):
                if k[0] in kinds and sel(labels(o)):
                    del self.objs[k]
        else:
            raise ValueError("the model does not know: " + line)

    def delete(self, k, line, ignore):
        if k not in self.objs:
            if not ignore:
                self.problems.append("%s: %s not found" % (line, k))
            return
        del self.objs[k]
        if k[0] == "Namespace":     # the namespace controller deletes its objects
            for o in [o for o in self.objs if o[1] == k[2]]:
                del self.objs[o]
        self.transient += self.dangling()

    def dangling(self):
        """Webhooks whose Service (or the pods behind it) is missing."""
        bad = []
        for k, o in self.objs.items():
            for w in o.get("webhooks") or []:
                svc = (w.get("clientConfig") or {}).get("service")
                if not svc:
                    continue
                if ("Service", svc["namespace"], svc["name"]) not in self.objs or \
                        not any(x[0] == "Deployment" and x[1] == svc["namespace"] for x in self.objs):
                    bad.append("%s %s -> %s/%s" % (k[0], w["name"], svc["namespace"], svc["name"]))
        return bad

    def hooks(self):
        return {k: o for k, o in self.objs.items() if k[0].endswith("WebhookConfiguration")}


def render(tmp, binary, name, certs):
    k = os.path.join(tmp, "k8s-" + name)
    shutil.copytree(os.path.join(ROOT, "k8s"), k, ignore=shutil.ignore_patterns("generated"))
    out = os.path.join(tmp, name + ".yaml")
    r = subprocess.run(["sh", os.path.join(k, "render.sh"), "--tinyhook", binary, "--certs", certs,
                        "--out", out], capture_output=True, text=True, timeout=120)
    check("render %s manifests" % name, r.returncode == 0, r.stderr)
    return out


def run_all(cluster, cmds, name):
    for c in cmds:
        cluster.run(c)
        d = cluster.dangling()
        check("%s: after `%s`: no webhook points at nothing" % (name, c[:70]), not d, d)
    check("%s: every command found what it needed" % name, not cluster.problems, cluster.problems)
    check("%s: no webhook pointed at nothing in the middle of a command" % name,
          not cluster.transient, cluster.transient)


def main():
    up, rm = readme_commands("Upgrade"), readme_commands("Uninstall")
    check("k8s/README.md Upgrade: kubectl commands", len(up) >= 3, up)
    check("k8s/README.md Uninstall: kubectl commands", len(rm) >= 2, rm)
    tmp = tempfile.mkdtemp()
    try:
        b = os.path.join(ROOT, "build", "pod-hardening", "tinyhook")
        r = subprocess.run(["make", "-s", "POLICY=policies/pod-hardening.h", "build/pod-hardening/tinyhook"],
                           cwd=ROOT, capture_output=True, text=True, timeout=600)
        check("build the pod-hardening policy (build/pod-hardening/tinyhook)", r.returncode == 0, r.stderr[-500:])
        certs = mkcerts(os.path.join(tmp, "certs"), "--service", "tinyhook", "--namespace", "tinyhook")
        old = render(tmp, TINYHOOK, "old", certs)
        new = render(tmp, b, "new", certs)
        # kubectl parses the README's commands, run where tinyhook.yaml is,
        # against a port nobody listens on.
        shutil.copy(new, os.path.join(tmp, "tinyhook.yaml"))
        closed = free_port()
        kubectl = shutil.which("kubectl")
        if kubectl:
            for c in up + rm:
                argv = [kubectl, "--server=https://127.0.0.1:%d" % closed, "--token=none", "--request-timeout=5s"] + \
                    shlex.split(c)[1:]
                env = {k: v for k, v in os.environ.items() if "proxy" not in k.lower()}
                r = subprocess.run(argv, capture_output=True, text=True, timeout=60, cwd=tmp,
                               stdin=subprocess.DEVNULL,
                                   env=dict(env, KUBECONFIG="/dev/null"))
                err = r.stderr
                usage = re.search(r"unknown (flag|shorthand|command)|invalid argument|Usage:|"
                                  r"error: (required|you must)|flag needs an argument", err)
                check("kubectl accepts `%s` (fails only to connect)" % c[:70],
                      r.returncode != 0 and not usage and
                      re.search(r"connection refused", err) is not None, err[-400:])
        else:
            print("skip kubectl's flag parsing: kubectl not installed")

        files = {"tinyhook.yaml": old}
        c = Cluster(files)
        c.run("kubectl apply -f tinyhook.yaml")
        before = c.hooks()
        check("old policy: a Validating and a Mutating configuration",
              {k[0] for k in before} == {"ValidatingWebhookConfiguration", "MutatingWebhookConfiguration"},
              list(before))
        files["tinyhook.yaml"] = new
        run_all(c, up, "upgrade")
        after = c.hooks()
        dep = [o for k, o in c.objs.items() if k[0] == "Deployment"][0]
        ann = dep["spec"]["template"]["metadata"]["annotations"]
        check("upgrade: only the new policy's configuration is left (Mutating pruned)",
              {k[0] for k in after} == {"ValidatingWebhookConfiguration"}, list(after))
        check("upgrade: pods and webhooks name the same policy",
              all(h["metadata"]["labels"]["tinyhook/policy"] ==
                  "%s-%s" % (ann["tinyhook.io/policy"], ann["tinyhook.io/policy-hash"])
                  for h in after.values()) and ann["tinyhook.io/policy"] == "pod-hardening", ann)
        check("upgrade: the pods run the new image",
              dep["spec"]["template"]["spec"]["containers"][0]["image"].endswith(
                  "-pod-hardening-" + ann["tinyhook.io/policy-hash"]))
        check("upgrade: the rest of the install is still there",
              {k[0] for k in c.objs} >= {"Namespace", "Secret", "Service", "Deployment",
                                        "PodDisruptionBudget", "ServiceAccount"})
        run_all(c, rm, "uninstall")
        check("uninstall: nothing is left", not c.objs, list(c.objs))

        # The control: the bare delete leaves webhooks pointing at nothing.
        c2 = Cluster({"tinyhook.yaml": new})
        c2.run("kubectl apply -f tinyhook.yaml")
        c2.run("kubectl delete -f tinyhook.yaml")
        check("control: a bare `kubectl delete -f tinyhook.yaml` leaves webhooks pointing at "
              "nothing for a while (the model sees it)", c2.transient != [] and not c2.objs, c2.transient)
        # And a plain apply never prunes: the old Mutating configuration stays.
        f4 = {"tinyhook.yaml": old}
        c4 = Cluster(f4)
        c4.run("kubectl apply -f tinyhook.yaml")
        f4["tinyhook.yaml"] = new
        c4.run("kubectl apply -f tinyhook.yaml")
        check("control: a plain apply of the new policy leaves the old Mutating configuration",
              any(k[0] == "MutatingWebhookConfiguration" for k in c4.hooks()))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    summary("upgrade")


if __name__ == "__main__":
    main()
