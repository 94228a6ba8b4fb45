#!/usr/bin/env bash
# Speed benchmark: builds vae as quickstart.sh does (for this machine's CPU; VAE_PORTABLE=1 for the
# portable build), runs `vae bench` and writes its results to one JSON file under bench-results/,
# then repeats the summary lines.
#
# Usage: Scripts/bench.sh [--peers] [DATA_FOLDER] [more `vae bench` options...]
#   --peers        install the JAX and PyTorch peers (Scripts/peers/run.sh --setup-only, minutes the
#                  first time) and run them in 5 rounds next to vae (JAX on 1 and 2 threads, PyTorch
#                  on 2), same data and epochs; each ratio is the median of the rounds' ratios.
#   DATA_FOLDER    MNIST-layout folder to train on; default $VAE_BENCH_DATA, else what `vae` picks
#                  (./data/mnist, else the bundled subset). The project's figures are for the
#                  5,000-image set: pass that folder.
# Environment:
#   VAE_BENCH_DATA      data folder when no argument is given.
#   VAE_BENCH_NO_BUILD  set to 1 to skip `swift build` (use the existing release binary).
#   VAE_PORTABLE        set to 1 to build the portable binary (see Scripts/build-flags.sh).
# When the environment sets OPENBLAS_CORETYPE or OPENBLAS_L2_SIZE, a second `vae bench` runs with both
# unset (OpenBLAS's own kernel choice) and adds to the same file.
# Example: Scripts/bench.sh --peers path/to/mnist-5k
set -euo pipefail
cd "$(dirname "$0")/.."
source Scripts/build-flags.sh

peers=0
if [[ "${1:-}" == "--peers" ]]; then
    peers=1
    shift
fi
data="${VAE_BENCH_DATA:-}"
if [[ $# -gt 0 && "$1" != -* ]]; then
    data="$1"
    shift
fi
if [[ -n "$data" && ! -d "$data" ]]; then
    echo "bench.sh: data folder '$data' does not exist" >&2
    exit 2
fi

if [[ "${VAE_BENCH_NO_BUILD:-0}" != 1 ]]; then
    vae_release_build --product vae
fi
bin="$(vae_release_build --show-bin-path)/vae"
if [[ ! -x "$bin" ]]; then
    echo "bench.sh: no release binary at $bin (build with: bash Scripts/quickstart.sh)" >&2
    exit 1
fi

args=()
if [[ $peers == 1 ]]; then
    bash Scripts/peers/run.sh --setup-only
    args+=(--rounds 5 --peers Scripts/peers/run.sh)
fi

mkdir -p bench-results
json="bench-results/bench-$(date -u +%Y%m%d-%H%M%S).json"
logs="$(mktemp -d)"
trap 'rm -rf "$logs"' EXIT
args=(bench --json "$json" "${args[@]}")
if [[ -n "$data" ]]; then args+=(--data "$data"); fi

echo "== $("$bin" --version); OPENBLAS_CORETYPE=${OPENBLAS_CORETYPE-(unset)} OPENBLAS_L2_SIZE=${OPENBLAS_L2_SIZE-(unset)}"
"$bin" "${args[@]}" "$@" | tee "$logs/env.log"
if [[ -n "${OPENBLAS_CORETYPE+x}" || -n "${OPENBLAS_L2_SIZE+x}" ]]; then
    echo
    echo "== again with OpenBLAS's own kernel choice (OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE unset)"
    env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE "$bin" "${args[@]}" --kernels auto --append "$@" | tee "$logs/auto.log"
fi

echo
echo "== summary"
grep -h '^summary ' "$logs"/*.log || true
echo "== results: $json"
