"""Test configuration: the backend is chosen by KERAS_BACKEND before pytest starts.

Run the suite once per backend, e.g. `KERAS_BACKEND=jax pytest tests`.
`scripts/test.sh` runs it under tensorflow, jax and torch.
"""

import importlib.util
import os
import tempfile

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
# Many tests build the same small models: let JAX compile each program once.
os.environ.setdefault(
    "JAX_COMPILATION_CACHE_DIR", os.path.join(tempfile.gettempdir(), "kerasgan-test-jax-cache")
)
os.environ.setdefault("JAX_PERSISTENT_CACHE_MIN_COMPILE_TIME_SECS", "0")
os.environ.setdefault("JAX_PERSISTENT_CACHE_MIN_ENTRY_SIZE_BYTES", "0")

# The compile mode of the tests (docs/testing.md). By default the cheapest one
# that still runs the real train step on each backend:
# - TensorFlow: kerasgan models compile without XLA (a tf.function graph; the
#   `_compile_mode` fixture below);
# - JAX: XLA (the un-jitted step compiles every operation on its own and was
#   slower), with its cheapest CPU options (CHEAP_XLA_FLAGS, which also apply
#   to the small programs of eager operations);
# - torch: eager, its default.
# KERASGAN_TEST_XLA=default keeps every backend's default ("auto": XLA on
# TensorFlow and JAX, fully optimized). Tests marked `xla` run with the
# defaults: on TensorFlow the per-test patch is left out for them; on JAX,
# whose XLA options are set for the whole process, they run only in that
# mode (scripts/test.sh runs them in a pytest invocation of their own).
CHEAP_XLA_FLAGS = "--xla_backend_optimization_level=0 --xla_cpu_use_fusion_emitters=false"
DEFAULT_COMPILE = os.environ.get("KERASGAN_TEST_XLA") == "default"
ORIGINAL_XLA_FLAGS = os.environ.get("XLA_FLAGS")
if not DEFAULT_COMPILE and os.environ.get("KERAS_BACKEND") == "jax":
    # Only for JAX: TensorFlow's XLA rejects flags it does not know
    # (`subprocess_env` gives other backends' processes the original flags).
    os.environ["XLA_FLAGS"] = f"{os.environ.get('XLA_FLAGS', '')} {CHEAP_XLA_FLAGS}".strip()


def subprocess_env(backend=None, **extra):
    """The environment for a child process on `backend`: JAX's test flags only for
    JAX (`None`: a process that starts children on several backends, so none)."""
    env = {**os.environ, **extra}
    if backend is not None:
        env["KERAS_BACKEND"] = backend
    if backend != "jax":
        env.pop("XLA_FLAGS", None)
        if ORIGINAL_XLA_FLAGS is not None:
            env["XLA_FLAGS"] = ORIGINAL_XLA_FLAGS
    return env


import keras  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402


def pytest_report_header(config):
    return f"keras {keras.__version__}, backend: {keras.backend.backend()}"


@pytest.fixture(autouse=True)
def _seed():
    keras.utils.set_random_seed(0)


@pytest.fixture(autouse=True)
def _fast_ops_on_for_their_own_tests(request, monkeypatch):
    """Tests marked `fast_ops` check the fast paths: on even in a suite run with
    KERASGAN_FAST_OPS=0 (scripts/test.sh runs torch's suite so)."""
    if request.node.get_closest_marker("fast_ops"):
        monkeypatch.setenv("KERASGAN_FAST_OPS", "1")


@pytest.fixture(autouse=True)
def _compile_mode(request, monkeypatch):
    """TensorFlow compiles kerasgan models without XLA, except in the default mode
    and for tests marked `xla`, which JAX runs in the default mode only."""
    if request.node.get_closest_marker("xla"):
        if not DEFAULT_COMPILE and keras.backend.backend() == "jax":
            pytest.skip("JAX's default XLA options: KERASGAN_TEST_XLA=default (scripts/test.sh sets it)")
        return
    if not DEFAULT_COMPILE and keras.backend.backend() == "tensorflow":
        from kerasgan.engine import backend as backend_steps

        monkeypatch.setattr(backend_steps.get(), "AUTO_JIT_COMPILE", False)


@pytest.fixture
def backend():
    return keras.backend.backend()


def load_script(path, name):
    """A script (benchmarks/, scripts/) imported as a module, without running it."""
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def small_dcgan(image_shape=(28, 28, 1), **kwargs):
    import kerasgan

    kwargs.setdefault("generator_filters", 8)
    kwargs.setdefault("discriminator_filters", 8)
    kwargs.setdefault("latent_dim", 16)
    kwargs.setdefault("seed", 1)
    return kerasgan.models.DCGAN(image_shape=image_shape, **kwargs)


def random_images(n, shape=(28, 28, 1), seed=0):
    rng = np.random.default_rng(seed)
    return np.tanh(rng.standard_normal((n, *shape))).astype("float32")


class CallCounter:
    """Wraps `fn` and counts its calls (for monkeypatching a function under test)."""

    def __init__(self, fn):
        self.fn, self.calls = fn, 0

    def __call__(self, *args, **kwargs):
        self.calls += 1
        return self.fn(*args, **kwargs)


def assert_fast_path_steps_the_same(monkeypatch, spied, switch, build, atol=2e-5):
    """A fast path is taken while its switch is on, and one train step ends at the same state without it.

    `spied` and `switch` are `(module, attribute name)` pairs: the function
    the fast path calls, and the flag that turns it off. `build()` returns a
    compiled model and one batch. The model takes one train step on the batch
    with the fast path (which must call the spied function), then, from the
    same state (variables and optimizer variables put back), one step
    without it (which must not call it); the weights, batch-norm statistics
    and optimizer variables after the two steps must agree within rtol 1e-4,
    `atol` (2e-5). Returns `(variables, before, after)`: the model's variables
    and optimizer variables, and their values before and after the fast step.
    """
    counter = CallCounter(getattr(*spied))
    monkeypatch.setattr(*spied, counter)
    model, batch = build()
    variables = list(model.variables) + list(model.optimizer.variables)
    start = [keras.ops.convert_to_numpy(v.value) for v in variables]

    def step():
        counter.calls = 0  # TF and JAX: the calls while the step is traced
        model.make_train_function(force=True)
        model.train_on_batch(batch)
        return [keras.ops.convert_to_numpy(v.value) for v in variables]

    fast = step()
    assert counter.calls > 0
    for variable, value in zip(variables, start):
        variable.assign(value)
    monkeypatch.setattr(*switch, False)
    plain = step()
    assert counter.calls == 0
    trainable = {id(v) for v in model.trainable_variables}
    moved = [v.path for v, a, b in zip(variables, fast, start) if id(v) in trainable and not np.array_equal(a, b)]
    assert len(moved) == len(trainable), "the step left trainable weights unchanged"
    for variable, a, b in zip(variables, fast, plain):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=atol, err_msg=variable.path)
    return variables, start, fast
