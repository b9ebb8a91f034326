"""kerasgan.metrics.domain_translation's report against a plain numpy count,
with translators whose every output is known (numpy only: no model runs)."""

import os

import numpy as np
import pytest
from conftest import load_script

from kerasgan.data.domains import DOMAIN_TASKS
from kerasgan.data.domains import apply_transform
from kerasgan.metrics.domain_translation import evaluate_domain_translation

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
pytestmark = pytest.mark.once  # numpy arithmetic: the same on every backend

NAMES = DOMAIN_TASKS["fashion_mnist_domains"]  # original, edges, negative, dilated


class Projection:
    """A stand-in classifier: the argmax of a fixed random projection."""

    def __init__(self, classes, seed):
        self.weights = np.random.default_rng(seed).normal(size=(12 * 12, classes))

    def predict_classes(self, images):
        return np.argmax(np.asarray(images).reshape(len(images), -1) @ self.weights, axis=1)

    def accuracy(self, images, domain):
        return float(np.mean(self.predict_classes(images) == domain))


def test_per_source_figures_match_a_numpy_count():
    rng = np.random.default_rng(0)
    images = rng.uniform(-1, 1, (60, 12, 12, 1)).astype("float32")
    truth = np.stack([apply_transform(name, images) for name in NAMES])  # (domain, image, ...)
    garments = Projection(10, seed=1)
    labels = garments.predict_classes(images)
    labels[:6] = (labels[:6] + 1) % 10  # six wrong labels: the classifier is not perfect on real images
    seen = {}

    def translate(batch, target):
        """Exact for sources original and negative (the image is looked up
        among the true transforms), the input unchanged for the others."""
        out = np.array(batch)
        for row, image in enumerate(batch):
            ((source, i),) = np.argwhere((truth == image).all(axis=(2, 3, 4)))
            seen.setdefault(i, source)  # the first call: every image in its source domain
            if source in (0, 2):
                out[row] = truth[target[row], i]
        return out

    report = evaluate_domain_translation(translate, images, labels, domain_classifier=Projection(4, seed=2),
                                         garment_classifier=garments, num_images=None, seed=3)
    assert sorted(seen) == list(range(60)) and set(seen.values()) == {0, 1, 2, 3}
    sources = np.array([seen[i] for i in range(60)])
    correct = labels == garments.predict_classes(images)
    for s, name in enumerate(NAMES):
        rows = sources == s
        if s in (0, 2):  # exact translations: the garment classifier's accuracy on real images, no error
            expected_garment = correct[rows].mean()
            expected_mae = {t: 0.0 for t in NAMES}
        else:  # the source image itself
            expected_garment = np.mean(garments.predict_classes(truth[s][rows]) == labels[rows])
            expected_mae = {t: np.abs(truth[s][rows] - truth[u][rows]).mean() for u, t in enumerate(NAMES)}
        assert report["garment_agreement_per_source"][name] == pytest.approx(expected_garment)
        for target in NAMES:
            assert report["mae_per_source_and_target"][name][target] == pytest.approx(expected_mae[target], abs=1e-6)
    # The overall figures are the per-source ones weighted by their image counts.
    counts = np.bincount(sources, minlength=4)
    per_source = np.array([report["garment_agreement_per_source"][n] for n in NAMES])
    assert report["garment_agreement"] == pytest.approx((per_source * counts).sum() / 60)
    assert report["garment_agreement_changed"] == pytest.approx((per_source * counts)[1:].sum() / counts[1:].sum())
    assert report["real_garment_accuracy"] == pytest.approx(correct.mean())
    # The zoo card's line for them (scripts/evaluate_zoo_model.py).
    evaluate = load_script(os.path.join(ROOT, "scripts", "evaluate_zoo_model.py"), "evaluate_zoo_model")
    (line, blank, *_) = evaluate.by_source_lines(report)
    assert blank == "" and ", ".join(f"{n} {100 * v:.1f}%" for n, v in zip(NAMES, per_source)) in line
    assert evaluate.by_source_lines({"garment_agreement": 0.5}) == []


def test_a_source_no_image_has_reports_none():
    images = np.random.default_rng(0).uniform(-1, 1, (1, 12, 12, 1)).astype("float32")
    report = evaluate_domain_translation(lambda x, t: x, images, [0], domain_classifier=Projection(4, seed=2),
                                         garment_classifier=Projection(10, seed=1), seed=0)
    missing = [name for name in NAMES if report["garment_agreement_per_source"][name] is None]
    assert len(missing) == 3
    assert all(v is None for name in missing for v in report["mae_per_source_and_target"][name].values())


def test_garments_read_through_the_inverse_transforms_match_a_numpy_count():
    """Translations into "negative" that carry each garment into another
    image's (a fixed donor per image), exact into every other domain: the
    garment read after negation, its confusion counts and the round trips,
    against numpy."""
    rng = np.random.default_rng(4)
    images = rng.uniform(-1, 1, (50, 12, 12, 1)).astype("float32")
    truth = np.stack([apply_transform(name, images) for name in NAMES])
    garments = Projection(10, seed=1)
    labels = garments.predict_classes(images)
    donor = rng.permutation(50)
    seen = {}

    def translate(batch, target):
        out = np.array(batch)
        for row, image in enumerate(batch):
            ((source, i),) = np.argwhere((truth == image).all(axis=(2, 3, 4)))
            seen.setdefault(i, source)  # the first call: every image in its source domain
            out[row] = -images[donor[i]] if target[row] == 2 else truth[target[row], i]
        return out

    report = evaluate_domain_translation(translate, images, labels, domain_classifier=Projection(4, seed=2),
                                         garment_classifier=garments, num_images=None, seed=5)
    sources = np.array([seen[i] for i in range(50)])
    read = garments.predict_classes(images[donor])
    assert report["garment_agreement_per_target"] == {
        "original": pytest.approx(1.0), "negative": pytest.approx(np.mean(read == labels))}
    expected = np.zeros((10, 10), int)
    np.add.at(expected, (labels[sources != 2], read[sources != 2]), 1)
    np.testing.assert_array_equal(report["garment_confusion_per_target"]["negative"], expected)
    expected_original = np.zeros((10, 10), int)
    np.add.at(expected_original, (labels[sources != 0], labels[sources != 0]), 1)
    np.testing.assert_array_equal(report["garment_confusion_per_target"]["original"], expected_original)
    # Into negative and back: the donor's garment (the lookup translates it back exactly); the
    # other round trips are exact.
    shown = sources == 0
    assert report["garment_agreement_round_trip"] == {
        "edges": pytest.approx(1.0), "negative": pytest.approx(np.mean(read[shown] == labels[shown])),
        "dilated": pytest.approx(1.0)}
    # The card's line: the share kept and the largest moves, as a count over the matrix.
    evaluate = load_script(os.path.join(ROOT, "scripts", "evaluate_zoo_model.py"), "evaluate_zoo_model")
    line = evaluate.by_source_lines(report)[2]
    assert f"kept in {100 * np.trace(expected) / expected.sum():.1f}%" in line
    assert f"back into 'original' keep it in {100 * np.mean(read[shown] == labels[shown]):.1f}%." in line
    counts = np.array([[0, 1, 0], [3, 1, 0], [0, 0, 5]])  # class 1 → 0 in 75% of its images
    assert evaluate.moved_classes(counts, top=2) == (
        "most moved: T-shirt/top → Trouser (100%), Trouser → T-shirt/top (75%)")
