"""tls_ems.py: Extended Master Secret (RFC 7627) on the real binary.

A kube-apiserver whose Go runs in FIPS 140-3 mode refuses TLS 1.2 servers
without EMS (CONTRACT rule 30); patches/bearssl-ems.patch adds it to
BearSSL's server. Checked here against three independent implementations:
- the wire itself: a hand-made ClientHello, and the ServerHello's extension
  list parsed byte by byte (extension 23 echoed empty exactly when offered;
  a non-empty one refused);
- OpenSSL's s_client: "Extended master secret: yes/no", and resumption with
  -sess_out/-sess_in in all four combinations of RFC 7627 section 5.3, with
  /metrics counting full and resumed handshakes as they really happened;
- Go clients doing a real POST /validate of a captured apiserver request:
  Debian's golang-go (1.19, no EMS), and a Go >= 1.24 from the next Debian
  release (test/lib/go-new.sh) plain and with GODEBUG=fips140=on, whose
  refusal of an EMS-less server is shown first on openssl s_server.
"""
import json
import os
import re
import shutil
import socket
import struct
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
from th import CAPTURED, ROOT, Server, check, free_port, mkcerts, request, summary  # noqa: E402

TMP = tempfile.mkdtemp(prefix="tinyhook-ems-")
CERTS = mkcerts(os.path.join(TMP, "certs"), "--host", "127.0.0.1")
EMS_EXT = 0x0017
CMD_SECS = 20		# one openssl or Go client run; a hang is a failure, not a stall
GO_NEW = os.environ.get("GO_NEW", os.path.join(ROOT, "build", "go-new", "goroot", "bin", "go"))
GO_NEW_LOG = os.path.join(ROOT, "build", "go-new.log")

# OpenSSL 3.0 (bookworm) has no s_client -no_ems; its configuration
# "Options = -ExtendedMasterSecret" clears the same SSL_OP.
NO_EMS_CNF = os.path.join(TMP, "no-ems.cnf")
with open(NO_EMS_CNF, "w") as f:
    f.write("openssl_conf = conf\n[conf]\nssl_conf = ssl\n[ssl]\nsystem_default = sys\n"
            "[sys]\nOptions = -ExtendedMasterSecret\n")


def s_client_has_no_ems():
    p = subprocess.run(["openssl", "s_client", "-help"], capture_output=True, text=True)
    return "-no_ems" in p.stdout + p.stderr


NO_EMS_FLAG = s_client_has_no_ems()


def s_client(port, *args, ems=True):
    """One openssl s_client -tls1_2 handshake; returns its whole output."""
    env = dict(os.environ)
    argv = ["openssl", "s_client", "-connect", "127.0.0.1:%d" % port, "-tls1_2",
            "-CAfile", os.path.join(CERTS, "ca.crt")] + list(args)
    if not ems:
        if NO_EMS_FLAG:
            argv.append("-no_ems")
        else:
            env["OPENSSL_CONF"] = NO_EMS_CNF
    p = subprocess.run(argv, stdin=subprocess.DEVNULL, capture_output=True, text=True,
                       env=env, timeout=CMD_SECS)
    return p.stdout + p.stderr


def ems_of(out):
    m = re.search(r"Extended master secret: (\w+)", out)
    return m.group(1) if m else None


def new_or_reused(out):
    m = re.search(r"^(New|Reused), TLSv1\.2", out, re.M)
    return m.group(1) if m else None


# --- the wire: a ClientHello of our own, the ServerHello parsed by hand ---

def client_hello(ems_data):
    """A TLS 1.2 ClientHello (ECDHE-ECDSA/RSA AES-128-GCM, P-256/X25519);
    ems_data None leaves extension 23 out, else it is its extension_data."""
    def ext(t, data):
        return struct.pack(">HH", t, len(data)) + data
    exts = ext(0x000a, struct.pack(">HHH", 4, 0x0017, 0x001d))
    exts += ext(0x000b, b"\x01\x00")
    exts += ext(0x000d, struct.pack(">HHHH", 6, 0x0403, 0x0804, 0x0401))
    exts += ext(0xFF01, b"\x00")	# secure renegotiation: echoed in any case
    if ems_data is not None:
        exts += ext(EMS_EXT, ems_data)
    body = b"\x03\x03" + os.urandom(32) + b"\x00"
    body += struct.pack(">HHH", 4, 0xC02B, 0xC02F) + b"\x01\x00"
    body += struct.pack(">H", len(exts)) + exts
    hs = b"\x01" + struct.pack(">I", len(body))[1:] + body
    return b"\x16\x03\x01" + struct.pack(">H", len(hs)) + hs


def recv_exact(s, n):
    out = b""
    while len(out) < n:
        chunk = s.recv(n - len(out))
        if not chunk:
            raise EOFError("closed after %d of %d bytes" % (len(out), n))
        out += chunk
    return out


def server_reply(port, ems_data):
    """Sends our ClientHello; returns ("hello", {ext type: data}) for the
    ServerHello, ("alert", (level, description)), or ("closed", None)."""
    s = socket.create_connection(("127.0.0.1", port), timeout=5)
    try:
        s.sendall(client_hello(ems_data))
        rtype, _, rlen = struct.unpack(">BHH", recv_exact(s, 5))
        rec = recv_exact(s, rlen)
    except (EOFError, ConnectionResetError):
        return "closed", None
    finally:
        s.close()
    if rtype == 21:
        return "alert", (rec[0], rec[1])
    if rtype != 22 or rec[0] != 2:
        return "other", (rtype, rec[:1])
    rec = rec[:4 + struct.unpack(">I", b"\x00" + rec[1:4])[0]]	# the ServerHello alone
    p = 4 + 2 + 32			# header, version, random
    p += 1 + rec[p]			# session id
    p += 2 + 1			# suite, compression
    exts = {}
    if p < len(rec):
        end = p + 2 + struct.unpack(">H", rec[p:p + 2])[0]
        p += 2
        while p < end:
            t, n = struct.unpack(">HH", rec[p:p + 4])
            exts[t] = rec[p + 4:p + 4 + n]
            p += 4 + n
    return "hello", exts


def hello_extensions(data):
    """Extension types of the ClientHello record at the start of data."""
    rec = data[5:]
    p = 4 + 2 + 32			# header, version, random
    p += 1 + rec[p]			# session id
    p += 2 + struct.unpack(">H", rec[p:p + 2])[0]	# suites
    p += 1 + rec[p]			# compression methods
    end = p + 2 + struct.unpack(">H", rec[p:p + 2])[0]
    p += 2
    types = []
    while p < end:
        t, n = struct.unpack(">HH", rec[p:p + 4])
        types.append(t)
        p += 4 + n
    return types


def offered_extensions(binary, body, godebug=""):
    """Runs a Go client against a bare listener; returns its ClientHello's
    extension types (the handshake then fails, on purpose)."""
    ls = socket.socket()
    ls.bind(("127.0.0.1", 0))
    ls.listen(1)
    ls.settimeout(CMD_SECS)
    env = go_env()
    if godebug:
        env["GODEBUG"] = godebug
    p = subprocess.Popen([binary, "-ca", os.path.join(CERTS, "ca.crt"), "-url",
                          "https://127.0.0.1:%d/" % ls.getsockname()[1], "-body", body],
                         env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        c, _ = ls.accept()
        c.settimeout(5)
        head = recv_exact(c, 5)
        types = hello_extensions(head + recv_exact(c, struct.unpack(">H", head[3:5])[0]))
        c.close()
        return types
    except (OSError, EOFError, struct.error, IndexError) as e:
        return ["error: %s" % e]
    finally:
        ls.close()
        p.kill()
        p.wait()


def wire_cases(srv):
    kind, exts = server_reply(srv.port, b"")
    check("wire: ClientHello with extension 23 -> ServerHello echoes it, empty",
          kind == "hello" and exts.get(EMS_EXT) == b"", "%s %r" % (kind, exts))
    kind, exts = server_reply(srv.port, None)
    check("wire: ClientHello without extension 23 -> ServerHello has none",
          kind == "hello" and EMS_EXT not in exts and 0xFF01 in exts, "%s %r" % (kind, exts))
    # BearSSL closes on a malformed extension without an alert (as for its
    # other extensions: max_fragment_length, renegotiation_info).
    kind, alert = server_reply(srv.port, b"\x00")
    check("wire: extension 23 with a non-empty body -> refused, no ServerHello",
          kind in ("closed", "alert") and (alert is None or alert[0] == 2), "%s %r" % (kind, alert))


# --- OpenSSL: negotiation and RFC 7627 section 5.3 resumption ---

def openssl_cases(srv):
    out = s_client(srv.port)
    check("s_client -tls1_2: Extended master secret: yes, verified",
          ems_of(out) == "yes" and new_or_reused(out) == "New" and
          "Verify return code: 0 (ok)" in out, out[-600:])
    out = s_client(srv.port, "-alpn", "h2,http/1.1")
    check("s_client -alpn h2,http/1.1: EMS yes and ALPN http/1.1",
          ems_of(out) == "yes" and "ALPN protocol: http/1.1" in out, out[-600:])
    how = "-no_ems" if NO_EMS_FLAG else "Options = -ExtendedMasterSecret"
    out = s_client(srv.port, ems=False)
    check("s_client without EMS (%s) still connects: EMS no" % how,
          ems_of(out) == "no" and new_or_reused(out) == "New" and
          "Verify return code: 0 (ok)" in out, out[-600:])


def resumption_cases(srv):
    """Returns (full, resumed) handshakes the cases made."""
    full = resumed = 0
    ems_sess, plain_sess = os.path.join(TMP, "ems.sess"), os.path.join(TMP, "plain.sess")
    out = s_client(srv.port, "-sess_out", ems_sess)
    ok = new_or_reused(out) == "New" and ems_of(out) == "yes" and os.path.getsize(ems_sess) > 0
    full += ok
    check("resumption: an EMS session is saved (-sess_out)", ok, out[-400:])
    out = s_client(srv.port, "-sess_in", ems_sess)
    ok = new_or_reused(out) == "Reused" and ems_of(out) == "yes"
    resumed += ok
    check("resumption: EMS session + EMS hello -> Reused, EMS yes", ok, out[-400:])
    # s_client then prints the offered session's details ("New", EMS yes):
    # what shows the server's answer is that it read 7 bytes, one alert.
    out = s_client(srv.port, "-sess_in", ems_sess, ems=False)
    check("resumption: EMS session + hello without EMS -> not resumed: a lone fatal "
          "handshake_failure alert (RFC 7627 5.3 MUST abort)",
          "alert handshake failure" in out and "Reused," not in out and
          "SSL handshake has read 7 bytes" in out, out[-400:])
    out = s_client(srv.port, "-sess_out", plain_sess, ems=False)
    ok = new_or_reused(out) == "New" and ems_of(out) == "no"
    full += ok
    check("resumption: a session without EMS is saved", ok, out[-400:])
    out = s_client(srv.port, "-sess_in", plain_sess)
    ok = new_or_reused(out) == "New" and ems_of(out) == "yes"
    full += ok
    check("resumption: non-EMS session + EMS hello -> full handshake (New), EMS yes",
          ok, out[-400:])
    out = s_client(srv.port, "-sess_in", plain_sess, ems=False)
    ok = new_or_reused(out) == "Reused" and ems_of(out) == "no"
    resumed += ok
    check("resumption: non-EMS session + hello without EMS -> Reused (legacy clients keep it)",
          ok, out[-400:])
    out = s_client(srv.port, "-sess_in", ems_sess)
    ok = new_or_reused(out) == "Reused" and ems_of(out) == "yes"
    resumed += ok
    check("resumption: the EMS session still resumes after the refused attempt", ok,
          out[-400:])
    check("the refused resumption is logged as a failed handshake",
          "TLS handshake failed" in srv.stderr(), srv.stderr()[-400:])
    return full, resumed


def metrics_case(srv, before, full, resumed):
    """The cache hit that ends in a full handshake counts as full."""
    after = handshakes(srv)
    # The scrape's own connection is one more full handshake.
    got = (after[0] - before[0], after[1] - before[1])
    check("/metrics: full and resumed handshakes counted as they happened (%d, %d)" %
          (full + 1, resumed), got == (full + 1, resumed), "got %r" % (got,))


def handshakes(srv):
    s = srv.connect()
    try:
        text = request(s, "GET", "/metrics").body.decode()
    finally:
        s.close()
    vals = dict(re.findall(r'^tinyhook_tls_handshakes_total\{type="(\w+)"\} (\d+)$', text, re.M))
    return int(vals.get("full", -1)), int(vals.get("resumed", -1))


# --- Go clients: a real POST /validate ---

def go_env(goroot=None):
    env = dict(os.environ, GOCACHE=os.path.join(ROOT, "build", "go-cache"),
               GOPATH=os.path.join(TMP, "gopath"), GOPROXY="off", GOTOOLCHAIN="local",
               GOFLAGS="-mod=mod", CGO_ENABLED="0", GO111MODULE="on")
    env.pop("GODEBUG", None)
    if goroot:
        env["GOROOT"] = goroot
    return env


def go_build(go, out, goroot=None):
    """Builds test/go/emsclient with the given go; returns an error or None."""
    p = subprocess.run([go, "build", "-o", out, "."], cwd=os.path.join(ROOT, "test", "go", "emsclient"),
                       env=go_env(goroot), capture_output=True, text=True, timeout=300)
    return None if p.returncode == 0 else (p.stdout + p.stderr)[-800:]


def go_run(binary, url, body, godebug="", n=1):
    env = go_env()
    if godebug:
        env["GODEBUG"] = godebug
    p = subprocess.run([binary, "-ca", os.path.join(CERTS, "ca.crt"), "-url", url, "-body", body,
                        "-n", str(n)], env=env, capture_output=True, text=True, timeout=CMD_SECS)
    rows = [json.loads(l) for l in p.stdout.splitlines() if l.startswith("{")]
    return rows or [{"error": "no output: rc=%d %s" % (p.returncode, p.stderr[-300:])}]


def review_ok(row, uid):
    try:
        j = json.loads(row.get("body", ""))
    except ValueError:
        return False
    return (row.get("status") == 200 and j.get("apiVersion") == "admission.k8s.io/v1" and
            j.get("kind") == "AdmissionReview" and j.get("response", {}).get("uid") == uid)


def captured_validate():
    path = os.path.join(CAPTURED, "validate.json")
    if not os.path.exists(path):
        return None, None
    with open(path) as f:
        return path, json.load(f)["request"]["uid"]


def go119_case(srv, body, uid):
    go = shutil.which("go")
    if go is None:
        print("skip Go 1.19 client: no `go` on PATH (Debian golang-go, in TEST_DEBS)")
        return
    exe = os.path.join(TMP, "emsclient-system")
    err = go_build(go, exe)
    ver = (subprocess.run([go, "version"], capture_output=True, text=True).stdout.split() + ["", "", "go ?"])[2]
    if not check("%s (%s) builds the client" % (ver, go), err is None, err or ""):
        return
    types = offered_extensions(exe, body)
    check("%s offers ALPN and no extension 23: its POST is the client-without-EMS path"
          % ver, EMS_EXT not in types and 0x0010 in types, repr(types))
    rows = go_run(exe, "https://127.0.0.1:%d/validate?timeout=10s" % srv.port, body, n=2)
    r = rows[0]
    check("%s: POST /validate of the captured request, 2 connections -> 200, envelope, uid "
          "(%s, ALPN %s)" % (r.get("go"), r.get("version"), r.get("alpn")),
          len(rows) == 2 and all(review_ok(x, uid) and x.get("version") == "TLS1.2" and
                                 x.get("alpn") == "http/1.1" for x in rows),
          repr(rows)[:600])


def go_new_binary():
    if not os.path.exists(GO_NEW):
        why = ""
        if os.path.exists(GO_NEW_LOG):
            why = open(GO_NEW_LOG).read().strip().splitlines()[-1:] or [""]
            why = why[0]
        print("skip Go >= 1.24 (GODEBUG=fips140=on) cases: %s not there (%s); "
              "`sh test/lib/go-new.sh build/go-new` fetches it, as make test does"
              % (GO_NEW, why or "not fetched"))
        return None
    goroot = os.path.dirname(os.path.dirname(GO_NEW))
    exe = os.path.join(TMP, "emsclient-new")
    err = go_build(GO_NEW, exe, goroot)
    return exe if check("Go >= 1.24 builds the client", err is None, err or "") else None


def no_ems_s_server():
    """openssl s_server without EMS, to show the FIPS client's refusal."""
    port = free_port()
    env = dict(os.environ, OPENSSL_CONF=NO_EMS_CNF)
    argv = ["openssl", "s_server", "-accept", "127.0.0.1:%d" % port, "-tls1_2", "-www",
            "-cert", os.path.join(CERTS, "tls.crt"), "-key", os.path.join(CERTS, "tls.key")]
    if NO_EMS_FLAG:
        argv.append("-no_ems")
    proc = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, env=env)
    end = time.time() + 10
    while time.time() < end:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            break
        except OSError:
            time.sleep(0.05)
    return proc, port


def go_new_cases(srv, body, uid):
    exe = go_new_binary()
    if exe is None:
        return
    url = "https://127.0.0.1:%d/validate?timeout=10s" % srv.port
    types = offered_extensions(exe, body, "fips140=on")
    check("Go >= 1.24 with GODEBUG=fips140=on offers extension 23", EMS_EXT in types, repr(types))
    # go.mod says go 1.19; tlsunsafeekm=0 is the current default that it
    # would otherwise relax (keying material export without EMS).
    r = go_run(exe, url, body, "tlsunsafeekm=0")[0]
    check("%s: POST /validate -> 200, uid, EMS yes, ALPN http/1.1" % r.get("go"),
          review_ok(r, uid) and r.get("ems") == "yes" and r.get("alpn") == "http/1.1", repr(r)[:600])
    proc, port = no_ems_s_server()
    try:
        control = s_client(port)
        check("control: openssl s_server without EMS negotiates EMS no", ems_of(control) == "no",
              control[-300:])
        r = go_run(exe, "https://127.0.0.1:%d/" % port, body, "fips140=on,tlsunsafeekm=0")[0]
        check("control: %s with GODEBUG=fips140=on refuses it: %s" % (r.get("go"), r.get("error")),
              r.get("fips") is True and "Extended Master Secret" in r.get("error", ""), repr(r)[:400])
    finally:
        proc.kill()
        proc.wait()
    rows = go_run(exe, url, body, "fips140=on,tlsunsafeekm=0", n=2)
    r = rows[0]
    check("%s with GODEBUG=fips140=on: POST /validate -> 200, uid, EMS yes (%d connections)"
          % (r.get("go"), len(rows)),
          len(rows) == 2 and all(x.get("fips") is True and review_ok(x, uid) and
                                 x.get("ems") == "yes" and x.get("version") == "TLS1.2"
                                 for x in rows), repr(rows)[:600])


def main():
    srv = Server(CERTS)
    try:
        wire_cases(srv)
        openssl_cases(srv)
        before = handshakes(srv)
        full, resumed = resumption_cases(srv)
        metrics_case(srv, before, full, resumed)
        body, uid = captured_validate()
        if body is None:
            print("skip Go clients: no captured request under %s (no ../shared)" % CAPTURED)
        else:
            go119_case(srv, body, uid)
            go_new_cases(srv, body, uid)
        check("server still up after every case", srv.proc.poll() is None, srv.stderr()[-300:])
    finally:
        rc = srv.stop()
        check("SIGTERM: exit 0", rc == 0, str(rc))
        shutil.rmtree(TMP, ignore_errors=True)
    summary("tls_ems")


if __name__ == "__main__":
    main()
