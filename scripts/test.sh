#!/usr/bin/env bash
# The test suite: set up, then run pytest once per backend (tensorflow, jax,
# torch). Extra arguments go to pytest; KERASGAN_TEST_BACKENDS narrows the set.
set -uo pipefail
cd "$(dirname "$0")/.."
. scripts/setup.sh || exit 1
set +e  # setup.sh sets -e; a failing backend must not stop the others
# pytest-xdist workers for TensorFlow and JAX: one per CPU, at most 4
# (KERASGAN_TEST_WORKERS=0: none). Much of their suites is single-threaded
# tracing and compiling: on 2 cores, 2 workers took TensorFlow from 1,140 s to
# 850 s and JAX (empty compilation cache) from 1,266 s to 885 s. PyTorch's
# eager suite went from 320 s to 398 s (two processes' thread pools on two
# cores), so it runs in one process.
workers="${KERASGAN_TEST_WORKERS:-$(nproc)}"
[ "$workers" -le 4 ] || workers=4
[ "$workers" -ge 2 ] || workers=0
failed=()
for backend in ${KERASGAN_TEST_BACKENDS:-tensorflow jax torch}; do
  n=$workers
  [ "$backend" != torch ] || n=0
  echo "=== pytest, KERAS_BACKEND=$backend, $n xdist workers ==="
  start=$SECONDS
  KERAS_BACKEND=$backend python -m pytest -q -p no:cacheprovider -n "$n" tests "$@"
  code=$?
  echo "=== $backend: exit $code in $((SECONDS - start)) s ==="
  # 5 = no tests collected: treat as a failure, a suite must run.
  [ $code -eq 0 ] || failed+=("$backend")
done
if [ ${#failed[@]} -gt 0 ]; then
  echo "FAILED on: ${failed[*]}"
  exit 1
fi
echo "all backends passed"
