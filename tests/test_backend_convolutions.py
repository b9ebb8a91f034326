"""The faster forms of Keras's conv ops that kerasgan's train steps use.

Each backend's `kerasgan.fast_ops.{backend}_convolutions` replaces
Keras's `conv` (and on torch `conv_transpose`) inside kerasgan's steps:

- TensorFlow and JAX: strided 2-D convolutions get a custom gradient whose
  input gradient is the sub-pixel form (stride-1 convolutions and
  depth-to-space) instead of XLA's dilated convolution;
- torch: the channels-last view goes straight to torch's convolutions, with
  torch's own padding instead of Keras's copies and crop; 4x4 stride-2
  "same" convolutions with 16 or more channels take Winograd's form
  (`torch_winograd.py`, also tested in `test_torch_winograd.py`).

The same linear maps (Winograd's up to float rounding): these tests
compare values, gradients and the second-order gradient a penalty takes
with Keras's own ops, on the active backend, and a whole `fit` with and
without them.
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
from kerasgan.fast_ops import convolutions

pytestmark = pytest.mark.fast_ops

BACKEND = keras.backend.backend()
fast = importlib.import_module(f"kerasgan.fast_ops.{BACKEND}_convolutions")
input_gradient = backend_steps.input_gradient

# (input H, W, in, out channels, kernel, strides, padding, dilation)
CONVS = [
    (8, 8, 3, 5, 4, 2, "same", 1),           # DCGAN's discriminator: symmetric padding
    (7, 9, 3, 4, 4, 2, "same", 1),           # odd sizes: asymmetric padding
    (9, 8, 2, 3, 3, 2, "valid", 1),
    (10, 10, 2, 3, 5, 3, "same", 1),         # stride 3
    (6, 7, 2, 2, (3, 2), (2, 3), "same", 1),
    (8, 8, 2, 3, 1, 2, "valid", 1),          # kernel smaller than the stride
    (5, 5, 2, 3, 4, 1, "same", 1),           # stride 1, even kernel: asymmetric
    (6, 6, 2, 3, 3, 1, "same", 2),           # dilated
    (4, 4, 8, 1, 4, 1, "valid", 1),          # DCGAN's last layer: one logit
    (16, 16, 16, 8, 4, 2, "same", 1),        # torch: Winograd F(4x4, 2x2)
    (8, 8, 16, 16, 4, 2, "same", 1),         # torch: Winograd F(2x2, 2x2)
]
# (input H, W, in, out channels, kernel, strides, padding, output_padding, dilation)
TRANSPOSES = [
    (4, 4, 8, 5, 4, 2, "same", None, 1),     # DCGAN's generator: crop (1, 1)
    (5, 5, 3, 4, 3, 2, "same", None, 1),     # odd kernel: crop (1, 0) -> output_padding 1
    (5, 5, 3, 4, 3, 2, "same", 0, 1),
    (3, 4, 2, 3, (3, 2), (2, 3), "valid", None, 1),
    (4, 4, 2, 3, 3, 1, "same", None, 2),
    (4, 4, 2, 3, 5, 3, "same", None, 1),
    (4, 4, 2, 3, 3, 2, "valid", 1, 1),
    (1, 1, 6, 4, 4, 1, "valid", None, 1),    # DCGAN's first layer: 1x1 -> 4x4
    (4, 4, 16, 16, 4, 2, "same", None, 1),   # torch: Winograd F(2x2, 2x2)
    (8, 8, 16, 8, 4, 2, "same", None, 1),    # torch: Winograd F(4x4, 2x2)
]


def _pair(v):
    return (v, v) if isinstance(v, int) else tuple(v)


def _conv_case(case, seed=0):
    h, w, cin, cout, kernel, strides, padding, dilation = case
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(2, h, w, cin)).astype("float32")
    k = rng.normal(size=_pair(kernel) + (cin, cout)).astype("float32")
    return x, k, dict(strides=strides, padding=padding, dilation_rate=dilation)


def _transpose_case(case, seed=1):
    h, w, cin, cout, kernel, strides, padding, output_padding, dilation = case
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(2, h, w, cin)).astype("float32")
    k = rng.normal(size=_pair(kernel) + (cout, cin)).astype("float32")
    return x, k, dict(strides=strides, padding=padding, output_padding=output_padding, dilation_rate=dilation)


def _scoped(op):
    def call(*args, **kwargs):
        with fast.fast_convolutions():
            return op(*args, **kwargs)
    return call


def _derivatives(op, x, k, kwargs):
    """op's value, d/dx and d/dk of <c, op>, and d/dk |d/dx <c, op>|^2 (a penalty)."""
    c = ops.cos(ops.convert_to_tensor(op(x, k, **kwargs)))  # any fixed cotangent
    loss = lambda x, k: ops.sum(op(x, k, **kwargs) * c)  # noqa: E731
    x_grad = lambda k: input_gradient(lambda v: loss(v, k), x)[1]  # noqa: E731
    return (
        op(x, k, **kwargs),
        x_grad(k),
        input_gradient(lambda v: loss(x, v), k)[1],
        input_gradient(lambda v: ops.sum(x_grad(v) ** 2), k)[1],
    )


def _assert_same(fast_values, plain_values):
    for a, b, what in zip(fast_values, plain_values, ("output", "d/dx", "d/dk", "penalty d/dk")):
        a, b = ops.convert_to_numpy(a), ops.convert_to_numpy(b)
        assert a.shape == b.shape, (what, a.shape, b.shape)
        np.testing.assert_allclose(a, b, rtol=2e-5, atol=2e-5 * float(np.abs(b).max()), err_msg=what)


@pytest.mark.parametrize("case", CONVS)
def test_conv_values_gradients_and_second_order_match_keras(case):
    x, k, kwargs = _conv_case(case)
    if BACKEND == "torch" and case[4] == 1 and case[5] == 2:
        pytest.skip("Keras's torch op gets this kernel gradient wrong: see the next test")
    _assert_same(_derivatives(_scoped(ops.conv), x, k, kwargs),
                 _derivatives(fast._keras_conv, x, k, kwargs))


@pytest.mark.skipif(BACKEND != "torch", reason="a torch bug")
def test_torch_kernel_gradient_of_a_1x1_stride_2_conv_is_right():
    # torch 2.13's CPU conv of a channels-last input gets this kernel gradient
    # wrong (Keras's own op too); the fast path reads an NCHW copy instead.
    x, k, kwargs = _conv_case(CONVS[5])  # 8x8, 2 channels, 1x1 kernel, stride 2, "valid"
    c = np.random.default_rng(2).normal(size=(2, 4, 4, 3)).astype("float32")
    _, got = input_gradient(lambda v: ops.sum(_scoped(ops.conv)(x, v, **kwargs) * ops.convert_to_tensor(c)), k)
    expected = np.einsum("nhwi,nhwo->io", x[:, ::2, ::2], c)[None, None]
    np.testing.assert_allclose(ops.convert_to_numpy(got), expected, rtol=1e-5, atol=1e-5)


@pytest.mark.skipif(BACKEND != "torch", reason="a torch bug")
def test_torch_kernel_gradient_of_a_one_image_batch_is_computed():
    # torch 2.13's CPU conv of a one-image channels-last input fails to compute
    # this kernel gradient (Keras's own op too); the fast path reads an NCHW copy.
    rng = np.random.default_rng(3)
    x = rng.normal(size=(1, 8, 8, 4)).astype("float32")
    k = rng.normal(size=(3, 3, 4, 1)).astype("float32")
    c = rng.normal(size=(1, 8, 8, 1)).astype("float32")
    _, got = input_gradient(
        lambda v: ops.sum(_scoped(ops.conv)(x, v, padding="same") * ops.convert_to_tensor(c)), k)
    padded = np.pad(x, ((0, 0), (1, 1), (1, 1), (0, 0)))
    expected = np.stack([np.stack([np.einsum("nhwi,nhwo->io", padded[:, a:a + 8, b:b + 8], c)
                                   for b in range(3)]) for a in range(3)])
    np.testing.assert_allclose(ops.convert_to_numpy(got), expected, rtol=1e-5, atol=1e-5)


@pytest.mark.skipif(BACKEND != "torch", reason="only torch replaces conv_transpose")
@pytest.mark.parametrize("case", TRANSPOSES)
def test_conv_transpose_values_gradients_and_second_order_match_keras(case):
    x, k, kwargs = _transpose_case(case)
    _assert_same(_derivatives(_scoped(ops.conv_transpose), x, k, kwargs),
                 _derivatives(fast._keras_conv_transpose, x, k, kwargs))


@pytest.mark.parametrize("case", [c for c in CONVS if c[5] != 1])
def test_sub_pixel_input_gradient_is_the_backends_own(case):
    x, k, kwargs = _conv_case(case, seed=1)
    c = ops.cos(ops.conv(x, k, **kwargs))
    _, expected = input_gradient(lambda v: ops.sum(ops.conv(v, k, **kwargs) * c), x)
    strides = _pair(kwargs["strides"])
    pads = tuple(
        convolutions.same_padding(x.shape[1 + i], k.shape[i], strides[i])
        if kwargs["padding"] == "same" else (0, 0) for i in range(2)
    )
    got = convolutions.strided_conv_input_gradient(c, ops.convert_to_tensor(k), x.shape, strides, pads)
    np.testing.assert_allclose(ops.convert_to_numpy(got), ops.convert_to_numpy(expected), rtol=1e-5, atol=1e-4)


@pytest.mark.parametrize("case", CONVS)
def test_torch_fast_conv_computes_the_active_backends_conv(case):
    # On TensorFlow and JAX too: torch's fast path means what their convolutions mean.
    torch = pytest.importorskip("torch")
    from kerasgan.fast_ops import torch_convolutions

    x, k, kwargs = _conv_case(case)
    with torch_convolutions.fast_convolutions():
        got = torch_convolutions._conv(torch.tensor(x), torch.tensor(k), **kwargs).numpy()
    expected = ops.convert_to_numpy(ops.conv(x, k, **kwargs))
    # Winograd's rounding (16-channel cases) is relative to the largest output.
    np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-5 + 1e-6 * np.abs(expected).max())


@pytest.mark.parametrize("case", TRANSPOSES)
def test_torch_fast_conv_transpose_computes_the_active_backends(case):
    torch = pytest.importorskip("torch")
    from kerasgan.fast_ops import torch_convolutions

    x, k, kwargs = _transpose_case(case)
    if BACKEND == "tensorflow" and kwargs["dilation_rate"] != 1:
        pytest.skip("TensorFlow's CPU conv_transpose has no dilation")
    with torch_convolutions.fast_convolutions():
        got = torch_convolutions._conv_transpose(torch.tensor(x), torch.tensor(k), **kwargs).numpy()
    expected = ops.convert_to_numpy(ops.conv_transpose(x, k, **kwargs))
    np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-5 + 1e-6 * np.abs(expected).max())


@pytest.fixture
def keras_conv_spy(monkeypatch):
    """Counts the calls that reach Keras's own conv."""
    spy = CallCounter(fast._keras_conv)
    monkeypatch.setattr(fast, "_keras_conv", spy)
    return spy


def test_which_convolutions_take_the_fast_path(keras_conv_spy, monkeypatch):
    x = np.ones((2, 8, 8, 4), "float32")
    strided = lambda: ops.conv(x, np.ones((4, 4, 4, 6), "float32"), 2, padding="same")  # noqa: E731
    assert fast.enabled()  # on the CPU, every backend
    with fast.fast_convolutions():
        strided()
        assert keras_conv_spy.calls == 0
        ops.conv(np.ones((2, 8, 4), "float32"), np.ones((3, 4, 6), "float32"), 2)  # 1-D
        ops.conv(x, np.ones((3, 3, 4, 6), "float32"), 1, dilation_rate=2)
        assert keras_conv_spy.calls == (1 if BACKEND == "torch" else 2)  # torch: any 2-D
        ops.conv(x, np.ones((3, 3, 4, 6), "float32"), 1)  # stride 1: XLA's gradient is fine
        assert keras_conv_spy.calls == (1 if BACKEND == "torch" else 3)
    before = keras_conv_spy.calls
    assert_keras_ops_restored(fast._overrides)  # outside the context: Keras's own
    strided()
    monkeypatch.setattr(fast, "ENABLED", False)
    assert not fast.enabled()
    with fast.fast_convolutions():
        assert_keras_ops_restored(fast._overrides)  # nothing installed
        strided()
    assert keras_conv_spy.calls == before  # neither call went through kerasgan's conv
    monkeypatch.setattr(fast, "ENABLED", True)
    with pytest.raises(RuntimeError, match="inside"):  # the context is left on errors
        with fast.fast_convolutions():
            raise RuntimeError("inside")
    assert not fast._overrides.active()
    assert_keras_ops_restored(fast._overrides)


def assert_keras_ops_restored(overrides):
    for name, replacement in overrides.replacements.items():
        assert getattr(overrides.module, name) is not replacement, name


def test_one_switch_turns_every_fast_path_off(monkeypatch):
    import kerasgan

    installed = lambda: getattr(fast._overrides.module, "conv") is fast._overrides.replacements["conv"]  # noqa: E731
    with kerasgan.fast_ops.scope():
        assert installed() == fast.enabled()
        with kerasgan.fast_ops.scope():  # nested scopes: the outer one keeps them
            pass
        assert installed() == fast.enabled()
    assert not installed()
    monkeypatch.setenv("KERASGAN_FAST_OPS", "0")
    assert not kerasgan.fast_ops.enabled() and not fast.enabled()
    with kerasgan.fast_ops.scope():
        assert not installed()
    monkeypatch.delenv("KERASGAN_FAST_OPS")
    monkeypatch.setattr(kerasgan.fast_ops, "ENABLED", False)
    with kerasgan.fast_ops.scope():
        assert not installed()


def _model_and_batch(model_name):
    keras.utils.set_random_seed(0)
    if model_name == "dcgan":
        model = kerasgan.models.DCGAN(image_shape=(16, 16, 1), latent_dim=8, generator_filters=8,
                                      discriminator_filters=8, seed=3, reuse_fakes=True)
    else:
        from kerasgan.nets.dcgan import dcgan_discriminator
        from kerasgan.nets.dcgan import dcgan_generator

        model = kerasgan.models.WGANGP(
            generator=dcgan_generator((16, 16, 1), 8, 8),
            discriminator=dcgan_discriminator((16, 16, 1), 8, normalization=None),
            seed=3, discriminator_steps=2)
    model.compile()
    return model, np.random.default_rng(0).uniform(-1, 1, (16, 16, 16, 1)).astype("float32")


@pytest.mark.parametrize("model_name", ["dcgan", "wgangp"])
def test_train_step_takes_the_fast_path_and_ends_at_the_same_state(model_name, monkeypatch):
    # What the fast path calls: torch's own conv ops; on TF and JAX the
    # strided convolution with the custom gradient.
    target = ("_torch_conv2d" if BACKEND == "torch" else "_strided_conv")
    # WGAN-GP's penalty differentiates through the convolutions twice, which
    # amplifies float rounding: a full-suite TF run once ended 3.2e-5 apart in
    # an Adam momentum of about 0.006 (a wrong gradient differs by its size).
    assert_fast_path_steps_the_same(
        monkeypatch, (fast, target), (fast, "ENABLED"), lambda: _model_and_batch(model_name),
        atol=1e-4 if model_name == "wgangp" else 2e-5)


def test_which_torch_convolutions_take_the_winograd_form(monkeypatch):
    # Calls torch_convolutions directly on torch tensors, so under every backend.
    torch = pytest.importorskip("torch")
    from kerasgan.fast_ops import torch_convolutions
    from kerasgan.fast_ops import torch_winograd

    calls = []
    for name, label in (("conv2d_4x4_stride2", "conv"), ("conv2d_transpose_4x4_stride2", "transpose")):
        original = getattr(torch_winograd, name)
        monkeypatch.setattr(torch_winograd, name,
                            lambda x, k, tile, _f=original, _l=label: calls.append((_l, tile)) or _f(x, k, tile))

    def conv(size, cin, cout, kernel=4, strides=2, padding="same", dtype=torch.float32):
        x, k = torch.ones(2, size, size, cin, dtype=dtype), torch.ones(kernel, kernel, cin, cout, dtype=dtype)
        torch_convolutions._conv(x, k, strides=strides, padding=padding)

    def transpose(size, cin, cout, padding="same", output_padding=None):
        x, k = torch.ones(2, size, size, cin), torch.ones(4, 4, cout, cin)
        torch_convolutions._conv_transpose(x, k, strides=2, padding=padding, output_padding=output_padding)

    with torch_convolutions.fast_convolutions():
        conv(64, 3, 64)      # DCGAN-64's image layer: 3 channels
        conv(32, 64, 128)    # 16x16 outputs: F(4x4, 2x2)
        conv(8, 256, 512)    # 4x4 outputs: F(2x2, 2x2)
        conv(8, 16, 16, kernel=3)
        conv(8, 16, 16, strides=1)
        conv(8, 16, 16, padding="valid")
        conv(8, 16, 16, dtype=torch.bfloat16)
        conv(14, 64, 128)    # DCGAN-28's 7x7 outputs
        transpose(4, 512, 256)   # F(2x2, 2x2)
        transpose(16, 128, 64)   # F(4x4, 2x2)
        transpose(32, 64, 3)     # the image layer
        transpose(4, 16, 16, padding="valid")
        transpose(4, 16, 16, output_padding=1)
    assert calls == [("conv", 4), ("conv", 2), ("transpose", 2), ("transpose", 4)]
    # Only on the CPU, where it was measured (a GPU keeps torch's own, cuDNN's).
    for device, tile in (("cpu", 2), ("meta", None)):
        x, k = torch.ones(2, 8, 8, 16, device=device), torch.ones(4, 4, 16, 16, device=device)
        assert torch_convolutions._winograd_tile(x, k, (2, 2), "same", (1, 1), 4, 16, 16) == tile
    monkeypatch.setattr(torch_convolutions, "WINOGRAD", False)
    with torch_convolutions.fast_convolutions():
        conv(32, 64, 128)
        transpose(4, 512, 256)
    assert len(calls) == 4


@pytest.mark.skipif(BACKEND != "torch", reason="the Winograd form is the torch step's")
@pytest.mark.parametrize("model_name", ["dcgan", "wgangp"])
def test_torch_train_step_with_winograd_ends_at_the_same_state(model_name, monkeypatch):
    from kerasgan.fast_ops import torch_winograd
    from kerasgan.nets.dcgan import dcgan_discriminator
    from kerasgan.nets.dcgan import dcgan_generator

    def build():
        keras.utils.set_random_seed(0)
        # 32x32, 16 filters: the 8x8 and 4x4 maps have 16-64 channels.
        if model_name == "dcgan":
            model = kerasgan.models.DCGAN(image_shape=(32, 32, 1), latent_dim=8, generator_filters=16,
                                          discriminator_filters=16, seed=3, reuse_fakes=True)
        else:  # the penalty's double backward goes through the Winograd form
            model = kerasgan.models.WGANGP(
                generator=dcgan_generator((32, 32, 1), 8, 16),
                discriminator=dcgan_discriminator((32, 32, 1), 16, normalization=None),
                seed=3, discriminator_steps=2)
        # SGD: Adam's normalized steps would turn rounding in a near-zero
        # gradient into a full step of the learning rate.
        model.compile(generator_optimizer=keras.optimizers.SGD(0.05),
                      discriminator_optimizer=keras.optimizers.SGD(0.05))
        return model, np.random.default_rng(0).uniform(-1, 1, (16, 32, 32, 1)).astype("float32")

    _, start, fast_state = assert_fast_path_steps_the_same(
        monkeypatch, (torch_winograd, "conv2d_4x4_stride2"), (fast, "WINOGRAD"), build)
    # The step moved the weights far more than the helper's tolerance.
    assert max(float(np.abs(a - b).max()) for a, b in zip(fast_state, start)) > 1e-2


@pytest.mark.skipif(BACKEND != "jax", reason="reads the JAX program")
def test_jax_input_gradient_has_no_dilated_convolution():
    import jax

    x, k, kwargs = _conv_case(CONVS[0])

    def lhs_dilations(op):
        grad = jax.grad(lambda v: ops.sum(op(v, k, **kwargs) ** 2))
        text = str(jax.make_jaxpr(grad)(x))
        return {chunk.split(")")[0].replace(" ", "") for chunk in text.split("lhs_dilation=(")[1:]}

    assert lhs_dilations(_scoped(ops.conv)) == {"1,1"}
    assert "2,2" in lhs_dilations(fast._keras_conv)
