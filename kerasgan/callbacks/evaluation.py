"""FID, Inception Score, KID and precision/recall during training, in `logs`.

`GANEvaluation` generates samples from fixed latent vectors every few
epochs, runs them through a feature extractor and writes the metrics into
the epoch's `logs`, where the callbacks after it (`EarlyStopping`,
`ModelCheckpoint`, `TensorBoard`, `History`, `TrainingReport`, the progress
bar) see them. `evaluate_model` computes the same metrics once, outside
`fit` (the `kerasgan eval` command uses it).
"""

import os
import time
import warnings

import keras
import numpy as np

from kerasgan import metrics as gan_metrics

#: Metric names accepted in `metrics`, and the keys each writes into `logs`.
METRIC_KEYS = {
    "fid": ("fid",),
    "is": ("is", "is_std"),
    "kid": ("kid", "kid_std"),
    "pr": ("precision", "recall"),
}
#: Whether each log key is better low ("min") or high ("max"): the `mode`
#: of `keras.callbacks.EarlyStopping` / `ModelCheckpoint` monitoring it.
MODES = {
    "fid": "min", "kid": "min", "is": "max", "precision": "max", "recall": "max",
    "is_std": "min", "kid_std": "min",
}
_ALIASES = {
    "inception_score": "is",
    "kernel_inception_distance": "kid",
    "precision_recall": "pr",
}


class GANEvaluation(keras.callbacks.Callback):
    """Writes FID / IS / KID / precision-recall of generated samples into `logs`.

    Every `every` epochs, and at the last epoch of `fit`, `num_samples`
    samples are generated from the same latent vectors (numpy seed `seed`),
    `batch_size` at a time; each batch goes through the extractor and is
    dropped, so memory is bounded by `batch_size` images plus the features.
    The metrics are then added to the epoch's `logs` dict under

    | metric  | keys in `logs`          | computed by                                  |
    |---------|-------------------------|----------------------------------------------|
    | `"fid"` | `fid`                   | `kerasgan.metrics.frechet_distance`          |
    | `"is"`  | `is`, `is_std`          | `kerasgan.metrics.inception_score`           |
    | `"kid"` | `kid`, `kid_std`        | `kerasgan.metrics.kernel_inception_distance` |
    | `"pr"`  | `precision`, `recall`   | `kerasgan.metrics.precision_recall`          |

    Lower is better for `fid` and `kid`, higher for `is`, `precision` and
    `recall` (`MODES`). Keras cannot tell this from a name it does not
    know: give `EarlyStopping` / `ModelCheckpoint` the `mode`, e.g.
    `EarlyStopping(monitor="fid", mode="min")` (`mode="auto"` raises).

    **Order matters:** Keras calls the callbacks' `on_epoch_end` in list
    order with one shared `logs` dict, so only callbacks *after* this one
    see the metrics: put it before `EarlyStopping(monitor="fid")`,
    `ModelCheckpoint(monitor="fid", save_best_only=True)`, `TensorBoard`,
    `CSVLogger` and `kerasgan.callbacks.TrainingReport`. (`History` and the
    progress bar are appended by Keras after all given callbacks, so they
    always see them.)

    **Epochs without evaluation** (`every > 1`) have no metric keys in
    `logs`, like the `val_*` keys with Keras's `validation_freq`: stale
    values are never reported as new ones, and `EarlyStopping`'s patience
    counts evaluations, not epochs. `EarlyStopping` and `ModelCheckpoint`
    warn about the missing key on those epochs; use `every=1` with them.
    When training stops early between evaluations, the last epochs are not
    evaluated; call `evaluate()` after `fit` for the final state.

    The reference side (real features, and the mean/covariance for FID) is
    computed once, at the start of training, from `real_images`, or the
    FID statistics are loaded from `reference_statistics` (a `.npz` written
    by `kerasgan.metrics.save_statistics`; it is written there when absent).
    The extractor is resolved, and the real images are checked against
    the model, at the start of training too, so a mistake fails before the
    first epoch rather than after it.

    Samples of class-conditional models are generated with the labels
    `0, 1, ..., num_classes - 1, 0, 1, ...` (balanced classes); models with
    a moving-average generator are evaluated with it (as `generate` does).
    If the generator outputs NaN or infinite values, a `RuntimeWarning` is
    issued and the metrics are NaN for that epoch.

    Args:
        real_images: real samples of the model's data shape (a subset of
            the training or test set, e.g. 10,000 images; their features
            are computed once). May be `None` when only `"is"` is asked
            for, or only `"fid"` / `"is"` with an existing
            `reference_statistics` file.
        extractor: an object with `features(images)` (and
            `probabilities(images)` for `"is"`), such as
            `kerasgan.extractors.InceptionFeatureExtractor`; or a name for
            `kerasgan.extractors.registry.get` (`"fashion_mnist"`,
            `"inception"`), resolved when training starts. The extractor
            gets images in the model's data range (`[-1, 1]` for kerasgan's
            image models). When it has `features_and_logits(images)`, one
            pass gives both features and (softmax) probabilities.
        metrics: names from `"fid"`, `"is"`, `"kid"`, `"pr"` (aliases
            `"inception_score"`, `"kernel_inception_distance"`,
            `"precision_recall"`).
        num_samples: generated samples per evaluation (at least 2). FID is
            biased upwards for small samples: compare FIDs only at equal
            `num_samples`; KID is unbiased.
        every: evaluate every this many epochs (and at the last epoch).
        seed: numpy seed of the fixed latent vectors and of KID's subsets.
        batch_size: samples generated and extracted per step.
        verbose: 1 or 2 shows a `keras.utils.Progbar` over the samples (and
            over the real images, once); 0 is silent.
        reference_statistics: optional `.npz` path caching the real FID
            statistics (`mu`, `sigma`).
        is_splits: splits of the Inception Score (10 in the paper).
        kid_subsets, kid_subset_size: KID's random subsets (100 of 1000).
        pr_k: the neighbourhood size of precision/recall (3).

    Attributes:
        results: `{epoch (0-based): {key: value}}` of every evaluation.
        last_seconds: wall-clock seconds of the last evaluation.

    Example:

    ```python
    evaluation = kerasgan.callbacks.GANEvaluation(x_test[:5000], "fashion_mnist", num_samples=5000)
    model.fit(x, epochs=20, callbacks=[
        evaluation,  # first: the callbacks below read its logs
        keras.callbacks.EarlyStopping(monitor="fid", mode="min", patience=3,
                                      restore_best_weights=True),
        kerasgan.callbacks.TrainingReport("runs/report"),
    ])
    ```
    """

    def __init__(
        self,
        real_images,
        extractor="fashion_mnist",
        metrics=("fid", "is", "kid"),
        num_samples=2000,
        every=1,
        seed=0,
        batch_size=250,
        verbose=1,
        reference_statistics=None,
        is_splits=10,
        kid_subsets=100,
        kid_subset_size=1000,
        pr_k=3,
    ):
        super().__init__()
        self.metric_names = _check_metrics(metrics)
        self.num_samples = _int_at_least(num_samples, 2, "num_samples",
                                         " (FID needs a covariance, KID pairs of samples)")
        self.every = _int_at_least(every, 1, "every")
        self.batch_size = _int_at_least(batch_size, 1, "batch_size")
        self.is_splits = _int_at_least(is_splits, 1, "is_splits")
        self.kid_subsets = _int_at_least(kid_subsets, 1, "kid_subsets")
        self.kid_subset_size = _int_at_least(kid_subset_size, 2, "kid_subset_size")
        self.pr_k = _int_at_least(pr_k, 1, "pr_k")
        if "is" in self.metric_names and self.num_samples < self.is_splits:
            raise ValueError(
                f"The Inception Score needs num_samples >= is_splits={self.is_splits}; "
                f"got num_samples={self.num_samples}."
            )
        if "pr" in self.metric_names and self.num_samples <= self.pr_k:
            raise ValueError(
                f"Precision/recall needs num_samples > pr_k={self.pr_k}; got "
                f"num_samples={self.num_samples}."
            )
        self.seed = seed
        self.verbose = int(verbose)
        self.reference_statistics = (
            None if reference_statistics is None else os.fspath(reference_statistics)
        )
        self.real_images = None if real_images is None else _as_images(real_images, "real_images")
        needs_features = bool({"kid", "pr"} & set(self.metric_names))
        has_statistics = self.reference_statistics is not None and os.path.exists(
            self.reference_statistics
        )
        if self.real_images is None and (
            needs_features or ("fid" in self.metric_names and not has_statistics)
        ):
            raise ValueError(
                "real_images is needed for the metrics "
                f"{[m for m in self.metric_names if m != 'is']}"
                + (
                    ""
                    if needs_features
                    else " (or an existing reference_statistics .npz file for FID)"
                )
                + "."
            )
        if (self.real_images is not None and len(self.real_images) < 2
                and self.metric_names != ("is",)):
            raise ValueError(f"real_images needs at least 2 images; got {len(self.real_images)}.")
        if "pr" in self.metric_names and len(self.real_images) <= self.pr_k:
            raise ValueError(
                f"Precision/recall needs more than pr_k={self.pr_k} real images; got "
                f"{len(self.real_images)}."
            )
        self.extractor = extractor
        self.results = {}
        self.last_seconds = None
        self._extractor = None
        self._real_features = None
        self._real_statistics = None
        self._checked_model = None

    # ------------------------------------------------------------ callbacks
    def on_train_begin(self, logs=None):
        self._prepare(self.model)

    def on_epoch_end(self, epoch, logs=None):
        last = self.params.get("epochs") if self.params else None
        if (epoch + 1) % self.every and (last is None or epoch + 1 != last):
            return
        results = self.evaluate()
        self.results[epoch] = results
        if logs is not None:
            logs.update(results)

    # ------------------------------------------------------------ evaluation
    def evaluate(self, model=None):
        """Computes the metrics for `model` (default: the trained model) now.

        Returns:
            `{key: float}` with the keys of the requested metrics.
        """
        model = self.model if model is None else model
        if model is None:
            raise ValueError("evaluate() needs a model: pass one, or use the callback in fit.")
        start = time.perf_counter()
        self._prepare(model)
        fake = self._fake_outputs(model)
        if fake is None:
            results = {key: float("nan") for name in self.metric_names for key in METRIC_KEYS[name]}
        else:
            results = self._compute(*fake)
        self.last_seconds = time.perf_counter() - start
        return results

    def _prepare(self, model):
        """Checks the real images against `model`; resolves the extractor;
        computes (or loads) the reference side once."""
        if self._checked_model is not model:
            self._check_model(model)
            self._checked_model = model
        if self._extractor is None:
            self._extractor = resolve_extractor(self.extractor, self.metric_names)
        self._reference()

    def _check_model(self, model):
        if not hasattr(model, "generate") or not hasattr(model, "latent_noise"):
            raise TypeError(
                f"GANEvaluation needs a kerasgan model with generate(); got {type(model).__name__}."
            )
        data_shape = tuple(getattr(model, "data_shape", ()) or ())
        if self.real_images is not None and data_shape and self.real_images.shape[1:] != data_shape:
            raise ValueError(
                f"real_images have shape {self.real_images.shape[1:]} per sample but the "
                f"model generates samples of shape {data_shape}; pass real images of "
                f"shape (n, {', '.join(map(str, data_shape))})."
            )

    def _reference(self):
        need_features = bool({"kid", "pr"} & set(self.metric_names))
        need_statistics = "fid" in self.metric_names
        if need_statistics and self._real_statistics is None:
            path = self.reference_statistics
            if path is not None and os.path.exists(path):
                self._real_statistics = gan_metrics.load_statistics(path)
            else:
                self._real_statistics = gan_metrics.feature_statistics(self._real())
                if path is not None:
                    mu, sigma = self._real_statistics
                    gan_metrics.save_statistics(
                        path, mu, sigma, extractor=_describe(self.extractor),
                        num_real=len(self.real_images), feature_dim=int(mu.shape[0]),
                    )
        if need_features:
            self._real()

    def _real(self):
        if self._real_features is None:
            features = []
            progress = self._progbar(
                len(self.real_images), "real image",
                f"GANEvaluation: features of {len(self.real_images)} real samples (once)",
            )
            for i in range(0, len(self.real_images), self.batch_size):
                chunk = self.real_images[i : i + self.batch_size]
                features.append(_rows(self._extractor.features(chunk), "real features"))
                if progress is not None:
                    progress.add(len(chunk))
            self._real_features = np.concatenate(features, axis=0)
        return self._real_features

    def _fake_outputs(self, model):
        """`(features or None, probabilities or None)`, or None for non-finite samples."""
        want_features = any(m in self.metric_names for m in ("fid", "kid", "pr"))
        want_probabilities = "is" in self.metric_names
        latent = model.latent_noise(self.num_samples, seed=self.seed)
        labels = None
        if getattr(model, "num_classes", None) is not None:
            labels = np.arange(self.num_samples) % int(model.num_classes)
        features, probabilities = [], []
        progress = self._progbar(
            self.num_samples, "sample", f"GANEvaluation: {self.num_samples} generated samples"
        )
        for i in range(0, self.num_samples, self.batch_size):
            chunk_labels = None if labels is None else labels[i : i + self.batch_size]
            images = model.generate(
                latent=latent[i : i + self.batch_size], labels=chunk_labels,
                batch_size=self.batch_size,
            )
            if not np.all(np.isfinite(images)):
                warnings.warn(
                    "The generator produced NaN or infinite values; the evaluation "
                    "metrics are NaN for this epoch.",
                    RuntimeWarning,
                    stacklevel=3,
                )
                return None
            f, p = _extract(self._extractor, images, want_features, want_probabilities)
            if f is not None:
                features.append(f)
            if p is not None:
                probabilities.append(p)
            if progress is not None:
                progress.add(len(images))
        return (
            np.concatenate(features, axis=0) if want_features else None,
            np.concatenate(probabilities, axis=0) if want_probabilities else None,
        )

    def _compute(self, features, probabilities):
        results = {}
        for name in self.metric_names:
            if name == "fid":
                mu, sigma = gan_metrics.feature_statistics(features)
                results["fid"] = gan_metrics.frechet_distance(*self._real_statistics, mu, sigma)
            elif name == "is":
                mean, std = gan_metrics.inception_score(probabilities, splits=self.is_splits)
                results["is"], results["is_std"] = mean, std
            elif name == "kid":
                mean, std = gan_metrics.kernel_inception_distance(
                    self._real_features, features, num_subsets=self.kid_subsets,
                    subset_size=self.kid_subset_size, seed=self.seed,
                )
                results["kid"], results["kid_std"] = mean, std
            elif name == "pr":
                results.update(
                    gan_metrics.precision_recall(self._real_features, features, k=self.pr_k)
                )
        return {key: float(value) for key, value in results.items()}

    def _progbar(self, n, unit, title):
        if not self.verbose:
            return None
        # Start on a line of our own, after fit's unfinished epoch progress bar.
        fit_bar = (self.params or {}).get("verbose") == 1
        print(("\n" if fit_bar else "") + title, flush=True)
        return keras.utils.Progbar(n, verbose=self.verbose, unit_name=unit)


def evaluate_model(model, real_images, extractor="fashion_mnist", metrics=("fid", "is", "kid"),
                   num_samples=10000, seed=0, batch_size=250, verbose=1, **kwargs):
    """The metrics of `GANEvaluation` for `model` now, as `{key: float}`.

    Takes the arguments of `GANEvaluation` (`reference_statistics`,
    `is_splits`, `kid_subsets`, ... as keywords).

    Example:

    ```python
    results = evaluate_model(model, x_test, "fashion_mnist", metrics=("fid", "kid"))
    results["fid"], results["kid"], results["kid_std"]
    ```
    """
    evaluation = GANEvaluation(
        real_images, extractor=extractor, metrics=metrics, num_samples=num_samples,
        seed=seed, batch_size=batch_size, verbose=verbose, **kwargs,
    )
    return evaluation.evaluate(model)


def resolve_extractor(extractor, metric_names=("fid",)):
    """An extractor object from an object or a `kerasgan.extractors.registry` name."""
    if isinstance(extractor, str):
        extractor = _extractor_by_name(extractor)
    missing = []
    if any(m in metric_names for m in ("fid", "kid", "pr")) and not callable(
        getattr(extractor, "features", None)
    ):
        missing.append("features(images)")
    if "is" in metric_names and not (
        callable(getattr(extractor, "probabilities", None))
        or callable(getattr(extractor, "features_and_logits", None))
    ):
        missing.append("probabilities(images)")
    if missing:
        raise TypeError(
            f"The extractor {type(extractor).__name__} has no {' or '.join(missing)} "
            f"method, needed for the metrics {list(metric_names)}."
        )
    return extractor


def _extractor_by_name(name):
    try:
        from kerasgan.extractors import registry
    except ImportError:
        registry = None
    if registry is not None:
        return registry.get(name)
    if name == "inception":
        from kerasgan.extractors import InceptionFeatureExtractor

        return InceptionFeatureExtractor()
    if name == "fashion_mnist":
        from kerasgan.extractors.fashion_mnist_classifier import FashionMNISTFeatureExtractor

        return FashionMNISTFeatureExtractor()
    raise ValueError(
        f"Unknown extractor {name!r}; use 'fashion_mnist' or 'inception', or pass an "
        "object with features(images) and probabilities(images)."
    )


def _extract(extractor, images, want_features, want_probabilities):
    if want_features and want_probabilities and callable(
        getattr(extractor, "features_and_logits", None)
    ):
        features, logits = extractor.features_and_logits(images)
        return _rows(features, "features"), _softmax(logits)
    if want_probabilities and not callable(getattr(extractor, "probabilities", None)):
        features, logits = extractor.features_and_logits(images)
        return (_rows(features, "features") if want_features else None), _softmax(logits)
    features = _rows(extractor.features(images), "features") if want_features else None
    probabilities = (
        np.asarray(keras.ops.convert_to_numpy(extractor.probabilities(images)), "float64")
        if want_probabilities
        else None
    )
    return features, probabilities


def _softmax(logits):
    """The extractors' `probabilities`: float64 softmax of the logits."""
    z = np.asarray(keras.ops.convert_to_numpy(logits), "float64")
    z = np.exp(z - z.max(axis=1, keepdims=True))
    return z / z.sum(axis=1, keepdims=True)


def _rows(x, name):
    x = np.asarray(keras.ops.convert_to_numpy(x))
    if x.ndim < 2:
        raise ValueError(f"The extractor's {name} must have shape (n, d); got {x.shape}.")
    return x.reshape(len(x), -1)


def _as_images(x, name):
    if not isinstance(x, np.ndarray):
        x = np.asarray(keras.ops.convert_to_numpy(x) if hasattr(x, "shape") else x)
    if x.ndim < 2:
        raise ValueError(f"`{name}` must be a batch of samples (n, ...); got shape {x.shape}.")
    return x


def _check_metrics(metrics):
    if isinstance(metrics, str):
        metrics = [m for m in metrics.replace(",", " ").split() if m]
    names = []
    for metric in metrics:
        key = _ALIASES.get(str(metric).strip().lower(), str(metric).strip().lower())
        if key not in METRIC_KEYS:
            valid = ", ".join(repr(m) for m in METRIC_KEYS)
            aliases = ", ".join(f"{a!r}" for a in _ALIASES)
            raise ValueError(
                f"Unknown metric {metric!r}. Valid metrics: {valid} (aliases: {aliases})."
            )
        if key not in names:
            names.append(key)
    if not names:
        raise ValueError(f"No metrics given; choose from {', '.join(METRIC_KEYS)}.")
    return tuple(names)


def _int_at_least(value, minimum, name, why=""):
    if isinstance(value, bool) or not isinstance(value, (int, np.integer, float)) or (
        isinstance(value, float) and not value.is_integer()
    ):
        raise ValueError(f"`{name}` must be an integer >= {minimum}; got {value!r}.")
    value = int(value)
    if value < minimum:
        raise ValueError(f"`{name}` must be at least {minimum}{why}; got {value}.")
    return value


def _describe(extractor):
    return extractor if isinstance(extractor, str) else type(extractor).__name__


__all__ = ["GANEvaluation", "METRIC_KEYS", "MODES", "evaluate_model", "resolve_extractor"]
