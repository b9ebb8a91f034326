"""benchmarks/stargan_ablations.py: the StarGAN changes it tries (a
conditional instance norm, a geometry-consistency term, PatchNCE, a semantic-
consistency term) against numpy, and a two-step run of each through the
training script."""

import json
import os

import keras
import numpy as np
import pytest
from keras import ops

from conftest import load_script

HERE = os.path.dirname(os.path.abspath(__file__))


@pytest.fixture(scope="module")
def ablations():
    return load_script(os.path.join(HERE, os.pardir, "benchmarks", "stargan_ablations.py"),
                       "stargan_ablations")


def _np(x):
    return np.asarray(ops.convert_to_numpy(x))


def _log_softmax(logits):
    """numpy's log-softmax over the last axis, in float64."""
    logits = np.asarray(logits, "float64")
    shifted = logits - logits.max(-1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(-1, keepdims=True))


def test_the_rotation_is_numpys_and_undone(ablations):
    x = np.random.default_rng(0).standard_normal((2, 5, 5, 3)).astype("float32")
    rotated = _np(ablations.rotate(ops.convert_to_tensor(x)))
    np.testing.assert_array_equal(rotated, np.rot90(x, k=-1, axes=(1, 2)))
    np.testing.assert_array_equal(_np(ablations.unrotate(ops.convert_to_tensor(rotated))), x)


def test_the_conditional_instance_norm_matches_numpy(ablations):
    rng = np.random.default_rng(1)
    x = rng.standard_normal((3, 4, 6, 5)).astype("float32") * 2 + 1
    c = np.eye(4, dtype="float32")[[0, 2, 3]]
    layer = ablations.ConditionalInstanceNormalization()
    layer([x, c])
    gamma, beta = rng.standard_normal((2, 4, 5)).astype("float32")
    layer.gamma.assign(gamma)
    layer.beta.assign(beta)
    mean, var = x.mean(axis=(1, 2), keepdims=True), x.var(axis=(1, 2), keepdims=True)
    expected = (x - mean) / np.sqrt(var + 1e-5) * (c @ gamma)[:, None, None] + (c @ beta)[:, None, None]
    np.testing.assert_allclose(_np(layer([x, c])), expected, rtol=1e-4, atol=1e-4)


def test_the_conditional_norm_generator_conditions_every_norm_and_restores_the_stock_one(ablations):
    from kerasgan.nets import resnet
    from kerasgan.nets import translation_options

    stock_normalize, stock_input = translation_options.normalize, keras.Input
    g = ablations.conditional_norm_generator()((16, 16, 1), 4, 1, condition_dim=3,
                                               normalization="instance_affine")
    kinds = {type(layer).__name__ for layer in g.layers if layer.name.endswith("_norm")}
    assert kinds == {"ConditionalInstanceNormalization"}
    assert translation_options.normalize is stock_normalize and keras.Input is stock_input
    # The stock generator is untouched.
    stock = resnet.resnet_generator((16, 16, 1), 4, 1, condition_dim=3, normalization="instance_affine")
    assert "ConditionalInstanceNormalization" not in {type(layer).__name__ for layer in stock.layers}


def _generator_losses(model_class, seed):
    """L_G of a small `model_class` and of a stock StarGAN with the same weights, on made images:
    `(model, real, target, (loss, logs), base_loss)`."""
    import kerasgan

    keras.utils.set_random_seed(0)
    kwargs = dict(image_shape=(16, 16, 1), num_domains=3, generator_filters=4, residual_blocks=1,
                  discriminator_filters=4, seed=0)
    model = model_class(**kwargs)
    plain = kerasgan.models.StarGAN(**kwargs)
    plain.set_weights(model.get_weights())
    rng = np.random.default_rng(seed)
    real = np.tanh(rng.standard_normal((4, 16, 16, 1))).astype("float32")
    original = np.array([0, 1, 2, 0], "int32")
    target = np.array([1, 2, 0, 2], "int32")
    tensors = [ops.convert_to_tensor(a) for a in (real, original, target)]
    return model, real, target, model.generator_loss(*tensors), plain.generator_loss(*tensors)[0]


def test_the_geometry_term_adds_its_weight_times_the_numpy_distance(ablations):
    model, real, target, (loss, logs), base = _generator_losses(ablations.geometry_stargan(2.5), seed=2)
    fake = model.translate(real, target)
    back = np.rot90(model.translate(np.rot90(real, k=-1, axes=(1, 2)).copy(), target), k=1, axes=(1, 2))
    distance = np.abs(fake - back).mean()
    assert float(_np(logs["geometry"])) == pytest.approx(distance, rel=1e-4, abs=1e-6)
    assert float(_np(loss)) == pytest.approx(float(_np(base)) + 2.5 * distance, rel=1e-4, abs=1e-5)
    assert "geometry" in model.log_names()


@pytest.mark.once  # the training script's plumbing; the pieces above run per backend
@pytest.mark.parametrize("ablation", ["conditional-norm", "geometry", "patch-nce", "semantic"])
def test_each_ablation_trains_through_the_script_and_records_itself(ablations, tmp_path, monkeypatch,
                                                                  ablation):
    import kerasgan

    train = load_script(os.path.join(HERE, os.pardir, "scripts", "train_stargan_fashion_mnist.py"),
                        "train_stargan_fashion_mnist")
    monkeypatch.setitem(__import__("sys").modules, "train_stargan_fashion_mnist", train)
    rng = np.random.default_rng(0)
    x = np.tanh(rng.standard_normal((20, 28, 28, 1))).astype("float32")
    y = (np.arange(20) % 4).astype("int32")
    monkeypatch.setattr(train, "load_task", lambda: (x, y))
    monkeypatch.setattr(train, "preview_examples", lambda seed=0: x[:4])
    # semantic: its garment classifier trained on made images of the four domains with made labels.
    labels = [np.arange(5) % 10 + i for i in range(4)]
    monkeypatch.setattr(kerasgan.data, "load_domain_task", lambda name, split="train", with_labels=False: (
        [x[i * 5:(i + 1) * 5] for i in range(4)], labels))
    made = []  # (the classifier, its weights when made)
    real_classifier = ablations.garment_classifier

    def garment_classifier(epochs):
        classifier = real_classifier(epochs)
        made.append((classifier, [np.array(w) for w in classifier.get_weights()]))
        return classifier

    monkeypatch.setattr(ablations, "garment_classifier", garment_classifier)
    stock = kerasgan.models.StarGAN
    out = tmp_path / "run"
    result = ablations.main([ablation, "--filters", "4", "--residual-blocks", "1", "--batch-size", "2",
                             "--iterations", "2", "--log-every", "1", "--eval-images", "0",
                             "--out", str(out)])
    assert kerasgan.models.StarGAN is stock  # restored
    record = json.loads((out / "stargan_fashion_mnist.json").read_text())
    assert record["ablation"]["name"] == ablation and record["train_steps"] == 2
    assert ("geometry" in record["history"]) == (ablation == "geometry")
    assert ("semantic" in record["history"]) == (ablation == "semantic")
    assert result["ablation"] == record["ablation"]
    if ablation == "semantic":
        ((classifier, weights),) = made
        assert classifier.output.shape[-1] == 10 and not classifier.trainable
        for before, after in zip(weights, classifier.get_weights()):  # StarGAN's steps leave f as it was
            np.testing.assert_array_equal(before, after)
        accuracy = record["ablation"]["garment_classifier_test_accuracy"]
        assert set(accuracy) == {"original", "edges", "negative", "dilated"}
        assert all(0.0 <= a <= 1.0 for a in accuracy.values())


@pytest.mark.once  # a measurement's plumbing, on a made model and made images
def test_the_noise_probe_reads_round_trips_and_draws_the_swap_grid(ablations, tmp_path, monkeypatch):
    import kerasgan
    from PIL import Image

    model = kerasgan.models.StarGAN(image_shape=(28, 28, 1), num_domains=4, generator_filters=4,
                                    residual_blocks=1, discriminator_filters=4, seed=0)
    rng = np.random.default_rng(0)
    x = np.tanh(rng.standard_normal((40, 28, 28, 1))).astype("float32")
    y = np.arange(40) % 10
    monkeypatch.setattr(kerasgan.zoo, "load", lambda name: model)
    monkeypatch.setattr(kerasgan.data, "load_fashion_mnist", lambda split, with_labels: (x, y))
    png = tmp_path / "swap.png"
    report = ablations.main(["noise-probe", "--images", "30", "--json", str(tmp_path / "r.json"),
                             "--png", str(png)])
    assert json.loads((tmp_path / "r.json").read_text()) == report
    assert report["images"] == 30
    assert set(report["round_trip_kept"]) == {"noise 0", "noise 0.02", "noise 0.05", "noise 0.1",
                                              "noise 0.2", "noise 0.3", "box blur 3x3"}
    assert all(0.0 <= v <= 1.0 for v in report["round_trip_kept"].values())
    width, height = Image.open(png).size
    assert width > height > 0  # 20 columns, 4 rows
    with pytest.raises(SystemExit):
        ablations.main(["noise-probe", "--iterations", "3"])


@pytest.mark.once  # a measurement's plumbing, on a made model and made images
def test_the_content_split_divides_the_kept_share_by_f_reading_the_source(ablations, tmp_path, monkeypatch):
    import kerasgan
    from kerasgan.metrics.domain_translation import train_content_classifier

    rng = np.random.default_rng(0)
    x = np.tanh(rng.standard_normal((40, 28, 28, 1))).astype("float32")
    y = np.arange(40) % 10
    f = train_content_classifier(x, y, num_classes=10, epochs=3, batch_size=8)
    model = kerasgan.models.StarGAN(image_shape=(28, 28, 1), num_domains=4, generator_filters=4, residual_blocks=1,
                                    discriminator_filters=4, content_classifier=f, lambda_content=1.0, seed=0)
    monkeypatch.setattr(kerasgan.zoo, "load", lambda name: model)
    monkeypatch.setattr(kerasgan.data, "load_domain_task", lambda name, split, with_labels: (
        [x, -x, x[::-1], np.abs(x)], [y, y, y[::-1], y]))
    report = ablations.main(["content-split", "--json", str(tmp_path / "r.json")])
    assert json.loads((tmp_path / "r.json").read_text()) == report
    assert set(report["by_source"]) == {"original", "edges", "negative", "dilated"}
    for part in report["by_source"].values():
        assert part["images"] == 40
        # The two groups make up the whole: kept = a·kept|f right + (1 − a)·kept|f wrong (an empty group,
        # None, has weight 0).
        right, wrong = part["kept_where_f_right"], part["kept_where_f_wrong"]
        assert (right is None) == (part["f_accuracy"] == 0) and (wrong is None) == (part["f_accuracy"] == 1)
        assert part["kept"] == pytest.approx(
            part["f_accuracy"] * (right or 0.0) + (1 - part["f_accuracy"]) * (wrong or 0.0), abs=1e-9)
    original = report["by_source"]["original"]
    assert original["f_accuracy"] == pytest.approx(np.mean(np.argmax(np.asarray(
        keras.ops.convert_to_numpy(f(x))), axis=1) == y))
    monkeypatch.setattr(kerasgan.zoo, "load", lambda name: kerasgan.models.StarGAN(
        image_shape=(28, 28, 1), num_domains=4, generator_filters=4, residual_blocks=1, discriminator_filters=4))
    with pytest.raises(SystemExit, match="has no content classifier"):
        ablations.main(["content-split"])


def test_patch_nce_matches_numpy(ablations):
    rng = np.random.default_rng(3)
    q, k = rng.standard_normal((2, 2, 5, 4)).astype("float32")
    q /= np.linalg.norm(q, axis=-1, keepdims=True)
    k /= np.linalg.norm(k, axis=-1, keepdims=True)
    logits = np.einsum("npd,nqd->npq", q, k) / 0.07
    log_softmax = _log_softmax(logits)
    expected = -np.mean([log_softmax[n, i, i] for n in range(2) for i in range(5)])
    got = float(_np(ablations.patch_nce_loss(ops.convert_to_tensor(q), ops.convert_to_tensor(k))))
    assert got == pytest.approx(expected, rel=1e-4)
    # A translation that keeps each location's features scores far lower than one that moves them.
    moved = float(_np(ablations.patch_nce_loss(ops.convert_to_tensor(k[:, ::-1].copy()),
                                               ops.convert_to_tensor(k))))
    assert float(_np(ablations.patch_nce_loss(ops.convert_to_tensor(k), ops.convert_to_tensor(k)))) < moved


@pytest.mark.once  # a compiled StarGAN step with the term: 20-27 s under tensorflow and jax
def test_patch_nce_heads_are_the_generators_and_one_step_trains_them(ablations):
    keras.utils.set_random_seed(0)
    model = ablations.patch_nce_stargan(1.0, patches=16, units=8)(
        image_shape=(16, 16, 1), num_domains=3, generator_filters=4, residual_blocks=2,
        discriminator_filters=4, seed=0)
    heads = model.generator.nce_heads
    assert len(heads) == 5  # the image, the first conv, two downsamplings, the middle block
    head_ids = {id(v) for head in heads for v in head.trainable_variables}
    assert head_ids <= {id(v) for v in model.player_variables("generator")}
    assert not head_ids & {id(v) for v in model.player_variables("discriminator")}
    model.compile()
    rng = np.random.default_rng(0)
    x = np.tanh(rng.standard_normal((10, 16, 16, 1))).astype("float32")
    before = [np.array(_np(v)) for head in heads for v in head.trainable_variables]
    history = model.fit(x, np.arange(10) % 3, batch_size=10, epochs=1, verbose=0)
    after = [np.array(_np(v)) for head in heads for v in head.trainable_variables]
    assert all(not np.allclose(a, b) for a, b in zip(before, after))
    assert np.isfinite(history.history["nce"][-1]) and history.history["nce"][-1] > 0


def test_the_semantic_term_adds_its_weight_times_numpys_cross_entropy(ablations):
    """CyCADA's eq. 4: L_G gains λ·CE(f(G(x, c)), argmax f(x)); f's weights belong to no player."""
    from kerasgan.metrics.domain_translation import domain_classifier_model

    classifier = domain_classifier_model((16, 16, 1), 10, seed=0)
    classifier.trainable = False
    model, real, target, (loss, logs), base = _generator_losses(
        ablations.semantic_stargan(2.5, classifier), seed=4)
    pseudo = _np(classifier(real, training=False)).argmax(axis=1)
    log_softmax = _log_softmax(_np(classifier(model.translate(real, target), training=False)))
    expected = -log_softmax[np.arange(4), pseudo].mean()
    assert float(_np(logs["semantic"])) == pytest.approx(expected, rel=1e-4, abs=1e-6)
    assert float(_np(loss)) == pytest.approx(float(_np(base)) + 2.5 * expected, rel=1e-4, abs=1e-5)
    assert "semantic" in model.log_names()
    f_ids = {id(v) for v in classifier.weights}
    for player in ("generator", "discriminator"):
        assert not f_ids & {id(v) for v in model.player_variables(player)}
