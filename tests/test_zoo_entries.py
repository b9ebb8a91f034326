"""Every published GAN of the zoo, on this backend: it loads with its weights
hash-checked, and its samples are in range and not collapsed.

The cheap per-entry check of the zoo: 500 samples (latent seed 0) of each
published Fashion-MNIST generator, judged by the published Fashion-MNIST
classifier (the one FMNIST-FID uses), must fall in at least 8 of the 10
classes (a class counts with 1 % of the samples, as the cards' "classes
seen"). A conditional model is asked for each class in turn. New entries
are picked up from the registry.

Multi-domain entries: a CoGAN's domain-A images are checked as above and
its pairs must correspond (pixel agreement above shuffled pairs, and as its
card says); a CycleGAN's or StarGAN's translations of test images must score
on this backend what its card reports (measured under the backend it was
trained on) within sampling error.
"""

import json
import os

import numpy as np
import pytest

import kerasgan
from kerasgan import zoo

ENTRIES = sorted(
    name for name, entry in zoo.registry().items()
    if entry.get("weights") and entry.get("class") and name.endswith("_fashion_mnist")
)
TRANSLATORS = [name for name in ENTRIES if zoo.registry()[name]["class"] in ("CycleGAN", "StarGAN")]
GENERATORS = [name for name in ENTRIES if name not in TRANSLATORS]
FASHION_MNIST_TEST = "/usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz"


def _card_record(name):
    """The entry's evaluation.json, whose figures its card shows."""
    with open(os.path.join(zoo.zoo_dir(), name, "evaluation.json")) as f:
        return json.load(f)


@pytest.fixture(scope="module")
def classifier():
    from kerasgan.extractors import FashionMNISTFeatureExtractor

    return FashionMNISTFeatureExtractor()


def test_every_published_fashion_mnist_gan_is_checked():
    assert "dcgan_fashion_mnist" in ENTRIES


@pytest.mark.parametrize("name", GENERATORS)
def test_published_generator_loads_and_covers_the_classes(name, classifier):
    model = zoo.load(name)  # raises if the weights' SHA-256 differs from the registry's
    assert type(model).__name__ == zoo.registry()[name]["class"]
    kwargs = {"labels": np.arange(500) % 10} if getattr(model, "generates_by_class", False) else {}
    samples = model.generate(500, seed=0, **kwargs)
    if type(model).__name__ == "CoGAN":  # pairs (garment, edge map) from one latent vector
        samples, samples_b = (np.asarray(s) for s in samples)
        assert samples_b.shape == samples.shape and np.isfinite(samples_b).all()
        assert samples_b.min() >= -1.0 and samples_b.max() <= 1.0
        agreement = kerasgan.data.pixel_agreement(samples, samples_b, transform="edges")
        shuffled = kerasgan.data.pixel_agreement(samples, samples_b[np.roll(np.arange(500), 1)], transform="edges")
        assert agreement > shuffled + 0.01, (agreement, shuffled)
        assert abs(agreement - _card_record(name)["generated"]["pixel_agreement"]) < 0.01, agreement
    samples = np.asarray(samples)
    if samples.shape[1:3] == (32, 32):  # ProGAN's power-of-two size: Fashion-MNIST padded by 2 pixels
        samples = samples[:, 2:30, 2:30]
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
    if not os.path.exists(FASHION_MNIST_TEST):
        pytest.skip("needs Debian's dataset-fashion-mnist")
    x, y = kerasgan.data.load_fashion_mnist("test", with_labels=True)
    error = np.mean(np.asarray(zoo.load(name).classify(x[:2000])) != y[:2000])
    assert abs(error - _card_record(name)["generated"]["discriminator_test_error"]) < 0.03, error


@pytest.mark.parametrize("name", TRANSLATORS)
def test_published_translator_scores_as_its_card_says(name, classifier):
    """A CycleGAN's or StarGAN's translations of Fashion-MNIST test images, on
    this backend, against the true transforms: what its card reports on all
    10,000 test images, within the sampling error of a few hundred."""
    if not os.path.exists(FASHION_MNIST_TEST):
        pytest.skip("needs Debian's dataset-fashion-mnist")
    model = zoo.load(name)
    card = _card_record(name)
    x, y = kerasgan.data.load_fashion_mnist("test", with_labels=True)
    if type(model).__name__ == "CycleGAN":
        from kerasgan.metrics.translation import translation_errors

        report = translation_errors(model.translate, x[:500], kerasgan.data.edges, y[:500],
                                    classifier)
        assert report["mae_a_to_b"] < report["mae_identity_floor"] - 0.1, report
        for key, tolerance in (("cycled_class_agreement", 0.05), ("mae_a_to_b", 0.03), ("mae_b_to_a", 0.03)):
            assert abs(report[key] - card[key]) < tolerance, (key, report[key], card[key])
    else:
        from kerasgan.metrics import domain_translation

        # A cheaper domain classifier than the card's (2,000 images a domain, not 4,000): it finds
        # the domain of real images almost as often, which the test checks first.
        domains = domain_translation.train_domain_classifier(per_domain=2000, epochs=2)
        report = domain_translation.evaluate_domain_translation(
            model.translate, x, y, domain_classifier=domains, garment_classifier=classifier, num_images=300)
        assert report["real_domain_accuracy"] > 0.9, report["real_domain_accuracy"]
        assert report["mae_changed"] < report["mae_unchanged_input"] - 0.1, report
        for key, tolerance in (("domain_accuracy", 0.08), ("garment_agreement", 0.1), ("mae_changed", 0.03)):
            assert abs(report[key] - card[key]) < tolerance, (key, report[key], card[key])
