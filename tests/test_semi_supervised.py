"""Semi-supervised GAN pieces (Salimans et al. 2016, §5): weight-normalized
dense layers with their data-dependent initialisation (Salimans & Kingma
2016), real-example weights in every adversarial loss and in feature
matching, and the SSGAN's unsupervised terms over unlabelled examples only.
Runs under whichever backend KERAS_BACKEND selects."""

import keras
import numpy as np
import pytest
from keras import ops

import kerasgan
from kerasgan import models
from kerasgan.layers import WeightNormDense, initialize_weight_norm
from kerasgan.losses.feature_matching import feature_matching_loss


def _np(x):
    return np.asarray(ops.convert_to_numpy(x))


def _normal(shape, seed):
    return np.random.default_rng(seed).standard_normal(shape).astype("float32")


def _softplus(x):
    return np.logaddexp(0.0, x)


def _ssgan_batch(seed):
    """Real and fake 2-D samples and labels, three of them −1 (unlabelled)."""
    rng = np.random.default_rng(seed)
    real = rng.standard_normal((6, 2)).astype("float32")
    fake = rng.standard_normal((6, 2)).astype("float32")
    return real, fake, np.array([-1, 2, -1, 0, 1, -1], "int32")


# ------------------------------------------------------------ WeightNormDense
def test_weight_norm_dense_matches_numpy_and_trains_only_what_it_should():
    x = _normal((6, 5), 0)
    layer = WeightNormDense(3, activation="relu")
    layer.build((None, 5))
    v = _normal((5, 3), 1)
    g = np.array([0.5, 2.0, 3.0], "float32")
    b = np.array([0.1, -0.2, 0.3], "float32")
    layer.kernel.assign(v)
    layer.scale.assign(g)
    layer.bias.assign(b)
    w = g * v / np.sqrt((v**2).sum(axis=0, keepdims=True))
    np.testing.assert_allclose(_np(layer(x)), np.maximum(x @ w + b, 0), rtol=1e-5, atol=1e-6)
    # The reference's hidden layers keep g fixed; its output layer trains it.
    assert {v.name for v in layer.trainable_weights} == {"kernel", "bias"}
    out = WeightNormDense(2, train_scale=True)
    out.build((None, 3))
    assert {v.name for v in out.trainable_weights} == {"kernel", "scale", "bias"}
    # W's columns have norm g whatever v's scale.
    layer.kernel.assign(7.0 * v)
    np.testing.assert_allclose(np.linalg.norm(_np(layer.effective_kernel()), axis=0), g, rtol=1e-5)


def test_data_dependent_initialisation_standardises_every_layer_in_order():
    x = 3.0 * _normal((400, 12), 2) + 1.5
    inputs = keras.Input((12,))
    h = WeightNormDense(16, activation="relu", name="hidden")(inputs)
    h = keras.layers.Dense(8, name="plain")(h)
    outputs = WeightNormDense(4, train_scale=True, name="out")(h)
    model = keras.Model(inputs, outputs)
    assert initialize_weight_norm(model, x) == 2
    for name in ("hidden", "out"):
        layer = model.get_layer(name)
        layer_inputs = keras.Model(model.inputs, layer.input).predict(x, verbose=0)
        pre = layer_inputs @ _np(layer.effective_kernel()) + _np(layer.bias)
        np.testing.assert_allclose(pre.mean(axis=0), 0.0, atol=1e-4)
        np.testing.assert_allclose(pre.std(axis=0), 1.0, rtol=1e-4)
    with pytest.raises(ValueError, match="no WeightNormDense layer"):
        initialize_weight_norm(keras.Sequential([keras.Input((3,)), keras.layers.Dense(2)]), x[:, :3])
    with pytest.raises(ValueError, match="units >= 1"):
        WeightNormDense(0)


def test_weight_norm_dense_keras_round_trip(tmp_path):
    inputs = keras.Input((5,))
    outputs = WeightNormDense(3, activation="relu", train_scale=True)(inputs)
    model = keras.Model(inputs, outputs)
    initialize_weight_norm(model, _normal((50, 5), 3))
    model.save(tmp_path / "wn.keras")
    loaded = keras.saving.load_model(tmp_path / "wn.keras")
    x = _normal((4, 5), 4)
    np.testing.assert_allclose(_np(loaded(x)), _np(model(x)), rtol=1e-6, atol=1e-6)
    assert loaded.layers[-1].get_config() == model.layers[-1].get_config()


# ------------------------------------------------------------ weighted real terms
def test_every_loss_weighs_its_real_term_and_feature_matching_its_real_mean():
    rng = np.random.default_rng(5)
    real, fake = rng.standard_normal((8, 1)), rng.standard_normal((8, 1))
    weights = np.array([1, 0, 1, 1, 0, 0, 1, 0], "float32")
    kept = real[weights > 0]
    for name in ("non_saturating", "minimax", "least_squares", "wasserstein", "hinge"):
        loss = kerasgan.losses.get(name)
        weighted = float(loss.discriminator_loss(
            ops.convert_to_tensor(real), ops.convert_to_tensor(fake), ops.convert_to_tensor(weights)))
        # The same as the loss of the kept real examples against all fakes.
        expected = float(loss.discriminator_loss(ops.convert_to_tensor(kept), ops.convert_to_tensor(fake)))
        np.testing.assert_allclose(weighted, expected, rtol=1e-5, err_msg=name)
    real_f, fake_f = rng.standard_normal((8, 3)), rng.standard_normal((6, 3))
    np.testing.assert_allclose(
        float(feature_matching_loss(real_f, fake_f, weights)),
        ((real_f[weights > 0].mean(0) - fake_f.mean(0)) ** 2).sum(),
        rtol=1e-5,
    )


def test_ssgan_counts_only_unlabelled_examples_as_real_data():
    model = models.SemiSupervisedGAN(
        data_shape=(2,), num_classes=3, latent_dim=4, generator_width=(8,),
        discriminator_width=(8,), data_range=None, seed=1, feature_matching=True,
    )
    model.compile()
    real, fake, labels = _ssgan_batch(6)
    t = ops.convert_to_tensor
    loss, logs = model.discriminator_loss(t(real), t(labels), fake=t(fake))
    logits = _np(model.discriminator(real))
    fake_logits = _np(model.discriminator(fake))
    lse = np.log(np.exp(logits).sum(1))
    fake_lse = np.log(np.exp(fake_logits).sum(1))
    unlabelled, labelled = labels < 0, labels >= 0
    # §5: −E_unlabelled log D(x) − E_G log(1 − D(G(z))) + cross-entropy on the labelled.
    log_softmax = logits - lse[:, None]
    cross_entropy = -log_softmax[labelled, labels[labelled]].mean()
    expected = _softplus(-lse[unlabelled]).mean() + _softplus(fake_lse).mean() + cross_entropy
    np.testing.assert_allclose(float(loss), expected, rtol=1e-5)
    np.testing.assert_allclose(float(logs["d_real"]), (1 / (1 + np.exp(-lse[unlabelled]))).mean(), rtol=1e-5)
    # A batch without unlabelled examples counts them all.
    labels_all = np.array([0, 1, 2, 0, 1, 2], "int32")
    loss_all, _ = model.discriminator_loss(t(real), t(labels_all), fake=t(fake))
    log_softmax_all = log_softmax[np.arange(6), labels_all]
    expected_all = _softplus(-lse).mean() + _softplus(fake_lse).mean() - log_softmax_all.mean()
    np.testing.assert_allclose(float(loss_all), expected_all, rtol=1e-5)
    # Feature matching aims at the unlabelled examples' mean features.
    extractor = model.feature_extractor
    g_loss, _ = model.generator_objective(t(real), t(labels), fake=t(fake))
    real_features = _np(extractor(real, training=True))
    fake_features = _np(extractor(fake, training=True))
    np.testing.assert_allclose(
        float(g_loss), ((real_features[unlabelled].mean(0) - fake_features.mean(0)) ** 2).sum(), rtol=1e-5)


def test_ssgan_entropy_term_is_the_conditional_entropy_of_the_unlabelled_examples():
    # Dai et al. 2017, §4: D's loss gains w · mean over unlabelled x of
    # −Σₖ p(k | x) log p(k | x), p the softmax of the K logits.
    kwargs = dict(data_shape=(2,), num_classes=3, latent_dim=4, generator_width=(8,),
                  discriminator_width=(8,), data_range=None, seed=1)
    plain = models.SemiSupervisedGAN(**kwargs)
    model = models.SemiSupervisedGAN(entropy_weight=0.7, **kwargs)
    for m in (plain, model):
        m.compile()
    model.discriminator.set_weights(plain.discriminator.get_weights())
    real, fake, labels = _ssgan_batch(8)
    t = ops.convert_to_tensor
    base, base_logs = plain.discriminator_loss(t(real), t(labels), fake=t(fake))
    loss, logs = model.discriminator_loss(t(real), t(labels), fake=t(fake))
    logits = _np(model.discriminator(real)).astype("float64")
    p = np.exp(logits - logits.max(1, keepdims=True))
    p /= p.sum(1, keepdims=True)
    entropy = -(p * np.log(p)).sum(1)[labels < 0].mean()
    np.testing.assert_allclose(float(logs["conditional_entropy"]), entropy, rtol=1e-5)
    np.testing.assert_allclose(float(loss), float(base) + 0.7 * entropy, rtol=1e-5)
    assert "conditional_entropy" not in base_logs
    assert "conditional_entropy" in model.log_names() and "conditional_entropy" not in plain.log_names()
    # It trains, logs the term, and the option survives get_config.
    x = np.random.default_rng(9).standard_normal((64, 2)).astype("float32")
    y = np.where(np.arange(64) % 2 == 0, -1, np.arange(64) % 3).astype("int32")
    history = model.fit(x, y, batch_size=16, epochs=1, verbose=0)
    assert np.isfinite(history.history["conditional_entropy"][-1])
    assert models.SemiSupervisedGAN.from_config(model.get_config()).entropy_weight == 0.7
    with pytest.raises(ValueError, match="entropy_weight must be >= 0"):
        models.SemiSupervisedGAN(entropy_weight=-1, **kwargs)


def test_ssgan_generates_without_labels_its_generator_is_unconditional():
    model = models.SemiSupervisedGAN(
        data_shape=(2,), num_classes=3, latent_dim=4, generator_width=(8,),
        discriminator_width=(8,), data_range=None, seed=1,
    )
    assert not model.generates_by_class
    latent = np.random.default_rng(0).standard_normal((5, 4)).astype("float32")
    np.testing.assert_allclose(model.generate(latent=latent),
                               ops.convert_to_numpy(model.generator(latent, training=False)), atol=1e-6)
    with pytest.raises(ValueError, match="not class-conditional"):
        model.generate(5, labels=1)


def test_calibrate_batch_norm_sets_real_statistics_and_restores_them():
    model = models.SemiSupervisedGAN(
        data_shape=(28, 28, 1), num_classes=3, latent_dim=4, generator_width=8,
        discriminator_width=8, seed=1,
    )
    norms = [l for l in model.discriminator.layers if isinstance(l, keras.layers.BatchNormalization)]
    assert norms
    before = [(_np(l.moving_mean).copy(), _np(l.moving_variance).copy()) for l in norms]
    x = np.tanh(_normal((64, 28, 28, 1), 7) + 0.5)
    saved = model.calibrate_batch_norm(x, batch_size=16)
    for layer in norms:
        inputs = keras.Model(model.discriminator.inputs, layer.input).predict(x, verbose=0)
        np.testing.assert_allclose(_np(layer.moving_mean), inputs.mean(axis=(0, 1, 2)), rtol=1e-4, atol=1e-5)
        np.testing.assert_allclose(_np(layer.moving_variance), inputs.var(axis=(0, 1, 2)), rtol=1e-4, atol=1e-5)
    model.restore_batch_norm(saved)
    for layer, (mean, variance) in zip(norms, before):
        np.testing.assert_array_equal(_np(layer.moving_mean), mean)
        np.testing.assert_array_equal(_np(layer.moving_variance), variance)
    plain = models.SemiSupervisedGAN(
        data_shape=(2,), num_classes=3, latent_dim=4, generator_width=(8,),
        discriminator_width=(8,), data_range=None, seed=1,
    )
    with pytest.raises(ValueError, match="no BatchNormalization"):
        plain.calibrate_batch_norm(np.zeros((4, 2), "float32"))


def test_a_users_loss_without_real_weights_still_trains_the_latent_gans():
    class Mine(kerasgan.losses.AdversarialLoss):
        def discriminator_loss(self, real_outputs, fake_outputs):  # the old signature
            return ops.mean(ops.softplus(-real_outputs)) + ops.mean(ops.softplus(fake_outputs))

        def generator_loss(self, fake_outputs):
            return ops.mean(ops.softplus(-fake_outputs))

    model = models.NetworkGAN(data_shape=(2,), latent_dim=4, generator_width=(8,),
                              discriminator_width=(8,), data_range=None, seed=1)
    model.compile(loss=Mine())
    history = model.fit(_normal((32, 2), 8), batch_size=16, epochs=1, verbose=0).history
    assert np.isfinite(history["d_loss"][0]) and np.isfinite(history["g_loss"][0])
