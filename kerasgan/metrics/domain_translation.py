"""How well a multi-domain translation model (StarGAN) translates on a task
whose true transforms are known (`kerasgan.data.load_domain_task`).

Three numbers, on test images each shown to the model in a random source
domain and translated into every target domain:

- domain accuracy: the share of translations that a small domain
  classifier, trained on real transformed training images
  (`train_domain_classifier`), assigns to the requested domain;
- garment agreement: the share of translations into `"original"` that the
  published Fashion-MNIST classifier
  (`kerasgan.extractors.fashion_mnist_classifier.FashionMNISTFeatureExtractor`)
  puts in the image's garment class (the content survived);
- the mean absolute error of the translation against the true transform of
  the source image, on the [-1, 1] scale.

Example:

```python
from kerasgan.metrics import domain_translation

classifier = domain_translation.train_domain_classifier()     # ~seconds
x_test, y_test = kerasgan.data.load_fashion_mnist("test", with_labels=True)
report = domain_translation.evaluate_domain_translation(
    model.translate, x_test, y_test, domain_classifier=classifier)
report["domain_accuracy"], report["garment_agreement"], report["mae"]
```
"""

import numpy as np

from kerasgan.data.domains import DOMAIN_TASKS
from kerasgan.data.domains import apply_transform

#: The targets the StarGAN Fashion-MNIST run is judged against.
TARGETS = {"domain_accuracy": 0.90, "garment_agreement": 0.85}

#: Domains whose transform has an exact inverse, which brings a translation
#: into them back to an "original" image the garment classifier can read
#: (the negative is its own inverse).
INVERSES = {"original": "original", "negative": "negative"}


class DomainClassifier:
    """A trained domain classifier: `predict_classes(images)` gives each
    image's most likely domain index (into `domain_names`)."""

    def __init__(self, model, domain_names, batch_size=500):
        self.model = model
        self.domain_names = tuple(domain_names)
        self.batch_size = int(batch_size)

    def logits(self, images):
        import keras

        images = np.asarray(images, dtype="float32")
        outputs = [
            keras.ops.convert_to_numpy(self.model(images[i : i + self.batch_size], training=False))
            for i in range(0, len(images), self.batch_size)
        ]
        if not outputs:
            return np.zeros((0, len(self.domain_names)), "float32")
        return np.concatenate(outputs, axis=0).astype("float32")

    def predict_classes(self, images):
        return np.argmax(self.logits(images), axis=1).astype("int64")

    def accuracy(self, images, domain):
        """Share of `images` classified as `domain` (an index or one per image)."""
        return float(np.mean(self.predict_classes(images) == np.asarray(domain)))


def domain_classifier_model(image_shape=(28, 28, 1), num_domains=4, seed=0, name="domain_classifier",
                            filters=(16, 32, 32), dropout=0.0):
    """A small CNN: 3×3 convs of `filters` with ReLU, the first of stride 1
    and the others of stride 2, then a dense layer to the logits (with the
    defaults, 16, 32 and 32 filters: about 20k parameters at 28×28×1, 4
    domains). Seeded initializers make it the same on every run. The
    stride-1 first layer keeps the stroke widths that tell a dilated image
    from an original one. `dropout` (training only) acts before the dense
    layer."""
    import keras

    filters = tuple(filters)
    if not filters or any(isinstance(f, bool) or int(f) != f or f < 1 for f in filters):
        raise ValueError(f"filters must be one or more positive ints, one per convolution; got {filters}.")
    filters = tuple(int(f) for f in filters)
    if not 0.0 <= float(dropout) < 1.0:
        raise ValueError(f"dropout must be in [0, 1); got {dropout}.")

    def init(i):
        return keras.initializers.GlorotUniform(seed=seed + i)

    inputs = keras.Input(tuple(image_shape), name="image")
    h = inputs
    for i, width in enumerate(filters):
        h = keras.layers.Conv2D(width, 3, strides=1 if i == 0 else 2, padding="same", activation="relu",
                                kernel_initializer=init(i), name=f"conv_{i}")(h)
    h = keras.layers.Flatten(name="flatten")(h)
    if dropout:
        h = keras.layers.Dropout(float(dropout), seed=seed, name="dropout")(h)
    logits = keras.layers.Dense(num_domains, kernel_initializer=init(9), name="logits")(h)
    return keras.Model(inputs, logits, name=name)


#: Real images of each domain that `train_domain_classifier` learns from by default.
DOMAIN_CLASSIFIER_IMAGES = 4000


def train_domain_classifier(
    domains=None,
    task="fashion_mnist_domains",
    per_domain=DOMAIN_CLASSIFIER_IMAGES,
    epochs=2,
    batch_size=64,
    seed=0,
    verbose=0,
):
    """Trains `domain_classifier_model` to tell the domains apart.

    Args:
        domains: a list of image arrays, one per domain (real images, e.g.
            a task's training split); None loads `task`'s training split
            (`load_domain_task(task)`: disjoint images per domain).
        task: the built-in task whose domains to load (and name).
        per_domain: images used from each domain (the first ones).
        epochs, batch_size: Adam(1e-3) training of the classifier.
        seed: initializers and the (numpy) shuffling order.

    Returns:
        A `DomainClassifier`.
    """
    if domains is None:
        from kerasgan.data.domains import load_domain_task

        domains = load_domain_task(task)
    names = DOMAIN_TASKS.get(task, tuple(str(i) for i in range(len(domains))))
    if len(names) != len(domains):
        names = tuple(str(i) for i in range(len(domains)))
    parts = [np.asarray(d[:per_domain], dtype="float32") for d in domains]
    x = np.concatenate(parts, axis=0)
    y = np.concatenate([np.full(len(p), i, "int32") for i, p in enumerate(parts)])
    model = _fit_classifier(x, y, len(parts), epochs, batch_size, seed, verbose, "domain_classifier")
    return DomainClassifier(model, names)


def _fit_classifier(x, y, num_classes, epochs, batch_size, seed, verbose, name, **network):
    """`domain_classifier_model` (with `network`'s filters and dropout)
    trained with Adam(1e-3) and cross-entropy on `x`, `y` in one order drawn
    from `seed` (numpy)."""
    import keras

    order = np.random.default_rng(seed).permutation(len(x))
    model = domain_classifier_model(x.shape[1:], num_classes, seed=seed, name=name, **network)
    model.compile(
        optimizer=keras.optimizers.Adam(1e-3),
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
    )
    model.fit(x[order], y[order], batch_size=batch_size, epochs=epochs, shuffle=False, verbose=verbose)
    return model


def train_content_classifier(images, labels, num_classes=None, epochs=2, batch_size=64, seed=0, verbose=0,
                             filters=(16, 32, 32), dropout=0.0):
    """A frozen classifier of the images' content (e.g. the garment class
    whatever the domain), for `StarGAN(content_classifier=...)`.

    `domain_classifier_model`'s CNN with one logit per class, trained as
    `train_domain_classifier` trains it, on images of every domain with
    their content labels, then set untrainable.

    Args:
        images: `(n, H, W, C)` images, any domain.
        labels: `(n,)` int content classes.
        num_classes: classes (None: the largest label + 1).
        filters, dropout: `domain_classifier_model`'s; a wider network
            with dropout reads more of the images right, e.g.
            `filters=(32, 64, 128), dropout=0.5`.

    Returns:
        The `keras.Model` (images → class logits), `trainable=False`.

    Example:

    ```python
    domains, garments = kerasgan.data.load_domain_task("fashion_mnist_domains", with_labels=True)
    f = train_content_classifier(np.concatenate(domains), np.concatenate(garments))
    model = kerasgan.models.StarGAN((28, 28, 1), 4, content_classifier=f, lambda_content=1.0)
    ```
    """
    x = np.asarray(images, dtype="float32")
    y = np.asarray(labels)
    if x.ndim != 4 or y.shape != (len(x),):
        raise ValueError(
            "train_content_classifier takes images (n, height, width, channels) and one int label "
            f"per image (n,); got shapes {x.shape} and {y.shape}."
        )
    if y.size and (not np.issubdtype(y.dtype, np.integer) or y.min() < 0):
        raise ValueError(f"Content labels must be non-negative ints; got {y[:5]}...")
    num_classes = int(y.max()) + 1 if num_classes is None else int(num_classes)
    if num_classes < 2 or (y.size and y.max() >= num_classes):
        raise ValueError(
            f"num_classes must be at least 2 and above every label; got {num_classes} for labels up "
            f"to {y.max() if y.size else None}."
        )
    network = {"filters": filters, "dropout": dropout}
    trained = _fit_classifier(x, y.astype("int32"), num_classes, epochs, batch_size, seed, verbose,
                              "content_classifier", **network)
    # An uncompiled copy: a model that holds it saves no optimizer of f's.
    model = domain_classifier_model(x.shape[1:], num_classes, seed=seed, name="content_classifier", **network)
    model.set_weights(trained.get_weights())
    model.trainable = False
    return model


def evaluate_domain_translation(
    translate,
    images,
    labels=None,
    task="fashion_mnist_domains",
    domain_classifier=None,
    garment_classifier="zoo",
    num_images=1000,
    seed=0,
):
    """Translates test images from a random source domain into every domain
    and scores the translations (see the module docstring).

    Args:
        translate: `translate(images, target)` with `target` one domain
            index per image, e.g. `StarGAN.translate`.
        images: test images of the first domain ("original"), `(N, H, W, C)`
            in [-1, 1], e.g. `load_fashion_mnist("test")`.
        labels: their garment classes (for the garment agreement).
        task: the task whose transforms define the domains (in order).
        domain_classifier: a `DomainClassifier`; None trains one
            (`train_domain_classifier(task=task)`).
        garment_classifier: an object with `predict_classes(images)`;
            `"zoo"`: the published Fashion-MNIST classifier; None: skip.
        num_images: test images used (a seeded random subset; None: all).
        seed: the subset and the source domains.

    Returns:
        A dict: `domain_accuracy` (all translations), `domain_accuracy_changed`
        (target ≠ source), `domain_accuracy_per_target`,
        `garment_agreement` (translations into "original"; and
        `garment_agreement_changed` for sources other than "original",
        `garment_agreement_per_source` by the source domain's name;
        `garment_agreement_per_target` for the targets in `INVERSES`, each
        translation read after the target's inverse transform, and
        `garment_confusion_per_target`, the counts of true class (row)
        against the class read (column) for the translations from another
        domain into each of those targets: a class carried into another
        one shows as a large entry off the diagonal;
        `garment_agreement_round_trip`, for each other target, the garment
        kept by the images shown as originals after a translation into the
        target and back into "original": content the translation carries,
        whether the target image shows it or not),
        `mae`, `mae_changed`, `mae_per_target`,
        `mae_per_source_and_target` (`[source][target]`, by name; None
        where no image had that source), the floors and ceilings
        `mae_unchanged_input` (the error of returning the source image),
        `real_domain_accuracy` (the domain classifier on the true
        transforms), `real_garment_accuracy` (the garment classifier on the
        test images), and `targets` / `targets_met`.
    """
    transforms = DOMAIN_TASKS[task]
    num_domains = len(transforms)
    images = np.asarray(images, dtype="float32")
    rng = np.random.default_rng(seed)
    if num_images is not None and num_images < len(images):
        index = np.sort(rng.choice(len(images), int(num_images), replace=False))
    else:
        index = np.arange(len(images))
    images = images[index]
    n = len(images)
    sources = rng.integers(0, num_domains, n)
    truth = [apply_transform(t, images) for t in transforms]
    source_images = np.stack([truth[s][i] for i, s in enumerate(sources)])
    if domain_classifier is None:
        domain_classifier = train_domain_classifier(task=task, seed=seed)
    if isinstance(garment_classifier, str) and garment_classifier == "zoo":
        from kerasgan.extractors.fashion_mnist_classifier import FashionMNISTFeatureExtractor

        garment_classifier = FashionMNISTFeatureExtractor()

    # The garment classes of the images, where there are labels and a classifier to read them.
    classes = None if labels is None or garment_classifier is None else np.asarray(labels).reshape(-1)[index]
    correct, errors, unchanged = [], [], []
    per_target_accuracy, per_target_mae = {}, {}
    garment_read = {}  # target name -> garment classes read after the target's inverse
    round_trip = {}  # target name -> garment kept by original -> target -> original
    shown_original = sources == 0
    for t, name in enumerate(transforms):
        translated = np.asarray(translate(source_images, np.full(n, t)), dtype="float32")
        hit = domain_classifier.predict_classes(translated) == t
        error = np.abs(translated - truth[t]).reshape(n, -1).mean(axis=1)
        correct.append(hit)
        errors.append(error)
        unchanged.append(np.abs(source_images - truth[t]).reshape(n, -1).mean(axis=1))
        per_target_accuracy[name] = float(hit.mean())
        per_target_mae[name] = float(error.mean())
        if classes is None:
            continue
        if name in INVERSES:
            garment_read[name] = np.asarray(
                garment_classifier.predict_classes(apply_transform(INVERSES[name], translated))
            )
        if t != 0 and shown_original.any():
            back = translate(translated[shown_original], np.zeros(int(shown_original.sum()), "int64"))
            round_trip[name] = (garment_classifier.predict_classes(np.asarray(back, dtype="float32"))
                                == classes[shown_original])
    correct, errors, unchanged = (np.stack(v, axis=1) for v in (correct, errors, unchanged))
    changed = sources[:, None] != np.arange(num_domains)[None, :]
    report = {
        "images": int(n),
        "domains": list(transforms),
        "domain_accuracy": float(correct.mean()),
        "domain_accuracy_changed": _mean(correct[changed]),
        "domain_accuracy_per_target": per_target_accuracy,
        "mae": float(errors.mean()),
        "mae_changed": _mean(errors[changed]),
        "mae_per_target": per_target_mae,
        "mae_per_source_and_target": {
            source: {target: _mean(errors[sources == s, t]) for t, target in enumerate(transforms)}
            for s, source in enumerate(transforms)
        },
        "mae_unchanged_input": _mean(unchanged[changed]),
        "real_domain_accuracy": float(
            np.mean([domain_classifier.accuracy(truth[t], t) for t in range(num_domains)])
        ),
    }
    if transforms[0] in garment_read:  # translations into the first domain, "original"
        garment = garment_read[transforms[0]] == classes
        report["garment_agreement"] = float(garment.mean())
        report["garment_agreement_changed"] = _mean(garment[sources != 0])
        report["garment_agreement_per_source"] = {
            source: _mean(garment[sources == s]) for s, source in enumerate(transforms)
        }
        report["garment_agreement_per_target"] = {
            name: float(np.mean(read == classes)) for name, read in garment_read.items()
        }
        report["garment_agreement_round_trip"] = {name: float(kept.mean()) for name, kept in round_trip.items()}
        report["garment_confusion_per_target"] = {}
        for name, read in garment_read.items():
            moved = sources != transforms.index(name)
            size = max(10, int(classes.max()) + 1, int(read.max()) + 1)
            counts = np.zeros((size, size), dtype=int)
            np.add.at(counts, (classes[moved], read[moved]), 1)
            report["garment_confusion_per_target"][name] = counts.tolist()
        report["real_garment_accuracy"] = float(
            np.mean(garment_classifier.predict_classes(images) == classes)
        )
    report["targets"] = dict(TARGETS)
    report["targets_met"] = {
        key: report[key] >= value for key, value in TARGETS.items() if key in report
    }
    return report


def _mean(values):
    """The mean as a float, None for no values (JSON has no NaN)."""
    return float(np.mean(values)) if np.size(values) else None
