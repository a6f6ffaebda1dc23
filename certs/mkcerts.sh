#!/bin/sh
# mkcerts.sh: a private CA and a serving certificate for tinyhook, with the
# openssl CLI only.
#
#   sh certs/mkcerts.sh --out DIR [--host H]... [--service SVC --namespace NS]
#       [--days N] [--key ec|p384|rsa2048|rsa4096]
#       [--key-format pkcs8|traditional] [--chain] [--reuse-ca] [--force]
#
# Writes DIR/ca.crt, DIR/ca.key (CA, ECDSA P-256), DIR/tls.crt, DIR/tls.key
# (serving certificate signed by the CA) and DIR/cabundle.b64 (ca.crt in
# base64 on one line: the webhook configuration's caBundle).
#
# Why SANs only matter: the apiserver (Go crypto/x509) ignores the CN and
# checks the URL host or <svc>.<ns>.svc against subjectAltName.
# Why ECDSA P-256 by default: a full BearSSL handshake with it (X25519 key
# exchange) costs the server ~6.2M instructions, ~0.5 ms of one core
# (bench/handshake.sh), against over 3 ms with RSA-2048 (shared DESIGN.md).
# --reuse-ca keeps DIR/ca.crt and DIR/ca.key and only issues a new serving
# certificate: rotation without touching the caBundle of the webhooks.
set -eu

prog=mkcerts
usage() {
	cat <<'EOF'
usage: sh certs/mkcerts.sh --out DIR [--host H]... [--service SVC --namespace NS]
       [--days N] [--key ec|p384|rsa2048|rsa4096] [--key-format pkcs8|traditional]
       [--chain] [--reuse-ca] [--force]
  --out DIR            output directory (created if missing)
  --host H             SAN to include; IP addresses become IP:, names DNS: (repeatable)
  --service/--namespace  add SVC, SVC.NS, SVC.NS.svc, SVC.NS.svc.cluster.local
                       (default when no --host/--service: 127.0.0.1 and localhost)
  --days N             validity in days (default 365)
  --key K              serving key: ec (P-256, default), p384, rsa2048, rsa4096
  --key-format F       tls.key as pkcs8 ("PRIVATE KEY", default) or traditional
                       ("EC PRIVATE KEY" / "RSA PRIVATE KEY")
  --chain              tls.crt holds the leaf followed by the CA certificate
  --reuse-ca           keep an existing DIR/ca.crt + DIR/ca.key, issue only tls.*
  --force              overwrite existing files
EOF
}
die() { echo "$prog: $*" >&2; exit 1; }
# How the user spells an option: `make certs` (mk/ship.mk sets MKCERTS_MAKE=1)
# takes make variables, so messages name those there (FORCE=1, DAYS=...).
opt() {
	if [ -n "${MKCERTS_MAKE:-}" ]; then
		case $1 in
		--force) echo "FORCE=1" ;;
		--days) echo "DAYS" ;; --key) echo "CERT_KEY" ;;
		--service) echo "SVC" ;; --namespace) echo "NS" ;; *) echo "$1" ;;
		esac
	else
		echo "$1"
	fi
}

out= hosts= svc= ns= days=365 key=ec kfmt=pkcs8 chain=0 force=0 reuse=0
need() { [ $# -ge 2 ] || die "$1 needs a value"; }
while [ $# -gt 0 ]; do
	case $1 in
	--out) need "$@"; out=$2; shift 2 ;;
	--host) need "$@"; hosts="$hosts $2"; shift 2 ;;
	--service) need "$@"; svc=$2; shift 2 ;;
	--namespace) need "$@"; ns=$2; shift 2 ;;
	--days) need "$@"; days=$2; shift 2 ;;
	--key) need "$@"; key=$2; shift 2 ;;
	--key-format) need "$@"; kfmt=$2; shift 2 ;;
	--chain) chain=1; shift ;;
	--reuse-ca) reuse=1; shift ;;
	--force) force=1; shift ;;
	-h|--help) usage; exit 0 ;;
	*) usage >&2; die "unknown argument: $1" ;;
	esac
done

[ -n "$out" ] || { usage >&2; die "--out DIR is required"; }
case $days in ''|*[!0-9]*|0) die "$(opt --days) must be a positive integer: $days" ;; esac
case $key in
ec)      kalg=EC;  kopt=ec_paramgen_curve:P-256 ;;
p384)    kalg=EC;  kopt=ec_paramgen_curve:P-384 ;;
rsa2048) kalg=RSA; kopt=rsa_keygen_bits:2048 ;;
rsa4096) kalg=RSA; kopt=rsa_keygen_bits:4096 ;;
*) die "$(opt --key) must be ec, p384, rsa2048 or rsa4096: $key" ;;
esac
case $kfmt in pkcs8|traditional) ;; *) die "--key-format must be pkcs8 or traditional: $kfmt" ;; esac
if [ -n "$svc" ] || [ -n "$ns" ]; then
	[ -n "$svc" ] && [ -n "$ns" ] || die "--service and --namespace go together"
fi
[ -n "$hosts$svc" ] || hosts=" 127.0.0.1 localhost"
command -v openssl >/dev/null 2>&1 || die "openssl not found (apt-get install -y openssl)"

# Subject alternative names, in order, without duplicates.
sans=
add_san() {
	case ",$sans," in *",$1,"*) return ;; esac
	sans="${sans:+$sans,}$1"
}
for h in $hosts; do
	case $h in
	*[!0-9.]*) case $h in
		*:*) add_san "IP:$h" ;;		# IPv6 literal
		*[!A-Za-z0-9.*-]*) die "not a host name or IP address: $h" ;;
		*) add_san "DNS:$h" ;;
		esac ;;
	*.*.*.*) add_san "IP:$h" ;;
	*) die "not a host name or IP address: $h" ;;
	esac
done
if [ -n "$svc" ]; then
	for n in "$svc" "$svc.$ns" "$svc.$ns.svc" "$svc.$ns.svc.cluster.local"; do
		add_san "DNS:$n"
	done
	cn=$svc.$ns.svc
else
	cn=${hosts# }; cn=${cn%% *}
fi

mkdir -p "$out"
files="tls.crt tls.key cabundle.b64"
[ "$reuse" = 1 ] || files="ca.crt ca.key $files"
if [ "$force" = 0 ]; then
	for f in $files; do
		[ ! -e "$out/$f" ] || die "$out/$f exists; use $(opt --force) to overwrite$(
		    [ -z "${MKCERTS_MAKE:-}" ] || echo " (or ROTATE=1: a new serving certificate, same CA)")"
	done
fi
if [ "$reuse" = 1 ]; then
	[ -f "$out/ca.crt" ] && [ -f "$out/ca.key" ] ||
		die "--reuse-ca needs $out/ca.crt and $out/ca.key"
fi

# Everything is made in a private directory inside DIR, then renamed into
# place, so a failure never leaves a key without its certificate. umask 077:
# the key files (ca.key, tls.key) are born 0600 and never readable by others;
# only the public files are opened up below.
umask 077
tmp=$(mktemp -d "$out/.mkcerts.XXXXXX")
trap 'rm -rf "$tmp"' EXIT INT TERM

# An explicit config: the system openssl.cnf may add v3_ca to every -x509.
cat >"$tmp/cnf" <<EOF
[req]
distinguished_name = dn
prompt = no
[dn]
CN = placeholder
[ca_ext]
basicConstraints = critical, CA:TRUE, pathlen:0
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
[leaf_ext]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature, keyEncipherment
extendedKeyUsage = serverAuth
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
subjectAltName = $sans
EOF
serial() { echo "0x$(openssl rand -hex 16)"; }

if [ "$reuse" = 1 ]; then
	cp "$out/ca.crt" "$tmp/ca.crt"
	cp "$out/ca.key" "$tmp/ca.key"
else
	openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 \
	    -pkeyopt ec_param_enc:named_curve -out "$tmp/ca.key" 2>/dev/null
	openssl req -config "$tmp/cnf" -new -x509 -key "$tmp/ca.key" -sha256 \
	    -subj "/O=tinyhook/CN=tinyhook CA $(date -u +%Y%m%d%H%M%S)" \
	    -days "$days" -set_serial "$(serial)" -extensions ca_ext \
	    -out "$tmp/ca.crt"
fi

if [ "$kalg" = EC ]; then
	openssl genpkey -algorithm EC -pkeyopt "$kopt" \
	    -pkeyopt ec_param_enc:named_curve -out "$tmp/tls.key" 2>/dev/null
else
	openssl genpkey -algorithm RSA -pkeyopt "$kopt" -out "$tmp/tls.key" 2>/dev/null
fi
if [ "$kfmt" = traditional ]; then
	openssl pkey -in "$tmp/tls.key" -traditional -out "$tmp/tls.key.t"
	mv "$tmp/tls.key.t" "$tmp/tls.key"
fi
openssl req -config "$tmp/cnf" -new -key "$tmp/tls.key" -subj "/O=tinyhook/CN=$cn" \
    -out "$tmp/tls.csr"
openssl x509 -req -in "$tmp/tls.csr" -CA "$tmp/ca.crt" -CAkey "$tmp/ca.key" \
    -sha256 -days "$days" -set_serial "$(serial)" \
    -extfile "$tmp/cnf" -extensions leaf_ext -out "$tmp/tls.crt" 2>/dev/null
openssl verify -CAfile "$tmp/ca.crt" -purpose sslserver "$tmp/tls.crt" >/dev/null ||
	die "generated certificate does not verify against its CA"
[ "$chain" = 0 ] || cat "$tmp/ca.crt" >>"$tmp/tls.crt"
openssl base64 -A -in "$tmp/ca.crt" >"$tmp/cabundle.b64"
echo >>"$tmp/cabundle.b64"

# Certificates and the bundle are public (0644); the keys stay 0600.
chmod 644 "$tmp/ca.crt" "$tmp/tls.crt" "$tmp/cabundle.b64"
for f in $files; do
	mv -f "$tmp/$f" "$out/$f"
done

written=
for f in $files; do written="$written $out/$f"; done
echo "$prog: wrote$written"
echo "$prog: key $key ($kfmt), SAN $sans, valid $days days$([ "$chain" = 0 ] || echo ', tls.crt = leaf + CA')$([ "$reuse" = 0 ] || echo ', CA reused')"
