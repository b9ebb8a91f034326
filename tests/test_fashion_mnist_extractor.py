"""The Fashion-MNIST classifier feature extractor, its zoo weights, and `extractors.get`."""

import os
import shutil

import keras
import numpy as np
import pytest

import kerasgan
from kerasgan import metrics
from kerasgan import zoo
from kerasgan.extractors import registry
from kerasgan.extractors.fashion_mnist_classifier import ZOO_NAME
from kerasgan.extractors.fashion_mnist_classifier import FashionMNISTFeatureExtractor
from kerasgan.extractors.fashion_mnist_classifier import fashion_mnist_classifier

from conftest import random_images


class NumpyNormal(keras.initializers.Initializer):
    """Random kernels without Keras's per-shape RNG compilation on JAX (seconds each)."""

    def __call__(self, shape, dtype=None):
        return np.random.default_rng(0).normal(0.0, 0.1, shape).astype("float32")


@pytest.fixture(scope="module")
def untrained():
    model = fashion_mnist_classifier(kernel_initializer=NumpyNormal())
    return FashionMNISTFeatureExtractor(model=model, batch_size=4)


@pytest.fixture(scope="module")
def published():
    return FashionMNISTFeatureExtractor()  # the zoo weights, hash-checked


@pytest.fixture(scope="module")
def test_slice():
    try:
        images, labels = kerasgan.data.load_fashion_mnist(
            "test", with_labels=True, download=False
        )
    except kerasgan.data.DatasetNotFoundError as error:
        pytest.skip(f"Fashion-MNIST is not installed locally: {error}")
    return images[:500], labels[:500]


def test_architecture_output_shapes(untrained):
    model = untrained.model
    assert model.input.shape[1:] == (28, 28, 1)
    assert model.output.shape[-1] == 10
    assert model.get_layer("features").output.shape[-1] == 128
    images = random_images(6)  # 6 = one full batch of 4 and a partial one
    features, logits = untrained.features_and_logits(images)
    assert features.shape == (6, 128) and features.dtype == np.float32
    assert logits.shape == (6, 10) and logits.dtype == np.float32
    np.testing.assert_array_equal(untrained(images), features)
    np.testing.assert_array_equal(untrained.logits(images), logits)
    probs = untrained.probabilities(images)
    assert probs.shape == (6, 10)
    np.testing.assert_allclose(probs.sum(axis=1), 1.0, atol=1e-12)
    # Batching does not change the results.
    np.testing.assert_allclose(untrained.features(images, batch_size=6), features, atol=1e-5)


@pytest.mark.parametrize(
    "images, message",
    [
        (np.zeros((28, 28, 1), "float32"), r"rank 3, shape \(28, 28, 1\).*images\[None\]"),
        (np.zeros((2, 28, 28), "float32"), r"rank 3, shape \(2, 28, 28\).*images\[\.\.\., None\]"),
        (np.zeros((2, 28, 28, 3), "float32"), r"got 3 channels, shape \(2, 28, 28, 3\)"),
        (np.zeros((2, 1, 28, 28), "float32"), r"got 28 channels.*channels-first"),
        (np.zeros((2, 32, 32, 1), "float32"), r"size 32x32, shape \(2, 32, 32, 1\)"),
        (np.full((2, 28, 28, 1), 255.0, "float32"), r"values in \[-1, 1\]; got values in \[255, 255\]"),
        (np.full((2, 28, 28, 1), -1.5, "float32"), r"got values in \[-1.5, -1.5\]"),
        (np.zeros((2, 28, 28, 1), "uint8"), r"dtype uint8.*127.5"),
        (np.full((2, 28, 28, 1), np.nan, "float32"), r"NaN"),
    ],
)
def test_input_validation(untrained, images, message):
    with pytest.raises(ValueError, match=message):
        untrained.features(images)


def test_batch_size_is_validated(untrained):
    with pytest.raises(ValueError, match="batch_size"):
        FashionMNISTFeatureExtractor(model=untrained.model, batch_size=0)


def test_zoo_weights_are_hash_verified(tmp_path, monkeypatch):
    info = zoo.entry(ZOO_NAME)
    path = zoo.weights_path(ZOO_NAME)
    assert zoo.sha256(path) == info["sha256"]
    assert os.path.getsize(path) < 4 * 1024 * 1024
    # A corrupt copy is refused.
    directory = tmp_path / "zoo"
    (directory / ZOO_NAME).mkdir(parents=True)
    shutil.copyfile(os.path.join(zoo.zoo_dir(), "registry.json"), directory / "registry.json")
    data = bytearray(open(path, "rb").read())
    data[-100] ^= 0xFF
    (directory / info["weights"]).write_bytes(bytes(data))
    monkeypatch.setenv(zoo.ZOO_DIR_ENV, str(directory))
    with pytest.raises(zoo.WeightsIntegrityError, match="SHA-256"):
        FashionMNISTFeatureExtractor()


def test_blocks_set_the_architecture_and_the_zoo_entry_records_it():
    model = fashion_mnist_classifier(
        blocks=((8, 1), (16, 2)), features_dim=32, kernel_initializer=NumpyNormal()
    )
    assert [l.name for l in model.layers if isinstance(l, keras.layers.Conv2D)] == [
        "block1_conv1", "block2_conv1", "block2_conv2"]
    assert model.get_layer("features").output.shape[-1] == 32
    assert model.get_layer("flatten").output.shape[-1] == 7 * 7 * 16
    # weights="zoo" builds the architecture of the zoo entry's config.
    config = zoo.entry(ZOO_NAME).get("config", {})
    expected = fashion_mnist_classifier(**config, kernel_initializer=NumpyNormal())
    published = fashion_mnist_classifier(weights="zoo")
    assert [v.shape for v in published.weights] == [v.shape for v in expected.weights]


def test_missing_weights_file_is_a_clear_error(tmp_path):
    with pytest.raises(FileNotFoundError, match="classifier weights not found"):
        fashion_mnist_classifier(weights=str(tmp_path / "none.weights.h5"))


def test_published_classifier_is_accurate(published, test_slice):
    images, labels = test_slice
    accuracy = np.mean(published.predict_classes(images) == labels)
    assert accuracy >= 0.9, accuracy


def test_fid_of_a_set_against_itself_is_zero(published, test_slice):
    images, _ = test_slice
    features = published(images)
    assert features.shape == (500, 128)
    assert metrics.fid_from_features(features, features) < 1e-6
    # ... and real images against noise are far apart.
    noise = published(random_images(500, seed=1))
    assert metrics.fid_from_features(features, noise) > 10.0


def test_get_by_name(untrained):
    extractor = registry.get("fashion_mnist", model=untrained.model, batch_size=7)
    assert isinstance(extractor, FashionMNISTFeatureExtractor)
    assert extractor.batch_size == 7 and extractor.model is untrained.model
    sentinel = object()  # a prebuilt model: no Inception weights needed
    inception = registry.get("inception", model=sentinel)
    assert isinstance(inception, kerasgan.extractors.InceptionFeatureExtractor)
    assert inception.model is sentinel
    assert registry.names() == ["fashion_mnist", "inception"]


@pytest.mark.parametrize(
    "name, closest",
    [("fashion_mnst", "fashion_mnist"), ("fashionmnist", "fashion_mnist"), ("incepton", "inception")],
)
def test_get_unknown_name_suggests_the_closest(name, closest):
    with pytest.raises(
        ValueError,
        match=rf"Unknown feature extractor '{name}'\. Available: fashion_mnist, inception\. "
        rf"Did you mean '{closest}'\?",
    ):
        registry.get(name)


def test_get_unknown_name_without_a_close_match():
    with pytest.raises(ValueError, match=r"Unknown feature extractor 'vgg16'\. Available") as info:
        registry.get("vgg16")
    assert "Did you mean" not in str(info.value)
