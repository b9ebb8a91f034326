"""Discriminator rejection sampling (Azadi et al. 2019) on a GAN whose D is
the exact log density ratio: the accepted samples follow the data."""

import math

import keras
import numpy as np
import pytest

import kerasgan
from kerasgan import models
from kerasgan.sampling import DiscriminatorRejectionSampler

# p_G = N(0, 1) (G is the identity on z); p_data = N(1, 0.5²), so
# log p_data(x)/p_G(x) = -1.5·x² + 4·x + log 2 - 2.
QUADRATIC, LINEAR, CONSTANT = -1.5, 4.0, math.log(2.0) - 2.0


def exact_ratio_gan(packing=1, **kwargs):
    z = keras.Input((1,))
    identity = keras.layers.Dense(1, kernel_initializer="ones", name="identity")
    generator = keras.Model(z, identity(z))
    packs = keras.Input((packing,))
    squares = keras.layers.Multiply()([packs, packs])
    features = keras.layers.Concatenate()([packs, squares])
    score = keras.layers.Dense(1, name="score")
    discriminator = keras.Model(packs, score(features))
    # A pack's logit is the sum of its samples' log ratios.
    score.set_weights([
        np.array([[LINEAR]] * packing + [[QUADRATIC]] * packing, "float32"),
        np.array([CONSTANT * packing], "float32"),
    ])
    model = models.NetworkGAN(data_shape=(1,), generator=generator, discriminator=discriminator,
                              packing=packing, data_range=None, seed=0, **kwargs)
    model.compile(loss="non_saturating")
    return model


@pytest.mark.parametrize("packing, pack_mates", [(1, None), (2, None), (2, 3)])
def test_accepted_samples_follow_the_data_distribution(packing, pack_mates):
    model = exact_ratio_gan(packing)
    plain = model.generate(4000, seed=0)
    assert abs(plain.mean()) < 0.06 and abs(plain.std() - 1.0) < 0.05  # G itself: N(0, 1)
    sampler = DiscriminatorRejectionSampler(model, burn_in=20_000, batch_size=2000, pack_mates=pack_mates)
    x = sampler.sample(4000, seed=0)
    assert x.shape == (4000, 1)
    np.testing.assert_allclose(x.mean(), 1.0, atol=0.05)
    np.testing.assert_allclose(x.std(), 0.5, atol=0.04)
    # The largest log ratio is at x = 4/3: 8/3 + log 2 - 2 per sample; the
    # exact rule accepts 1/M of the candidates, M = exp(that)^packing.
    best = packing * (8.0 / 3.0 + CONSTANT)
    if pack_mates:
        # Each sample is judged alone: its log ratio plus the same constant
        # from its mates (the mean of their log ratios), accepted at 1/M.
        mates = sampler.mates.reshape(pack_mates, packing - 1)
        constant = np.mean([np.sum(QUADRATIC * m ** 2 + LINEAR * m + CONSTANT) for m in mates])
        best = 8.0 / 3.0 + CONSTANT + constant
    assert sampler.max_logit <= best + 1e-4 and sampler.max_logit > best - 0.05
    np.testing.assert_allclose(sampler.acceptance_rate, math.exp(-(8.0 / 3.0 + CONSTANT) * (1 if pack_mates else packing)),
                               rtol=0.15)
    # The same seed gives the same samples.
    again = DiscriminatorRejectionSampler(model, burn_in=20_000, batch_size=2000, pack_mates=pack_mates).sample(4000, seed=0)
    np.testing.assert_array_equal(x, again)


def test_the_acceptance_rule_is_the_papers():
    model = exact_ratio_gan()
    logits = np.array([-30.0, -3.0, -0.5, -1e-3, 0.0])
    exact = DiscriminatorRejectionSampler(model, epsilon=1e-9)
    # γ = 0: σ(F̂) = exp(D̃ - D̃_M), the exact rejection rule.
    np.testing.assert_allclose(exact.acceptance_probability(logits, 0.0), np.exp(logits), rtol=1e-5, atol=1e-12)
    # Otherwise σ(F̂), F̂ = D̃ - D̃_M - log(1 - exp(D̃ - D̃_M - ε)) - γ (§3.2).
    shifted = DiscriminatorRejectionSampler(model, gamma=1.5, epsilon=1e-3)
    d = logits - 0.5
    f = d - np.log(1.0 - np.exp(d - 1e-3)) - 1.5
    np.testing.assert_allclose(shifted.acceptance_probability(logits, 0.5), 1.0 / (1.0 + np.exp(-f)), rtol=1e-9)
    assert np.all(shifted.acceptance_probability(logits, 0.0) < exact.acceptance_probability(logits, 0.0))


def test_models_it_cannot_serve_are_refused():
    def small(cls=models.NetworkGAN, **kwargs):
        return cls(data_shape=(2,), latent_dim=2, generator_width=(4,), discriminator_width=(4,),
                   data_range=None, seed=0, **kwargs)

    began = models.BEGAN(data_shape=(1,), latent_dim=2, seed=0)
    began.compile()
    with pytest.raises(ValueError, match="BEGAN's discriminator gives no logit"):
        DiscriminatorRejectionSampler(began)
    lsgan = small(models.LSGAN)
    lsgan.compile()
    with pytest.raises(ValueError, match="is no density ratio"):
        DiscriminatorRejectionSampler(lsgan)
    mbd = small(minibatch_discrimination=(3, 2))
    mbd.compile()
    with pytest.raises(ValueError, match="compares each sample with the others of its batch"):
        DiscriminatorRejectionSampler(mbd)
    with pytest.raises(ValueError, match="Sequential is not one"):
        DiscriminatorRejectionSampler(keras.Sequential())
    with pytest.raises(ValueError, match="needs a compiled model"):
        DiscriminatorRejectionSampler(small())
    wgan = small(models.WGAN)
    wgan.compile()
    with pytest.raises(ValueError, match="is no density ratio"):
        DiscriminatorRejectionSampler(wgan)
    smoothed = small()
    smoothed.compile(label_smoothing=0.1)
    with pytest.raises(ValueError, match="without label smoothing"):
        DiscriminatorRejectionSampler(smoothed)
    conditional = models.ConditionalGAN(data_shape=(8, 8, 1), num_classes=3, latent_dim=4, seed=0)
    conditional.compile()
    with pytest.raises(ValueError, match="class-conditional"):
        DiscriminatorRejectionSampler(conditional)
    model = exact_ratio_gan()
    with pytest.raises(ValueError, match="burn_in must be a positive integer"):
        DiscriminatorRejectionSampler(model, burn_in=0)
    with pytest.raises(ValueError, match="epsilon must be in"):
        DiscriminatorRejectionSampler(model, epsilon=0.0)
    with pytest.raises(ValueError, match="moving average"):
        DiscriminatorRejectionSampler(model, ema=True)
    with pytest.raises(ValueError, match="pack_mates scores single samples with a packed discriminator"):
        DiscriminatorRejectionSampler(model, pack_mates=4)
    with pytest.raises(ValueError, match="pack_mates must be a positive integer"):
        DiscriminatorRejectionSampler(exact_ratio_gan(2), pack_mates=0)
    with pytest.raises(ValueError, match="whole number of samples"):
        DiscriminatorRejectionSampler(model).sample(0)
    assert "gamma=0.0" in repr(DiscriminatorRejectionSampler(model))


def test_it_filters_g_by_default_and_the_moving_average_when_asked():
    model = exact_ratio_gan(generator_ema=0.5)
    model.ema_generator.get_layer("identity").set_weights([np.array([[2.0]], "float32"), np.zeros(1, "float32")])
    # D's logit is the ratio against G (N(0, 1)), so G's samples are the
    # ones it turns into the data; the average (G(z) = 2z) is a heuristic.
    from_g = DiscriminatorRejectionSampler(model, burn_in=20_000, batch_size=2000).sample(3000, seed=1)
    np.testing.assert_allclose([from_g.mean(), from_g.std()], [1.0, 0.5], atol=0.05)
    from_average = DiscriminatorRejectionSampler(model, burn_in=20_000, batch_size=2000, ema=True).sample(3000, seed=1)
    # Candidates N(0, 4) times the ratio exp(-1.5x² + 4x): N(4/3.25, 1/3.25), not the data.
    np.testing.assert_allclose([from_average.mean(), from_average.std()], [4 / 3.25, (1 / 3.25) ** 0.5], atol=0.05)
    assert kerasgan.sampling.DiscriminatorRejectionSampler is DiscriminatorRejectionSampler


def test_a_hopeless_search_stops_with_the_acceptance_rate():
    model = exact_ratio_gan()
    # Only a small share of N(0, 1) is kept: with a large gamma, almost none.
    sampler = DiscriminatorRejectionSampler(model, gamma=12.0, burn_in=1000, max_candidates=5000)
    with pytest.raises(RuntimeError, match=r"kept \d+ of 5,000 candidates .* max_candidates=5,000"):
        sampler.sample(1000, seed=0)


def exact_ratio_network():
    """A per-sample network of the exact log ratio's form, a·x² + b·x + c."""
    x = keras.Input((1,))
    features = keras.layers.Concatenate()([x, keras.layers.Multiply()([x, x])])
    return keras.Model(x, keras.layers.Dense(1, name="score")(features))


def test_a_given_discriminator_replaces_the_models():
    # A packed D trained with the least-squares loss: its own logit would be refused...
    model = exact_ratio_gan(packing=2)
    model.compile(loss="least_squares")
    with pytest.raises(ValueError, match="is no density ratio"):
        DiscriminatorRejectionSampler(model)
    # ...a per-sample network with the exact ratio filters each sample.
    network = exact_ratio_network()
    network.get_layer("score").set_weights([np.array([[LINEAR], [QUADRATIC]], "float32"),
                                            np.array([CONSTANT], "float32")])
    sampler = DiscriminatorRejectionSampler(model, discriminator=network, burn_in=20_000, batch_size=2000)
    x = sampler.sample(4000, seed=0)
    np.testing.assert_allclose([x.mean(), x.std()], [1.0, 0.5], atol=0.05)
    np.testing.assert_allclose(sampler.acceptance_rate, math.exp(-(8.0 / 3.0 + CONSTANT)), rtol=0.15)
    with pytest.raises(ValueError, match="a given discriminator scores single samples"):
        DiscriminatorRejectionSampler(model, discriminator=network, pack_mates=2)
    with pytest.raises(ValueError, match="discriminator must be a network"):
        DiscriminatorRejectionSampler(model, discriminator="d")
    two = keras.Sequential([keras.Input((1,)), keras.layers.Dense(2)])
    with pytest.raises(ValueError, match="one logit per pack"):
        DiscriminatorRejectionSampler(model, discriminator=two, burn_in=10).sample(5)


def test_burn_in_quantile_bounds_the_ratio_at_that_quantile():
    model = exact_ratio_gan()
    q, burn_in, batch = 0.9, 4000, 1000
    sampler = DiscriminatorRejectionSampler(model, burn_in=burn_in, batch_size=batch, burn_in_quantile=q)
    x = sampler.sample(3000, seed=3)
    # The burn-in's candidates are the first latent draws of the seed's stream (G is the identity).
    rng = np.random.default_rng(3)
    z = np.concatenate([model.latent_noise(batch, seed=rng) for _ in range(burn_in // batch)]).ravel()
    logits = QUADRATIC * z.astype("float64") ** 2 + LINEAR * z + CONSTANT
    np.testing.assert_allclose(sampler.max_logit, np.quantile(logits, q), rtol=1e-5)  # and it stayed there
    # Acceptance min(1, exp(D̃ - D̃_M)) (up to ε): its mean over N(0, 1) in numpy.
    fresh = np.random.default_rng(9).standard_normal(400_000)
    expected = sampler.acceptance_probability(QUADRATIC * fresh ** 2 + LINEAR * fresh + CONSTANT, sampler.max_logit)
    np.testing.assert_allclose(sampler.acceptance_rate, expected.mean(), rtol=0.05)
    assert sampler.acceptance_rate > 1.05 * math.exp(-(8.0 / 3.0 + CONSTANT))  # above the exact rule's
    # The accepted density is N(0, 1)·min(1, ratio/M): closer to the data's mean than G's, not all the way.
    weights = expected / expected.sum()
    np.testing.assert_allclose(x.mean(), np.sum(weights * fresh), atol=0.05)
    for bad in (0.0, 1.5, True, "0.5"):
        with pytest.raises(ValueError, match="burn_in_quantile must be in"):
            DiscriminatorRejectionSampler(model, burn_in_quantile=bad)
    # 1 is the running maximum: the default, sample for sample.
    default = DiscriminatorRejectionSampler(model, burn_in=2000).sample(500, seed=4)
    np.testing.assert_array_equal(
        DiscriminatorRejectionSampler(model, burn_in=2000, burn_in_quantile=1.0).sample(500, seed=4), default)


def test_a_fitted_discriminator_learns_the_log_ratio_and_filters_to_the_data():
    from kerasgan.sampling import fit_rejection_discriminator

    model = exact_ratio_gan()
    real = np.random.default_rng(0).normal(1.0, 0.5, (20_000, 1)).astype("float32")
    keras.utils.set_random_seed(0)
    network = exact_ratio_network()
    history = fit_rejection_discriminator(model, real, network, epochs=8, batch_size=400,
                                          optimizer=keras.optimizers.Adam(0.05), seed=0)
    assert len(history["loss"]) == 8 and history["loss"][-1] < history["loss"][0]
    # Accuracy: the share on the right side of logit 0 (≈ the last epoch's, on fresh pairs).
    fake = model.generate(20_000, seed=5)
    logits = keras.ops.convert_to_numpy(network(np.concatenate([real, fake]))).ravel()
    right = np.mean(np.concatenate([logits[:20_000] > 0, logits[20_000:] <= 0]))
    np.testing.assert_allclose(history["accuracy"][-1], right, atol=0.02)
    # Logistic regression on equal numbers: the logit is log p_data/p_G.
    kernel, bias = network.get_layer("score").get_weights()
    np.testing.assert_allclose([kernel[0, 0], kernel[1, 0], bias[0]], [LINEAR, QUADRATIC, CONSTANT], atol=0.25)
    x = DiscriminatorRejectionSampler(model, discriminator=network, burn_in=20_000, batch_size=2000).sample(3000, seed=0)
    np.testing.assert_allclose([x.mean(), x.std()], [1.0, 0.5], atol=0.06)
    with pytest.raises(ValueError, match="moving average"):
        fit_rejection_discriminator(model, real, network, ema=True)
    with pytest.raises(ValueError, match="Expected training samples of shape"):
        fit_rejection_discriminator(model, real[:, :, None], network)
    two = keras.Sequential([keras.Input((1,)), keras.layers.Dense(2)])
    with pytest.raises(ValueError, match="one logit per sample"):
        fit_rejection_discriminator(model, real, two)
    with pytest.raises(ValueError, match="at least 2 real samples"):
        fit_rejection_discriminator(model, real[:1], network)
    conditional = models.ConditionalGAN(data_shape=(8, 8, 1), num_classes=3, latent_dim=4, seed=0)
    with pytest.raises(ValueError, match="unconditional latent-vector GAN"):
        fit_rejection_discriminator(conditional, real, network)
