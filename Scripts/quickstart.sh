#!/usr/bin/env bash
# Installs what is missing, builds vae in release mode, and runs the main job on the bundled data:
# train a VAE for 10 epochs, then draw a grid of samples and a reconstruction comparison.
set -euo pipefail
cd "$(dirname "$0")/.."
bash Scripts/install-deps.sh
swift build -c release --static-swift-stdlib --product vae
VAE="$(swift build -c release --static-swift-stdlib --show-bin-path)/vae"
mkdir -p quickstart
cd quickstart
"$VAE" train --epochs 10
"$VAE" sample --n 64 -o grid.png
"$VAE" reconstruct
echo "Done: see quickstart/grid.png, quickstart/reconstruction.png and quickstart/runs/."
