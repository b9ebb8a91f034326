"""A small Fashion-MNIST CNN classifier, and its features for GAN metrics.

The Inception network of FID was trained on ImageNet photographs; for
28x28 grayscale garments a classifier trained on Fashion-MNIST itself gives
features that separate what matters there (the "domain-specific FID" used
for MNIST-like data). `fashion_mnist_classifier()` builds the network;
`FashionMNISTFeatureExtractor` runs it, with the published weights of the
zoo entry `fashion_mnist_classifier` (SHA-256 verified by `kerasgan.zoo`)
by default, and has the interface of `InceptionFeatureExtractor`:
`features` (128-d, for FID / KID / precision-recall), `logits` and
`probabilities` (10 classes, for the Inception Score).

Example:

```python
from kerasgan import metrics
from kerasgan.extractors.fashion_mnist_classifier import FashionMNISTFeatureExtractor

extractor = FashionMNISTFeatureExtractor()  # zoo weights, hash-checked
fid = metrics.fid_from_features(extractor(real_images), extractor(fake_images))
is_mean, is_std = metrics.inception_score(extractor.probabilities(fake_images))
```
"""

import os

import keras
import numpy as np
from keras import layers

from kerasgan.extractors.fid_inception import NumpyZeros

ZOO_NAME = "fashion_mnist_classifier"
INPUT_SHAPE = (28, 28, 1)
NUM_FEATURES = 128
NUM_CLASSES = 10
FEATURE_LAYER = "features"
LOGITS_LAYER = "logits"
#: (filters, 3x3 convolutions) per block; each block ends with a 2x2 max-pool.
DEFAULT_BLOCKS = ((32, 1), (64, 1), (128, 1))


def fashion_mnist_classifier(
    weights=None,
    blocks=DEFAULT_BLOCKS,
    dropout=0.3,
    features_dim=NUM_FEATURES,
    kernel_initializer="glorot_uniform",
    name="fashion_mnist_classifier",
):
    """A VGG-style CNN for 28x28x1 Fashion-MNIST images in [-1, 1].

    With the default `blocks`: 28x28x1 -> conv3x3 32 -> pool -> 14x14 ->
    conv3x3 64 -> pool -> 7x7 -> conv3x3 128 -> pool -> 3x3x128 -> flatten ->
    dense `features_dim` (the layer named `features`: BatchNorm + ReLU
    output) -> dropout -> dense 10 (`logits`). Every convolution is followed
    by BatchNorm and ReLU. About 242k parameters (1 MB of float32);
    `blocks=((32, 1), (64, 2), (128, 2))` has 426k.

    Args:
        weights: None (random initialization), "zoo" (the published weights,
            hash-verified, with the architecture recorded in their zoo entry's
            `config`, which then replaces `blocks`, `dropout` and
            `features_dim`) or a path to a `.weights.h5` file.
        blocks: `(filters, number of 3x3 convolutions)` per block; each block
            ends with a 2x2 max-pool.
        dropout: rate of the dropout before the logits (training only).
        features_dim: width of the feature layer.
        kernel_initializer: of the convolutions and dense layers when
            `weights` is None. With weights, every variable starts as numpy
            zeros (they are overwritten at once; Keras's random initializers
            compile one program per shape on JAX, seconds each).

    Returns:
        A functional `keras.Model` from `(N, 28, 28, 1)` images to
        `(N, 10)` logits. `model.get_layer("features").output` is the
        `(N, features_dim)` penultimate representation.
    """
    if isinstance(weights, str) and weights == "zoo":
        config = zoo_config()
        blocks = config.get("blocks", DEFAULT_BLOCKS)
        dropout = config.get("dropout", dropout)
        features_dim = config.get("features_dim", features_dim)
    if weights is not None:
        zeros = NumpyZeros()
        kernel = {"kernel_initializer": zeros}
        bias = {"bias_initializer": zeros}
        bn = {
            f"{v}_initializer": zeros
            for v in ("gamma", "beta", "moving_mean", "moving_variance")
        }
    else:
        kernel, bias, bn = {"kernel_initializer": kernel_initializer}, {}, {}
    inputs = keras.Input(shape=INPUT_SHAPE, name="images")
    x = inputs
    for block, (filters, convs) in enumerate(blocks, start=1):
        for i in range(1, int(convs) + 1):
            x = layers.Conv2D(
                int(filters), 3, padding="same", use_bias=False, name=f"block{block}_conv{i}",
                **kernel,
            )(x)
            x = layers.BatchNormalization(name=f"block{block}_bn{i}", **bn)(x)
            x = layers.ReLU(name=f"block{block}_relu{i}")(x)
        x = layers.MaxPooling2D(2, name=f"block{block}_pool")(x)
    x = layers.Flatten(name="flatten")(x)
    x = layers.Dense(features_dim, use_bias=False, name="features_dense", **kernel)(x)
    x = layers.BatchNormalization(name="features_bn", **bn)(x)
    x = layers.ReLU(name=FEATURE_LAYER)(x)
    x = layers.Dropout(dropout, name="dropout")(x)
    logits = layers.Dense(NUM_CLASSES, name=LOGITS_LAYER, **kernel, **bias)(x)
    model = keras.Model(inputs, logits, name=name)
    if weights is not None:
        model.load_weights(resolve_weights_path(weights))
    return model


def zoo_config():
    """The architecture arguments recorded in the zoo entry (`{}`: the defaults)."""
    from kerasgan import zoo

    return dict(zoo.entry(ZOO_NAME).get("config", {}))


def resolve_weights_path(weights="zoo"):
    """"zoo" -> the zoo entry's weights file, SHA-256 verified (raises
    `kerasgan.zoo.WeightsIntegrityError` on a mismatch); a path -> that path,
    which must exist."""
    if isinstance(weights, str) and weights == "zoo":
        from kerasgan import zoo

        return zoo.weights_path(ZOO_NAME)
    path = os.path.expanduser(os.fspath(weights))
    if not os.path.isfile(path):
        raise FileNotFoundError(
            f"Fashion-MNIST classifier weights not found: {path!r}. Pass weights='zoo' "
            f"for the published ones (zoo entry {ZOO_NAME!r})."
        )
    return path


class FashionMNISTFeatureExtractor:
    """Batched Fashion-MNIST classifier features, logits and class probabilities.

    Images must be an NHWC batch of shape (N, 28, 28, 1) with values in
    [-1, 1] (kerasgan's convention, e.g. `load_fashion_mnist()` or a
    generator's tanh output); anything else raises a ValueError naming the
    wrong shape, channel count or value range. No resizing is done.

    Args:
        weights: "zoo" (default: the published weights of the zoo entry
            `fashion_mnist_classifier`, SHA-256 verified), a path to a
            `.weights.h5` file, or None (random initialization, for tests).
        batch_size: images per forward pass.
        verbose: show a progress bar.
        model: an already built `fashion_mnist_classifier()` (then `weights`
            is ignored).

    Example:

    ```python
    extractor = FashionMNISTFeatureExtractor()
    feats = extractor(images)                  # (N, 128) float32
    probs = extractor.probabilities(images)    # (N, 10) float64, for the IS
    ```
    """

    num_features = NUM_FEATURES
    num_classes = NUM_CLASSES

    def __init__(self, weights="zoo", batch_size=500, verbose=False, model=None):
        self.model = model if model is not None else fashion_mnist_classifier(weights)
        self.batch_size = _check_batch_size(batch_size)
        self.verbose = verbose
        self.num_features = int(self.model.get_layer(FEATURE_LAYER).output.shape[-1])
        self._both = keras.Model(
            self.model.input,
            {"features": self.model.get_layer(FEATURE_LAYER).output, "logits": self.model.output},
        )

    def __call__(self, images, batch_size=None, verbose=None):
        return self.features(images, batch_size, verbose)

    def features(self, images, batch_size=None, verbose=None):
        """The (N, 128) float32 penultimate features (layer `features`)."""
        return self.features_and_logits(images, batch_size, verbose)[0]

    def logits(self, images, batch_size=None, verbose=None):
        """The (N, 10) float32 class logits."""
        return self.features_and_logits(images, batch_size, verbose)[1]

    def probabilities(self, images, batch_size=None, verbose=None):
        """The (N, 10) float64 softmax of the logits (rows sum to 1)."""
        z = self.logits(images, batch_size, verbose).astype("float64")
        z = np.exp(z - z.max(axis=1, keepdims=True))
        return z / z.sum(axis=1, keepdims=True)

    def predict_classes(self, images, batch_size=None, verbose=None):
        """The (N,) int64 most likely class indices (`FASHION_MNIST_CLASSES`)."""
        return np.argmax(self.logits(images, batch_size, verbose), axis=1).astype("int64")

    def features_and_logits(self, images, batch_size=None, verbose=None):
        """`(features (N, 128), logits (N, 10))`, float32, in one pass."""
        batch_size = self.batch_size if batch_size is None else _check_batch_size(batch_size)
        verbose = self.verbose if verbose is None else verbose
        images = check_images(images)
        n = images.shape[0]
        features = np.empty((n, self.num_features), "float32")
        logits = np.empty((n, NUM_CLASSES), "float32")
        progbar = keras.utils.Progbar(n, unit_name="image") if verbose and n else None
        for start in range(0, n, batch_size):
            stop = min(start + batch_size, n)
            out = self._both.predict_on_batch(images[start:stop].astype("float32", copy=False))
            features[start:stop] = keras.ops.convert_to_numpy(out["features"])
            logits[start:stop] = keras.ops.convert_to_numpy(out["logits"])
            if progbar is not None:
                progbar.update(stop)
        return features, logits


def _check_batch_size(batch_size):
    if isinstance(batch_size, bool) or int(batch_size) != batch_size or batch_size < 1:
        raise ValueError(f"`batch_size` must be a positive integer; got {batch_size!r}.")
    return int(batch_size)


def check_images(images):
    """Validates a (N, 28, 28, 1) batch in [-1, 1]; returns it as a numpy array."""
    if not isinstance(images, np.ndarray):
        if hasattr(images, "shape"):  # backend tensors
            images = keras.ops.convert_to_numpy(images)
        images = np.asarray(images)
    expected = "an NHWC batch of Fashion-MNIST images of shape (N, 28, 28, 1) in [-1, 1]"
    if images.ndim != 4:
        hint = ""
        if images.ndim == 3 and images.shape[-2:] == (28, 28):
            hint = " (for grayscale (N, 28, 28) images, pass images[..., None])"
        elif images.ndim == 3:
            hint = " (for one image, pass images[None])"
        raise ValueError(f"Expected {expected}; got rank {images.ndim}, shape {images.shape}{hint}.")
    if images.shape[-1] != 1:
        hint = ""
        if images.shape[1] == 1:
            hint = " (channels-first? transpose with np.transpose(images, (0, 2, 3, 1)))"
        elif images.shape[-1] == 3:
            hint = " (RGB? convert to grayscale first)"
        raise ValueError(
            f"Expected {expected}; got {images.shape[-1]} channels, shape {images.shape}{hint}."
        )
    if images.shape[1:3] != (28, 28):
        raise ValueError(
            f"Expected {expected}; got images of size {images.shape[1]}x{images.shape[2]}, "
            f"shape {images.shape} (resize to 28x28 first)."
        )
    if not np.issubdtype(images.dtype, np.floating):
        hint = " (8-bit images: use images / 127.5 - 1)" if np.issubdtype(images.dtype, np.integer) else ""
        raise ValueError(f"Expected {expected}; got dtype {images.dtype}{hint}.")
    if images.size:
        vmin, vmax = float(images.min()), float(images.max())
        if not (np.isfinite(vmin) and np.isfinite(vmax)):
            raise ValueError("The images contain NaN or infinite values.")
        slack = 2e-3  # rounding, e.g. tanh outputs a hair past 1
        if vmin < -1 - slack or vmax > 1 + slack:
            hint = ""
            if vmin >= 0 and vmax <= 255:
                hint = "; for images in [0, 1] use 2 * x - 1, for [0, 255] use x / 127.5 - 1"
            raise ValueError(
                f"Expected image values in [-1, 1]; got values in [{vmin:g}, {vmax:g}]{hint}."
            )
    return images
