"""Argument and input-data checks with errors that say what was expected."""

import math
import warnings

import numpy as np


def positive_int(value, name):
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise ValueError(f"{name} must be a positive integer; got {value!r}.")
    return int(value)


def image_shape(value, owner, example="(28, 28, 1) or (64, 64, 3)"):
    """`value` as a `(height, width, channels)` tuple of positive ints, or a
    ValueError naming `owner` (e.g. "DCGAN") and an example."""
    try:
        shape = tuple(int(v) for v in value)
    except (TypeError, ValueError):
        shape = ()
    if len(shape) != 3 or min(shape) < 1:
        raise ValueError(
            f"{owner}'s image_shape is (height, width, channels) of positive sizes, "
            f"e.g. {example}; got {value!r}."
        )
    return shape


def image_batch(images, image_shape, what="translate"):
    """`images` as a float32 batch `(n, *image_shape)` (one image gets a batch
    axis), or a ValueError naming `what` expected that shape."""
    images = np.asarray(images, dtype="float32")
    if images.ndim == 3 and images.shape == tuple(image_shape):
        images = images[None]
    if images.ndim != 4 or images.shape[1:] != tuple(image_shape):
        raise ValueError(
            f"{what} expects images of shape (n, {', '.join(map(str, image_shape))}); "
            f"got {images.shape}."
        )
    return images


def value_range(data_range):
    if data_range is None:
        return None
    try:
        low, high = (float(v) for v in data_range)
    except (TypeError, ValueError):
        raise ValueError(f"data_range must be (low, high) or None; got {data_range!r}.")
    if not low < high:
        raise ValueError(f"data_range must have low < high; got {data_range!r}.")
    return (low, high)


def first_batch(x):
    """The first batch of `fit`'s data as numpy, or None if it can't be peeked."""
    if x is None:
        return None
    if isinstance(x, np.ndarray):
        return x
    if isinstance(x, (tuple, list)) and x and not np.isscalar(x[0]):
        return first_batch(x[0])
    if isinstance(x, dict):
        return None
    module = type(x).__module__
    if module.startswith("tensorflow"):
        if hasattr(x, "take") and hasattr(x, "element_spec"):  # tf.data.Dataset
            for batch in x.take(1):
                return _images_of(batch)
            return None
        return np.asarray(x)
    if hasattr(x, "__getitem__") and hasattr(x, "num_batches"):  # PyDataset
        return _images_of(x[0])
    if module.startswith(("jax", "jaxlib", "torch")) or hasattr(x, "__array__"):
        return np.asarray(x.cpu() if hasattr(x, "cpu") else x)
    return None


def first_domain_batches(x, y=None):
    """The first batch of each domain of unpaired two-domain data given to
    `fit` as `fit(a, b)`, `fit((a, b))` or a dataset of `(a, b)` batches:
    a list of numpy arrays (one item when only one domain is found), or None
    when the data cannot be peeked."""
    if y is not None:
        return [first_batch(x), first_batch(y)]
    if isinstance(x, (tuple, list)) and x and not np.isscalar(x[0]):
        return [first_batch(part) for part in x]
    batch = None
    module = type(x).__module__
    if module.startswith("tensorflow") and hasattr(x, "take") and hasattr(x, "element_spec"):
        for batch in x.take(1):
            pass
    elif hasattr(x, "__getitem__") and hasattr(x, "num_batches"):  # PyDataset
        batch = x[0]
    elif x is not None:
        return [first_batch(x)]
    if batch is None:
        return None
    if isinstance(batch, (tuple, list)):
        if len(batch) == 1 and isinstance(batch[0], (tuple, list)):
            batch = batch[0]
        return [np.asarray(part) for part in batch]
    return [np.asarray(batch)]


def _images_of(batch):
    if isinstance(batch, (tuple, list)):
        batch = batch[0]
    if isinstance(batch, dict):
        return None
    return np.asarray(batch)


def optimizer_with_valid_learning_rate(optimizer, name):
    """`optimizer` (an instance, name or config) as an optimizer; a ValueError
    when its learning rate (a schedule's at the optimizer's step) is negative
    or not finite, a warning when it is 0 (that player does not train)."""
    import keras

    optimizer = keras.optimizers.get(optimizer)
    # The current rate: a schedule's or a callable's value at the optimizer's step.
    value = float(np.asarray(keras.ops.convert_to_numpy(optimizer.learning_rate)))
    if not math.isfinite(value) or value < 0:
        raise ValueError(
            f"{name} has learning rate {value:g}; a learning rate must be a finite "
            "number > 0 (e.g. 2e-4)."
        )
    constant = not callable(getattr(optimizer, "_learning_rate", None))  # not a schedule
    if value == 0 and constant:
        warnings.warn(
            f"{name} has learning rate 0: that player's weights will not change.",
            stacklevel=3,  # the caller of compile
        )
    return optimizer


def check_training_data(x, data_shape, data_range):
    """Raises ValueError when `fit`'s data has the wrong shape or range, is
    empty or a Python list; warns when images in [0, 1] meet a [-1, 1] model."""
    if isinstance(x, list):
        raise ValueError(
            f"Training data is a Python list of {len(x)} items; give a numpy array "
            f"of shape (n, {', '.join(map(str, data_shape))}), e.g. "
            "np.asarray(x, dtype='float32'), a tf.data.Dataset or a keras.utils.PyDataset."
        )
    batch = first_batch(x)
    if batch is None:
        return
    if batch.ndim >= 1 and batch.shape[0] == 0:
        raise ValueError(
            f"Training data is empty: got an array of shape {tuple(batch.shape)}; "
            f"give at least one sample of shape {tuple(data_shape)}."
        )
    if batch.ndim < 1 or tuple(batch.shape[1:]) != tuple(data_shape):
        raise ValueError(
            f"Expected training samples of shape {tuple(data_shape)} (a batch of "
            f"shape (n, {', '.join(map(str, data_shape))})); got an array of "
            f"shape {tuple(batch.shape)}. Images are NHWC."
        )
    if not np.issubdtype(batch.dtype, np.number) or batch.size == 0:
        return
    finite = np.isfinite(batch)
    if not finite.all():
        raise ValueError(
            f"Training data contains {int((~finite).sum())} NaN or infinite "
            "values; clean the data before training."
        )
    if data_range is not None:
        low, high = data_range
        lo, hi = float(batch.min()), float(batch.max())
        tol = 1e-5 * max(1.0, abs(low), abs(high))
        if lo < low - tol or hi > high + tol:
            raise ValueError(
                f"Training data must lie in [{low:g}, {high:g}] (the generator's "
                f"output range); got values in [{lo:g}, {hi:g}]. Scale uint8 "
                "images with kerasgan.data.to_unit_range(x) (x / 127.5 - 1)."
            )
        if (low, high) == (-1.0, 1.0) and lo >= 0.0 and hi > 0.5:
            warnings.warn(
                f"Training data lies in [{lo:g}, {hi:g}], but this model generates "
                "in [-1, 1]: images scaled to [0, 1] make the generator learn the "
                "wrong range. Scale them with x * 2 - 1.",
                stacklevel=3,  # the caller of fit
            )


def is_finite_number(value):
    try:
        return math.isfinite(float(np.asarray(value)))
    except (TypeError, ValueError):
        return True


def finite_logs(logs):
    """Whether every value of a callback's `logs` is a finite number (None: yes)."""
    return all(is_finite_number(v) for v in (logs or {}).values())


def non_negative(value, name):
    """`None` for None/0, else a float ≥ 0 (a clear error for negatives)."""
    if value is None:
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a number >= 0 or None; got {value!r}.") from None
    if not math.isfinite(number) or number < 0:
        raise ValueError(f"{name} must be a finite number >= 0; got {value!r}.")
    return number or None


def class_labels(labels, num_classes, expected_length=None, name="labels"):
    """Integer class labels in [0, num_classes) as an int32 numpy array."""
    labels = np.asarray(labels)
    if labels.ndim == 2 and labels.shape[1] == 1:
        labels = labels[:, 0]
    if labels.ndim != 1:
        raise ValueError(
            f"{name} must be one integer class index per sample (shape (n,)); got "
            f"shape {labels.shape}."
        )
    if expected_length is not None and len(labels) != expected_length:
        raise ValueError(
            f"Expected {expected_length} {name} (one per sample); got {len(labels)}."
        )
    if labels.size and not np.issubdtype(labels.dtype, np.integer):
        if not np.all(np.equal(np.mod(labels, 1), 0)):
            raise ValueError(f"{name} must be integer class indices; got {labels[:5]}...")
    if labels.size:
        low, high = labels.min(), labels.max()
        if low < 0 or high >= num_classes:
            bad = labels[(labels < 0) | (labels >= num_classes)][0]
            raise ValueError(
                f"Label {bad} is outside [0, {num_classes}): this model has "
                f"{num_classes} classes."
            )
    return labels.astype("int32")


def first_labels(x, y):
    """The labels of `fit`'s first batch as numpy, or None if there are none."""
    if y is not None:
        return np.asarray(y.cpu() if hasattr(y, "cpu") else y)
    batch = None
    module = type(x).__module__
    if module.startswith("tensorflow") and hasattr(x, "take"):
        for element in x.take(1):
            batch = element
    elif hasattr(x, "__getitem__") and hasattr(x, "num_batches"):
        batch = x[0]
    if isinstance(batch, (tuple, list)) and len(batch) > 1:
        return np.asarray(batch[1])
    return None


def check_training_labels(x, y, num_classes, allow_unlabelled=False):
    """Raises ValueError when a class-conditional model gets no or bad labels."""
    labels = first_labels(x, y)
    if labels is None:
        raise ValueError(
            f"This model is class-conditional ({num_classes} classes): give the "
            "class labels, e.g. fit(x, y) or a dataset of (images, labels) pairs."
        )
    if allow_unlabelled:
        labels = np.asarray(labels)
        labels = labels[labels.reshape(labels.shape[0], -1)[:, 0] != -1] if labels.ndim else labels
    class_labels(labels, num_classes)
