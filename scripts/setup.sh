#!/usr/bin/env bash
# Sourced by scripts/main.sh and scripts/test.sh: installs everything kerasgan
# needs on a fresh Debian machine with Python 3.11 (idempotent, quick when done).
#   - Fashion-MNIST from Debian's dataset-fashion-mnist package
#   - a virtual environment (.venv, or $KERASGAN_VENV) with kerasgan and the
#     three backends: tensorflow-cpu, jax (CPU) and torch==2.13.0 (CPU build)
set -euo pipefail
KERASGAN_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

if [ ! -e /usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz ]; then
  if [ "$(id -u)" = 0 ]; then
    echo "setup: installing Debian package dataset-fashion-mnist" >&2
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq dataset-fashion-mnist) >&2
  else
    echo "setup: Fashion-MNIST missing; run: sudo apt-get install -y dataset-fashion-mnist" >&2
  fi
fi

VENV="${KERASGAN_VENV:-$KERASGAN_ROOT/.venv}"
PYTHON="${PYTHON:-python3}"
if [ ! -x "$VENV/bin/python" ]; then
  echo "setup: creating $VENV" >&2
  "$PYTHON" -m venv "$VENV"
fi
# shellcheck disable=SC1091
. "$VENV/bin/activate"

# pip, with its output on stderr, less the "Location ... is ignored" lines
# that a pip configuration pointing at absent local indexes prints.
quiet_pip() {
  python -m pip -q "$@" 2>&1 | { grep -v "is ignored: it is neither a file nor a directory" || true; } >&2
  return "${PIPESTATUS[0]}"
}

stamp="$VENV/.kerasgan-installed"
want="$(sha256sum "$KERASGAN_ROOT/pyproject.toml" | cut -d' ' -f1)"
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
  echo "setup: installing kerasgan and its backends into $VENV" >&2
  quiet_pip install --upgrade pip
  # The CPU build of PyTorch (a plain `torch` would pull a CUDA build).
  quiet_pip install "torch==2.13.0"
  quiet_pip install -e "$KERASGAN_ROOT[all]"
  echo "$want" > "$stamp"
fi
export TF_CPP_MIN_LOG_LEVEL="${TF_CPP_MIN_LOG_LEVEL:-3}"
