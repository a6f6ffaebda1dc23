"""rate_gen.py: the bench's fixed-rate load generator (bench/rate/rate.c)
measured against servers whose latency is known.

The servers are Python (ssl module, one thread per connection, 127.0.0.1)
and do what a case asks: sleep a known time per request, stall the whole
process once, answer 500, cut a body short, close after a response, send a
chunked body. Each case runs build/bench/rate against one and checks its
RATE line:
- latency: p50 is the server's sleep (at least it, at most a few hundred us
  more: Python's own cost on a busy machine), for two different sleeps;
- pacing: achieved_rps within 1% of the asked rate when the server keeps up,
  and well below it when it cannot (so it is measured, not the asked rate);
- no coordinated omission: one 200 ms stall during 2 s at 500 req/s over 4
  connections puts p99 above 100 ms (about 10% of the requests were due
  during the stall; a closed-loop tool records only the 4 in flight);
- counting: non-200s, cut bodies (errors), server closes, --max, --warmup,
  and a TLS name mismatch refused (verification is on with --ca).
Every server and generator run is bounded in time (RUN_SECS).
"""
import os
import re
import socket
import ssl
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
from th import ROOT, check, mkcerts, summary  # noqa: E402

RATE = os.path.join(ROOT, "build", "bench", "rate")
TMP = tempfile.mkdtemp(prefix="tinyhook-rate-")
CERTS = mkcerts(os.path.join(TMP, "certs"), "--host", "127.0.0.1", "--host", "localhost")
RUN_SECS = 20          # one generator run, hard bound (a hang is a failure)
SLACK_US = 700         # p50 above the sleep: Python's parse + TLS + wake-ups, busy machine


class Behaviour:
    """What the server does; n is the 1-based global request number."""

    def __init__(self, sleep=0.0, stall_at=0, stall=0.0, status_every=0, cut_every=0,
                 close_every=0, chunked=False):
        self.sleep, self.stall_at, self.stall = sleep, stall_at, stall
        self.status_every, self.cut_every, self.close_every = status_every, cut_every, close_every
        self.chunked = chunked


class SlowServer:
    """A threaded HTTPS/1.1 keep-alive server on 127.0.0.1 with Behaviour b."""

    def __init__(self, b):
        self.b, self.n, self.lock, self.world = b, 0, threading.Lock(), threading.Lock()
        self.ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        self.ctx.load_cert_chain(os.path.join(CERTS, "tls.crt"), os.path.join(CERTS, "tls.key"))
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(64)
        self.sock.settimeout(0.2)
        self.port = self.sock.getsockname()[1]
        self.stopping = False
        self.t = threading.Thread(target=self.accept_loop, daemon=True)
        self.t.start()

    def accept_loop(self):
        while not self.stopping:
            try:
                raw, _ = self.sock.accept()
            except socket.timeout:
                continue
            except OSError:
                return
            threading.Thread(target=self.serve, args=(raw,), daemon=True).start()

    def serve(self, raw):
        raw.settimeout(RUN_SECS)
        raw.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        try:
            s = self.ctx.wrap_socket(raw, server_side=True)
            buf = b""
            while not self.stopping:
                while b"\r\n\r\n" not in buf:
                    d = s.recv(65536)
                    if not d:
                        return
                    buf += d
                head, buf = buf.split(b"\r\n\r\n", 1)
                m = re.search(rb"(?i)\r\ncontent-length: *(\d+)", head)
                want = int(m.group(1)) if m else 0
                while len(buf) < want:
                    d = s.recv(65536)
                    if not d:
                        return
                    buf += d
                buf = buf[want:]
                if not self.answer(s):
                    return
        except (OSError, ssl.SSLError):
            return
        finally:
            raw.close()

    def answer(self, s):
        """Sends one response; False when the connection is to be closed."""
        b = self.b
        with self.lock:
            self.n += 1
            n = self.n
        if b.stall and n == b.stall_at:
            with self.world:            # everyone else waits on the world lock
                time.sleep(b.stall)
        if b.sleep:
            time.sleep(b.sleep)
        with self.world:
            pass
        body = b'{"ok":true,"n":%d}' % n
        status = b"500 Internal Server Error" if b.status_every and n % b.status_every == 0 \
            else b"200 OK"
        if b.cut_every and n % b.cut_every == 0:
            s.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n%s" % (len(body) + 50, body))
            return False                # body cut short: the client must count an error
        close = b.close_every and n % b.close_every == 0
        hdr = b"HTTP/1.1 " + status + b"\r\nContent-Type: application/json\r\n"
        if close:
            hdr += b"Connection: close\r\n"
        if b.chunked:
            half = len(body) // 2
            s.sendall(hdr + b"Transfer-Encoding: chunked\r\n\r\n" +
                      b"%x;ext=1\r\n%s\r\n%X\r\n%s\r\n0\r\n\r\n" % (half, body[:half],
                                                               len(body) - half, body[half:]))
        else:
            s.sendall(hdr + b"Content-Length: %d\r\n\r\n%s" % (len(body), body))
        return not close

    def stop(self):
        self.stopping = True
        self.sock.close()


def body_file(size):
    p = os.path.join(TMP, "body-%d.json" % size)
    with open(p, "wb") as f:
        f.write(b'{"pad":"' + b"x" * max(0, size - 10) + b'"}')
    return p


def run_rate(port, *args, body=1000, tls=("--ca", os.path.join(CERTS, "ca.crt"), "--name",
                                           "localhost")):
    """Runs the generator; returns (fields dict or None, seconds, stderr, rc)."""
    cmd = [RATE] + list(tls) + list(args) + ["127.0.0.1:%d" % port, "/mutate", body_file(body)]
    t0 = time.monotonic()
    try:
        p = subprocess.run(cmd, capture_output=True, text=True, timeout=RUN_SECS)
    except subprocess.TimeoutExpired:
        return None, RUN_SECS, "timed out", -1
    secs = time.monotonic() - t0
    line = [l for l in p.stdout.splitlines() if l.startswith("RATE ")]
    f = {k: float(v) for k, v in re.findall(r"(\w+)=([0-9.]+)", line[-1])} if line else None
    return f, secs, p.stderr, p.returncode


def within(v, lo, hi):
    return v is not None and lo <= v <= hi


# name, behaviour, generator arguments, body bytes, [(check name, predicate(f, srv, secs))]
CASES = [
    ("sleep 5 ms, 200/s over 4 conns, 40 KB bodies (three TLS records each)",
     Behaviour(sleep=0.005), ["--rate", "200", "--conns", "4", "--secs", "1.5"], 40000, [
         ("all answered", lambda f, s, t: f["sent"] == 300 and f["done"] == 300 and f["errors"] == 0),
         ("p50 = 5 ms + at most %d us" % SLACK_US,
          lambda f, s, t: within(f["p50_us"], 4950, 5000 + SLACK_US)),
         ("achieved rate within 1% of 200/s", lambda f, s, t: within(f["achieved_rps"], 198, 202)),
         ("the server saw exactly the requests sent", lambda f, s, t: s.n == 300),
     ]),
    ("sleep 20 ms, 100/s over 4 conns", Behaviour(sleep=0.020),
     ["--rate", "100", "--conns", "4", "--secs", "1"], 1000, [
         ("p50 = 20 ms + at most %d us" % SLACK_US,
          lambda f, s, t: within(f["p50_us"], 19800, 20000 + SLACK_US)),
         ("achieved rate within 1% of 100/s", lambda f, s, t: within(f["achieved_rps"], 99, 101)),
     ]),
    ("one 200 ms stall in 2 s at 500/s over 4 conns (coordinated omission)",
     Behaviour(stall_at=400, stall=0.2), ["--rate", "500", "--conns", "4", "--secs", "2"], 1000, [
         ("p99 >= 100 ms (the queue behind the stall is counted)",
          lambda f, s, t: f["p99_us"] >= 100000),
         ("max within [200, 300] ms", lambda f, s, t: within(f["max_us"], 199000, 300000)),
         ("p50 below 5 ms (only the stall is slow)", lambda f, s, t: f["p50_us"] < 5000),
         (">= 50 requests late for a connection", lambda f, s, t: f["late"] >= 50),
         ("all answered", lambda f, s, t: f["done"] == 1000 and f["errors"] == 0),
     ]),
    ("a server slower than the rate: 10 ms over 2 conns (200/s) asked 400/s",
     Behaviour(sleep=0.010), ["--rate", "400", "--conns", "2", "--secs", "1", "--timeout", "5"],
     1000, [
         ("achieved <= 210/s: completions, not the asked rate",
          lambda f, s, t: f["achieved_rps"] <= 210 and f["achieved_rps"] > 100),
         ("p50 >= 200 ms: the queue counted", lambda f, s, t: f["p50_us"] >= 200000),
         ("most late", lambda f, s, t: f["late"] >= 300),
     ]),
    ("every 10th answer a 500", Behaviour(status_every=10),
     ["--rate", "200", "--conns", "4", "--secs", "1"], 1000, [
         ("non200 = 20 of 200", lambda f, s, t: f["non200"] == 20 and f["done"] == 200),
         ("no errors (a 500 is a full response)", lambda f, s, t: f["errors"] == 0),
     ]),
    ("every 25th body cut short, connection closed", Behaviour(cut_every=25),
     ["--rate", "200", "--conns", "4", "--secs", "1"], 1000, [
         ("errors = 8 of 200, done = 192", lambda f, s, t: f["errors"] == 8 and f["done"] == 192),
         ("8 closes, reconnected", lambda f, s, t: f["closes"] == 8 and f["reconnects"] >= 8),
     ]),
    ("Connection: close on every 20th answer", Behaviour(close_every=20),
     ["--rate", "200", "--conns", "4", "--secs", "1"], 1000, [
         ("all 200 done, no error", lambda f, s, t: f["done"] == 200 and f["errors"] == 0),
         ("10 closes", lambda f, s, t: f["closes"] == 10),
     ]),
    ("chunked answers (two chunks, an extension)", Behaviour(chunked=True),
     ["--rate", "200", "--conns", "2", "--secs", "0.5"], 1000, [
         ("all 100 done, no error", lambda f, s, t: f["done"] == 100 and f["errors"] == 0),
     ]),
    ("--max 50 bounds a 10 s run", Behaviour(),
     ["--rate", "1000", "--conns", "2", "--secs", "10", "--max", "50"], 1000, [
         ("sent = 50", lambda f, s, t: f["sent"] == 50 and f["done"] == 50),
         ("ends within 3 s", lambda f, s, t: t < 3),
     ]),
    ("--warmup 0.5 s is sent, not counted", Behaviour(),
     ["--rate", "200", "--conns", "2", "--secs", "0.5", "--warmup", "0.5"], 1000, [
         ("sent = 100", lambda f, s, t: f["sent"] == 100 and f["done"] == 100),
         ("the server saw 200", lambda f, s, t: s.n == 200),
     ]),
]


def main():
    if not os.access(RATE, os.X_OK):
        r = subprocess.run(["make", "-s", "build/bench/rate"], cwd=ROOT, capture_output=True,
                           text=True, env={k: v for k, v in os.environ.items()
                                           if k not in ("MAKEFLAGS", "MAKELEVEL")})
        if r.returncode:
            print(r.stdout[-2000:], r.stderr[-2000:])
    check("build/bench/rate built", os.access(RATE, os.X_OK))
    if not os.access(RATE, os.X_OK):
        summary("rate_gen")
    for name, b, args, body, checks in CASES:
        srv = SlowServer(b)
        try:
            f, secs, err, rc = run_rate(srv.port, *args, body=body)
        finally:
            srv.stop()
        if not check("%s: a RATE line, exit 0" % name, f is not None and rc == 0,
                     "rc %s: %s" % (rc, err.strip()[-300:])):
            continue
        for cname, pred in checks:
            check("%s: %s" % (name, cname), pred(f, srv, secs), str(f))

    srv = SlowServer(Behaviour())
    try:
        f, _, err, rc = run_rate(srv.port, "--rate", "100", "--secs", "0.2", "--timeout", "1",
                                 tls=("--ca", os.path.join(CERTS, "ca.crt"), "--name",
                                      "wrong.example"))
        check("--ca with a name the certificate lacks: refused (exit 2, no RATE line)",
              f is None and rc == 2, "rc %s %s" % (rc, err))
        f, _, err, rc = run_rate(srv.port, "--rate", "100", "--secs", "0.2", tls=("--insecure",))
        check("--insecure: answered", f is not None and f["done"] == 20, "%s %s" % (f, err))
    finally:
        srv.stop()
    summary("rate_gen")


if __name__ == "__main__":
    main()
