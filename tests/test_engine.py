"""The adversarial engine: players, schedules, state, losses and errors."""

import keras
import numpy as np
import pytest
from keras import ops

import kerasgan
from conftest import random_images
from conftest import small_dcgan


# ---------------------------------------------------------------- networks
@pytest.mark.parametrize(
    "shape,base,steps", [((28, 28, 1), 7, 2), ((32, 32, 3), 4, 3), ((64, 64, 3), 4, 4)]
)
def test_dcgan_shapes_and_dtypes(shape, base, steps):
    model = small_dcgan(shape)
    assert kerasgan.nets.dcgan.dcgan_base_size(shape) == (base, steps)
    samples = model.generate(3, seed=0)
    assert samples.shape == (3, *shape) and samples.dtype == np.float32
    assert samples.min() >= -1.0 and samples.max() <= 1.0
    out = model.discriminator(ops.convert_to_tensor(samples))
    assert tuple(out.shape) == (3, 1)
    assert tuple(model(ops.zeros((2, model.latent_dim))).shape) == (2, *shape)


def test_dcgan64_matches_the_paper_architecture():
    """ngf = ndf = 64, nz = 100: the parameter counts of the classic DCGAN-64."""
    model = kerasgan.models.DCGAN(image_shape=(64, 64, 3))
    g_layers = [l for l in model.generator.layers if "upsample" in l.name]
    assert [l.filters for l in g_layers] == [256, 128, 64, 3]
    assert model.generator.get_layer("reshape").output.shape[1:] == (4, 4, 512)
    d_convs = [l for l in model.discriminator.layers if l.name.startswith("conv_")]
    assert [l.filters for l in d_convs] == [64, 128, 256, 512]
    # The reference DCGAN-64 (the PyTorch example; no biases) has 3,576,704
    # generator and 2,765,568 discriminator parameters, batch norm included.
    assert sum(int(np.prod(v.shape)) for v in model.generator.trainable_variables) == 3_576_704
    assert sum(int(np.prod(v.shape)) for v in model.discriminator.trainable_variables) == 2_765_568


def test_gan_mlp_matches_the_paper():
    model = kerasgan.models.GAN(data_shape=(28, 28, 1))
    dense = [l for l in model.generator.layers if isinstance(l, keras.layers.Dense)]
    assert [l.units for l in dense] == [1200, 1200, 784]
    maxouts = [l for l in model.discriminator.layers if isinstance(l, kerasgan.layers.Maxout)]
    assert [(l.units, l.pieces) for l in maxouts] == [(240, 5), (240, 5)]
    assert model.generate(2, seed=0).shape == (2, 28, 28, 1)


def test_maxout_is_max_over_pieces():
    layer = kerasgan.layers.Maxout(units=3, pieces=4)
    x = np.random.default_rng(0).standard_normal((5, 6)).astype("float32")
    y = ops.convert_to_numpy(layer(x))
    affine = x @ layer.kernel.numpy() + layer.bias.numpy()
    np.testing.assert_allclose(y, affine.reshape(5, 3, 4).max(-1), rtol=1e-5, atol=1e-5)
    restored = kerasgan.layers.Maxout.from_config(layer.get_config())
    assert (restored.units, restored.pieces) == (3, 4)


# ---------------------------------------------------------------- training state
def _fit(model, x, **kwargs):
    kwargs.setdefault("batch_size", 32)
    kwargs.setdefault("epochs", 1)
    kwargs.setdefault("verbose", 0)
    return model.fit(x, **kwargs)


def test_one_fit_updates_every_piece_of_state():
    """Both nets, both optimizers, BN statistics, RNG state and metrics move."""
    model = small_dcgan()
    model.compile()
    before = {v.path: v.numpy().copy() for v in model.variables}
    seed_before = model.seed_generator.state.numpy().copy()
    history = _fit(model, random_images(64))
    after = {v.path: v.numpy() for v in model.variables}
    changed = {p for p in before if not np.array_equal(before[p], after[p])}
    for net in (model.generator, model.discriminator):
        for v in net.trainable_variables:
            assert v.path in changed, f"{v.path} was not trained"
        for v in net.non_trainable_variables:  # BN moving statistics
            assert v.path in changed, f"{v.path} was not updated"
    assert not np.array_equal(seed_before, model.seed_generator.state.numpy())
    for player in ("generator", "discriminator"):
        optimizer = model.player_optimizer(player)
        assert int(optimizer.iterations.numpy()) == 2
        moments = [v.numpy() for v in optimizer.variables if "momentum" in v.path]
        assert moments and all(np.abs(m).sum() > 0 for m in moments)
    assert set(history.history) == {"d_loss", "g_loss", "d_real", "d_fake"}
    for values in history.history.values():
        assert np.isfinite(values).all()
    assert 0.0 < history.history["d_real"][0] < 1.0


def test_k_discriminator_steps_per_generator_step():
    """Algorithm 1: k D updates, each on its own minibatch, per G update."""
    model = small_dcgan(discriminator_steps=3)
    model.compile()
    _fit(model, random_images(96), batch_size=48)  # 2 iterations, m = 16
    assert int(model.player_optimizer("discriminator").iterations.numpy()) == 6
    assert int(model.player_optimizer("generator").iterations.numpy()) == 2
    parts = kerasgan.engine.split_batch(ops.arange(10), 3)
    assert [ops.convert_to_numpy(p).tolist() for p in parts] == [[0, 1, 2], [3, 4, 5], [6, 7, 8]]


@pytest.mark.parametrize("n, k, minimum", [(10, 3, 1), (3, 5, 1), (3, 2, 2), (7, 2, 4), (1, 1, 4), (8, 1, 2)])
def test_split_batch_against_a_plain_numpy_split(n, k, minimum):
    """k minibatches of m = max(n // k, minimum) samples: consecutive slices
    when they fit, else cycling through the batch (sample index mod n)."""
    m = max(n // k, minimum)
    expected = [[(i * m + j) % n for j in range(m)] for i in range(k)]
    parts = kerasgan.engine.split_batch(ops.arange(n), k, minimum)
    assert [ops.convert_to_numpy(p).tolist() for p in parts] == expected
    labels = kerasgan.engine.split_batch((ops.arange(n), ops.arange(n) * 10), k, minimum)
    assert [ops.convert_to_numpy(b).tolist() for _, b in labels] == [[10 * i for i in e] for e in expected]


@pytest.mark.parametrize("k, packing", [(5, 1), (2, 2)])
def test_a_last_batch_shorter_than_k_is_cycled_not_fatal(k, packing):
    """67 samples in batches of 32: the epoch's last batch has 3 samples,
    fewer than k minibatches of one pack each. Every backend cycles it
    instead of raising after a whole epoch or training on empty minibatches
    (NaN losses, NaN weights: what TensorFlow's graph did before)."""
    model = small_dcgan(discriminator_steps=k, packing=packing)
    model.compile()
    history = _fit(model, random_images(67), batch_size=32)  # 3 iterations
    assert int(model.player_optimizer("discriminator").iterations.numpy()) == 3 * k
    assert int(model.player_optimizer("generator").iterations.numpy()) == 3
    for values in history.history.values():
        assert np.isfinite(values).all()
    for w in model.generator.weights + model.discriminator.weights:
        assert np.isfinite(ops.convert_to_numpy(w)).all(), w.path


def test_generate_is_reproducible_from_a_seed():
    model = small_dcgan()
    a, b = model.generate(5, seed=3), model.generate(5, seed=3)
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, model.generate(5, seed=4))
    z = model.latent_noise(5, seed=3)
    np.testing.assert_allclose(model.generate(latent=z), a, atol=1e-6)


def _sequence(x):
    class Batches(keras.utils.PyDataset):
        def __len__(self):
            return len(x) // 32

        def __getitem__(self, i):
            return x[i * 32 : (i + 1) * 32]

    return Batches()


@pytest.mark.parametrize("kind", ["numpy", "tf.data", "PyDataset"])
def test_fit_accepts_numpy_tfdata_and_pydataset(kind):
    x = random_images(64)
    if kind == "tf.data":
        import tensorflow as tf

        data = tf.data.Dataset.from_tensor_slices(x).batch(32)
    elif kind == "PyDataset":
        data = _sequence(x)
    else:
        data = x
    model = small_dcgan()
    model.compile()
    model.fit(data, epochs=1, verbose=0, **({"batch_size": 32} if kind == "numpy" else {}))
    assert int(model.player_optimizer("generator").iterations.numpy()) == 2


# ---------------------------------------------------------------- losses
def _np_softplus(x):
    return np.logaddexp(0.0, x)


def test_losses_match_the_paper_formulas():
    rng = np.random.default_rng(0)
    real, fake = rng.standard_normal(16).astype("float32"), rng.standard_normal(16).astype("float32")
    sig = lambda l: 1 / (1 + np.exp(-l))  # noqa: E731
    d_expected = -np.mean(np.log(sig(real))) - np.mean(np.log(1 - sig(fake)))
    for name in ("minimax", "non_saturating"):
        loss = kerasgan.losses.get(name)
        np.testing.assert_allclose(
            float(loss.discriminator_loss(ops.array(real), ops.array(fake))), d_expected, rtol=1e-5
        )
    minimax = float(kerasgan.losses.get("minimax").generator_loss(ops.array(fake)))
    np.testing.assert_allclose(minimax, np.mean(np.log(1 - sig(fake))), rtol=1e-5)
    non_sat = float(kerasgan.losses.get("non_saturating").generator_loss(ops.array(fake)))
    np.testing.assert_allclose(non_sat, -np.mean(np.log(sig(fake))), rtol=1e-5)
    # One-sided label smoothing: real target 0.9, fake target stays 0.
    smooth = kerasgan.losses.get("non_saturating", label_smoothing=0.1)
    expected = np.mean(-(0.9 * np.log(sig(real)) + 0.1 * np.log(1 - sig(real)))) - np.mean(
        np.log(1 - sig(fake))
    )
    np.testing.assert_allclose(
        float(smooth.discriminator_loss(ops.array(real), ops.array(fake))), expected, rtol=1e-5
    )


def test_unknown_loss_name_lists_names_and_closest_match():
    with pytest.raises(ValueError, match=r"Unknown adversarial loss 'non_saturatng'.*minimax.*Did you mean 'non_saturating'"):
        kerasgan.losses.get("non_saturatng")
    model = small_dcgan()
    with pytest.raises(ValueError, match="Unknown adversarial loss"):
        model.compile(loss="wasserstien")
    with pytest.raises(ValueError, match=r"label_smoothing must be in \[0, 1\)"):
        kerasgan.losses.get("minimax", label_smoothing=1.5)


def test_compile_errors():
    model = small_dcgan()
    shared = keras.optimizers.Adam()
    with pytest.raises(ValueError, match="same optimizer object"):
        model.compile(generator_optimizer=shared, discriminator_optimizer=shared)
    with pytest.raises(ValueError, match="does not take 'optimizer'"):
        model.compile(optimizer="adam")
    with pytest.raises(RuntimeError, match="compile"):
        small_dcgan().fit(random_images(8), verbose=0)
    with pytest.raises(ValueError, match="discriminator_steps must be a positive integer"):
        small_dcgan(discriminator_steps=0)


# ---------------------------------------------------------------- bad input
def test_wrong_image_shape_is_a_clear_error():
    model = small_dcgan()
    model.compile()
    with pytest.raises(ValueError, match=r"Expected training samples of shape \(28, 28, 1\).*got an array of shape \(8, 32, 32, 3\)"):
        model.fit(random_images(8, (32, 32, 3)), verbose=0)
    with pytest.raises(ValueError, match=r"shape \(28, 28, 1\).*\(8, 28, 28\)"):
        model.fit(random_images(8, (28, 28)), verbose=0)


def test_values_outside_range_are_a_clear_error():
    model = small_dcgan()
    model.compile()
    x = (random_images(8) + 1.0) * 127.5
    with pytest.raises(ValueError, match=r"must lie in \[-1, 1\].*to_unit_range"):
        model.fit(x, verbose=0)
    x = random_images(8)
    x[0, 0, 0, 0] = np.nan
    with pytest.raises(ValueError, match="NaN or infinite"):
        model.fit(x, verbose=0)
    assert int(model.player_optimizer("generator").iterations.numpy()) == 0


def test_empty_list_and_labelled_data_are_clear_errors_and_unit_range_data_warns():
    model = small_dcgan()
    model.compile()
    with pytest.raises(ValueError, match=r"Training data is empty: got an array of shape \(0, 28, 28, 1\)"):
        model.fit(np.zeros((0, 28, 28, 1), "float32"), verbose=0)
    images = random_images(4)
    with pytest.raises(ValueError, match=r"Python list of 4 items; give a numpy array of shape \(n, 28, 28, 1\)") as info:
        model.fit(list(images), verbose=0)
    assert len(str(info.value)) < 400  # names the problem, does not print the data
    with pytest.raises(ValueError, match="not class-conditional and takes no labels"):
        model.fit(images, np.zeros(4, "int32"), verbose=0)
    assert int(model.player_optimizer("generator").iterations.numpy()) == 0
    with pytest.warns(UserWarning, match=r"lies in \[0\.0.*generates in \[-1, 1\].*x \* 2 - 1"):
        model.fit((images + 1.0) / 2.0, batch_size=4, epochs=1, verbose=0)


def test_negative_learning_rates_are_errors_and_zero_warns():
    for rate in (-1e-3, float("nan"), float("inf")):
        with pytest.raises(ValueError, match="generator_optimizer has learning rate .*must be a finite number > 0"):
            small_dcgan().compile(generator_optimizer=keras.optimizers.Adam(rate))
    with pytest.warns(UserWarning, match="generator_optimizer has learning rate 0: that player's weights will not"):
        small_dcgan().compile(generator_optimizer=keras.optimizers.Adam(0.0))
    schedule = keras.optimizers.schedules.ExponentialDecay(-2e-4, 100, 0.5)
    with pytest.raises(ValueError, match="discriminator_optimizer has learning rate -0.0002"):
        small_dcgan().compile(discriminator_optimizer=keras.optimizers.Adam(schedule))
    small_dcgan().compile(generator_optimizer=keras.optimizers.Adam(keras.optimizers.schedules.ExponentialDecay(2e-4, 100, 0.5)))


def test_generate_and_dcgan_arguments_are_checked():
    model = small_dcgan()
    for n in (2.5, 0, -3, "4", True):
        with pytest.raises(ValueError, match="whole number of samples >= 1"):
            model.generate(n)
    assert model.generate(np.int64(2), seed=0).shape == (2, 28, 28, 1)
    with pytest.raises(ValueError, match=r"image_shape is \(height, width, channels\).*got \(28, 28\)"):
        kerasgan.models.DCGAN(image_shape=(28, 28))


def test_nan_loss_stops_cleanly_and_keeps_the_last_good_state(tmp_path):
    """A diverging run stops at the first NaN; the last finite state survives."""
    model = small_dcgan()
    model.compile(
        generator_optimizer=keras.optimizers.SGD(1e-3),
        discriminator_optimizer=keras.optimizers.SGD(1e-3),
    )
    checkpoint = tmp_path / "ckpt.keras"
    x = random_images(64)
    model.fit(x, batch_size=32, epochs=1, verbose=0,
              callbacks=[kerasgan.callbacks.AtomicModelCheckpoint(checkpoint)])
    good = [v.numpy().copy() for v in model.variables]
    saved_bytes = checkpoint.read_bytes()
    # Now diverge: a huge learning rate overflows the weights to inf/NaN.
    model.player_optimizer("discriminator").learning_rate.assign(1e30)
    model.player_optimizer("generator").learning_rate.assign(1e30)
    guard = kerasgan.callbacks.NaNGuard()
    with pytest.warns(RuntimeWarning, match="Non-finite loss"):
        history = model.fit(x, batch_size=32, epochs=5, verbose=0, callbacks=[
            guard, kerasgan.callbacks.AtomicModelCheckpoint(checkpoint)])
    assert guard.stopped_at is not None and guard.stopped_at[0] == 0
    assert len(history.history["d_loss"]) == 1  # stopped in the first epoch
    for before, variable in zip(good, model.variables):
        np.testing.assert_array_equal(before, variable.numpy())
    assert checkpoint.read_bytes() == saved_bytes  # no NaN checkpoint written
    restored = keras.saving.load_model(checkpoint)
    assert np.isfinite(restored.generate(2, seed=0)).all()


def test_from_config_leaves_the_callers_config_intact():
    """Keras's deserialization empties the nested configs it reads; a model
    rebuilt from a config (the zoo's registry entry) must not cost it."""
    import copy

    z = keras.Input((4,))
    generator = keras.Model(z, keras.layers.Reshape((8, 8, 1))(keras.layers.Dense(64, activation="tanh")(z)))
    x = keras.Input((8, 8, 1))
    discriminator = keras.Model(x, keras.layers.Dense(1)(keras.layers.Flatten()(x)))
    model = kerasgan.models.LatentGAN(generator=generator, discriminator=discriminator, data_range=(-1.0, 1.0))
    config = model.get_config()
    kept = copy.deepcopy(config)
    rebuilt = type(model).from_config(config)
    assert config == kept
    assert [w.shape for w in rebuilt.generator.weights] == [w.shape for w in generator.weights]
