"""Salimans et al. (2016) techniques and TTUR, EMA: usable with any variant."""

import numpy as np
import pytest
import keras
from keras import ops

import kerasgan
from kerasgan import models


def toy(n=64, seed=0):
    return (np.random.default_rng(seed).standard_normal((n, 2)) * 0.5).astype("float32")


def small(**kwargs):
    kwargs.setdefault("data_shape", (2,))
    kwargs.setdefault("latent_dim", 3)
    kwargs.setdefault("generator_width", (8,))
    kwargs.setdefault("discriminator_width", (8,))
    kwargs.setdefault("data_range", None)
    kwargs.setdefault("seed", 0)
    return models.NetworkGAN(**kwargs)


def weights(variables):
    return [ops.convert_to_numpy(v).copy() for v in variables]


def test_feature_matching_loss_is_the_squared_distance_of_feature_means():
    rng = np.random.default_rng(0)
    real, fake = rng.standard_normal((8, 5)), rng.standard_normal((8, 5))
    got = kerasgan.losses.feature_matching_loss(
        ops.convert_to_tensor(real), ops.convert_to_tensor(fake)
    )
    np.testing.assert_allclose(float(got), ((real.mean(0) - fake.mean(0)) ** 2).sum(), rtol=1e-5)


def test_feature_matching_trains_the_generator_on_a_discriminator_layer():
    model = small(feature_matching="lrelu_0", discriminator_width=(8, 6))
    assert model.feature_extractor.output.shape[-1] == 8
    model = small(feature_matching=True, discriminator_width=(8, 6))
    assert model.feature_extractor.output.shape[-1] == 6  # the layer before the logit
    model.compile()
    x = toy()
    before = weights(model.generator.trainable_variables)
    model.fit(x, batch_size=64, epochs=1, verbose=0)
    assert any(np.abs(a - b).max() > 0 for a, b in zip(before, weights(model.generator.trainable_variables)))
    with pytest.raises(ValueError, match="'nope' is not in the discriminator; its layers are"):
        small(feature_matching="nope")


def test_historical_averaging_keeps_the_mean_of_past_parameters():
    model = small(historical_averaging=0.5)
    model.compile(
        generator_optimizer=keras.optimizers.SGD(0.1), discriminator_optimizer=keras.optimizers.SGD(0.1)
    )
    x = toy(64)
    history = {p: [weights(model.player_variables(p))] for p in model.players}
    for step in range(3):
        model.fit(x[step * 16 : (step + 1) * 16], batch_size=16, epochs=1, verbose=0, shuffle=False)
        for p in model.players:
            history[p].append(weights(model.player_variables(p)))
    for p in model.players:
        expected = [np.mean(values, axis=0) for values in zip(*history[p])]
        got = weights(model.historical_averages[p].averages)
        for e, g in zip(expected, got):
            np.testing.assert_allclose(g, e, rtol=1e-5, atol=1e-6)
    # The cost ‖θ − θ̄‖² is part of each player's loss.
    cost = float(model.historical_averages["generator"].cost(model.generator.trainable_variables))
    averages = weights(model.historical_averages["generator"].averages)
    direct = sum(((a - b) ** 2).sum() for a, b in zip(history["generator"][-1], averages))
    np.testing.assert_allclose(cost, direct, rtol=1e-5)
    with pytest.raises(ValueError, match="historical_averaging must be a finite number >= 0"):
        small(historical_averaging=-1.0)


def test_historical_averaging_cost_enters_each_players_loss():
    x = toy(32)
    logs = {}
    plain = small()
    for weight in (None, 0.5):
        model = small(historical_averaging=weight)
        model.generator.set_weights(plain.generator.get_weights())
        model.discriminator.set_weights(plain.discriminator.get_weights())
        model.compile(
            generator_optimizer=keras.optimizers.SGD(0.0), discriminator_optimizer=keras.optimizers.SGD(0.0)
        )
        if weight:
            for average in model.historical_averages.values():
                for variable in average.averages:
                    variable.assign(np.zeros(variable.shape, "float32"))  # θ̄ = 0
        logs[weight] = model.fit(x, batch_size=32, epochs=1, verbose=0).history
    for player, log in (("discriminator", "d_loss"), ("generator", "g_loss")):
        squared = sum((w ** 2).sum() for w in weights(getattr(plain, player).trainable_variables))
        np.testing.assert_allclose(logs[0.5][log][0] - logs[None][log][0], 0.5 * squared, rtol=1e-4)


def test_generator_ema_follows_its_formula_and_is_used_for_sampling(tmp_path):
    model = small(generator_ema=0.9)
    model.compile()
    theta0 = weights(model.generator.weights)
    np.testing.assert_allclose(weights(model.ema_generator.weights)[0], theta0[0])
    model.fit(toy(32), batch_size=32, epochs=1, verbose=0)  # one generator step
    theta1 = weights(model.generator.weights)
    for ema, a, b in zip(weights(model.ema_generator.weights), theta0, theta1):
        np.testing.assert_allclose(ema, 0.9 * a + 0.1 * b, rtol=1e-5, atol=1e-6)
    z = model.latent_noise(5, seed=0)
    np.testing.assert_allclose(model.generate(latent=z), ops.convert_to_numpy(model.ema_generator(z)), atol=1e-6)
    np.testing.assert_allclose(model.generate(latent=z, ema=False), ops.convert_to_numpy(model.generator(z)), atol=1e-6)
    model.save(tmp_path / "ema.keras")
    loaded = keras.saving.load_model(tmp_path / "ema.keras")
    np.testing.assert_allclose(loaded.generate(latent=z), model.generate(latent=z), atol=1e-6)
    for decay in (0.0, 1.0, 1.5):
        with pytest.raises(ValueError, match="generator_ema .* must be in"):
            small(generator_ema=decay)


def test_a_moving_average_started_on_a_trained_model_follows_its_formula_and_saves(tmp_path):
    # A resumed run may start the average late: from G's weights at that point.
    model = small()
    model.compile()
    model.fit(toy(32), batch_size=32, epochs=1, verbose=0)  # its train function has no average yet
    with pytest.raises(ValueError, match=r"keeps none.*start_generator_ema\(DECAY\)"):
        model.generate(2, seed=0, ema=True)
    model.start_generator_ema(0.8)
    theta0 = weights(model.generator.weights)
    for ema, a in zip(weights(model.ema_generator.weights), theta0):
        np.testing.assert_array_equal(ema, a)
    model.fit(toy(32), batch_size=32, epochs=1, verbose=0)  # one generator step
    theta1 = weights(model.generator.weights)
    assert any(not np.array_equal(a, b) for a, b in zip(theta0, theta1))
    for ema, a, b in zip(weights(model.ema_generator.weights), theta0, theta1):
        np.testing.assert_allclose(ema, 0.8 * a + 0.2 * b, rtol=1e-5, atol=1e-6)
    assert model.get_config()["generator_ema"] == 0.8
    model.save(tmp_path / "late.keras")
    loaded = keras.saving.load_model(tmp_path / "late.keras")
    z = model.latent_noise(5, seed=0)
    assert loaded.generator_ema == 0.8
    np.testing.assert_allclose(loaded.generate(latent=z), model.generate(latent=z), atol=1e-6)
    np.testing.assert_allclose(loaded.generate(latent=z, ema=False), model.generate(latent=z, ema=False), atol=1e-6)
    with pytest.raises(ValueError, match=r"already keeps a moving average .*\(decay 0.8\)"):
        model.start_generator_ema(0.9)
    with pytest.raises(ValueError, match="generator_ema .* must be in"):
        small().start_generator_ema(1.0)


def test_ttur_gives_each_player_its_own_learning_rate():
    # Heusel et al. (2017): D and G with different learning rates. With G's
    # at 0 only D moves, and each optimizer keeps its own rate when saved.
    model = small()
    model.compile(
        generator_optimizer=keras.optimizers.Adam(0.0), discriminator_optimizer=keras.optimizers.Adam(4e-4)
    )
    g0, d0 = weights(model.generator.trainable_variables), weights(model.discriminator.trainable_variables)
    model.fit(toy(), batch_size=32, epochs=1, verbose=0)
    assert all(np.array_equal(a, b) for a, b in zip(g0, weights(model.generator.trainable_variables)))
    assert any(not np.array_equal(a, b) for a, b in zip(d0, weights(model.discriminator.trainable_variables)))
    config = model.get_compile_config()
    assert config["optimizers"]["generator"]["config"]["learning_rate"] == 0.0
    assert np.isclose(config["optimizers"]["discriminator"]["config"]["learning_rate"], 4e-4)


def test_one_sided_label_smoothing_changes_only_the_real_target():
    loss = kerasgan.losses.get("non_saturating", label_smoothing=0.1)
    real = ops.convert_to_tensor(np.array([0.3, -1.0], "float32"))
    fake = ops.convert_to_tensor(np.array([0.5, 2.0], "float32"))
    softplus = lambda v: np.log1p(np.exp(v))
    r, f = np.array([0.3, -1.0]), np.array([0.5, 2.0])
    expected = (0.9 * softplus(-r) + 0.1 * softplus(r)).mean() + softplus(f).mean()  # fake target stays 0
    np.testing.assert_allclose(float(loss.discriminator_loss(real, fake)), expected, rtol=1e-5)


def test_minibatch_discrimination_option_adds_the_layer_to_any_variant():
    for cls, shape in [(models.NetworkGAN, (2,)), (models.WGANGP, (2,)), (models.LSGAN, (28, 28, 1))]:
        kwargs = {"data_range": None} if shape == (2,) else {"generator_width": 8, "discriminator_width": 8}
        model = cls(data_shape=shape, latent_dim=3, minibatch_discrimination=(5, 3), **kwargs)
        layer = model.discriminator.get_layer("minibatch_discrimination")
        assert isinstance(layer, kerasgan.layers.MinibatchDiscrimination)
        assert model.get_config()["minibatch_discrimination"] == (5, 3)


def test_virtual_batch_normalization_in_a_generator_makes_samples_independent():
    # Salimans et al. (2016), §3.4: with VBN a sample does not depend on the
    # other samples of its batch (with batch norm in training mode it does).
    reference = np.random.default_rng(1).standard_normal((16, 3)).astype("float32")
    z = keras.Input((3,))
    h = keras.layers.Dense(8)(z)
    h = kerasgan.layers.VirtualBatchNormalization(reference_size=16)(h)
    net = keras.Model(z, keras.layers.Dense(2)(h))
    generator = kerasgan.layers.ReferenceBatch(net, reference=reference)
    batch = np.random.default_rng(2).standard_normal((6, 3)).astype("float32")
    other = batch.copy()
    other[1:] = np.random.default_rng(3).standard_normal((5, 3))
    a = ops.convert_to_numpy(generator(batch, training=True))
    b = ops.convert_to_numpy(generator(other, training=True))
    np.testing.assert_allclose(a[0], b[0], atol=1e-5)
    assert np.abs(a[1:] - b[1:]).max() > 1e-3
