"""kerasgan's faster batch norms: dot-product sums (JAX steps) and torch's fused kernels (torch steps).

`kerasgan.fast_ops.batch_normalization` writes batch norm's moments and
normalization with every sum over the rows as a product with a vector of
ones (in `keras.ops`); `jax_batch_normalization` puts it in place of Keras's
JAX `moments` / `batch_normalization` inside kerasgan's steps, with a custom
VJP that makes the backward sums dots too. `torch_batch_normalization` gives
Keras's torch ops one-pass moments and, for a batch normalized by its own
moments, torch's fused `batch_norm`. The same functions: these tests
compare values, first and second derivatives with Keras's own ops (the
arithmetic on every backend, the custom VJP on JAX, the fused forms on
torch) and a whole `fit` with and without them.
"""

import importlib

import keras
import numpy as np
import pytest
from keras import ops

import kerasgan
from conftest import CallCounter
from conftest import assert_fast_path_steps_the_same
from kerasgan.engine import backend as backend_steps
from kerasgan.fast_ops import batch_normalization as dot_sums

pytestmark = pytest.mark.fast_ops

BACKEND = keras.backend.backend()
input_gradient = backend_steps.input_gradient
jax_only = pytest.mark.skipif(BACKEND != "jax", reason="kerasgan's JAX steps' batch norm")
torch_only = pytest.mark.skipif(BACKEND != "torch", reason="kerasgan's torch steps' batch norm")

SHAPES = [(4, 3, 5, 6), (16, 7), (2, 3, 2, 2, 3)]


def _case(shape, seed=0):
    rng = np.random.default_rng(seed)
    x = (rng.normal(size=shape) * 3 + 1).astype("float32")
    gamma, beta = (rng.normal(size=shape[-1:]).astype("float32") for _ in range(2))
    return x, gamma, beta


def _layer_math(moments, normalize):
    """A batch-norm forward pass (moments of x, then normalization) built from two ops."""
    def f(x, gamma, beta):
        mean, variance = moments(x)
        return normalize(x, mean, variance, beta, gamma), mean, variance
    return f


KERAS = _layer_math(
    lambda x: ops.moments(x, tuple(range(len(x.shape) - 1))),
    lambda x, m, v, b, g: ops.batch_normalization(x, m, v, -1, b, g, 1e-3),
)


def _dot_sums(repeat_rows):
    return _layer_math(
        lambda x: dot_sums.moments(ops.convert_to_tensor(x), False, repeat_rows),
        lambda x, m, v, b, g: dot_sums.batch_normalization(ops.convert_to_tensor(x), m, v, b, g, 1e-3, repeat_rows),
    )


def _derivatives(f, x, gamma, beta):
    """f's outputs, d/dx, d/dgamma and d/dbeta of a scalar of them, and d/dgamma |d/dx|^2."""
    c = ops.convert_to_tensor(np.cos(np.arange(x.size, dtype="float32")).reshape(x.shape))  # a fixed cotangent

    def loss(x, gamma, beta):
        y, mean, variance = f(x, gamma, beta)
        return ops.sum(ops.tanh(y) * c) + ops.sum(mean * variance)

    x_grad = lambda gamma: input_gradient(lambda v: loss(v, gamma, beta), x)[1]  # noqa: E731
    return (
        *f(x, gamma, beta),
        x_grad(gamma),
        input_gradient(lambda v: loss(x, v, beta), gamma)[1],
        input_gradient(lambda v: loss(x, gamma, v), beta)[1],
        input_gradient(lambda v: ops.sum(x_grad(v) ** 2), gamma)[1],
    )


def _assert_same(values, expected):
    names = ("output", "mean", "variance", "d/dx", "d/dgamma", "d/dbeta", "penalty d/dgamma")
    for a, b, what in zip(values, expected, names):
        a, b = (ops.convert_to_numpy(ops.stop_gradient(v)) for v in (a, b))
        assert a.shape == b.shape, (what, a.shape, b.shape)
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-5 * max(1.0, float(np.abs(b).max())), err_msg=what)


@pytest.mark.parametrize("shape", SHAPES)
def test_dot_sum_arithmetic_matches_keras(shape):
    # With the backend's own gradient of the broadcast: the arithmetic alone.
    x, gamma, beta = _case(shape)
    _assert_same(_derivatives(_dot_sums(dot_sums.plain_repeat_rows), x, gamma, beta),
                 _derivatives(KERAS, x, gamma, beta))


def test_which_tensors_are_channels_last_float32_matrices():
    x = ops.zeros((2, 3, 4, 5))
    assert dot_sums.channels_last(x, (0, 1, 2))
    assert dot_sums.channels_last(x, [-4, -3, -2])
    assert not dot_sums.channels_last(x, (0, 2, 3))  # channels first
    assert not dot_sums.channels_last(x, (0, 1))
    assert not dot_sums.channels_last(ops.zeros((2, 3, 4, 5), "bfloat16"), (0, 1, 2))
    assert not dot_sums.channels_last(ops.zeros((5,)), (0,))


@jax_only
@pytest.mark.parametrize("shape", SHAPES)
def test_jax_custom_vjp_matches_keras(shape):
    from kerasgan.fast_ops import jax_batch_normalization as fast

    x, gamma, beta = _case(shape)
    with fast.fast_batch_normalization():  # Keras's ops now reach the dot-sum form
        values = _derivatives(KERAS, x, gamma, beta)
    _assert_same(values, _derivatives(_dot_sums(dot_sums.plain_repeat_rows), x, gamma, beta))
    _assert_same(values, _derivatives(KERAS, x, gamma, beta))


@jax_only
def test_jax_gradient_sums_with_dots_only():
    import jax

    from kerasgan.fast_ops import jax_batch_normalization as fast

    x, gamma, beta = _case((8, 4, 4, 6))

    def program():  # a new function each time: JAX caches traces by function
        grad = jax.grad(lambda x, g, b: ops.sum(ops.tanh(KERAS(x, g, b)[0])), argnums=(0, 1, 2))
        return str(jax.make_jaxpr(grad)(x, gamma, beta))

    plain = program()
    with fast.fast_batch_normalization():
        dots = program()
    assert plain.count("reduce_sum") >= 4  # moments and the backward pass
    assert dots.count("reduce_sum") == 1  # the loss's own sum
    assert dots.count("dot_general") >= 6


@jax_only
def test_which_calls_take_the_dot_sums(monkeypatch):
    from kerasgan.fast_ops import jax_batch_normalization as fast

    spies = {name: CallCounter(getattr(fast, name))
             for name in ("_keras_moments", "_keras_batch_normalization")}
    for name, spy in spies.items():
        monkeypatch.setattr(fast, name, spy)
    x = np.ones((2, 3, 3, 4), "float32")
    v = np.ones((4,), "float32")
    assert fast.enabled()  # on the CPU
    with fast.fast_batch_normalization():
        ops.moments(x, (0, 1, 2))
        ops.batch_normalization(x, v, v, -1, v, v)
        assert [s.calls for s in spies.values()] == [0, 0]
        ops.moments(np.ones((2, 4, 3, 3), "float32"), (0, 2, 3))  # channels first
        ops.batch_normalization(np.ones((2, 4, 3, 3), "float32"), v, v, 1)
        ops.moments(ops.cast(x, "bfloat16"), (0, 1, 2))
        assert [s.calls for s in spies.values()] == [2, 1]
    ops.moments(x, (0, 1, 2))  # outside the context: Keras's own, not through kerasgan's
    assert spies["_keras_moments"].calls == 2
    monkeypatch.setattr(fast, "ENABLED", False)
    assert not fast.enabled()
    with fast.fast_batch_normalization():
        ops.moments(x, (0, 1, 2))
    assert spies["_keras_moments"].calls == 2
    for name, replacement in fast._overrides.replacements.items():
        assert getattr(fast._overrides.module, name) is not replacement, name


def _model_and_batch():
    keras.utils.set_random_seed(0)
    model = kerasgan.models.DCGAN(image_shape=(16, 16, 1), latent_dim=8, generator_filters=8,
                                  discriminator_filters=8, seed=3)
    model.compile()
    return model, np.random.default_rng(0).uniform(-1, 1, (16, 16, 16, 1)).astype("float32")


# Each backend's fast batch norm in a train step: its module and the function only it calls.
FIT_FAST_PATHS = {
    "jax": ("jax_batch_normalization", "_repeat_rows"),  # the dot sums' custom VJP
    "torch": ("torch_batch_normalization", "_fused_batch_normalization"),
}


@pytest.mark.skipif(BACKEND not in FIT_FAST_PATHS, reason="kerasgan's JAX and torch steps' batch norm")
def test_train_step_takes_the_fast_batch_norm_and_ends_at_the_same_state(monkeypatch):
    name, spied = FIT_FAST_PATHS[BACKEND]
    fast = importlib.import_module(f"kerasgan.fast_ops.{name}")
    variables, start, fast_state = assert_fast_path_steps_the_same(
        monkeypatch, (fast, spied), (fast, "ENABLED"), _model_and_batch)
    # Batch norm's moving statistics moved too, and were compared.
    moving = [i for i, v in enumerate(variables) if "moving_" in v.path]
    assert moving and all(not np.array_equal(fast_state[i], start[i]) for i in moving)


@torch_only
@pytest.mark.parametrize("shape", SHAPES)
def test_torch_fused_form_matches_keras(shape):
    from kerasgan.fast_ops import torch_batch_normalization as fast

    x, gamma, beta = _case(shape)
    with fast.fast_batch_normalization():  # Keras's ops now reach torch's kernels
        values = _derivatives(KERAS, x, gamma, beta)
    _assert_same(values, _derivatives(KERAS, x, gamma, beta))


@torch_only
def test_torch_fused_form_traces_under_torch_compile():
    # `jit_compile=True`: torch.compile's tracer ("eager" backend, no code
    # generation) must follow the tagged moments into the fused kernel.
    import torch

    from kerasgan.fast_ops import torch_batch_normalization as fast

    layer = keras.layers.BatchNormalization(gamma_initializer="random_normal", beta_initializer="random_normal")
    x, _, _ = _case((4, 3, 3, 5))
    x = torch.from_numpy(x)
    layer.build(x.shape)

    def normalized(x):
        with fast.fast_batch_normalization():
            return layer(x, training=True)

    outputs = []
    for f in (normalized, torch.compile(normalized, backend="eager")):
        a = x.clone().requires_grad_()
        y = f(a)
        outputs.append((y, torch.autograd.grad(ops.sum(ops.tanh(y)), a)[0]))
    for got, expected in zip(outputs[1], outputs[0]):
        np.testing.assert_allclose(got.detach().numpy(), expected.detach().numpy(), rtol=1e-5, atol=1e-6)


@torch_only
def test_torch_one_pass_moments_derivatives_by_finite_differences():
    import torch

    from kerasgan.fast_ops import torch_batch_normalization as fast

    rows = torch.randn(7, 3, dtype=torch.float64, requires_grad=True)
    mean, variance = fast._RowMoments.apply(rows)
    np.testing.assert_allclose(mean.detach(), rows.detach().mean(0), rtol=1e-12)
    np.testing.assert_allclose(variance.detach(), rows.detach().var(0, unbiased=False), rtol=1e-12)
    both = lambda r: fast._RowMoments.apply(r)  # noqa: E731
    assert torch.autograd.gradcheck(both, (rows,))
    assert torch.autograd.gradgradcheck(both, (rows,))
    for which in (0, 1):  # one statistic only: the other's gradient is None
        one = lambda r: fast._RowMoments.apply(r)[which]  # noqa: E731,B023
        assert torch.autograd.gradcheck(one, (rows,))
        assert torch.autograd.gradgradcheck(one, (rows,))


@torch_only
def test_which_torch_calls_take_the_fused_form(monkeypatch):
    from kerasgan.fast_ops import torch_batch_normalization as fast

    names = ("_keras_moments", "_keras_batch_normalization", "_fused_batch_normalization")
    spies = {name: CallCounter(getattr(fast, name)) for name in names}
    for name, spy in spies.items():
        monkeypatch.setattr(fast, name, spy)

    def calls():
        return [spies[name].calls for name in names]

    x = ops.convert_to_tensor(np.random.default_rng(0).normal(size=(2, 3, 3, 4)).astype("float32"))
    v = ops.ones((4,))
    assert fast.enabled()
    with fast.fast_batch_normalization():
        mean, variance = ops.moments(x, (0, 1, 2))
        ops.batch_normalization(x, mean, variance, -1, v, v)
        assert calls() == [0, 0, 1]
        kept = ops.moments(x, (0, 1, 2), keepdims=True)
        assert tuple(kept[0].shape) == (1, 1, 1, 4)
        fused = ops.batch_normalization(x, *kept, 3)  # no offset, no scale
        assert calls() == [0, 0, 2]
    plain = ops.batch_normalization(x, *ops.moments(x, (0, 1, 2)), 3)
    np.testing.assert_allclose(ops.convert_to_numpy(fused), ops.convert_to_numpy(plain), rtol=1e-4, atol=1e-5)
    assert calls() == [0, 0, 2]  # outside the context: Keras's own, not through kerasgan's
    with fast.fast_batch_normalization():
        ops.batch_normalization(x, v, v, -1)  # moving statistics: not x's moments
        ops.batch_normalization(x + 1, mean, variance, -1)  # another tensor's moments
        ops.batch_normalization(x, mean, v, -1)
        ops.batch_normalization(x, mean, variance, -1, ops.ones((2, 2)))  # not one scale per channel
        assert calls() == [0, 4, 2]
        ops.moments(ops.transpose(x, (0, 3, 1, 2)), (0, 2, 3))  # channels first
        ops.moments(ops.cast(x, "bfloat16"), (0, 1, 2))
        ops.moments(x[:1, :1, :1], (0, 1, 2))  # one row: torch's kernel asks for two
        assert calls() == [3, 4, 2]
    ops.batch_normalization(x, mean, variance, -1)  # outside the context: Keras's own
    assert calls() == [3, 4, 2]
    monkeypatch.setattr(fast, "ENABLED", False)
    assert not fast.enabled()
    with fast.fast_batch_normalization():
        ops.moments(x, (0, 1, 2))
    assert calls() == [3, 4, 2]
    for name, replacement in fast._overrides.replacements.items():
        assert getattr(fast._overrides.module, name) is not replacement, name


@torch_only
def test_torch_mixed_bfloat16_batch_normalization_takes_the_fused_form(monkeypatch):
    # Keras's BatchNormalization computes in float32 under mixed_bfloat16,
    # so bf16 activations still get the fused kernel (with the same values).
    from kerasgan.fast_ops import torch_batch_normalization as fast

    fused = CallCounter(fast._fused_batch_normalization)
    monkeypatch.setattr(fast, "_fused_batch_normalization", fused)
    layer = keras.layers.BatchNormalization(dtype="mixed_bfloat16")
    x = ops.cast(np.random.default_rng(1).normal(2.0, 3.0, size=(8, 4, 4, 16)), "bfloat16")
    with fast.fast_batch_normalization():
        y = layer(x, training=True)
    assert fused.calls == 1
    assert keras.backend.standardize_dtype(y.dtype) == "bfloat16"
    plain = layer(x, training=True)
    assert fused.calls == 1
    np.testing.assert_allclose(
        ops.convert_to_numpy(ops.cast(y, "float32")), ops.convert_to_numpy(ops.cast(plain, "float32")), atol=2e-2)
    normalized = ops.convert_to_numpy(ops.cast(y, "float32"))
    assert abs(normalized.mean()) < 2e-2 and abs(normalized.std() - 1) < 2e-2
