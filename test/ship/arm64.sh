#!/bin/sh
# arm64.sh: `make ARCH=arm64` cross-builds a static aarch64 binary that
# answers a review over TLS under qemu-user, `make image ARCH=arm64`
# packages it as an arm64 image, and `make image-multiarch` puts amd64,
# arm64 and armv7 behind one index (armv7 itself: test/it/release.sh).
set -u
cd "$(dirname "$0")/../.." || exit 1
pass=0 fail=0
ok() { pass=$((pass + 1)); echo "ok   $1"; }
no() { fail=$((fail + 1)); echo "FAIL $1"; }
t() { if eval "$2"; then ok "$1"; else no "$1"; fi; }

tmp=$(mktemp -d)
pid=
cleanup() { [ -n "$pid" ] && kill "$pid" 2>/dev/null; rm -rf "$tmp"; }
trap cleanup EXIT

t "make ARCH=arm64 builds" "make -s ARCH=arm64 >$tmp/build.log 2>&1 || { cat $tmp/build.log; false; }"
t "tinyhook-arm64 is a static stripped aarch64 ELF" \
  "file tinyhook-arm64 | grep -q 'ARM aarch64.*statically linked.*stripped'"
t "--version under qemu-aarch64" "qemu-aarch64-static ./tinyhook-arm64 --version | grep -q 'policy'"

sh certs/mkcerts.sh --out "$tmp/c" >/dev/null 2>&1
port=$(/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
qemu-aarch64-static ./tinyhook-arm64 --listen 127.0.0.1:"$port" --cert-dir "$tmp/c" \
	--log-level warn >"$tmp/out" 2>&1 &
pid=$!
i=0
while [ $i -lt 100 ] && ! curl -s -o /dev/null --cacert "$tmp/c/ca.crt" "https://127.0.0.1:$port/healthz"; do
	sleep 0.1; i=$((i + 1))
done
body=test/fixtures/apiserver-v1.36/validate.json
resp=$(curl -s --cacert "$tmp/c/ca.crt" -H 'Content-Type: application/json' \
	--data-binary @"$body" "https://127.0.0.1:$port/validate?timeout=10s")
t "arm64 binary under qemu answers the captured review with its uid" \
  "echo '$resp' | grep -q '\"kind\":\"AdmissionReview\".*\"uid\":\"94cc016d-59fb-44af-b479-09c712ea3837\"'"
kill "$pid"; wait "$pid" 2>/dev/null; pid=

t "make image ARCH=arm64" "make -s image ARCH=arm64 >$tmp/image.log 2>&1 || { cat $tmp/image.log; false; }"
img=$(ls -t tinyhook-*-arm64.oci.tar 2>/dev/null | head -n 1)
t "arm64 image config says architecture arm64" \
  "[ -n '$img' ] && skopeo inspect --config oci-archive:$img | grep -q '\"architecture\": *\"arm64\"'"
rm -f tinyhook-*-arm64.oci.tar

t "make image-multiarch" "make -s image-multiarch >$tmp/multi.log 2>&1 || { cat $tmp/multi.log; false; }"
multi=$(ls -t tinyhook-*.oci.tar 2>/dev/null | grep -v -- '-amd64\.\|-arm64\.\|-armv7\.' | head -n 1)
for a in amd64 arm64; do
	t "multi-arch image: a $a runtime gets the $a image" \
	  "[ -n '$multi' ] && skopeo inspect --override-arch $a oci-archive:$multi | grep -q '\"Architecture\": *\"$a\"'"
done
t "multi-arch image: the index lists exactly amd64, arm64 and arm/v7" \
  "skopeo inspect --raw oci-archive:$multi | /usr/bin/python3 -c 'import json,sys; m=json.load(sys.stdin)[\"manifests\"]; sys.exit(sorted(x[\"platform\"][\"architecture\"] + x[\"platform\"].get(\"variant\", \"\") for x in m) != [\"amd64\", \"arm64\", \"armv7\"])'"
rm -f "$multi"

echo "arm64: $pass passed, $fail failed"
[ "$fail" = 0 ]
