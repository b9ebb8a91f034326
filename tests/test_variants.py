"""The GAN family: each variant's defining behaviour, on every backend."""

import numpy as np
import pytest
import keras
from keras import ops

import kerasgan
from kerasgan import models


def small(cls, data_shape=(2,), **kwargs):
    kwargs.setdefault("latent_dim", 4)
    kwargs.setdefault("seed", 1)
    if len(data_shape) == 3:
        kwargs.setdefault("generator_width", 8)
        kwargs.setdefault("discriminator_width", 8)
    else:
        kwargs.setdefault("generator_width", (16,))
        kwargs.setdefault("discriminator_width", (16,))
        kwargs.setdefault("data_range", None)
    return cls(data_shape=data_shape, **kwargs)


def toy(n=256, seed=0):
    return (np.random.default_rng(seed).standard_normal((n, 2)) * 0.5).astype("float32")


def images(n=32, seed=0):
    return np.tanh(np.random.default_rng(seed).standard_normal((n, 28, 28, 1))).astype("float32")


# ------------------------------------------------------------------ losses
def test_new_losses_match_their_formulas():
    rng = np.random.default_rng(0)
    real, fake = rng.standard_normal(16), rng.standard_normal(16)
    r, f = ops.convert_to_tensor(real), ops.convert_to_tensor(fake)
    w = kerasgan.losses.get("wasserstein")
    np.testing.assert_allclose(float(w.discriminator_loss(r, f)), fake.mean() - real.mean(), rtol=1e-5)
    np.testing.assert_allclose(float(w.generator_loss(f)), -fake.mean(), rtol=1e-5)
    h = kerasgan.losses.get("hinge")
    expected = np.maximum(0, 1 - real).mean() + np.maximum(0, 1 + fake).mean()
    np.testing.assert_allclose(float(h.discriminator_loss(r, f)), expected, rtol=1e-5)
    # Both codings of Mao et al. (2017), eqs. 8 and 9.
    for a, b, c in [(-1.0, 1.0, 0.0), (0.0, 1.0, 1.0)]:
        ls = kerasgan.losses.LeastSquaresLoss(a, b, c)
        d = 0.5 * ((real - b) ** 2).mean() + 0.5 * ((fake - a) ** 2).mean()
        np.testing.assert_allclose(float(ls.discriminator_loss(r, f)), d, rtol=1e-5)
        np.testing.assert_allclose(float(ls.generator_loss(f)), 0.5 * ((fake - c) ** 2).mean(), rtol=1e-5)
    restored = kerasgan.losses.get(kerasgan.losses.serialize(kerasgan.losses.LeastSquaresLoss(-1, 1, 0)))
    assert restored.get_config() == {"a": -1.0, "b": 1.0, "c": 0.0}
    with pytest.raises(ValueError, match="label_smoothing applies"):
        kerasgan.losses.get("wasserstein", label_smoothing=0.1)


# ------------------------------------------------------------------ WGAN
def test_wgan_clips_every_critic_parameter_after_each_update():
    model = small(models.WGAN, (28, 28, 1), clip_value=0.01)
    model.compile(discriminator_optimizer=keras.optimizers.RMSprop(0.05))
    assert any(np.abs(v.numpy()).max() > 0.01 for v in model.discriminator.trainable_variables)
    model.fit(images(40), batch_size=20, epochs=1, verbose=0)  # 2 iterations × 5 critic steps
    for variable in model.discriminator.trainable_variables:
        values = ops.convert_to_numpy(variable)
        assert np.abs(values).max() <= 0.01 + 1e-7, variable.path
    assert any(np.isclose(np.abs(ops.convert_to_numpy(v)).max(), 0.01) for v in model.discriminator.trainable_variables)
    # The generator is not clipped.
    assert max(np.abs(ops.convert_to_numpy(v)).max() for v in model.generator.trainable_variables) > 0.01
    assert isinstance(model.player_optimizer("generator"), keras.optimizers.RMSprop)


@pytest.mark.parametrize("clip", [0.0, -0.01, None])
def test_wgan_rejects_a_clip_value_that_is_not_positive(clip):
    with pytest.raises(ValueError, match="clip_value must be > 0"):
        small(models.WGAN, clip_value=clip)


# ------------------------------------------------------------------ WGAN-GP
def test_interpolates_are_per_sample_and_uniform():
    real = np.ones((2000, 3, 3, 1), "float32")
    fake = np.zeros((2000, 3, 3, 1), "float32")
    eps = ops.convert_to_numpy(kerasgan.losses.random_interpolates(real, fake, seed=3))
    per_sample = eps.reshape(2000, -1)
    np.testing.assert_array_equal(per_sample, per_sample[:, :1].repeat(9, axis=1))  # one ε per sample
    e = per_sample[:, 0]
    assert e.min() >= 0 and e.max() <= 1
    assert abs(e.mean() - 0.5) < 0.03 and abs(e.std() - np.sqrt(1 / 12)) < 0.02  # U[0, 1], not N


def test_interpolates_of_numpy_batches_stay_backend_tensors(monkeypatch, backend):
    """numpy batches must not meet ε through numpy: on a GPU numpy cannot read
    a device tensor (found on an H100 with torch; simulated here)."""
    if backend == "torch":
        import torch

        def refuse(self, *args, **kwargs):
            raise TypeError("can't convert cuda:0 device type tensor to numpy")

        monkeypatch.setattr(torch.Tensor, "__array__", refuse)
    real = np.ones((4, 2), "float32")
    fake = np.zeros((4, 2), "float32")
    mixed = kerasgan.losses.random_interpolates(real, fake, seed=3)
    assert ops.is_tensor(mixed)
    # critic(x) = ‖x‖²: ∇ = 2x̂, so ‖∇‖ = 2√2·ε per sample.
    penalty, norm = kerasgan.losses.gradient_penalty(
        lambda v: ops.sum(ops.square(v), axis=1), real, fake, seed=3)
    monkeypatch.undo()
    eps = ops.convert_to_numpy(mixed)[:, 0].astype("float64")
    np.testing.assert_allclose(float(norm), np.mean(2 * np.sqrt(2) * eps), rtol=1e-5)
    np.testing.assert_allclose(float(penalty), np.mean((2 * np.sqrt(2) * eps - 1) ** 2), rtol=1e-5)


def _numpy_critic(x, w1, b1, w2, b2):
    return (np.tanh(x @ w1 + b1) @ w2 + b2)[:, 0]


def test_gradient_penalty_equals_a_finite_difference_estimate():
    critic = keras.Sequential([keras.Input((3,)), keras.layers.Dense(5, activation="tanh"), keras.layers.Dense(1)])
    w1, b1, w2, b2 = [w.astype("float64") for w in critic.get_weights()]
    x = np.random.default_rng(0).standard_normal((6, 3)).astype("float32")
    # With real = fake the interpolates are x itself, whatever ε is.
    penalty, norm = kerasgan.losses.gradient_penalty(lambda v: critic(v), x, x, seed=0)
    h, xd = 1e-5, x.astype("float64")
    grads = np.zeros_like(xd)
    for j in range(3):
        step = np.zeros(3)
        step[j] = h
        grads[:, j] = (_numpy_critic(xd + step, w1, b1, w2, b2) - _numpy_critic(xd - step, w1, b1, w2, b2)) / (2 * h)
    norms = np.linalg.norm(grads, axis=1)
    np.testing.assert_allclose(float(penalty), ((norms - 1) ** 2).mean(), rtol=1e-4)
    np.testing.assert_allclose(float(norm), norms.mean(), rtol=1e-4)


def test_gradient_penalty_has_no_nan_where_the_critic_is_flat():
    critic = keras.Sequential(
        [keras.Input((2,)), keras.layers.Dense(1, kernel_initializer="zeros")], name="discriminator"
    )
    generator = keras.Sequential([keras.Input((4,)), keras.layers.Dense(2)], name="generator")
    model = models.WGANGP(
        generator=generator, discriminator=critic, data_shape=(2,), data_range=None, seed=0,
        discriminator_steps=1,
    )
    model.compile()
    history = model.fit(toy(50), batch_size=50, epochs=1, verbose=0).history
    assert history["gradient_norm"][0] == 0.0  # ‖∇D‖ = 0 exactly ...
    np.testing.assert_allclose(history["gradient_penalty"][0], 1.0)
    for variable in model.discriminator.trainable_variables:  # ... and the update is finite
        assert np.all(np.isfinite(ops.convert_to_numpy(variable)))
    assert np.abs(ops.convert_to_numpy(critic.layers[-1].kernel)).max() > 0


@pytest.mark.slow
def test_wgan_gp_critic_gradient_norm_on_interpolates_approaches_one():
    x = kerasgan.data.ring_of_gaussians(2560, seed=0).astype("float32")
    model = small(models.WGANGP, latent_dim=2, generator_width=(64, 64), discriminator_width=(64, 64))
    model.compile(
        generator_optimizer=keras.optimizers.Adam(1e-3, 0.5, 0.9),
        discriminator_optimizer=keras.optimizers.Adam(1e-3, 0.5, 0.9),
    )
    history = model.fit(x, batch_size=5 * 64, epochs=25, verbose=0).history
    first, last = history["gradient_norm"][0], history["gradient_norm"][-1]
    assert abs(last - 1.0) < 0.25, history["gradient_norm"]
    assert abs(last - 1.0) < abs(first - 1.0)


def test_gradient_penalty_must_not_be_negative():
    with pytest.raises(ValueError, match="gradient_penalty must be a finite number >= 0; got -1"):
        small(models.WGANGP, gradient_penalty=-1)
    with pytest.raises(ValueError, match="batch norm"):
        small(models.WGANGP, critic_normalization="batch")


# ------------------------------------------------------------------ LSGAN, SNGAN
def test_lsgan_uses_its_coding_and_round_trips(tmp_path):
    model = small(models.LSGAN, a=-1, b=1, c=0)
    model.compile()
    assert model.adversarial_loss.get_config() == {"a": -1.0, "b": 1.0, "c": 0.0}
    model.fit(toy(64), batch_size=32, epochs=1, verbose=0)
    model.save(tmp_path / "ls.keras")
    loaded = keras.saving.load_model(tmp_path / "ls.keras")
    assert loaded.adversarial_loss.get_config() == {"a": -1.0, "b": 1.0, "c": 0.0}
    np.testing.assert_allclose(loaded.generate(4, seed=0), model.generate(4, seed=0), atol=1e-6)


def test_sngan_discriminator_is_spectrally_normalized():
    model = small(models.SNGAN, (28, 28, 1))
    model.compile()
    assert model.adversarial_loss.name == "hinge"
    wrapped = [l for l in model.discriminator.layers if isinstance(l, kerasgan.layers.SpectralNormalization)]
    assert len(wrapped) == 3  # two convolutions and the logit layer
    assert not any(isinstance(l, keras.layers.BatchNormalization) for l in model.discriminator.layers)
    model.fit(images(64), batch_size=2, epochs=1, verbose=0)  # 32 steps of power iteration
    for layer in wrapped:
        kernel = ops.convert_to_numpy(layer.normalized_kernel())
        sigma = np.linalg.svd(kernel.reshape(-1, kernel.shape[-1]), compute_uv=False)[0]
        assert abs(sigma - 1.0) < 0.05, (layer.name, sigma)


# ------------------------------------------------------------------ BEGAN
def test_began_k_follows_the_proportional_controller():
    model = small(models.BEGAN, gamma=0.5, lambda_k=0.1, initial_k=0.3, embedding_dim=4)
    model.compile()
    h = model.fit(toy(32), batch_size=32, epochs=1, verbose=0).history  # exactly one step
    real, fake = h["real_reconstruction"][0], h["fake_reconstruction"][0]
    expected_k = np.clip(0.3 + 0.1 * (0.5 * real - fake), 0, 1)
    np.testing.assert_allclose(h["k"][0], expected_k, rtol=1e-5)
    np.testing.assert_allclose(float(ops.convert_to_numpy(model.k)), expected_k, rtol=1e-5)
    np.testing.assert_allclose(h["convergence"][0], real + abs(0.5 * real - fake), rtol=1e-5)
    # A huge gain drives k against its bounds, never past them.
    model = small(models.BEGAN, lambda_k=100.0, embedding_dim=4)
    model.compile()
    ks = model.fit(toy(256), batch_size=32, epochs=2, verbose=0).history["k"]
    assert all(0.0 <= k <= 1.0 for k in ks)
    assert 0.0 <= float(ops.convert_to_numpy(model.k)) <= 1.0


def test_began_k_persists_through_saving(tmp_path):
    model = small(models.BEGAN, (28, 28, 1), lambda_k=0.1, initial_k=0.2)
    model.compile()
    # The paper's optimizer (§4) when compile is given none: Adam(1e-4), for both players.
    for player in ("generator", "discriminator"):
        optimizer = model.player_optimizer(player)
        assert isinstance(optimizer, keras.optimizers.Adam)
        assert np.isclose(float(ops.convert_to_numpy(optimizer.learning_rate)), 1e-4)
    model.fit(images(16), batch_size=8, epochs=1, verbose=0)
    k = float(ops.convert_to_numpy(model.k))
    assert k != 0.2
    model.save(tmp_path / "began.keras")
    loaded = keras.saving.load_model(tmp_path / "began.keras")
    assert float(ops.convert_to_numpy(loaded.k)) == k
    np.testing.assert_allclose(loaded.generate(3, seed=0), model.generate(3, seed=0), atol=1e-6)


# ------------------------------------------------------------------ conditional
CENTRES = np.array([[-2.0, -2.0], [-2.0, 2.0], [2.0, -2.0], [2.0, 2.0]], "float32")


def class_toy(n=2048, seed=0):
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 4, n)
    x = CENTRES[y] + 0.2 * rng.standard_normal((n, 2)).astype("float32")
    return x.astype("float32"), y


def nearest_centre(x):
    return np.argmin(((x[:, None, :] - CENTRES[None]) ** 2).sum(-1), axis=1)


@pytest.mark.slow
@pytest.mark.parametrize("cls", [models.ConditionalGAN, models.ACGAN])
def test_conditional_samples_match_their_requested_class(cls):
    x, y = class_toy()
    model = small(cls, num_classes=4, latent_dim=4, generator_width=(64, 64), discriminator_width=(64, 64))
    model.compile(
        generator_optimizer=keras.optimizers.Adam(2e-3, 0.5),
        discriminator_optimizer=keras.optimizers.Adam(2e-3, 0.5),
    )
    model.fit(x, y, batch_size=64, epochs=8, verbose=0)
    labels = np.repeat(np.arange(4), 100)
    samples = model.generate(400, labels=labels, seed=0)
    accuracy = (nearest_centre(samples) == labels).mean()
    assert accuracy > 0.8, accuracy  # chance is 0.25


def test_conditional_models_check_their_labels():
    x, y = class_toy(64)
    for cls in (models.ConditionalGAN, models.ACGAN, models.SemiSupervisedGAN):
        model = small(cls, num_classes=4)
        model.compile()
        with pytest.raises(ValueError, match="class-conditional .*give the class labels"):
            model.fit(x, batch_size=32, epochs=1, verbose=0)
        bad = y.copy()
        bad[3] = 7
        with pytest.raises(ValueError, match=r"Label 7 is outside \[0, 4\)"):
            model.fit(x, bad, batch_size=32, epochs=1, verbose=0)
    model = small(models.ConditionalGAN, num_classes=4)
    with pytest.raises(ValueError, match="class-conditional: pass labels"):
        model.generate(3, seed=0)
    with pytest.raises(ValueError, match=r"Label -1 is outside \[0, 4\)"):
        model.generate(2, labels=[0, -1], seed=0)
    with pytest.raises(ValueError, match="give num_classes"):
        small(models.ConditionalGAN)
    with pytest.raises(ValueError, match="not class-conditional"):
        small(models.NetworkGAN).generate(2, labels=[0, 1])


def test_acgan_and_ssgan_discriminators_classify():
    x, y = class_toy(1024)
    ac = small(models.ACGAN, num_classes=4, discriminator_width=(32,))
    ac.compile(discriminator_optimizer=keras.optimizers.Adam(5e-3))
    ac.fit(x, y, batch_size=64, epochs=3, verbose=0)
    assert (ac.classify(x) == y).mean() > 0.9
    # Semi-supervised: 10 labels per class, the rest unlabelled (-1).
    xs, ys, chosen = models.SemiSupervisedGAN.training_arrays(x, y, labelled_per_class=10, seed=0)
    assert len(chosen) == 40 and (ys == -1).sum() == len(x) and set(ys[ys >= 0]) == {0, 1, 2, 3}
    ss = small(models.SemiSupervisedGAN, num_classes=4, discriminator_width=(32,))
    ss.compile(discriminator_optimizer=keras.optimizers.Adam(5e-3))
    ss.fit(xs, ys, batch_size=64, epochs=2, verbose=0)
    assert (ss.classify(x) == y).mean() > 0.9


def test_ssgan_supervised_loss_ignores_unlabelled_examples():
    model = small(models.SemiSupervisedGAN, num_classes=4)
    model.compile()
    x, _ = class_toy(64)
    history = model.fit(x, np.full(64, -1), batch_size=32, epochs=1, verbose=0).history
    assert history["supervised_loss"][0] == 0.0
    # D(x) = Z / (Z + 1): the real/fake logit is logsumexp of the K logits.
    logits = np.random.default_rng(0).standard_normal((5, 4)).astype("float32")
    np.testing.assert_allclose(
        ops.convert_to_numpy(model.adversarial_output(ops.convert_to_tensor(logits)))[:, 0],
        np.log(np.exp(logits).sum(1)),
        rtol=1e-5,
    )


# ------------------------------------------------------------------ every variant
VARIANTS = {
    "WGAN": lambda: small(models.WGAN, (28, 28, 1)),
    "WGANGP": lambda: small(models.WGANGP, (28, 28, 1)),
    "LSGAN": lambda: small(models.LSGAN, (28, 28, 1)),
    "SNGAN": lambda: small(models.SNGAN, (28, 28, 1)),
    "BEGAN": lambda: small(models.BEGAN, (28, 28, 1)),
    "ConditionalGAN": lambda: small(models.ConditionalGAN, (28, 28, 1), num_classes=3),
    "ACGAN": lambda: small(models.ACGAN, (28, 28, 1), num_classes=3),
    "SemiSupervisedGAN": lambda: small(models.SemiSupervisedGAN, (28, 28, 1), num_classes=3),
}


@pytest.mark.parametrize("name", sorted(VARIANTS))
def test_every_variant_trains_and_round_trips_through_keras_files(name, tmp_path):
    model = VARIANTS[name]()
    model.compile()
    y = np.arange(10) % 3 if model.num_classes else None
    history = model.fit(images(10), y, batch_size=10 if name not in ("WGAN", "WGANGP") else 10, epochs=1, verbose=0)
    assert all(np.isfinite(v[0]) for v in history.history.values())
    model.save(tmp_path / "m.keras")
    loaded = keras.saving.load_model(tmp_path / "m.keras")
    assert type(loaded) is type(model)
    assert loaded.get_config() == model.get_config()
    kwargs = {"labels": 1} if model.generates_by_class else {}
    np.testing.assert_allclose(loaded.generate(3, seed=0, **kwargs), model.generate(3, seed=0, **kwargs), atol=1e-5)
    for a, b in zip(loaded.optimizer.variables, model.optimizer.variables):
        np.testing.assert_allclose(ops.convert_to_numpy(a), ops.convert_to_numpy(b), atol=1e-6)
