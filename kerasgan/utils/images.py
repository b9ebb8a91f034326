"""Sample grids as PNG."""

import math

import numpy as np


def image_grid(images, rows=None, padding=2, value_range=(-1.0, 1.0)):
    """Tiles NHWC images into one uint8 image of `rows` rows.

    Example: `grid = image_grid(model.generate(64, seed=0))`.
    """
    images = np.asarray(images, dtype="float32")
    if images.ndim != 4 or images.shape[-1] not in (1, 3):
        raise ValueError(
            "image_grid expects NHWC images with 1 or 3 channels; got shape "
            f"{images.shape}."
        )
    n, h, w, c = images.shape
    rows = rows or int(math.floor(math.sqrt(n)))
    cols = int(math.ceil(n / rows))
    low, high = value_range
    scaled = np.clip((images - low) / (high - low), 0.0, 1.0)
    scaled = np.round(scaled * 255.0).astype("uint8")
    grid = np.full(
        (rows * (h + padding) + padding, cols * (w + padding) + padding, c), 255, "uint8"
    )
    for i in range(n):
        r, q = divmod(i, cols)
        y, x = padding + r * (h + padding), padding + q * (w + padding)
        grid[y : y + h, x : x + w] = scaled[i]
    return grid


def save_image_grid(images, path, rows=None, scale=1, value_range=(-1.0, 1.0)):
    """Writes `image_grid(images)` to a PNG file (enlarged `scale` times)."""
    from PIL import Image

    from kerasgan.utils.files import atomic_path

    grid = image_grid(images, rows=rows, value_range=value_range)
    if grid.shape[-1] == 1:
        grid = grid[..., 0]
    image = Image.fromarray(grid)
    if scale != 1:
        image = image.resize((image.width * scale, image.height * scale), Image.NEAREST)
    with atomic_path(path) as tmp:
        image.save(tmp, format="PNG")
    return path
