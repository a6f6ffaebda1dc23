#!/bin/sh
# release.sh: versions come from git tags, `make ARCH=armv7` cross-builds a
# static 32-bit ARM binary that answers a review over TLS under qemu-arm, and
# `make release` in two fresh clones (other paths, the same tag v0.0.99; one
# builds BearSSL for all three architectures itself) gives the same bytes: three binaries, one OCI index that skopeo resolves
# per platform to the released binary, an SPDX SBOM naming BearSSL, jsmn and
# musl at the versions dpkg reports, and SHA256SUMS.
# Runs on the committed HEAD (a clone): commit before running it by hand.
# RELEASE_KEEP=DIR keeps clone A's dist/ there (for the release notes).
set -u
cd "$(dirname "$0")/../.." || exit 1
root=$(pwd)
pass=0 fail=0
ok() { pass=$((pass + 1)); echo "ok   $1"; }
no() { fail=$((fail + 1)); echo "FAIL $1"; }
t() { if eval "$2"; then ok "$1"; else no "$1"; fi; }

tmp=$(mktemp -d)
pid=
cleanup() { [ -z "$pid" ] || kill "$pid" 2>/dev/null; rm -rf "$tmp"; }
trap cleanup EXIT INT TERM
J() { /usr/bin/python3 -c "import json,sys; d=json.load(open(sys.argv[1])); print(eval(sys.argv[2]))" "$@"; }
mkvar() { v=$1; shift; make -s --no-print-directory --eval "print-var: ; @echo \$($v)" print-var "$@"; }

# 1. scripts/version.sh on a scratch repository: tag, describe, dirty, none.
g="git -C $tmp/v -c user.name=t -c user.email=t@example.org"
mkdir -p "$tmp/v/scripts" && cp scripts/version.sh "$tmp/v/scripts/" && git init -q "$tmp/v"
$g add -A && $g commit -qm one
V() { sh "$tmp/v/scripts/version.sh"; }
t "no release tag: 0.0.0-g<hash>" "V | grep -Eqx '0\.0\.0-g[0-9a-f]{7}'"
$g tag -a v0.4.2 -m v0.4.2
t "tag v0.4.2: 0.4.2" "[ \"\$(V)\" = 0.4.2 ]"
$g tag not-a-release
t "tags that are not v0.x.y are ignored" "[ \"\$(V)\" = 0.4.2 ]"
echo x >"$tmp/v/f" && $g add f && $g commit -qm two
t "a commit later: 0.4.2-1-g<hash>" "V | grep -Eqx '0\.4\.2-1-g[0-9a-f]{7}'"
echo y >>"$tmp/v/f"
t "uncommitted changes: -dirty" "V | grep -Eqx '0\.4\.2-1-g[0-9a-f]{7}-dirty'"
rm -rf "$tmp/v/.git"
t "no git: 0.0.0" "[ \"\$(V)\" = 0.0.0 ]"
t "the Makefile's VERSION is scripts/version.sh's" "[ \"\$(mkvar VERSION)\" = \"\$(sh scripts/version.sh)\" ]"
t "VERSION= on the command line wins" "[ \"\$(mkvar VERSION VERSION=7.7.7)\" = 7.7.7 ]"

# 2. armv7: static, stripped, 32-bit ARM; serves a review under qemu-arm.
t "make ARCH=armv7 builds" "make -s ARCH=armv7 >$tmp/build.log 2>&1 || { tail -20 $tmp/build.log; false; }"
t "tinyhook-armv7 is a static stripped 32-bit ARM EABI5 ELF" \
  "file tinyhook-armv7 | grep -q 'ELF 32-bit LSB executable, ARM, EABI5.*statically linked.*stripped'"
t "armv7 build warns about nothing (-Wall -Wextra)" "! grep -q 'warning:' $tmp/build.log"
t "--version under qemu-arm names the version and policy" \
  "qemu-arm-static ./tinyhook-armv7 --version | grep -qF \"tinyhook \$(mkvar VERSION) policy\""
sh certs/mkcerts.sh --out "$tmp/c" >/dev/null 2>&1
port=$(/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
qemu-arm-static ./tinyhook-armv7 --listen 127.0.0.1:"$port" --cert-dir "$tmp/c" \
	--log-level warn >"$tmp/out" 2>&1 &
pid=$!
i=0
while [ $i -lt 150 ] && ! curl -s -o /dev/null --cacert "$tmp/c/ca.crt" "https://127.0.0.1:$port/healthz"; do
	sleep 0.1; i=$((i + 1))
done
uid=7c1e1ab2-0d3f-4f55-9a51-armv7armv7aa
cat >"$tmp/review.json" <<EOF
{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"uid":"$uid",
"kind":{"group":"","version":"v1","kind":"Pod"},"resource":{"group":"","version":"v1","resource":"pods"},
"requestKind":{"group":"","version":"v1","kind":"Pod"},"requestResource":{"group":"","version":"v1","resource":"pods"},
"namespace":"default","operation":"CREATE","userInfo":{"username":"t"},"dryRun":false,"oldObject":null,"options":null,
"object":{"apiVersion":"v1","kind":"Pod","metadata":{"name":"p","namespace":"default","labels":{"app":"a"}},
"spec":{"containers":[{"name":"c","image":"registry.example.com/a:1.0"}]}}}}
EOF
for path in validate mutate; do
	resp=$(curl -s --max-time 20 --cacert "$tmp/c/ca.crt" -H 'Content-Type: application/json' \
		--data-binary @"$tmp/review.json" "https://127.0.0.1:$port/$path?timeout=10s")
	t "armv7 under qemu answers /$path with the request's uid" \
	  "echo '$resp' | grep -q '\"kind\":\"AdmissionReview\".*\"uid\":\"$uid\".*\"allowed\":true'"
done
kill "$pid"; wait "$pid" 2>/dev/null; pid=

# 3. make release in two fresh clones at other paths, tagged v0.0.99.
# Both clones are of the commit HEAD is now (a commit made meanwhile must
# not make them differ). Clone a compiles the three BearSSL libraries itself; clone b takes this
# tree's: equal results mean they too are the same bytes from another path.
rev=$(git rev-parse HEAD)
clone() {	# clone DIR LIBS...: HEAD as a fresh clone, tagged, with cached build/
	git clone -q "$root" "$1" && git -C "$1" checkout -q --detach "$rev" &&
	    git -C "$1" -c user.name=t -c user.email=t@example.org tag -a v0.0.99 -m v0.0.99 ||
		return 1
	mkdir -p "$1/build"
	cdir=$1; shift
	for d in bearssl-src inc "$@"; do
		[ ! -d "build/$d" ] || cp -a "build/$d" "$cdir/build/"
	done
	cp -a build/.deps* "$cdir/build/" 2>/dev/null
	return 0
}
for c in a b; do
	libs=
	[ $c = a ] || libs="bearssl-musl bearssl-musl-arm64 bearssl-musl-armv7"
	# shellcheck disable=SC2086
	if clone "$tmp/$c" $libs && (cd "$tmp/$c" && make -s release >"$tmp/release-$c.log" 2>&1); then
		ok "make release (clone $c, at $tmp/$c)"
	else
		no "make release (clone $c)"; tail -20 "$tmp/release-$c.log"
	fi
done
tag=$(cd "$tmp/a" && mkvar IMAGE_TAG)
d=$tmp/a/dist/$tag
t "release tag is 0.0.99-<policy>-<hash>" "echo '$tag' | grep -Eqx '0\.0\.99-policy-[0-9a-f]{12}'"
want="SHA256SUMS tinyhook-$tag-linux-amd64 tinyhook-$tag-linux-arm64 tinyhook-$tag-linux-armv7 tinyhook-$tag.oci.tar tinyhook-$tag.spdx.json"
t "dist/<tag>/ holds exactly the release files" "[ \"\$(cd $d && LC_ALL=C ls | tr '\n' ' ')\" = '$want ' ]"
t "SHA256SUMS verifies" "(cd $d && sha256sum -c --quiet SHA256SUMS)"
t "reproducible: clone b's SHA256SUMS is byte-identical" "cmp -s $d/SHA256SUMS $tmp/b/dist/$tag/SHA256SUMS"
differ=
for f in $want; do cmp -s "$d/$f" "$tmp/b/dist/$tag/$f" || differ="$differ $f"; done
t "reproducible: every file byte-identical${differ:+ (differ:$differ)}" "[ -z '$differ' ]"
t "binaries: amd64, aarch64, 32-bit ARM; all static" \
  "file $d/*-linux-amd64 | grep -q 'x86-64.*statically linked' && file $d/*-linux-arm64 | grep -q 'aarch64.*statically linked' && file $d/*-linux-armv7 | grep -q '32-bit.*ARM.*statically linked'"
t "the released amd64 binary says --version 0.0.99" "$d/tinyhook-$tag-linux-amd64 --version | grep -q '^tinyhook 0.0.99 policy policy '"
t "the released armv7 binary says --version 0.0.99 under qemu" "qemu-arm-static $d/tinyhook-$tag-linux-armv7 --version | grep -q '^tinyhook 0.0.99 '"
t "the released arm64 binary says --version 0.0.99 under qemu" "qemu-aarch64-static $d/tinyhook-$tag-linux-arm64 --version | grep -q '^tinyhook 0.0.99 '"

# 4. The image index, per platform (skopeo), holds the released binaries.
img=oci-archive:$d/tinyhook-$tag.oci.tar
epoch=$(git -C "$tmp/a" log -1 --format=%ct)
created=$(date -u -d "@$epoch" +%Y-%m-%dT%H:%M:%SZ)
for p in amd64:amd64: arm64:arm64: armv7:arm:v7; do
	a=${p%%:*} rest=${p#*:} arch=${rest%%:*} var=${rest#*:}
	o="--override-arch $arch${var:+ --override-variant $var}"
	skopeo inspect --config $o "$img" >"$tmp/cfg-$a.json" 2>"$tmp/err"
	t "skopeo: $arch${var:+/$var} resolves to an image of that platform" \
	  "[ \"\$(J $tmp/cfg-$a.json 'd[\"architecture\"] + \"/\" + d.get(\"variant\", \"\")')\" = '$arch/$var' ]"
	t "skopeo: $a labels: version 0.0.99, policy, Apache-2.0, an https source" \
	  "J $tmp/cfg-$a.json 'd[\"config\"][\"Labels\"]' | grep -q \"'org.opencontainers.image.version': '0.0.99'\" &&
	   J $tmp/cfg-$a.json 'd[\"config\"][\"Labels\"][\"org.opencontainers.image.licenses\"]' | grep -qx Apache-2.0 &&
	   J $tmp/cfg-$a.json 'd[\"config\"][\"Labels\"][\"org.opencontainers.image.source\"]' | grep -q '^https://' &&
	   J $tmp/cfg-$a.json 'd[\"config\"][\"Labels\"][\"io.tinyhook.policy.name\"]' | grep -qx policy"
	t "skopeo: $a image created at the commit's time ($created)" "[ \"\$(J $tmp/cfg-$a.json 'd[\"created\"]')\" = '$created' ]"
	rm -rf "$tmp/img-$a"
	skopeo copy -q $o "$img" "dir:$tmp/img-$a" >/dev/null 2>&1
	layer=$(J "$tmp/img-$a/manifest.json" 'd["layers"][0]["digest"][7:]')
	mkdir -p "$tmp/root-$a" && tar -xzf "$tmp/img-$a/$layer" -C "$tmp/root-$a" 2>/dev/null
	t "skopeo: the $a image's /tinyhook is the released $a binary" "cmp -s $tmp/root-$a/tinyhook $d/tinyhook-$tag-linux-$a"
done
t "skopeo: a platform the index lacks (arm/v6) is refused" "! skopeo inspect --override-arch arm --override-variant v6 $img >/dev/null 2>&1"
t "skopeo: the index is tagged tinyhook:$tag" \
  "tar -xOf $d/tinyhook-$tag.oci.tar index.json | grep -q '\"io.containerd.image.name\":\"docker.io/library/tinyhook:$tag\"'"

# 5. The SBOM: SPDX 2.3, the components at dpkg's versions, digests right.
cat >"$tmp/sbom.py" <<'EOF'
import json, re, subprocess, sys, hashlib, os
d, sbom, src = sys.argv[1], json.load(open(sys.argv[2])), sys.argv[3]
def dpkg(p):
    return subprocess.run(["dpkg-query", "-W", "-f=${Version}", p], capture_output=True, text=True).stdout
bearssl = subprocess.run(["dpkg-parsechangelog", "-l", src + "/debian/changelog", "-S", "Version"],
                         capture_output=True, text=True).stdout.strip()
pk = {p["SPDXID"]: p for p in sbom["packages"]}
ids = set(pk) | {"SPDXRef-DOCUMENT"}
rel = {(r["spdxElementId"], r["relationshipType"], r["relatedSpdxElement"]) for r in sbom["relationships"]}
def has(name, ver):
    return any(p["name"] == name and p["versionInfo"] == ver for p in sbom["packages"])
cases = [
    ("SPDX-2.3, CC0-1.0 data licence, a document id", sbom["spdxVersion"] == "SPDX-2.3" and
     sbom["dataLicense"] == "CC0-1.0" and sbom["SPDXID"] == "SPDXRef-DOCUMENT"),
    ("creation time and namespace present", re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ",
     sbom["creationInfo"]["created"]) is not None and sbom["documentNamespace"].startswith("https://")),
    ("every SPDXID well formed", all(re.fullmatch(r"SPDXRef-[A-Za-z0-9.-]+", i) for i in pk)),
    ("every relationship names known elements", all(a in ids and b in ids for a, _, b in rel)),
    ("BearSSL at the Debian source version %s" % bearssl, bool(bearssl) and has("BearSSL", bearssl)),
    ("BearSSL names the EMS patch", "bearssl-ems.patch" in pk["SPDXRef-BearSSL"].get("sourceInfo", "")),
    ("jsmn at libjsmn-dev %s" % dpkg("libjsmn-dev"), has("jsmn", dpkg("libjsmn-dev"))),
]
for a, deb in (("amd64", "amd64"), ("arm64", "arm64"), ("armv7", "armhf")):
    v = dpkg("musl-dev:" + deb)
    b = "SPDXRef-tinyhook-linux-" + a
    cases.append(("musl for %s at musl-dev:%s %s" % (a, deb, v), bool(v) and
                  pk.get("SPDXRef-musl-" + a, {}).get("versionInfo") == v))
    cases.append(("%s STATIC_LINKs BearSSL, jsmn, musl" % a, {(b, "STATIC_LINK", x) for x in
                  ("SPDXRef-BearSSL", "SPDXRef-jsmn", "SPDXRef-musl-" + a)} <= rel))
    cases.append(("the image CONTAINS the %s binary" % a, ("SPDXRef-image", "CONTAINS", b) in rel))
digests = all(p["checksums"][0]["checksumValue"] == hashlib.sha256(open(os.path.join(
    d, p["packageFileName"]), "rb").read()).hexdigest() for p in sbom["packages"] if "checksums" in p)
cases.append(("the SBOM's sha256 of every artefact is right", digests))
cases.append(("the document describes the 3 binaries and the image",
              len(sbom["documentDescribes"]) == 4))
for name, good in cases:
    print(("ok   sbom: " if good else "FAIL sbom: ") + name)
EOF
/usr/bin/python3 "$tmp/sbom.py" "$d" "$d/tinyhook-$tag.spdx.json" "$tmp/a/build/bearssl-src" >"$tmp/sbom.out" 2>&1
cat "$tmp/sbom.out"
pass=$((pass + $(grep -c '^ok' "$tmp/sbom.out"))); fail=$((fail + $(grep -c '^FAIL' "$tmp/sbom.out")))
t "sbom checks ran" "[ \$(grep -c '^ok\|^FAIL' $tmp/sbom.out) -ge 15 ]"

if [ -n "${RELEASE_KEEP:-}" ]; then
	rm -rf "$RELEASE_KEEP" && mkdir -p "$RELEASE_KEEP" && cp -a "$d" "$RELEASE_KEEP/a" &&
		cp -a "$tmp/b/dist/$tag" "$RELEASE_KEEP/b" && echo "kept both releases in $RELEASE_KEEP"
fi
echo "release: $pass passed, $fail failed"
[ "$fail" = 0 ]
