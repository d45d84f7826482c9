#!/usr/bin/env bash
# install-core.sh: installs (or updates) the SCOPE core silo on this host, as root. See docs/deployment.md.
#
#   install-core.sh --db CONNSTRING --address IP --ca CA.pem --cert CORE.pem --key CORE.key
#                   [--prefix /opt/scope] [--release DIR | --from-checkout] [--no-start]
#                   [--dry-run] [--root DIR]
#
# The same steps as install-edge.sh, for the core role: creates the system user scope (home
# /var/lib/scope, no shell) if missing, installs PREFIX/silo (no collector), /etc/scope/tls/
# {ca.pem,core.pem,core.key} (key 0640 root:scope), /etc/scope/core.json (from
# deploy/core.example.json, or the existing file; 0640 root:scope) and scope-core.service, and
# enables and (re)starts it. PostgreSQL itself is not installed: see docs/deployment.md.
set -euo pipefail
exec "$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/install-edge.sh" --role core "$@"
