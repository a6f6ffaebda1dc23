"""th.py: helpers for tinyhook integration tests (Debian /usr/bin/python3).

A test suite is a table of named cases; check() counts them and the suite
ends with summary(), printing the "N passed, N failed, N skipped, N cases"
line run.sh reads. A check that cannot run here (data only ../shared holds)
is skip()ped with its reason, never silently left out. Servers are started
on 127.0.0.1 with a free port, by PID, and always stopped by PID.
"""
import json
import os
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import time

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
TINYHOOK = os.environ.get("TINYHOOK", os.path.join(ROOT, "tinyhook"))
SHARED = os.environ.get("SHARED", os.path.join(os.path.dirname(ROOT), "shared"))
# Facts the tests read, kept in the repository (test/fixtures/README.md).
FIXTURES = os.path.join(ROOT, "test", "fixtures")
CAPTURED = os.path.join(FIXTURES, "apiserver-v1.36")
BENCH_PAYLOADS = os.path.join(FIXTURES, "bench-payloads")

_passed = 0
_failed = 0
_skipped = 0


def check(name, ok, detail=""):
    """Records one case; prints failures with detail."""
    global _passed, _failed
    if ok:
        _passed += 1
        print("ok   %s" % name)
    else:
        _failed += 1
        print("FAIL %s %s" % (name, detail))
        if os.environ.get("TH_FAIL_FAST"):	# make mutate: the first failure decides
            sys.stdout.flush()
            raise SystemExit(1)	# finally blocks still stop the servers
    sys.stdout.flush()
    return ok


def skip(name, reason):
    """Records a case that cannot run here, with why (run.sh lists them)."""
    global _skipped
    _skipped += 1
    print("skip %s: %s" % (name, reason))
    sys.stdout.flush()


def shared_path(*parts):
    """The path under ../shared (or $SHARED) if it exists there, else None:
    only other projects' code and data live there (peers, bench scripts)."""
    p = os.path.join(SHARED, *parts)
    return p if os.path.exists(p) else None


def summary(prefix):
    """Prints the closing line; a suite that ran no case fails."""
    global _failed
    if _passed + _failed == 0:
        print("FAIL %s ran no case" % prefix)
        _failed += 1
    print("%s: %d passed, %d failed, %d skipped, %d cases"
          % (prefix, _passed, _failed, _skipped, _passed + _failed))
    sys.exit(1 if _failed else 0)


def mkcerts(out, *args):
    """Creates a CA and serving cert with certs/mkcerts.sh in out."""
    subprocess.run(["sh", os.path.join(ROOT, "certs", "mkcerts.sh"), "--out", out,
                    "--force"] + list(args), check=True, stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL)
    return out


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


class Server:
    """A tinyhook process on 127.0.0.1:PORT serving certs from certdir."""

    def __init__(self, certdir, *extra, binary=None, wait=True):
        self.port = free_port()
        self.certdir = certdir
        self.ca = os.path.join(certdir, "ca.crt")
        self.out = tempfile.TemporaryFile()
        self.err = tempfile.TemporaryFile()
        args = [binary or TINYHOOK, "--listen", "127.0.0.1:%d" % self.port,
                "--cert-dir", certdir] + list(extra)
        self.proc = subprocess.Popen(args, stdout=self.out, stderr=self.err)
        if wait:
            self.wait_ready()

    def wait_ready(self, timeout=10):
        end = time.time() + timeout
        while time.time() < end:
            if self.proc.poll() is not None:
                raise RuntimeError("tinyhook exited %d: %s" % (self.proc.returncode, self.stderr()))
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                return
            except OSError:
                time.sleep(0.02)
        raise RuntimeError("tinyhook did not listen")

    def context(self, **kw):
        return client_context(self.ca, **kw)

    def connect(self, ctx=None, timeout=10):
        raw = socket.create_connection(("127.0.0.1", self.port), timeout=timeout)
        return (ctx or self.context()).wrap_socket(raw, server_hostname="127.0.0.1")

    def stdout(self):
        self.out.seek(0)
        return self.out.read().decode("utf-8", "replace")

    def stderr(self):
        self.err.seek(0)
        return self.err.read().decode("utf-8", "replace")

    def signal(self, sig):
        self.proc.send_signal(sig)

    def stop(self, timeout=20):
        """SIGTERM, wait; SIGKILL if it hangs. Returns the exit code."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
                return "hung"
        return self.proc.returncode


def client_context(ca, alpn=("h2", "http/1.1"), **kw):
    """A client context like the apiserver's: TLS 1.2+, verifies the SAN."""
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.load_verify_locations(ca)
    ctx.minimum_version = kw.get("minimum_version", ssl.TLSVersion.TLSv1_2)
    if "maximum_version" in kw:
        ctx.maximum_version = kw["maximum_version"]
    if "ciphers" in kw:
        ctx.set_ciphers(kw["ciphers"])
    if alpn:
        ctx.set_alpn_protocols(list(alpn))
    return ctx


class Response:
    def __init__(self, status, headers, body, raw_head):
        self.status = status
        self.headers = headers
        self.body = body
        self.raw_head = raw_head

    def json(self):
        return json.loads(self.body)

    def header(self, name):
        return self.headers.get(name.lower())


def read_response(sock, head_only=False):
    """Reads one HTTP response (Content-Length framed) from sock."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        if not chunk:
            raise EOFError("connection closed before a response head (%r)" % data[:200])
        data += chunk
    head, _, rest = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split(" ")[1])
    headers = {}
    for line in lines[1:]:
        k, _, v = line.partition(":")
        headers[k.strip().lower()] = v.strip()
    if status < 200:
        sock.pending = rest
        return Response(status, headers, b"", head)
    n = int(headers.get("content-length", "0"))
    while len(rest) < n and not head_only:
        chunk = sock.recv(65536)
        if not chunk:
            raise EOFError("connection closed inside a response body")
        rest += chunk
    return Response(status, headers, rest[:n], head)


def request(sock, method, path, body=None, headers=None):
    """Sends one request on sock and reads the response."""
    h = {"Host": "127.0.0.1", "Content-Type": "application/json",
         "Accept": "application/json, */*", "User-Agent": "kube-apiserver-admission"}
    h.update(headers or {})
    if body is not None and "Transfer-Encoding" not in h:
        h["Content-Length"] = str(len(body))
    msg = "%s %s HTTP/1.1\r\n" % (method, path)
    msg += "".join("%s: %s\r\n" % kv for kv in h.items() if kv[1] is not None) + "\r\n"
    sock.sendall(msg.encode() + (body or b""))
    return read_response(sock)


def post(server, path, body, **kw):
    """One request on a fresh connection."""
    s = server.connect()
    try:
        return request(s, "POST", path, body, **kw)
    finally:
        s.close()


def raw_exchange(server, data, timeout=5):
    """Sends raw bytes over TLS and returns everything read until close."""
    s = server.connect(timeout=timeout)
    try:
        s.sendall(data)
        out = b""
        while True:
            try:
                chunk = s.recv(65536)
            except (socket.timeout, ssl.SSLError, ConnectionResetError):
                break
            if not chunk:
                break
            out += chunk
        return out
    finally:
        s.close()


def exchange(server, data, timeout=5):
    """Sends raw bytes over TLS and reads until the server closes. Returns
    (bytes, closed): closed is False when the read timed out, i.e. the
    server kept the connection open (or hung), which raw_exchange() hides."""
    s = server.connect(timeout=timeout)
    out, closed = b"", False
    try:
        s.sendall(data)
        end = time.time() + timeout
        while time.time() < end:
            try:
                chunk = s.recv(65536)
            except socket.timeout:
                break
            except (ssl.SSLError, OSError):
                closed = True
                break
            if not chunk:
                closed = True
                break
            out += chunk
    finally:
        s.close()
    return out, closed


def metric(server, name):
    """The value of one /metrics sample (full name with labels), or None."""
    s = server.connect()
    try:
        r = request(s, "GET", "/metrics")
    finally:
        s.close()
    for line in r.body.decode().splitlines():
        k, _, v = line.rpartition(" ")
        if k == name:
            return float(v)
    return None


def load(path):
    with open(path, "rb") as f:
        return f.read()


def envelope_ok(resp, uid):
    """The exact fields the apiserver checks (CONTRACT rules 13-15)."""
    if resp.status != 200 or resp.header("content-type") != "application/json":
        return False
    j = resp.json()
    return (j.get("apiVersion") == "admission.k8s.io/v1" and j.get("kind") == "AdmissionReview"
            and isinstance(j.get("response"), dict) and j["response"].get("uid") == uid
            and isinstance(j["response"].get("allowed"), bool))
