"""limits.py: no input or client can exhaust CPU or memory (issue 13).

- Nesting: JSON_MAX_DEPTH (256) containers are read, one more is a 400 with a
  JSON reason, on /validate, /mutate, /convert and `tinyhook review`; 1.5 M
  nested brackets (3 MiB) are refused like 257 (the cost is linear: see
  `make bench-worst`; no wall time is asserted here).
- Memory: every request and response buffer counts against
  --max-buffer-bytes. N clients each send a head announcing a 3 MiB body and
  then most of it; the server refuses what does not fit with 503 and
  Retry-After, its buffer gauge never passes the budget, its RSS stays under
  the budget plus the per-connection TLS state, ordinary reviews are answered
  all along, and every upload it took is answered with its own uid, in order.
- Plain HTTP on the TLS port: the clear-text 400 Go's net/http sends.
- Certificates: expired, not yet valid, expiring soon, no SAN: a warning
  naming the file, a metric, and the server keeps serving (readiness 200).

Each case states the expectation from the issue and the contract, not from
what the code happens to do.
"""
import datetime
import json
import os
import resource
import select
import shutil
import socket
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
from th import ROOT, TINYHOOK, Server, check, mkcerts, read_response, request, summary  # noqa: E402

DEPTH = 256		# src/limit.h JSON_MAX_DEPTH
MIB = 1 << 20
UID = "5d1a7a36-0c51-4d8e-9b0b-2b0c5e1f9a10"


def review(uid=UID, pad=0, obj=None):
    """An AdmissionReview for a Pod CREATE; pad bytes of annotation."""
    pod = obj or {
        "apiVersion": "v1", "kind": "Pod",
        "metadata": {"name": "p", "namespace": "default", "labels": {"app": "a"},
                     "annotations": {"pad": "x" * pad}},
        "spec": {"containers": [{"name": "c", "image": "registry.example.com/a:1"}]},
    }
    rq = {"apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview",
          "request": {"uid": uid, "kind": {"group": "", "version": "v1", "kind": "Pod"},
                      "resource": {"group": "", "version": "v1", "resource": "pods"},
                      "requestKind": {"group": "", "version": "v1", "kind": "Pod"},
                      "requestResource": {"group": "", "version": "v1", "resource": "pods"},
                      "name": "p", "namespace": "default", "operation": "CREATE",
                      "userInfo": {"username": "u"}, "object": pod, "oldObject": None,
                      "dryRun": False, "options": None}}
    return json.dumps(rq, separators=(",", ":")).encode()


def nested(n):
    """A review whose object holds n nested arrays (n + 2 containers deep
    counting the review and its request)."""
    return (b'{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"uid":"'
            + UID.encode() + b'","object":' + b"[" * n + b"]" * n + b"}}")


def test_nesting(srv):
    # Top object + request object = 2 containers; arrays fill up to the limit.
    ok_body = nested(DEPTH - 2)
    deep = nested(DEPTH - 1)
    huge = nested((3 * MIB - 200) // 2)
    for path in ("/validate", "/mutate", "/convert"):
        r = request(srv.connect(), "POST", path, ok_body)
        check("depth %d on %s is not refused for depth" % (DEPTH, path),
              not (r.status == 400 and b"nested" in r.body), "%d %r" % (r.status, r.body[:120]))
        for name, body in (("depth %d" % (DEPTH + 1), deep), ("1.5M nested (3 MiB)", huge)):
            r = request(srv.connect(), "POST", path, body)
            reason = ""
            try:
                reason = r.json().get("error", "") if r.status != 200 else \
                    json.dumps(r.json())
            except ValueError:
                pass
            check("%s on %s: 400 with a JSON reason" % (name, path),
                  r.status == 400 and "nested too deeply" in reason,
                  "%d %r" % (r.status, r.body[:160]))
    tmp = tempfile.mkdtemp()
    try:
        for name, body, want in (("depth %d" % DEPTH, ok_body, None),
                                 ("depth %d" % (DEPTH + 1), deep, "nested too deeply"),
                                 ("1.5M nested", huge, "nested too deeply")):
            p = os.path.join(tmp, "n.json")
            with open(p, "wb") as f:
                f.write(body)
            r = subprocess.run([TINYHOOK, "review", p], capture_output=True, text=True, timeout=60)
            if want:
                said = r.stdout + r.stderr
                check("review %s: exit 2 naming the file and the reason" % name,
                      r.returncode == 2 and want in said and p in said,
                      "rc=%d %r" % (r.returncode, said[:200]))
            else:
                check("review %s: not refused for depth" % name,
                      "nested" not in r.stdout + r.stderr, (r.stdout + r.stderr)[:200])
    finally:
        shutil.rmtree(tmp)


def test_plain_http(srv):
    s = socket.create_connection(("127.0.0.1", srv.port), timeout=5)
    s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
    out = b""
    try:
        while True:
            c = s.recv(4096)
            if not c:
                break
            out += c
    except socket.timeout:
        out += b"<timeout>"
    s.close()
    check("plain HTTP on the TLS port: Go's clear-text 400, then a clean close",
          out == b"HTTP/1.0 400 Bad Request\r\n\r\nClient sent an HTTP request to an HTTPS server.\n",
          repr(out[:200]))
    time.sleep(0.2)
    check("plain HTTP is logged as what it was",
          "plain HTTP request on the TLS port" in srv.stderr(), srv.stderr()[-300:])
    r = request(srv.connect(), "GET", "/healthz")
    check("TLS still served after plain HTTP", r.status == 200, str(r.status))


def metric(srv, name):
    r = request(srv.connect(), "GET", "/metrics")
    vals = {}
    for line in r.body.decode().splitlines():
        if line.startswith(name):
            k, _, v = line.rpartition(" ")
            vals[k] = float(v)
    return vals


def rss_kib(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return -1


def test_memory(certs, n):
    budget = 24 * MIB
    srv = Server(certs, "--workers", "2", "--max-body", "3Mi", "--max-buffer-bytes", "24Mi",
                 "--body-timeout", "120s", "--header-timeout", "60s", "--log-level", "warn")
    conns = []
    try:
        body = review(pad=3 * MIB - 50 - 800)
        assert len(body) <= 3 * MIB
        head = ("POST /validate HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                "Content-Length: %d\r\n\r\n" % len(body)).encode()
        for i in range(n):
            s = srv.connect(timeout=30)
            s.sendall(head)
            conns.append(s)
        # Refused heads are answered at once (the buffer is taken at the head).
        time.sleep(0.5)
        held, refused, bad = [], 0, []
        for s in conns:
            r, _, _ = select.select([s], [], [], 0)
            if not r:
                held.append(s)
                continue
            resp = read_response(s)
            if resp.status == 503 and resp.header("retry-after") == "1":
                refused += 1
            else:
                bad.append(resp.status)
            s.close()
        check("%d clients: the ones over the budget get 503 + Retry-After at the head" % n,
              not bad and refused == n - len(held) and 0 < len(held) <= budget // (3 * MIB),
              "held %d refused %d other %r" % (len(held), refused, bad[:5]))
        # The held ones send all but the last 50 bytes, and wait.
        for s in held:
            s.sendall(body[:-50])
        time.sleep(0.3)
        g = metric(srv, "tinyhook_buffer_bytes")
        held_bytes = g.get("tinyhook_buffer_bytes", -1)
        rss = rss_kib(srv.proc.pid)
        # Per connection: the TLS state (tls.h, ~26 KiB) and the struct.
        ceiling_kib = budget // 1024 + n * 40 + 16 * 1024
        print("   %d connections: %d held, buffers %.1f MiB of %.0f MiB, RSS %.1f MiB (ceiling %.1f)"
              % (n, len(held), held_bytes / MIB, budget / MIB, rss / 1024, ceiling_kib / 1024))
        check("%d clients: buffer gauge within the budget" % n, 0 < held_bytes <= budget,
              str(held_bytes))
        check("%d clients: RSS within budget + connections' TLS state" % n,
              0 < rss <= ceiling_kib, "%d KiB > %d KiB" % (rss, ceiling_kib))
        ok = 0
        for i in range(10):
            uid = "00000000-0000-4000-8000-%012d" % i
            r = request(srv.connect(), "POST", "/validate", review(uid, pad=20000))
            ok += r.status == 200 and r.json()["response"]["uid"] == uid
        check("%d clients: ordinary reviews answered meanwhile (10 of 10)" % n, ok == 10,
              "%d of 10" % ok)
        got = []
        for s in held:
            s.sendall(body[-50:])
        for s in held:
            r = read_response(s)
            got.append(r.status == 200 and r.json()["response"]["uid"] == UID)
        check("%d clients: every upload taken is answered, in order" % n,
              len(got) == len(held) and all(got), repr(got))
    finally:
        for s in conns:
            try:
                s.close()
            except OSError:
                pass
        code = srv.stop()
    check("%d clients: server exits cleanly" % n, code == 0, str(code))


def test_token_budget(certs):
    """The JSON token arrays count against the budget too: a body of
    600,000 tiny values (1.2 MB) needs 12 MiB of tokens."""
    srv = Server(certs, "--workers", "1", "--max-body", "3Mi", "--max-buffer-bytes", "8Mi")
    try:
        obj = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"},
               "spec": {"containers": [{"name": "c", "image": "x"}]}, "x": [0] * 600000}
        r = request(srv.connect(), "POST", "/validate", review(obj=obj))
        reason = r.json().get("error", "") if r.status == 503 else r.body[:200]
        check("tokens over the budget: 503, Retry-After, a JSON reason",
              r.status == 503 and r.header("retry-after") == "1" and
              "memory budget" in reason, "%d %r" % (r.status, reason))
        r = request(srv.connect(), "POST", "/validate", review())
        check("tokens over the budget: the next ordinary review is answered",
              r.status == 200 and r.json()["response"]["uid"] == UID, str(r.status))
        g = metric(srv, "tinyhook_busy_refusals_total")
        check("tokens over the budget: counted in tinyhook_busy_refusals_total",
              g.get("tinyhook_busy_refusals_total") == 1, repr(g))
    finally:
        srv.stop()


def cert(out, days_from, days_to, san=True):
    """A self-signed P-256 leaf valid [now+days_from, now+days_to]."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID
    import ipaddress
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "tinyhook-test")])
    now = datetime.datetime.now(datetime.timezone.utc)
    b = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
         .public_key(key.public_key()).serial_number(x509.random_serial_number())
         .not_valid_before(now + datetime.timedelta(days=days_from))
         .not_valid_after(now + datetime.timedelta(days=days_to)))
    if san:
        b = b.add_extension(x509.SubjectAlternativeName(
            [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False)
    c = b.sign(key, hashes.SHA256())
    os.makedirs(out, exist_ok=True)
    with open(os.path.join(out, "tls.crt"), "wb") as f:
        f.write(c.public_bytes(serialization.Encoding.PEM))
    with open(os.path.join(out, "tls.key"), "wb") as f:
        f.write(key.private_bytes(serialization.Encoding.PEM,
                                  serialization.PrivateFormat.PKCS8,
                                  serialization.NoEncryption()))
    shutil.copy(os.path.join(out, "tls.crt"), os.path.join(out, "ca.crt"))


def test_certs(tmp):
    try:
        import cryptography  # noqa: F401
    except ImportError:
        print("skip certificate checks: python3-cryptography is not installed")
        return
    cases = [  # name, valid from, valid to (days from now), SAN, problem or None
        ("good", -1, 365, True, None),
        ("expired", -30, -1, True, "expired"),
        ("not yet valid", 2, 365, True, "not_yet_valid"),
        ("expiring in 5 days", -1, 5, True, "expiring_soon"),
        ("no SAN", -1, 365, False, "no_san"),
    ]
    for name, a, b, san, problem in cases:
        d = os.path.join(tmp, name.replace(" ", "-"))
        cert(d, a, b, san)
        srv = Server(d)
        try:
            time.sleep(0.1)
            log = srv.stderr()
            # The served certificate is not trusted by a client when expired:
            # read the metrics without verification, as a probe would.
            import ssl
            ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
            ctx.check_hostname = False
            ctx.verify_mode = ssl.CERT_NONE
            r = request(srv.connect(ctx), "GET", "/metrics")
            flags = {}
            for line in r.body.decode().splitlines():
                if line.startswith("tinyhook_certificate_problem{"):
                    flags[line.split('"')[1]] = line.endswith(" 1")
            ready = request(srv.connect(ctx), "GET", "/readyz").status
            if problem:
                check("cert %s: warning names file, problem, subject, notAfter" % name,
                      problem in log and os.path.join(d, "tls.crt") in log and
                      "CN=tinyhook-test" in log and "notAfter" in log, log[-400:])
            else:
                check("cert %s: no warning" % name, '"warn"' not in log, log[-400:])
            want = {p: p == problem for p in
                    ("expired", "not_yet_valid", "expiring_soon", "no_san")}
            check("cert %s: tinyhook_certificate_problem gauges" % name, flags == want,
                  repr(flags))
            check("cert %s: still serving, readiness 200" % name, ready == 200, str(ready))
        finally:
            srv.stop()


def main():
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, 8192), hard))
    tmp = tempfile.mkdtemp()
    try:
        certs = mkcerts(os.path.join(tmp, "certs"), "--host", "127.0.0.1")
        srv = Server(certs, "--max-body", "3Mi", "--log-level", "info")
        try:
            test_nesting(srv)
            test_plain_http(srv)
        finally:
            srv.stop()
        for n in (60, 200, 1000):
            test_memory(certs, n)
        test_token_budget(certs)
        test_certs(tmp)
    finally:
        shutil.rmtree(tmp)
    summary("limits")


main()
