#!/usr/bin/env bash
# `make run`: starts SCOPE on this machine. Until the silo lands (docs/architecture.md), that is the
# collector watching every process: lifecycle events plus syscall counts in counts-only mode, as JSON
# lines on stdout. A local spec narrows it to chosen targets with detailed probes:
#   SCOPE_PROBES=process,syscalls SCOPE_TARGET_COMM=myapp make run
#   SCOPE_TARGET_PID=1234 make run
set -euo pipefail
cd "$(dirname "$0")/.."

args=(--probes "${SCOPE_PROBES:-process,syscalls}")
if [[ -n ${SCOPE_TARGET_COMM:-} || -n ${SCOPE_TARGET_PID:-} ]]; then
  for c in ${SCOPE_TARGET_COMM//,/ }; do args+=(--comm "$c"); done
  for p in ${SCOPE_TARGET_PID//,/ }; do args+=(--pid "$p"); done
  args+=(--follow-children)
else
  args+=(--system-wide --counts-only)
fi
echo "scope: scope-collector ${args[*]} (Ctrl-C stops)" >&2
exec collector-native/build/scope-collector "${args[@]}" --stdout
