#!/usr/bin/env bash
# `make run`: SCOPE on this machine, the embedded default. A private PostgreSQL under
# ${SCOPE_STATE_DIR:-.scope} (scripts/pg.sh), one silo in the all-in-one role, and the local
# collector it supervises. Ctrl-C stops all of it, PostgreSQL included.
#
# By default every process is watched: lifecycle, and syscall counts in counts-only mode. A local
# monitoring spec narrows it to chosen targets with detailed probes (docs/configuration.md):
#   SCOPE_PROBES=process,syscalls SCOPE_TARGET_COMM=myapp make run
#   SCOPE_TARGET_PID=1234 make run
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
cd "$repo"
export SCOPE_STATE_DIR=${SCOPE_STATE_DIR:-$repo/.scope}

# The short spec variables map onto the configuration (scope.json keys, overridable as SCOPE__...).
[[ -n ${SCOPE_PROBES:-} ]] && export SCOPE__Collector__Probes=$SCOPE_PROBES
[[ -n ${SCOPE_TARGET_COMM:-} ]] && export SCOPE__Collector__TargetComm=$SCOPE_TARGET_COMM
[[ -n ${SCOPE_TARGET_PID:-} ]] && export SCOPE__Collector__TargetPid=$SCOPE_TARGET_PID
if [[ -z ${SCOPE__Storage__ConnectionString:-} ]]; then
  export SCOPE__Storage__ConnectionString
  SCOPE__Storage__ConnectionString=$(scripts/pg.sh url)
fi

# The first admin: SCOPE_ADMIN_PASSWORD, else a random one kept (mode 0600) under the state directory.
if [[ -z ${SCOPE_ADMIN_PASSWORD:-} ]]; then
  pwfile=$SCOPE_STATE_DIR/admin-password
  if [[ ! -s $pwfile ]]; then
    mkdir -p "$SCOPE_STATE_DIR"
    (umask 077 && head -c 18 /dev/urandom | base64 | tr '+/' '-_' >"$pwfile")
  fi
  SCOPE_ADMIN_PASSWORD=$(<"$pwfile")
  export SCOPE_ADMIN_PASSWORD
  admin_hint="user admin, password in $pwfile"
else
  admin_hint="user admin, password from SCOPE_ADMIN_PASSWORD"
fi

scripts/pg.sh start
silo=
stop() {
  trap - INT TERM EXIT
  if [[ -n $silo ]] && kill -0 "$silo" 2>/dev/null; then
    kill -TERM "$silo" 2>/dev/null || true
    wait "$silo" 2>/dev/null || true
  fi
  scripts/pg.sh stop
  echo "scope: stopped" >&2
}
trap stop INT TERM EXIT

api=$(SCOPE_CONFIG=${SCOPE_CONFIG:-deploy/scope.json} python3 -c '
import json, os
cfg = json.load(open(os.environ["SCOPE_CONFIG"]))
print(os.environ.get("SCOPE__Api__Urls") or cfg["Scope"]["Api"]["Urls"])')
dotnet silo/Scope.Silo/bin/Release/net10.0/scope-silo.dll --role all --config "${SCOPE_CONFIG:-deploy/scope.json}" &
silo=$!
for _ in $(seq 1 120); do
  if curl -fsS "$api/health" >/dev/null 2>&1; then
    echo "scope: ready: API at $api (POST /api/v1/auth/login as $admin_hint; then /api/v1/machines, /api/v1/processes, /api/v1/events with the token; /openapi/v1.json); Ctrl-C stops" >&2
    break
  fi
  kill -0 "$silo" 2>/dev/null || { echo "scope: the silo exited during start-up" >&2; exit 1; }
  sleep 1
done
wait "$silo"
