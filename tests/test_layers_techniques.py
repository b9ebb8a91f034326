"""GAN training techniques as layers and constraints.

Minibatch discrimination and virtual / reference batch normalization
(Salimans et al. 2016), spectral normalization (Miyato et al. 2018) and WGAN
weight clipping (Arjovsky et al. 2017). Runs under whichever backend
KERAS_BACKEND selects (tensorflow, jax, torch).
"""

import keras
import numpy as np
import pytest
from keras import ops

import kerasgan.engine.backend
from kerasgan.constraints import ClipWeights
from kerasgan.layers import (
    MinibatchDiscrimination,
    ReferenceBatch,
    ReferenceBatchNormalization,
    SpectralNormalization,
    VirtualBatchNormalization,
    spectral_normalize,
)


def _np(x):
    return np.asarray(ops.convert_to_numpy(x))


def _normal(shape, seed):
    return np.random.default_rng(seed).standard_normal(shape).astype("float32")


def _round_trip(model, tmp_path):
    path = tmp_path / "model.keras"
    model.save(path)
    return keras.saving.load_model(path)


# --------------------------------------------------------------------------
# MinibatchDiscrimination
# --------------------------------------------------------------------------
def _brute_force_minibatch_features(f, t, num_kernels, kernel_dim):
    m = (f.astype("float64") @ t).reshape(len(f), num_kernels, kernel_dim)
    o = np.zeros((len(f), num_kernels))
    for i in range(len(f)):
        for j in range(len(f)):
            if j != i:
                o[i] += np.exp(-np.abs(m[i] - m[j]).sum(axis=-1))
    return o


def test_minibatch_discrimination_matches_brute_force():
    layer = MinibatchDiscrimination(num_kernels=4, kernel_dim=3)
    f = _normal((5, 6), seed=1) * 0.3
    out = _np(layer(f))
    assert out.shape == (5, 6 + 4)
    np.testing.assert_allclose(out[:, :6], f)
    expected = _brute_force_minibatch_features(f, _np(layer.kernel), 4, 3)
    np.testing.assert_allclose(out[:, 6:], expected, rtol=1e-5, atol=1e-6)
    assert expected.min() > 1e-3  # the features are not trivially zero


def test_minibatch_features_depend_on_the_other_examples():
    layer = MinibatchDiscrimination(num_kernels=4, kernel_dim=3)
    f = _normal((5, 6), seed=1) * 0.3
    out = _np(layer(f))
    changed = f.copy()
    changed[3] += 0.5  # another example
    out_changed = _np(layer(changed))
    np.testing.assert_allclose(out_changed[0, :6], out[0, :6])
    assert np.abs(out_changed[0, 6:] - out[0, 6:]).min() > 1e-4
    # A batch of one has no other example: o = 0.
    np.testing.assert_array_equal(_np(layer(f[:1]))[0, 6:], np.zeros(4))


def _reference_minibatch_layer(f, theta, log_scale, b, num_kernels, kernel_dim):
    """openai/improved-gan's MinibatchLayer.get_output_for, in numpy."""
    w = theta.reshape(-1, num_kernels, kernel_dim)
    w = w * (np.exp(log_scale.reshape(num_kernels, kernel_dim)) / np.sqrt((w**2).sum(axis=0)))
    activation = np.tensordot(f.astype("float64"), w, [[1], [0]])  # (n, B, C)
    abs_dif = np.abs(activation[:, :, :, None] - activation.transpose(1, 2, 0)[None]).sum(axis=2)
    abs_dif = abs_dif + 1e6 * np.eye(len(f))[:, None, :]
    return np.exp(-abs_dif).sum(axis=2) + b[None]


def test_minibatch_discrimination_weight_norm_matches_the_reference_code(tmp_path):
    layer = MinibatchDiscrimination(num_kernels=4, kernel_dim=3, weight_norm=True)
    f = _normal((6, 5), seed=3)
    out = _np(layer(f))
    theta = _np(layer.kernel)
    assert abs(theta.std() - 0.05) < 0.02  # θ ~ N(0, 0.05)
    np.testing.assert_array_equal(_np(layer.bias), -np.ones(4))
    want = _reference_minibatch_layer(f, theta, _np(layer.log_scale), _np(layer.bias), 4, 3)
    np.testing.assert_allclose(out[:, 5:], want, rtol=1e-5, atol=1e-6)
    # The data-dependent initialisation: mean nearest-neighbour distance 2,
    # features centred on the batch, and the same formula afterwards.
    layer.initialize_from(f)
    d = np.abs(
        (f @ _np(layer.effective_kernel())).reshape(6, 1, 4, 3)
        - (f @ _np(layer.effective_kernel())).reshape(1, 6, 4, 3)
    ).sum(-1) + 1e6 * np.eye(6)[:, :, None]
    np.testing.assert_allclose(d.min(axis=1).mean(axis=0), 2.0, rtol=1e-4)
    out = _np(layer(f))
    np.testing.assert_allclose(out[:, 5:].mean(axis=0), 0.0, atol=1e-5)
    want = _reference_minibatch_layer(f, theta, _np(layer.log_scale), _np(layer.bias), 4, 3)
    np.testing.assert_allclose(out[:, 5:], want, rtol=1e-5, atol=1e-5)
    inputs = keras.Input((5,))
    model = keras.Model(inputs, keras.layers.Dense(1)(layer(inputs)))
    np.testing.assert_allclose(_np(_round_trip(model, tmp_path)(f)), _np(model(f)), rtol=1e-5, atol=1e-6)
    with pytest.raises(ValueError, match="initialisation of weight_norm=True"):
        MinibatchDiscrimination(4, 3).initialize_from(f)


def test_minibatch_discrimination_rejects_unflattened_inputs():
    with pytest.raises(ValueError, match=r"\(None, 4, 4, 8\).*Flatten"):
        MinibatchDiscrimination(5, 3)(keras.Input((4, 4, 8)))
    with pytest.raises(ValueError, match="num_kernels >= 1"):
        MinibatchDiscrimination(0, 3)


def test_minibatch_discrimination_keras_round_trip(tmp_path):
    inputs = keras.Input((6,))
    h = keras.layers.Dense(8)(inputs)
    h = MinibatchDiscrimination(num_kernels=5, kernel_dim=2)(h)
    model = keras.Model(inputs, keras.layers.Dense(1)(h))
    assert model.output_shape == (None, 1)
    x = _normal((7, 6), seed=2)
    loaded = _round_trip(model, tmp_path)
    np.testing.assert_allclose(_np(loaded(x)), _np(model(x)), rtol=1e-6, atol=1e-6)
    assert loaded.layers[2].get_config() == model.layers[2].get_config()


# --------------------------------------------------------------------------
# VirtualBatchNormalization / ReferenceBatchNormalization
# --------------------------------------------------------------------------
R = 4
NORMS = [VirtualBatchNormalization, ReferenceBatchNormalization]
SHAPES = [(6,), (3, 3, 2)]  # dense and convolutional activations


def _numpy_norm(cls, x, r, eps, gamma, beta):
    """Statistics over all axes but the last, from the definitions."""
    x = x.astype("float64")
    ref = x[:r]
    axes = tuple(range(x.ndim - 1))
    out = (x - ref.mean(axes)) / np.sqrt(ref.var(axes) + eps)
    if cls is VirtualBatchNormalization:
        for i in range(r, len(x)):
            # reference ∪ {x_i}: every example has as many positions, so pooling
            # the positions weights x_i by 1/(R+1) and the reference by R/(R+1).
            pooled = np.concatenate([ref, x[i : i + 1]])
            out[i] = (x[i] - pooled.mean(axes)) / np.sqrt(pooled.var(axes) + eps)
    return out * gamma + beta


def _randomized_norm(cls, shape, **kwargs):
    layer = cls(reference_size=R, **kwargs)
    layer.build((None, *shape))
    layer.gamma.assign(1.0 + 0.1 * _normal(layer.gamma.shape, seed=5))
    layer.beta.assign(0.1 * _normal(layer.beta.shape, seed=6))
    return layer


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("cls", NORMS)
def test_reference_norms_match_numpy(cls, shape):
    layer = _randomized_norm(cls, shape, epsilon=1e-3)
    x = 2.0 + 3.0 * _normal((R + 3, *shape), seed=3)
    expected = _numpy_norm(cls, x, R, 1e-3, _np(layer.gamma), _np(layer.beta))
    np.testing.assert_allclose(_np(layer(x)), expected, rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("cls", NORMS)
def test_output_does_not_depend_on_other_batch_members(cls, shape):
    layer = _randomized_norm(cls, shape)
    x = _normal((R + 4, *shape), seed=3)
    others = x.copy()
    others[R + 1 :] = 5.0 * _normal(others[R + 1 :].shape, seed=4) - 2.0
    out, out_others = _np(layer(x)), _np(layer(others))
    np.testing.assert_allclose(out_others[: R + 1], out[: R + 1], rtol=1e-5, atol=1e-5)
    # The batch size does not matter either.
    np.testing.assert_allclose(_np(layer(x[: R + 1])), out[: R + 1], rtol=1e-5, atol=1e-5)
    # The reference batch does.
    new_reference = x.copy()
    new_reference[:R] += 1.0
    assert np.abs(_np(layer(new_reference))[R] - out[R]).max() > 1e-2
    # Plain batch normalization's output does depend on the other examples.
    bn = keras.layers.BatchNormalization()
    delta = _np(bn(x, training=True))[R] - _np(bn(others, training=True))[R]
    assert np.abs(delta).max() > 1e-2


@pytest.mark.parametrize("cls", NORMS)
def test_feature_axis_can_be_channels_first(cls):
    last = _randomized_norm(cls, (3, 3, 2))
    first = cls(reference_size=R, axis=1)
    first.build((None, 2, 3, 3))
    first.set_weights(last.get_weights())
    x = _normal((R + 2, 3, 3, 2), seed=3)
    out = _np(first(np.moveaxis(x, -1, 1)))
    np.testing.assert_allclose(np.moveaxis(out, 1, -1), _np(last(x)), rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("cls", NORMS)
def test_batch_without_examples_to_normalize_is_an_error(cls):
    layer = cls(reference_size=R)
    with pytest.raises(ValueError, match=f"batch of {R} rows.*reference_size={R}"):
        layer(_normal((R, 6), seed=0))


def _reference_batch_model(reference):
    net_in = keras.Input((6,))
    h = keras.layers.Dense(8)(net_in)
    h = VirtualBatchNormalization(reference_size=R)(h)
    h = keras.layers.Reshape((2, 2, 2))(keras.layers.ReLU()(h))
    h = ReferenceBatchNormalization(reference_size=R)(h)
    net = keras.Model(net_in, keras.layers.Dense(3)(keras.layers.Flatten()(h)))
    inputs = keras.Input((6,))
    return keras.Model(inputs, ReferenceBatch(net, reference=reference)(inputs)), net


def test_reference_batch_wrapper_trains_and_persists_its_reference(tmp_path):
    reference = _normal((R, 6), seed=7)
    model, net = _reference_batch_model(reference)
    x = _normal((5, 6), seed=8)
    out = _np(model(x))
    assert out.shape == (5, 3)
    expected = _np(net(np.concatenate([reference, x])))[R:]
    np.testing.assert_allclose(out, expected, rtol=1e-5, atol=1e-6)
    # Each example's output is independent of the rest of its batch.
    np.testing.assert_allclose(_np(model(x[2:3])), out[2:3], rtol=1e-5, atol=1e-5)

    model.compile(optimizer="sgd", loss="mse")
    model.fit(x, np.ones((5, 3), "float32"), batch_size=5, epochs=2, verbose=0)
    wrapper = model.layers[1]
    np.testing.assert_array_equal(_np(wrapper.reference), reference)
    assert not np.allclose(_np(model(x)), out)  # it trained

    loaded = _round_trip(model, tmp_path)
    np.testing.assert_array_equal(_np(loaded.layers[1].reference), reference)
    np.testing.assert_allclose(_np(loaded(x)), _np(model(x)), rtol=1e-6, atol=1e-6)
    norms = [layer for layer in loaded.layers[1].network.layers if "normalization" in layer.name]
    assert [type(layer) for layer in norms] == NORMS
    assert all(layer.reference_size == R for layer in norms)


def test_reference_batch_checks_sizes():
    _, net = _reference_batch_model(_normal((R, 6), seed=7))
    with pytest.raises(ValueError, match=f"reference_size={R}.*3 rows"):
        ReferenceBatch(net, reference=_normal((3, 6), seed=7))
    with pytest.raises(ValueError, match=r"\(None, 5\) do not match"):
        ReferenceBatch(net, reference=_normal((R, 6), seed=7))(keras.Input((5,)))


# --------------------------------------------------------------------------
# SpectralNormalization
# --------------------------------------------------------------------------
SN_LAYERS = {
    "dense": (lambda: keras.layers.Dense(5), (7,)),
    "conv2d": (lambda: keras.layers.Conv2D(4, 3, strides=2, padding="same"), (6, 6, 3)),
    "conv2d_transpose": (
        lambda: keras.layers.Conv2DTranspose(4, 3, strides=2, padding="same"),
        (3, 3, 2),
    ),
}


def _kernel_matrix(kernel, transpose):
    kernel = np.swapaxes(kernel, -1, -2) if transpose else kernel
    return kernel.reshape(-1, kernel.shape[-1])


def _largest_singular_value(kernel, transpose=False):
    return np.linalg.svd(_kernel_matrix(kernel, transpose), compute_uv=False)[0]


def _numpy_power_iteration(w, u, steps):
    w, u = w.astype("float64"), u.astype("float64")
    u = u / np.linalg.norm(u)
    for _ in range(steps):
        v = w @ u
        v /= np.linalg.norm(v)
        u = w.T @ v
        u /= np.linalg.norm(u)
    return u


def _scaled_sn(make, shape, factor=4.0):
    sn = SpectralNormalization(make())
    sn.build((None, *shape))
    sn.layer.kernel.assign(_np(sn.layer.kernel) * factor)
    return sn


@pytest.mark.parametrize("name", list(SN_LAYERS))
def test_spectral_norm_of_normalized_kernel_converges_to_one(name):
    make, shape = SN_LAYERS[name]
    transpose = name == "conv2d_transpose"
    sn = _scaled_sn(make, shape)
    raw = _np(sn.layer.kernel)
    assert _largest_singular_value(raw, transpose) > 1.5
    x = _normal((2, *shape), seed=1)
    for _ in range(30):
        y = sn(x, training=True)
    np.testing.assert_array_equal(_np(sn.layer.kernel), raw)  # never overwritten
    w_sn = _np(sn.normalized_kernel())
    np.testing.assert_allclose(_largest_singular_value(w_sn, transpose), 1.0, rtol=1e-3)
    # The forward pass is the wrapped layer's with W / sigma.
    reference = make()
    reference.build((None, *shape))
    reference.set_weights([w_sn, _np(sn.layer.bias)])
    np.testing.assert_allclose(_np(y), _np(reference(x)), rtol=1e-3, atol=1e-5)
    np.testing.assert_allclose(_np(sn(x)), _np(reference(x)), rtol=1e-4, atol=1e-5)


def _sn_dense_model():
    inputs = keras.Input((7,))
    sn = SpectralNormalization(keras.layers.Dense(5))
    model = keras.Model(inputs, sn(inputs))
    sn.layer.kernel.assign(_np(sn.layer.kernel) * 4.0)
    return model, sn


def test_u_persists_through_fit_and_the_kernel_is_not_overwritten():
    x, y = _normal((16, 7), seed=1), _normal((16, 5), seed=2)
    # Learning rate 0: the kernel is fixed, so u after 4 steps is 4 power iterations.
    model, sn = _sn_dense_model()
    raw, u0 = _np(sn.layer.kernel), _np(sn.u)
    model.compile(optimizer=keras.optimizers.SGD(0.0), loss="mse")
    model.fit(x, y, batch_size=8, epochs=2, shuffle=False, verbose=0)
    np.testing.assert_array_equal(_np(sn.layer.kernel), raw)
    np.testing.assert_allclose(_np(sn.u), _numpy_power_iteration(raw, u0, 4), atol=1e-5)

    model, sn = _sn_dense_model()
    raw, u0 = _np(sn.layer.kernel), _np(sn.u)
    model.compile(optimizer="sgd", loss="mse")
    model.fit(x, y, batch_size=8, epochs=2, verbose=0)
    trained, u_fit = _np(sn.layer.kernel), _np(sn.u)
    assert not np.allclose(trained, raw) and not np.allclose(u_fit, u0)
    # The stored kernel is the raw W (sigma ~ 4x), not W / sigma.
    assert _largest_singular_value(trained) > 2.0
    # Continued training-mode calls go on from the u that fit left.
    for _ in range(3):
        sn(x, training=True)
    np.testing.assert_allclose(_np(sn.u), _numpy_power_iteration(trained, u_fit, 3), atol=1e-5)


U = _normal((3,), seed=11)


def _numpy_normalized_sum(w, weights, u, v):
    return np.sum(weights * w / (v @ w @ u))


@pytest.mark.parametrize("power_iterations", [1, 100])
def test_gradient_flows_through_sigma(power_iterations):
    w = _normal((5, 3), seed=12)
    weights = _normal((5, 3), seed=13)

    def weighted_normalized(w):
        normalized, _, _ = spectral_normalize(w, U, power_iterations=power_iterations)
        return ops.multiply(normalized, weights)

    _, grad = kerasgan.engine.backend.get().input_gradient(weighted_normalized, w)
    grad = _np(grad)

    # u and v are constants (u from the power iteration, v the iteration's last v).
    w64, weights64 = w.astype("float64"), weights.astype("float64")
    u_prev = _numpy_power_iteration(w64, U, power_iterations - 1)
    v = w64 @ u_prev / np.linalg.norm(w64 @ u_prev)
    u = _numpy_power_iteration(w64, U, power_iterations)
    h = 1e-6
    finite_difference = np.zeros_like(w64)
    for index in np.ndindex(*w.shape):
        step = np.zeros_like(w64)
        step[index] = h
        finite_difference[index] = (
            _numpy_normalized_sum(w64 + step, weights64, u, v)
            - _numpy_normalized_sum(w64 - step, weights64, u, v)
        ) / (2 * h)
    np.testing.assert_allclose(grad, finite_difference, rtol=1e-3, atol=1e-4)
    # With sigma treated as a constant the gradient would be weights / sigma.
    sigma = v @ w64 @ u
    assert np.abs(grad - weights64 / sigma).max() > 1e-2

    if power_iterations == 100:  # converged: the gradient of W / sigma_max(W)
        def exact(w):
            return np.sum(weights64 * w / np.linalg.svd(w, compute_uv=False)[0])

        for index in [(0, 0), (2, 1), (4, 2)]:
            step = np.zeros_like(w64)
            step[index] = h
            numeric = (exact(w64 + step) - exact(w64 - step)) / (2 * h)
            np.testing.assert_allclose(grad[index], numeric, rtol=1e-3, atol=1e-4)


def test_spectral_normalization_keras_round_trip(tmp_path):
    inputs = keras.Input((6, 6, 3))
    h = SpectralNormalization(keras.layers.Conv2D(4, 3, strides=2), power_iterations=2)(inputs)
    h = keras.layers.Flatten()(keras.layers.LeakyReLU(0.2)(h))
    model = keras.Model(inputs, SpectralNormalization(keras.layers.Dense(1))(h))
    x = _normal((3, 6, 6, 3), seed=1)
    for _ in range(3):
        model(x, training=True)
    loaded = _round_trip(model, tmp_path)
    np.testing.assert_allclose(_np(loaded(x)), _np(model(x)), rtol=1e-6, atol=1e-6)
    assert loaded.layers[1].power_iterations == 2
    np.testing.assert_array_equal(_np(loaded.layers[1].u), _np(model.layers[1].u))


def test_zero_kernel_gives_zero_kernel_not_nan():
    sn = SpectralNormalization(keras.layers.Dense(3, kernel_initializer="zeros"))
    out = _np(sn(_normal((2, 4), seed=1), training=True))
    np.testing.assert_array_equal(out, np.zeros((2, 3)))
    np.testing.assert_allclose(np.linalg.norm(_np(sn.u)), 1.0, rtol=1e-5)


def test_spectral_normalization_rejects_unsupported_layers():
    with pytest.raises(ValueError, match="Embedding"):
        SpectralNormalization(keras.layers.Embedding(10, 4))
    with pytest.raises(ValueError, match="power_iterations >= 1"):
        SpectralNormalization(keras.layers.Dense(3), power_iterations=0)


# --------------------------------------------------------------------------
# ClipWeights
# --------------------------------------------------------------------------
def test_clip_weights_clips_and_serializes():
    w = _normal((4, 5), seed=1)
    np.testing.assert_array_equal(_np(ClipWeights(0.5)(w)), np.clip(w, -0.5, 0.5))
    clip = keras.constraints.deserialize(keras.constraints.serialize(ClipWeights(0.03)))
    assert isinstance(clip, ClipWeights) and clip.clip_value == 0.03
    assert ClipWeights.from_config(ClipWeights(0.2).get_config()).clip_value == 0.2
    for bad in (0, -0.01):
        with pytest.raises(ValueError, match=f"clip_value > 0; got {bad}"):
            ClipWeights(bad)


def test_optimizer_keeps_clipped_weights_within_bounds():
    clip = ClipWeights(0.01)
    inputs = keras.Input((4,))
    model = keras.Model(
        inputs, keras.layers.Dense(3, kernel_constraint=clip, bias_constraint=clip)(inputs)
    )
    model.compile(optimizer=keras.optimizers.SGD(10.0), loss="mse")
    model.fit(_normal((16, 4), seed=1), 10.0 * _normal((16, 3), seed=2), epochs=2, verbose=0)
    kernel, bias = model.get_weights()
    assert np.abs(kernel).max() <= 0.01 + 1e-7 and np.abs(bias).max() <= 0.01 + 1e-7
    assert np.isclose(np.abs(kernel).max(), 0.01)  # the update hit the bound


# --------------------------------------------------------------------------
# RandomFourierFeatures
# --------------------------------------------------------------------------
def test_random_fourier_features_match_numpy_and_round_trip(tmp_path):
    from kerasgan.layers import RandomFourierFeatures

    x = _normal((16, 3), 0)
    model = keras.Sequential([keras.Input((3,)), RandomFourierFeatures(5, scale=2.0, seed=1)])
    frequencies = _np(model.layers[0].frequencies)
    assert frequencies.shape == (3, 5) and not model.layers[0].trainable_weights
    expected = np.concatenate([np.sin(x @ frequencies), np.cos(x @ frequencies)], axis=-1)
    np.testing.assert_allclose(_np(model(x)), expected, rtol=1e-5, atol=1e-5)
    # B's draw follows its standard deviation, and the seed fixes it.
    wide = RandomFourierFeatures(4000, scale=10.0, seed=2)
    wide.build((None, 2))
    assert abs(_np(wide.frequencies).std() - 10.0) < 0.3
    again = RandomFourierFeatures(5, scale=2.0, seed=1)
    again.build((None, 3))
    np.testing.assert_array_equal(_np(again.frequencies), frequencies)
    restored = _round_trip(model, tmp_path)
    np.testing.assert_allclose(_np(restored(x)), _np(model(x)), rtol=1e-6)
    assert restored.layers[0].get_config()["scale"] == 2.0
    for bad in ({"features": 0}, {"features": 2.5}, {"features": 4, "scale": 0.0}, {"features": 4, "scale": "1"},
                {"features": 4, "scale": float("inf")}, {"features": 4, "seed": "0"}):
        with pytest.raises(ValueError, match="RandomFourierFeatures needs"):
            RandomFourierFeatures(**bad)


def test_random_fourier_features_keep_float32_phases_under_mixed_precision():
    from kerasgan.layers import RandomFourierFeatures

    x = 3.0 * _normal((64, 2), 3)
    layer = RandomFourierFeatures(32, scale=10.0, seed=0)
    exact = _np(layer(x))
    previous = keras.config.dtype_policy()
    try:
        keras.config.set_dtype_policy("mixed_float16")
        mixed = RandomFourierFeatures(32, scale=10.0, seed=0)
        out = mixed(x)
    finally:
        keras.config.set_dtype_policy(previous)
    # float32 throughout (16-bit inputs and phases of ~100 would be off by up to 0.1).
    assert keras.backend.standardize_dtype(out.dtype) == "float32"
    assert _np(mixed.frequencies).dtype == np.float32
    np.testing.assert_allclose(_np(out), exact, rtol=1e-5, atol=1e-5)
