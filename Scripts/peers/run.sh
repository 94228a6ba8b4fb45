#!/usr/bin/env bash
# Runs a peer script (PyTorch or JAX) with the repository's Python virtualenv, creating it first if needed.
#
# Usage: bash Scripts/peers/run.sh [--setup-only] <script.py> [script options...]
#   --setup-only   create/refresh .venv-peers and stop.
#   <script.py>    torch_train.py, jax_train.py or torch_evaluate.py (a name in Scripts/peers/ or a path).
# Examples:
#   bash Scripts/peers/run.sh torch_train.py --data /usr/share/datasets/fashion-mnist --epochs 5 --threads 2
#   bash Scripts/peers/run.sh jax_train.py --threads 1
#   bash Scripts/peers/run.sh torch_evaluate.py --model runs/NAME/model.safetensors -k 1000 --limit 500
#
# The virtualenv is .venv-peers/ in the repository root (git-ignored). pip runs only when
# requirements.txt changed since the last successful install (a stamp file holds its hash), so a
# second call starts the script at once. Environment: PYTHON picks the interpreter that creates the
# virtualenv (default python3). The rest of the environment is passed through unchanged.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
venv="$root/.venv-peers"
requirements="$here/requirements.txt"
stamp="$venv/.requirements.sha256"

setup_only=0
if [[ "${1:-}" == "--setup-only" ]]; then
    setup_only=1
    shift
fi
if [[ $setup_only == 0 && $# == 0 ]]; then
    sed -n '2,10p' "$0" | sed 's/^# \{0,1\}//' >&2
    exit 2
fi

want="$(sha256sum "$requirements" | cut -d' ' -f1)"
if [[ ! -x "$venv/bin/python" || "$(cat "$stamp" 2>/dev/null)" != "$want" ]]; then
    echo "run.sh: installing the peers' Python packages into .venv-peers (torch, jax, numpy, safetensors; first time takes minutes)" >&2
    if [[ ! -x "$venv/bin/python" ]]; then
        "${PYTHON:-python3}" -m venv "$venv"
    fi
    log="$(mktemp)"
    if ! "$venv/bin/python" -m pip install --quiet --disable-pip-version-check -r "$requirements" >"$log" 2>&1; then
        cat "$log" >&2
        rm -f "$log"
        echo "run.sh: pip install failed (output above)" >&2
        exit 1
    fi
    rm -f "$log"
    echo "$want" >"$stamp"
fi
if [[ $setup_only == 1 ]]; then
    exit 0
fi

script="$1"
shift
if [[ ! -f "$script" && -f "$here/$script" ]]; then
    script="$here/$script"
fi
if [[ ! -f "$script" ]]; then
    echo "run.sh: no script '$script' (try torch_train.py, jax_train.py or torch_evaluate.py)" >&2
    exit 2
fi
exec "$venv/bin/python" "$script" "$@"
