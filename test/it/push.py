"""push.py: the last TLS record of an answer leaves at once (src/pump.c).

pump.c sends the records of one answer with MSG_MORE while plaintext
remains and the last one without it, which pushes everything out. A last
record sent corked waits for the kernel to send it: the probe timer
(TCP_RTO_MIN, 200 ms), or sooner the client's ACK of segments still in
flight before it. Measured with every record corked: small answers 208 ms
in every round; the large one mostly 43 ms (the client's delayed ACK,
TCP_DELACK_MIN 40 ms) but an ACK now and then comes at once (its minimum
was 0.9 ms in 1 run of 4). With only the last record corked: small answers
208 ms, the large one 0.9 ms (the ACKs of its first records flush it).
So the small answers are what reliably catch a cork; the large one checks
that a many-record answer is pushed too. Pushed, each takes under 1 ms.

Each case sends one request REPEAT times over one keep-alive TLS
connection and takes the MINIMUM time from the request to the complete
answer: a loaded machine slows some rounds, but a cork stalls all of
them, so the minimum separates the two even on a busy CI machine.
Answers: a ConversionReview of LARGE_OBJECTS objects already in the
desired version (returned as they are by the default build: rule 29),
larger than one loopback segment and many 4 KiB records; the same with one
object; a small AdmissionReview. Built here, no ../shared needed.
"""
import json
import os
import socket
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
from th import BENCH_PAYLOADS, Server, check, load, mkcerts, request, summary  # noqa: E402

REPEAT = 20		# requests a case; a cork stalls every one of them
BOUND_MS = 20		# half the shortest stall a cork causes (40 ms delayed ACK)
LARGE_OBJECTS = 100	# a 127 KB answer: 31 records of 4 KiB
LOOPBACK_MSS = 65483	# lo's MTU 65536 less headers: the large answer is > 1 segment
VERSION = "stable.example.com/v1"


def crontab(i):
    """One CronTab in VERSION with about 1 KB of spec."""
    return {"apiVersion": VERSION, "kind": "CronTab",
            "metadata": {"name": "crontab-%03d" % i, "namespace": "batch",
                         "uid": "0000%04d-aaaa-4bbb-8ccc-0123456789ab" % i},
            "spec": {"cronSpec": "*/2 * * * *", "image": "registry.example.com/batch/cron:1.%d" % i,
                     "command": ["sh", "-c", "echo %s" % ("x" * 1000)]}}


def conversion(n):
    """A ConversionReview of n objects, all already in desiredAPIVersion."""
    return json.dumps({"apiVersion": "apiextensions.k8s.io/v1", "kind": "ConversionReview",
                       "request": {"uid": "c0de%04d-aaaa-4bbb-8ccc-0123456789ab" % n,
                                   "desiredAPIVersion": VERSION,
                                   "objects": [crontab(i) for i in range(n)]}},
                      separators=(",", ":")).encode()


def converted(n):
    """The check of a Success ConversionReview answer of n objects."""
    def ok(r):
        if r.status != 200:
            return False
        resp = r.json().get("response", {})
        return (resp.get("result", {}).get("status") == "Success" and
                len(resp.get("convertedObjects", [])) == n)
    return ok


def allowed(r):
    return r.status == 200 and r.json().get("response", {}).get("allowed") is True


# (name, path, body, answer check, least answer bytes)
CASES = [
    ("large conversion (%d objects)" % LARGE_OBJECTS, "/convert", conversion(LARGE_OBJECTS),
     converted(LARGE_OBJECTS), LOOPBACK_MSS + 1),
    ("small conversion (1 object)", "/convert", conversion(1), converted(1), 1),
    ("small admission review", "/validate", load(os.path.join(BENCH_PAYLOADS, "pod-small-create.json")),
     allowed, 1),
]


def timed(sock, path, body):
    """One request on sock; (response, ms from its first byte to the whole answer)."""
    t0 = time.monotonic()
    r = request(sock, "POST", path, body)
    return r, (time.monotonic() - t0) * 1000


def run_case(srv, name, path, body, good, least):
    s = srv.connect(timeout=10)
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)	# our request is not held either
    times, bad, size = [], 0, 0
    try:
        for _ in range(REPEAT):
            r, ms = timed(s, path, body)
            times.append(ms)
            bad += not good(r)
            size = len(r.body)
    finally:
        s.close()
    check("%s: %d answers correct, %d bytes (>= %d)" % (name, REPEAT, size, least),
          bad == 0 and size >= least, "%d bad" % bad)
    times.sort()
    check("%s: fastest of %d answers %.2f ms < %d ms (median %.2f, slowest %.1f)"
          % (name, REPEAT, times[0], BOUND_MS, times[len(times) // 2], times[-1]),
          times[0] < BOUND_MS, "a corked last record waits 40 ms (large) or 200 ms (small)")


def main():
    certs = mkcerts(os.path.join(tempfile.mkdtemp(prefix="tinyhook-push-"), "ec"))
    srv = Server(certs)
    try:
        for case in CASES:
            run_case(srv, *case)
    finally:
        srv.stop()
    summary("push")


if __name__ == "__main__":
    main()
