"""Image-to-image translation layers and networks (CycleGAN, StarGAN, pix2pix).

ReflectionPadding2D, InstanceNormalization and ImagePool against plain numpy
implementations, the ImagePool state in `.keras` files, and the ResNet
generator and PatchGAN / StarGAN discriminators' shapes, receptive field and
argument errors. Runs under whichever backend KERAS_BACKEND selects
(tensorflow, jax, torch).
"""

import keras
import numpy as np
import pytest
from keras import ops

import autodiff

from kerasgan.layers import ImagePool, InstanceNormalization, ReflectionPadding2D, pool_step
from kerasgan.nets import (
    patchgan_discriminator,
    patchgan_receptive_field,
    resnet_generator,
    stargan_discriminator,
)


def _np(x):
    return np.asarray(ops.convert_to_numpy(x))


def _normal(shape, seed):
    return np.random.default_rng(seed).standard_normal(shape).astype("float32")


def _compiled(fn):
    """`fn` compiled the way the backend's trainer compiles a step (torch: eager)."""
    backend = keras.backend.backend()
    if backend == "tensorflow":
        import tensorflow as tf

        return tf.function(fn, jit_compile=True)
    if backend == "jax":
        import jax

        return jax.jit(fn)
    return fn


_gradient = autodiff.gradient


def _config_round_trip(layer):
    clone = type(layer).from_config(layer.get_config())
    assert clone.get_config() == layer.get_config()
    return clone


# --------------------------------------------------------------------------
# ReflectionPadding2D
# --------------------------------------------------------------------------
@pytest.mark.parametrize("padding", [1, 3, (2, 1), (0, 4)])
def test_reflection_padding_matches_numpy(padding):
    x = _normal((2, 4, 5, 3), seed=1)
    layer = ReflectionPadding2D(padding)
    y = _np(layer(x))
    ph, pw = (padding, padding) if isinstance(padding, int) else padding
    expected = np.pad(x, [(0, 0), (ph, ph), (pw, pw), (0, 0)], mode="reflect")
    np.testing.assert_array_equal(y, expected)
    assert layer.compute_output_shape((None, 4, 5, 3)) == (None, 4 + 2 * ph, 5 + 2 * pw, 3)
    assert _config_round_trip(layer).padding == (ph, pw)


def test_reflection_padding_must_be_smaller_than_the_size():
    with pytest.raises(ValueError, match="smaller than the size.*padding 4 for height 4"):
        ReflectionPadding2D(4)(np.zeros((1, 4, 8, 1), "float32"))
    with pytest.raises(ValueError, match="padding 2 for width 2"):
        ReflectionPadding2D((1, 2))(keras.Input((8, 2, 1)))
    for bad in (-1, (1, 2, 3), "a", 1.5):
        with pytest.raises(ValueError, match="padding must be"):
            ReflectionPadding2D(bad)


# --------------------------------------------------------------------------
# InstanceNormalization
# --------------------------------------------------------------------------
@pytest.mark.parametrize("affine", [False, True])
def test_instance_normalization_matches_numpy(affine):
    x = _normal((3, 5, 4, 6), seed=2) * 3.0 + 1.5
    layer = InstanceNormalization(epsilon=1e-5, center=affine, scale=affine)
    layer.build(x.shape)
    if affine:
        layer.gamma.assign(_normal((6,), seed=3))
        layer.beta.assign(_normal((6,), seed=4))
    y = _np(layer(x))
    x64 = x.astype("float64")
    mean = x64.mean(axis=(1, 2), keepdims=True)
    var = x64.var(axis=(1, 2), keepdims=True)  # biased, as torch.nn.InstanceNorm2d
    expected = (x64 - mean) / np.sqrt(var + 1e-5)
    if affine:
        expected = expected * _np(layer.gamma) + _np(layer.beta)
    np.testing.assert_allclose(y, expected, rtol=1e-4, atol=1e-4)
    assert len(layer.trainable_weights) == (2 if affine else 0)
    clone = _config_round_trip(layer)
    assert (clone.center, clone.scale, clone.epsilon) == (affine, affine, 1e-5)


# --------------------------------------------------------------------------
# ImagePool: pool_step against the reference algorithm (CycleGAN util/image_pool.py)
# --------------------------------------------------------------------------
def _reference_query(stored, pool_size, fakes, uniforms, indices):
    """The official `ImagePool.query`, with its random draws given.

    `stored` is the list of stored images (modified in place)."""
    returned = []
    for image, u, index in zip(fakes, uniforms, indices):
        if len(stored) < pool_size:
            stored.append(image.copy())
            returned.append(image)
        elif u > 0.5:
            previous = stored[index].copy()
            stored[index] = image.copy()
            returned.append(previous)
        else:
            returned.append(image)
    return np.stack(returned)


def _check_pool_step(stored, pool_size, fakes, uniforms, indices, step=None):
    step = step or (lambda *args: pool_step(*args, pool_size))
    image_shape = fakes.shape[1:]
    images = np.zeros((pool_size, *image_shape), "float32")
    if stored:
        images[: len(stored)] = np.stack(stored)
    count = len(stored)
    returned, new_images, new_count = step(
        images, np.int32(count), fakes, uniforms.astype("float32"), indices.astype("int32")
    )
    expected = _reference_query(stored, pool_size, fakes, uniforms, indices)
    np.testing.assert_array_equal(_np(returned), expected)
    assert int(_np(new_count)) == len(stored)
    np.testing.assert_array_equal(_np(new_images)[: len(stored)], np.stack(stored))
    return expected


def _distinct_images(n, start=0, shape=(2, 3, 1)):
    """Images whose every pixel is their index, so sources are easy to tell apart."""
    return np.stack([np.full(shape, start + i, "float32") for i in range(n)])


def test_pool_step_fills_an_empty_pool():
    fakes = _distinct_images(3)
    out = _check_pool_step([], 5, fakes, np.array([0.9, 0.9, 0.9]), np.array([0, 1, 2]))
    np.testing.assert_array_equal(out, fakes)


def test_pool_step_pool_becomes_full_in_the_middle_of_a_batch():
    stored = list(_distinct_images(3, start=100))
    fakes = _distinct_images(4)
    # Images 0 and 1 fill slots 3 and 4; image 2 swaps with slot 3 (image 0,
    # stored by this very batch); image 3 keeps itself (u <= 0.5).
    out = _check_pool_step(stored, 5, fakes, np.array([0.1, 0.2, 0.8, 0.5]), np.array([0, 0, 3, 1]))
    assert [o[0, 0, 0] for o in out] == [0, 1, 0, 3]


def test_pool_step_two_images_pick_the_same_slot():
    stored = list(_distinct_images(4, start=100))
    fakes = _distinct_images(4)
    # Images 0 and 2 both swap with slot 1: image 2 gets image 0 back.
    out = _check_pool_step(stored, 4, fakes, np.array([0.9, 0.3, 0.7, 0.6]), np.array([1, 1, 1, 3]))
    assert [o[0, 0, 0] for o in out] == [101, 1, 0, 103]


def test_pool_step_matches_the_reference_over_many_random_queries():
    rng = np.random.default_rng(5)
    pool_size, stored = 4, []
    step = _compiled(lambda *args: pool_step(*args, pool_size=pool_size))
    for k in range(8):
        fakes = rng.standard_normal((3, 2, 2, 2)).astype("float32")
        uniforms = rng.uniform(size=3)
        indices = rng.integers(0, pool_size, size=3)
        _check_pool_step(stored, pool_size, fakes, uniforms, indices, step=step)
    assert len(stored) == pool_size


# --------------------------------------------------------------------------
# ImagePool layer
# --------------------------------------------------------------------------
def _run_pool(pool, fakes, compiled=None):
    """Calls the pool in training, updating its variables (the JAX way: stateless_call)."""
    if keras.backend.backend() != "jax" or compiled is None:
        return _np((compiled or pool)(fakes))
    values = [v.value for v in pool.non_trainable_variables]
    returned, values = compiled(values, fakes)
    for variable, value in zip(pool.non_trainable_variables, values):
        variable.assign(value)
    return _np(returned)


def _pool_compiled(pool):
    if keras.backend.backend() == "jax":
        return _compiled(lambda values, x: pool.stateless_call([], values, x, training=True))
    return _compiled(lambda x: pool(x, training=True))


def _sorted_rows(images):
    rows = images.reshape(len(images), -1)
    return rows[np.lexsort(rows.T[::-1])]


@pytest.mark.parametrize("compiled", [False, True], ids=["eager", "compiled"])
def test_image_pool_layer_end_to_end(compiled):
    pool = ImagePool(pool_size=4, seed=3)
    pool.build((None, 2, 3, 1))
    run = _pool_compiled(pool) if compiled else None
    first = _distinct_images(3)
    np.testing.assert_array_equal(_run_pool(pool, first, run), first)  # not full: pass through
    assert int(_np(pool.count)) == 3
    np.testing.assert_array_equal(_np(pool.images)[:3], first)
    fakes = _distinct_images(3, start=10)
    out = _run_pool(pool, fakes, run)
    assert int(_np(pool.count)) == 4
    np.testing.assert_array_equal(out[0], fakes[0])  # fills the last slot
    swaps = 0
    for k in range(6):
        fakes = _distinct_images(3, start=100 + 10 * k)
        before = _np(pool.images)
        out = _run_pool(pool, fakes, run)
        assert int(_np(pool.count)) == 4
        # Full pool: nothing lost or duplicated, pool + returned = old pool + incoming.
        np.testing.assert_array_equal(
            _sorted_rows(np.concatenate([_np(pool.images), out])),
            _sorted_rows(np.concatenate([before, fakes])),
        )
        swaps += int(np.sum(np.any(out != fakes, axis=(1, 2, 3))))
    assert 0 < swaps < 18  # each of the 18 images swapped with p = 0.5
    # Inference passes the fakes through and leaves the state alone.
    state = [_np(v) for v in pool.non_trainable_variables]
    fakes = _distinct_images(3, start=500)
    np.testing.assert_array_equal(_np(pool(fakes, training=False)), fakes)
    for variable, value in zip(pool.non_trainable_variables, state):
        np.testing.assert_array_equal(_np(variable), value)


def test_image_pool_returns_constants():
    pool = ImagePool(pool_size=2, seed=0)
    x = _normal((3, 2, 2, 1), seed=6)
    pool.build(x.shape)
    if keras.backend.backend() == "jax":
        values = [v.value for v in pool.non_trainable_variables]
        fn = lambda x: pool.stateless_call([], values, x, training=True)[0]  # noqa: E731
    else:
        fn = pool
    np.testing.assert_array_equal(_gradient(fn, x), np.zeros_like(x))


def test_image_pool_state_survives_a_keras_round_trip(tmp_path):
    x = keras.Input((2, 3, 1))
    model = keras.Model(x, ImagePool(pool_size=3, seed=2, name="pool")(x))
    model(_distinct_images(2), training=True)
    model(_distinct_images(2, start=10), training=True)
    path = tmp_path / "pool.keras"
    model.save(path)
    loaded = keras.saving.load_model(path)
    pool, loaded_pool = model.get_layer("pool"), loaded.get_layer("pool")
    assert isinstance(loaded_pool, ImagePool) and loaded_pool.pool_size == 3
    assert int(_np(loaded_pool.count)) == 3
    assert len(loaded_pool.non_trainable_variables) == len(pool.non_trainable_variables) == 3
    for a, b in zip(pool.non_trainable_variables, loaded_pool.non_trainable_variables):
        np.testing.assert_array_equal(_np(a), _np(b))
    # The seed generator's state came along: both draw the same from here on.
    fakes = _distinct_images(2, start=20)
    np.testing.assert_array_equal(
        _np(model(fakes, training=True)), _np(loaded(fakes, training=True))
    )
    np.testing.assert_array_equal(_np(model.predict(fakes, verbose=0)), fakes)
    assert _config_round_trip(pool).pool_size == 3


def test_image_pool_batch_size_may_change():
    pool = ImagePool(pool_size=3, seed=1)
    pool.build((None, 2, 3, 1))
    call = lambda x: pool(x, training=True)  # noqa: E731
    if keras.backend.backend() == "tensorflow":
        import tensorflow as tf

        # An unknown batch size, as the TensorFlow trainer traces a dataset's batches.
        call = tf.function(call, input_signature=[tf.TensorSpec((None, 2, 3, 1))])
    for n, start in ((2, 0), (1, 10), (3, 20)):
        assert _np(call(_distinct_images(n, start=start))).shape == (n, 2, 3, 1)
    assert int(_np(pool.count)) == 3


@pytest.mark.parametrize("pool_size", [0, -1, "a", 2.5, True, None])
def test_image_pool_rejects_bad_pool_sizes(pool_size):
    with pytest.raises(ValueError, match="integer pool_size >= 1"):
        ImagePool(pool_size=pool_size)


def test_image_pool_needs_a_known_image_shape():
    with pytest.raises(ValueError, match="known image shape"):
        ImagePool(2).build((None, None, 4, 1))


# --------------------------------------------------------------------------
# Networks
# --------------------------------------------------------------------------
@pytest.mark.parametrize("shape", [(28, 28, 1), (32, 32, 3)])
def test_network_shapes(shape):
    x = _normal((2, *shape), seed=7)
    g = resnet_generator(shape, filters=4, residual_blocks=2)
    assert g.output_shape == (None, *shape)
    y = g.predict(x, verbose=0)
    assert y.shape == x.shape and np.abs(y).max() <= 1.0
    assert not g.get_layer("in_norm").weights  # CycleGAN: affine-free instance norm

    c = resnet_generator(
        shape, filters=4, residual_blocks=1, condition_dim=3, normalization="instance_affine"
    )
    assert [tuple(i.shape) for i in c.inputs] == [(None, *shape), (None, 3)]
    assert c.predict([x, np.eye(3, dtype="float32")[:2]], verbose=0).shape == x.shape
    assert len(c.get_layer("in_norm").weights) == 2

    side = 1 if shape[0] == 28 else 2  # ⌊size / 8⌋ - 2
    d = patchgan_discriminator(shape, filters=4)
    assert d.output_shape == (None, side, side, 1)
    assert d.predict(x, verbose=0).shape == (2, side, side, 1)

    s = stargan_discriminator(shape, num_domains=5, filters=4)
    convs = [layer for layer in s.layers if layer.name.startswith("block_") and layer.name.endswith("_conv")]
    assert len(convs) == (4 if shape[0] == 28 else 5)
    source, domains = s.predict(x, verbose=0)
    assert source.shape == (2, 1, 1, 1) and domains.shape == (2, 5)


def test_network_variants_shapes():
    plain = resnet_generator((28, 28, 1), filters=2, residual_blocks=1, normalization=None)
    assert not any(isinstance(layer, InstanceNormalization) for layer in plain.layers)
    assert patchgan_discriminator((28, 30, 3), filters=2, layers=1).output_shape == (None, 12, 13, 1)
    s = stargan_discriminator((32, 32, 3), num_domains=2, filters=2, layers=2)
    assert [tuple(o) for o in s.output_shape] == [(None, 8, 8, 1), (None, 2)]


@pytest.mark.parametrize("downsamplings", [0, 1, 3])
def test_resnet_generator_downsamplings(downsamplings):
    # Each stride-2 convolution halves the map and doubles the channels; the
    # residual blocks work at 1/2**n of the image, the decoder brings it back.
    shape = (32, 32, 1)
    g = resnet_generator(shape, filters=2, residual_blocks=1, downsamplings=downsamplings)
    side, width = 32 // 2**downsamplings, 2 * 2**downsamplings
    assert g.get_layer("res_0_add").output.shape[1:] == (side, side, width)
    assert [layer.name for layer in g.layers
            if layer.name.startswith(("down_", "up_")) and layer.name.endswith("_conv")] == (
        [f"down_{i}_conv" for i in range(downsamplings)] + [f"up_{i}_conv" for i in range(downsamplings)]
    )
    assert [g.get_layer(f"up_{i}_conv").filters for i in range(downsamplings)] == [
        2 * 2 ** (downsamplings - 1 - i) for i in range(downsamplings)
    ]
    y = g.predict(_normal((2, *shape), seed=3), verbose=0)
    assert y.shape == (2, *shape) and np.abs(y).max() <= 1.0
    # The default is the paper's two, with the layer names published weights carry.
    default = resnet_generator(shape, filters=2, residual_blocks=1)
    assert default.get_layer("res_0_add").output.shape[1:] == (8, 8, 8)
    assert [(layer.name, layer.filters) for layer in default.layers
            if layer.name.startswith(("down_", "up_")) and layer.name.endswith("_conv")] == [
        ("down_0_conv", 4), ("down_1_conv", 8), ("up_0_conv", 4), ("up_1_conv", 2)]


def test_resnet_generator_downsamplings_need_a_divisible_size():
    with pytest.raises(ValueError, match=r"downsamplings=3 needs an image height and width divisible by 8"):
        resnet_generator((28, 28, 1), filters=2, downsamplings=3)
    with pytest.raises(ValueError, match="at least 16"):
        resnet_generator((12, 12, 1), filters=2)
    with pytest.raises(ValueError, match="downsamplings"):
        resnet_generator((28, 28, 1), filters=2, downsamplings=-1)


def test_patchgan_receptive_field():
    assert [patchgan_receptive_field(n) for n in (1, 2, 3, 4)] == [16, 34, 70, 142]
    # Numerically: the input pixels one score depends on (no normalization,
    # which would mix the whole image) form a 70×70 square on a 128×128 image.
    d = patchgan_discriminator((128, 128, 1), filters=2, normalization=None)
    assert d.output_shape == (None, 14, 14, 1)
    g = _gradient(lambda x: d(x)[:, 7, 7, :], _normal((1, 128, 128, 1), seed=8))
    rows, cols = np.nonzero(np.abs(g[0, :, :, 0]) > 0)
    assert (rows.min(), rows.max(), cols.min(), cols.max()) == (33, 102, 33, 102)


def _torch_conv_transpose(x, kernel, bias):
    """torch's ConvTranspose2d(kernel_size=3, stride=2, padding=1, output_padding=1),
    channels last, kernel `(3, 3, out, in)`: input (i, j) adds to outputs
    (2i - 1 + ki, 2j - 1 + kj) inside the 2H × 2W output."""
    n, height, width, _ = x.shape
    out = np.zeros((n, 2 * height, 2 * width, kernel.shape[2])) + bias
    for i in range(height):
        for j in range(width):
            for ki in range(3):
                for kj in range(3):
                    oi, oj = 2 * i - 1 + ki, 2 * j - 1 + kj
                    if 0 <= oi < 2 * height and 0 <= oj < 2 * width:
                        out[:, oi, oj] += x[:, i, j] @ kernel[ki, kj].T
    return out


def test_resnet_upsampling_matches_torch_conv_transpose():
    g = resnet_generator((16, 16, 1), filters=2, residual_blocks=0, normalization=None)
    conv = g.get_layer("up_0_conv")
    x = _normal((1, 4, 5, conv.kernel.shape[-1]), seed=9)
    y = _np(g.get_layer("up_0_crop")(conv(x)))
    expected = _torch_conv_transpose(x, _np(conv.kernel), _np(conv.bias))
    np.testing.assert_allclose(y, expected, rtol=1e-5, atol=1e-5)


def test_network_errors():
    with pytest.raises(ValueError, match="divisible by 4.*height 30"):
        resnet_generator((30, 30, 3))
    with pytest.raises(ValueError, match="at least 16"):
        resnet_generator((12, 12, 1))
    with pytest.raises(ValueError, match="normalization must be"):
        resnet_generator((28, 28, 1), normalization="layer")
    with pytest.raises(ValueError, match=r"too small for layers=3.*0×0.*at most layers=2"):
        patchgan_discriminator((16, 16, 3))
    with pytest.raises(ValueError, match="layers must be an integer >= 1"):
        patchgan_receptive_field(0)
    with pytest.raises(ValueError, match=r"too small for layers=6.*at most layers=4"):
        stargan_discriminator((28, 28, 1), num_domains=3, layers=6)
    with pytest.raises(ValueError, match="num_domains must be an integer >= 1"):
        stargan_discriminator((28, 28, 1), num_domains=0)
