#!/usr/bin/env bash
# The pipeline benchmarks: throughput from collector framing to the grains, SCOPE's PostgreSQL writer
# against a plain COPY, and the end-to-end latency from a process's exit to the REST API. Writes
# three sections of docs/benchmarks.md (pipeline, persistence, latency).
#
#   bench/pipeline/run.sh [--sections pipeline,persistence,latency] [--quick] [--no-doc]
#
# --quick: fewer, smaller runs, to try the script out; it never writes the document.
# Builds what it needs (the collector's binaries, the silo, bench/Scope.Bench), waits until no other
# benchmark runs and the machine is otherwise idle (SCOPE_BENCH_IDLE_WAIT_MIN caps each wait, 20 by
# default; 0 measures whatever the state, and the sections say so), then runs scope-bench against a
# private PostgreSQL in a temp dir. Takes about 4 minutes. Needs root (the latency section runs the
# real collector). Everything it starts, and its temp dir, goes at exit. It reports; nothing here
# fails on a number.
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$repo"

sections=pipeline,persistence,latency
quick=()
write_doc=1
while (($#)); do
  case $1 in
    --sections) sections=$2; shift 2 ;;
    --quick) quick=(--quick --rows 200000 --rounds 2 --probes 50); write_doc=0; shift ;;
    --no-doc) write_doc=0; shift ;;
    *) echo "usage: bench/pipeline/run.sh [--sections a,b,c] [--quick] [--no-doc]" >&2; exit 2 ;;
  esac
done

[[ $(id -u) -eq 0 ]] || { echo "run.sh: needs root (the latency section loads eBPF programs)" >&2; exit 1; }

# Short: PostgreSQL's socket path must stay under 108 bytes.
tmp=$(mktemp -d /tmp/scope-bench.XXXXXX)
chmod 711 "$tmp"
bench_pid=
cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  if [[ -n $bench_pid ]]; then
    kill "$bench_pid" 2>/dev/null || true
    wait "$bench_pid" 2>/dev/null || true
  fi
  SCOPE_STATE_DIR=$tmp scripts/pg.sh stop 2>/dev/null || true
  # Whatever else is left of this run names the temp dir on its command line (the silo's --config,
  # the generator's --secret-file): end those, by pid.
  local p
  for p in $(pgrep -f -- "$tmp" || true); do kill "$p" 2>/dev/null || true; done
  sleep 1
  for p in $(pgrep -f -- "$tmp" || true); do kill -9 "$p" 2>/dev/null || true; done
  rm -rf "$tmp"
  exit "$rc"
}
trap cleanup EXIT INT TERM

echo "run.sh: building" >&2
make --no-print-directory -s -C collector-native >&2
dotnet build bench/Scope.Bench/Scope.Bench.csproj -c Release --nologo -v quiet "-clp:ErrorsOnly;NoSummary" >&2
bench=bench/Scope.Bench/bin/Release/net10.0/scope-bench.dll

pattern='bench/(serialization|transport)|syscall_overhead|getppid_loop|transport_'
waited=0
while [[ ${SCOPE_BENCH_IDLE_WAIT_MIN:-} != 0 ]] && pgrep -f "$pattern" >/dev/null; do
  ((waited % 60 == 0)) && echo "run.sh: waiting for other benchmarks to finish: $(pgrep -af "$pattern" | head -n 1)" >&2
  sleep 5
  waited=$((waited + 5))
done

out=$tmp/out
dotnet "$bench" run --state "$tmp" --out "$out" --sections "$sections" "${quick[@]}" &
bench_pid=$!
wait "$bench_pid"
bench_pid=

IFS=, read -r -a list <<<"$sections"
for s in "${list[@]}"; do
  echo >&2
  cat "$out/$s.md" >&2
  if ((write_doc)); then
    # Other sections of the document are written concurrently: splice ours in under its lock,
    # re-reading the file inside it.
    flock docs/benchmarks.md.lock dotnet "$bench" splice docs/benchmarks.md "$s" "$out/$s.md"
  fi
done
