"""connections.py: many clients at once, the idle timeout on both sides, and
the body-size limit at its exact boundary, against the real binary over TLS.

- Concurrency: CONC_CONNS connections (keep-alive and one-request ones) send
  mixed payloads at once (validate, mutate, convert; captured and bench
  bodies), each request with a uid of its own. Every answer must be the
  answer the server gives to that body alone, byte for byte, with its own uid:
  a buffer shared between connections or a response sent to the wrong one
  shows as a foreign uid or a changed byte.
- Idle timeout: with --idle-timeout 3s an idle keep-alive connection is open
  at 2 s and closed by 3.5 s (the sweep runs every 100 ms); with the default,
  a connection idle for 91 s (longer than the apiserver's 90 s, CONTRACT
  rule 5) still takes a request. The 91 s run in the background while the
  other cases run.
- Body size: --max-body 64Ki; a body of exactly 65536 bytes is served, 65537
  is 413, for Content-Length and for chunked bodies alike.
"""
import json
import os
import select
import shutil
import socket
import ssl
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
from th import (BENCH_PAYLOADS, CAPTURED, Server, check, envelope_ok, exchange, load,  # noqa: E402
                mkcerts, read_response, request, summary)

TMP = tempfile.mkdtemp(prefix="tinyhook-conns-")
CERTS = mkcerts(os.path.join(TMP, "ec"))
CONC_CONNS = 48			# connections at once (the apiserver opens several, rule 34)
CONC_REQS = 10			# requests on each keep-alive connection
APISERVER_IDLE = 90		# seconds the apiserver keeps an idle connection (rule 4)
MAX_BODY = 65536		# --max-body 64Ki below

# (path, file) pairs: every route, small and large bodies.
PAYLOADS = [
    ("/validate", os.path.join(CAPTURED, "validate.json")),
    ("/mutate", os.path.join(CAPTURED, "mutate.json")),
    ("/convert", os.path.join(CAPTURED, "convert.json")),
    ("/validate", os.path.join(BENCH_PAYLOADS, "pod-small-create.json")),
    ("/mutate", os.path.join(BENCH_PAYLOADS, "pod-large-create.json")),
    ("/validate", os.path.join(BENCH_PAYLOADS, "deployment-create.json")),
    ("/mutate", os.path.join(BENCH_PAYLOADS, "deployment-create.json")),
    ("/mutate", os.path.join(BENCH_PAYLOADS, "pod-update.json")),
    ("/validate", os.path.join(BENCH_PAYLOADS, "pod-delete.json")),
    ("/convert", os.path.join(BENCH_PAYLOADS, "conversion-1.json")),
    ("/convert", os.path.join(BENCH_PAYLOADS, "conversion-100.json")),
]
UID_FMT = "c0ffee00-0000-4000-8000-%012d"	# same length for every n


def with_uid(path, n):
    doc = json.loads(load(path))
    doc["request"]["uid"] = UID_FMT % n
    return json.dumps(doc).encode()


def reference_answers(srv):
    """The answer to each payload alone, on a quiet server, with uid 0."""
    out = []
    for path, f in PAYLOADS:
        s = srv.connect()
        r = request(s, "POST", path, with_uid(f, 0))
        s.close()
        out.append(r.body if r.status == 200 else None)
    return out


def concurrency_case(srv):
    refs = reference_answers(srv)
    check("concurrency: every payload answered 200 alone first (%d)" % len(refs),
          all(r is not None and (UID_FMT % 0).encode() in r for r in refs))
    barrier = threading.Barrier(CONC_CONNS)
    lock = threading.Lock()
    sent, good, bad = [0], [0], []

    def client(t):
        keep = t % 4 != 0	# every 4th client: a new connection per request
        try:
            s = srv.connect(timeout=30)
        except OSError as e:
            bad.append("connect: %r" % e)
            barrier.abort()
            return
        try:
            barrier.wait(30)
            for i in range(CONC_REQS):
                n = 1 + t * CONC_REQS + i
                k = (t + i) % len(PAYLOADS)
                path, f = PAYLOADS[k]
                if not keep and i > 0:
                    s.close()
                    s = srv.connect(timeout=30)
                with lock:
                    sent[0] += 1
                r = request(s, "POST", path, with_uid(f, n))
                want = refs[k].replace((UID_FMT % 0).encode(), (UID_FMT % n).encode())
                with lock:
                    if r.status == 200 and r.body == want:
                        good[0] += 1
                    else:
                        bad.append("request %d (%s %s): %d %r" % (n, path, os.path.basename(f),
                                                                 r.status, r.body[:160]))
        except Exception as e:  # noqa: BLE001 - every failure counts
            with lock:
                bad.append("client %d: %r" % (t, e))
        finally:
            s.close()
    threads = [threading.Thread(target=client, args=(t,)) for t in range(CONC_CONNS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    total = CONC_CONNS * CONC_REQS
    check("concurrency: %d connections at once, %d requests with distinct uids: each answered "
          "with its own uid and exactly its own answer (%d/%d)" % (CONC_CONNS, total, good[0], total),
          good[0] == total and sent[0] == total and not bad, repr(bad[:3]))


# --- idle timeout ---------------------------------------------------------------

def closed_by_server(s, wait):
    """Waits up to wait seconds without sending: True when the server closed
    (close_notify, FIN or reset), False when the connection stayed silent."""
    if s.pending():
        return True
    r, _, _ = select.select([s], [], [], max(0.0, wait))
    if not r:
        return False
    try:
        s.settimeout(1)
        return s.recv(1) == b""
    except (ssl.SSLError, OSError):
        return True


def idle_short_case():
    srv = Server(CERTS, "--idle-timeout", "3s", "--workers", "1")
    try:
        passive = srv.connect()
        active = srv.connect()
        request(passive, "GET", "/healthz")
        request(active, "GET", "/healthz")
        t0 = time.time()
        open_at_2 = not closed_by_server(passive, t0 + 2.0 - time.time())
        ok = False
        try:
            ok = request(active, "GET", "/healthz").status == 200
        except (EOFError, OSError) as e:
            print("active request at 2 s: %r" % e)
        check("--idle-timeout 3s: an idle keep-alive connection is still open at 2 s", open_at_2)
        check("--idle-timeout 3s: and takes a request after 2 s idle", ok)
        closed = closed_by_server(passive, t0 + 3.5 - time.time())
        dt = time.time() - t0
        check("--idle-timeout 3s: the idle connection is closed by 3.5 s (closed at %.2f s)" % dt,
              closed and dt >= 2.9, "closed=%s after %.2f s" % (closed, dt))
        passive.close()
        active.close()
    finally:
        srv.stop()


class DefaultIdle:
    """A connection to a default-flags server left idle for longer than the
    apiserver's idle timeout, in the background."""

    def __init__(self, srv):
        self.srv = srv
        self.s = srv.connect(timeout=10)
        request(self.s, "GET", "/healthz")
        self.t0 = time.time()

    def finish(self):
        wait = self.t0 + APISERVER_IDLE + 1 - time.time()
        if wait > 0:
            print("waiting %.0f s more for the default idle timeout case" % wait)
            closed = closed_by_server(self.s, wait)
        else:
            closed = closed_by_server(self.s, 0)
        idle = time.time() - self.t0
        ok = False
        if not closed:
            try:
                ok = request(self.s, "POST", "/validate", load(os.path.join(CAPTURED, "validate.json"))
                             ).status == 200
            except (EOFError, OSError) as e:
                print("request after %.0f s idle: %r" % (idle, e))
        check("default idle timeout: a keep-alive connection idle %.0f s (> the apiserver's %d s) "
              "still open and answered" % (idle, APISERVER_IDLE), not closed and ok)
        self.s.close()


# --- body size boundaries ----------------------------------------------------

def body_of(size):
    """A valid AdmissionReview of exactly size bytes (trailing whitespace)."""
    b = load(os.path.join(CAPTURED, "validate.json")).rstrip()
    assert len(b) <= size
    return b + b" " * (size - len(b))


def head(extra):
    return (b"POST /validate HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            + extra + b"\r\n")


def chunked(body, size):
    out = b""
    for i in range(0, len(body), size):
        part = body[i:i + size]
        out += b"%x\r\n%s\r\n" % (len(part), part)
    return out + b"0\r\n\r\n"


def status_of(raw):
    try:
        return int(raw.split(b" ", 2)[1])
    except (IndexError, ValueError):
        return None


def served(srv, data):
    s = srv.connect(timeout=10)
    try:
        s.sendall(data)
        r = read_response(s)
        return envelope_ok(r, "94cc016d-59fb-44af-b479-09c712ea3837"), r.status
    except (EOFError, OSError) as e:
        return False, repr(e)
    finally:
        s.close()


def body_size_cases():
    srv = Server(CERTS, "--max-body", "64Ki", "--workers", "1")
    try:
        exact, over = body_of(MAX_BODY), body_of(MAX_BODY + 1)
        ok, st = served(srv, head(b"Content-Length: %d\r\n" % MAX_BODY) + exact)
        check("Content-Length exactly --max-body (65536): served", ok, st)
        out, closed = exchange(srv, head(b"Content-Length: %d\r\n" % (MAX_BODY + 1)), timeout=5)
        check("Content-Length --max-body + 1: 413 before the body, closed",
              status_of(out) == 413 and closed, repr(out[:120]))
        out, closed = exchange(srv, head(b"Content-Length: %d\r\n" % (MAX_BODY + 1)) + over, timeout=5)
        check("Content-Length --max-body + 1 with its body: 413", status_of(out) == 413, repr(out[:120]))
        for size in (MAX_BODY, 7000, 1):
            what = "one chunk" if size == MAX_BODY else "chunks of %d" % size
            ok, st = served(srv, head(b"Transfer-Encoding: chunked\r\n") + chunked(exact, size))
            check("chunked, %s, exactly --max-body in all: served" % what, ok, st)
            out, closed = exchange(srv, head(b"Transfer-Encoding: chunked\r\n") +
                                   chunked(over, size if size != MAX_BODY else MAX_BODY + 1), timeout=10)
            check("chunked, %s, --max-body + 1 in all: 413, closed" % what,
                  status_of(out) == 413 and closed, repr(out[:120]))
        check("body-size server still alive", srv.proc.poll() is None)
    finally:
        srv.stop()


def main():
    srv = Server(CERTS)		# all defaults: the idle timeout under test
    try:
        idle = DefaultIdle(srv)
        concurrency_case(srv)
        idle_short_case()
        body_size_cases()
        idle.finish()
    finally:
        check("default server: exit 0 on SIGTERM", srv.stop() == 0)
        shutil.rmtree(TMP, ignore_errors=True)
    summary("connections")


if __name__ == "__main__":
    main()
