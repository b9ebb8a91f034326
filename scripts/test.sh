#!/usr/bin/env bash
# The test suite: set up, then run pytest per backend (tensorflow, jax,
# torch), then the backend-independent tests once. Extra arguments go to
# every pytest invocation; KERASGAN_TEST_BACKENDS narrows the backends.
#
# Per backend: the tests not marked `once`, in the cheapest compile mode that
# runs the real train step (tests/conftest.py; the `xla` tests with the
# backend's default compile path). JAX sets its XLA options for the whole
# process, so its `xla` tests run in an invocation of their own
# (KERASGAN_TEST_XLA=default). Last, the `once` tests (benchmark, docs and
# learning plumbing, cross-backend files) on KERASGAN_TEST_ONCE_BACKEND
# (default: torch when it is among the backends, else the first one).
# One backend's suite (KERASGAN_TEST_FAST_OPS_OFF, default torch, the one
# with the most) runs with kerasgan.fast_ops switched off (KERASGAN_FAST_OPS=0),
# so the engine is tested without them; the tests marked `fast_ops` still
# check them there.
# Time budget: README.md, "Test-suite budget".
set -uo pipefail
cd "$(dirname "$0")/.."
for arg in "$@"; do
  case "$arg" in
    -m|-m*|--markexpr*)
      echo "scripts/test.sh selects tests with -m itself (once, xla); narrow with -k," \
           "KERASGAN_TEST_BACKENDS, or run pytest directly (docs/testing.md)" >&2
      exit 2 ;;
  esac
done
. scripts/setup.sh || exit 1
set +e  # setup.sh sets -e; a failing backend must not stop the others
# pytest-xdist workers for TensorFlow, JAX and the once tests: one per CPU,
# at most 4 (KERASGAN_TEST_WORKERS=0: none); work-stealing, so that a long
# test does not leave the other worker idle at the end. PyTorch's eager
# suite runs in one process (two processes' thread pools on two cores
# measured slower).
workers="${KERASGAN_TEST_WORKERS:-$(nproc)}"
[ "$workers" -le 4 ] || workers=4
[ "$workers" -ge 2 ] || workers=0
backends=(${KERASGAN_TEST_BACKENDS:-tensorflow jax torch})
fast_ops_off="${KERASGAN_TEST_FAST_OPS_OFF-torch}"
once_backend="${KERASGAN_TEST_ONCE_BACKEND:-}"
if [ -z "$once_backend" ]; then
  once_backend="${backends[0]}"
  for b in "${backends[@]}"; do [ "$b" != torch ] || once_backend=torch; done
fi
failed=()
total_start=$SECONDS

# run LABEL BACKEND WORKERS ALLOW_EMPTY PYTEST-ARGS...
run() {
  local label=$1 backend=$2 n=$3 allow_empty=$4
  shift 4
  local dist=()
  [ "$n" -eq 0 ] || dist=(-n "$n" --dist worksteal)
  echo "=== $label: KERAS_BACKEND=$backend, $n xdist workers ==="
  local start=$SECONDS
  # The slowest tests of each part, for keeping the parts within their budgets.
  KERAS_BACKEND=$backend python -m pytest -q -p no:cacheprovider --durations=8 "${dist[@]}" "$@"
  local code=$?
  echo "=== $label: exit $code in $((SECONDS - start)) s ==="
  # 5 = no tests collected: a failure for a backend's main suite (it must
  # run), not for the small xla and once selections narrowed by -k.
  if [ $code -ne 0 ] && ! { [ $code -eq 5 ] && [ "$allow_empty" = yes ]; }; then
    failed+=("$label")
  fi
}

for backend in "${backends[@]}"; do
  n=$workers
  [ "$backend" != torch ] || n=0
  if [ "$backend" = jax ]; then
    run "$backend" "$backend" "$n" no tests -m "not once and not xla" "$@"
    KERASGAN_TEST_XLA=default run "$backend xla" "$backend" 0 yes tests -m xla "$@"
  elif [ "$backend" = "$fast_ops_off" ]; then
    KERASGAN_FAST_OPS=0 run "$backend (fast_ops off)" "$backend" "$n" no tests -m "not once" "$@"
  else
    run "$backend" "$backend" "$n" no tests -m "not once" "$@"
  fi
done
run "once" "$once_backend" "$workers" yes tests -m once "$@"
echo "=== all: $((SECONDS - total_start)) s ==="
if [ ${#failed[@]} -gt 0 ]; then
  echo "FAILED: ${failed[*]}"
  exit 1
fi
echo "all backends passed"
