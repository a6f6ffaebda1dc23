#!/bin/sh
# image.sh: scripts/mkimage.sh builds a reproducible OCI image that real
# tools read (skopeo, umoci, podman when installed), and the image's own
# entrypoint, chrooted into the unpacked rootfs as uid 65532, serves /healthz.
# Uses $TINYHOOK; without it, a static stand-in binary for everything but the
# serving test (which is then skipped, saying so).
set -u
cd "$(dirname "$0")/../.." || exit 1
pass=0 fail=0
ok() { pass=$((pass + 1)); echo "ok   $1"; }
nok() { fail=$((fail + 1)); echo "FAIL $1"; }
t() { name=$1; shift; if "$@" >/dev/null 2>&1; then ok "$name"; else nok "$name"; fi; }
skip() { echo "skip $1: $2"; }

tmp=$(mktemp -d)
srv_pid=
cleanup() {
	[ -z "$srv_pid" ] || kill "$srv_pid" 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT INT TERM
J() { /usr/bin/python3 -c "import json,sys; d=json.load(open(sys.argv[1])); print(eval(sys.argv[2]))" "$@"; }

real=0
if [ -n "${TINYHOOK:-}" ] && [ -x "${TINYHOOK:-}" ]; then
	bin=$TINYHOOK real=1
else
	echo "note: TINYHOOK not built; using a static stand-in binary"
	printf 'int main(void){return 0;}\n' >"$tmp/s.c"
	musl-gcc -static -s -o "$tmp/standin" "$tmp/s.c" || { echo "ship_image: 0 passed, 1 failed"; exit 1; }
	bin=$tmp/standin
fi
V=9.9.9-test
mkimg() { sh scripts/mkimage.sh --binary "$bin" --version "$V" --policy-name pol \
    --policy-hash 0123456789ab --source https://example.org/tinyhook "$@"; }

# 1. Reproducible: same input, other umask and TZ, same bytes and digest.
mkimg --out "$tmp/a.oci.tar" >"$tmp/a.out" 2>&1
t "mkimage exits 0" test -s "$tmp/a.oci.tar"
(umask 077; TZ=Asia/Tokyo mkimg --out "$tmp/b.oci.tar" >/dev/null 2>&1)
t "reproducible: archive sha256 equal" test "$(sha256sum <"$tmp/a.oci.tar")" = "$(sha256sum <"$tmp/b.oci.tar")"
mkdir "$tmp/a" "$tmp/b"
tar -xf "$tmp/a.oci.tar" -C "$tmp/a"; tar -xf "$tmp/b.oci.tar" -C "$tmp/b"
da=$(J "$tmp/a/index.json" 'd["manifests"][0]["digest"]')
db=$(J "$tmp/b/index.json" 'd["manifests"][0]["digest"]')
t "reproducible: manifest digest equal" test -n "$da" -a "$da" = "$db"
SOURCE_DATE_EPOCH=1700000000 mkimg --out "$tmp/c.oci.tar" >/dev/null 2>&1
mkdir "$tmp/c"; tar -xf "$tmp/c.oci.tar" -C "$tmp/c"
t "SOURCE_DATE_EPOCH changes the digest" test "$da" != "$(J "$tmp/c/index.json" 'd["manifests"][0]["digest"]')"
t "SOURCE_DATE_EPOCH is the config time" sh -c "grep -q '\"created\":\"2023-11-14T22:13:20Z\"' '$tmp/c/blobs/sha256/'*"
t "prints the digest and size" grep -q "sha256:${da#sha256:}.*bytes" "$tmp/a.out"

# 2. Layout: every blob matches its digest; the layer holds /tinyhook only.
good=1
for f in "$tmp/a/blobs/sha256/"*; do
	[ "$(sha256sum <"$f" | cut -d' ' -f1)" = "$(basename "$f")" ] || good=0
done
t "every blob matches its digest" test $good = 1
t "oci-layout version 1.0.0" grep -q '"imageLayoutVersion":"1.0.0"' "$tmp/a/oci-layout"
man=$tmp/a/blobs/sha256/${da#sha256:}
layer=$tmp/a/blobs/sha256/$(J "$man" 'd["layers"][0]["digest"][7:]')
cfg=$tmp/a/blobs/sha256/$(J "$man" 'd["config"]["digest"][7:]')
tar -tvzf "$layer" >"$tmp/layer.lst"
t "layer: one entry, tinyhook" sh -c "[ \$(wc -l <'$tmp/layer.lst') = 1 ] && grep -q ' tinyhook\$' '$tmp/layer.lst'"
t "layer: root-owned 0755, numeric" grep -q '^-rwxr-xr-x 0/0 ' "$tmp/layer.lst"
t "layer: diff_id is the uncompressed sha256" test "$(J "$cfg" 'd["rootfs"]["diff_ids"][0]')" = "sha256:$(gzip -dc "$layer" | sha256sum | cut -d' ' -f1)"
t "docker-archive manifest.json points at the same blobs" test "$(J "$tmp/a/manifest.json" 'd[0]["Config"]')" = "blobs/sha256/$(basename "$cfg")"

# 3. skopeo reads it (OCI and docker-archive views).
if command -v skopeo >/dev/null 2>&1; then
	skopeo inspect "oci-archive:$tmp/a.oci.tar" >"$tmp/insp.json" 2>"$tmp/insp.err"
	t "skopeo inspect oci-archive" test -s "$tmp/insp.json"
	t "skopeo: digest matches index.json" test "$(J "$tmp/insp.json" 'd["Digest"]')" = "$da"
	for l in org.opencontainers.image.source org.opencontainers.image.version \
	    io.tinyhook.policy.name io.tinyhook.policy.hash; do
		t "skopeo: label $l" test "$(J "$tmp/insp.json" "d['Labels'].get('$l','')")" != ""
	done
	t "skopeo: version label" test "$(J "$tmp/insp.json" "d['Labels']['org.opencontainers.image.version']")" = "$V"
	skopeo inspect --config "oci-archive:$tmp/a.oci.tar" >"$tmp/cfg.json" 2>/dev/null
	t "skopeo: User 65532:65532" test "$(J "$tmp/cfg.json" 'd["config"]["User"]')" = "65532:65532"
	t "skopeo: entrypoint in-cluster defaults" test "$(J "$tmp/cfg.json" '" ".join(d["config"]["Entrypoint"])')" = "/tinyhook --listen :9443 --cert-dir /etc/tinyhook/certs"
	t "skopeo: os linux" test "$(J "$tmp/cfg.json" 'd["os"]')" = linux
	t "skopeo inspect docker-archive" sh -c "skopeo inspect 'docker-archive:$tmp/a.oci.tar' | grep -q '\"Os\": \"linux\"'"
else
	nok "skopeo installed (apt-get install -y skopeo)"
fi

# 4. umoci unpacks it: rootfs has /tinyhook only; runtime config from the image.
if command -v umoci >/dev/null 2>&1; then
	umoci unpack --image "$tmp/a:$V" "$tmp/bundle" >"$tmp/umoci.log" 2>&1
	t "umoci unpack" test -f "$tmp/bundle/rootfs/tinyhook"
	t "rootfs holds nothing but /tinyhook" test "$(ls -A "$tmp/bundle/rootfs")" = tinyhook
	t "umoci: process uid 65532" test "$(J "$tmp/bundle/config.json" 'd["process"]["user"]["uid"]')" = 65532
	t "umoci: process args = entrypoint" test "$(J "$tmp/bundle/config.json" '" ".join(d["process"]["args"])')" = "/tinyhook --listen :9443 --cert-dir /etc/tinyhook/certs"
else
	nok "umoci installed (apt-get install -y umoci)"
fi

# 5. podman load (podman cannot run containers here, but it reads the archive).
if command -v podman >/dev/null 2>&1; then
	P="podman --storage-driver vfs --root $tmp/ps/root --runroot $tmp/ps/run"
	timeout 60 $P load -i "$tmp/a.oci.tar" >"$tmp/podman.log" 2>&1
	t "podman load" grep -q "Loaded image.*tinyhook:$V" "$tmp/podman.log"
	t "podman sees user 65532" sh -c "timeout 30 $P image inspect --format '{{.Config.User}}' tinyhook:$V | grep -qx 65532:65532"
else
	nok "podman installed (make test installs it: TEST_DEBS)"
fi

# 6. Refuses what a scratch image cannot run.
t "refuses a dynamic binary" sh -c "! sh scripts/mkimage.sh --binary /bin/true --out '$tmp/x.tar' 2>/dev/null"
t "refuses a missing binary" sh -c "! sh scripts/mkimage.sh --binary '$tmp/nope' --out '$tmp/x.tar' 2>/dev/null"

# 7. The real binary: size, and serving from the bare rootfs as uid 65532.
if [ $real = 1 ]; then
	asz=$(wc -c <"$tmp/a.oci.tar")
	lsz=$(wc -c <"$layer")
	echo "image: archive $asz bytes, compressed layer $lsz bytes, binary $(wc -c <"$bin") bytes"
	t "image layer <= 300 KB" test "$lsz" -le 307200
	root=$tmp/bundle/rootfs
	mkdir -p "$root/etc/tinyhook/certs"
	sh certs/mkcerts.sh --out "$tmp/certs" >/dev/null 2>&1
	cp "$tmp/certs/tls.crt" "$tmp/certs/tls.key" "$root/etc/tinyhook/certs/"
	chown -R 65532:65532 "$root/etc/tinyhook"
	port=$(/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
	# The image's own args, with --listen moved to a free loopback port.
	args=$(J "$tmp/bundle/config.json" '" ".join(d["process"]["args"][1:])' | sed "s/--listen :9443/--listen 127.0.0.1:$port/")
	# shellcheck disable=SC2086
	chroot --userspec=65532:65532 "$root" /tinyhook $args >"$tmp/srv.log" 2>&1 &
	srv_pid=$!
	code=000 i=0
	while [ $i -lt 50 ]; do
		code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 \
		    --cacert "$tmp/certs/ca.crt" "https://127.0.0.1:$port/healthz") && [ "$code" = 200 ] && break
		kill -0 "$srv_pid" 2>/dev/null || break
		i=$((i + 1)); sleep 0.1
	done
	if [ "$code" = 200 ]; then ok "chroot entrypoint serves /healthz over TLS as 65532"
	else nok "chroot entrypoint serves /healthz over TLS as 65532 (http $code)"; tail -5 "$tmp/srv.log" | sed 's/^/    /'; fi
	t "server runs as uid 65532" sh -c "[ \"\$(awk '/^Uid:/{print \$2}' /proc/$srv_pid/status)\" = 65532 ]"
	t "chroot: --version runs with no libc, no /etc" sh -c "chroot --userspec=65532:65532 '$root' /tinyhook --version"
	kill "$srv_pid" 2>/dev/null; wait "$srv_pid" 2>/dev/null; srv_pid=
else
	skip "image size and chroot serving" "./tinyhook not built yet (TINYHOOK unset)"
fi

echo "ship_image: $pass passed, $fail failed"
[ "$fail" = 0 ]
