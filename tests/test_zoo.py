"""The zoo: loading by name, hash verification, the published DCGAN."""

import os
import shutil

import numpy as np
import pytest

import kerasgan
from kerasgan import cli
from kerasgan import zoo


@pytest.fixture
def tiny_zoo(tmp_path):
    run = tmp_path / "run"
    assert cli.main(["train", "--dataset", "digits", "--limit", "128", "--epochs", "1",
                     "--filters", "8", "--latent-dim", "8", "--verbose", "0", "--out", str(run)]) == 0
    directory = tmp_path / "zoo"
    zoo.publish(str(run), "tiny_digits", "a test model", zoo_dir=str(directory))
    return directory, run


def test_publish_then_load_gives_the_trained_generator(tiny_zoo):
    directory, run = tiny_zoo
    import keras

    trained = keras.saving.load_model(run / "model.keras")
    model = zoo.load("tiny_digits", directory=str(directory))
    np.testing.assert_allclose(model.generate(8, seed=0), trained.generate(8, seed=0), atol=1e-6)
    assert (directory / "tiny_digits" / "README.md").read_text().count("kerasgan train") == 1
    assert zoo.entry("tiny_digits", str(directory))["sha256"] == zoo.sha256(
        directory / "tiny_digits" / "model.weights.h5")


def test_corrupt_weights_are_refused(tiny_zoo, monkeypatch, capsys, tmp_path):
    directory, _ = tiny_zoo
    weights = directory / "tiny_digits" / "model.weights.h5"
    data = bytearray(weights.read_bytes())
    data[-100] ^= 0xFF
    weights.write_bytes(bytes(data))
    with pytest.raises(zoo.WeightsIntegrityError, match="SHA-256.*restore the file in that zoo directory"):
        zoo.load("tiny_digits", directory=str(directory))
    # From the command line: the same message, no traceback, nothing written.
    monkeypatch.setenv(zoo.ZOO_DIR_ENV, str(directory))
    capsys.readouterr()
    assert cli.main(["sample", "tiny_digits", "--out", str(tmp_path / "s.png")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("kerasgan sample: error: ") and "SHA-256" in err and "Traceback" not in err
    assert not (tmp_path / "s.png").exists()
    weights.unlink()
    with pytest.raises(FileNotFoundError, match="weights of zoo model 'tiny_digits' are missing"):
        zoo.load("tiny_digits", directory=str(directory))


def test_unknown_name_lists_models_and_closest_match():
    with pytest.raises(ValueError, match=r"Unknown zoo model 'dcgan_fashion'.*Available: .*dcgan_fashion_mnist.*Closest match: 'dcgan_fashion_mnist'"):
        zoo.load("dcgan_fashion")


def test_published_dcgan_fashion_mnist_makes_varied_garments():
    """The zoo model's samples look like real garments of many classes.

    Judged by 1-nearest-neighbour in pixel space against 6,000 labelled real
    training images. Measured when publishing (500 samples, seed 0): median
    nearest-neighbour distance 10.4 against 8.1 for 500 real test images;
    all 10 classes present, shares 4%-14%; per-pixel spread across samples
    0.53 against 0.55 for real images.
    """
    model = zoo.load("dcgan_fashion_mnist")
    assert isinstance(model, kerasgan.models.DCGAN)
    samples = model.generate(500, seed=0).reshape(500, -1)
    try:
        images, labels = kerasgan.data.load_fashion_mnist(with_labels=True, download=False)
        test = kerasgan.data.load_fashion_mnist(split="test", download=False)[:500].reshape(500, -1)
    except kerasgan.data.DatasetNotFoundError as error:
        pytest.skip(str(error))
    reference = images[:6000].reshape(6000, -1)
    ref_labels = labels[:6000]

    def nearest(x):
        d = (x**2).sum(1)[:, None] - 2 * x @ reference.T + (reference**2).sum(1)[None]
        return np.sqrt(np.maximum(d.min(1), 0)), ref_labels[d.argmin(1)]

    sample_dist, sample_classes = nearest(samples)
    real_dist, _ = nearest(test)
    # As close to real training images as real test images are, within 50%.
    assert np.median(sample_dist) < 1.5 * np.median(real_dist), (np.median(sample_dist), np.median(real_dist))
    counts = np.bincount(sample_classes, minlength=10) / len(sample_classes)
    assert (counts > 0.02).sum() >= 8, counts  # at least 8 of the 10 classes
    assert counts.max() < 0.35, counts  # no class dominates
    # Varied images, not one repeated image: per-pixel spread near the data's.
    assert np.std(samples, axis=0).mean() > 0.8 * np.std(test, axis=0).mean()
