#!/usr/bin/env bash
# StarGAN on the four Fashion-MNIST domains (scripts/train_stargan_fashion_mnist.py,
# the zoo model's settings: 32 filters, 6 residual blocks, identity term 5)
# for as many of the paper's 40,000 train steps as fit in BUDGET seconds of
# training (default 360) on a GPU machine, then scored on all 10,000 test
# images. The JSON, the translation grid and the .keras model (saved after
# every 500 steps) land in OUT.
#
# On the project's lent GPU machines (the `device` tool: JAX with CUDA, no
# Keras, no internet, no Fashion-MNIST), prepare here first:
#
#   bash scripts/gpu_train_stargan.sh --prepare
#
# which puts Keras's and Pillow's wheels in .whl/ and the Fashion-MNIST files
# in .gpu-data/ (both git-ignored), then run there, carrying both:
#
#   run(command="bash scripts/gpu_train_stargan.sh $OUT/stargan 360",
#       carry=[".whl", ".gpu-data"], timeout_s=600)
#
# Budget about 4 minutes of the call for compiling, the probe and the
# evaluation besides BUDGET. Options after BUDGET go to the Python script
# (they override the ones above, e.g. `--iterations 20000`). Elsewhere (a GPU machine of your own with Keras
# and JAX installed) the same command runs without --prepare.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
if [ "${1:-}" = "--prepare" ]; then
  bash benchmarks/gpu.sh --download-wheels
  $PY -m pip download --no-deps --only-binary=:all: --python-version 3.12 --implementation cp \
    --platform manylinux_2_28_x86_64 --platform manylinux_2_17_x86_64 --platform manylinux2014_x86_64 \
    -d .whl pillow
  mkdir -p .gpu-data/fashion-mnist
  src=
  for d in "${KERASGAN_DATA_DIR:-}" "${KERASGAN_DATA_DIR:-}/fashion-mnist" /usr/share/datasets/fashion-mnist \
           "$HOME/.keras/datasets/fashion-mnist"; do
    if [ -n "$d" ] && [ -e "$d/train-images-idx3-ubyte.gz" ]; then src=$d; break; fi
  done
  if [ -z "$src" ]; then
    echo "gpu_train_stargan.sh: Fashion-MNIST not found; run: sudo apt-get install -y dataset-fashion-mnist" >&2
    exit 1
  fi
  cp "$src"/{train,t10k}-{images-idx3,labels-idx1}-ubyte.gz .gpu-data/fashion-mnist/
  echo "copied Fashion-MNIST from $src to .gpu-data/fashion-mnist"
  du -sh .whl .gpu-data
  exit 0
fi
OUT=${1:-runs/stargan_gpu}
BUDGET=${2:-360}
shift 2 || shift $#
if ! [[ "$BUDGET" =~ ^[1-9][0-9]*$ ]]; then
  echo "gpu_train_stargan.sh: BUDGET must be a positive number of seconds, got '$BUDGET'" >&2
  exit 2
fi
if [ -d .whl ] && ! $PY -c "import keras, PIL" 2>/dev/null; then
  $PY -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target /tmp/kerasgan-site .whl/*.whl
  export PYTHONPATH=/tmp/kerasgan-site:$PWD
else
  export PYTHONPATH=$PWD${PYTHONPATH:+:$PYTHONPATH}
fi
if [ -d .gpu-data ]; then
  export KERASGAN_DATA_DIR=$PWD/.gpu-data
fi
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv 2>/dev/null || true
mkdir -p "$OUT"
KERAS_BACKEND=${KERAS_BACKEND:-jax} PYTHONUNBUFFERED=1 $PY scripts/train_stargan_fashion_mnist.py \
  --filters 32 --residual-blocks 6 --lambda-identity 5 --iterations 40000 \
  --time-budget "$BUDGET" --log-every 500 --eval-images 10000 --save-model --out "$OUT" "$@" \
  2>&1 | tee "$OUT/log.txt"
