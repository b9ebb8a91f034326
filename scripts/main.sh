#!/usr/bin/env bash
# The main job: set up, then train a DCGAN on Fashion-MNIST for a short budget.
# Writes runs/dcgan_fashion_mnist/{model.keras, samples.png, history.json,
# losses.png, run.json, samples/}. Extra arguments go to `kerasgan train`,
# e.g. `bash scripts/main.sh --epochs 5`; KERAS_BACKEND picks the backend.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/setup.sh
export KERAS_BACKEND="${KERAS_BACKEND:-tensorflow}"
exec kerasgan train --model dcgan --dataset fashion_mnist --epochs 1 \
  --out runs/dcgan_fashion_mnist "$@"
