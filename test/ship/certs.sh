#!/bin/sh
# certs.sh: certs/mkcerts.sh makes what the apiserver and tinyhook need:
# SANs, key types and formats, chains, refusal to overwrite, --force,
# --reuse-ca; and (when $TINYHOOK exists) the server serves with each of them.
# Run from the repo root: sh test/ship/certs.sh
set -u
cd "$(dirname "$0")/../.." || exit 1
pass=0 fail=0
ok() { pass=$((pass + 1)); echo "ok   $1"; }
nok() { fail=$((fail + 1)); echo "FAIL $1"; }
t() { name=$1; shift; if "$@" >/dev/null 2>&1; then ok "$name"; else nok "$name"; fi; }

tmp=$(mktemp -d)
srv_pid=
cleanup() {
	[ -z "$srv_pid" ] || kill "$srv_pid" 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT INT TERM
mk() { sh certs/mkcerts.sh "$@"; }
text() { openssl x509 -in "$1" -noout -text; }
has() { grep -q -- "$2" "$1"; }

# 1. Defaults: 127.0.0.1 + localhost, ECDSA P-256, PKCS#8, signed by the CA.
start=$(date +%s%N)
mk --out "$tmp/d" >"$tmp/d.out" 2>&1
end=$(date +%s%N)
t "default run exits 0" test -s "$tmp/d/tls.crt"
for f in ca.crt ca.key tls.crt tls.key cabundle.b64; do
	t "default writes $f" test -s "$tmp/d/$f"
done
t "prints what it wrote" grep -q "wrote .*tls.key" "$tmp/d.out"
t "EC run under 1 s" test $(((end - start) / 1000000)) -lt 1000
text "$tmp/d/tls.crt" >"$tmp/d.txt"
t "SAN IP:127.0.0.1" has "$tmp/d.txt" "IP Address:127.0.0.1"
t "SAN DNS:localhost" has "$tmp/d.txt" "DNS:localhost"
t "leaf EKU serverAuth" has "$tmp/d.txt" "TLS Web Server Authentication"
t "leaf is not a CA" has "$tmp/d.txt" "CA:FALSE"
t "leaf key P-256" has "$tmp/d.txt" "NIST CURVE: P-256"
t "leaf CN set" grep -q "Subject:.*CN *= *127.0.0.1" "$tmp/d.txt"
t "CA is a CA" has "$(text "$tmp/d/ca.crt" >"$tmp/ca.txt"; echo "$tmp/ca.txt")" "CA:TRUE"
t "CA key P-256" has "$tmp/ca.txt" "NIST CURVE: P-256"
t "leaf verifies against CA (sslserver)" openssl verify -purpose sslserver -CAfile "$tmp/d/ca.crt" "$tmp/d/tls.crt"
t "tls.key is PKCS#8" sh -c "head -1 '$tmp/d/tls.key' | grep -qx -- '-----BEGIN PRIVATE KEY-----'"
t "tls.key mode 0600" sh -c "[ \$(stat -c %a '$tmp/d/tls.key') = 600 ]"
t "cabundle.b64 one line" sh -c "[ \$(wc -l <'$tmp/d/cabundle.b64') = 1 ]"
t "cabundle.b64 decodes to ca.crt" sh -c "openssl base64 -d -A -in '$tmp/d/cabundle.b64' | cmp -s - '$tmp/d/ca.crt'"
t "key matches cert" sh -c "[ \"\$(openssl pkey -in '$tmp/d/tls.key' -pubout)\" = \"\$(openssl x509 -in '$tmp/d/tls.crt' -noout -pubkey)\" ]"
t "leaf valid 365 days" sh -c "openssl x509 -in '$tmp/d/tls.crt' -noout -checkend $((364 * 86400)) && ! openssl x509 -in '$tmp/d/tls.crt' -noout -checkend $((366 * 86400))"

# 2. Refuses to overwrite; --force replaces; --reuse-ca keeps the CA.
sum=$(cat "$tmp/d"/*.crt | sha256sum)
mk --out "$tmp/d" >"$tmp/r.out" 2>"$tmp/r.err"; rc=$?
t "refuses overwrite: exit 1" test "$rc" = 1
t "refuses overwrite: one-line reason" sh -c "[ \$(wc -l <'$tmp/r.err') = 1 ] && grep -q 'exists.*--force' '$tmp/r.err'"
t "refuses overwrite: files unchanged" test "$sum" = "$(cat "$tmp/d"/*.crt | sha256sum)"
oldca=$(sha256sum <"$tmp/d/ca.crt")
oldleaf=$(sha256sum <"$tmp/d/tls.crt")
t "--force exits 0" mk --out "$tmp/d" --force
t "--force replaced the CA" test "$oldca" != "$(sha256sum <"$tmp/d/ca.crt")"
oldca=$(sha256sum <"$tmp/d/ca.crt")
t "--reuse-ca without --force refuses" sh -c "! sh certs/mkcerts.sh --out '$tmp/d' --reuse-ca"
t "--reuse-ca --force exits 0" mk --out "$tmp/d" --reuse-ca --force
t "--reuse-ca kept ca.crt" test "$oldca" = "$(sha256sum <"$tmp/d/ca.crt")"
t "--reuse-ca new leaf verifies" openssl verify -CAfile "$tmp/d/ca.crt" "$tmp/d/tls.crt"
t "no temp dir left behind" sh -c "! ls -A '$tmp/d' | grep -q mkcerts"

# 3. Service SANs, extra hosts (IPv4, IPv6, names), days.
mk --out "$tmp/s" --service hook --namespace sys --host 10.1.2.3 --host ::1 \
    --host node1.example --days 30 >/dev/null 2>&1
text "$tmp/s/tls.crt" >"$tmp/s.txt"
for n in "DNS:hook," "DNS:hook.sys," "DNS:hook.sys.svc," "DNS:hook.sys.svc.cluster.local" \
    "IP Address:10.1.2.3" "IP Address:0:0:0:0:0:0:0:1" "DNS:node1.example"; do
	t "service SAN $n" has "$tmp/s.txt" "$n"
done
t "service: no default localhost SAN" sh -c "! grep -q DNS:localhost '$tmp/s.txt'"
t "--days 30" sh -c "openssl x509 -in '$tmp/s/tls.crt' -noout -checkend $((29 * 86400)) && ! openssl x509 -in '$tmp/s/tls.crt' -noout -checkend $((31 * 86400))"

# 4. Key types and formats.
keycase() {	# keycase DIR KEY FORMAT HEADER TEXT
	mk --out "$1" --key "$2" --key-format "$3" >/dev/null 2>&1
	t "--key $2 --key-format $3: header $4" sh -c "head -1 '$1/tls.key' | grep -qx -- '-----BEGIN $4-----'"
	t "--key $2: cert has $5" sh -c "openssl x509 -in '$1/tls.crt' -noout -text | grep -q '$5'"
	t "--key $2 $3: key matches cert" sh -c "[ \"\$(openssl pkey -in '$1/tls.key' -pubout)\" = \"\$(openssl x509 -in '$1/tls.crt' -noout -pubkey)\" ]"
}
keycase "$tmp/k1" ec traditional "EC PRIVATE KEY" "NIST CURVE: P-256"
keycase "$tmp/k2" p384 pkcs8 "PRIVATE KEY" "NIST CURVE: P-384"
keycase "$tmp/k3" p384 traditional "EC PRIVATE KEY" "NIST CURVE: P-384"
keycase "$tmp/k4" rsa2048 pkcs8 "PRIVATE KEY" "Public-Key: (2048 bit)"
keycase "$tmp/k5" rsa2048 traditional "RSA PRIVATE KEY" "Public-Key: (2048 bit)"
keycase "$tmp/k6" rsa4096 pkcs8 "PRIVATE KEY" "Public-Key: (4096 bit)"
t "EC traditional names its curve (no explicit params)" sh -c "openssl ec -in '$tmp/k1/tls.key' -noout -text 2>/dev/null | grep -q 'NIST CURVE: P-256'"

# 5. --chain: leaf then CA.
mk --out "$tmp/c" --chain >/dev/null 2>&1
t "--chain: two certificates" sh -c "[ \$(grep -c 'BEGIN CERTIFICATE' '$tmp/c/tls.crt') = 2 ]"
t "--chain: second is ca.crt" sh -c "awk '/BEGIN/{n++} n==2' '$tmp/c/tls.crt' | cmp -s - '$tmp/c/ca.crt'"
t "--chain: first is the leaf" sh -c "openssl x509 -in '$tmp/c/tls.crt' -noout -text | grep -q CA:FALSE"

# 6. Bad arguments are one-line errors, exit 1, nothing written.
for args in "--key dsa" "--key-format der" "--days 0" "--days x" "--service a" \
    "--host a/b" "--bogus"; do
	# shellcheck disable=SC2086
	sh certs/mkcerts.sh --out "$tmp/bad" $args >/dev/null 2>"$tmp/bad.err"; rc=$?
	t "rejects $args" sh -c "[ $rc = 1 ] && [ ! -e '$tmp/bad/tls.crt' ]"
done
t "requires --out" sh -c "! sh certs/mkcerts.sh >/dev/null 2>&1"
t "dash parses it (POSIX sh)" sh -c "command -v dash >/dev/null && dash -n certs/mkcerts.sh"

# 7. The server loads every variant (PKCS#8 and traditional, EC and RSA, chain).
if [ -n "${TINYHOOK:-}" ] && [ -x "${TINYHOOK:-}" ]; then
	free_port() { /usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
	for d in d k1 k2 k3 k4 k5 c; do
		port=$(free_port)
		"$TINYHOOK" --listen "127.0.0.1:$port" --cert-dir "$tmp/$d" >"$tmp/srv.log" 2>&1 &
		srv_pid=$!
		code=000 i=0
		while [ $i -lt 50 ]; do
			code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 \
			    --cacert "$tmp/$d/ca.crt" "https://127.0.0.1:$port/healthz") && break
			i=$((i + 1)); sleep 0.1
		done
		kill "$srv_pid" 2>/dev/null; wait "$srv_pid" 2>/dev/null; srv_pid=
		if [ "$code" = 200 ]; then ok "server serves /healthz with $d ($(head -1 "$tmp/$d/tls.key" | tr -d -))"
		else nok "server serves /healthz with $d ($(head -1 "$tmp/$d/tls.key" | tr -d -)): http $code"; sed 's/^/    /' "$tmp/srv.log" | tail -5; fi
	done
else
	echo "skip server loads the certificates: TINYHOOK not set or not built"
fi

echo "ship_certs: $pass passed, $fail failed"
[ "$fail" = 0 ]
