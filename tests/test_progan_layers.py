"""ProGAN's layers (Karras et al., 2018): PixelNormalization,
MinibatchStandardDeviation, EqualizedDense and EqualizedConv2D.

Their outputs against plain numpy implementations (the minibatch standard
deviation against a transcription of the official `minibatch_stddev_layer`,
whose strided grouping puts samples 0 and 4 of a batch of 8 in one group),
the equalized layers' run-time scale, N(0, 1) kernels and scaled gradients,
argument and shape errors, dtypes, and a `.keras` round trip of a model with
all four. Runs under whichever backend KERAS_BACKEND selects (tensorflow,
jax, torch).
"""

import json
import math

import keras
import numpy as np
import pytest
from keras import ops

import autodiff

from kerasgan.layers import (
    EqualizedConv2D,
    EqualizedDense,
    MinibatchStandardDeviation,
    PixelNormalization,
)


def _np(x):
    return np.asarray(ops.convert_to_numpy(x))


def _normal(shape, seed):
    return np.random.default_rng(seed).standard_normal(shape).astype("float32")


_gradient = autodiff.gradient


def _config_round_trip(layer):
    clone = type(layer).from_config(layer.get_config())
    assert clone.get_config() == layer.get_config()
    return clone


# --------------------------------------------------------------------------
# Plain numpy references
# --------------------------------------------------------------------------
def _np_pixel_norm(x, epsilon=1e-8):
    x = x.astype("float64")
    return x / np.sqrt(np.mean(x**2, axis=-1, keepdims=True) + epsilon)


def _np_minibatch_stddev(x, group_size=4, epsilon=1e-8):
    """The official `minibatch_stddev_layer` (progressive_growing_of_gans
    networks.py), transcribed to numpy and channels last."""
    n, h, w, c = x.shape
    g = min(group_size, n)
    y = x.astype("float64").reshape(g, -1, h, w, c)  # [GMHWC]
    y = y - y.mean(axis=0, keepdims=True)
    y = (y**2).mean(axis=0)  # [MHWC]
    y = np.sqrt(y + epsilon)
    y = y.mean(axis=(1, 2, 3), keepdims=True)  # [M111]
    y = np.tile(y, (g, h, w, 1))  # [NHW1]
    return np.concatenate([x, y], axis=-1)


def _np_conv_same(x, kernel):
    """Stride-1 "same" convolution (cross-correlation), NHWC, kernel (kh, kw, in, out):
    kh - 1 rows of zeros, the extra one (even kernels) below / right, as TensorFlow."""
    kh, kw = kernel.shape[:2]
    top, left = (kh - 1) // 2, (kw - 1) // 2
    padded = np.pad(x, [(0, 0), (top, kh - 1 - top), (left, kw - 1 - left), (0, 0)])
    n, h, w, _ = x.shape
    out = np.zeros((n, h, w, kernel.shape[-1]))
    for i in range(kh):
        for j in range(kw):
            out += padded[:, i : i + h, j : j + w, :] @ kernel[i, j]
    return out


# --------------------------------------------------------------------------
# PixelNormalization
# --------------------------------------------------------------------------
@pytest.mark.parametrize("shape", [(3, 7), (2, 4, 5, 6)], ids=["rank2", "rank4"])
def test_pixel_normalization_matches_numpy(shape):
    x = _normal(shape, seed=1) * 3.0 + 0.5
    layer = PixelNormalization()
    y = _np(layer(x))
    np.testing.assert_allclose(y, _np_pixel_norm(x), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(np.mean(y**2, axis=-1), 1.0, rtol=1e-5)
    assert y.dtype == np.float32 and not layer.weights
    assert layer.compute_output_shape((None, *shape[1:])) == (None, *shape[1:])
    assert _config_round_trip(PixelNormalization(epsilon=1e-4)).epsilon == 1e-4


def test_pixel_normalization_epsilon_and_zeros():
    x = np.zeros((2, 3), "float32")
    np.testing.assert_array_equal(_np(PixelNormalization()(x)), x)
    x = np.full((1, 4), 0.01, "float32")
    y = PixelNormalization(epsilon=1e-4)(x)
    np.testing.assert_allclose(_np(y), _np_pixel_norm(x, 1e-4), rtol=1e-5)


def test_pixel_normalization_low_precision_computes_in_float32():
    # 1000² overflows float16 (its largest value is 65504): computed in float32.
    x = np.array([[1000.0, -1000.0, 500.0, 0.0]], "float32")
    y = PixelNormalization(dtype="float16")(x)
    assert keras.backend.standardize_dtype(y.dtype) == "float16"
    np.testing.assert_allclose(_np(y).astype("float32"), _np_pixel_norm(x), rtol=1e-3)


def test_pixel_normalization_errors():
    with pytest.raises(ValueError, match="epsilon > 0"):
        PixelNormalization(epsilon=0)
    with pytest.raises(ValueError, match="rank >= 2"):
        PixelNormalization()(np.ones((3,), "float32"))


# --------------------------------------------------------------------------
# MinibatchStandardDeviation
# --------------------------------------------------------------------------
def test_minibatch_stddev_matches_the_official_grouping():
    x = _normal((8, 3, 2, 5), seed=2) * np.arange(1, 9, dtype="float32")[:, None, None, None]
    layer = MinibatchStandardDeviation(group_size=4)
    y = _np(layer(x))
    assert y.shape == (8, 3, 2, 6)
    np.testing.assert_allclose(y, _np_minibatch_stddev(x, 4), rtol=1e-5, atol=1e-6)
    np.testing.assert_array_equal(y[..., :5], x)  # the input passes through
    feature = y[:, 0, 0, 5]
    assert np.all(y[..., 5] == feature[:, None, None])  # a constant map per sample
    # M = 2 groups: samples 0, 2, 4, 6 and samples 1, 3, 5, 7 (i = g * M + m).
    for members in ([0, 2, 4, 6], [1, 3, 5, 7]):
        np.testing.assert_allclose(feature[members], feature[members[0]])
        group = x[members].astype("float64")
        expected = np.mean(np.sqrt(np.var(group, axis=0) + 1e-8))
        np.testing.assert_allclose(feature[members[0]], expected, rtol=1e-5)
    # Not contiguous groups (samples 0-3 and 4-7), which give other values here.
    contiguous = np.mean(np.sqrt(np.var(x[:4].astype("float64"), axis=0) + 1e-8))
    assert abs(feature[0] - contiguous) > 1e-2
    assert y.dtype == np.float32
    assert layer.compute_output_shape((None, 3, 2, 5)) == (None, 3, 2, 6)


def test_minibatch_stddev_batch_smaller_than_the_group():
    x = _normal((2, 4, 4, 3), seed=3)
    y = _np(MinibatchStandardDeviation(group_size=4)(x))
    np.testing.assert_allclose(y, _np_minibatch_stddev(x, 4), rtol=1e-5, atol=1e-6)
    # G = min(4, 2) = 2: one group of both samples, std = |x0 - x1| / 2.
    expected = np.mean(np.sqrt(((x[0] - x[1]).astype("float64") / 2) ** 2 + 1e-8))
    np.testing.assert_allclose(y[:, :, :, 3], expected, rtol=1e-5)


def test_minibatch_stddev_group_size_and_epsilon():
    x = _normal((6, 2, 2, 2), seed=4)
    y = _np(MinibatchStandardDeviation(group_size=3, epsilon=1e-2)(x))
    np.testing.assert_allclose(y, _np_minibatch_stddev(x, 3, 1e-2), rtol=1e-5, atol=1e-6)
    layer = _config_round_trip(MinibatchStandardDeviation(group_size=2, epsilon=1e-3))
    assert (layer.group_size, layer.epsilon) == (2, 1e-3)


def test_minibatch_stddev_batch_not_divisible_by_the_group():
    message = r"batch size 6 is not divisible by the group size 4.*multiple of group_size=4"
    with pytest.raises(ValueError, match=message):
        MinibatchStandardDeviation(group_size=4)(_normal((6, 2, 2, 1), seed=5))
    with pytest.raises(ValueError, match=message):  # also a known batch in a functional model
        MinibatchStandardDeviation(group_size=4)(keras.Input(batch_shape=(6, 2, 2, 1)))


def test_minibatch_stddev_unknown_batch_size():
    layer = MinibatchStandardDeviation(group_size=4)
    call = layer
    if keras.backend.backend() == "tensorflow":
        import tensorflow as tf

        # An unknown batch size, as the TensorFlow trainer traces a dataset's batches.
        call = tf.function(lambda x: layer(x), input_signature=[tf.TensorSpec((None, 2, 3, 2))])
    for n in (8, 3):
        x = _normal((n, 2, 3, 2), seed=n)
        np.testing.assert_allclose(_np(call(x)), _np_minibatch_stddev(x, 4), rtol=1e-5, atol=1e-6)


def test_minibatch_stddev_errors():
    for bad in (0, -1, 2.5, True, None):
        with pytest.raises(ValueError, match="integer group_size >= 1"):
            MinibatchStandardDeviation(group_size=bad)
    with pytest.raises(ValueError, match="epsilon > 0"):
        MinibatchStandardDeviation(epsilon=0.0)
    with pytest.raises(ValueError, match=r"\(batch, height, width, channels\)"):
        MinibatchStandardDeviation()(np.ones((4, 3), "float32"))


# --------------------------------------------------------------------------
# EqualizedDense, EqualizedConv2D
# --------------------------------------------------------------------------
def test_equalized_dense_matches_numpy():
    x = _normal((3, 6), seed=6)
    layer = EqualizedDense(4)
    assert layer.scale is None  # set by build
    layer.build(x.shape)
    assert layer.scale == pytest.approx(math.sqrt(2) / math.sqrt(6))
    assert isinstance(layer.scale, float)
    layer.bias.assign(_normal((4,), seed=7))
    y = _np(layer(x))
    kernel, bias = _np(layer.kernel), _np(layer.bias)
    np.testing.assert_allclose(y, x @ (kernel * layer.scale) + bias, rtol=1e-5, atol=1e-5)
    assert y.dtype == np.float32
    assert layer.compute_output_shape((None, 6)) == (None, 4)

    plain = EqualizedDense(2, gain=1.0, use_bias=False)
    y = _np(plain(x))
    assert plain.scale == pytest.approx(1 / math.sqrt(6)) and plain.bias is None
    assert len(plain.weights) == 1
    np.testing.assert_allclose(y, x @ (_np(plain.kernel) / math.sqrt(6)), rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("kernel_size", [3, 1, (3, 2)])
def test_equalized_conv2d_matches_numpy(kernel_size):
    x = _normal((2, 5, 4, 3), seed=8)
    layer = EqualizedConv2D(4, kernel_size)
    layer.build(x.shape)
    kh, kw = (kernel_size, kernel_size) if isinstance(kernel_size, int) else kernel_size
    assert layer.kernel.shape == (kh, kw, 3, 4)
    assert layer.scale == pytest.approx(math.sqrt(2) / math.sqrt(kh * kw * 3))
    layer.bias.assign(_normal((4,), seed=9))
    y = _np(layer(x))
    expected = _np_conv_same(x, _np(layer.kernel) * layer.scale) + _np(layer.bias)
    np.testing.assert_allclose(y, expected, rtol=1e-5, atol=1e-5)
    assert y.shape == (2, 5, 4, 4) and y.dtype == np.float32
    assert layer.compute_output_shape((None, 5, 4, 3)) == (None, 5, 4, 4)


def test_equalized_conv2d_gain_one_without_bias():
    x = _normal((1, 4, 4, 2), seed=10)
    layer = EqualizedConv2D(3, 1, gain=1.0, use_bias=False)
    y = _np(layer(x))
    assert layer.scale == pytest.approx(1 / math.sqrt(2)) and layer.bias is None
    expected = _np_conv_same(x, _np(layer.kernel) / math.sqrt(2))
    np.testing.assert_allclose(y, expected, rtol=1e-5, atol=1e-5)


def test_equalized_kernels_are_standard_normal():
    dense = EqualizedDense(512)
    dense.build((None, 512))
    kernel = _np(dense.kernel)
    assert 0.9 < kernel.std() < 1.1 and abs(kernel.mean()) < 0.02
    np.testing.assert_array_equal(_np(dense.bias), np.zeros(512))
    conv = EqualizedConv2D(64, 3)
    conv.build((None, 8, 8, 64))
    kernel = _np(conv.kernel)
    assert 0.9 < kernel.std() < 1.1 and abs(kernel.mean()) < 0.02
    np.testing.assert_array_equal(_np(conv.bias), np.zeros(64))
    # The effective weights have He's standard deviation sqrt(2 / fan_in).
    assert 0.9 < kernel.std() * conv.scale / math.sqrt(2 / (9 * 64)) < 1.1


@pytest.mark.parametrize("kind", ["dense", "conv"])
def test_equalized_gradient_is_scaled(kind):
    if kind == "dense":
        layer, x = EqualizedDense(3), _normal((4, 5), seed=11)
        apply = lambda x, kernel: ops.matmul(x, kernel)  # noqa: E731
    else:
        layer, x = EqualizedConv2D(3, 3), _normal((2, 4, 4, 2), seed=11)
        apply = lambda x, kernel: ops.conv(x, kernel, padding="same")  # noqa: E731
    layer.build(x.shape)
    kernel, bias = _np(layer.kernel), _np(layer.bias)
    weights = _normal(layer.compute_output_shape(x.shape), seed=12)  # a loss sum(y * weights)
    weights_tensor = ops.convert_to_tensor(weights)

    def through_the_layer(stored):
        variables = [stored, ops.convert_to_tensor(bias)]
        y, _ = layer.stateless_call(variables, [], ops.convert_to_tensor(x))
        return y * weights_tensor

    stored_gradient = _gradient(through_the_layer, kernel)
    effective_gradient = _gradient(
        lambda k: apply(ops.convert_to_tensor(x), k) * weights_tensor, kernel * layer.scale
    )
    assert np.abs(effective_gradient).max() > 0.1
    np.testing.assert_allclose(
        stored_gradient, layer.scale * effective_gradient, rtol=1e-5, atol=1e-6
    )
    if kind == "dense":  # d sum((x @ K) * W) / dK = x^T W
        np.testing.assert_allclose(effective_gradient, x.T @ weights, rtol=1e-5, atol=1e-5)


def test_equalized_configs_round_trip():
    dense = _config_round_trip(EqualizedDense(7, gain=0.5, use_bias=False, name="d"))
    assert (dense.units, dense.gain, dense.use_bias, dense.name) == (7, 0.5, False, "d")
    conv = _config_round_trip(EqualizedConv2D(5, (3, 1), gain=1.0, use_bias=False))
    assert (conv.filters, conv.kernel_size, conv.gain, conv.use_bias) == (5, (3, 1), 1.0, False)
    assert EqualizedDense(2).gain == EqualizedConv2D(2, 3).gain == math.sqrt(2)


def test_equalized_errors():
    for bad in (0, -2, 1.5, True, None):
        with pytest.raises(ValueError, match="integer units >= 1"):
            EqualizedDense(bad)
        with pytest.raises(ValueError, match="integer filters >= 1"):
            EqualizedConv2D(bad, 3)
    for bad in (0, (3,), (3, 0), (1, 2, 3), "a", 2.0):
        with pytest.raises(ValueError, match="kernel_size must be"):
            EqualizedConv2D(2, bad)
    with pytest.raises(ValueError, match="gain > 0"):
        EqualizedDense(2, gain=0.0)
    with pytest.raises(ValueError, match="known number of features"):
        EqualizedDense(2).build((None, None))
    with pytest.raises(ValueError, match=r"\(batch, height, width, channels\)"):
        EqualizedConv2D(2, 3).build((None, 8, 3))


# --------------------------------------------------------------------------
# All four in a saved model
# --------------------------------------------------------------------------
def test_progan_layers_keras_round_trip(tmp_path):
    inputs = keras.Input((4, 4, 3))
    h = EqualizedConv2D(4, 3, name="conv")(inputs)
    h = keras.layers.LeakyReLU(0.2)(h)
    h = PixelNormalization(epsilon=1e-6, name="pixel_norm")(h)
    h = MinibatchStandardDeviation(group_size=2, name="mbstd")(h)
    h = EqualizedConv2D(2, (1, 3), gain=1.0, use_bias=False, name="conv2")(h)
    h = keras.layers.Flatten()(h)
    outputs = EqualizedDense(1, gain=1.0, name="score")(h)
    model = keras.Model(inputs, outputs)
    assert model.get_layer("mbstd").output.shape == (None, 4, 4, 5)
    for layer in model.layers:
        for weight in layer.weights:  # nonzero biases, so that they are checked too
            weight.assign(_normal(weight.shape, seed=13))
    path = tmp_path / "progan.keras"
    model.save(path)
    loaded = keras.saving.load_model(path)
    x = _normal((4, 4, 4, 3), seed=14)
    y = _np(model(x))
    assert y.shape == (4, 1) and y.dtype == np.float32
    np.testing.assert_array_equal(_np(loaded(x)), y)
    for name in ("conv", "pixel_norm", "mbstd", "conv2", "score"):
        layer, loaded_layer = model.get_layer(name), loaded.get_layer(name)
        assert type(loaded_layer) is type(layer)
        assert loaded_layer.get_config() == layer.get_config()
    scale = model.get_layer("conv2").scale
    assert loaded.get_layer("conv2").scale == scale == pytest.approx(1 / math.sqrt(15))
    # The loaded layers' build configs hold the JSON's lists where the saved ones
    # held tuples (Keras's own layers too): the model configs are equal as JSON.
    assert json.loads(json.dumps(loaded.get_config())) == json.loads(json.dumps(model.get_config()))
