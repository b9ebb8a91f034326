"""The 8x8 handwritten digits bundled with scikit-learn (no download).

scikit-learn ships a copy of the UCI "Optical Recognition of Handwritten
Digits" test set: 1,797 grayscale 8x8 images with integer values 0..16.
It is tiny and always available offline, which makes it the default
dataset for quick GAN smoke tests.
"""

import numpy as np

from kerasgan.data.errors import MissingDependencyError
from kerasgan.data.images import resize_images

#: Largest pixel value in the scikit-learn digits images.
DIGITS_MAX_VALUE = 16.0


def load_digits(with_labels=False, image_size=8):
    """Loads scikit-learn's 8x8 digits as `[-1, 1]` float32 images.

    Values `0..16` are mapped linearly to `[-1, 1]` (`0 -> -1`, `16 -> 1`).

    Args:
        with_labels: Whether to also return the digit labels (0-9).
        image_size: Output size (int or `(height, width)`); images are
            resized bilinearly when it is not 8.

    Returns:
        `images` of shape `(1797, image_size, image_size, 1)`, or
        `(images, labels)` with int64 labels of shape `(1797,)`.

    Raises:
        MissingDependencyError: (an `ImportError`) if scikit-learn is not
            installed; the message says `pip install scikit-learn`.

    Example:

    ```python
    x = load_digits()                      # (1797, 8, 8, 1)
    x, y = load_digits(with_labels=True, image_size=16)
    ```
    """
    try:
        from sklearn.datasets import load_digits as sklearn_load_digits
    except ImportError as e:
        raise MissingDependencyError(
            "load_digits needs scikit-learn, which is not installed "
            f"({e}). Install it with: pip install scikit-learn"
        ) from e
    bunch = sklearn_load_digits()
    images = np.asarray(bunch.images, dtype=np.float32)[..., None]
    images = images / np.float32(DIGITS_MAX_VALUE / 2) - np.float32(1.0)
    if image_size not in (8, (8, 8)):
        images = np.clip(resize_images(images, image_size), -1.0, 1.0)
    if with_labels:
        return images, np.asarray(bunch.target, dtype=np.int64)
    return images
