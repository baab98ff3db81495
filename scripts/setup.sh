#!/usr/bin/env bash
# Installs every system package attnc needs on Debian 12 (idempotent).
set -euo pipefail

packages=(
  cmake ninja-build ccache clang-22
  libclang-rt-22-dev # ASan/UBSan/libFuzzer runtimes: the asan preset, CI
  libmlir-22-dev mlir-22-tools llvm-22-dev llvm-22-tools
  libfmt-dev libgtest-dev libpng-dev zlib1g-dev
  python3 git
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
    missing+=("$p")
done

if ((${#missing[@]})); then
  SUDO=""
  [[ $(id -u) -ne 0 ]] && SUDO="sudo"
  echo "attnc setup: installing ${missing[*]}"
  $SUDO apt-get update -q
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
else
  echo "attnc setup: every package is installed"
fi
