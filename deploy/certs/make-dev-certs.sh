#!/usr/bin/env bash
# make-dev-certs.sh: a development CA and one certificate per silo or client, for SCOPE's mutual TLS
# (Scope:Tls:*, SCOPE_TLS_*). Development only: the CA key lies next to the certificates, unencrypted.
#
#   make-dev-certs.sh [--new-ca] [--days N] OUT_DIR NAME[=IP[,IP...]] ...
#
#   OUT_DIR/ca.pem, ca.key   the CA (EC P-256, 3 years, CA:true, keyCertSign+cRLSign). Made on the
#                            first run and reused after; --new-ca makes a new one (every certificate
#                            signed by the old one stops being accepted).
#   OUT_DIR/NAME.pem         CN=NAME, subjectAltName DNS:NAME and IP:each IP given, CA:false,
#                            digitalSignature+keyEncipherment, serverAuth+clientAuth (each silo is
#                            both a TLS server and a TLS client), valid --days days (default and
#                            at most 825).
#   OUT_DIR/NAME.key         its private key: EC P-256, PKCS#8 PEM, unencrypted, mode 0600.
#
# Each run issues fresh NAME.pem and NAME.key (a new key) for the names it is given, and leaves
# every other file alone. Files are written under temporary names and renamed into place, so an
# interrupted run leaves no half-written file. Needs openssl (Debian's openssl package).
set -euo pipefail

prog=${0##*/}
usage() {
  cat >&2 <<EOF
usage: $prog [--new-ca] [--days N] OUT_DIR NAME[=IP[,IP...]] ...
  NAME: letters, digits, '.', '_', '-' (starting with a letter or digit; not "ca")
  IP:   an IPv4 or IPv6 address, put in the certificate's subjectAltName
  --days N   leaf validity in days, 1 to 825 (default 825)
  --new-ca   replace the CA in OUT_DIR even if there is one
example: $prog ./tls core=10.0.0.1 edge-a=10.0.0.21 edge-b=10.0.0.22 admin
EOF
  exit 2
}
die() { echo "$prog: $*" >&2; exit 1; }

readonly CA_DAYS=1095 MAX_DAYS=825
days=$MAX_DAYS
new_ca=0
while [[ $# -gt 0 ]]; do
  case $1 in
    --new-ca) new_ca=1; shift ;;
    --days)
      [[ $# -ge 2 ]] || die "--days needs a number of days"
      days=$2; shift 2 ;;
    --days=*) days=${1#--days=}; shift ;;
    -h|--help) usage ;;
    --) shift; break ;;
    -*) echo "$prog: unknown option '$1'" >&2; usage ;;
    *) break ;;
  esac
done
[[ $# -ge 2 ]] || usage
[[ $days =~ ^[0-9]+$ ]] && ((10#$days >= 1 && 10#$days <= MAX_DAYS)) ||
  die "--days must be a whole number from 1 to $MAX_DAYS (got '$days')"
days=$((10#$days))
out=$1
shift

command -v openssl >/dev/null || die "openssl not found (apt-get install openssl)"

valid_ipv4() {
  local IFS=. octets o
  [[ $1 =~ ^[0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3}$ ]] || return 1
  read -r -a octets <<<"$1"
  for o in "${octets[@]}"; do
    [[ $o == 0 || $o != 0* ]] || return 1 # no leading zeros (read as octal by some parsers)
    ((10#$o <= 255)) || return 1
  done
}

# Plain IPv6 (hex groups, at most one "::"); no zone index, no embedded IPv4.
valid_ipv6() {
  local a=$1 groups n
  [[ $a =~ ^[0-9A-Fa-f:]+$ && $a == *:* && $a != *:::* ]] || return 1
  [[ $a == *::*::* ]] && return 1
  [[ $a == :* && $a != ::* ]] && return 1
  [[ $a == *: && $a != *:: ]] && return 1
  local IFS=:
  read -r -a groups <<<"$a"
  n=0
  for g in "${groups[@]}"; do
    [[ -z $g ]] && continue
    [[ $g =~ ^[0-9A-Fa-f]{1,4}$ ]] || return 1
    n=$((n + 1))
  done
  if [[ $a == *::* ]]; then ((n <= 7)); else ((n == 8)); fi
}

# Check every argument before writing anything.
names=()
sans=()
for arg in "$@"; do
  name=${arg%%=*}
  ips=
  [[ $arg == *=* ]] && ips=${arg#*=}
  [[ $name =~ ^[A-Za-z0-9][A-Za-z0-9._-]*$ ]] ||
    die "bad name '$name' in '$arg': use letters, digits, '.', '_' and '-', starting with a letter or digit"
  [[ $name != ca ]] || die "the name 'ca' is taken by the CA's own files (ca.pem, ca.key)"
  for seen in "${names[@]}"; do
    [[ $seen != "$name" ]] || die "name '$name' given twice"
  done
  san="DNS:$name"
  if [[ $arg == *=* ]]; then
    [[ -n $ips ]] || die "'$arg': no IP address after '='"
    IFS=, read -r -a list <<<"$ips"
    [[ $ips != *, && $ips != ,* && $ips != *,,* ]] || die "'$arg': empty IP address in the list"
    for ip in "${list[@]}"; do
      valid_ipv4 "$ip" || valid_ipv6 "$ip" || die "'$ip' (for '$name') is not an IPv4 or IPv6 address"
      san+=",IP:$ip"
    done
  fi
  names+=("$name")
  sans+=("$san")
done

if [[ -e $out && ! -d $out ]]; then die "$out exists and is not a directory"; fi
mkdir -p -- "$out"
out=$(cd -- "$out" && pwd)

# Work files live in a private directory inside OUT_DIR (same filesystem: renames are atomic) and
# go away however the script ends.
umask 077
work=$(mktemp -d "$out/.make-dev-certs.XXXXXX")
trap 'rm -rf -- "$work"' EXIT

# A minimal request configuration, so the system's openssl.cnf adds no extensions of its own.
req_config() { printf '[req]\ndistinguished_name = dn\nprompt = no\n[dn]\n'; }
serial() { echo "0x$(openssl rand -hex 16)"; }
newkey() { openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1" 2>/dev/null || die "openssl could not make a key"; }
pubkey() { openssl pkey -in "$1" -pubout 2>/dev/null || true; }
until_date() { openssl x509 -in "$1" -noout -enddate | sed 's/^notAfter=//'; }

ca_pem=$out/ca.pem
ca_key=$out/ca.key
if ((new_ca)) || [[ ! -e $ca_pem && ! -e $ca_key ]]; then
  newkey "$work/ca.key"
  openssl req -config <(req_config) -x509 -new -key "$work/ca.key" -sha256 -days "$CA_DAYS" -set_serial "$(serial)" \
    -subj "/O=SCOPE development/CN=SCOPE development CA $(date -u +%Y%m%dT%H%M%SZ)" \
    -addext "basicConstraints=critical,CA:true" \
    -addext "keyUsage=critical,keyCertSign,cRLSign" \
    -addext "subjectKeyIdentifier=hash" \
    -out "$work/ca.pem" 2>"$work/err" || die "openssl could not make the CA: $(cat "$work/err")"
  chmod 0600 "$work/ca.key"
  chmod 0644 "$work/ca.pem"
  mv -f -- "$work/ca.key" "$ca_key"
  mv -f -- "$work/ca.pem" "$ca_pem"
  echo "wrote $ca_pem and $ca_key (new development CA, valid until $(until_date "$ca_pem"))"
else
  [[ -f $ca_pem ]] || die "$ca_key exists but $ca_pem does not: restore it, or pass --new-ca"
  [[ -f $ca_key ]] || die "$ca_pem exists but $ca_key does not: restore it, or pass --new-ca"
  openssl x509 -in "$ca_pem" -noout 2>/dev/null || die "$ca_pem is not a PEM certificate (--new-ca replaces it)"
  [[ -n $(pubkey "$ca_key") && "$(pubkey "$ca_key")" == "$(openssl x509 -in "$ca_pem" -noout -pubkey)" ]] ||
    die "$ca_key is not the key of $ca_pem (--new-ca replaces both)"
  openssl x509 -in "$ca_pem" -noout -checkend 86400 >/dev/null ||
    die "the CA $ca_pem expires within a day (or has): pass --new-ca"
  echo "reusing CA $ca_pem (valid until $(until_date "$ca_pem"))"
  if ! openssl x509 -in "$ca_pem" -noout -checkend $((days * 86400)) >/dev/null; then
    echo "$prog: note: the CA expires before certificates valid for $days days; they stop working with it" >&2
  fi
fi

for i in "${!names[@]}"; do
  name=${names[$i]}
  san=${sans[$i]}
  newkey "$work/leaf.key"
  # The request is piped, the extensions come from a process substitution: nothing else on disk.
  openssl req -config <(req_config) -new -key "$work/leaf.key" -subj "/CN=$name" 2>"$work/err" |
    openssl x509 -req -CA "$ca_pem" -CAkey "$ca_key" -set_serial "$(serial)" -days "$days" -sha256 \
      -extfile <(printf '%s\n' \
        "basicConstraints=critical,CA:false" \
        "keyUsage=critical,digitalSignature,keyEncipherment" \
        "extendedKeyUsage=serverAuth,clientAuth" \
        "subjectAltName=$san" \
        "subjectKeyIdentifier=hash" \
        "authorityKeyIdentifier=keyid") \
      -out "$work/leaf.pem" 2>>"$work/err" || die "openssl could not make the certificate for '$name': $(cat "$work/err")"
  openssl verify -CAfile "$ca_pem" -purpose sslserver "$work/leaf.pem" >/dev/null 2>&1 &&
    openssl verify -CAfile "$ca_pem" -purpose sslclient "$work/leaf.pem" >/dev/null 2>&1 ||
    die "the certificate made for '$name' does not verify against $ca_pem"
  chmod 0600 "$work/leaf.key"
  chmod 0644 "$work/leaf.pem"
  mv -f -- "$work/leaf.key" "$out/$name.key"
  mv -f -- "$work/leaf.pem" "$out/$name.pem"
  echo "wrote $out/$name.pem ($san, serverAuth+clientAuth, until $(until_date "$out/$name.pem")) and $out/$name.key (0600)"
done

# Certificates left from earlier runs that this CA did not sign (after --new-ca) are now useless.
for pem in "$out"/*.pem; do
  [[ -f $pem && $pem != "$ca_pem" ]] || continue
  if ! openssl verify -CAfile "$ca_pem" "$pem" >/dev/null 2>&1; then
    echo "$prog: note: $pem does not verify against $ca_pem (another CA, or expired): reissue it" >&2
  fi
done
