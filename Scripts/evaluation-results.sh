#!/usr/bin/env bash
# Reproduces the README's likelihood table: trains the default model (10 epochs) and a 50-dimensional
# latent with and without KL warm-up and free bits on a data folder, evaluates each with `vae evaluate`,
# and scores Fashion-MNIST against MNIST with `vae score --reference`. Takes about half an hour on two
# cores (the k = 5,000 evaluations dominate).
#
# Usage: Scripts/evaluation-results.sh MNIST_FOLDER [FASHION_FOLDER] [OUT_FOLDER]
#   MNIST_FOLDER    an MNIST-layout folder (the README uses the 5,000-image training set with the official
#                   10,000 test images)
#   FASHION_FOLDER  Fashion-MNIST (default /usr/share/datasets/fashion-mnist, Debian's dataset-fashion-mnist)
#   OUT_FOLDER      where the runs and JSON files go (default evaluation-results/)
set -euo pipefail
cd "$(dirname "$0")/.."
mnist="${1:?usage: Scripts/evaluation-results.sh MNIST_FOLDER [FASHION_FOLDER] [OUT_FOLDER]}"
fashion="${2:-/usr/share/datasets/fashion-mnist}"
out="${3:-evaluation-results}"
mnist="$(cd "$mnist" && pwd)"
[[ -d "$fashion" ]] && fashion="$(cd "$fashion" && pwd)"
if [[ "${VAE_RESULTS_NO_BUILD:-0}" != 1 ]]; then swift build -c release --static-swift-stdlib --product vae; fi
vae="$(swift build -c release --static-swift-stdlib --show-bin-path)/vae"
mkdir -p "$out"
cd "$out"
grep -m1 "model name" /proc/cpuinfo | sed 's/.*: /CPU: /'

train() {  # train NAME FLAGS...
    local name="$1"; shift
    [[ -f "$name/model.safetensors" ]] || "$vae" train --data "$mnist" --epochs 10 --sample-every 0 --out "$name" "$@" | tail -1
}
evaluate() {  # evaluate NAME K JSON FLAGS...
    local name="$1" k="$2" json="$3"; shift 3
    [[ -f "$json" ]] || "$vae" evaluate --model "$name" -k "$k" --json "$json" "$@" | grep -E "NLL \(k|ELBO  |active units|Wrote"
}

train default
for k in 1 100 5000; do
    evaluate default "$k" "default-k$k.json"
    evaluate default "$k" "default-k$k-binarized.json" --binarize
done
train latent50 --latent 50
train latent50-warmup --latent 50 --kl-warmup 5
train latent50-freebits --latent 50 --free-bits 0.5
train latent50-both --latent 50 --kl-warmup 5 --free-bits 0.5
for name in latent50 latent50-warmup latent50-freebits latent50-both; do
    evaluate "$name" 100 "$name-k100.json"
done
if [[ -d "$fashion" ]]; then
    "$vae" score --model default --data "$fashion" --reference "$mnist" -k 100 --csv fashion-scores.csv \
        --grid-out fashion-least-likely.png | tee fashion-vs-mnist.txt
fi
