#!/usr/bin/env bash
# Speed benchmark: runs `vae bench` twice, once with the environment's OpenBLAS kernels (as CI runs)
# and once with OpenBLAS's own choice (OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE unset for that command
# only), into one JSON file under bench-results/, then repeats both summary lines.
#
# Usage: Scripts/bench.sh [DATA_FOLDER] [more `vae bench` options...]
#   DATA_FOLDER    MNIST-layout folder to train on; default $VAE_BENCH_DATA, else what `vae` picks
#                  (./data/mnist, else the bundled subset). The speed targets are for the 5,000-image
#                  set: pass that folder.
# Environment:
#   VAE_BENCH_DATA      data folder when no argument is given.
#   VAE_BENCH_NO_BUILD  set to 1 to skip `swift build` (use the existing release binary).
# Example: Scripts/bench.sh path/to/mnist-5k --epochs 5
set -euo pipefail
cd "$(dirname "$0")/.."

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
    swift build -c release --static-swift-stdlib --product vae
fi
bin="$(swift build -c release --static-swift-stdlib --show-bin-path)/vae"
if [[ ! -x "$bin" ]]; then
    echo "bench.sh: no release binary at $bin (build with: swift build -c release --static-swift-stdlib --product vae)" >&2
    exit 1
fi

mkdir -p bench-results
stamp="$(date -u +%Y%m%d-%H%M%S)"
json="bench-results/bench-$stamp.json"
logs="$(mktemp -d)"
trap 'rm -rf "$logs"' EXIT

args=(bench --json "$json")
if [[ -n "$data" ]]; then args+=(--data "$data"); fi

echo "== environment: OPENBLAS_CORETYPE=${OPENBLAS_CORETYPE-(unset)} OPENBLAS_L2_SIZE=${OPENBLAS_L2_SIZE-(unset)}"
if [[ -z "${OPENBLAS_CORETYPE+x}" && -z "${OPENBLAS_L2_SIZE+x}" ]]; then
    echo "== note: the environment sets neither variable, so both runs use OpenBLAS's own kernel choice"
fi

echo "== run 1/2: kernels as the environment sets them"
"$bin" "${args[@]}" --kernels env "$@" | tee "$logs/env.log"

echo
echo "== run 2/2: OpenBLAS's own kernel choice (OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE unset)"
env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE "$bin" "${args[@]}" --kernels auto --append "$@" | tee "$logs/auto.log"

echo
echo "== summary"
grep -h '^summary ' "$logs/env.log" "$logs/auto.log" || true
echo "== results: $json"
