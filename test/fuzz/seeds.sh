#!/bin/sh
# seeds.sh OUT: writes the seed corpora of the fuzz targets to OUT/<kind>/
# (kinds: http, json, review, pem) from the captured apiserver requests,
# the bench payloads, AdmissionReviews of every workload kind built with
# test/fixtures/policylib.py, and certificates made by certs/mkcerts.sh.
# Each target's first bytes select options (see its header comment); the
# seeds carry neutral values for them.
set -eu
out=$1
root=$(cd "$(dirname "$0")/../.." && pwd)
cap=$root/test/fixtures/apiserver-v1.36
bench=$root/test/fixtures/bench-payloads
# Only the PodSecurity fixtures stay in the shared tree (read in place).
shared=${SHARED:-$(cd "$root/.." && pwd)/shared}
rm -rf "$out"
mkdir -p "$out/http" "$out/json" "$out/review" "$out/pem"

# review: route byte 0 (validate), 1 (mutate), 2 (convert) + body.
review_seed() {	# name file
	for r in 0 1 2; do
		{ printf "\\00$r"; cat "$2"; } >"$out/review/$1-$r"
	done
	cp "$2" "$out/json/$1"
}
for f in "$cap"/*.json "$bench"/*.json; do
	[ -f "$f" ] || continue
	case $f in */expected.json) continue ;; esac
	n=$(basename "$(dirname "$f")")-$(basename "$f" .json)
	# 100 objects is 110 KB: keep the corpus quick, the 1-object one stays.
	[ "$(wc -c <"$f")" -le 65536 ] && review_seed "$n" "$f"
done

# Every workload kind, DELETE/UPDATE, subresources, escapes, duplicates.
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
/usr/bin/python3 - "$root" "$tmp" "$shared" <<'PY'
import json, os, sys
sys.path.insert(0, os.path.join(sys.argv[1], "test", "fixtures"))
from policylib import admission, obj, podspec, container
out = sys.argv[2]
def put(name, doc):
    with open(os.path.join(out, name), "w") as f:
        f.write(doc if isinstance(doc, str) else json.dumps(doc, separators=(",", ":")))
kinds = ["Pod", "Deployment", "ReplicaSet", "StatefulSet", "DaemonSet", "Job", "CronJob",
         "ReplicationController", "Service"]
spec = podspec([container("a", "registry.example.com/a:1"), container("b", "docker.io/b:latest",
               imagePullPolicy="IfNotPresent", securityContext={"privileged": True,
               "capabilities": {"add": ["NET_ADMIN"]}})],
               init=[container("i", "registry.example.com/i")], eph=[container("e", "busybox")],
               hostNetwork=True, volumes=[{"name": "h", "hostPath": {"path": "/"}}],
               imagePullSecrets=[{"name": "other"}])
for k in kinds:
    put("wl-%s" % k, admission(obj(k, spec, labels={"owner": "me", "app.kubernetes.io/name": "x"})))
    put("wl-nolabels-%s" % k, admission(obj(k, podspec(), labels=None)))
put("delete", admission(None, kind="Pod", op="DELETE", old=obj("Pod")))
put("update", admission(obj("Pod", labels={}), op="UPDATE", old=obj("Pod")))
put("connect", admission({"kind": "PodExecOptions"}, kind="Pod", op="CONNECT"))
put("eph-sub", admission(obj("Pod"), op="UPDATE", old=obj("Pod"), sub="ephemeralcontainers"))
put("status-sub", admission(obj("Pod"), op="UPDATE", old=obj("Pod"), sub="status"))
put("nometa", admission(obj("Pod", meta=False)))
d = json.dumps(admission(obj("Pod", labels={"owner": "x"})), separators=(",", ":"))
put("escapes", d.replace('"owner"', '"own\\u0065r"').replace("registry.example.com/",
    "registry.example.com\\u002f").replace("&", "\\u0026"))
put("dupkeys", d.replace('"image":"registry.example.com/app:1"',
    '"image":"registry.example.com/app:1","image":"docker.io/bad"'))
# PodSecurity's fixtures (read in place from the shared tree, when present):
# every security context field the Pod Security Standards look at.
fix = os.path.join(sys.argv[3], "pss-fixtures")
if os.path.isdir(fix):
    import yaml
    for lvl in ("baseline", "restricted"):
        for kind in ("pass", "fail"):
            d = os.path.join(fix, lvl, kind)
            for fn in sorted(os.listdir(d)):
                with open(os.path.join(d, fn)) as f:
                    put("pss-%s-%s-%s" % (lvl, kind, fn[:-5]), admission(yaml.safe_load(f)))
PY
for f in "$tmp"/*; do review_seed "fix-$(basename "$f")" "$f"; done
printf '{"a":[1,-2.5e+3,true,false,null,"\\u00e9\\ud83d\\ude00\\n\\"",{}],"b":{"c":[]}}' >"$out/json/tokens"

# http: split byte, limit byte, then a request. Heads from the captures.
for n in validate mutate convert; do
	{ printf '\007\004'; cat "$cap/$n.head.txt" | sed -n '/^\r*$/q;p' | tr -d '\r' |
	    sed 's/$/\r/'; printf '\r\n'; head -c 300 "$cap/$n.json"; } >"$out/http/$n"
done
crlf() { printf '%b' "$1"; }
crlf '\007\004POST /validate HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n5;x=y\r\nhello\r\n0\r\nT: v\r\n\r\nGET / HTTP/1.1\r\n' >"$out/http/chunked"
crlf '\003\005POST /mutate?timeout=10s HTTP/1.0\r\nContent-Length: 2\r\nConnection: keep-alive\r\n\r\n{}' >"$out/http/http10"
crlf '\011\003POST / HTTP/1.1\r\nHost: h\r\nExpect: 100-continue\r\nContent-Length: 0\r\nConnection: close\r\n\r\n' >"$out/http/expect"
crlf '\001\002GET /healthz HTTP/1.1\r\nHost: h\r\n\r\nGET /metrics HTTP/1.1\r\nHost: h\r\n\r\n' >"$out/http/pipelined"
crlf '\020\004a;ext=1\r\n0123456789\r\n00000\r\n\r\n' >"$out/http/chunks-only"

# pem: cert length (2 bytes, little endian), error buffer byte, cert, key.
pem_seed() {	# name dir
	c=$2/tls.crt k=$2/tls.key
	n=$(wc -c <"$c")
	{ printf "\\$(printf %03o $((n % 256)))\\$(printf %03o $((n / 256)))\\003"
	  cat "$c" "$k"; } >"$out/pem/$1"
}
for spec in "ec pkcs8" "ec traditional" "p384 pkcs8" "rsa2048 pkcs8" "rsa2048 traditional"; do
	set -- $spec
	d=$tmp/certs-$1-$2
	sh "$root/certs/mkcerts.sh" --out "$d" --key "$1" --key-format "$2" >/dev/null 2>&1
	pem_seed "$1-$2" "$d"
done
d=$tmp/certs-chain
sh "$root/certs/mkcerts.sh" --out "$d" --chain >/dev/null 2>&1
pem_seed chain "$d"
echo "seeds: $(ls "$out/http" | wc -l) http, $(ls "$out/json" | wc -l) json, $(ls "$out/review" | wc -l) review, $(ls "$out/pem" | wc -l) pem in $out"
