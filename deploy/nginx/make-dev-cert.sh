#!/usr/bin/env bash
# make-dev-cert.sh: a development certificate for nginx in front of SCOPE (deploy/nginx/scope.conf),
# and the include that points nginx at it. Development only; real certificates: docs/deployment.md.
#
#   make-dev-cert.sh [--days N] OUT_DIR [NAME[=IP[,IP...]]]
#
#   NAME      the host name browsers use (default: localhost=127.0.0.1,::1); each IP given is in
#             the certificate too
#   OUT_DIR/ca.pem, ca.key   the development CA, made on the first run and reused after (trust
#                            ca.pem in a browser, or `curl --cacert`)
#   OUT_DIR/NAME.pem, .key   the server certificate (serverAuth) and its key (0600)
#   OUT_DIR/tls.conf         ssl_certificate and ssl_certificate_key with those absolute paths
#
# scope.conf includes scope/tls.conf, so `make-dev-cert.sh /etc/nginx/scope scope.lab=10.0.0.10`
# installs everything in place. The certificates come from deploy/certs/make-dev-certs.sh (same CA,
# same checks of names and addresses, --days passed on).
set -euo pipefail

prog=${0##*/}
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
usage() {
  cat >&2 <<EOF
usage: $prog [--days N] OUT_DIR [NAME[=IP[,IP...]]]
  NAME defaults to localhost=127.0.0.1,::1
example: $prog /etc/nginx/scope scope.lab=10.0.0.10
EOF
  exit 2
}
die() { echo "$prog: $*" >&2; exit 1; }

days=()
while [[ $# -gt 0 ]]; do
  case $1 in
    --days)
      [[ $# -ge 2 ]] || die "--days needs a number of days"
      days=(--days "$2"); shift 2 ;;
    --days=*) days=(--days "${1#--days=}"); shift ;;
    -h|--help) usage ;;
    --) shift; break ;;
    -*) echo "$prog: unknown option '$1'" >&2; usage ;;
    *) break ;;
  esac
done
[[ $# -ge 1 && $# -le 2 ]] || usage
out=$1
spec=${2:-localhost=127.0.0.1,::1}
name=${spec%%=*}

# The paths go into nginx's configuration unquoted: refuse what its syntax would split or end.
abs=$(realpath -m -- "$out")
[[ $abs =~ ^[A-Za-z0-9/._+-]+$ ]] ||
  die "'$abs' has characters nginx's configuration would need quoted (use letters, digits, '/', '.', '_', '+', '-')"

"$here/../certs/make-dev-certs.sh" "${days[@]}" "$out" "$spec"

umask 077
tmp=$(mktemp "$abs/.tls.conf.XXXXXX")
trap 'rm -f -- "$tmp"' EXIT
cat >"$tmp" <<EOF
# Written by deploy/nginx/make-dev-cert.sh: a development certificate for $name, from the CA
# $abs/ca.pem (trust that file, not this certificate). Not for production.
ssl_certificate     $abs/$name.pem;
ssl_certificate_key $abs/$name.key;
EOF
chmod 0644 "$tmp"
mv -f -- "$tmp" "$abs/tls.conf"
echo "wrote $abs/tls.conf (include it as scope/tls.conf: deploy/nginx/scope.conf)"
