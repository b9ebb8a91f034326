#!/usr/bin/env bash
# The test suite: set up, then run pytest once per backend (tensorflow, jax,
# torch). Extra arguments go to pytest; KERASGAN_TEST_BACKENDS narrows the set.
set -uo pipefail
cd "$(dirname "$0")/.."
. scripts/setup.sh || exit 1
set +e  # setup.sh sets -e; a failing backend must not stop the others
failed=()
for backend in ${KERASGAN_TEST_BACKENDS:-tensorflow jax torch}; do
  echo "=== pytest, KERAS_BACKEND=$backend ==="
  start=$SECONDS
  KERAS_BACKEND=$backend python -m pytest -q -p no:cacheprovider tests "$@"
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
