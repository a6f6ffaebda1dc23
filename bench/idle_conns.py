#!/usr/bin/python3
"""idle_conns.py --url URL --payload FILE --pid PID [--conns 256] [--tree]
                 [--rss-sh rss.sh] [--settle 0.5] [--timeout 90]

RSS of a webhook server holding idle keep-alive connections, the way the
apiserver leaves them between reviews: opens --conns TLS connections to URL
one after another, POSTs the payload once on each and reads the whole answer,
keeps every connection open, waits --settle seconds, then reads the server's
VmRSS with the shared rss.sh (-c, and -t with --tree). Prints

  RESULT conns=N ok=K held=H rss_before_kb=A rss_kb=B secs=T

ok = answers with status 200; held = connections the server had not closed
(nor written to) when the RSS was read: a server that closes after each
answer (Werkzeug, gunicorn sync) holds none, and its figure is not an idle
connection figure. Bounded: every socket operation times out after 10 s and
the whole run stops opening connections after --timeout seconds.
"""
import argparse
import http.client
import select
import subprocess
import sys
import time
import urllib.parse

import tlsconn


def rss_kb(rss_sh, pid, tree):
    cmd = [rss_sh, "-c", "-n"] + (["-t"] if tree else []) + [str(pid)]
    try:
        return int(subprocess.run(cmd, capture_output=True, text=True, timeout=30).stdout.strip())
    except (ValueError, OSError, subprocess.TimeoutExpired):
        return -1


def main():
    ap = argparse.ArgumentParser()
    tlsconn.add_target_args(ap)
    ap.add_argument("--tree", action="store_true")
    ap.add_argument("--rss-sh", default="rss.sh")
    ap.add_argument("--settle", type=float, default=0.5)
    ap.add_argument("--timeout", type=float, default=90.0)
    a = ap.parse_args()
    u = urllib.parse.urlsplit(a.url)
    body = open(a.payload, "rb").read()
    ctx = tlsconn.client_context()

    tlsconn.raise_nofile(a.conns + 64)    # one descriptor per connection, plus Python's own

    before = rss_kb(a.rss_sh, a.pid, a.tree)
    t0 = time.monotonic()
    conns, ok, errors = [], 0, 0
    for i in range(a.conns):
        if time.monotonic() - t0 > a.timeout:
            print("idle_conns: stopped after %d connections (--timeout)" % i, file=sys.stderr)
            break
        c = http.client.HTTPSConnection(u.hostname, u.port, context=ctx, timeout=10)
        try:
            c.request("POST", u.path or "/", body=body,
                      headers={"Content-Type": "application/json"})
            r = c.getresponse()
            r.read()
            ok += r.status == 200
        except (OSError, http.client.HTTPException) as e:
            errors += 1
            if errors <= 3:
                print("idle_conns: connection %d: %s: %s" % (i, type(e).__name__, e), file=sys.stderr)
            c.close()
            continue
        conns.append(c)    # http.client closed c.sock itself if the answer said close
    time.sleep(a.settle)
    open_socks = [c.sock for c in conns if c.sock is not None]
    # readable while idle = the server closed it (EOF) or sent something unasked
    poll = select.poll()
    for s in open_socks:
        poll.register(s, select.POLLIN)
    readable = {fd for fd, _ in poll.poll(0)}
    held = sum(1 for s in open_socks if s.fileno() not in readable and s.pending() == 0)
    after = rss_kb(a.rss_sh, a.pid, a.tree)
    secs = time.monotonic() - t0
    for c in conns:
        c.close()
    print("RESULT conns=%d ok=%d held=%d rss_before_kb=%d rss_kb=%d secs=%.2f"
          % (a.conns, ok, held, before, after, secs))
    return 0 if ok > 0 else 1


if __name__ == "__main__":
    sys.exit(main())
