#!/usr/bin/env bash
# Certificates for mutual TLS between the Temporal server, the workers and the CLI,
# made with openssl. For the tests and for trying production out; a real
# deployment may use its own CA instead (the files only have to be PEM).
#
#   certs.sh DIR                      a CA, a server certificate and the client certificates `worker` and `cli`
#   certs.sh DIR client NAME          one more client certificate signed by DIR's CA
#   certs.sh DIR expired-client NAME  a client certificate of DIR's CA that expired in 2020 (for refusal tests)
#
# Server names: TEMPORAL_TLS_SANS (default "IP:127.0.0.1,DNS:localhost"), e.g.
# "DNS:temporal.example.com,IP:10.0.0.5". Validity: CERT_DAYS (default 365).
# Keys are ECDSA P-256, readable by their owner only; certificates are public (0644).
set -euo pipefail

die() {
  printf 'relforge certs: %s\n' "$*" >&2
  exit 1
}

dir=${1:-}
what=${2:-all}
[[ -n "$dir" ]] || die "usage: certs.sh DIR [client NAME | expired-client NAME]"
command -v openssl >/dev/null 2>&1 || die "openssl not found on PATH: install it (Debian: apt-get install openssl) and re-run."
mkdir -p "$dir"
cd "$dir"
umask 077
days=${CERT_DAYS:-365}

new_key() { openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1" 2>/dev/null; }

make_ca() {
  [[ -f ca.pem ]] && return 0
  new_key ca.key
  openssl req -x509 -new -key ca.key -sha256 -days "$((days * 2))" -subj "/CN=Relforge Temporal CA" \
    -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" -out ca.pem
}

# sign NAME EXTENSIONS: NAME.key and NAME.pem, signed by the CA.
sign() {
  local name=$1 ext=$2
  new_key "$name.key"
  openssl req -new -key "$name.key" -subj "/CN=$name" -out "$name.csr"
  openssl x509 -req -in "$name.csr" -CA ca.pem -CAkey ca.key -CAcreateserial -sha256 -days "$days" \
    -extfile <(printf '%s\n' "$ext") -out "$name.pem" 2>/dev/null
  rm -f "$name.csr"
}

client_ext='basicConstraints=CA:FALSE
keyUsage=critical,digitalSignature
extendedKeyUsage=clientAuth'

# OpenSSL 3.0's `x509 -req` cannot backdate a certificate; `openssl ca` can, given a database of its own.
sign_expired() {
  local name=$1 scratch
  scratch=$(mktemp -d)
  new_key "$name.key"
  openssl req -new -key "$name.key" -subj "/CN=$name" -out "$scratch/req.csr"
  touch "$scratch/index.txt"
  printf '%s\n' "$client_ext" >"$scratch/ext.cnf"
  printf '[ca]\ndefault_ca=expired\n[expired]\ndatabase=%s/index.txt\nnew_certs_dir=%s\nserial=%s/serial\ndefault_md=sha256\npolicy=any\n[any]\ncommonName=supplied\n' \
    "$scratch" "$scratch" "$scratch" >"$scratch/ca.cnf"
  openssl rand -hex 8 >"$scratch/serial"
  openssl ca -batch -notext -config "$scratch/ca.cnf" -cert ca.pem -keyfile ca.key -in "$scratch/req.csr" \
    -startdate 20200101000000Z -enddate 20200102000000Z -extfile "$scratch/ext.cnf" -out "$name.pem" 2>/dev/null
  rm -rf "$scratch"
}

case "$what" in
  all)
    make_ca
    sign server "basicConstraints=CA:FALSE
keyUsage=critical,digitalSignature,keyEncipherment
extendedKeyUsage=serverAuth,clientAuth
subjectAltName=${TEMPORAL_TLS_SANS:-IP:127.0.0.1,DNS:localhost}"
    sign worker "$client_ext"
    sign cli "$client_ext"
    ;;
  client)
    [[ -f ca.pem ]] || die "no CA in $dir: run \`certs.sh $dir\` first"
    sign "${3:?client name}" "$client_ext"
    ;;
  expired-client)
    [[ -f ca.pem ]] || die "no CA in $dir: run \`certs.sh $dir\` first"
    sign_expired "${3:?client name}"
    ;;
  *) die "unknown request '$what': use nothing, client NAME or expired-client NAME" ;;
esac
rm -f ca.srl
chmod 0644 ./*.pem
