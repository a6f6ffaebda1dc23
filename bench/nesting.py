"""bench/nesting.py: issue 13's nesting table, rerun: a review whose object is
N nested arrays ([ x N, ] x N) sent to a running tinyhook (--max-body 3Mi),
time from the body's last byte to the answer (median of 5), and the answer.
Wall time, so a bench, not a test:  /usr/bin/python3 bench/nesting.py
"""
import os
import statistics
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "test", "lib"))
from th import Server, mkcerts, read_response  # noqa: E402


def body(n):
    return (b'{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":'
            b'{"uid":"u","object":' + b"[" * n + b"]" * n + b"}}")


def main():
    tmp = tempfile.mkdtemp()
    certs = mkcerts(os.path.join(tmp, "c"), "--host", "127.0.0.1")
    srv = Server(certs, "--max-body", "3Mi", "--workers", "1", "--log-level", "error")
    print("| nested arrays | bytes | last byte -> answer, median of 5 | answer |")
    print("| --- | --- | --- | --- |")
    try:
        for n in (10000, 30000, 100000, 1500000):
            b = body(n)
            times, status = [], None
            for _ in range(5):
                s = srv.connect()
                head = ("POST /validate HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                        "Content-Length: %d\r\n\r\n" % len(b)).encode()
                s.sendall(head + b[:-1])
                time.sleep(0.05)        # everything but the last byte is in
                t0 = time.perf_counter()
                s.sendall(b[-1:])
                r = read_response(s)
                times.append(time.perf_counter() - t0)
                status = "%d %s" % (r.status, r.body.decode()[:40])
                s.close()
            print("| %s | %s | %.3f ms | %s |" % (f"{n:,}", f"{len(b):,}",
                  statistics.median(times) * 1000, status))
    finally:
        srv.stop()


main()
