"""CoGAN (Liu & Tuzel 2016): tied layers, one update per tied weight, the
coupled pair, saving and the data checks, on the active backend."""

import keras
import numpy as np
import pytest

import kerasgan
from kerasgan.models import CoGAN
from kerasgan.nets import cogan_discriminators
from kerasgan.nets import cogan_generators
from kerasgan.nets.cogan import MaxPooling2x2

TINY = dict(latent_dim=8, generator_filters=(16, 8, 8, 4), discriminator_filters=(4, 4, 8))


def _model(**kwargs):
    return CoGAN(image_shape=(28, 28, 1), seed=0, **{**TINY, **kwargs})


def _images(n, seed, shape=(28, 28, 1)):
    return np.random.default_rng(seed).uniform(-1.0, 1.0, (n, *shape)).astype("float32")


def _ids(variables):
    return {id(v) for v in variables}


def _kernel(network, name):
    return network.get_layer(name).kernel


@pytest.mark.parametrize("image_shape", [(28, 28, 1), (32, 32, 3)])
def test_generators_tie_their_first_layers_and_discriminators_their_last(image_shape):
    g_a, g_b = cogan_generators(image_shape, latent_dim=8, filters=(16, 8, 8, 4))
    d_a, d_b = cogan_discriminators(image_shape, filters=(4, 4, 8))
    assert g_a.output_shape[1:] == g_b.output_shape[1:] == image_shape
    assert d_a.output_shape == d_b.output_shape == (None, 1)
    # Generators: the four hidden transposed convs (and their PReLU slopes)
    # are the same variables; the output layers are each domain's own.
    for i in range(4):
        assert _kernel(g_a, f"g_dconv{i}") is _kernel(g_b, f"g_dconv{i}")
        assert g_a.get_layer(f"g_prelu{i}").alpha is g_b.get_layer(f"g_prelu{i}").alpha
    assert _kernel(g_a, "g_a_dconv4") is not _kernel(g_b, "g_b_dconv4")
    assert not _ids(g_a.get_layer("g_a_dconv4").weights) & _ids(g_b.trainable_variables)
    # Discriminators: the FIRST conv is each domain's own (the paper ties D's
    # last layers, not its first); conv1, conv2, the PReLU and the score are tied.
    assert not _ids(d_a.get_layer("d_a_conv0").weights) & _ids(d_b.trainable_variables)
    assert not _ids(d_b.get_layer("d_b_conv0").weights) & _ids(d_a.trainable_variables)
    for name in ("d_conv1", "d_conv2", "d_conv3"):
        assert _kernel(d_a, name) is _kernel(d_b, name)
        assert d_a.get_layer(name).bias is d_b.get_layer(name).bias
    assert d_a.layers[1].name == "d_a_conv0" and d_b.layers[1].name == "d_b_conv0"
    shared_d = _ids(d_a.trainable_variables) & _ids(d_b.trainable_variables)
    assert len(shared_d) == 7  # conv1, conv2, conv3 kernels and biases, PReLU slope
    shared_g = _ids(g_a.trainable_variables) & _ids(g_b.trainable_variables)
    assert len(shared_g) == 8  # four kernels (no biases before batch norm), four slopes


@pytest.mark.parametrize("size", [(24, 24), (5, 7)])
def test_reshape_max_pooling_matches_keras_max_pooling(size):
    x = np.random.default_rng(0).normal(size=(3, *size, 4)).astype("float32")
    expected = keras.ops.convert_to_numpy(keras.layers.MaxPooling2D(2)(x))
    np.testing.assert_array_equal(keras.ops.convert_to_numpy(MaxPooling2x2()(x)), expected)


def test_share_false_ties_nothing_and_partial_sharing_counts_from_the_right_end():
    model = _model(share=False)
    for player in model.players:
        first, second = model.player_networks(player)
        assert not _ids(first.weights) & _ids(second.weights)
        assert model.shared_variables(player) == []
        assert len(model.player_variables(player)) == len(first.trainable_variables) + len(
            second.trainable_variables
        )
    g_a, g_b = cogan_generators((28, 28, 1), 8, (16, 8, 8, 4), shared_layers=1)
    assert _kernel(g_a, "g_dconv0") is _kernel(g_b, "g_dconv0")
    assert _kernel(g_a, "g_a_dconv1") is not _kernel(g_b, "g_b_dconv1")
    d_a, d_b = cogan_discriminators((28, 28, 1), (4, 4, 8), shared_layers=1)
    assert _kernel(d_a, "d_conv3") is _kernel(d_b, "d_conv3")
    assert _kernel(d_a, "d_a_conv2") is not _kernel(d_b, "d_b_conv2")


def test_player_variables_hold_each_tied_variable_once_and_adam_one_slot_pair_each():
    model = _model()
    model.compile()
    for player, shared_count in (("generators", 8), ("discriminators", 7)):
        first, second = model.player_networks(player)
        variables = model.player_variables(player)
        assert len(_ids(variables)) == len(variables)
        assert _ids(variables) == _ids(first.trainable_variables) | _ids(second.trainable_variables)
        assert len(model.shared_variables(player)) == shared_count
        assert len(variables) == (
            len(first.trainable_variables) + len(second.trainable_variables) - shared_count
        )
        optimizer = model.player_optimizer(player)
        assert isinstance(optimizer, keras.optimizers.Adam)
        # Adam: a first and a second moment per unique variable, plus its
        # iteration count and learning rate.
        assert len(optimizer.variables) == 2 * len(variables) + 2


def test_one_iteration_updates_each_tied_weight_once():
    """Adam's first update moves every weight by at most its learning rate
    (|m̂ / √v̂| = |g| / (|g| + ε) < 1); a tied weight updated once per network
    would move by up to twice that."""
    lr = 1e-3
    model = _model()
    model.compile(
        optimizers={
            "generators": keras.optimizers.Adam(lr, beta_1=0.5),
            "discriminators": keras.optimizers.Adam(lr, beta_1=0.5),
        }
    )
    shared = {
        player: [v.numpy().copy() for v in model.shared_variables(player)]
        for player in model.players
    }
    a, b = _images(8, 1), _images(8, 2)
    history = model.fit(x=(a, b), batch_size=8, epochs=1, shuffle=False, verbose=0)
    assert set(history.history) == set(CoGAN.metric_names)
    assert int(model.optimizer.iterations.numpy()) == 1
    for player in model.players:
        assert int(model.player_optimizer(player).iterations.numpy()) == 1
        moved = np.concatenate(
            [
                np.abs(v.numpy() - before).ravel()
                for v, before in zip(model.shared_variables(player), shared[player])
            ]
        )
        assert moved.max() <= lr * (1 + 1e-4), (player, moved.max())
        # Nearly every weight with a gradient moves by nearly lr.
        assert np.median(moved) > 0.9 * lr, (player, np.median(moved))


def test_keras_round_trip_restores_weights_samples_and_optimizer_state(tmp_path):
    model = _model(share=True, historical_averaging=0.5)
    model.compile(loss="least_squares")
    batches = kerasgan.data.UnpairedBatches(_images(12, 1), _images(8, 2), batch_size=4, seed=0)
    model.fit(batches, epochs=1, verbose=0)
    assert int(model.optimizer.iterations.numpy()) == 3
    path = tmp_path / "cogan.keras"
    model.save(path)
    loaded = keras.saving.load_model(path)
    assert type(loaded) is CoGAN
    assert loaded.get_config() == model.get_config()
    assert loaded.share and loaded.historical_averaging == 0.5
    assert loaded.adversarial_loss.name == "least_squares"
    for network in model.network_names:
        for saved, restored in zip(getattr(model, network).weights, getattr(loaded, network).weights):
            np.testing.assert_array_equal(saved.numpy(), restored.numpy())
    # The tied layers are still tied after loading.
    assert len(loaded.shared_variables("generators")) == 8
    assert len(loaded.shared_variables("discriminators")) == 7
    for saved, restored in zip(model.optimizer.variables, loaded.optimizer.variables):
        np.testing.assert_array_equal(saved.numpy(), restored.numpy())
    assert int(loaded.optimizer.iterations.numpy()) == 3
    for before, after in zip(model.generate(6, seed=0), loaded.generate(6, seed=0)):
        np.testing.assert_array_equal(before, after)


def test_bad_input_raises_clear_errors():
    model = _model()
    model.compile()
    a, b = _images(8, 1), _images(8, 2)
    with pytest.raises(ValueError, match=r"pairs of batches \(a_batch, b_batch\).*got an array of shape \(8, 28, 28, 1\).*fit\(x=\(images_a, images_b\)\)"):
        model.fit(a, batch_size=4, verbose=0)
    with pytest.raises(ValueError, match=r"shape \(28, 28, 1\).*domain B has shape \(8, 32, 32, 1\)"):
        model.fit(x=(a, _images(8, 2, (32, 32, 1))), batch_size=4, verbose=0)
    with pytest.raises(ValueError, match="same length.*UnpairedBatches"):
        model.fit(x=(a, b[:6]), batch_size=4, verbose=0)
    with pytest.raises(ValueError, match="takes no labels"):
        model.fit(a, b, batch_size=4, verbose=0)
    with pytest.raises(ValueError, match=r"got tuple of 3 items"):
        model.fit(x=(a, b, a), batch_size=4, verbose=0)
    with pytest.raises(ValueError, match=r"domain A: .*must lie in \[-1, 1\]"):
        model.fit(x=(a * 255, b), batch_size=4, verbose=0)
    with pytest.raises(ValueError, match=r"CoGAN cannot apply gradient_penalty"):
        _model(gradient_penalty=10.0)
    with pytest.raises(ValueError, match="image_shape"):
        CoGAN(image_shape=(28, 28))
    with pytest.raises(ValueError, match="28×28.*multiple of 8"):
        CoGAN(image_shape=(30, 30, 1), **TINY)
    with pytest.raises(ValueError, match="generator filters"):
        CoGAN(latent_dim=8, generator_filters=(8, 8))
    with pytest.raises(ValueError, match="generate needs n"):
        model.generate(0)


def test_generate_pairs_from_one_latent_vector_each():
    model = _model()
    images_a, images_b = model.generate(5, seed=0)
    assert images_a.shape == images_b.shape == (5, 28, 28, 1)
    assert images_a.dtype == images_b.dtype == np.float32
    for images in (images_a, images_b):
        assert images.min() >= -1.0 and images.max() <= 1.0
    # The seed is a numpy draw: the same latent vectors on every backend.
    latent = np.random.default_rng(0).standard_normal((5, 8)).astype("float32")
    again_a, again_b = model.generate(latent=latent, batch_size=2)
    np.testing.assert_allclose(again_a, images_a, atol=1e-6)
    np.testing.assert_allclose(again_b, images_b, atol=1e-6)
    # Each pair comes from one z: the same as calling each generator on it.
    np.testing.assert_allclose(
        keras.ops.convert_to_numpy(model.generator_b(latent, training=False)), images_b, atol=1e-6
    )
    drawn_a, _ = model.generate(3)
    assert drawn_a.shape == (3, 28, 28, 1)


def test_pixel_agreement_of_a_generator_pair_built_to_agree():
    """With tied hidden layers, B's output layer set to A's gives B = A, and to
    minus A's gives B = −A = negative(A) (tanh is odd): agreement 1."""
    model = _model()
    out_a = model.generator_a.get_layer("g_a_dconv4")
    out_b = model.generator_b.get_layer("g_b_dconv4")
    out_b.set_weights(out_a.get_weights())
    assert model.pixel_agreement("original", n=20) == 1.0
    out_b.set_weights([-w for w in out_a.get_weights()])
    assert model.pixel_agreement("negative", n=20) == 1.0
    # The same figure as kerasgan.data.pixel_agreement on the generated pairs.
    images_a, images_b = model.generate(20, seed=3)
    expected = kerasgan.data.pixel_agreement(kerasgan.data.edges(images_a), images_b)
    assert model.pixel_agreement("edges", n=20, seed=3) == pytest.approx(expected)
    assert 0.0 <= expected <= 1.0
