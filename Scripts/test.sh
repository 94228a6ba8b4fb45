#!/usr/bin/env bash
# Runs the whole test suite (unit, golden-reference and end-to-end tests) on the default build: code
# for this machine's CPU, or portable code with VAE_PORTABLE=1 (see build-flags.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
source Scripts/build-flags.sh
bash Scripts/install-deps.sh
vae_release_build --product vae
echo "Built: $("$(vae_release_build --show-bin-path)/vae" --version)"
swift test "${VAE_BUILD_FLAGS[@]}"
