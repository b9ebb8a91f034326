"""The lean torch convolutions that kerasgan's torch steps use.

`kerasgan.engine.backend.torch_convolutions.fast_convolutions()` computes
Keras's `ops.conv` / `ops.conv_transpose` on channels-last 2-D tensors
without Keras's layout copies and with torch's own padding instead of a crop
(benchmarks/README.md). These tests check that it computes what Keras
computes: against Keras's torch ops (outputs and both gradients), against the
active backend's ops on every backend, and through a whole `fit`.
"""

import keras
import numpy as np
import pytest

import kerasgan

torch = pytest.importorskip("torch")
from kerasgan.engine.backend import torch_convolutions as tc  # noqa: E402

torch_only = pytest.mark.skipif(keras.backend.backend() != "torch", reason="the torch backend's steps")

# (input H, W, in, out channels, kernel, strides, padding, dilation)
CONVS = [
    (8, 8, 3, 5, 4, (2, 2), "same", 1),   # DCGAN's discriminator: symmetric padding
    (7, 9, 3, 4, 4, (2, 2), "same", 1),   # odd size: asymmetric padding, explicit pad
    (5, 5, 2, 3, 4, (1, 1), "same", 1),   # even kernel, stride 1: asymmetric
    (6, 6, 2, 3, 3, (1, 1), "same", 2),   # dilated
    (9, 8, 2, 3, (3, 2), (2, 1), "valid", 1),
    (4, 4, 8, 1, 4, (1, 1), "valid", 1),  # DCGAN's last layer: one logit
]
# (input H, W, in, out channels, kernel, strides, padding, output_padding, dilation)
TRANSPOSES = [
    (4, 4, 8, 5, 4, (2, 2), "same", None, 1),  # DCGAN's generator: crop (1, 1)
    (5, 5, 3, 4, 3, (2, 2), "same", None, 1),  # odd kernel: crop (1, 0) -> output_padding 1
    (5, 5, 3, 4, 3, (2, 2), "same", 0, 1),
    (3, 4, 2, 3, (3, 2), (2, 3), "valid", None, 1),
    (4, 4, 2, 3, 3, (1, 1), "same", None, 2),
    (4, 4, 2, 3, 5, (3, 3), "same", None, 1),
    (4, 4, 2, 3, 3, (2, 2), "valid", 1, 1),
    (1, 1, 6, 4, 4, (1, 1), "valid", None, 1),  # DCGAN's first layer: 1x1 -> 4x4
]


def _arrays(seed, h, w, cin, kernel_shape):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(2, h, w, cin)).astype("float32")
    k = rng.normal(size=kernel_shape).astype("float32")
    return x, k


def _kernel_size(kernel):
    return (kernel, kernel) if isinstance(kernel, int) else kernel


def _conv_case(case):
    h, w, cin, cout, kernel, strides, padding, dilation = case
    x, k = _arrays(0, h, w, cin, _kernel_size(kernel) + (cin, cout))
    kwargs = dict(strides=strides, padding=padding, dilation_rate=dilation)
    return x, k, kwargs


def _transpose_case(case):
    h, w, cin, cout, kernel, strides, padding, output_padding, dilation = case
    x, k = _arrays(1, h, w, cin, _kernel_size(kernel) + (cout, cin))
    kwargs = dict(strides=strides, padding=padding, output_padding=output_padding, dilation_rate=dilation)
    return x, k, kwargs


def _fast(op, x, k, kwargs):
    """`op` on torch tensors inside the context, with its output and grads."""
    x, k = (torch.tensor(a, requires_grad=True) for a in (x, k))
    with tc.fast_convolutions():
        y = op(x, k, **kwargs)
    y.backward(torch.cos(y.detach()))  # an arbitrary cotangent
    return y.detach().numpy(), x.grad.numpy(), k.grad.numpy()


def _keras(op, x, k, kwargs):
    x, k = (torch.tensor(a, requires_grad=True) for a in (x, k))
    y = op(x, k, **kwargs)
    y.backward(torch.cos(y.detach()))
    return y.detach().numpy(), x.grad.numpy(), k.grad.numpy()


def _assert_close(fast, plain):
    for a, b, what in zip(fast, plain, ("output", "input gradient", "kernel gradient")):
        assert a.shape == b.shape, (what, a.shape, b.shape)
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-5, err_msg=what)


@torch_only
@pytest.mark.parametrize("case", CONVS)
def test_conv_matches_keras_torch_op_and_its_gradients(case):
    x, k, kwargs = _conv_case(case)
    _assert_close(_fast(keras.ops.conv, x, k, kwargs), _keras(tc._keras_conv, x, k, kwargs))


@torch_only
@pytest.mark.parametrize("case", TRANSPOSES)
def test_conv_transpose_matches_keras_torch_op_and_its_gradients(case):
    x, k, kwargs = _transpose_case(case)
    _assert_close(
        _fast(keras.ops.conv_transpose, x, k, kwargs), _keras(tc._keras_conv_transpose, x, k, kwargs)
    )


@pytest.mark.parametrize("case", CONVS)
def test_conv_matches_the_active_backend(case):
    # On TensorFlow and JAX: the torch fast path computes what their own
    # convolutions compute, so kerasgan's models mean the same on every backend.
    x, k, kwargs = _conv_case(case)
    with tc.fast_convolutions():
        fast = tc._conv(torch.tensor(x), torch.tensor(k), **kwargs).numpy()
    expected = keras.ops.convert_to_numpy(keras.ops.conv(x, k, **kwargs))
    np.testing.assert_allclose(fast, expected, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("case", TRANSPOSES)
def test_conv_transpose_matches_the_active_backend(case):
    x, k, kwargs = _transpose_case(case)
    if keras.backend.backend() == "tensorflow" and kwargs["dilation_rate"] != 1:
        pytest.skip("TensorFlow's CPU conv_transpose has no dilation")
    with tc.fast_convolutions():
        fast = tc._conv_transpose(torch.tensor(x), torch.tensor(k), **kwargs).numpy()
    expected = keras.ops.convert_to_numpy(keras.ops.conv_transpose(x, k, **kwargs))
    np.testing.assert_allclose(fast, expected, rtol=1e-5, atol=1e-5)


class _Spy:
    def __init__(self, fn):
        self.fn, self.calls = fn, 0

    def __call__(self, *args, **kwargs):
        self.calls += 1
        return self.fn(*args, **kwargs)


@pytest.fixture
def keras_ops_spied(monkeypatch):
    """Counts the calls that reach Keras's own torch conv and conv_transpose."""
    conv, transpose = _Spy(tc._keras_conv), _Spy(tc._keras_conv_transpose)
    monkeypatch.setattr(tc, "_keras_conv", conv)
    monkeypatch.setattr(tc, "_keras_conv_transpose", transpose)
    return conv, transpose


@torch_only
def test_dcgan_shapes_take_the_fast_path_and_others_fall_back(keras_ops_spied):
    conv, transpose = keras_ops_spied
    x = torch.ones(2, 8, 8, 4)
    with tc.fast_convolutions():
        keras.ops.conv(x, torch.ones(4, 4, 4, 6), 2, padding="same")
        keras.ops.conv_transpose(x, torch.ones(4, 4, 6, 4), 2, padding="same")
        assert (conv.calls, transpose.calls) == (0, 0)
        # Not 2-D channels-last, or grouped: Keras's op.
        keras.ops.conv(torch.ones(2, 8, 4), torch.ones(3, 4, 6), 1)  # 1-D
        keras.ops.conv(x, torch.ones(3, 3, 2, 6), 1)  # groups = 2
        keras.ops.conv(torch.ones(2, 4, 8, 8), torch.ones(3, 3, 4, 6), 1, data_format="channels_first")
        keras.ops.conv_transpose(torch.ones(2, 4, 8, 8), torch.ones(3, 3, 6, 4), 2,
                                 data_format="channels_first")
        assert (conv.calls, transpose.calls) == (3, 1)
    # Outside the context, and with the fast path switched off: Keras's ops.
    keras.ops.conv(x, torch.ones(4, 4, 4, 6), 2, padding="same")
    keras.ops.conv_transpose(x, torch.ones(4, 4, 6, 4), 2, padding="same")
    assert (conv.calls, transpose.calls) == (4, 2)


@torch_only
def test_the_context_is_left_on_errors_and_can_be_switched_off(keras_ops_spied, monkeypatch):
    conv, _ = keras_ops_spied
    x, k = torch.ones(1, 4, 4, 2), torch.ones(3, 3, 2, 2)
    with pytest.raises(RuntimeError, match="inside"):
        with tc.fast_convolutions():
            raise RuntimeError("inside")
    keras.ops.conv(x, k)
    assert conv.calls == 1
    monkeypatch.setattr(tc, "ENABLED", False)
    with tc.fast_convolutions():
        keras.ops.conv(x, k)
    assert conv.calls == 2


def _trained_weights(spies=()):
    keras.utils.set_random_seed(0)
    model = kerasgan.models.DCGAN(
        image_shape=(16, 16, 1), latent_dim=8, generator_filters=8,
        discriminator_filters=8, seed=3, reuse_fakes=True,
    )
    model.compile()
    x = np.random.default_rng(0).uniform(-1, 1, (32, 16, 16, 1)).astype("float32")
    model.fit(x[:16], batch_size=16, epochs=1, verbose=0)  # builds everything
    for spy in spies:
        spy.calls = 0  # count the training steps' calls only
    model.fit(x, batch_size=16, epochs=1, verbose=0, shuffle=False)
    return [keras.ops.convert_to_numpy(v.value) for v in model.generator.weights + model.discriminator.weights]


@torch_only
def test_fit_uses_the_fast_path_and_trains_the_same_weights(keras_ops_spied, monkeypatch):
    conv, transpose = keras_ops_spied
    fast = _trained_weights(keras_ops_spied)
    assert (conv.calls, transpose.calls) == (0, 0)  # every DCGAN convolution took it
    monkeypatch.setattr(tc, "ENABLED", False)
    plain = _trained_weights(keras_ops_spied)
    assert conv.calls > 0 and transpose.calls > 0
    for a, b in zip(fast, plain):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-5)
    assert any(not np.allclose(a, 0) for a in fast)
