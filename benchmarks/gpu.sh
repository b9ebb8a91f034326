#!/usr/bin/env bash
# benchmarks/backends.py on a GPU machine: the JAX and PyTorch backends
# (jit / eager / torch.compile, fp32 and bf16) against the plain-PyTorch
# reference on CUDA, in the same run. Writes OUT/gpu_benchmark.md (the table)
# and OUT/gpu_benchmark.json. Extra arguments go to backends.py, e.g.
#
#   bash benchmarks/gpu.sh runs/gpu --models dcgan64
#
# On the project's lent GPU machines (the `device` tool: JAX and PyTorch with
# CUDA, no Keras, no internet), fetch Keras's wheels here first:
#
#   bash benchmarks/gpu.sh --download-wheels
#
# then run `bash benchmarks/gpu.sh $OUT --models dcgan64` there with `.whl`
# carried (one model per call keeps a call under its 10-minute limit).
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
if [ "${1:-}" = "--download-wheels" ]; then
  exclude=$(git rev-parse --git-path info/exclude)
  mkdir -p "$(dirname "$exclude")"
  grep -qx '/.whl/' "$exclude" 2>/dev/null || echo /.whl/ >> "$exclude"
  keras_version=$($PY -c "import importlib.metadata as m; print(m.version('keras'))")
  # Keras's pure-Python needs that the GPU image lacks (it has numpy, h5py,
  # ml-dtypes, absl-py, rich, packaging).
  $PY -m pip download --no-deps --only-binary=:all: --python-version 3.12 --implementation cp \
    --platform manylinux_2_28_x86_64 --platform manylinux_2_17_x86_64 --platform manylinux2014_x86_64 \
    -d .whl "keras==$keras_version" namex optree
  ls .whl
  exit 0
fi
OUT=${1:-runs/gpu}
shift || true
mkdir -p "$OUT"
if [ -d .whl ]; then
  $PY -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target /tmp/kerasgan-site .whl/*.whl
  export PYTHONPATH=/tmp/kerasgan-site:$PWD
else
  export PYTHONPATH=$PWD${PYTHONPATH:+:$PYTHONPATH}
fi
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv || true
PYTHONUNBUFFERED=1 $PY benchmarks/backends.py --gpu --child-timeout 300 --json "$OUT/gpu_benchmark.json" "$@" \
  | tee "$OUT/gpu_benchmark.md"
