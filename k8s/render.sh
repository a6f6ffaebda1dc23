#!/bin/sh
# render.sh: one YAML file for `kubectl apply -f`, from the kustomize base
# and the compiled policy's webhook configurations.
#
#   sh k8s/render.sh --tinyhook BIN --out FILE [--mode service|cert-manager|host]
#       [--certs DIR] [--namespace NS] [--service SVC] [--url URL] [--image-tag TAG]
#
# service       (default) k8s/ base: pods, Secret from DIR/tls.*, webhooks with
#               caBundle = DIR/ca.crt, reached through Service SVC.NS:443
# cert-manager  k8s/cert-manager/: pods, Issuer/Certificate, webhooks with the
#               cert-manager.io/inject-ca-from annotation instead of a caBundle
# host          only the webhooks, at URL (default https://127.0.0.1:9443),
#               for tinyhook running beside a k3s server (k8s/host/)
#
# `tinyhook manifests` writes the webhooks (so they cannot drift from the
# compiled policy); k8s/check.py renders the kustomization (a small subset of
# kustomize, no kubectl needed) and refuses a result without the lockout
# guard. The webhooks and key pair are also left in k8s/generated/ (and
# k8s/cert-manager/generated/) so `kubectl apply -k` works afterwards.
set -eu

prog=render
die() { echo "$prog: $*" >&2; exit 1; }
here=$(cd "$(dirname "$0")" && pwd)
py=/usr/bin/python3

th= out= mode=service certs= ns=tinyhook svc=tinyhook url=https://127.0.0.1:9443 tag=
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
	--image-tag) tag=$2 ;;
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

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT INT TERM

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
	mkdir -p "$here/generated"
	cp "$tmp/webhooks.yaml" "$here/generated/webhooks.yaml"
	cp "$certs/tls.crt" "$certs/tls.key" "$here/generated/"
	chmod 600 "$here/generated/tls.key"
	"$py" "$here/check.py" render "$here" --namespace "$ns" --service "$svc" \
	    ${tag:+--image-tag "$tag"} >"$tmp/out.yaml"
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
	command -v kubectl >/dev/null 2>&1 ||
		die "cert-manager mode uses kustomize patches: needs kubectl (kubectl kustomize)"
	kubectl kustomize "$here/cert-manager" >"$tmp/out.yaml"
	if [ -n "$tag" ]; then
		sed -i "s|image: docker.io/library/tinyhook:.*|image: docker.io/library/tinyhook:$tag|" "$tmp/out.yaml"
	fi
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

mv -f "$tmp/out.yaml" "$out"
echo "$prog: wrote $out ($mode mode: $(grep -c '^kind:' "$out") objects)"
