#!/bin/sh
# make_ui.sh: make is an interface, so it talks in make's terms. `make help`
# lists the targets (each one exists), `make POLICY=nope.h` says the policy
# file does not exist, `make certs` messages name FORCE=1 and DAYS= (the
# script itself says --force), `kubectl kustomize k8s` works on a fresh
# clone, and LICENSE, CHANGELOG.md and the Dockerfile carry the release facts.
set -u
cd "$(dirname "$0")/../.." || exit 1
root=$(pwd)
pass=0 fail=0
ok() { pass=$((pass + 1)); echo "ok   $1"; }
no() { fail=$((fail + 1)); echo "FAIL $1"; }
t() { if eval "$2"; then ok "$1"; else no "$1"; fi; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT INT TERM

# 1. POLICY=nope.h
make -s POLICY=nope.h >"$tmp/nope.out" 2>&1
rc=$?
t "make POLICY=nope.h fails" "[ $rc != 0 ]"
t "make POLICY=nope.h says the policy file does not exist" \
  "grep -q 'POLICY=nope.h: the policy file does not exist' $tmp/nope.out"
t "make POLICY=nope.h lists the shipped policies" "grep -q 'policies/pod-hardening.h' $tmp/nope.out"
t "make POLICY=nope.h is not make's 'No rule to make target'" "! grep -q 'No rule to make target' $tmp/nope.out"

# 2. make help: the targets, and each one is a real target.
make -s help >"$tmp/help" 2>&1
t "make help exits 0" "[ \$? = 0 ]"
for want in run test release image image-multiarch manifests certs bench fuzz unit; do
	t "make help lists make $want" "grep -Eq '^  make $want( |\$)' $tmp/help"
done
make -pq help 2>/dev/null | sed -n 's/^\([a-z][a-z0-9_-]*\):.*/\1/p' | sort -u >"$tmp/targets"
missing=
for tg in $(sed -n 's/^  make \([a-z][a-z0-9_-]*\).*/\1/p' "$tmp/help" | sort -u); do
	grep -qx "$tg" "$tmp/targets" || missing="$missing $tg"
done
t "every target make help names exists${missing:+ (missing:$missing)}" "[ -z '$missing' ]"
t "make help names the variables (POLICY=, ARCH=, FORCE=1)" \
  "grep -q 'POLICY=' $tmp/help && grep -q 'ARCH=' $tmp/help && grep -q 'FORCE=1' $tmp/help"

# 3. make certs speaks make; the script speaks flags. Keys are 0600.
c=$tmp/certs
(umask 000; make -s certs CERTS_OUT="$c" >/dev/null 2>&1)
t "make certs writes certs/out-like files" "[ -f $c/tls.crt ] && [ -f $c/tls.key ] && [ -f $c/ca.key ]"
t "keys are 0600 even with umask 000" "[ \"\$(stat -c %a $c/tls.key $c/ca.key | sort -u)\" = 600 ]"
t "certificates are 0644" "[ \"\$(stat -c %a $c/tls.crt $c/ca.crt | sort -u)\" = 644 ]"
make -s certs CERTS_OUT="$c" >"$tmp/again" 2>&1
t "a second make certs fails" "[ \$? != 0 ]"
t "... and says FORCE=1 (and ROTATE=1), not --force" \
  "grep -q 'use FORCE=1 to overwrite' $tmp/again && grep -q 'ROTATE=1' $tmp/again && ! grep -q -- '--force' $tmp/again"
t "make certs FORCE=1 replaces them" "make -s certs CERTS_OUT='$c' FORCE=1 >/dev/null 2>&1"
sh certs/mkcerts.sh --out "$c" >"$tmp/direct" 2>&1
t "certs/mkcerts.sh itself says --force" "grep -q 'use --force to overwrite' $tmp/direct"
make -s certs CERTS_OUT="$tmp/c2" DAYS=soon >"$tmp/days" 2>&1
t "make certs DAYS=soon names DAYS" "grep -q 'DAYS must be a positive integer' $tmp/days"
sh certs/mkcerts.sh --out "$tmp/c3" --days soon >"$tmp/days2" 2>&1
t "mkcerts.sh --days soon names --days" "grep -q -- '--days must be a positive integer' $tmp/days2"

# 4. A fresh clone: kubectl kustomize k8s renders the workload.
git clone -q "$root" "$tmp/clone"
t "fresh clone has no k8s/generated" "[ ! -e $tmp/clone/k8s/generated ]"
if command -v kubectl >/dev/null 2>&1; then
	kubectl kustomize "$tmp/clone/k8s" >"$tmp/kk" 2>"$tmp/kk.err"
	t "kubectl kustomize k8s works on a fresh clone" "[ \$? = 0 ]"
	t "... it renders Namespace, ServiceAccount, Service, Deployment, PDB" \
	  "[ \"\$(sed -n 's/^kind: //p' $tmp/kk | sort | tr '\n' ' ')\" = 'Deployment Namespace PodDisruptionBudget Service ServiceAccount ' ]"
	t "kubectl kustomize k8s/monitoring works on a fresh clone" "kubectl kustomize $tmp/clone/k8s/monitoring >/dev/null 2>&1"
else
	echo "skip kubectl kustomize on a fresh clone: kubectl not installed"
fi
/usr/bin/python3 k8s/check.py render "$tmp/clone/k8s" >/dev/null 2>"$tmp/cr.err"
t "check.py render k8s works on a fresh clone" "[ \$? = 0 ]"

# 5. Release facts.
if [ -f /usr/share/common-licenses/Apache-2.0 ]; then
	t "LICENSE is the Apache License 2.0 text" "cmp -s LICENSE /usr/share/common-licenses/Apache-2.0"
else
	t "LICENSE is the Apache License 2.0" "grep -q 'Apache License' LICENSE && grep -q 'Version 2.0, January 2004' LICENSE"
fi
t "CHANGELOG.md opens with an Unreleased section" "grep -m1 '^## ' CHANGELOG.md | grep -q '^## Unreleased'"
untold=
for v in $(git tag -l 'v[0-9]*.[0-9]*.[0-9]*'); do
	grep -q "^## $v\b" CHANGELOG.md || untold="$untold $v"
done
t "CHANGELOG.md has a section for every release tag${untold:+ (missing:$untold)}" "[ -z '$untold' ]"
t "Dockerfile: VERSION build argument, version and licence labels" \
  "grep -q '^ARG VERSION' Dockerfile && grep -q 'org.opencontainers.image.version=\"\$VERSION\"' Dockerfile && grep -q 'image.licenses=\"Apache-2.0\"' Dockerfile"
t "Dockerfile: the build uses the VERSION argument" "grep -q 'make POLICY=\$POLICY VERSION=\$VERSION' Dockerfile"

echo "make_ui: $pass passed, $fail failed"
[ "$fail" = 0 ]
