#!/usr/bin/python3
"""busy_conns.py --url URL --payload FILE --pid PID [--conns 256] [--secs 10]
                 [--max-reqs 1000000] [--tree] [--tsv FILE --server NAME --run N]

Peak RSS of a webhook server while --conns keep-alive TLS connections all
send reviews back to back (the apiserver after a burst of creates, not the
idle connections of idle_conns.py): every connection POSTs the payload,
reads the whole answer and at once POSTs again, for --secs seconds or
--max-reqs answers in all, whichever comes first. One thread drives all
connections through a selector, so each one keeps a request in flight.

The peak is the larger of the server's VmHWM (/proc/PID/status), reset
to the current VmRSS before the load (writing 5 to /proc/PID/clear_refs,
proc(5)) so that it is the peak of this run, not of what the process did
before, and the largest VmRSS sampled every --sample-ms meanwhile (the
kernel folds a thread's RSS counters into VmHWM lazily, so VmHWM can end
a little below a sample). Where the reset is refused (hwm_reset=0), the
figure is the largest sample alone, a lower bound. With --tree the
figures are sums over the process and its descendants (gunicorn).

Prints

  RESULT conns=N active=A requests=R errors=E rps=X secs=T rss_before_kb=B
         peak_rss_kb=P sampled_max_kb=S hwm_reset=0|1

active = connections that were answered at least once; requests = 200
answers; errors = anything else (other statuses, resets, closes, stalls:
a connection closed by the server is opened again, at most --conns times
in all). With --tsv, appends the row
server run conns payload peak_rss_kb requests errors (header if new).

Bounded: --secs of load, then at most --drain seconds for the answers in
flight; a connection without progress for --stall seconds is an error.
Exit status 1 if no request was answered.
"""
import argparse
import os
import selectors
import socket
import ssl
import sys
import time
import urllib.parse

import tlsconn

READ_BYTES = 65536          # one recv: a few TLS records
HEAD_MAX = 16384            # a response head longer than this is an error
TSV_HEADER = "server\trun\tconns\tpayload\tpeak_rss_kb\trequests\terrors\n"


def pids_of(pid, tree):
    """pid, and with tree its descendants (from /proc/*/stat's ppid)."""
    if not tree:
        return [pid]
    kids = {}
    for d in os.listdir("/proc"):
        if d.isdigit():
            try:
                s = open("/proc/%s/stat" % d).read()
            except OSError:
                continue
            ppid = int(s[s.rindex(")") + 2:].split()[1])
            kids.setdefault(ppid, []).append(int(d))
    out, queue = [], [pid]
    while queue:
        p = queue.pop()
        out.append(p)
        queue.extend(kids.get(p, []))
    return out


def status_kb(pids, field):
    """Sum of field (VmRSS, VmHWM) in kB over pids; -1 if none readable."""
    total, seen = 0, False
    for p in pids:
        try:
            for line in open("/proc/%d/status" % p):
                if line.startswith(field + ":"):
                    total += int(line.split()[1])
                    seen = True
        except OSError:
            pass
    return total if seen else -1


def reset_hwm(pids):
    """Resets VmHWM to VmRSS for every pid; True if all accepted it."""
    ok = True
    for p in pids:
        try:
            with open("/proc/%d/clear_refs" % p, "w") as f:
                f.write("5")
        except OSError:
            ok = False
    return ok


class Conn:
    """One keep-alive connection: handshake, then request/answer forever."""

    def __init__(self, host, port, ctx):
        raw = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        raw.setblocking(False)
        raw.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.sock = ctx.wrap_socket(raw, server_hostname=host, do_handshake_on_connect=False)
        self.sock.connect_ex((host, port))     # EINPROGRESS: the handshake waits for it
        self.state = "handshake"
        self.out, self.off = b"", 0
        self.inbuf = bytearray()
        self.need = -1          # bytes of the whole answer, once its head is in
        self.status = 0
        self.answers = 0
        self.last = time.monotonic()

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass


def parse_head(buf):
    """(status, head_len + content_length) of an answer head, None if
    incomplete, (-1, 0) if it cannot be framed by Content-Length."""
    end = buf.find(b"\r\n\r\n")
    if end < 0:
        return None if len(buf) < HEAD_MAX else (-1, 0)
    lines = bytes(buf[:end]).split(b"\r\n")
    try:
        status = int(lines[0].split()[1])
    except (IndexError, ValueError):
        return (-1, 0)
    clen, close = -1, False
    for h in lines[1:]:
        k, _, v = h.partition(b":")
        k = k.strip().lower()
        if k == b"content-length":
            clen = int(v.strip()) if v.strip().isdigit() else -1
        elif k == b"connection" and v.strip().lower() == b"close":
            close = True
    if clen < 0 or close:
        return (-1, 0)          # a keep-alive answer has a length and no close
    return (status, end + 4 + clen)


class Load:
    def __init__(self, a):
        u = urllib.parse.urlsplit(a.url)
        self.host, self.port = u.hostname, u.port or 443
        body = open(a.payload, "rb").read()
        path = u.path or "/"
        self.req = (("POST %s HTTP/1.1\r\nHost: %s:%d\r\nContent-Type: application/json\r\n"
                     "Accept: application/json, */*\r\nUser-Agent: busy_conns\r\n"
                     "Content-Length: %d\r\n\r\n") % (path, self.host, self.port, len(body))
                    ).encode() + body
        self.ctx = tlsconn.client_context(["http/1.1"])
        self.a = a
        self.sel = selectors.DefaultSelector()
        self.requests = self.errors = self.reopened = 0
        self.active = 0         # connections answered at least once
        self.sending = True
        self.err_shown = 0

    def error(self, c, why):
        self.errors += 1
        if self.err_shown < 3:
            self.err_shown += 1
            print("busy_conns: %s" % why, file=sys.stderr)
        self.sel.unregister(c.sock)
        c.close()
        if self.sending and self.reopened < self.a.conns:
            self.reopened += 1
            self.open()

    def open(self):
        c = Conn(self.host, self.port, self.ctx)
        self.sel.register(c.sock, selectors.EVENT_READ | selectors.EVENT_WRITE, c)

    def want(self, c, ev):
        self.sel.modify(c.sock, ev, c)

    def start_request(self, c):
        if not self.sending:
            self.sel.unregister(c.sock)
            c.close()
            return
        c.state, c.out, c.off = "write", self.req, 0
        c.inbuf.clear()
        c.need = -1
        self.write(c)

    def write(self, c):
        while c.off < len(c.out):
            try:
                n = c.sock.send(memoryview(c.out)[c.off:])
            except ssl.SSLWantWriteError:
                return self.want(c, selectors.EVENT_WRITE)
            except ssl.SSLWantReadError:
                return self.want(c, selectors.EVENT_READ)
            except OSError as e:
                return self.error(c, "send: %s" % e)
            c.off += n
            c.last = time.monotonic()
        c.state = "read"
        self.want(c, selectors.EVENT_READ)

    def read(self, c):
        while True:
            try:
                d = c.sock.recv(READ_BYTES)
            except (ssl.SSLWantReadError, BlockingIOError):
                return
            except ssl.SSLWantWriteError:
                return self.want(c, selectors.EVENT_WRITE)
            except OSError as e:
                return self.error(c, "recv: %s" % e)
            if not d:
                return self.error(c, "server closed a keep-alive connection")
            c.last = time.monotonic()
            c.inbuf += d
            if c.need < 0:
                h = parse_head(c.inbuf)
                if h is None:
                    continue
                if h[0] < 0:
                    return self.error(c, "answer without Content-Length or with close")
                c.status, c.need = h
            if len(c.inbuf) > c.need:
                return self.error(c, "bytes after the answer (no pipelining was asked)")
            if len(c.inbuf) == c.need:
                break
        if c.status == 200:
            self.requests += 1
            c.answers += 1
            self.active += c.answers == 1
        else:
            self.errors += 1
        if self.requests + self.errors >= self.a.max_reqs:
            self.sending = False
        self.start_request(c)

    def handshake(self, c):
        try:
            c.sock.do_handshake()
        except ssl.SSLWantReadError:
            return self.want(c, selectors.EVENT_READ)
        except ssl.SSLWantWriteError:
            return self.want(c, selectors.EVENT_WRITE)
        except OSError as e:
            return self.error(c, "handshake: %s" % e)
        c.last = time.monotonic()
        self.start_request(c)

    def step(self, c):
        if c.state == "handshake":
            self.handshake(c)
        elif c.state == "write":
            self.write(c)
        else:
            self.read(c)

    def stalled(self, now):
        for key in list(self.sel.get_map().values()):
            c = key.data
            if now - c.last > self.a.stall:
                self.error(c, "no progress for %.0f s" % self.a.stall)


def main():
    ap = argparse.ArgumentParser()
    tlsconn.add_target_args(ap)
    ap.add_argument("--secs", type=float, default=10.0)
    ap.add_argument("--max-reqs", type=int, default=1000000)
    ap.add_argument("--tree", action="store_true")
    ap.add_argument("--sample-ms", type=float, default=20.0)
    ap.add_argument("--drain", type=float, default=10.0)
    ap.add_argument("--stall", type=float, default=10.0)
    ap.add_argument("--tsv")
    ap.add_argument("--server", default="server")
    ap.add_argument("--run", default="1")
    ap.add_argument("--payload-name")
    a = ap.parse_args()
    if a.conns < 1 or a.secs <= 0 or a.max_reqs < 1:
        ap.error("--conns, --secs and --max-reqs must be positive")

    tlsconn.raise_nofile(a.conns * 2 + 64)     # reopened connections linger until closed

    load = Load(a)
    pids = pids_of(a.pid, a.tree)
    before = status_kb(pids, "VmRSS")
    if before < 0:
        print("busy_conns: no process %d" % a.pid, file=sys.stderr)
        return 1
    hwm_reset = reset_hwm(pids)
    sampled = before
    t0 = time.monotonic()
    for _ in range(a.conns):
        load.open()
    next_sample = t0
    # Bounded: --secs of load, then --drain for the answers in flight.
    while load.sel.get_map():
        now = time.monotonic()
        if load.sending and now - t0 >= a.secs:
            load.sending = False
        if not load.sending and now - t0 >= a.secs + a.drain:
            break
        if now >= next_sample:
            sampled = max(sampled, status_kb(pids, "VmRSS"))
            next_sample = now + a.sample_ms / 1000
            load.stalled(now)
        for key, _ in load.sel.select(timeout=a.sample_ms / 1000):
            if key.fd in load.sel.get_map():
                load.step(key.data)
    secs = time.monotonic() - t0
    load.sending = False
    sampled = max(sampled, status_kb(pids, "VmRSS"))
    hwm = status_kb(pids, "VmHWM")
    peak = max(hwm, sampled) if hwm_reset else sampled
    for key in list(load.sel.get_map().values()):
        load.errors += 1            # still in flight after --drain
        key.data.close()
    print("RESULT conns=%d active=%d requests=%d errors=%d rps=%.0f secs=%.2f rss_before_kb=%d "
          "peak_rss_kb=%d sampled_max_kb=%d hwm_reset=%d"
          % (a.conns, load.active, load.requests, load.errors, load.requests / secs, secs,
             before, peak, sampled, hwm_reset))
    if a.tsv:
        name = a.payload_name or os.path.basename(a.payload).rsplit(".json", 1)[0]
        new = not os.path.exists(a.tsv) or os.path.getsize(a.tsv) == 0
        with open(a.tsv, "a") as f:
            if new:
                f.write(TSV_HEADER)
            f.write("%s\t%s\t%d\t%s\t%d\t%d\t%d\n" % (a.server, a.run, a.conns, name, peak,
                                                     load.requests, load.errors))
    return 0 if load.requests > 0 else 1


if __name__ == "__main__":
    sys.exit(main())
