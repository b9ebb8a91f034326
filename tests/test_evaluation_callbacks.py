"""GANEvaluation (metrics in `logs`), TrainingReport and `kerasgan eval`.

A tiny deterministic extractor (a fixed random projection of the pixels,
and a softmax over a second projection) stands in for the trained ones, so
these tests need no weights.
"""

import argparse
import json
import warnings

import keras
import numpy as np
import pytest
from PIL import Image

import kerasgan
from conftest import random_images
from kerasgan import metrics
from kerasgan.callbacks.evaluation import GANEvaluation
from kerasgan.callbacks.evaluation import evaluate_model
from kerasgan.callbacks.training_report import TrainingReport
from kerasgan import cli_eval

EVAL_KEYS = {"fid", "is", "is_std", "kid", "kid_std", "precision", "recall"}


class TinyExtractor:
    """features: tanh of a fixed projection to 8-d; probabilities: softmax to 5 classes."""

    def __init__(self, pixels=28 * 28, dim=8, classes=5):
        rng = np.random.default_rng(123)
        self.w = rng.standard_normal((pixels, dim)) / np.sqrt(pixels)
        self.v = rng.standard_normal((dim, classes))
        self.calls = 0

    def features(self, images):
        self.calls += 1
        x = np.asarray(images, dtype="float64").reshape(len(images), -1)
        return np.tanh(3.0 * x @ self.w)

    def probabilities(self, images):
        z = self.features(images) @ self.v
        z = np.exp(z - z.max(axis=1, keepdims=True))
        return z / z.sum(axis=1, keepdims=True)


class Recorder(keras.callbacks.Callback):
    """Records a copy of every epoch's logs, as a callback after GANEvaluation sees them."""

    def __init__(self):
        super().__init__()
        self.logs = []

    def on_epoch_end(self, epoch, logs=None):
        self.logs.append(dict(logs or {}))


def tiny_dcgan():
    return kerasgan.models.DCGAN(
        image_shape=(28, 28, 1), generator_filters=4, discriminator_filters=4, latent_dim=8, seed=1
    )


@pytest.fixture(scope="module")
def real():
    return random_images(40, seed=7)


def test_metrics_reach_later_callbacks_history_and_early_stopping(tmp_path, real):
    model = tiny_dcgan()
    model.compile()
    extractor = TinyExtractor()
    evaluation = GANEvaluation(
        real, extractor=extractor, metrics=("fid", "is", "kid", "pr"), num_samples=40,
        batch_size=16, seed=3, verbose=0,
    )
    recorder = Recorder()
    stopping = keras.callbacks.EarlyStopping(monitor="fid", mode="min", patience=5)
    report = TrainingReport(tmp_path / "report")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        history = model.fit(
            random_images(32), batch_size=32, epochs=2, verbose=0,
            callbacks=[evaluation, recorder, stopping, report],
        )
    missing = [str(w.message) for w in caught if "not available" in str(w.message)]
    assert not missing, missing
    assert len(recorder.logs) == 2
    for logs in recorder.logs:
        assert EVAL_KEYS <= set(logs) and {"d_loss", "g_loss", "d_real", "d_fake"} <= set(logs)
        assert all(np.isfinite(logs[k]) for k in EVAL_KEYS)
    assert history.history["fid"] == [logs["fid"] for logs in recorder.logs]
    assert stopping.best == min(history.history["fid"])
    assert sorted(evaluation.results) == [0, 1]

    # The logged values are the metrics of model.generate(num_samples, seed) now.
    fake = model.generate(40, seed=3)
    real_features, fake_features = extractor.features(real), extractor.features(fake)
    last = recorder.logs[-1]
    np.testing.assert_allclose(last["fid"], metrics.fid_from_features(real_features, fake_features), rtol=1e-5)
    np.testing.assert_allclose(
        (last["is"], last["is_std"]), metrics.inception_score(extractor.probabilities(fake)), rtol=1e-6
    )
    np.testing.assert_allclose(
        (last["kid"], last["kid_std"]),
        metrics.kernel_inception_distance(real_features, fake_features, seed=3),
        rtol=1e-5, atol=1e-9,
    )
    pr = metrics.precision_recall(real_features, fake_features)
    assert (last["precision"], last["recall"]) == (pr["precision"], pr["recall"])

    # TrainingReport (after GANEvaluation) has History's per-epoch values.
    saved = json.loads((tmp_path / "report" / "report.json").read_text())
    assert saved["epochs"] == [1, 2]
    assert set(saved["history"]) == set(history.history)
    for name, values in history.history.items():
        np.testing.assert_allclose(saved["history"][name], values, rtol=1e-12)
        assert saved["history_epochs"][name] == [1, 2]
    with Image.open(tmp_path / "report" / "report.png") as image:
        assert image.format == "PNG"
        image.verify()

    # every=2 over 3 more epochs: evaluated at epoch 2 and at the last one;
    # the keys are absent on epochs without an evaluation.
    recorder.logs.clear()
    evaluation.every = 2
    model.fit(random_images(32), batch_size=32, epochs=3, verbose=0, callbacks=[evaluation, recorder])
    assert [EVAL_KEYS <= set(logs) for logs in recorder.logs] == [False, True, True]
    assert not EVAL_KEYS & set(recorder.logs[0])
    assert extractor.calls > 0


def test_reference_statistics_are_cached_and_reused(tmp_path, real):
    model = tiny_dcgan()
    path = tmp_path / "ref.npz"
    extractor = TinyExtractor()
    first = evaluate_model(model, real, extractor, metrics="fid", num_samples=20,
                           batch_size=8, verbose=0, reference_statistics=path)
    mu, sigma, meta = metrics.load_statistics(path, with_meta=True)
    np.testing.assert_allclose(mu, extractor.features(real).mean(axis=0))
    assert meta["num_real"] == 40 and meta["feature_dim"] == 8
    # With the statistics on disk, FID needs no real images.
    second = evaluate_model(model, None, extractor, metrics=["fid", "is"], num_samples=20,
                            batch_size=8, verbose=0, reference_statistics=path)
    assert second["fid"] == first["fid"] and {"is", "is_std"} <= set(second)


def test_extractor_name_is_resolved_when_training_starts(monkeypatch, real):
    from kerasgan.callbacks import evaluation as module

    resolved = []

    def fake_lookup(name):
        resolved.append(name)
        return TinyExtractor()

    monkeypatch.setattr(module, "_extractor_by_name", fake_lookup)
    callback = GANEvaluation(real, extractor="fashion_mnist", metrics="fid,is", num_samples=10, verbose=0)
    assert resolved == []  # nothing loaded at construction
    model = tiny_dcgan()
    callback.set_model(model)
    callback.on_train_begin()
    assert resolved == ["fashion_mnist"]
    logs = {"d_loss": 1.0}
    callback.on_epoch_end(0, logs)
    assert {"fid", "is", "is_std"} <= set(logs) and resolved == ["fashion_mnist"]


def test_clear_errors(real):
    with pytest.raises(ValueError, match="num_samples.*at least 2"):
        GANEvaluation(real, TinyExtractor(), num_samples=1)
    with pytest.raises(ValueError, match=r"Unknown metric 'fd'.*'fid', 'is', 'kid', 'pr'"):
        GANEvaluation(real, TinyExtractor(), metrics=("fd",))
    with pytest.raises(ValueError, match="num_samples >= is_splits=10"):
        GANEvaluation(real, TinyExtractor(), metrics=("is",), num_samples=5)
    with pytest.raises(ValueError, match="real_images is needed"):
        GANEvaluation(None, TinyExtractor(), metrics=("kid",))
    wrong = GANEvaluation(random_images(8, shape=(32, 32, 1)), TinyExtractor(), num_samples=10, verbose=0)
    model = tiny_dcgan()
    model.compile()
    with pytest.raises(ValueError, match=r"real_images have shape \(32, 32, 1\).*\(28, 28, 1\)"):
        model.fit(random_images(32), batch_size=32, epochs=1, verbose=0, callbacks=[wrong])
    with pytest.raises(TypeError, match="no features"):
        evaluate_model(model, real, extractor=object(), metrics="fid", num_samples=4, verbose=0)


def test_training_report_keeps_earlier_epochs_on_resume(tmp_path):
    report = TrainingReport(tmp_path)
    for epoch in range(3):
        report.on_epoch_begin(epoch)
        logs = {"d_loss": 1.0 + epoch, "g_loss": float("nan") if epoch == 1 else 2.0}
        if epoch == 2:
            logs.update({"kid": 0.5, "kid_std": 0.1})
        report.on_epoch_end(epoch, logs)
    saved = json.loads((tmp_path / "report.json").read_text())
    assert saved["history"]["g_loss"] == [2.0, None, 2.0]
    assert saved["history_epochs"]["kid"] == [3]
    resumed = TrainingReport(tmp_path)
    resumed.on_epoch_begin(2)  # resume after epoch 2: epoch 3's old values are dropped
    resumed.on_epoch_end(2, {"d_loss": 9.0})
    resumed.on_train_end()
    saved = json.loads((tmp_path / "report.json").read_text())
    assert saved["epochs"] == [1, 2, 3] and saved["history"]["d_loss"] == [1.0, 2.0, 9.0]
    assert "kid" not in saved["history"]
    with Image.open(tmp_path / "report.png") as image:
        assert image.format == "PNG"


def test_eval_command(tmp_path, real, capsys):
    model = tiny_dcgan()
    model.save(tmp_path / "m.keras")
    np.save(tmp_path / "real.npy", real)
    parser = argparse.ArgumentParser(prog="kerasgan")
    cli_eval.add_eval_parser(parser.add_subparsers(dest="command"))
    args = parser.parse_args([
        "eval", str(tmp_path / "m.keras"), "--metrics", "fid,is,kid", "--num-samples", "30",
        "--data", str(tmp_path / "real.npy"), "--json", str(tmp_path / "out.json"),
        "--batch-size", "16", "--seed", "5", "--verbose", "0",
    ])
    extractor = TinyExtractor()
    assert cli_eval.evaluate(args, extractor=extractor) == 0
    table = capsys.readouterr().out.splitlines()
    assert table[0].split() == ["metric", "value", "±"]
    assert [line.split()[0] for line in table[1:4]] == ["fid", "is", "kid"]
    assert len(table[2].split()) == 3 and len(table[1].split()) == 2  # is has a ±, fid none
    saved = json.loads((tmp_path / "out.json").read_text())
    assert set(saved["results"]) == {"fid", "is", "is_std", "kid", "kid_std"}
    assert saved["num_samples"] == 30 and saved["num_real"] == 40
    loaded = keras.saving.load_model(tmp_path / "m.keras")
    fake = loaded.generate(30, seed=5)
    np.testing.assert_allclose(
        saved["results"]["fid"],
        metrics.fid_from_features(extractor.features(real), extractor.features(fake)),
        rtol=1e-5,
    )


def test_training_report_reused_for_a_second_fit_from_epoch_zero(tmp_path):
    report = TrainingReport(tmp_path)
    for run in range(2):
        for epoch in range(2):
            report.on_epoch_begin(epoch)
            report.on_epoch_end(epoch, {"d_loss": 10.0 * run + epoch})
    assert report.report()["history"] == {"d_loss": [10.0, 11.0]}
    assert report.report()["epochs"] == [1, 2]
