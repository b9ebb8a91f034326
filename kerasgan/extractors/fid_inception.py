"""The Inception network of FID, in Keras 3, for every backend.

FID (Heusel et al., 2017, "GANs Trained by a Two Time-Scale Update Rule
Converge to a Local Nash Equilibrium"; code: github.com/bioinf-jku/TTUR) uses
the 2015-12-05 TensorFlow Inception graph and its 2048-d `pool_3:0` features;
the Inception Score (Salimans et al., 2016) uses the same graph's 1008-class
softmax. This module rebuilds that network as pytorch-fid does
(github.com/mseitzer/pytorch-fid, `src/pytorch_fid/inception.py`): torchvision's
Inception3 with 1008 classes, no auxiliary head, and its `FIDInceptionA/C/E_1/E_2`
blocks, which differ from `keras.applications.InceptionV3`:

- FIDInceptionA, FIDInceptionC and FIDInceptionE_1 average-pool without counting
  the padding (`AveragePooling2DExcludePad`);
- FIDInceptionE_2 (Mixed_7c) max-pools in its pool branch;
- BatchNorm epsilon 0.001, convolutions without bias, a 1008-class `fc`.

Layer names mirror pytorch-fid's module paths with "-" for "." (Keras forbids
"/" in names and PyTorch "." in parameter names), e.g. `Mixed_5b-branch1x1-conv`
for `Mixed_5b.branch1x1.conv`, so `load_pytorch_state_dict` maps a pytorch-fid
state dict by name. The weights come from a local file only
(see `resolve_weights_path` and `kerasgan convert-inception-weights`).
"""

import contextlib
import contextvars
import os

import keras
import numpy as np
from keras import layers
from keras import ops

from kerasgan.extractors.average_pooling_exclude_pad import AveragePooling2DExcludePad
from kerasgan.utils.files import save_model_atomic

FID_WEIGHTS_URL = (
    "https://github.com/mseitzer/pytorch-fid/releases/download/fid_weights/"
    "pt_inception-2015-12-05-6726825d.pth"
)
FID_WEIGHTS_FILENAME = "pt_inception-2015-12-05-6726825d.pth"
WEIGHTS_ENV_VAR = "KERASGAN_FID_INCEPTION_WEIGHTS"
INPUT_SIZE = 299
NUM_FEATURES = 2048
NUM_CLASSES = 1008
BN_EPSILON = 1e-3


class InceptionWeightsNotFoundError(FileNotFoundError):
    """The converted FID Inception weights file does not exist."""


def default_weights_path():
    """`~/.keras/kerasgan/fid_inception_v3.weights.h5` (expanded at call time)."""
    home = os.path.expanduser("~")
    return os.path.join(home, ".keras", "kerasgan", "fid_inception_v3.weights.h5")


def resolve_weights_path(path=None):
    """The weights file: `path`, else `$KERASGAN_FID_INCEPTION_WEIGHTS`, else the default.

    The first of these that is given is used; it must exist, otherwise
    `InceptionWeightsNotFoundError` says how to create it. There is no
    fallback to a later candidate: a wrong explicit path is an error.
    """
    if path is not None:
        path, source = os.fspath(path), "the `weights` argument"
    elif os.environ.get(WEIGHTS_ENV_VAR):
        path, source = os.environ[WEIGHTS_ENV_VAR], f"${WEIGHTS_ENV_VAR}"
    else:
        path, source = default_weights_path(), "the default location"
    path = os.path.expanduser(path)
    if not os.path.isfile(path):
        raise InceptionWeightsNotFoundError(_missing_weights_message(path, source))
    return path


def _missing_weights_message(path, source):
    default = default_weights_path()
    return (
        f"FID Inception weights not found: {path!r} (from {source}). kerasgan "
        "reads them from a local file only; to create it:\n"
        f"  1. download pytorch-fid's port of the 2015-12-05 Inception graph:\n"
        f"       {FID_WEIGHTS_URL}\n"
        "  2. convert it (needs torch):\n"
        f"       kerasgan convert-inception-weights {FID_WEIGHTS_FILENAME} "
        f"--output {default}\n"
        f"  3. keep the result at {default}, or point ${WEIGHTS_ENV_VAR} or the "
        "`weights` argument at it."
    )


# ---------------------------------------------------------------------------
# Architecture (torchvision Inception3 + pytorch-fid's FID blocks)
# ---------------------------------------------------------------------------


@keras.saving.register_keras_serializable(package="kerasgan")
class NumpyZeros(keras.initializers.Initializer):
    """Zeros made by numpy: no per-shape XLA compilation on JAX.

    Used for variables that are overwritten at once by loaded weights; Keras's
    random initializers compile one program per shape on JAX, which made
    building this 95-conv model take 25-50 s on 2 CPU cores.
    """

    def __call__(self, shape, dtype=None):
        return np.zeros(shape, keras.backend.standardize_dtype(dtype or "float32"))


_ZEROS_INIT = contextvars.ContextVar("kerasgan_fid_zeros_init", default=False)


@contextlib.contextmanager
def zeros_initialization():
    """Within it, the builders here initialize every variable with `NumpyZeros`."""
    token = _ZEROS_INIT.set(True)
    try:
        yield
    finally:
        _ZEROS_INIT.reset(token)


def _initializers(*names):
    """{name: NumpyZeros()} inside `zeros_initialization()`, else {} (Keras defaults)."""
    return {n: NumpyZeros() for n in names} if _ZEROS_INIT.get() else {}


def basic_conv2d(x, filters, kernel_size, name, strides=1, padding="valid"):
    """torchvision's BasicConv2d: conv (no bias) -> BatchNorm(eps=0.001) -> ReLU.

    PyTorch's symmetric paddings (1 for 3x3, (0, 3) for 1x7, ...) at stride 1
    are Keras's "same"; padding 0 is "valid".
    """
    x = layers.Conv2D(
        filters,
        kernel_size,
        strides=strides,
        padding=padding,
        use_bias=False,
        name=f"{name}-conv",
        **_initializers("kernel_initializer"),
    )(x)
    x = layers.BatchNormalization(
        epsilon=BN_EPSILON,
        name=f"{name}-bn",
        **_initializers(
            "gamma_initializer",
            "beta_initializer",
            "moving_mean_initializer",
            "moving_variance_initializer",
        ),
    )(x)
    return layers.ReLU(name=f"{name}-relu")(x)


def _avg_pool_exclude_pad(x, name):
    # F.avg_pool2d(x, 3, stride=1, padding=1, count_include_pad=False)
    return AveragePooling2DExcludePad(3, 1, name=name)(x)


def fid_inception_a(x, pool_features, name):
    """pytorch-fid's FIDInceptionA (Mixed_5b/5c/5d): 224 + pool_features channels."""
    b1 = basic_conv2d(x, 64, 1, f"{name}-branch1x1")
    b5 = basic_conv2d(x, 48, 1, f"{name}-branch5x5_1")
    b5 = basic_conv2d(b5, 64, 5, f"{name}-branch5x5_2", padding="same")
    b3 = basic_conv2d(x, 64, 1, f"{name}-branch3x3dbl_1")
    b3 = basic_conv2d(b3, 96, 3, f"{name}-branch3x3dbl_2", padding="same")
    b3 = basic_conv2d(b3, 96, 3, f"{name}-branch3x3dbl_3", padding="same")
    bp = _avg_pool_exclude_pad(x, f"{name}-avg_pool")
    bp = basic_conv2d(bp, pool_features, 1, f"{name}-branch_pool")
    return layers.Concatenate(name=f"{name}-concat")([b1, b5, b3, bp])


def inception_b(x, name):
    """torchvision's InceptionB (Mixed_6a): stride 2, 480 + in_channels channels."""
    b3 = basic_conv2d(x, 384, 3, f"{name}-branch3x3", strides=2)
    bd = basic_conv2d(x, 64, 1, f"{name}-branch3x3dbl_1")
    bd = basic_conv2d(bd, 96, 3, f"{name}-branch3x3dbl_2", padding="same")
    bd = basic_conv2d(bd, 96, 3, f"{name}-branch3x3dbl_3", strides=2)
    bp = layers.MaxPooling2D(3, strides=2, name=f"{name}-max_pool")(x)
    return layers.Concatenate(name=f"{name}-concat")([b3, bd, bp])


def fid_inception_c(x, channels_7x7, name):
    """pytorch-fid's FIDInceptionC (Mixed_6b..6e): 768 channels."""
    c7 = channels_7x7
    b1 = basic_conv2d(x, 192, 1, f"{name}-branch1x1")
    b7 = basic_conv2d(x, c7, 1, f"{name}-branch7x7_1")
    b7 = basic_conv2d(b7, c7, (1, 7), f"{name}-branch7x7_2", padding="same")
    b7 = basic_conv2d(b7, 192, (7, 1), f"{name}-branch7x7_3", padding="same")
    bd = basic_conv2d(x, c7, 1, f"{name}-branch7x7dbl_1")
    bd = basic_conv2d(bd, c7, (7, 1), f"{name}-branch7x7dbl_2", padding="same")
    bd = basic_conv2d(bd, c7, (1, 7), f"{name}-branch7x7dbl_3", padding="same")
    bd = basic_conv2d(bd, c7, (7, 1), f"{name}-branch7x7dbl_4", padding="same")
    bd = basic_conv2d(bd, 192, (1, 7), f"{name}-branch7x7dbl_5", padding="same")
    bp = _avg_pool_exclude_pad(x, f"{name}-avg_pool")
    bp = basic_conv2d(bp, 192, 1, f"{name}-branch_pool")
    return layers.Concatenate(name=f"{name}-concat")([b1, b7, bd, bp])


def inception_d(x, name):
    """torchvision's InceptionD (Mixed_7a): stride 2, 512 + in_channels channels."""
    b3 = basic_conv2d(x, 192, 1, f"{name}-branch3x3_1")
    b3 = basic_conv2d(b3, 320, 3, f"{name}-branch3x3_2", strides=2)
    b7 = basic_conv2d(x, 192, 1, f"{name}-branch7x7x3_1")
    b7 = basic_conv2d(b7, 192, (1, 7), f"{name}-branch7x7x3_2", padding="same")
    b7 = basic_conv2d(b7, 192, (7, 1), f"{name}-branch7x7x3_3", padding="same")
    b7 = basic_conv2d(b7, 192, 3, f"{name}-branch7x7x3_4", strides=2)
    bp = layers.MaxPooling2D(3, strides=2, name=f"{name}-max_pool")(x)
    return layers.Concatenate(name=f"{name}-concat")([b3, b7, bp])


def fid_inception_e(x, pool, name):
    """pytorch-fid's FIDInceptionE_1 (`pool="avg"`, Mixed_7b) / _2 (`pool="max"`, Mixed_7c).

    2048 channels. E_1 averages without the padding; E_2 max-pools (3x3,
    stride 1, padding 1), as the TF graph does.
    """
    b1 = basic_conv2d(x, 320, 1, f"{name}-branch1x1")
    b3 = basic_conv2d(x, 384, 1, f"{name}-branch3x3_1")
    b3 = layers.Concatenate(name=f"{name}-branch3x3_concat")(
        [
            basic_conv2d(b3, 384, (1, 3), f"{name}-branch3x3_2a", padding="same"),
            basic_conv2d(b3, 384, (3, 1), f"{name}-branch3x3_2b", padding="same"),
        ]
    )
    bd = basic_conv2d(x, 448, 1, f"{name}-branch3x3dbl_1")
    bd = basic_conv2d(bd, 384, 3, f"{name}-branch3x3dbl_2", padding="same")
    bd = layers.Concatenate(name=f"{name}-branch3x3dbl_concat")(
        [
            basic_conv2d(bd, 384, (1, 3), f"{name}-branch3x3dbl_3a", padding="same"),
            basic_conv2d(bd, 384, (3, 1), f"{name}-branch3x3dbl_3b", padding="same"),
        ]
    )
    if pool == "avg":
        bp = _avg_pool_exclude_pad(x, f"{name}-avg_pool")
    elif pool == "max":
        bp = layers.MaxPooling2D(3, strides=1, padding="same", name=f"{name}-max_pool")(x)
    else:
        raise ValueError(f"`pool` must be 'avg' or 'max'; got {pool!r}.")
    bp = basic_conv2d(bp, 192, 1, f"{name}-branch_pool")
    return layers.Concatenate(name=f"{name}-concat")([b1, b3, bd, bp])


def fid_inception_v3(
    weights=None,
    include_logits=True,
    input_shape=(INPUT_SIZE, INPUT_SIZE, 3),
    name="fid_inception_v3",
):
    """The FID Inception network as a functional `keras.Model`.

    Args:
        weights: None (Keras's default random initialization; slow to build
            on JAX, ~25-50 s on 2 CPU cores, one compilation per shape), "fid" (the
            converted weights from `$KERASGAN_FID_INCEPTION_WEIGHTS` or
            `~/.keras/kerasgan/fid_inception_v3.weights.h5`), or a path to a
            `.weights.h5` file written by `kerasgan convert-inception-weights`.
        include_logits: if True the model returns a dict
            `{"pool_3": (N, 2048), "logits": (N, 1008)}`; else the
            `(N, 2048)` pool_3 features alone.
        input_shape: NHWC image shape without the batch. FID uses 299x299x3;
            the network is convolutional up to a global pool, so any size of at
            least 75x75 builds (used for fast tests).

    Inputs are expected in [-1, 1] (pytorch-fid's `normalize_input`).
    Raises `InceptionWeightsNotFoundError` if the weights file is missing.
    """
    if weights is None:
        return _build(include_logits, input_shape, name)
    path = resolve_weights_path(None if weights == "fid" else weights)
    with zeros_initialization():
        model = _build(True, input_shape, name)
    # The file holds every layer, fc included: load before dropping fc.
    model.load_weights(path)
    if not include_logits:
        model = keras.Model(model.input, model.get_layer("pool_3").output, name=name)
    return model


def _build(include_logits, input_shape, name):
    inputs = keras.Input(shape=input_shape, name="images")
    x = basic_conv2d(inputs, 32, 3, "Conv2d_1a_3x3", strides=2)
    x = basic_conv2d(x, 32, 3, "Conv2d_2a_3x3")
    x = basic_conv2d(x, 64, 3, "Conv2d_2b_3x3", padding="same")
    x = layers.MaxPooling2D(3, strides=2, name="maxpool1")(x)
    x = basic_conv2d(x, 80, 1, "Conv2d_3b_1x1")
    x = basic_conv2d(x, 192, 3, "Conv2d_4a_3x3")
    x = layers.MaxPooling2D(3, strides=2, name="maxpool2")(x)
    x = fid_inception_a(x, 32, "Mixed_5b")
    x = fid_inception_a(x, 64, "Mixed_5c")
    x = fid_inception_a(x, 64, "Mixed_5d")
    x = inception_b(x, "Mixed_6a")
    x = fid_inception_c(x, 128, "Mixed_6b")
    x = fid_inception_c(x, 160, "Mixed_6c")
    x = fid_inception_c(x, 160, "Mixed_6d")
    x = fid_inception_c(x, 192, "Mixed_6e")
    x = inception_d(x, "Mixed_7a")
    x = fid_inception_e(x, "avg", "Mixed_7b")
    x = fid_inception_e(x, "max", "Mixed_7c")
    pool_3 = layers.GlobalAveragePooling2D(name="pool_3")(x)
    # pytorch-fid's Inception3 has dropout before fc: the identity at inference.
    logits = layers.Dense(
        NUM_CLASSES, name="fc", **_initializers("kernel_initializer", "bias_initializer")
    )(pool_3)
    if not include_logits:
        return keras.Model(inputs, pool_3, name=name)
    return keras.Model(inputs, {"pool_3": pool_3, "logits": logits}, name=name)


# ---------------------------------------------------------------------------
# pytorch-fid state dict -> Keras weights
# ---------------------------------------------------------------------------

# (Keras variable, PyTorch tensor suffix, transform)
_CONV = [("kernel", "weight", lambda w: np.transpose(w, (2, 3, 1, 0)))]  # OIHW -> HWIO
_BN = [
    ("gamma", "weight", None),
    ("beta", "bias", None),
    ("moving_mean", "running_mean", None),
    ("moving_variance", "running_var", None),
]
_DENSE = [("kernel", "weight", np.transpose), ("bias", "bias", None)]  # (out, in) -> (in, out)
_IGNORED_SUFFIX = ".num_batches_tracked"  # BatchNorm's step counter: no inference effect


def torch_module_name(layer_name):
    """Keras layer name -> pytorch-fid module path (`Mixed_5b-branch1x1-conv` ->
    `Mixed_5b.branch1x1.conv`)."""
    return layer_name.replace("-", ".")


def load_pytorch_state_dict(model, state_dict):
    """Assigns a pytorch-fid-style state dict to `model`'s layers, by name.

    A layer named `a-b-c` reads the tensors of module `P = a.b.c`: a `Conv2D`
    takes `P.weight` (OIHW -> HWIO); a `BatchNormalization` takes
    `P.weight/bias/running_mean/running_var` as
    gamma/beta/moving_mean/moving_variance; a `Dense` takes `P.weight`
    transposed and `P.bias`. `*.num_batches_tracked` is ignored.

    Strict: raises ValueError (before assigning anything) if a tensor is
    missing, has the wrong shape, or is left unmapped. Values may be numpy
    arrays or CPU torch tensors.
    """
    state_dict = dict(state_dict)
    assignments, missing, mismatched = [], [], []
    used = set()
    for layer in model.layers:
        if isinstance(layer, layers.Conv2D):
            spec = _CONV
        elif isinstance(layer, layers.BatchNormalization):
            spec = _BN
        elif isinstance(layer, layers.Dense):
            spec = _DENSE
        else:
            if layer.weights and not isinstance(layer, keras.layers.InputLayer):
                raise ValueError(f"Layer {layer.name!r} has weights but no PyTorch mapping.")
            continue
        for attr, suffix, transform in spec:
            key = f"{torch_module_name(layer.name)}.{suffix}"
            if key not in state_dict:
                missing.append(key)
                continue
            used.add(key)
            value = np.asarray(state_dict[key], dtype="float32")
            if transform is not None:
                value = transform(value)
            variable = getattr(layer, attr)
            if tuple(value.shape) != tuple(variable.shape):
                mismatched.append(f"{key}: {value.shape} -> {attr} {tuple(variable.shape)}")
                continue
            assignments.append((variable, value))
    unmapped = sorted(k for k in state_dict if k not in used and not k.endswith(_IGNORED_SUFFIX))
    problems = []
    for what, keys in (("missing", missing), ("wrong shape", mismatched), ("unmapped", unmapped)):
        if keys:
            shown = ", ".join(keys[:20]) + (f", ... ({len(keys)} in all)" if len(keys) > 20 else "")
            problems.append(f"{what}: {shown}")
    if problems:
        raise ValueError(
            f"The state dict does not match {model.name!r}; " + "; ".join(problems) + "."
        )
    for variable, value in assignments:
        variable.assign(value)
    return model


def convert_state_dict(state_dict, output_path=None):
    """pytorch-fid state dict (name -> array) -> FID Inception `keras.Model`.

    Builds `fid_inception_v3(weights=None)`, assigns the tensors with
    `load_pytorch_state_dict` (strict), and, if `output_path` is given,
    writes the weights there atomically (a `.weights.h5` path). Returns the model.
    """
    with zeros_initialization():
        model = fid_inception_v3(weights=None, include_logits=True)
    load_pytorch_state_dict(model, state_dict)
    if output_path is not None:
        output_path = os.fspath(output_path)
        if not output_path.endswith(".weights.h5"):
            raise ValueError(f"`output_path` must end in .weights.h5; got {output_path!r}.")
        save_model_atomic(model, output_path)
    return model


# ---------------------------------------------------------------------------
# Feature extraction
# ---------------------------------------------------------------------------


class InceptionFeatureExtractor:
    """Batched FID Inception features, logits and class probabilities of images.

    Images are NHWC arrays with 1 (repeated to 3) or 3 channels, any size
    (bilinearly resized to 299x299), with values in `input_range`: kerasgan's
    (-1, 1) by default, or e.g. `(0, 255)` for uint8 images, or `(0, 1)`.

    Resizing: `keras.ops.image.resize(..., "bilinear", antialias=False)`, which
    samples at half-pixel centres like pytorch-fid's
    `F.interpolate(mode="bilinear", align_corners=False)` (also when
    downsampling: neither antialiases); the backends agree with PyTorch to
    ~5e-5 (float32 coordinates). The original TTUR code resizes inside the TF1
    graph, whose `ResizeBilinear` has no half-pixel centres (see torch-fidelity's
    notes on numerical precision), so, as pytorch-fid's README says of itself,
    FIDs differ slightly from TTUR's (0.08 absolute on LSUN in its test).

    Example:

    ```python
    extractor = InceptionFeatureExtractor()  # the converted weights, see resolve_weights_path
    feats = extractor(images, batch_size=50)  # (N, 2048) float32
    probs = extractor.probabilities(images)  # (N, 1008), for the Inception Score
    ```
    """

    def __init__(
        self, weights="fid", input_range=(-1, 1), batch_size=50, verbose=False, model=None
    ):
        """`model`: an already built `fid_inception_v3(include_logits=True)`
        (then `weights` is ignored)."""
        self.model = model if model is not None else fid_inception_v3(weights, include_logits=True)
        self.input_range = _check_input_range(input_range)
        self.batch_size = _check_batch_size(batch_size)
        self.verbose = verbose

    def __call__(self, images, batch_size=None, input_range=None, verbose=None):
        return self.features(images, batch_size, input_range, verbose)

    def features(self, images, batch_size=None, input_range=None, verbose=None):
        """The (N, 2048) float32 `pool_3` features."""
        return self.features_and_logits(images, batch_size, input_range, verbose)[0]

    def logits(self, images, batch_size=None, input_range=None, verbose=None):
        """The (N, 1008) float32 logits of the 1008-class `fc` layer."""
        return self.features_and_logits(images, batch_size, input_range, verbose)[1]

    def probabilities(self, images, batch_size=None, input_range=None, verbose=None):
        """The (N, 1008) float64 softmax of the logits (rows sum to 1)."""
        z = self.logits(images, batch_size, input_range, verbose).astype("float64")
        z = np.exp(z - z.max(axis=1, keepdims=True))
        return z / z.sum(axis=1, keepdims=True)

    def features_and_logits(self, images, batch_size=None, input_range=None, verbose=None):
        """`(features (N, 2048), logits (N, 1008))`, float32, in one pass."""
        input_range = self.input_range if input_range is None else _check_input_range(input_range)
        batch_size = self.batch_size if batch_size is None else _check_batch_size(batch_size)
        verbose = self.verbose if verbose is None else verbose
        images = _check_images(images, input_range)
        n = images.shape[0]
        features = np.empty((n, NUM_FEATURES), "float32")
        logits = np.empty((n, NUM_CLASSES), "float32")
        progbar = keras.utils.Progbar(n, unit_name="image") if verbose and n else None
        for start in range(0, n, batch_size):
            stop = min(start + batch_size, n)
            out = self.model.predict_on_batch(_preprocess(images[start:stop], input_range))
            features[start:stop] = keras.ops.convert_to_numpy(out["pool_3"])
            logits[start:stop] = keras.ops.convert_to_numpy(out["logits"])
            if progbar is not None:
                progbar.update(stop)
        return features, logits


_DEFAULT_RANGE = (-1.0, 1.0)


def _check_input_range(input_range):
    try:
        lo, hi = (float(v) for v in input_range)
    except (TypeError, ValueError):
        raise ValueError(
            f"`input_range` must be a pair (low, high) such as (-1, 1), (0, 1) or (0, 255); "
            f"got {input_range!r}."
        ) from None
    if not (np.isfinite(lo) and np.isfinite(hi) and lo < hi):
        raise ValueError(f"`input_range` must be finite with low < high; got {input_range!r}.")
    return (lo, hi)


def _check_batch_size(batch_size):
    if int(batch_size) != batch_size or batch_size < 1:
        raise ValueError(f"`batch_size` must be a positive integer; got {batch_size!r}.")
    return int(batch_size)


def _check_images(images, input_range):
    """Validates an NHWC batch; returns it as a numpy array (no copy if possible)."""
    if not isinstance(images, np.ndarray):
        # Backend tensors (also on an accelerator) and nested lists.
        if hasattr(images, "shape"):
            images = keras.ops.convert_to_numpy(images)
        images = np.asarray(images)
    expected = (
        "an NHWC batch of images of shape (N, height, width, channels) with 1 or 3 channels"
    )
    if images.ndim != 4:
        hint = " (for one image, pass images[None])" if images.ndim == 3 else ""
        raise ValueError(
            f"Expected {expected}; got rank {images.ndim}, shape {images.shape}{hint}."
        )
    if images.shape[-1] not in (1, 3):
        hint = ""
        if images.shape[1] in (1, 3):
            hint = " (channels-first? transpose with np.transpose(images, (0, 2, 3, 1)))"
        raise ValueError(
            f"Expected {expected}; got {images.shape[-1]} channels, shape {images.shape}{hint}."
        )
    if images.shape[1] < 1 or images.shape[2] < 1:
        raise ValueError(f"Expected {expected}; got an empty image size, shape {images.shape}.")
    if not (np.issubdtype(images.dtype, np.integer) or np.issubdtype(images.dtype, np.floating)):
        raise ValueError(f"Expected real-valued images; got dtype {images.dtype}.")
    lo, hi = input_range
    if np.issubdtype(images.dtype, np.integer) and input_range == _DEFAULT_RANGE:
        raise ValueError(
            f"Got integer images (dtype {images.dtype}) but input_range=(-1, 1), kerasgan's "
            "float convention; pass input_range=(0, 255) for 8-bit images."
        )
    if images.size:
        vmin, vmax = float(images.min()), float(images.max())
        slack = 1e-3 * (hi - lo)  # rounding, e.g. tanh outputs a hair past 1
        if not (np.isfinite(vmin) and np.isfinite(vmax)):
            raise ValueError("The images contain NaN or infinite values.")
        if vmin < lo - slack or vmax > hi + slack:
            hint = ""
            if input_range == _DEFAULT_RANGE and vmin >= 0 and vmax <= 255:
                hint = "; for images in [0, 255] pass input_range=(0, 255)"
            raise ValueError(
                f"Expected image values in [{lo:g}, {hi:g}] (input_range); got values in "
                f"[{vmin:g}, {vmax:g}]{hint}."
            )
    return images


def _preprocess(batch, input_range):
    """NHWC batch in `input_range` -> (n, 299, 299, 3) float32 in [-1, 1]."""
    lo, hi = input_range
    x = batch.astype("float32")
    if x.shape[-1] == 1:
        x = np.repeat(x, 3, axis=-1)
    # Affine maps commute with bilinear resizing (its weights sum to 1), so
    # scaling first equals pytorch-fid's resize-then-`2 * x - 1`.
    x = x * np.float32(2.0 / (hi - lo)) - np.float32((hi + lo) / (hi - lo))
    if x.shape[1:3] != (INPUT_SIZE, INPUT_SIZE):
        x = ops.image.resize(
            x,
            (INPUT_SIZE, INPUT_SIZE),
            interpolation="bilinear",
            antialias=False,
            data_format="channels_last",
        )
    return x
