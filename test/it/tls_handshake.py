#!/usr/bin/python3
"""tls_handshake.py: what a new connection costs and which key exchange it
gets (issue 16).

- Cost, counted, never timed: bench/handshake.sh runs N full handshakes in
  memory through tinyhook's own tls_conn_init and BearSSL build under
  callgrind, and the server's instructions per X25519 handshake must stay
  under its bound (HS_MAX there: 11.5M before issue 16, 6.2M after). The
  P-256-only handshake must cost more than the X25519 one (the reason the
  server prefers X25519), and the component table must name the curves.
- Curve choice on the real binary, by OpenSSL's s_client ("Server Temp
  Key"): X25519 whenever the client offers it, in Go's order (X25519
  first) or not; P-256 when only P-256 is offered. Each handshake must
  also verify against the CA (the client checks the ECDSA signature of the
  ServerKeyExchange, which patches/bearssl-speed.patch computes anew).
- The default certificates: certs/mkcerts.sh without --key, and the dev
  certificates of `make run`, carry ECDSA P-256 keys (an RSA-2048 signature
  costs BearSSL several times the whole handshake).
Needs valgrind and the driver (make bench-drivers; make test builds both).
"""
import os
import re
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
from th import ROOT, Server, check, mkcerts, skip, summary  # noqa: E402

DRIVER = os.path.join(ROOT, "build", "reference", "bench", "handshake")
CMD_SECS = 60		# one callgrind run of the script; a hang is a failure
S_CLIENT_SECS = 10	# one s_client handshake
HS_N = "10"		# handshakes per mode under callgrind: the count repeats exactly

TMP = tempfile.mkdtemp(prefix="tinyhook-hs-")


def s_client(port, ca, groups):
    """One handshake with openssl s_client offering groups; its output."""
    try:
        p = subprocess.run(["openssl", "s_client", "-connect", "127.0.0.1:%d" % port,
                            "-CAfile", ca, "-verify_return_error", "-groups", groups,
                            "-tls1_2"], input="", capture_output=True, text=True,
                           timeout=S_CLIENT_SECS)
    except subprocess.TimeoutExpired:
        return "timeout"
    return p.stdout + p.stderr


def temp_key(out):
    m = re.search(r"^Server Temp Key: ([^\n]*)$", out, re.M)
    return m.group(1) if m else None


def cost():
    if shutil.which("valgrind") is None:
        check("valgrind installed (apt-get install valgrind; make test installs it)", False)
        return
    if not os.access(DRIVER, os.X_OK):
        subprocess.run(["make", "-s", "-C", ROOT, "bench-drivers"],
                       stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
    if not check("driver built (%s)" % os.path.relpath(DRIVER, ROOT), os.access(DRIVER, os.X_OK)):
        return
    tsv = os.path.join(TMP, "hs.tsv")
    try:
        p = subprocess.run(["bash", os.path.join(ROOT, "bench", "handshake.sh"), DRIVER, HS_N],
                           capture_output=True, text=True, timeout=CMD_SECS,
                           env=dict(os.environ, HS_TSV=tsv))
    except subprocess.TimeoutExpired:
        check("bench/handshake.sh finished in %d s" % CMD_SECS, False)
        return
    print(p.stdout, end="")
    rows = {}
    if os.path.exists(tsv):
        for line in open(tsv):
            mode, comp, n = line.rstrip("\n").split("\t")
            rows[(mode, comp)] = int(n)
    x, p256 = rows.get(("x25519", "total"), 0), rows.get(("p256", "total"), 0)
    check("X25519 handshake within the bound (%d instructions)" % x,
          p.returncode == 0 and "PASS" in p.stdout and x > 0, p.stderr[-500:])
    check("both modes completed every handshake on their curve",
          p.stdout.count("of %s full handshakes" % HS_N) == 2 and
          "%s of %s full handshakes on curve 29" % (HS_N, HS_N) in p.stdout and
          "%s of %s full handshakes on curve 23" % (HS_N, HS_N) in p.stdout)
    check("P-256-only costs more than X25519 (%d > %d)" % (p256, x), p256 > x > 0)
    check("X25519 time goes to the X25519 ladder (%d)" % rows.get(("x25519", "X25519 field and ladder"), 0),
          rows.get(("x25519", "X25519 field and ladder"), 0) > x // 5)
    check("P-256-only has no X25519 work",
          rows.get(("p256", "X25519 field and ladder"), 0) == 0 and
          rows.get(("p256", "P-256 field and points"), 0) > p256 // 2)


def curves():
    certs = mkcerts(os.path.join(TMP, "certs"), "--host", "127.0.0.1")
    srv = Server(certs)
    try:
        ca = os.path.join(certs, "ca.crt")
        for groups, want in [
            ("X25519:P-256", "X25519"),		# Go's order
            ("P-256:X25519", "X25519"),		# the server's preference wins
            ("X25519", "X25519"),
            ("P-256", "ECDH, prime256v1"),
        ]:
            out = s_client(srv.port, ca, groups)
            got = temp_key(out)
            check("client offers %s: server picks %s (%s)" % (groups, want, got),
                  got is not None and got.startswith(want) and
                  "Verify return code: 0 (ok)" in out, out[-300:])
    finally:
        srv.stop()
    # ECDSA on P-384 goes through the same division by k (patches/bearssl-speed.patch)
    certs = mkcerts(os.path.join(TMP, "p384"), "--host", "127.0.0.1", "--key", "p384")
    srv = Server(certs)
    try:
        out = s_client(srv.port, os.path.join(certs, "ca.crt"), "X25519:P-256:P-384")
        check("P-384 certificate: X25519, the ECDSA P-384 signature verifies (%s)" % temp_key(out),
              (temp_key(out) or "").startswith("X25519") and "Verify return code: 0 (ok)" in out and
              "Peer signature type: ECDSA" in out, out[-300:])
    finally:
        srv.stop()


def default_keys():
    d = mkcerts(os.path.join(TMP, "default"))
    for name in ("tls.crt", "ca.crt"):
        p = subprocess.run(["openssl", "x509", "-noout", "-text", "-in", os.path.join(d, name)],
                           capture_output=True, text=True)
        check("certs/mkcerts.sh default %s: ECDSA P-256" % name,
              "id-ecPublicKey" in p.stdout and "prime256v1" in p.stdout, p.stdout[:300])
    mk = open(os.path.join(ROOT, "Makefile")).read()
    check("make run's dev certificates come from mkcerts.sh with its default key",
          re.search(r"^\s+sh certs/mkcerts.sh --out certs/dev [^\n]*$", mk, re.M) is not None and
          "--key" not in re.search(r"^\s+sh certs/mkcerts.sh --out certs/dev [^\n]*$", mk, re.M).group(0))


def main():
    try:
        cost()
        curves()
        default_keys()
    finally:
        shutil.rmtree(TMP, ignore_errors=True)
    summary("tls_handshake")


if __name__ == "__main__":
    main()
