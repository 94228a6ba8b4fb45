#!/usr/bin/env bash
# Installs the system packages vae needs when they are missing: OpenBLAS, libpng, zlib, pkg-config, and
# libcurl (opened by `vae download` when it runs; nothing links it).
# Uses apt-get directly as root, through sudo otherwise; says what to do when neither works.
set -euo pipefail
packages=(libopenblas-dev libpng-dev zlib1g-dev libcurl4 pkg-config)
missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done
if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi
echo "Installing missing system packages: ${missing[*]}"
if ! command -v apt-get >/dev/null 2>&1; then
  echo "error: apt-get not found. Install these packages with your system's package manager: ${missing[*]}" >&2
  exit 1
fi
if [ "$(id -u)" -eq 0 ]; then
  SUDO=()
elif command -v sudo >/dev/null 2>&1; then
  SUDO=(sudo)
else
  echo "error: not root and sudo is not available. As root, run: apt-get install -y ${missing[*]}" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
"${SUDO[@]}" apt-get update -qq
"${SUDO[@]}" apt-get install -y -qq "${missing[@]}"
