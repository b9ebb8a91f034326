"""Every published GAN of the zoo, on this backend: it loads with its weights
hash-checked, and its samples are in range and not collapsed.

The cheap per-entry check of the zoo: 500 samples (latent seed 0) of each
published Fashion-MNIST generator, judged by the published Fashion-MNIST
classifier (the one FMNIST-FID uses), must fall in at least 8 of the 10
classes (a class counts with 1 % of the samples, as the cards' "classes
seen"). A conditional model is asked for each class in turn. New entries
are picked up from the registry.
"""

import numpy as np
import pytest

import kerasgan
from kerasgan import zoo

ENTRIES = sorted(
    name for name, entry in zoo.registry().items()
    if entry.get("weights") and entry.get("class") and name.endswith("_fashion_mnist")
)


@pytest.fixture(scope="module")
def classifier():
    from kerasgan.extractors import FashionMNISTFeatureExtractor

    return FashionMNISTFeatureExtractor()


def test_every_published_fashion_mnist_gan_is_checked():
    assert "dcgan_fashion_mnist" in ENTRIES


@pytest.mark.parametrize("name", ENTRIES)
def test_published_generator_loads_and_covers_the_classes(name, classifier):
    model = zoo.load(name)  # raises if the weights' SHA-256 differs from the registry's
    assert type(model).__name__ == zoo.registry()[name]["class"]
    kwargs = {"labels": np.arange(500) % 10} if getattr(model, "generates_by_class", False) else {}
    samples = np.asarray(model.generate(500, seed=0, **kwargs))
    assert samples.shape == (500, 28, 28, 1)
    assert np.isfinite(samples).all() and samples.min() >= -1.0 and samples.max() <= 1.0
    classes = classifier.predict_classes(samples)
    shares = np.bincount(classes, minlength=10) / len(classes)
    assert (shares >= 0.01).sum() >= 8, shares
    # Not one repeated image: samples differ pixel by pixel.
    assert samples.reshape(500, -1).std(axis=0).mean() > 0.1
    if kwargs:
        agreement = np.mean(classes == kwargs["labels"])
        assert agreement > 0.5, agreement


@pytest.mark.parametrize("name", [n for n in ENTRIES if hasattr(getattr(kerasgan.models, zoo.registry()[n]["class"]),
                                                                "classify")])
def test_published_discriminator_classifies_as_its_card_says(name):
    """A semi-supervised or AC-GAN entry's D, as a classifier, on this backend:
    its error on the first 2,000 test images is within 3 points of the error
    on all 10,000 that its card reports (measured under the backend it was
    trained on)."""
    import json
    import os

    if not os.path.exists("/usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz"):
        pytest.skip("needs Debian's dataset-fashion-mnist")
    with open(os.path.join(zoo.zoo_dir(), name, "evaluation.json")) as f:
        record = json.load(f)
    x, y = kerasgan.data.load_fashion_mnist("test", with_labels=True)
    error = np.mean(np.asarray(zoo.load(name).classify(x[:2000])) != y[:2000])
    assert abs(error - record["generated"]["discriminator_test_error"]) < 0.03, error
