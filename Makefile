# SCOPE: the two commands for a fresh machine are `make run` and `make test` (README.md).
# Every target installs what it needs first, through the one idempotent installer.
SHELL := /bin/bash
# Release: the silo's hot paths (record enumeration, ingest) are many times slower unoptimized.
DOTNET_FLAGS := -c Release --nologo -v quiet "-clp:ErrorsOnly;NoSummary"

.PHONY: deps build collector dotnet test test-fleet test-ui test-nginx test-durability run bench clean

deps:
	@scripts/deps.sh

# The scope CLI is client/bin/scope: a launcher over the CLI this builds, usable from any directory.
build: deps
	@$(MAKE) --no-print-directory collector dotnet
	@chmod +x client/bin/scope

collector:
	@$(MAKE) --no-print-directory -C collector-native

dotnet:
	@dotnet build Scope.sln $(DOTNET_FLAGS)

test: deps
	@scripts/test.sh

# The fleet suites alone (make test runs them too): placement in-process, then a real cluster of a
# core and two edges in network namespaces, with ADO.NET clustering and mutual TLS.
test-fleet: deps
	@scripts/test.sh fleet

# The console suite alone (make test runs it too): the admin console in Debian's chromium against a real node.
test-ui: deps
	@scripts/test.sh ui

# The nginx suite alone (make test runs it too): Debian's nginx with deploy/nginx in front of two core
# silos, over https, in Debian's chromium; one silo killed at a time.
test-nginx: deps
	@scripts/test.sh nginx

# The fault and bad-input suites alone (make test runs them too).
test-durability: deps build
	@dotnet test tests/Scope.Silo.E2E.Tests -c Release --no-build --nologo \
		--filter "FullyQualifiedName~SiloCrash|FullyQualifiedName~PostgresOutage|FullyQualifiedName~BadInput|FullyQualifiedName~A_killed_collector"

# Build chatter goes to stderr: stdout carries the events.
run:
	@$(MAKE) -s --no-print-directory build >&2
	@scripts/run.sh

bench: deps build
	@$(MAKE) --no-print-directory -C bench run

clean:
	@$(MAKE) --no-print-directory -C collector-native clean
	@dotnet clean Scope.sln $(DOTNET_FLAGS) >/dev/null || true
