#!/bin/sh
# mkclient.sh: what "only the apiserver gets in" needs, with the openssl CLI:
# a client CA for tinyhook's --client-ca, the apiserver's client certificate,
# and the apiserver's AdmissionConfiguration + kubeconfig that present it.
#
#   sh k8s/components/client-auth/mkclient.sh [--out DIR] [--namespace NS] [--service SVC]
#       [--url-host HOST:PORT] [--cn CN] [--days N] [--dir SERVER_DIR]
#       [--reuse-ca] [--force]
#
# Writes in DIR (default k8s/components/client-auth/generated, git-ignored):
#   client-ca.crt, client-ca.key   the client CA (ECDSA P-256); the .crt goes
#                                  into the Secret tinyhook-client-ca (kustomization.yaml)
#   apiserver.crt, apiserver.key   the apiserver's client certificate, CN=CN
#                                  (default kube-apiserver, --client-cn in the
#                                  overlay), extendedKeyUsage clientAuth
#   webhook-kubeconfig.yaml        a kubeconfig whose users are named after the
#                                  webhook's host: SVC.NS.svc and SVC.NS.svc:443
#                                  (in-cluster), and HOST:PORT (host mode,
#                                  default 127.0.0.1:9443), certificate inline
#   admission.yaml                 the AdmissionConfiguration naming that
#                                  kubeconfig as SERVER_DIR/webhook-kubeconfig.yaml
#                                  (default /var/lib/rancher/k3s/server/tinyhook)
# Key files and the kubeconfig are written 0600: they hold private keys.
# --reuse-ca keeps client-ca.* and issues a new apiserver certificate
# (rotation without touching tinyhook's --client-ca).
set -eu

prog=mkclient
die() { echo "$prog: $*" >&2; exit 2; }
here=$(cd "$(dirname "$0")" && pwd)

out=$here/generated ns=tinyhook svc=tinyhook urlhost=127.0.0.1:9443 cn=kube-apiserver
days=365 dir=/var/lib/rancher/k3s/server/tinyhook reuse=0 force=0
while [ $# -gt 0 ]; do
	case $1 in
	--reuse-ca) reuse=1; shift; continue ;;
	--force) force=1; shift; continue ;;
	-h|--help) sed -n '2,27p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
	esac
	[ $# -ge 2 ] || die "$1 needs a value"
	case $1 in
	--out) out=$2 ;;
	--namespace) ns=$2 ;;
	--service) svc=$2 ;;
	--url-host) urlhost=$2 ;;
	--cn) cn=$2 ;;
	--days) days=$2 ;;
	--dir) dir=$2 ;;
	*) die "unknown argument: $1 (see --help)" ;;
	esac
	shift 2
done
case $days in ''|*[!0-9]*|0) die "--days must be a positive integer: $days" ;; esac
case $cn in ''|*[!A-Za-z0-9:._-]*) die "--cn: letters, digits and :._- only: $cn" ;; esac
command -v openssl >/dev/null 2>&1 || die "openssl not found (apt-get install -y openssl)"
if [ -e "$out/apiserver.crt" ] && [ $force = 0 ] && [ $reuse = 0 ]; then
	die "$out/apiserver.crt exists: --force to replace everything, --reuse-ca to issue a new client certificate"
fi
mkdir -p "$out"
umask 077
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

if [ $reuse = 0 ] || [ ! -f "$out/client-ca.key" ]; then
	openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$tmp/ca.key" 2>/dev/null
	openssl req -x509 -new -key "$tmp/ca.key" -sha256 -days $((days * 3)) \
	    -subj "/CN=tinyhook client CA" \
	    -addext "basicConstraints=critical,CA:TRUE" \
	    -addext "keyUsage=critical,keyCertSign,cRLSign" -out "$tmp/ca.crt"
	mv "$tmp/ca.key" "$out/client-ca.key"
	mv "$tmp/ca.crt" "$out/client-ca.crt"
	chmod 0644 "$out/client-ca.crt"
fi

openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$tmp/client.key" 2>/dev/null
openssl req -new -key "$tmp/client.key" -subj "/CN=$cn" -out "$tmp/client.csr"
printf '%s\n' "basicConstraints=critical,CA:FALSE" "keyUsage=critical,digitalSignature" \
    "extendedKeyUsage=clientAuth" >"$tmp/ext"
openssl x509 -req -in "$tmp/client.csr" -CA "$out/client-ca.crt" -CAkey "$out/client-ca.key" \
    -CAcreateserial -CAserial "$tmp/serial" -days "$days" -sha256 -extfile "$tmp/ext" \
    -out "$tmp/client.crt" 2>/dev/null
mv "$tmp/client.key" "$out/apiserver.key"
mv "$tmp/client.crt" "$out/apiserver.crt"
chmod 0644 "$out/apiserver.crt"

b64() { base64 -w0 <"$1"; }
{
	echo "# The apiserver's credentials for tinyhook (written 0600: holds a private key)."
	echo "# A user is picked by the webhook's host: SVC.NS.svc[:443] for a service"
	echo "# reference, host:port for a url (host mode)."
	echo "apiVersion: v1"
	echo "kind: Config"
	echo "users:"
	for name in "$svc.$ns.svc" "$svc.$ns.svc:443" "$urlhost"; do
		echo "  - name: \"$name\""
		echo "    user:"
		echo "      client-certificate-data: $(b64 "$out/apiserver.crt")"
		echo "      client-key-data: $(b64 "$out/apiserver.key")"
	done
} >"$out/webhook-kubeconfig.yaml"

umask 022
cat >"$out/admission.yaml" <<EOF
# kube-apiserver --admission-control-config-file: the admission webhooks
# present the client certificate of $dir/webhook-kubeconfig.yaml.
# (CRD conversion webhooks cannot: the apiserver has no such setting,
# kubernetes/kubernetes#131810.) If the apiserver already has an
# AdmissionConfiguration (PodSecurity defaults, say), add these two
# plugins to it instead: only one file can be given.
apiVersion: apiserver.config.k8s.io/v1
kind: AdmissionConfiguration
plugins:
  - name: ValidatingAdmissionWebhook
    configuration:
      apiVersion: apiserver.config.k8s.io/v1
      kind: WebhookAdmissionConfiguration
      kubeConfigFile: $dir/webhook-kubeconfig.yaml
  - name: MutatingAdmissionWebhook
    configuration:
      apiVersion: apiserver.config.k8s.io/v1
      kind: WebhookAdmissionConfiguration
      kubeConfigFile: $dir/webhook-kubeconfig.yaml
EOF
chmod 0644 "$out/admission.yaml"
echo "$prog: wrote $out/{client-ca.crt,apiserver.crt,webhook-kubeconfig.yaml,admission.yaml} (CN=$cn)"
