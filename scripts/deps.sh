#!/usr/bin/env bash
# The one idempotent installer: every Debian package SCOPE builds, tests or runs with.
# Safe to call repeatedly; it does nothing when everything is already present.
set -euo pipefail

PACKAGES=(
  # eBPF toolchain and the collector's libraries
  clang-14 llvm-14 libclang-rt-14-dev libbpf-dev bpftool libelf-dev zlib1g-dev pkg-config make gcc
  libzmq3-dev libmsgpack-dev libssl-dev
  # the peer we benchmark against
  bpftrace
  # real targets: Debian's CPython with USDT probes, and the CUDA runtime and driver (non-free)
  python3.11 python3.11-dev libcudart11.0 libcuda1
  # real services the tests and `make run` use
  postgresql-15 postgresql-client-15 nginx openssl
  # real browser for UI tests
  chromium chromium-driver
  # misc tools the test scripts use; protoc decodes traces independently of SCOPE's writer
  jq curl procps iproute2 util-linux protobuf-compiler
  # systemd-analyze verifies the shipped units (DeployTests)
  systemd
)

if [[ $(id -u) -ne 0 ]]; then
  echo "deps: must run as root (installs packages)" >&2
  exit 1
fi

missing=()
for p in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$p")
  fi
done

if [[ ${#missing[@]} -eq 0 ]]; then
  echo "deps: all ${#PACKAGES[@]} packages present" >&2
else
  # libcudart11.0 and libcuda1 live in non-free: add the components to the existing Debian entry.
  src=/etc/apt/sources.list.d/debian.sources
  if [[ -f $src ]] && ! grep -Eq '^Components:.*non-free( |$)' "$src"; then
    sed -i -E '/^Components:/{/non-free/!s/$/ contrib non-free non-free-firmware/}' "$src"
  elif [[ -f /etc/apt/sources.list ]] && grep -Eq '^deb .* main$' /etc/apt/sources.list; then
    sed -i -E 's/^(deb .* main)$/\1 contrib non-free non-free-firmware/' /etc/apt/sources.list
  fi
  echo "deps: installing ${missing[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  # The CUDA packages ask to accept the NVIDIA licence through debconf.
  echo "libcuda1 libnvidia-eglcore/accepted-nvidia-eula boolean true" | debconf-set-selections || true
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# .NET SDK is preinstalled on the build image; fail clearly if it is not.
if ! command -v dotnet >/dev/null; then
  echo "deps: the .NET 10 SDK (dotnet) is required and was not found on PATH" >&2
  exit 1
fi
