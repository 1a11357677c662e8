#!/usr/bin/env bash
# Installs the Debian packages libsessionspace builds and tests with (idempotent).
# Set SS_SKIP_DEPS=1 to skip (packages already present, or no root).
set -euo pipefail
[ "${SS_SKIP_DEPS:-0}" = 1 ] && exit 0
pkgs=(
  cmake make gcc pkg-config            # build
  libxxhash-dev libcapstone-dev        # library dependencies
  libjansson-dev liblzma-dev           # ISF symbol files (Windows structure profiles)
  zlib1g-dev liblzo2-dev libsnappy-dev libzstd-dev  # kdump page compression
  check python3 python3-dev swig python3-pytest     # tests and bindings
  python3-dask python3-distributed     # examples/fleet.py (many dumps at once)
  clang libclang-rt-14-dev             # libFuzzer harnesses
  libkdumpfile-dev makedumpfile        # independent peer for tests and bench
  valgrind                             # instruction counts in bench
  clang-format                         # style check in scripts/test.sh
  qemu-system-x86 linux-image-amd64 busybox-static cpio  # real guest (tests/realdata/capture.sh)
)
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi
echo "deps: installing ${missing[*]}"
SUDO=""
[ "$(id -u)" = 0 ] || SUDO=sudo
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
