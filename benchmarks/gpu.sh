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
#
# `--cpus N` runs the CPU benchmark instead (no --gpu, the GPU hidden), pinned
# with taskset to N logical CPUs on distinct physical cores: the lent
# machine's Xeon has AMX, so this measures bf16 where the CPU supports it:
#
#   bash benchmarks/gpu.sh --cpus 2 $OUT/xeon --models dcgan64 --configs jax,torch,jax-bf16,torch-bf16
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
CPUS=
if [ "${1:-}" = "--cpus" ]; then
  if ! [[ "${2:-}" =~ ^[1-9][0-9]*$ ]]; then
    echo "gpu.sh: --cpus needs a positive number of logical CPUs, got '${2:-}'" >&2
    exit 2
  fi
  # One logical CPU per physical core (no two hyperthreads of one core).
  CPUS=$(lscpu -p=CPU,CORE,SOCKET | grep -v '^#' | awk -F, '!seen[$3 "," $2]++ {print $1}' \
    | head -n "$2" | paste -sd, -)
  shift 2
fi
OUT=${1:-runs/gpu}
shift || true
mkdir -p "$OUT"
if [ -d .whl ] && ! $PY -c "import keras" 2>/dev/null; then
  $PY -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target /tmp/kerasgan-site .whl/*.whl
  export PYTHONPATH=/tmp/kerasgan-site:$PWD
else
  export PYTHONPATH=$PWD${PYTHONPATH:+:$PYTHONPATH}
fi
if [ -n "$CPUS" ]; then
  echo "CPU run pinned to logical CPUs $CPUS (GPU hidden)"
  CUDA_VISIBLE_DEVICES= JAX_PLATFORMS=cpu PYTHONUNBUFFERED=1 taskset -c "$CPUS" \
    $PY benchmarks/backends.py --child-timeout 300 --json "$OUT/cpu_benchmark.json" "$@" \
    | tee "$OUT/cpu_benchmark.md"
  exit
fi
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv || true
PYTHONUNBUFFERED=1 $PY benchmarks/backends.py --gpu --child-timeout 300 --json "$OUT/gpu_benchmark.json" "$@" \
  | tee "$OUT/gpu_benchmark.md"
