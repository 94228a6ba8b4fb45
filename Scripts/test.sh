#!/usr/bin/env bash
# Runs the whole test suite (unit, golden-reference and end-to-end tests).
set -euo pipefail
cd "$(dirname "$0")/.."
bash Scripts/install-deps.sh
swift build -c release --static-swift-stdlib --product vae
swift test
