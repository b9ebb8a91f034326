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

import keras  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402


def pytest_report_header(config):
    return f"keras {keras.__version__}, backend: {keras.backend.backend()}"


@pytest.fixture(autouse=True)
def _seed():
    keras.utils.set_random_seed(0)


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


def assert_fast_path_trains_the_same(monkeypatch, spied, switch, train):
    """A fast path is taken while its switch is on, and training ends at the same weights without it.

    `spied` and `switch` are `(module, attribute name)` pairs: the function
    the fast path calls, and the flag that turns it off. `train(counter)`
    trains a fresh model (resetting `counter.calls` where the calls it should
    count begin) and returns its weights. The first run must call the spied
    function, the second (with the switch False) must not; the weights must
    agree within rtol 1e-4, atol 2e-5. Returns the fast path's weights.
    """
    counter = CallCounter(getattr(*spied))
    monkeypatch.setattr(*spied, counter)
    fast = train(counter)
    assert counter.calls > 0
    monkeypatch.setattr(*switch, False)
    plain = train(counter)
    assert counter.calls == 0
    for a, b in zip(fast, plain):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=2e-5)
    return fast
