"""The default compile path: XLA on TensorFlow and JAX trains as the step without it does.

The rest of the suite compiles the cheapest way that still runs the real
train step (conftest.py: TensorFlow without XLA, JAX's XLA with its cheapest
CPU options). These tests, marked `xla`, run with every backend's
defaults (on JAX only with KERASGAN_TEST_XLA=default; scripts/test.sh runs
them in an invocation of their own): `compile()` with `jit_compile="auto"` resolves to
XLA, fully optimized, and an iteration ends at the weights, batch-norm
statistics and optimizer state of the same iteration run without XLA.

The random draws (latent vectors, the penalty's interpolation weights) are
replaced by fixed values for the comparison: TensorFlow's stateless random
ops pick another generator under XLA than without it, so the same seed
gives other numbers.
"""

import keras
import numpy as np
import pytest

import kerasgan

pytestmark = [
    pytest.mark.xla,
    pytest.mark.skipif(keras.backend.backend() == "torch", reason="torch's default is eager (no XLA)"),
]


def _model(kind):
    keras.utils.set_random_seed(0)
    if kind == "dcgan":  # batch norm in both networks, G's backward through reused fakes
        return kerasgan.models.DCGAN(image_shape=(16, 16, 1), latent_dim=8, generator_filters=8,
                                     discriminator_filters=8, seed=3, reuse_fakes=True)
    # Input gradients (the penalty) and k = 2 critic minibatches per iteration.
    return kerasgan.models.WGANGP(data_shape=(16, 16, 1), generator_width=8, discriminator_width=8,
                                  latent_dim=8, seed=3, discriminator_steps=2)


def _fixed_values(shape, minval=-1.0, maxval=1.0, **_):
    """Deterministic stand-ins for keras.random draws, in [minval, maxval], traceable."""
    from keras import ops

    rows = ops.cast(ops.arange(shape[0]), "float32")[:, None]
    columns = ops.cast(ops.arange(int(np.prod(shape[1:]))), "float32")[None, :]
    unit = 0.5 + 0.5 * ops.sin(1.37 * rows + 0.61 * columns + 0.3)
    return ops.reshape(minval + (maxval - minval) * unit, shape)


def _state(model):
    return [keras.ops.convert_to_numpy(v.value) for v in model.variables + model.optimizer.variables]


@pytest.mark.parametrize("kind", ["dcgan", "wgan_gp"])
def test_xla_trains_as_the_step_without_it(kind, monkeypatch):
    monkeypatch.setattr(keras.random, "normal", _fixed_values)
    monkeypatch.setattr(keras.random, "uniform", _fixed_values)
    x = np.random.default_rng(0).uniform(-1, 1, (16, 16, 16, 1)).astype("float32")  # one iteration
    states = {}
    for jit_compile in ("auto", False):
        model = _model(kind)
        # SGD with momentum: Adam's normalized first step would turn rounding
        # in a near-zero gradient into a whole step of the learning rate.
        model.compile(generator_optimizer=keras.optimizers.SGD(0.05, momentum=0.5),
                      discriminator_optimizer=keras.optimizers.SGD(0.05, momentum=0.5),
                      jit_compile=jit_compile)
        assert model.jit_compile is (jit_compile == "auto")  # "auto" is XLA here
        start = _state(model)
        model.fit(x, batch_size=16, epochs=1, verbose=0, shuffle=False)
        states[jit_compile] = _state(model)
        paths = [v.path for v in model.variables + model.optimizer.variables]
    moved = [p for p, a, b in zip(paths, states["auto"], start) if not np.array_equal(a, b)]
    assert len(moved) > len(paths) // 2, moved
    for path, a, b in zip(paths, states["auto"], states[False]):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=2e-5, err_msg=path)
