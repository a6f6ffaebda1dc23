"""socket_activation.py: restarts in host mode lose no apiserver call (issue 15).

A harness holds the listening socket as systemd does with
k8s/host/tinyhook.socket, and starts tinyhook on it as systemd would: fd 3,
LISTEN_FDS=1, LISTEN_PID the new process's own pid (set by a sh wrapper
that execs tinyhook, so the pid is the one tinyhook gets). While clients
run reviews over keep-alive connections, tinyhook is restarted on that
socket twice, the way `systemctl restart` does it: SIGTERM, wait for the
exit, start a new process. Clients behave like the apiserver's Go
transport: a response with `Connection: close` makes the client open a new
connection for the next request, and an idle connection the server has
closed is noticed before reuse (Go's read loop sees the EOF); a request
that fails is a failure, never retried.

Also: the sockets systemd-socket-activate (systemd's own implementation)
passes; refusals of descriptors that are not listening TCP sockets; a
LISTEN_PID of another process is ignored; fd 4 as the probe listener; and,
as the control, that without the inherited socket a connection during a
restart is refused.
"""
import os
import re
import select
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
from th import (ROOT, TINYHOOK, check, client_context, envelope_ok, free_port, mkcerts,  # noqa: E402
                read_response, request, summary)

TMP = tempfile.mkdtemp(prefix="tinyhook-sockact-")
CERTS = mkcerts(os.path.join(TMP, "certs"), "--host", "127.0.0.1")
CA = os.path.join(CERTS, "ca.crt")
REVIEWS = 300		# the figure
CLIENTS = 4		# parallel keep-alive connections, as the apiserver opens
PACE_S = 0.01		# between a client's requests: steady traffic, never idle 1 s
RESTART_AT = (80, 180)	# reviews done when each restart begins
CLIENT_TIMEOUT = 15	# a request waiting through a restart must not time out
EXIT_SECS = 20		# the drain ends well before --shutdown-grace (15 s)
UID = "5f0e8c1a-2b3c-4d5e-8f90-a1b2c3d4e5f6"
REVIEW = (b'{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"uid":"'
          + UID.encode() + b'","kind":{"group":"","version":"v1","kind":"Pod"},'
          b'"resource":{"group":"","version":"v1","resource":"pods"},'
          b'"requestKind":{"group":"","version":"v1","kind":"Pod"},'
          b'"requestResource":{"group":"","version":"v1","resource":"pods"},'
          b'"name":"p","namespace":"default","operation":"CREATE",'
          b'"userInfo":{"username":"admin"},"dryRun":false,"options":null,"oldObject":null,'
          b'"object":{"apiVersion":"v1","kind":"Pod","metadata":{"name":"p","namespace":"default"},'
          b'"spec":{"containers":[{"name":"a","image":"nginx"}]}}}}')
# Moves the passed descriptor to 3 and sets LISTEN_PID to the pid that
# exec keeps, as systemd does between fork and exec.
WRAPPER = ('fd=$1; n=$2; shift 2; [ "$fd" = 3 ] || { exec 3<&"$fd"; eval "exec $fd<&-"; }; '
           'LISTEN_PID=$$ LISTEN_FDS=$n exec "$@"')


def listening_socket():
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("127.0.0.1", 0))
    s.listen(1024)
    return s


def spawn(sock, *extra, n=1, fd4=None, pid_env=None):
    """tinyhook on sock as fd 3 (and fd4 as fd 4). Returns (proc, out, err)."""
    out, err = tempfile.TemporaryFile(), tempfile.TemporaryFile()
    args = [TINYHOOK, "--listen", "127.0.0.1:1", "--cert-dir", CERTS, "--workers", "2"]
    args += list(extra)
    keep = [sock.fileno()] + ([fd4.fileno()] if fd4 is not None else [])
    wrapper = WRAPPER
    if fd4 is not None:
        wrapper = 'exec 4<&"$FD4"; ' + wrapper
    if pid_env is not None:
        wrapper = wrapper.replace("LISTEN_PID=$$", "LISTEN_PID=%d" % pid_env)
    env = dict(os.environ, FD4=str(fd4.fileno()) if fd4 is not None else "")
    p = subprocess.Popen(["/bin/sh", "-c", wrapper, "sh", str(sock.fileno()), str(n)] + args,
                         pass_fds=keep, stdout=out, stderr=err, env=env)
    return p, out, err


def text(f):
    f.seek(0)
    return f.read().decode("utf-8", "replace")


def wait_exit(p, secs=EXIT_SECS):
    try:
        return p.wait(secs)
    except subprocess.TimeoutExpired:
        p.kill()
        p.wait()
        return "hung"


def stop(p):
    if p.poll() is None:
        p.send_signal(signal.SIGTERM)
    return wait_exit(p)


def one_review(port, timeout=10):
    ctx = client_context(CA)
    raw = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    s = ctx.wrap_socket(raw, server_hostname="127.0.0.1")
    try:
        return request(s, "POST", "/validate", REVIEW)
    finally:
        s.close()


class Client(threading.Thread):
    """Reviews on one keep-alive connection at a time, like Go's transport."""

    def __init__(self, port, shared):
        super().__init__(daemon=True)
        self.port, self.shared = port, shared
        self.ctx = client_context(CA)
        self.sock = None
        self.failures, self.closes, self.idle_closed, self.connects = [], 0, 0, 0
        self.slowest = 0.0

    def connect(self):
        raw = socket.create_connection(("127.0.0.1", self.port), timeout=CLIENT_TIMEOUT)
        self.sock = self.ctx.wrap_socket(raw, server_hostname="127.0.0.1")
        self.connects += 1

    def reusable(self):
        """False when the server closed the idle connection (EOF or close_notify)."""
        r, _, _ = select.select([self.sock], [], [], 0)
        return not r and self.sock.pending() == 0

    def watch(self, secs=CLIENT_TIMEOUT):
        """Waits on the idle connection; closes it when the server does."""
        r, _, _ = select.select([self.sock], [], [], secs)
        if r:
            self.idle_closed += 1
            self.drop()

    def drop(self):
        try:
            self.sock.close()
        except OSError:
            pass
        self.sock = None

    def run(self):
        while True:
            with self.shared["lock"]:
                if self.shared["next"] >= REVIEWS:
                    return
                self.shared["next"] += 1
            t0 = time.time()
            try:
                if self.sock is not None and not self.reusable():
                    self.idle_closed += 1
                    self.drop()
                if self.sock is None:
                    self.connect()
                r = request(self.sock, "POST", "/validate", REVIEW)
                if not envelope_ok(r, UID):
                    self.failures.append("status %d" % r.status)
                if (r.header("connection") or "").lower() == "close":
                    self.closes += 1
                    self.drop()
            except (OSError, ssl.SSLError, EOFError, ValueError) as e:
                self.failures.append(repr(e))
                if self.sock is not None:
                    self.drop()
            self.slowest = max(self.slowest, time.time() - t0)
            with self.shared["lock"]:
                self.shared["done"] += 1
            time.sleep(PACE_S)


def restarts():
    sock = listening_socket()
    port = sock.getsockname()[1]
    procs = [spawn(sock)]
    try:
        r = one_review(port)
        check("first process serves on the inherited socket", envelope_ok(r, UID))
        check("its log says the socket came from systemd",
              "on 127.0.0.1:%d (socket from systemd)" % port in text(procs[0][2]),
              text(procs[0][2])[-400:])
        # An idle keep-alive connection that lives through the first
        # restart: the drain closes it, and the client closes its end at
        # once, as Go's read loop does on an idle connection.
        idle = Client(port, {"lock": threading.Lock(), "next": REVIEWS - 1, "done": 0})
        idle.run()
        watcher = threading.Thread(target=idle.watch, daemon=True)
        watcher.start()
        shared = {"lock": threading.Lock(), "next": 0, "done": 0}
        clients = [Client(port, shared) for _ in range(CLIENTS)]
        t0 = time.time()
        for c in clients:
            c.start()
        windows, codes = [], []
        for at in RESTART_AT:
            end = time.time() + 60
            while shared["done"] < at and time.time() < end:
                time.sleep(0.005)
            old = procs[-1][0]
            t1 = time.time()
            old.send_signal(signal.SIGTERM)
            codes.append(wait_exit(old))
            procs.append(spawn(sock))
            windows.append(time.time() - t1)
        for c in clients:
            c.join(120)
        secs = time.time() - t0
        watcher.join(CLIENT_TIMEOUT)
        idle.shared["next"] = REVIEWS - 1
        idle.run()
        check("an idle connection across the restarts: closed by the drain, noticed "
              "before reuse, the next review served", idle.idle_closed == 1 and
              not idle.failures and idle.connects == 2,
              "idle_closed %d, failures %r" % (idle.idle_closed, idle.failures))
        fails = [f for c in clients for f in c.failures]
        done = shared["done"]
        check("%d reviews on %d keep-alive clients across 2 restarts: 0 failures"
              % (REVIEWS, CLIENTS), done == REVIEWS and not fails,
              "done %d, failures %d: %s" % (done, len(fails), fails[:5]))
        check("both old processes drained and exited 0", codes == [0, 0], "%r" % codes)
        served = [text(p[1]).count('"path":"/validate"') for p in procs]
        check("each of the 3 processes served reviews (the restarts fell inside the run)",
              all(n > 0 for n in served) and sum(served) == REVIEWS + 3, "%r" % served)
        closes = sum(c.closes for c in clients)
        check("draining processes said Connection: close, and clients reconnected",
              closes > 0 and sum(c.connects for c in clients) > CLIENTS, "closes %d" % closes)
        idle = sum(c.idle_closed for c in clients)
        slowest = max(c.slowest for c in clients)
        print("     %d reviews in %.2f s; SIGTERM to new process started: %s s; "
              "slowest review %.3f s; Connection: close %d; idle connections closed under a "
              "client %d; per process %r" % (done, secs, ", ".join("%.2f" % w for w in windows),
                                             slowest, closes, idle, served))
    finally:
        for p in procs:
            stop(p[0])
        sock.close()


def systemd_socket_activate():
    """systemd's own launcher passes the socket (and LISTEN_FDNAMES)."""
    tool = shutil.which("systemd-socket-activate")
    if not tool:
        check("systemd-socket-activate (skipped: not installed)", True)
        return
    port = free_port()
    err = tempfile.TemporaryFile()
    p = subprocess.Popen([tool, "-l", "127.0.0.1:%d" % port, "--fdname=webhook", TINYHOOK,
                          "--cert-dir", CERTS, "--workers", "1"],
                         stdout=subprocess.DEVNULL, stderr=err)
    try:
        r = None
        end = time.time() + 10
        while r is None and time.time() < end:
            try:
                r = one_review(port)
            except OSError:
                time.sleep(0.05)
        check("systemd-socket-activate: a review is served on the socket it passed",
              r is not None and envelope_ok(r, UID))
        check("systemd-socket-activate: tinyhook took the socket (log)",
              "(socket from systemd)" in text(err), text(err)[-400:])
    finally:
        stop(p)


def refusals():
    """Descriptors that are not a listening TCP socket, and other env values."""
    f = open(os.path.join(TMP, "not-a-socket"), "w")
    udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    udp.bind(("127.0.0.1", 0))
    bound = socket.socket()
    bound.bind(("127.0.0.1", 0))
    unix = socket.socket(socket.AF_UNIX)
    unix.bind(os.path.join(TMP, "sock"))
    unix.listen(1)
    for name, obj in (("a regular file", f), ("a UDP socket", udp),
                      ("a TCP socket that is not listening", bound),
                      ("a Unix socket", unix)):
        p, out, err = spawn(obj)
        rc = wait_exit(p, 10)
        check("fd 3 is %s: exit 1 with the reason" % name,
              rc == 1 and "descriptor 3 is not a listening TCP socket" in text(err),
              "rc=%r %s" % (rc, text(err)))
    sock = listening_socket()
    p, out, err = spawn(sock, n=3)
    check("LISTEN_FDS=3: exit 1 with the reason",
          wait_exit(p, 10) == 1 and "LISTEN_FDS=3" in text(err), text(err))
    # LISTEN_PID of another process: the variables are not ours; --listen is used.
    port = free_port()
    p, out, err = spawn(sock, "--listen", "127.0.0.1:%d" % port, pid_env=1)
    try:
        r = None
        end = time.time() + 10
        while r is None and time.time() < end:
            try:
                r = one_review(port)
            except OSError:
                time.sleep(0.05)
        check("LISTEN_PID of another process: ignored, --listen serves",
              r is not None and envelope_ok(r, UID) and "socket from systemd" not in text(err),
              text(err)[-300:])
    finally:
        stop(p)
    # Two sockets: fd 4 is the probe listener.
    probe = listening_socket()
    p, out, err = spawn(sock, n=2, fd4=probe)
    try:
        ctx = client_context(CA)
        ok = False
        end = time.time() + 10
        while not ok and time.time() < end:
            try:
                raw = socket.create_connection(probe.getsockname(), timeout=5)
                s = ctx.wrap_socket(raw, server_hostname="127.0.0.1")
                h = request(s, "GET", "/healthz")
                s.close()
                raw = socket.create_connection(probe.getsockname(), timeout=5)
                s = ctx.wrap_socket(raw, server_hostname="127.0.0.1")
                v = request(s, "POST", "/validate", REVIEW)
                s.close()
                ok = h.status == 200 and v.status == 404
            except OSError:
                time.sleep(0.05)
        check("LISTEN_FDS=2: fd 4 is the probe listener (/healthz 200, /validate 404)", ok,
              text(err)[-300:])
        check("LISTEN_FDS=2: fd 3 still serves reviews",
              envelope_ok(one_review(sock.getsockname()[1]), UID))
    finally:
        stop(p)
    for o in (f, udp, bound, unix, sock, probe):
        o.close()


def control():
    """Without the inherited socket, the port is closed between two processes."""
    port = free_port()
    args = [TINYHOOK, "--listen", "127.0.0.1:%d" % port, "--cert-dir", CERTS, "--workers", "1"]
    p = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        end = time.time() + 10
        while time.time() < end:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                time.sleep(0.02)
    finally:
        stop(p)
    try:
        socket.create_connection(("127.0.0.1", port), timeout=1).close()
        refused = False
    except ConnectionRefusedError:
        refused = True
    check("control: with --listen, a connect between stop and start is refused "
          "(the calls socket activation keeps)", refused)


def units():
    """k8s/host/tinyhook.socket beside the service: same address, valid units."""
    sock_unit = open(os.path.join(ROOT, "k8s", "host", "tinyhook.socket")).read()
    svc_unit = open(os.path.join(ROOT, "k8s", "host", "tinyhook.service")).read()
    listen = re.search(r"^ListenStream=(\S+)$", sock_unit, re.M)
    exec_listen = re.search(r"^ExecStart=\S+ .*--listen (\S+)", svc_unit, re.M)
    check("tinyhook.socket listens where the service's --listen does",
          listen and exec_listen and listen.group(1) == exec_listen.group(1),
          "%r %r" % (listen and listen.group(1), exec_listen and exec_listen.group(1)))
    check("tinyhook.socket: one process for all connections (Accept=no)",
          re.search(r"^Accept=no$", sock_unit, re.M) is not None)
    tool = shutil.which("systemd-analyze")
    if not tool:
        check("systemd-analyze verify (skipped: not installed)", True)
        return
    d = tempfile.mkdtemp(dir=TMP)
    with open(os.path.join(d, "tinyhook.socket"), "w") as f:
        f.write(sock_unit)
    with open(os.path.join(d, "tinyhook.service"), "w") as f:
        f.write(svc_unit.replace("/usr/local/bin/tinyhook", shutil.which("true")))
    p = subprocess.run([tool, "verify", os.path.join(d, "tinyhook.socket"),
                        os.path.join(d, "tinyhook.service")], capture_output=True, text=True)
    check("systemd-analyze verify tinyhook.socket tinyhook.service is silent",
          p.returncode == 0 and not p.stderr.strip(), p.stderr)


def main():
    units()
    restarts()
    systemd_socket_activate()
    refusals()
    control()
    shutil.rmtree(TMP, ignore_errors=True)
    summary("socket_activation")


main()
