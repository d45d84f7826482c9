#!/usr/bin/env bash
# install-edge.sh: installs (or updates) the SCOPE edge silo on this host, as root. See docs/deployment.md.
#
#   install-edge.sh --core-db CONNSTRING --address IP --ca CA.pem --cert HOST.pem --key HOST.key
#                   [--prefix /opt/scope] [--release DIR | --from-checkout] [--no-start]
#                   [--dry-run] [--root DIR]
#
# From a release directory (RELEASE/silo: the published silo, RELEASE/bin/scope-collector,
# RELEASE/deploy: this script, the units and the example configurations), or from a checkout with
# --from-checkout (runs `dotnet publish silo/Scope.Silo`; the collector must be built: make collector).
#
# It installs PREFIX/silo, PREFIX/bin/scope-collector, /etc/scope/tls/{ca.pem,edge.pem,edge.key},
# /etc/scope/edge.json (from deploy/edge.example.json, or the existing file, with the given values
# set) and /etc/systemd/system/scope-edge.service, then reloads systemd and enables and (re)starts
# scope-edge. Running it again with the same arguments gives the same files.
#
#   --dry-run    print every action, change nothing
#   --root DIR   install into the tree DIR instead of / (images, tests): no root check, no checks
#                of this host's kernel or .NET runtime, no systemctl
#   --no-start   install and reload systemd, but do not enable or start the service
#
# install-core.sh runs this script with --role core: the core silo as user scope (see there).
set -euo pipefail

umask 022
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
role=edge
prog=${0##*/}

usage() {
  local db=--core-db
  [[ $role == core ]] && db=--db
  cat >&2 <<EOF
usage: $prog $db CONNSTRING --address IP --ca CA.pem --cert HOST.pem --key HOST.key
       [--prefix /opt/scope] [--release DIR | --from-checkout] [--no-start] [--dry-run] [--root DIR]
  $(printf '%-21s' "$db CONNSTRING") Npgsql connection string of the cluster's PostgreSQL (Scope:Storage:ConnectionString)
  --address IP          this host's address that the other silos reach it at (Scope:Orleans:AdvertisedAddress)
  --ca, --cert, --key   PEM files: the cluster CA, this host's certificate and its private key
  --prefix DIR          where the silo and the collector go (default /opt/scope)
  --release DIR         the unpacked release (default: the directory above this script)
  --from-checkout       publish the silo from this checkout with dotnet instead
  --no-start            do not enable or start scope-$role
  --dry-run             print what would be done, change nothing
  --root DIR            install below DIR instead of / (no systemctl, no root or host checks)
EOF
  exit 2
}
die() { echo "$prog: $*" >&2; exit 1; }
note() { echo "$prog: $*" >&2; }

db='' address='' ca='' cert='' key='' prefix=/opt/scope release='' from_checkout=0 start=1 dry=0 root='' self_contained=0
need_value() { [[ $# -ge 2 && -n $2 ]] || { echo "$prog: $1 needs a value" >&2; usage; }; }
while [[ $# -gt 0 ]]; do
  case $1 in
    --role) need_value "$@"; role=$2; [[ $role == core ]] && prog=install-core.sh; shift 2 ;;
    --core-db|--db) need_value "$@"; db=$2; shift 2 ;;
    --address) need_value "$@"; address=$2; shift 2 ;;
    --ca) need_value "$@"; ca=$2; shift 2 ;;
    --cert) need_value "$@"; cert=$2; shift 2 ;;
    --key) need_value "$@"; key=$2; shift 2 ;;
    --prefix) need_value "$@"; prefix=$2; shift 2 ;;
    --release) need_value "$@"; release=$2; shift 2 ;;
    --from-checkout) from_checkout=1; shift ;;
    --no-start) start=0; shift ;;
    --dry-run) dry=1; shift ;;
    --root) need_value "$@"; root=$2; shift 2 ;;
    -h|--help) usage ;;
    *) echo "$prog: unknown argument '$1'" >&2; usage ;;
  esac
done
[[ $role == edge || $role == core ]] || die "--role must be edge or core (got '$role')"
[[ $role == core ]] && prog=install-core.sh

missing=()
[[ -n $db ]] || missing+=("$([[ $role == core ]] && echo --db || echo --core-db)")
for v in address ca cert key; do
  [[ -n ${!v} ]] || missing+=("--$v")
done
if ((${#missing[@]})); then
  echo "$prog: missing ${missing[*]}" >&2
  usage
fi
[[ $db != *$'\n'* ]] || die "the connection string must be one line"
[[ $prefix =~ ^(/[A-Za-z0-9._-]+)+$ ]] ||
  die "--prefix must be an absolute path of letters, digits, '.', '_' and '-', without a trailing slash (got '$prefix')"
((from_checkout == 0 || ${#release} == 0)) || die "--release and --from-checkout exclude each other"

command -v python3 >/dev/null || die "python3 is needed (apt-get install python3)"
command -v openssl >/dev/null || die "openssl is needed (apt-get install openssl)"
python3 -c 'import ipaddress, sys; ipaddress.ip_address(sys.argv[1])' "$address" 2>/dev/null ||
  die "--address '$address' is not an IP address"

if [[ -n $root ]]; then
  [[ -d $root ]] || die "--root $root is not a directory"
  root=$(cd "$root" && pwd)
  [[ $root != / ]] || root=
fi
installing_here=1
[[ -n $root ]] && installing_here=0

# --- This host -------------------------------------------------------------------------------
if ((installing_here)); then
  if [[ $(id -u) -ne 0 ]]; then
    ((dry)) || die "run as root (or use --root DIR to install into a directory tree)"
    note "not root: a real run would stop here"
  fi
  command -v systemctl >/dev/null || die "systemctl not found: this host does not run systemd"
  if [[ $role == edge ]]; then
    [[ -r /sys/kernel/btf/vmlinux ]] ||
      die "/sys/kernel/btf/vmlinux is missing: the collector needs a kernel built with CONFIG_DEBUG_INFO_BTF=y (Debian 11 and later)"
  fi
else
  note "installing below $root: this host's kernel, .NET runtime and systemd are not checked"
fi

# --- What to install ---------------------------------------------------------------------------
work=
cleanup() { [[ -z $work ]] || rm -rf -- "$work"; }
trap cleanup EXIT

if ((from_checkout)); then
  repo=$(cd "$here/.." && pwd)
  [[ -f $repo/Scope.sln ]] || die "--from-checkout: $repo is not a SCOPE checkout (no Scope.sln)"
  src_collector=$repo/collector-native/build/scope-collector
  if ((dry)); then
    src_silo="<published silo>"
    printf '[dry-run] dotnet publish %q -c Release -o <temporary directory> --nologo -v quiet\n' "$repo/silo/Scope.Silo"
  else
    command -v dotnet >/dev/null || die "--from-checkout needs the .NET 10 SDK (dotnet)"
    work=$(mktemp -d)
    echo "+ dotnet publish $repo/silo/Scope.Silo -c Release -o $work/silo"
    dotnet publish "$repo/silo/Scope.Silo" -c Release -o "$work/silo" --nologo -v quiet >&2 ||
      die "dotnet publish failed"
    src_silo=$work/silo
  fi
else
  [[ -n $release ]] || release=$(cd "$here/.." && pwd)
  [[ -d $release ]] || die "--release $release is not a directory"
  release=$(cd "$release" && pwd)
  src_silo=$release/silo
  src_collector=$release/bin/scope-collector
  if [[ ! -x $src_silo/scope-silo ]]; then
    if [[ -f $release/Scope.sln ]]; then
      die "$release is a checkout, not a release: pass --from-checkout (or --release DIR)"
    fi
    die "$src_silo/scope-silo is missing: expected the published silo in $src_silo (dotnet publish silo/Scope.Silo -c Release -o $src_silo)"
  fi
fi

if [[ -d $src_silo ]]; then
  [[ -x $src_silo/scope-silo ]] || die "$src_silo/scope-silo is missing or not executable"
  if [[ -f $src_silo/scope-silo.runtimeconfig.json ]] && grep -q '"includedFrameworks"' "$src_silo/scope-silo.runtimeconfig.json"; then
    self_contained=1
  fi
  if ((installing_here && !self_contained)); then
    dotnet_cmd=$(command -v dotnet || true)
    [[ -n $dotnet_cmd ]] || die "the silo is framework-dependent and no dotnet is installed: install the ASP.NET Core 10 runtime (aspnetcore-runtime-10.0) or use a self-contained release"
    runtimes=$("$dotnet_cmd" --list-runtimes 2>/dev/null || true)
    grep -q '^Microsoft.NETCore.App 10\.' <<<"$runtimes" && grep -q '^Microsoft.AspNetCore.App 10\.' <<<"$runtimes" ||
      die "the silo needs the .NET 10 and ASP.NET Core 10 runtimes; $dotnet_cmd --list-runtimes shows:
$runtimes"
  fi
fi

if [[ $role == edge ]]; then
  [[ -x $src_collector ]] || die "$src_collector is missing or not executable (in a checkout: make collector)"
  if ((installing_here)); then
    if command -v ldd >/dev/null && ldd "$src_collector" 2>/dev/null | grep -q 'not found'; then
      die "$src_collector needs libraries this host lacks (apt-get install libbpf1 libelf1 libzmq5):
$(ldd "$src_collector" | grep 'not found')"
    fi
  fi
fi

# The certificates: readable, the key is the certificate's, and the CA accepts it both ways.
for f in "$ca" "$cert" "$key"; do
  [[ -f $f && -r $f ]] || die "$f is not a readable file"
done
openssl x509 -in "$ca" -noout 2>/dev/null || die "--ca $ca is not a PEM certificate"
openssl x509 -in "$cert" -noout 2>/dev/null || die "--cert $cert is not a PEM certificate"
key_pub=$(openssl pkey -in "$key" -pubout 2>/dev/null) || die "--key $key is not an unencrypted PEM private key"
[[ $key_pub == "$(openssl x509 -in "$cert" -noout -pubkey)" ]] || die "--key $key is not the key of --cert $cert"
for purpose in sslserver sslclient; do
  openssl verify -CAfile "$ca" -purpose "$purpose" "$cert" >/dev/null 2>&1 ||
    die "--cert $cert does not verify against --ca $ca for $purpose: it must be signed by the cluster CA and carry both serverAuth and clientAuth (deploy/certs/make-dev-certs.sh makes such certificates)"
done

example=$here/$role.example.json
unit_src=$here/systemd/scope-$role.service
[[ -f $example ]] || die "$example is missing"
[[ -f $unit_src ]] || die "$unit_src is missing"

# --- Actions -----------------------------------------------------------------------------------
run() {
  if ((dry)); then
    printf '[dry-run]'
  else
    printf '+'
  fi
  local a
  for a in "$@"; do
    if [[ $a =~ ^[A-Za-z0-9_./:=,+@%-]+$ ]]; then printf ' %s' "$a"; else printf ' %q' "$a"; fi
  done
  printf '\n'
  ((dry)) || "$@"
}
# Like run, for the steps done by a function here: prints what it does instead of its name.
step() {
  local what=$1
  shift
  if ((dry)); then echo "[dry-run] $what"; else echo "+ $what"; "$@"; fi
}

D=$root # destination prefix for every installed path
etc=/etc/scope
tls=$etc/tls
config=$etc/$role.json
unit=/etc/systemd/system/scope-$role.service
key_mode=0600 conf_mode=0600 tls_mode=0700 group=root

if [[ $role == core ]]; then
  # The core runs as the unprivileged user scope, which reads its configuration and key by group.
  key_mode=0640 conf_mode=0640 tls_mode=0750 group=scope
  if ((installing_here)); then
    if ! getent passwd scope >/dev/null; then
      run useradd --system --user-group --home-dir /var/lib/scope --no-create-home --shell /usr/sbin/nologin scope
    fi
  else
    group=root
    note "not creating user scope below --root; files readable by group scope are group root there"
  fi
fi
chown_ok=0
[[ $(id -u) -eq 0 ]] && chown_ok=1

run install -d -m 0755 "$D$prefix" "$D$etc"
run install -d -m "$tls_mode" "$D$tls"
((chown_ok)) && run chown "root:$group" "$D$tls"

# The silo: copied next to the old one, then swapped in, so a failed copy leaves the old one whole.
if [[ -d $D$prefix/silo && $src_silo -ef $D$prefix/silo ]]; then
  die "the silo to install is the installed one ($src_silo)"
fi
run rm -rf "$D$prefix/silo.new" "$D$prefix/silo.old"
run cp -R --preserve=mode,timestamps "$src_silo" "$D$prefix/silo.new"
run chmod -R u+rwX,go+rX,go-w "$D$prefix/silo.new"
((chown_ok)) && run chown -R root:root "$D$prefix/silo.new"
if [[ -e $D$prefix/silo ]]; then
  run mv "$D$prefix/silo" "$D$prefix/silo.old"
fi
run mv "$D$prefix/silo.new" "$D$prefix/silo"
run rm -rf "$D$prefix/silo.old"

if [[ $role == edge ]]; then
  run install -d -m 0755 "$D$prefix/bin"
  run install -m 0755 "$src_collector" "$D$prefix/bin/scope-collector"
fi

run install -m 0644 "$ca" "$D$tls/ca.pem"
run install -m 0644 "$cert" "$D$tls/$role.pem"
run install -m "$key_mode" "$key" "$D$tls/$role.key"
((chown_ok)) && run chown "root:$group" "$D$tls/$role.key"

# The configuration: the installed file if there is one (keeping its other settings), else the
# example, with this host's values. The connection string goes through the environment, not argv.
masked_db=$(sed -E 's/((^|;)[[:space:]]*(password|pwd)[[:space:]]*=)[^;]*/\1***/Ig' <<<"$db")
echo "  Scope:Role = $role"
echo "  Scope:Storage:ConnectionString = $masked_db"
echo "  Scope:Orleans:AdvertisedAddress = $address"
echo "  Scope:Tls:CaFile, CertFile, KeyFile = $tls/ca.pem, $tls/$role.pem, $tls/$role.key"
[[ $role == edge ]] && echo "  Scope:Collector:Path = $prefix/bin/scope-collector"
write_config() {
  SCOPE_INSTALL_DB=$db python3 - "$@" <<'PY'
import json, os, sys, tempfile
dest, example, role, address, tls, prefix, mode = sys.argv[1:8]
base = dest if os.path.exists(dest) else example
try:
    with open(base, encoding="utf-8") as f:
        cfg = json.load(f)
except (OSError, ValueError) as e:
    sys.exit(f"{base}: not a JSON configuration ({e}); fix or remove it and run again")
scope = cfg.setdefault("Scope", {})
def section(name):
    s = scope.get(name)
    if not isinstance(s, dict):
        s = scope[name] = {}
    return s
scope["Role"] = role
section("Storage")["ConnectionString"] = os.environ["SCOPE_INSTALL_DB"]
section("Orleans")["AdvertisedAddress"] = address
t = section("Tls")
t["CaFile"], t["CertFile"], t["KeyFile"] = f"{tls}/ca.pem", f"{tls}/{role}.pem", f"{tls}/{role}.key"
if role == "edge":
    section("Collector")["Path"] = f"{prefix}/bin/scope-collector"
fd, tmp = tempfile.mkstemp(dir=os.path.dirname(dest), prefix=".scope-config.")
try:
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        json.dump(cfg, f, indent=2)
        f.write("\n")
    os.chmod(tmp, int(mode, 8))
    os.replace(tmp, dest)
except BaseException:
    os.unlink(tmp)
    raise
PY
}
step "write $D$config (mode $conf_mode) from $([[ -e $D$config ]] && echo "itself" || echo "$example"), with the values above" \
  write_config "$D$config" "$example" "$role" "$address" "$tls" "$prefix" "$conf_mode"
((chown_ok)) && run chown "root:$group" "$D$config"

# The unit, with ExecStart pointing into PREFIX.
install_unit() {
  local tmp
  tmp=$(mktemp "$(dirname "$2")/.scope-unit.XXXXXX")
  sed "s#^ExecStart=/opt/scope/#ExecStart=$3/#" "$1" >"$tmp" && chmod 0644 "$tmp" && mv -f "$tmp" "$2" || { rm -f "$tmp"; return 1; }
}
run install -d -m 0755 "$D/etc/systemd/system"
step "write $D$unit (mode 0644) from $unit_src, ExecStart in $prefix" install_unit "$unit_src" "$D$unit" "$prefix"

# A framework-dependent silo finds dotnet in /usr/share/dotnet or through /etc/dotnet; anywhere
# else (a tarball install, /usr/lib/dotnet without install_location) it needs DOTNET_ROOT.
dropin=/etc/systemd/system/scope-$role.service.d/dotnet-root.conf
if ((installing_here)) && [[ -d $src_silo ]] && ((!self_contained)); then
  dotnet_root=$(dirname "$(readlink -f "$(command -v dotnet)")")
  registered=$(cat /etc/dotnet/install_location_x64 /etc/dotnet/install_location 2>/dev/null | head -n 1 || true)
  if [[ $dotnet_root != /usr/share/dotnet && $dotnet_root != "$registered" ]]; then
    write_dropin() { install -d -m 0755 "$(dirname "$1")" && printf '[Service]\nEnvironment=DOTNET_ROOT=%s\n' "$2" >"$1" && chmod 0644 "$1"; }
    step "write $dropin: Environment=DOTNET_ROOT=$dotnet_root" write_dropin "$dropin" "$dotnet_root"
  elif [[ -e $dropin ]]; then
    run rm -f "$dropin"
  fi
fi

if ((installing_here)); then
  run systemctl daemon-reload
  if ((start)); then
    run systemctl enable "scope-$role.service"
    run systemctl restart "scope-$role.service"
  fi
fi

if ((dry)); then
  echo "dry run: nothing was changed"
  exit 0
fi
echo "installed scope-$role below ${root:-/}"
if ((installing_here && start)); then
  echo "check it: systemctl status scope-$role; journalctl -u scope-$role -f"
elif ((installing_here)); then
  echo "start it: systemctl enable --now scope-$role"
fi
if [[ $role == edge ]]; then
  echo "firewall: 11111/tcp from the core and every other silo; PostgreSQL (5432/tcp) reachable from here; 5557 stays on loopback"
else
  echo "firewall: 11111/tcp from every silo, 30000/tcp from edges' and operators' clients; PostgreSQL (5432/tcp) from every silo"
fi
