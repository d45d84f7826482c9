#!/usr/bin/env bash
# Runs every test suite, timing each, and fails if any fails or skips a test.
# The suites need root (real eBPF probes, network namespaces): CI runs this as root.
#   scripts/test.sh          every suite (make test)
#   scripts/test.sh fleet    the build and the two fleet suites only (make test-fleet)
#   scripts/test.sh ui       the build and the console suite only (make test-ui)
#   scripts/test.sh nginx    the build and the nginx suite only (make test-nginx)
set -uo pipefail
cd "$(dirname "$0")/.."

if [[ $(id -u) -ne 0 ]]; then
  echo "make test: the suites load eBPF programs and need root" >&2
  exit 1
fi

declare -a names=() times=() results=()
failed=0
# Failed tests with the first lines of their messages, printed last: CI shows only the tail of the output.
failures=$(mktemp)
trap 'rm -f "$failures"' EXIT

suite() {
  local name=$1; shift
  echo "=== suite: $name"
  local start=$SECONDS rc=0
  "$@" || rc=$?
  local took=$((SECONDS - start))
  names+=("$name"); times+=("$took")
  if [[ $rc -eq 0 ]]; then results+=("ok"); else results+=("FAILED (exit $rc)"); failed=1; fi
  echo "=== suite: $name: ${results[-1]} in ${took}s"
}

# A .NET test run that fails when any test was skipped: a skipped suite must never pass.
# More arguments go to dotnet test (the multi-host suite prints its step times with a detailed logger).
dotnet_suite() {
  local project=$1 log
  shift
  log=$(mktemp)
  dotnet test "$project" -c Release --no-build --nologo "$@" 2>&1 | tee "$log"
  local rc=${PIPESTATUS[0]}
  if grep -Eq 'Skipped: +[1-9]' "$log"; then
    echo "tests were skipped in $project: not allowed" >&2
    rc=1
  fi
  if ! grep -Eq 'Passed: +[1-9]' "$log"; then
    echo "no test passed in $project" >&2
    rc=1
  fi
  if [[ $rc -ne 0 ]]; then
    { echo "$(basename "$project" .csproj):"
      grep -E -A3 '^ +Failed [A-Za-z_]' "$log" | grep -Ev '^ +(Stack Trace|at )' | cut -c1-300 | head -40
    } >>"$failures"
  fi
  rm -f "$log"
  return "$rc"
}

golden_vectors_current() {
  # The committed vectors must be exactly what the independent generator writes.
  local tmp
  tmp=$(mktemp -d)
  cp -r tests/golden/. "$tmp/"
  python3 "$tmp/make_vectors.py" >/dev/null && diff -r tests/golden/v1 "$tmp/v1"
  local rc=$?
  rm -rf "$tmp"
  return $rc
}

suite "build" make --no-print-directory build
if [[ ${results[-1]} != ok ]]; then
  echo "build failed; no suite can run" >&2
  exit 1
fi
fleet_suites() {
  suite "fleet placement (in-process core + edges)" dotnet_suite tests/Scope.Fleet.Tests/Scope.Fleet.Tests.csproj
  suite "fleet hosts (netns core + 2 edges, mTLS, PostgreSQL)" dotnet_suite tests/Scope.MultiHost.Tests/Scope.MultiHost.Tests.csproj \
    --logger "console;verbosity=detailed"
}

# The admin console in Debian's chromium (Playwright drives it; no browser is downloaded).
ui_suites() {
  if [[ ! -x /usr/bin/chromium ]]; then
    apt-get install -y chromium >/dev/null || { echo "make test: chromium is needed for the console suite" >&2; return 1; }
  fi
  PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 suite "console (chromium, PostgreSQL, silo)" dotnet_suite tests/Scope.Console.Tests/Scope.Console.Tests.csproj \
    --logger "console;verbosity=detailed"
}

# nginx (Debian's, with the shipped deploy/nginx configuration) in front of two core silos, and chromium.
nginx_suites() {
  local missing=()
  [[ -x /usr/sbin/nginx ]] || missing+=(nginx)
  [[ -x /usr/bin/chromium ]] || missing+=(chromium)
  if [[ ${#missing[@]} -gt 0 ]]; then
    apt-get install -y "${missing[@]}" >/dev/null || { echo "make test: ${missing[*]} needed for the nginx suite" >&2; return 1; }
  fi
  PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 suite "nginx (TLS, two silos, chromium)" dotnet_suite tests/Scope.Nginx.Tests/Scope.Nginx.Tests.csproj \
    --logger "console;verbosity=detailed"
}

print_times() {
  echo
  echo "Suite times:"
  for i in "${!names[@]}"; do
    printf '  %-52s %5ss  %s\n' "${names[$i]}" "${times[$i]}" "${results[$i]}"
  done
  if [[ -s $failures ]]; then
    echo
    echo "Failed tests:"
    sed 's/^/  /' "$failures"
  fi
}

if [[ ${1:-} == ui ]]; then
  ui_suites
  print_times
  exit $failed
fi

if [[ ${1:-} == nginx ]]; then
  nginx_suites
  print_times
  exit $failed
fi

if [[ ${1:-} == fleet ]]; then
  fleet_suites
  print_times
  exit $failed
fi

suite "golden vectors" golden_vectors_current
suite "collector unit (C)" make --no-print-directory -C collector-native test
suite "collector fuzzing (libFuzzer, bounded)" make --no-print-directory -C collector-native fuzz FUZZ_SECONDS="${FUZZ_SECONDS:-15}"
suite "wire decoder (C#, golden vectors)" dotnet_suite tests/Scope.Events.Tests/Scope.Events.Tests.csproj
suite "timeline (C#, decoded by protoc)" dotnet_suite tests/Scope.Timeline.Tests/Scope.Timeline.Tests.csproj
fleet_suites
suite "collector end-to-end (root, eBPF)" dotnet_suite tests/Scope.Collector.E2E.Tests/Scope.Collector.E2E.Tests.csproj
suite "storage (real PostgreSQL)" dotnet_suite tests/Scope.Storage.Tests/Scope.Storage.Tests.csproj
suite "node end-to-end (PostgreSQL, silo, collector)" dotnet_suite tests/Scope.Silo.E2E.Tests/Scope.Silo.E2E.Tests.csproj
suite "scope trace CLI (root, eBPF)" dotnet_suite tests/Scope.Cli.Tests/Scope.Cli.Tests.csproj
ui_suites
nginx_suites

print_times
exit $failed
