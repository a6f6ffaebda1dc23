#!/usr/bin/python3
"""bench/worst/gen.py: worst-case inputs for every parser and walker on the
request path and in the offline reviewer (issue 13).

    gen.py list                   the table: name, driver mode, argument,
                                  policy, expected status, what it attacks
    gen.py make NAME SIZE OUT     writes NAME's input of at most SIZE bytes

Every input is a pure function of (NAME, SIZE): no randomness, no clock. Each
is built to reach the code it aims at and go through it to the end (the
expected status says how it ends: a 200 review, a head stream read to its
end, ...), so a cheap early refusal never passes for linear. The driver
modes are those of bench/worst/worst.c.

To add a generator: a function of the size returning bytes, and one GENS
line (name, mode, argument, policy, expected status, what).
"""
import json
import sys

KIB = 1024

# --- HTTP heads (stream of pipelined heads, worst.c mode "head") ---------

HEAD_MAX = 16 * KIB     # src/http.h HTTP_MAX_HEADER_BYTES
HEAD_FIELDS = 64        # src/http.h HTTP_MAX_HEADERS


def stream(size, head):
    """As many copies of head as fit in size (at least one)."""
    return head * max(1, size // len(head))


def head_len(size):
    """Heads as long as the limit allows, but at least 4 per stream, so small
    sizes (the test's) still vary the head length."""
    return min(HEAD_MAX, size // 4)


def head_many_headers(size):
    # 64 fields, the most a head may have, 62 of them the shortest possible.
    h = (b"POST /validate HTTP/1.1\r\nHost: h\r\nContent-Length: 0\r\n" +
         b"a:\r\n" * (HEAD_FIELDS - 2) + b"\r\n")
    return stream(size, h)


def head_long_line(size):
    pre = b"POST /validate HTTP/1.1\r\nHost: h\r\nContent-Length: 0\r\nX-Long: "
    return stream(size, pre + b"v" * (head_len(size) - len(pre) - 8) + b"\r\n\r\n")


def head_long_target(size):
    post = b" HTTP/1.1\r\nHost: h\r\n\r\n"
    return stream(size, b"GET /" + b"a" * (head_len(size) - len(post) - 8) + post)


def head_crlf_prefix(size):
    # RFC 9112 2.2: empty lines before the request line are skipped.
    req = b"GET /healthz HTTP/1.1\r\nHost: h\r\n\r\n"
    return stream(size, b"\r\n" * ((head_len(size) - len(req) - 8) // 2) + req)


def head_tiny(size):
    return stream(size, b"GET / HTTP/1.1\r\nHost: h\r\n\r\n")


def head_big(size):
    # Heads of up to 63 fields of ~250 bytes, just under the limit.
    line = b"X-Field-Name: " + b"v" * 240 + b"\r\n"
    pre = b"POST /validate HTTP/1.1\r\nHost: h\r\n"
    n = max(1, min(HEAD_FIELDS - 1, (head_len(size) - len(pre) - 64) // len(line)))
    return stream(size, pre + line * n + b"\r\n")


# --- chunked bodies (worst.c mode "chunked") -----------------------------

def chunks(size, chunk):
    """A chunked body of copies of chunk, then trailers and the last chunk."""
    trailer = b"t:v\r\n" * 1600      # 8 KB of the 16 KiB trailer budget
    end = b"0\r\n" + trailer + b"\r\n"
    n = max(1, (size - len(end)) // len(chunk))
    return chunk * n + end


def chunked_1byte(size):
    return chunks(size, b"1\r\nx\r\n")


def chunked_request(size):
    head = b"POST /validate HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n"
    return head + chunks(size - len(head), b"1\r\nx\r\n")


def chunked_digits(size):
    # src/http.h HTTP_MAX_CHUNK_DIGITS: 16 hex digits, leading zeros count.
    return chunks(size, b"0000000000000001\r\nx\r\n")


def chunked_ext(size):
    # src/http.h HTTP_MAX_CHUNK_EXT: 1024 bytes of extension per chunk.
    return chunks(size, b"1;" + b"e=" * 500 + b"\r\nx\r\n")


# --- AdmissionReview bodies (worst.c mode "review") ----------------------

GVK_POD = '{"group":"","version":"v1","kind":"Pod"}'
GVR_POD = '{"group":"","version":"v1","resource":"pods"}'
IMG_OK = "registry.example.com/app:1.0"


def review(obj, before_object="", uid="705ab4f5-6393-11e8-b7cc-42010a800002",
           name='"worst"', namespace='"default"'):
    """An AdmissionReview CREATE as the apiserver writes it (compact JSON);
    before_object: raw members placed before "object" in request."""
    return ('{"kind":"AdmissionReview","apiVersion":"admission.k8s.io/v1",'
            '"request":{"uid":"%s","kind":%s,"resource":%s,"requestKind":%s,'
            '"requestResource":%s,"name":%s,"namespace":%s,"operation":"CREATE",'
            '"userInfo":{"username":"worst","groups":["system:authenticated"]},'
            '%s"object":%s,"oldObject":null,"dryRun":false,'
            '"options":{"kind":"CreateOptions","apiVersion":"meta.k8s.io/v1"}}}'
            % (uid, GVK_POD, GVR_POD, GVK_POD, GVR_POD, name, namespace,
               before_object, obj)).encode()


def container(i, image=IMG_OK, extra=',"imagePullPolicy":"Always"'):
    return '{"name":"c%d","image":"%s"%s}' % (i, image, extra)


def pod(containers, spec_extra="", labels='{"owner":"worst","environment":"x"}',
        meta_extra="", top_extra=""):
    return ('{"apiVersion":"v1","kind":"Pod","metadata":{"name":"worst",'
            '"namespace":"default","labels":%s%s},"spec":{%s"containers":[%s]}%s}'
            % (labels, meta_extra, spec_extra, ",".join(containers), top_extra))


def fill(size, make):
    """The largest n with len(make(n)) <= size, make growing in n (at least 1)."""
    lo, hi = 1, 2
    while len(make(hi)) <= size:
        lo, hi = hi, hi * 2
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if len(make(mid)) <= size:
            lo = mid
        else:
            hi = mid
    return make(lo)


def json_deep_arrays(size):
    # The body: [ x N then ] x N (jsmn walks back at each close).
    n = size // 2
    return b"[" * n + b"]" * n


def json_deep_objects(size):
    n = (size - 1) // 6
    return b'{"a":' * n + b"0" + b"}" * n


JSON_MAX_TOKENS = 1 << 20      # src/json.h: one more token -> 413
TOKEN_ROOM = JSON_MAX_TOKENS - 4096   # for the review around the units


def token_capped(size, unit, unit_tokens):
    """A pod with "x":[unit,unit,...] but never more tokens than json_parse
    takes: past TOKEN_ROOM the bytes go to an annotation (one token), so the
    biggest sizes stay a 200 instead of a cheap 413."""
    cap = TOKEN_ROOM // unit_tokens

    def make(n):
        pad = max(0, n - cap) * (len(unit) + 1)
        return review(pod([container(0)], top_extra=',"x":[%s]' % ",".join([unit] * min(n, cap)),
                          meta_extra=',"annotations":{"a":"%s"}' % ("x" * pad) if pad else ""))
    return fill(size, make)


def json_deep_groups(size):
    # Many groups nested 200 deep: legal depth, jsmn's walk at every close.
    return token_capped(size, "[" * 200 + "]" * 200, 200)


def json_tiny_tokens(size):
    return token_capped(size, "0", 1)


def json_long_string(size):
    return fill(size, lambda n: review(pod([container(0)],
                meta_extra=',"annotations":{"a":"%s"}' % ("x" * n))))


def escaped(size, unit):
    """name, a container's name and image: long runs of escapes, each
    unescaped in full (json_unescape validates past the copy's cut), the
    image failing image_prefix so the denial message quotes both. The uid is
    escaped too, within the 256 bytes src/review.c takes (REVIEW_UID_MAX)."""
    def make(n):
        s = unit * n
        return review(pod([container(0, image=s, extra=',"imagePullPolicy":"Always"')]
                          ).replace('"name":"c0"', '"name":"%s"' % s),
                      uid=unit * max(1, 240 // len(unit)), name='"%s"' % s)
    return fill(size, make)


def json_escapes(size):
    return escaped(size, "\\u0061\\u0026")


def json_surrogates(size):
    return escaped(size, "\\ud83d\\ude00")


def json_newlines(size):
    # Pretty-printed: bytes below 0x20 between tokens, the per-string check.
    def make(n):
        obj = json.loads(pod([container(i) for i in range(n)]))
        r = json.loads(review("null"))
        r["request"]["object"] = obj
        return json.dumps(r, indent=1).encode()
    return fill(size, make)


def dup_request_keys(size):
    # "uid" spelled with escapes, repeated: every lookup in request compares
    # (and unescapes) each; the last one wins.
    k = '"\\u0075\\u0069\\u0064":"705ab4f5-6393-11e8-b7cc-42010a800002",'
    return fill(size, lambda n: review(pod([container(0)]), before_object=k * n))


def dup_labels(size):
    k = '"\\u006f\\u0077\\u006e\\u0065\\u0072":"worst",'
    return fill(size, lambda n: review(pod([container(0)],
                labels='{%s"environment":"x"}' % (k * n))))


def wide_labels(size):
    return fill(size, lambda n: review(pod([container(0)],
                labels='{%s"owner":"worst"}' % "".join(
                    '"k%07d":"v",' % i for i in range(n)))))


def wide_request(size):
    return fill(size, lambda n: review(pod([container(0)]),
                before_object="".join('"x%07d":0,' % i for i in range(n))))


def dup_containers_key(size):
    return fill(size, lambda n: review(pod([container(0)],
                spec_extra='"containers":[],' * n)))


def pod_containers_validate(size):
    # Every image denied by the reference policy: one message each, cut.
    return fill(size, lambda n: review(pod([container(i, "nginx:latest", "")
                                            for i in range(n)])))


def pod_containers_mutate(size):
    # Every container lacks imagePullPolicy: the patch passes PATCH_MAX (500).
    return fill(size, lambda n: review(pod([container(i, IMG_OK, "")
                                            for i in range(n)])))


def pod_containers_default(size):
    # policy.h: deny_latest_tag warns and audit_images reports every image.
    return fill(size, lambda n: review(pod([container(i, "nginx", "")
                                            for i in range(n)])))


BAD_CTR = (',"securityContext":{"privileged":true,"capabilities":'
           '{"add":["SYS_ADMIN","NET_ADMIN"]},"runAsNonRoot":false}')


def pod_baseline_containers(size):
    return fill(size, lambda n: review(pod([container(i, IMG_OK, BAD_CTR)
                                            for i in range(n)])))


def pod_baseline_volumes(size):
    return fill(size, lambda n: review(pod([container(0)], spec_extra=
                '"volumes":[%s],' % ",".join('{"name":"v%d","hostPath":{"path":"/"}}' % i
                                              for i in range(n)))))


def pod_baseline_caps(size):
    return fill(size, lambda n: review(pod([container(0, IMG_OK,
                ',"securityContext":{"capabilities":{"add":[%s]}}' %
                ",".join(['"SYS_ADMIN"'] * n))])))


def pod_baseline_wide_spec(size):
    # Half containers, half junk members of the PodSpec: runAsNonRoot is
    # looked up in the PodSpec once per container.
    def make(n):
        junk = "".join('"x%07d":0,' % i for i in range(n * 3))
        return review(pod([container(i, IMG_OK, "") for i in range(n)],
                          spec_extra=junk))
    return fill(size, make)


def pod_env(size):
    env = lambda n: ',"env":[%s]' % ",".join(
        '{"name":"E%d","value":"v"}' % i for i in range(n))
    return fill(size, lambda n: review(pod([container(0, IMG_OK,
                ',"imagePullPolicy":"Always"' + env(n))])))


def pod_ports(size):
    ports = lambda n: ',"ports":[%s]' % ",".join(
        '{"containerPort":%d,"protocol":"TCP"}' % (i % 65535 + 1) for i in range(n))
    return fill(size, lambda n: review(pod([container(0, IMG_OK,
                ',"imagePullPolicy":"Always"' + ports(n))])))


# --- ConversionReview bodies (policies/crontab.h, route convert) ---------

def conversion(objects, desired="stable.example.com/v1"):
    return ('{"kind":"ConversionReview","apiVersion":"apiextensions.k8s.io/v1",'
            '"request":{"uid":"0000-worst","desiredAPIVersion":"%s","objects":[%s]}}'
            % (desired, ",".join(objects))).encode()


def crontab(i, version="v1beta1", spec=None, extra=""):
    if spec is None:
        spec = ('"cronSpec":"* * * * */5","image":"my-awesome-cron-image"'
                if version == "v1beta1" else
                '"schedule":"* * * * */5","image":"my-awesome-cron-image"')
    return ('{"apiVersion":"stable.example.com/%s","kind":"CronTab","metadata":'
            '{"name":"ct%d","namespace":"default","uid":"u%d"},"spec":{%s}%s}'
            % (version, i, i, spec, extra))


def convert_many_objects(size):
    return fill(size, lambda n: conversion([crontab(i) for i in range(n)]))


def convert_many_same(size):
    return fill(size, lambda n: conversion([crontab(i, "v1") for i in range(n)]))


def convert_wide_spec(size):
    return fill(size, lambda n: conversion([crontab(0, spec="".join(
        '"f%07d":0,' % i for i in range(n)) + '"cronSpec":"* * * * */5"')]))


def convert_dup_spec(size):
    # "spec" repeated: every copy is matched by the rename's edit.
    return fill(size, lambda n: conversion([crontab(0, extra=
        ',"spec":{"cronSpec":"x"}' * n)]))


def convert_dup_apiversion(size):
    # Widget v1 -> v2: the apiVersion edit alone, apiVersion repeated.
    def make(n):
        o = ('{%s"apiVersion":"rig.example.com/v1","kind":"Widget",'
             '"metadata":{"name":"w"},"spec":{"size":1}}'
             % ('"apiVersion":"rig.example.com/v1",' * n))
        return conversion([o], desired="rig.example.com/v2")
    return fill(size, make)


# --- PEM files (worst.c mode "pem": tls_check_pem) -----------------------

def pem_many_blocks(size):
    return stream(size, b"-----BEGIN X-----\nAAAA\n-----END X-----\n")


def pem_long_line(size):
    pre, post = b"-----BEGIN X-----\n", b"\n-----END X-----\n"
    return pre + b"A" * ((size - len(pre) - len(post)) // 4 * 4) + post


def pem_junk_lines(size):
    block = b"-----BEGIN X-----\nAAAA\n-----END X-----\n"
    return b"junk\n" * ((size - len(block)) // 5) + block


# --- the offline reviewer (worst.c mode "offline": review_cli) -----------

OFFLINE_OPS = 380   # imagePullPolicy ops that still fit PATCH_MAX (32 KiB)
OFFLINE_OP_BYTES = 170  # input bytes per op below 64 KiB (so small sizes vary both)


def bare_pod(containers, meta_extra=""):
    return pod(containers, meta_extra=meta_extra).encode()


def offline_pod_ops(size):
    # A bare Pod: as many patch operations as fit, the rest of the bytes an
    # annotation; each op is applied for display by re-parsing the object.
    ctrs = [container(i, IMG_OK, "")
            for i in range(min(OFFLINE_OPS, size // OFFLINE_OP_BYTES))]
    return fill(size, lambda n: bare_pod(ctrs, ',"annotations":{"a":"%s"}' % ("x" * n)))


def offline_many_containers(size):
    return fill(size, lambda n: bare_pod([container(i) for i in range(n)]))


# name, mode, arg, policy, expected status(es), what, generator
GENS = [
    ("head-many-headers", "head", "0", "crontab", "0", "64 fields per head, 62 of them empty (a:)", head_many_headers),
    ("head-long-line", "head", "0", "crontab", "0", "one 16 KB header line per head", head_long_line),
    ("head-long-target", "head", "0", "crontab", "0", "a 16 KB request-target per head", head_long_target),
    ("head-crlf-prefix", "head", "0", "crontab", "-400", "16 KB of empty lines before each request line", head_crlf_prefix),
    ("head-tiny", "head", "0", "crontab", "0", "minimal heads back to back (per-head cost)", head_tiny),
    ("head-big", "head", "0", "crontab", "0", "16 KB heads of 63 fields, all at once", head_big),
    ("head-bytewise", "conn", "1", "crontab", "0", "16 KB heads arriving 1 byte per TLS record (src/conn.c)", head_big),
    ("head-crlf-bytewise", "conn", "1", "crontab", "0", "empty lines before each request line, 1 byte per record (src/conn.c)", head_crlf_prefix),
    ("chunked-1byte", "chunked", "0", "crontab", "0", "1-byte chunks, 8 KB of trailers", chunked_1byte),
    ("chunked-bytewise", "conn", "1", "crontab", "0", "a chunked request of 1-byte chunks, 1 byte per record (src/conn.c)", chunked_request),
    ("chunked-digits", "chunked", "0", "crontab", "0", "1-byte chunks with 16-digit sizes", chunked_digits),
    ("chunked-ext", "chunked", "0", "crontab", "0", "1-byte chunks with 1 KB extensions", chunked_ext),
    ("json-deep-arrays", "review", "validate", "crontab", "400,413", "[ x N ] x N (the issue's body)", json_deep_arrays),
    ("json-deep-objects", "review", "validate", "crontab", "400,413", '{"a": x N 0 } x N', json_deep_objects),
    ("json-deep-groups", "review", "validate", "crontab", "200", "many arrays nested 200 deep in a pod", json_deep_groups),
    ("json-tiny-tokens", "review", "validate", "crontab", "200", "[0,0,0,...] in a pod", json_tiny_tokens),
    ("json-long-string", "review", "validate", "crontab", "200", "one long annotation value", json_long_string),
    ("json-escapes", "review", "validate", "crontab", "200", "uid, names, image all \\u escapes", json_escapes),
    ("json-surrogates", "review", "validate", "crontab", "200", "uid, names, image all surrogate pairs", json_surrogates),
    ("json-newlines", "review", "validate", "crontab", "200", "pretty-printed pod (control bytes between tokens)", json_newlines),
    ("dup-request-keys", "review", "validate", "crontab", "200", 'request.uid repeated, spelled \\u0075id', dup_request_keys),
    ("dup-labels", "review", "validate", "crontab", "200", "labels.owner repeated, spelled with escapes", dup_labels),
    ("wide-labels", "review", "mutate", "crontab", "200", "metadata.labels with distinct keys", wide_labels),
    ("wide-request", "review", "validate", "crontab", "200", 'request members before "object"', wide_request),
    ("dup-containers-key", "review", "validate", "crontab", "200", "spec.containers repeated", dup_containers_key),
    ("pod-containers-validate", "review", "validate", "crontab", "200", "containers, every image denied", pod_containers_validate),
    ("pod-containers-mutate", "review", "mutate", "crontab", "200,500", "containers, each needing a patch op (PATCH_MAX)", pod_containers_mutate),
    ("pod-containers-default", "review", "validate", "policy", "200", "containers, policy.h warns and audits each", pod_containers_default),
    ("pod-baseline-containers", "review", "validate", "pod-hardening", "200", "containers breaking every baseline rule", pod_baseline_containers),
    ("pod-baseline-volumes", "review", "validate", "pod-hardening", "200", "hostPath volumes", pod_baseline_volumes),
    ("pod-baseline-caps", "review", "validate", "pod-hardening", "200", "one container adding capabilities", pod_baseline_caps),
    ("pod-baseline-wide-spec", "review", "validate", "pod-hardening", "200", "containers + as many PodSpec members", pod_baseline_wide_spec),
    ("pod-env", "review", "validate", "crontab", "200", "one container with env entries", pod_env),
    ("pod-ports", "review", "validate", "crontab", "200", "one container with ports", pod_ports),
    ("convert-many-objects", "review", "convert", "crontab", "200/1", "CronTabs v1beta1 -> v1", convert_many_objects),
    ("convert-many-same", "review", "convert", "crontab", "200/1", "CronTabs already in v1 (copied)", convert_many_same),
    ("convert-wide-spec", "review", "convert", "crontab", "200/1", "one CronTab, a spec of many fields", convert_wide_spec),
    ("convert-dup-spec", "review", "convert", "crontab", "200/1", "one CronTab, spec repeated", convert_dup_spec),
    ("convert-dup-apiversion", "review", "convert", "crontab", "200/1", "one Widget v1 -> v2, apiVersion repeated", convert_dup_apiversion),
    ("pem-many-blocks", "pem", "-", "crontab", "-1", "PEM objects back to back", pem_many_blocks),
    ("pem-long-line", "pem", "-", "crontab", "-1", "one PEM object on one line", pem_long_line),
    ("pem-junk-lines", "pem", "-", "crontab", "-1", "text lines, then one object", pem_junk_lines),
    ("offline-pod-ops", "offline", "-", "crontab", "0", "bare Pod, up to 380 patch ops applied for display", offline_pod_ops),
    ("offline-many-containers", "offline", "-", "crontab", "0", "bare Pod with many containers", offline_many_containers),
]


def find(name):
    for g in GENS:
        if g[0] == name:
            return g
    raise SystemExit("gen.py: no generator %s" % name)


def main(argv):
    if len(argv) == 2 and argv[1] == "list":
        for g in GENS:
            print("\t".join(g[:6]))
        return 0
    if len(argv) == 5 and argv[1] == "make":
        data = find(argv[2])[6](int(argv[3]))
        with open(argv[4], "wb") as f:
            f.write(data)
        return 0
    sys.stderr.write(__doc__)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
