"""Image array helpers: value scaling, validation, resizing, folder loading.

Every image loader in `kerasgan.data` returns float32 numpy arrays in
NHWC layout (`(num_images, height, width, channels)`) with values in
`[-1, 1]`, the range of a `tanh` generator output.
"""

import os

import numpy as np

_IMAGE_EXTENSIONS = (".png", ".jpg", ".jpeg")
_UINT8_TO_UNIT = np.arange(256, dtype=np.float32) / np.float32(127.5) - np.float32(1)


def to_unit_range(images):
    """Scales uint8-range images `[0, 255]` to float32 `[-1, 1]`.

    `0` maps to exactly `-1.0` and `255` to exactly `1.0`.

    Args:
        images: Array-like of integers or floats in `[0, 255]`.

    Returns:
        A float32 numpy array of the same shape.

    Example:

    ```python
    to_unit_range(np.array([0, 255], dtype="uint8"))  # array([-1., 1.])
    ```
    """
    x = _as_numpy(images)
    if x.dtype == np.uint8:  # lookup table: exact and much faster than astype
        return _UINT8_TO_UNIT[x]
    if x.size:
        low, high = float(np.min(x)), float(np.max(x))
        if not (0 <= low and high <= 255):
            raise ValueError(
                "to_unit_range expects values in [0, 255] (uint8 pixels); "
                f"got min {_fmt(low)}, max {_fmt(high)}."
            )
    out = np.array(x, dtype=np.float32)
    out /= np.float32(127.5)
    out -= np.float32(1.0)
    return out


def from_unit_range(x):
    """Maps `[-1, 1]` images back to uint8 `[0, 255]` (rounded, clipped).

    Example:

    ```python
    from_unit_range(np.array([-1.0, 0.0, 1.0]))  # array([0, 128, 255], uint8)
    ```
    """
    x = _as_numpy(x).astype(np.float32)
    if np.isnan(x).any():
        raise ValueError("from_unit_range got NaN values; cannot convert to uint8.")
    return np.clip(np.round((x + 1.0) * 127.5), 0, 255).astype(np.uint8)


def check_images(x, expected_shape=None, value_range=(-1, 1), atol=1e-5):
    """Validates a batch of images and returns it as a numpy array.

    Args:
        x: Array-like (numpy or any backend tensor) of shape
            `(batch, height, width, channels)`.
        expected_shape: Optional per-image shape `(height, width, channels)`
            or full shape `(batch, height, width, channels)`; `None` entries
            match anything.
        value_range: `(low, high)` the values must lie in, or `None` to skip
            the range check.
        atol: Tolerance for the range check.

    Returns:
        `x` as a numpy array.

    Raises:
        ValueError: naming the actual shape or value range and what was
            expected, e.g. `"expected images of shape (28, 28, 1) in
            [-1, 1]; got shape (32, 32, 3)"`.

    Example:

    ```python
    x = check_images(load_fashion_mnist(), expected_shape=(28, 28, 1))
    ```
    """
    x = _as_numpy(x)
    _check_shape(x, expected_shape, value_range)
    if value_range is not None and x.size:
        _check_values(x, value_range, atol)
    return x


def resize_images(images, image_size):
    """Resizes float NHWC images with bilinear interpolation (PIL).

    Works on any float values (not only `[0, 255]`), so it can resize
    images that are already in `[-1, 1]`.

    Args:
        images: Array of shape `(N, H, W, C)`.
        image_size: Target size, an int (square) or `(height, width)`.

    Returns:
        A float32 array of shape `(N, height, width, C)`.
    """
    from PIL import Image

    height, width = _size_pair(image_size)
    images = np.asarray(images, dtype=np.float32)
    n, _, _, channels = images.shape
    out = np.empty((n, height, width, channels), dtype=np.float32)
    for i in range(n):
        for c in range(channels):
            plane = Image.fromarray(np.ascontiguousarray(images[i, :, :, c]))
            out[i, :, :, c] = plane.resize((width, height), Image.Resampling.BILINEAR)
    return out


def pad_images(images, image_size, value=-1.0):
    """Pads NHWC images evenly on every side to `image_size` (an int or
    `(height, width)`) with `value` (-1: black in the `[-1, 1]` range), e.g.
    Fashion-MNIST's 28×28 to 32×32 for networks that halve down to 4×4.

    Example:

    ```python
    x = pad_images(load_fashion_mnist(), 32)  # (60000, 32, 32, 1)
    ```
    """
    images = np.asarray(images)
    height, width = _size_pair(image_size)
    h, w = images.shape[1:3]
    if height < h or width < w:
        raise ValueError(
            f"image_size {image_size!r} is smaller than the images ({h}x{w}); it "
            "pads, it does not shrink (use kerasgan.data.resize_images to resize)."
        )
    top, left = (height - h) // 2, (width - w) // 2
    pads = ((0, 0), (top, height - h - top), (left, width - w - left), (0, 0))
    return np.pad(images, pads, constant_values=np.asarray(value, images.dtype))


def list_image_files(path, recursive=False):
    """Lists the PNG/JPEG files in a folder, sorted by path."""
    path = os.fspath(path)
    if recursive:
        files = [
            os.path.join(root, name)
            for root, _, names in os.walk(path)
            for name in names
        ]
    else:
        files = [os.path.join(path, name) for name in os.listdir(path)]
    return sorted(f for f in files if f.lower().endswith(_IMAGE_EXTENSIONS))


def load_image_folder(
    path,
    image_size=None,
    channels=3,
    crop_size=None,
    recursive=False,
    limit=None,
):
    """Loads a folder of PNG/JPEG images into a `[-1, 1]` float32 array.

    Each image is optionally center-cropped to `crop_size`, then (if
    `image_size` is given) center-cropped to the aspect ratio of
    `image_size` and resized to it, as in the DCGAN CelebA preprocessing.

    Args:
        path: Folder holding `.png`, `.jpg` or `.jpeg` files.
        image_size: Output size, an int (square) or `(height, width)`.
            If `None`, all images must already have the same size.
        channels: 3 for RGB, 1 for grayscale.
        crop_size: Optional central crop (int or `(height, width)`)
            applied before resizing, e.g. 108 for DCGAN's CelebA setup.
        recursive: Whether to include images in sub-folders.
        limit: Optional maximum number of images (the first ones by name).

    Returns:
        A float32 array of shape `(N, height, width, channels)`.

    Example:

    ```python
    x = load_image_folder("img_align_celeba", image_size=64, limit=1000)
    ```
    """
    path = os.fspath(path)
    if not os.path.isdir(path):
        raise FileNotFoundError(f"Image folder not found: {path}")
    files = list_image_files(path, recursive=recursive)
    if not files:
        raise FileNotFoundError(
            f"No .png/.jpg/.jpeg images in {path}"
            + ("" if recursive else " (sub-folders skipped; pass recursive=True)")
        )
    return load_image_files(files[:limit], image_size, channels, crop_size)


def load_image_files(files, image_size=None, channels=3, crop_size=None):
    """Loads a list of image files; see `load_image_folder` for arguments."""
    if channels not in (1, 3):
        raise ValueError(f"channels must be 1 or 3; got {channels}.")
    arrays = [_load_one(f, image_size, channels, crop_size) for f in files]
    shapes = {a.shape for a in arrays}
    if len(shapes) > 1:
        raise ValueError(
            f"Images have different sizes {sorted(shapes)[:3]}...; pass "
            "image_size=... (kerasgan train: --image-size) to resize them to one size."
        )
    stacked = np.stack(arrays) if arrays else np.zeros((0, 0, 0, channels), np.uint8)
    return to_unit_range(stacked)


def center_crop_box(width, height, crop_height, crop_width):
    """Returns the PIL box `(left, top, right, bottom)` of a central crop."""
    crop_height, crop_width = min(crop_height, height), min(crop_width, width)
    left = (width - crop_width) // 2
    top = (height - crop_height) // 2
    return left, top, left + crop_width, top + crop_height


def _load_one(path, image_size, channels, crop_size):
    from PIL import Image

    with Image.open(path) as img:
        img = img.convert("RGB" if channels == 3 else "L")
        if crop_size is not None:
            ch, cw = _size_pair(crop_size)
            img = img.crop(center_crop_box(img.width, img.height, ch, cw))
        if image_size is not None:
            img = _crop_to_aspect(img, *_size_pair(image_size))
            th, tw = _size_pair(image_size)
            img = img.resize((tw, th), Image.Resampling.BICUBIC)
        array = np.asarray(img, dtype=np.uint8)
    return array.reshape(array.shape[0], array.shape[1], channels)


def _crop_to_aspect(img, target_height, target_width):
    crop_h = min(img.height, img.width * target_height // target_width)
    crop_w = min(img.width, img.height * target_width // target_height)
    return img.crop(center_crop_box(img.width, img.height, crop_h, crop_w))


def _size_pair(size):
    if isinstance(size, (int, np.integer)):
        return int(size), int(size)
    height, width = size
    return int(height), int(width)


def _as_numpy(x):
    if isinstance(x, np.ndarray):
        return x
    try:
        return np.asarray(x)
    except Exception:  # e.g. torch tensors that require grad, GPU tensors
        from keras import ops

        return np.asarray(ops.convert_to_numpy(x))


def _fmt(value):
    return str(float(f"{value:.6g}"))


def _format_range(value_range):
    low, high = value_range
    return f"[{low:g}, {high:g}]"


def _check_shape(x, expected_shape, value_range):
    expected = (
        "images"
        if expected_shape is None
        else (f"images of shape {tuple(expected_shape)}")
    )
    if value_range is not None:
        expected += f" in {_format_range(value_range)}"
    if x.ndim != 4:
        hint = ""
        if x.ndim == 3:
            hint = "; add a channel axis with x[..., None]"
        raise ValueError(
            f"expected {expected} as a 4-D batch (batch, height, width, "
            f"channels); got shape {x.shape}{hint}"
        )
    if expected_shape is None:
        return
    expected_shape = tuple(expected_shape)
    actual = x.shape if len(expected_shape) == 4 else x.shape[1:]
    if len(actual) != len(expected_shape) or any(
        e is not None and e != a for e, a in zip(expected_shape, actual)
    ):
        hint = ""
        if len(expected_shape) == 3 and x.shape[1] == expected_shape[-1]:
            hint = "; looks channels-first, use x.transpose(0, 2, 3, 1)"
        raise ValueError(f"expected {expected}; got shape {actual}{hint}")


def _check_values(x, value_range, atol):
    if not np.issubdtype(x.dtype, np.number) and x.dtype != bool:
        raise ValueError(f"expected numeric images; got dtype {x.dtype}")
    if np.issubdtype(x.dtype, np.floating):
        nans = int(np.isnan(x).sum())
        if nans:
            raise ValueError(f"images contain NaN: {nans} of {x.size} values")
        infs = int(np.isinf(x).sum())
        if infs:
            raise ValueError(f"images contain inf: {infs} of {x.size} values")
    low, high = value_range
    x_min, x_max = float(np.min(x)), float(np.max(x))
    if x_min < low - atol or x_max > high + atol:
        message = (
            f"values outside {_format_range(value_range)}: "
            f"min {_fmt(x_min)}, max {_fmt(x_max)}"
        )
        if tuple(value_range) == (-1, 1):
            message += "; scale uint8 images with kerasgan.data.to_unit_range(x)"
        raise ValueError(message)
