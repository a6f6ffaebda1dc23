#!/bin/sh
# secrets.sh: files holding keys stay private. k8s/render.sh (make
# manifests) writes tinyhook.yaml 0600 with a comment saying it holds the TLS
# key, whatever the umask and the old file's mode, and k8s/generated/ 0700
# with tls.key 0600; outputs without a key (host mode) stay 0644. A real
# image build (podman, which reads .dockerignore as docker does) of the repo
# with keys lying around gets the sources and none of certs/, build/, the
# generated files or any *.key.
set -u
cd "$(dirname "$0")/../.." || exit 1
root=$(pwd)
pass=0 fail=0
ok() { pass=$((pass + 1)); echo "ok   $1"; }
no() { fail=$((fail + 1)); echo "FAIL $1"; }
t() { if eval "$2"; then ok "$1"; else no "$1"; fi; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT INT TERM

th=${TINYHOOK:-$root/tinyhook}
t "make manifests renders with k8s/render.sh" "make -s -n manifests CERTS_OUT=$tmp/none 2>/dev/null | grep -q 'k8s/render.sh'"

# 1. Modes of what render.sh writes.
if [ -x "$th" ]; then
	cp -r k8s "$tmp/k8s" && rm -rf "$tmp/k8s/generated" "$tmp/k8s/cert-manager/generated"
	sh certs/mkcerts.sh --out "$tmp/c" --service tinyhook --namespace tinyhook >/dev/null 2>&1
	echo old >"$tmp/tinyhook.yaml" && chmod 644 "$tmp/tinyhook.yaml"
	(umask 022; sh "$tmp/k8s/render.sh" --tinyhook "$th" --certs "$tmp/c" --out "$tmp/tinyhook.yaml" >"$tmp/r.log" 2>&1)
	t "render.sh (service mode) succeeds" "[ \$? = 0 ] || { cat $tmp/r.log; false; }"
	t "tinyhook.yaml holds the key (a Secret with tls.key)" "grep -q '^kind: Secret' $tmp/tinyhook.yaml && grep -q 'tls.key:' $tmp/tinyhook.yaml"
	t "tinyhook.yaml is 0600 (umask 022, old file 0644)" "[ \"\$(stat -c %a $tmp/tinyhook.yaml)\" = 600 ]"
	t "tinyhook.yaml says in a comment that it holds the private key and is 0600" \
	  "head -n 5 $tmp/tinyhook.yaml | grep '^#' | grep -q 'TLS private key' && head -n 5 $tmp/tinyhook.yaml | grep -q '0600'"
	t "k8s/generated/ is 0700" "[ \"\$(stat -c %a $tmp/k8s/generated)\" = 700 ]"
	t "k8s/generated/tls.key is 0600" "[ \"\$(stat -c %a $tmp/k8s/generated/tls.key)\" = 600 ]"
	t "nothing in k8s/generated/ is readable by others" "[ -z \"\$(find $tmp/k8s/generated -perm -o=r)\" ]"
	sh certs/mkcerts.sh --out "$tmp/h" --host 127.0.0.1 >/dev/null 2>&1
	(umask 022; sh "$tmp/k8s/render.sh" --mode host --tinyhook "$th" --certs "$tmp/h" --out "$tmp/host.yaml" >/dev/null 2>&1)
	t "host-mode webhooks (no key) are 0644" "[ \"\$(stat -c %a $tmp/host.yaml)\" = 644 ] && ! grep -q 'kind: Secret' $tmp/host.yaml"
else
	echo "skip render.sh modes: $th not built"
fi

# 2. The Docker context, through a real build that reads .dockerignore.
if command -v podman >/dev/null 2>&1; then
	ctx=$tmp/ctx
	mkdir -p "$ctx"
	git ls-files -co --exclude-standard | while read -r f; do
		[ -f "$f" ] || continue
		mkdir -p "$ctx/$(dirname "$f")" && cp -p "$f" "$ctx/$f"
	done
	cp .dockerignore "$ctx/" 2>/dev/null
	# What a working checkout has lying around.
	for f in certs/dev/tls.key certs/dev/ca.key certs/out/tls.key certs/out/host/tls.key \
	    k8s/generated/tls.key k8s/generated/webhooks.yaml tinyhook.yaml build/bearssl-src/x.c \
	    build/policy/webhook.o dist/v/tinyhook-x-linux-amd64 tinyhook tinyhook-armv7 \
	    tinyhook-0-amd64.oci.tar notes/server.key; do
		mkdir -p "$ctx/$(dirname "$f")" && echo secret >"$ctx/$f"
	done
	printf 'FROM scratch\nCOPY . /ctx/\n' >"$tmp/Containerfile"
	P="podman --storage-driver vfs --root $tmp/ps/root --runroot $tmp/ps/run"
	timeout 120 $P build -q -f "$tmp/Containerfile" -t ctx:test "$ctx" >"$tmp/build.log" 2>&1
	t "podman build of the context (FROM scratch, COPY . /ctx/)" "[ \$? = 0 ] || { tail -5 $tmp/build.log; false; }"
	timeout 60 $P save -o "$tmp/ctx.tar" ctx:test >/dev/null 2>&1
	mkdir -p "$tmp/img" && tar -xf "$tmp/ctx.tar" -C "$tmp/img" 2>/dev/null
	for l in "$tmp"/img/*.tar "$tmp"/img/*/layer.tar; do
		[ -f "$l" ] && tar -tf "$l" 2>/dev/null
	done | sed 's|^\./||; s|^ctx/||' | sort -u >"$tmp/files"
	t "the context is not empty ($(wc -l <"$tmp/files") entries)" "[ \$(wc -l <$tmp/files) -gt 50 ]"
	for f in Makefile webhook.c src/server.c policy.h policies/pod-hardening.h patches/bearssl-ems.patch \
	    scripts/mkimage.sh scripts/version.sh jsmn.h mk/ship.mk; do
		t "context keeps $f" "grep -qx '$f' $tmp/files"
	done
	for pat in '^certs/' '^build/' '^dist/' '^k8s/generated' '\.key$' '^tinyhook\.yaml$' \
	    '^tinyhook$' '^tinyhook-armv7$' '\.oci\.tar$'; do
		t "context holds nothing matching $pat" "! grep -q '$pat' $tmp/files"
	done
else
	no "podman installed (apt-get install -y podman): the .dockerignore check needs a real build"
fi

echo "secrets: $pass passed, $fail failed"
[ "$fail" = 0 ]
