"""client_auth.py: --client-ca, --client-cn and --probe-listen on the real binary.

Only the apiserver should get through (issue 14): a client must present a
certificate issued by a --client-ca certificate, whose CN is one of
--client-cn when given; everyone else is refused during the handshake, and
the log says who (address, subject, validity) and why. Certificates are
made here with Debian's python3-cryptography (an independent X.509
implementation), including the ones openssl's CLI cannot easily make
(expired, not yet valid, keyUsage without digitalSignature).

Checked: the refusal table (no certificate, another CA, expired, not yet
valid, wrong CN, a key that may not sign) and the acceptance table (each
--client-cn, an RSA key, a chain through an intermediate), each by Python's
ssl (OpenSSL), and the main rows again by Go's net/http (the apiserver's
own TLS stack) and curl; the CertificateRequest names the CA (openssl
s_client); the probe listener serves /healthz /readyz /metrics without a
certificate and nothing else, and its sessions never resume on the webhook
port; rotation of the client CA while connected (open connections keep
working, new ones need the new CA, sessions of the old one no longer
resume, a broken file is refused and the old CA stays); flag errors.
"""
import datetime
import json
import os
import shutil
import socket
import ssl
import subprocess
import sys
import tempfile
import time

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
from th import (ROOT, TINYHOOK, Server, check, client_context, envelope_ok, free_port,  # noqa: E402
                mkcerts, request, summary)

TMP = tempfile.mkdtemp(prefix="tinyhook-clientauth-")
SERVE = mkcerts(os.path.join(TMP, "serve"), "--host", "127.0.0.1")
RELOAD_SECS = 5		# the files are checked once a second
CMD_SECS = 60		# one Go build + run or openssl run; a hang is a failure
NOW = datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0)
DAY = datetime.timedelta(days=1)
UID = "0c3b1d5e-7f8a-4b6c-9d0e-1f2a3b4c5d6e"
REVIEW = json.dumps({
    "apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview",
    "request": {"uid": UID, "kind": {"group": "", "version": "v1", "kind": "Pod"},
                "resource": {"group": "", "version": "v1", "resource": "pods"},
                "requestKind": {"group": "", "version": "v1", "kind": "Pod"},
                "requestResource": {"group": "", "version": "v1", "resource": "pods"},
                "name": "p", "namespace": "default", "operation": "CREATE",
                "userInfo": {"username": "admin"}, "dryRun": False, "options": None,
                "oldObject": None,
                "object": {"apiVersion": "v1", "kind": "Pod",
                           "metadata": {"name": "p", "namespace": "default"},
                           "spec": {"containers": [{"name": "a", "image": "nginx"}]}}}},
    separators=(",", ":")).encode()


def write(path, *pems):
    with open(path, "wb") as f:
        f.write(b"".join(pems))
    return path


def pem_cert(c):
    return c.public_bytes(serialization.Encoding.PEM)


def pem_key(k):
    return k.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                           serialization.NoEncryption())


def make_cert(cn, key, issuer=None, ca=False, start=None, end=None, usage="sign"):
    """A certificate for key, signed by issuer (cert, key) or self-signed."""
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])
    icert, ikey = issuer if issuer else (None, key)
    b = (x509.CertificateBuilder().subject_name(name)
         .issuer_name(icert.subject if icert else name)
         .public_key(key.public_key()).serial_number(x509.random_serial_number())
         .not_valid_before(start or NOW - DAY).not_valid_after(end or NOW + 30 * DAY)
         .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True))
    sign = usage == "sign"
    b = b.add_extension(x509.KeyUsage(
        digital_signature=sign or ca, content_commitment=False, key_encipherment=not sign,
        data_encipherment=False, key_agreement=False, key_cert_sign=ca, crl_sign=ca,
        encipher_only=False, decipher_only=False), critical=True)
    if not ca:
        b = b.add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.CLIENT_AUTH]),
                            critical=False)
    return b.sign(ikey, hashes.SHA256())


def ec_key():
    return ec.generate_private_key(ec.SECP256R1())


class CA:
    def __init__(self, cn):
        self.key = ec_key()
        self.cert = make_cert(cn, self.key, ca=True, end=NOW + 365 * DAY)
        self.pem = pem_cert(self.cert)


class Client:
    """A client key and certificate (plus chain) written as PEM files."""

    def __init__(self, name, cn, ca, key=None, chain=(), **kw):
        self.key = key or ec_key()
        self.cert = make_cert(cn, self.key, issuer=(ca.cert, ca.key), **kw)
        self.crt = write(os.path.join(TMP, name + ".crt"), pem_cert(self.cert),
                         *[pem_cert(c) for c in chain])
        self.keyfile = write(os.path.join(TMP, name + ".key"), pem_key(self.key))


CA_A, CA_B, CA_OTHER = CA("tinyhook client CA A"), CA("tinyhook client CA B"), CA("someone else")
INTER = CA("tinyhook client intermediate")
INTER.cert = make_cert("tinyhook client intermediate", INTER.key, issuer=(CA_A.cert, CA_A.key),
                       ca=True)
CLIENTS = {
    "apiserver": Client("apiserver", "kube-apiserver", CA_A),
    "second-cn": Client("second-cn", "tinyhook-test", CA_A),
    "rsa": Client("rsa", "kube-apiserver", CA_A, key=rsa.generate_private_key(65537, 2048)),
    "intermediate": Client("intermediate", "kube-apiserver", INTER, chain=[INTER.cert]),
    "other-ca": Client("other-ca", "kube-apiserver", CA_OTHER),
    "expired": Client("expired", "kube-apiserver", CA_A, start=NOW - 30 * DAY, end=NOW - DAY),
    "not-yet": Client("not-yet", "kube-apiserver", CA_A, start=NOW + DAY, end=NOW + 30 * DAY),
    "wrong-cn": Client("wrong-cn", "intruder", CA_A),
    "no-sign": Client("no-sign", "kube-apiserver", CA_A, usage="encipher"),
    "apiserver-b": Client("apiserver-b", "kube-apiserver", CA_B),
}
CA_FILE = write(os.path.join(TMP, "client-ca.crt"), CA_A.pem)


def ctx_for(srv, client=None):
    ctx = client_context(srv.ca)
    if client:
        ctx.load_cert_chain(CLIENTS[client].crt, CLIENTS[client].keyfile)
    return ctx


def attempt(port, ctx, session=None, path="/validate", body=REVIEW, keep=False):
    """One request on a new connection. Returns (response or None, error,
    local port, socket if keep)."""
    raw = socket.create_connection(("127.0.0.1", port), timeout=10)
    local = raw.getsockname()[1]
    try:
        s = ctx.wrap_socket(raw, server_hostname="127.0.0.1", session=session)
        r = request(s, "POST" if body else "GET", path, body)
    except (ssl.SSLError, OSError, EOFError) as e:
        raw.close()
        return None, e, local, None
    if keep:
        return r, None, local, s
    s.close()
    return r, None, local, None


def wait_log(srv, text, secs=RELOAD_SECS):
    end = time.time() + secs
    while time.time() < end:
        if text in srv.stderr():
            return True
        time.sleep(0.05)
    return False


def refusal_cases(srv):
    # client, reason the log must give, text of the subject it must name
    table = [
        (None, "no client certificate presented", None),
        ("other-ca", "not issued by a --client-ca certificate", 'subject \\"CN=kube-apiserver\\"'),
        ("expired", "expired or not yet valid", "notAfter " + (NOW - DAY).strftime("%Y-%m-%d")),
        ("not-yet", "expired or not yet valid", "notBefore " + (NOW + DAY).strftime("%Y-%m-%d")),
        ("wrong-cn", "its CN is not one of --client-cn", 'subject \\"CN=intruder\\"'),
        ("no-sign", "its keyUsage does not allow signing", 'subject \\"CN=kube-apiserver\\"'),
    ]
    for client, why, who in table:
        name = client or "no certificate"
        r, err, local, _ = attempt(srv.port, ctx_for(srv, client))
        check("refused: %s (handshake fails)" % name, r is None, "answered %r" % (r and r.status))
        line = "127.0.0.1:%d: client certificate refused: %s" % (local, why)
        ok = wait_log(srv, line, 2)
        got = [l for l in srv.stderr().splitlines() if "127.0.0.1:%d" % local in l]
        check("refused: %s: the log names the client and why" % name,
              ok and (who is None or who in got[0]), "%r" % got)


def accept_cases(srv):
    for client in ("apiserver", "second-cn", "rsa", "intermediate"):
        r, err, _, _ = attempt(srv.port, ctx_for(srv, client))
        check("served: %s" % client, r is not None and envelope_ok(r, UID),
              "%r" % (err or r.status))


def request_names_ca(srv):
    p = subprocess.run(["openssl", "s_client", "-connect", "127.0.0.1:%d" % srv.port,
                        "-tls1_2", "-CAfile", srv.ca], input=b"", capture_output=True,
                       timeout=CMD_SECS)
    out = p.stdout.decode("utf-8", "replace")
    check("CertificateRequest names the --client-ca subject (openssl s_client)",
          "Acceptable client certificate CA names" in out and
          "tinyhook client CA A" in out, out[-800:])


def probe_cases(srv, probe_port):
    for path in ("/healthz", "/readyz", "/metrics"):
        r, err, _, _ = attempt(probe_port, ctx_for(srv), path=path, body=None)
        check("probe listener: GET %s without a certificate: 200" % path,
              r is not None and r.status == 200, "%r" % (err or r.status))
    r, err, _, _ = attempt(probe_port, ctx_for(srv))
    check("probe listener: POST /validate is not served there (404)",
          r is not None and r.status == 404, "%r" % (err or r.status))
    r, err, _, _ = attempt(srv.port, ctx_for(srv), path="/healthz", body=None)
    check("webhook port: GET /healthz without a certificate is refused", r is None,
          "answered %r" % (r and r.status))
    # A session made on the probe port (no certificate) must not resume on
    # the webhook port, where it would skip the certificate.
    ctx = ctx_for(srv)
    raw = socket.create_connection(("127.0.0.1", probe_port), timeout=10)
    s = ctx.wrap_socket(raw, server_hostname="127.0.0.1")
    request(s, "GET", "/healthz")
    sess = s.session
    s.close()
    r, err, _, _ = attempt(srv.port, ctx, session=sess)
    check("a probe-port session does not open the webhook port", r is None,
          "answered %r" % (r and r.status))


def go_client(srv):
    """Go's net/http, as the apiserver calls: with its certificate, without."""
    go = shutil.which("go")
    if not go:
        check("Go client (skipped: no go on PATH)", True)
        return
    src = os.path.join(TMP, "goclient")
    os.makedirs(src, exist_ok=True)
    with open(os.path.join(src, "main.go"), "w") as f:
        f.write(GO_CLIENT)
    env = dict(os.environ, GOCACHE=os.path.join(TMP, "gocache"), GOPATH=os.path.join(TMP, "gopath"),
               GO111MODULE="off", GOFLAGS="")
    exe = os.path.join(src, "client")
    b = subprocess.run([go, "build", "-o", exe, "main.go"], cwd=src, env=env,
                       capture_output=True, text=True, timeout=CMD_SECS * 3)
    if not check("Go client builds", b.returncode == 0, b.stderr[-500:]):
        return
    ver = subprocess.run([go, "version"], capture_output=True, text=True).stdout.split()[2]
    url = "https://127.0.0.1:%d/validate" % srv.port
    body = os.path.join(TMP, "review.json")
    write(body, REVIEW)
    for client, want in (("apiserver", "200"), ("rsa", "200"), (None, "error"),
                         ("other-ca", "error"), ("wrong-cn", "error")):
        args = [exe, url, srv.ca, body] + ([CLIENTS[client].crt, CLIENTS[client].keyfile]
                                           if client else [])
        p = subprocess.run(args, capture_output=True, text=True, timeout=CMD_SECS)
        out = p.stdout.strip()
        check("Go %s client %s: %s" % (ver, client or "without a certificate",
                                       "served" if want == "200" else "refused"),
              out.startswith(want), out[-300:])
        print("     Go says: %s" % out[:200])


GO_CLIENT = r'''package main

import (
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"io/ioutil"
	"net/http"
	"os"
	"time"
)

func main() {
	ca, _ := ioutil.ReadFile(os.Args[2])
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(ca)
	cfg := &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12, NextProtos: []string{"h2", "http/1.1"}}
	if len(os.Args) > 5 {
		pair, err := tls.LoadX509KeyPair(os.Args[4], os.Args[5])
		if err != nil {
			fmt.Println("keypair:", err)
			return
		}
		cfg.Certificates = []tls.Certificate{pair}
	}
	body, _ := ioutil.ReadFile(os.Args[3])
	c := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{TLSClientConfig: cfg}}
	r, err := c.Post(os.Args[1], "application/json", bytes.NewReader(body))
	if err != nil {
		fmt.Println("error:", err)
		return
	}
	fmt.Println(r.StatusCode, r.Proto)
}
'''


def curl_client(srv):
    base = ["curl", "-sS", "--max-time", "10", "--cacert", srv.ca, "-o", "/dev/null",
            "-w", "%{http_code}", "-H", "Content-Type: application/json",
            "--data-binary", "@" + write(os.path.join(TMP, "r.json"), REVIEW),
            "https://127.0.0.1:%d/validate" % srv.port]
    c = CLIENTS["apiserver"]
    p = subprocess.run(base + ["--cert", c.crt, "--key", c.keyfile], capture_output=True,
                       text=True, timeout=CMD_SECS)
    check("curl with the client certificate: 200", p.stdout == "200", p.stdout + p.stderr)
    p = subprocess.run(base, capture_output=True, text=True, timeout=CMD_SECS)
    check("curl without a certificate: refused", p.returncode != 0 and p.stdout == "000",
          p.stdout + p.stderr)
    print("     curl says: %s" % p.stderr.strip()[:200])


def rotation():
    """The client CA file is replaced while a client is connected."""
    ca_file = write(os.path.join(TMP, "rotate-ca.crt"), CA_A.pem)
    srv = Server(SERVE, "--client-ca", ca_file)
    try:
        ctx_a = ctx_for(srv, "apiserver")
        r, err, _, conn = attempt(srv.port, ctx_a, keep=True)
        check("rotation: served under CA A", r is not None and envelope_ok(r, UID), "%r" % err)
        if conn is None:
            return
        sess = conn.session
        r, err, _, s2 = attempt(srv.port, ctx_a, session=sess, keep=True)
        check("rotation: a CA A session resumes before the change (so the next check means "
              "something)", s2 is not None and s2.session_reused, "%r" % err)
        if s2:
            s2.close()
        tmp = ca_file + ".new"
        write(tmp, CA_B.pem)
        os.rename(tmp, ca_file)
        check("rotation: the new CA file is picked up (log)", wait_log(srv, "client CA reloaded"),
              srv.stderr()[-500:])
        r = request(conn, "POST", "/validate", REVIEW)
        check("rotation: the connection opened under CA A keeps working", envelope_ok(r, UID))
        r, err, _, _ = attempt(srv.port, ctx_for(srv, "apiserver"))
        check("rotation: a new connection with a CA A certificate is refused", r is None)
        r, err, _, s3 = attempt(srv.port, ctx_a, session=sess, keep=True)
        check("rotation: a CA A session no longer resumes (the cache was emptied)",
              r is None, "resumed=%r" % (s3 and s3.session_reused))
        if s3:
            s3.close()
        r, err, _, _ = attempt(srv.port, ctx_for(srv, "apiserver-b"))
        check("rotation: a CA B certificate is served", r is not None and envelope_ok(r, UID),
              "%r" % err)
        write(tmp, b"-----BEGIN CERTIFICATE-----\nnot base64\n")
        os.rename(tmp, ca_file)
        check("rotation: a broken CA file is refused with a log line",
              wait_log(srv, "client CA reload refused, keeping the old one: " + ca_file),
              srv.stderr()[-500:])
        r, err, _, _ = attempt(srv.port, ctx_for(srv, "apiserver-b"))
        check("rotation: after the refused file, CA B still serves",
              r is not None and envelope_ok(r, UID), "%r" % err)
        r = request(conn, "POST", "/validate", REVIEW)
        check("rotation: the first connection still works", envelope_ok(r, UID))
        conn.close()
        write(tmp, CA_A.pem, CA_B.pem)
        os.rename(tmp, ca_file)
        srv.signal(1)	# SIGHUP: reloads at once, whatever the file looks like
        check("rotation: SIGHUP reloads a bundle of both CAs",
              wait_log(srv, "client CA reloaded (SIGHUP): 2 CA certificates"), srv.stderr()[-500:])
        ok = all(attempt(srv.port, ctx_for(srv, c))[0] is not None
                 for c in ("apiserver", "apiserver-b"))
        check("rotation: with both CAs in the file, both certificates are served", ok)
    finally:
        check("rotation: server exits 0", srv.stop() == 0)


def flag_errors():
    leaf = CLIENTS["apiserver"].crt
    cases = [
        (["--client-cn", "x"], 2, "needs --client-ca"),
        (["--client-ca", os.path.join(TMP, "missing.crt")], 1, "missing.crt"),
        (["--client-ca", leaf], 1, "not a CA"),
        (["--client-ca", os.path.join(SERVE, "tls.key")], 1, "no PEM certificate found"),
        (["--client-ca", CA_FILE] + ["--client-cn=n%d" % i for i in range(17)], 2,
         "at most 16"),
        (["--probe-listen", "nowhere"], 2, "--probe-listen nowhere"),  # a usage error (issue 15)
    ]
    for args, rc, text in cases:
        p = subprocess.run([TINYHOOK, "--listen", "127.0.0.1:%d" % free_port(),
                            "--cert-dir", SERVE] + args, capture_output=True, text=True,
                           timeout=10)
        check("flags %s: exit %d, says %r" % (" ".join(args)[:60], rc, text),
              p.returncode == rc and text in p.stderr, "rc=%d %s" % (p.returncode, p.stderr))


def k8s_component():
    """k8s/components/client-auth rendered by kubectl, then run as rendered."""
    import base64
    import yaml
    kubectl = shutil.which("kubectl")
    tree = os.path.join(TMP, "tree")
    files = subprocess.run(["git", "ls-files", "-co", "--exclude-standard", "k8s"], cwd=ROOT, capture_output=True,
                           text=True, check=True).stdout.split()
    for f in files:
        os.makedirs(os.path.dirname(os.path.join(tree, f)), exist_ok=True)
        shutil.copy2(os.path.join(ROOT, f), os.path.join(tree, f))
    k8s = os.path.join(tree, "k8s")
    comp = os.path.join(k8s, "components", "client-auth")
    r = subprocess.run(["sh", os.path.join(k8s, "render.sh"), "--tinyhook", TINYHOOK, "--certs",
                        SERVE, "--out", os.path.join(TMP, "base.yaml")], capture_output=True,
                       text=True)
    m = subprocess.run(["sh", os.path.join(comp, "mkclient.sh")], capture_output=True, text=True)
    gen = os.path.join(comp, "generated")
    if not check("mkclient.sh writes the client CA, certificate and apiserver files",
                 r.returncode == 0 and m.returncode == 0, r.stderr + m.stderr):
        return
    modes = {f: oct(os.stat(os.path.join(gen, f)).st_mode & 0o777)
             for f in ("client-ca.key", "apiserver.key", "webhook-kubeconfig.yaml")}
    check("mkclient.sh: key files and the kubeconfig are 0600",
          set(modes.values()) == {"0o600"}, "%r" % modes)
    kc = yaml.safe_load(open(os.path.join(gen, "webhook-kubeconfig.yaml")))
    users = {u["name"]: u["user"] for u in kc.get("users", [])}
    check("kubeconfig: users named after the webhook host (service, service:443, host mode)",
          kc.get("kind") == "Config" and set(users) ==
          {"tinyhook.tinyhook.svc", "tinyhook.tinyhook.svc:443", "127.0.0.1:9443"}, "%r" % users)
    ac = yaml.safe_load(open(os.path.join(gen, "admission.yaml")))
    plugins = {p["name"]: p["configuration"] for p in ac.get("plugins", [])}
    check("AdmissionConfiguration: both webhook plugins name the kubeconfig",
          ac.get("kind") == "AdmissionConfiguration" and
          set(plugins) == {"ValidatingAdmissionWebhook", "MutatingAdmissionWebhook"} and
          all(c["kind"] == "WebhookAdmissionConfiguration" and
              c["kubeConfigFile"] == "/var/lib/rancher/k3s/server/tinyhook/webhook-kubeconfig.yaml"
              for c in plugins.values()), "%r" % plugins)
    if not kubectl:
        check("k8s component render (skipped: no kubectl)", True)
        return
    with open(os.path.join(k8s, "kustomization.yaml"), "a") as f:
        f.write("components:\n  - components/client-auth\n")
    k = subprocess.run([kubectl, "kustomize", k8s], capture_output=True, text=True,
                       timeout=CMD_SECS)
    if not check("kubectl kustomize k8s with components/client-auth", k.returncode == 0,
                 k.stderr[-500:]):
        return
    objs = {(o["kind"], o["metadata"]["name"]): o for o in yaml.safe_load_all(k.stdout) if o}
    dep = objs[("Deployment", "tinyhook")]["spec"]["template"]["spec"]
    c = dep["containers"][0]
    args = c["args"]
    ports = {p["name"]: p["containerPort"] for p in c["ports"]}
    check("Deployment: --client-ca, --client-cn kube-apiserver, --probe-listen :9444",
          " ".join(args).endswith("--client-ca /etc/tinyhook/client-ca/ca.crt --client-cn "
                                  "kube-apiserver --probe-listen :9444"), "%r" % args)
    check("Deployment: probes go to the probe port over HTTPS",
          ports.get("probe") == 9444 and all(
              c[p]["httpGet"]["port"] == "probe" and c[p]["httpGet"]["scheme"] == "HTTPS"
              for p in ("readinessProbe", "livenessProbe")), "%r" % ports)
    vols = {v["name"]: v for v in dep["volumes"]}
    mounts = {m["name"]: m for m in c["volumeMounts"]}
    sec = objs.get(("Secret", "tinyhook-client-ca"), {})
    check("Deployment: the client CA Secret is mounted as a directory at /etc/tinyhook/client-ca",
          vols.get("client-ca", {}).get("secret", {}).get("secretName") == "tinyhook-client-ca"
          and mounts.get("client-ca", {}).get("mountPath") == "/etc/tinyhook/client-ca"
          and "subPath" not in mounts.get("client-ca", {}))
    check("Secret tinyhook-client-ca holds generated/client-ca.crt",
          base64.b64decode(sec.get("data", {}).get("ca.crt", "")) ==
          open(os.path.join(gen, "client-ca.crt"), "rb").read())
    np = objs.get(("NetworkPolicy", "tinyhook"), {}).get("spec", {})
    np_ports = sorted(p["port"] for rule in np.get("ingress", []) for p in rule.get("ports", []))
    labels = objs[("Deployment", "tinyhook")]["spec"]["template"]["metadata"]["labels"]
    check("NetworkPolicy: ingress only to the webhook and probe ports of tinyhook's pods",
          np.get("policyTypes") == ["Ingress"] and np_ports == ["https", "probe"] and
          set(ports) == {"https", "probe"} and
          all(labels.get(k) == v for k, v in np["podSelector"]["matchLabels"].items()),
          "%r %r" % (np, ports))
    # The rendered arguments, run: the apiserver's kubeconfig credentials get in.
    run_args = []
    probe_port = free_port()
    for a in args:
        run_args.append({"/etc/tinyhook/client-ca/ca.crt": os.path.join(gen, "client-ca.crt"),
                         ":9444": "127.0.0.1:%d" % probe_port}.get(a, a))
    srv = Server(SERVE, *run_args)
    try:
        user = users["tinyhook.tinyhook.svc"]
        crt = write(os.path.join(TMP, "kc.crt"), base64.b64decode(user["client-certificate-data"]))
        key = write(os.path.join(TMP, "kc.key"), base64.b64decode(user["client-key-data"]))
        ctx = client_context(srv.ca)
        ctx.load_cert_chain(crt, key)
        r, err, _, _ = attempt(srv.port, ctx)
        check("rendered args: the kubeconfig's certificate is served",
              r is not None and envelope_ok(r, UID), "%r" % err)
        r, err, _, _ = attempt(srv.port, client_context(srv.ca))
        check("rendered args: no certificate is refused", r is None)
        r, err, _, _ = attempt(probe_port, client_context(srv.ca), path="/readyz", body=None)
        check("rendered args: the probe port answers /readyz without a certificate",
              r is not None and r.status == 200, "%r" % err)
    finally:
        srv.stop()


def main():
    probe_port = free_port()
    srv = Server(SERVE, "--client-ca", CA_FILE, "--client-cn", "kube-apiserver",
                 "--client-cn", "tinyhook-test", "--probe-listen", "127.0.0.1:%d" % probe_port)
    try:
        check("startup log says client certificates are required",
              wait_log(srv, 'client certificates required: 1 CA certificate '
                       '(\\"CN=tinyhook client CA A\\"), CN one of \\"kube-apiserver\\", '
                       '\\"tinyhook-test\\"'), srv.stderr()[-600:])
        check("startup log names the probe listener",
              wait_log(srv, "probe listener on 127.0.0.1:%d" % probe_port), srv.stderr()[-600:])
        refusal_cases(srv)
        accept_cases(srv)
        request_names_ca(srv)
        probe_cases(srv, probe_port)
        curl_client(srv)
        go_client(srv)
    finally:
        check("server exits 0", srv.stop() == 0)
    rotation()
    flag_errors()
    k8s_component()
    shutil.rmtree(TMP, ignore_errors=True)
    summary("client_auth")


main()
