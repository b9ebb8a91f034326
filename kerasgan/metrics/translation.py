"""Errors of a translation model on a task whose true map is known."""

import numpy as np


def translation_errors(translate, images, transform, labels=None, classifier=None, batch_size=256):
    """How close a two-way translation model is to a known transform.

    For test images x of domain A and the deterministic map T to domain B
    (e.g. `kerasgan.data.edges`): the mean absolute error of G(x) against
    T(x) and of F(T(x)) against x (on the [-1, 1] scale), and, given labels
    and a classifier of domain A (the published Fashion-MNIST classifier),
    the share of cycled images F(G(x)) that it puts in x's class, beside its
    accuracy on x itself (the ceiling).

    Args:
        translate: `translate(images, direction)` with direction
            `"a_to_b"` (G) or `"b_to_a"` (F), e.g. `CycleGAN.translate`.
        images: domain-A test images.
        transform: the true map A → B on numpy images.
        labels: class labels of `images` (optional).
        classifier: an object with `predict_classes(images)` (optional).

    Returns:
        A dict of floats.

    Example:

    ```python
    report = translation_errors(model.translate, x_test, kerasgan.data.edges,
                                y_test, FashionMNISTFeatureExtractor())
    ```
    """
    images = np.asarray(images, dtype="float32")
    target = np.asarray(transform(images), dtype="float32")
    translated = translate(images, "a_to_b")
    inverted = translate(target, "b_to_a")
    report = {
        "images": int(len(images)),
        "mae_a_to_b": float(np.mean(np.abs(translated - target))),
        "mae_b_to_a": float(np.mean(np.abs(inverted - images))),
        "mae_identity_floor": float(np.mean(np.abs(target - images))),
    }
    if labels is not None and classifier is not None:
        labels = np.asarray(labels).reshape(-1)
        cycled = translate(translated, "b_to_a")
        report["cycled_class_agreement"] = float(np.mean(classifier.predict_classes(cycled) == labels))
        report["inverted_class_agreement"] = float(np.mean(classifier.predict_classes(inverted) == labels))
        report["classifier_accuracy"] = float(np.mean(classifier.predict_classes(images) == labels))
    return report
