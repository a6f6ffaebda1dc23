#!/bin/sh
# render.sh: one YAML file for `kubectl apply -f`, from the kustomize base
# and the compiled policy's webhook configurations.
#
#   sh k8s/render.sh --tinyhook BIN --out FILE [--mode service|cert-manager|host]
#       [--certs DIR] [--namespace NS] [--service SVC] [--url URL] [--version V]
#
# service       (default) k8s/ base: pods, Secret from DIR/tls.*, webhooks with
#               caBundle = DIR/ca.crt, reached through Service SVC.NS:443.
#               FILE holds the TLS private key: it is written 0600.
# cert-manager  k8s/cert-manager/: pods, Issuer/Certificate, webhooks with the
#               cert-manager.io/inject-ca-from annotation instead of a caBundle
# host          only the webhooks, at URL (default https://127.0.0.1:9443),
#               for tinyhook running beside a k3s server (k8s/host/)
#
# `tinyhook manifests` writes the webhooks (so they cannot drift from the
# compiled policy); k8s/check.py renders the kustomization (a small subset of
# kustomize, no kubectl needed) and refuses a result without the lockout
# guard. The webhooks and key pair are also left in k8s/generated/ (and
# k8s/cert-manager/generated/) so `kubectl apply -k k8s/generated` (or
# -k k8s/cert-manager) works afterwards.
#
# The policy is part of the identity: BIN --version names the version, the
# policy and its hash; the image is docker.io/library/tinyhook:V-POLICY-HASH
# (what `make image` tags) and the pod template carries the annotations
# tinyhook.io/policy and tinyhook.io/policy-hash (generated/identity.yaml),
# so applying the manifests of another policy rolls the pods. --version V
# replaces the binary's version in the tag (the policy part stays).
set -eu

prog=render
die() { echo "$prog: $*" >&2; exit 1; }
here=$(cd "$(dirname "$0")" && pwd)
py=/usr/bin/python3

th= out= mode=service certs= ns=tinyhook svc=tinyhook url=https://127.0.0.1:9443 version=
while [ $# -gt 0 ]; do
	[ $# -ge 2 ] || die "$1 needs a value"
	case $1 in
	--tinyhook) th=$2 ;;
	--out) out=$2 ;;
	--mode) mode=$2 ;;
	--certs) certs=$2 ;;
	--namespace) ns=$2 ;;
	--service) svc=$2 ;;
	--url) url=$2 ;;
	--version) version=$2 ;;
	*) die "unknown argument: $1" ;;
	esac
	shift 2
done
[ -n "$th" ] && [ -n "$out" ] || die "usage: render.sh --tinyhook BIN --out FILE [...]"
[ -x "$th" ] || die "$th not found: build it first (make)"
"$py" -c 'import yaml' 2>/dev/null || die "needs Debian's python3-yaml: apt-get install -y python3-yaml"
case $mode in
service|host)
	[ -n "$certs" ] || die "--certs DIR is required in $mode mode"
	for f in ca.crt tls.crt tls.key cabundle.b64; do
		[ -f "$certs/$f" ] || die "$certs/$f missing: run make certs (or certs/mkcerts.sh)"
	done ;;
cert-manager) ;;
*) die "--mode must be service, cert-manager or host" ;;
esac

# "tinyhook VERSION policy NAME (sha256 HASH)"
id=$("$th" --version 2>/dev/null) || die "'$th --version' failed"
# shellcheck disable=SC2086
set -- $id
[ $# -eq 6 ] && [ "$1" = tinyhook ] && [ "$3" = policy ] && [ "$5" = "(sha256" ] ||
	die "'$th --version' printed '$id', not 'tinyhook V policy NAME (sha256 HASH)'"
pname=$4 phash=${6%)}
[ -n "$version" ] || version=$2
tag=$version-$pname-$phash
case $tag in *[!A-Za-z0-9_.-]*) die "image tag $tag: not a valid tag" ;; esac
[ ${#tag} -le 128 ] || die "image tag $tag: longer than 128 characters"

# Files under generated/ and the output may hold the TLS key: nobody else
# reads them (0600 files, 0700 directories).
umask 077
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT INT TERM

# identity DIR: the strategic-merge patch that names the image and policy.
identity() {
	cat >"$1/identity.yaml" <<EOF
# Written by k8s/render.sh (make manifests) from \`tinyhook --version\`:
# a new policy is a new image tag and a new pod template (a rollout).
apiVersion: apps/v1
kind: Deployment
metadata:
  name: tinyhook
  namespace: tinyhook
spec:
  template:
    metadata:
      annotations:
        tinyhook.io/policy: "$pname"
        tinyhook.io/policy-hash: "$phash"
    spec:
      containers:
        - name: tinyhook
          image: docker.io/library/tinyhook:$tag
EOF
}

# The webhook configurations come from the binary, never from a template.
hooks() {
	if ! "$th" manifests "$@" >"$tmp/webhooks.yaml" 2>"$tmp/err"; then
		echo "$prog: '$th manifests $*' failed:" >&2
		sed 's/^/  /' "$tmp/err" >&2
		die "this tinyhook cannot print its webhook configurations yet; nothing written"
	fi
	grep -q '^kind: *\(Validating\|Mutating\)WebhookConfiguration' "$tmp/webhooks.yaml" ||
		die "'$th manifests $*' printed no WebhookConfiguration; nothing written"
}

case $mode in
service)
	hooks --namespace "$ns" --service "$svc" --ca-bundle "$certs/ca.crt"
	g=$here/generated
	mkdir -p "$g"
	chmod 700 "$g"
	cp "$tmp/webhooks.yaml" "$g/webhooks.yaml"
	cp "$certs/tls.crt" "$certs/tls.key" "$g/"
	chmod 600 "$g/tls.key"
	identity "$g"
	cat >"$g/kustomization.yaml" <<'EOF'
# Written by k8s/render.sh (make manifests): the whole install, the same
# objects as tinyhook.yaml:  kubectl apply -k k8s/generated
# (for the default namespace and Service; otherwise apply tinyhook.yaml).
apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
resources:
  - ../workload
  - webhooks.yaml
secretGenerator:
  - name: tinyhook-tls
    namespace: tinyhook
    type: kubernetes.io/tls
    files:
      - tls.crt=tls.crt
      - tls.key=tls.key
generatorOptions:
  # A fixed name: pods read rotated certificates from the same Secret
  # (the server hot-reloads them), no rollout needed.
  disableNameSuffixHash: true
patches:
  - path: identity.yaml
EOF
	{
		echo "# tinyhook $version, policy $pname (sha256 $phash): \`make manifests\` output."
		echo "# It holds the TLS private key (Secret tinyhook-tls), so it is written 0600:"
		echo "# keep it that way, and out of git and shared places."
		"$py" "$here/check.py" render "$g" --namespace "$ns" --service "$svc"
	} >"$tmp/out.yaml"
	"$py" "$here/check.py" check "$tmp/out.yaml" --namespace "$ns" \
	    --ca-bundle "$certs/cabundle.b64" ||
		die "the rendered manifests fail the checks above; nothing written"
	;;
cert-manager)
	[ "$ns" = tinyhook ] && [ "$svc" = tinyhook ] ||
		die "cert-manager mode: edit k8s/cert-manager/*.yaml for another namespace/service"
	hooks --namespace "$ns" --service "$svc"
	mkdir -p "$here/cert-manager/generated"
	cp "$tmp/webhooks.yaml" "$here/cert-manager/generated/webhooks.yaml"
	identity "$here/cert-manager/generated"
	command -v kubectl >/dev/null 2>&1 ||
		die "cert-manager mode uses kustomize patches: needs kubectl (kubectl kustomize)"
	kubectl kustomize "$here/cert-manager" >"$tmp/out.yaml"
	"$py" "$here/check.py" check "$tmp/out.yaml" --namespace "$ns" --cert-manager ||
		die "the rendered manifests fail the checks above; nothing written"
	;;
host)
	hooks --url "$url" --ca-bundle "$certs/ca.crt"
	cp "$tmp/webhooks.yaml" "$tmp/out.yaml"
	"$py" "$here/check.py" check "$tmp/out.yaml" --host \
	    --ca-bundle "$certs/cabundle.b64" ||
		die "the host-mode webhooks fail the checks above; nothing written"
	;;
esac

# Only service mode writes a key; the other outputs are public.
[ "$mode" = service ] || chmod 644 "$tmp/out.yaml"
mv -f "$tmp/out.yaml" "$out"
echo "$prog: wrote $out ($mode mode: $(grep -c '^kind:' "$out") objects)"
