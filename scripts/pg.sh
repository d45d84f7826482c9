#!/usr/bin/env bash
# SCOPE's private PostgreSQL: a dev/test instance owned by this checkout, never the system's cluster.
#   scripts/pg.sh start        initdb on first use, start, create database `scope` (idempotent)
#   scripts/pg.sh stop         fast shutdown (idempotent)
#   scripts/pg.sh status       exit 0 iff running
#   scripts/pg.sh url          the Npgsql connection string for the silo (Scope:Storage:ConnectionString)
#   scripts/pg.sh psql [ARGS]  psql connected to database `scope`
# Environment: SCOPE_STATE_DIR (default <repo>/.scope; the cluster lives in $SCOPE_STATE_DIR/pg),
# SCOPE_PG_PORT (default 5499), SCOPE_PG_BIN (default: the newest /usr/lib/postgresql/*/bin),
# SCOPE_PG_LISTEN (more addresses to listen on, comma-separated IPs; default none) and SCOPE_PG_ALLOW
# (one CIDR whose clients may connect; default none), both read at start: the multi-host tests give
# their network namespaces' silos this server.
# It listens on 127.0.0.1 (and SCOPE_PG_LISTEN) and its own socket directory only and touches no system
# configuration. Authentication is `trust` for local and 127.0.0.1 connections (and SCOPE_PG_ALLOW):
# fine for a private dev/test instance, not for anything shared. Only errors are printed.
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
state=${SCOPE_STATE_DIR:-$repo/.scope}
port=${SCOPE_PG_PORT:-5499}
pgdir=$state/pg
data=$pgdir/data
sockdir=$pgdir/run
log=$pgdir/postgres.log
database=scope

die() { echo "pg.sh: $*" >&2; exit 1; }

listen_extra=${SCOPE_PG_LISTEN:-}
allow=${SCOPE_PG_ALLOW:-}
[[ -z $listen_extra || $listen_extra =~ ^[0-9.,]+$ ]] || die "SCOPE_PG_LISTEN=$listen_extra is not a comma-separated list of IPv4 addresses"
[[ -z $allow || $allow =~ ^[0-9]+\.[0-9]+\.[0-9]+\.[0-9]+/[0-9]+$ ]] || die "SCOPE_PG_ALLOW=$allow is not an IPv4 CIDR"

[[ $port =~ ^[0-9]+$ ]] && ((port > 0 && port < 65536)) || die "SCOPE_PG_PORT=$port is not a port"

if [[ -n ${SCOPE_PG_BIN:-} ]]; then
  bin=$SCOPE_PG_BIN
else
  bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
fi
[[ -n $bin && -x $bin/pg_ctl ]] || die "PostgreSQL server binaries not found (install postgresql-15 or set SCOPE_PG_BIN)"

# initdb and postgres refuse to run as root: as root, run them as the `postgres` user; otherwise
# the cluster simply belongs to whoever runs this script.
if [[ $(id -u) -eq 0 ]]; then
  id postgres >/dev/null 2>&1 || die "the 'postgres' user does not exist (install postgresql-15)"
  as_pg() { runuser -u postgres -- "$@"; }
else
  as_pg() { "$@"; }
fi

psql_cmd() { "$bin/psql" -X -q -h 127.0.0.1 -p "$port" -U postgres "$@"; }

running() { [[ -f $data/PG_VERSION ]] && as_pg "$bin/pg_ctl" status -D "$data" >/dev/null 2>&1; }

prepare_dirs() {
  mkdir -p "$state"
  # The state dir is shared with other SCOPE state: postgres only needs to traverse it.
  chmod 711 "$state"
  mkdir -p "$pgdir" "$sockdir"
  if [[ $(id -u) -eq 0 ]]; then
    chown postgres:postgres "$pgdir" "$sockdir"
    [[ -f $log ]] && chown postgres:postgres "$log"
  fi
  chmod 700 "$pgdir"
  as_pg test -x "$pgdir" || die "$pgdir is not reachable by the postgres user: a directory above it is not traversable (chmod o+x it)"
  # A Unix socket path may not exceed 107 bytes.
  local sock="$sockdir/.s.PGSQL.$port"
  ((${#sock} <= 107)) || die "socket path $sock is too long; use a shorter SCOPE_STATE_DIR"
}

init_cluster() {
  [[ -f $data/PG_VERSION ]] && return 0
  rm -rf "$data"
  if ! as_pg "$bin/initdb" -D "$data" -U postgres --auth-local=trust --auth-host=trust \
      -E UTF8 --locale=C.UTF-8 >"$pgdir/initdb.log" 2>&1; then
    cat "$pgdir/initdb.log" >&2
    die "initdb failed"
  fi
  as_pg tee -a "$data/postgresql.conf" >/dev/null <<'EOF'

# --- SCOPE ---
# Dev/test settings. fsync stays on, so a crash never corrupts the cluster. synchronous_commit=off
# may lose the last few hundred milliseconds of commits on an OS crash; the silo's accounting never
# relies on a commit surviving that (a lost batch shows up as a gap against collectors.next_event).
synchronous_commit = off
timezone = 'UTC'
log_timezone = 'UTC'
lc_messages = 'C'
log_line_prefix = '%m [%p] %q%u@%d '
# Rewritten on every start from the environment (port, socket directory).
include_if_exists = 'scope_runtime.conf'
EOF
}

write_runtime_conf() {
  # Single quotes in paths would break the conf syntax; refuse them rather than escape.
  [[ $sockdir != *"'"* ]] || die "the state directory path may not contain a single quote"
  as_pg tee "$data/scope_runtime.conf" >/dev/null <<EOF
# Written by scripts/pg.sh start: do not edit.
port = $port
listen_addresses = '127.0.0.1${listen_extra:+,$listen_extra}'
unix_socket_directories = '$sockdir'
EOF
  # The one extra client network, marked so that the next start replaces it.
  as_pg sed -i '/# scope-allow$/d' "$data/pg_hba.conf"
  if [[ -n $allow ]]; then
    echo "host all all $allow trust # scope-allow" | as_pg tee -a "$data/pg_hba.conf" >/dev/null
  fi
}

ensure_database() {
  local exists
  exists=$(psql_cmd -d postgres -tAc "SELECT 1 FROM pg_database WHERE datname = '$database'") \
    || die "cannot connect to the server on 127.0.0.1:$port (see $log)"
  if [[ $exists != 1 ]]; then
    psql_cmd -d postgres -c "CREATE DATABASE $database" >/dev/null
  fi
}

cmd=${1:-}
[[ $# -gt 0 ]] && shift
case $cmd in
  start)
    prepare_dirs
    # Two concurrent starts (parallel test runs) must not both initdb.
    exec 9>"$pgdir.lock"
    flock 9
    init_cluster
    if ! running; then
      write_runtime_conf
      # 9>&-: the postmaster must not inherit (and hold forever) the lock.
      if ! as_pg "$bin/pg_ctl" start -D "$data" -l "$log" -w -t 60 -s >/dev/null 2>&1 9>&-; then
        tail -n 20 "$log" >&2 || true
        die "PostgreSQL did not start (log: $log)"
      fi
    fi
    ensure_database
    ;;
  stop)
    if running; then
      as_pg "$bin/pg_ctl" stop -D "$data" -m fast -w -t 60 -s >/dev/null || die "PostgreSQL did not stop (log: $log)"
    fi
    ;;
  status)
    # LSB convention: 3 = not running.
    running || exit 3
    ;;
  url)
    echo "Host=127.0.0.1;Port=$port;Username=postgres;Database=$database"
    ;;
  psql)
    running || die "not running: scripts/pg.sh start"
    exec "$bin/psql" -X -h 127.0.0.1 -p "$port" -U postgres -d "$database" "$@"
    ;;
  *)
    echo "usage: scripts/pg.sh start|stop|status|url|psql [ARGS]" >&2
    exit 2
    ;;
esac
