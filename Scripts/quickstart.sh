#!/usr/bin/env bash
# Installs what is missing, builds vae in release mode, and runs the main job on the bundled data:
# train a VAE for 10 epochs, then draw a grid of samples and a reconstruction comparison.
# The build is for this machine's CPU; VAE_PORTABLE=1 builds a portable binary (see build-flags.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
source Scripts/build-flags.sh
bash Scripts/install-deps.sh
vae_release_build --product vae
VAE="$(vae_release_build --show-bin-path)/vae"
echo "Built: $("$VAE" --version)"
mkdir -p quickstart
cd quickstart
"$VAE" train --epochs 10
"$VAE" sample -n 64 -o grid.png
"$VAE" reconstruct
echo "Done: see quickstart/grid.png, quickstart/reconstruction.png and quickstart/runs/."
