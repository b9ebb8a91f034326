"""Nearest training examples of generated samples, to check for memorisation.

Showing each generated sample next to its nearest training images in pixel
(L2) space is the check of Goodfellow et al. 2014 (Figure 2, rightmost
column) and of many later GAN papers: a model that copies its training set
shows near-duplicates here.
"""

import numpy as np

from kerasgan.metrics._utils import DEFAULT_BATCH_SIZE
from kerasgan.metrics._utils import as_float64
from kerasgan.metrics._utils import as_rows
from kerasgan.metrics._utils import check_batch_size
from kerasgan.metrics._utils import row_blocks
from kerasgan.metrics._utils import squared_distances
from kerasgan.metrics._utils import squared_norms
from kerasgan.metrics._utils import to_numpy


def nearest_neighbours(samples, training_data, k=1, batch_size=DEFAULT_BATCH_SIZE):
    """The `k` nearest training examples of each sample (L2, flattened).

    Exact brute force, by blocks: memory is `batch_size * batch_size`
    distances plus one float64 block of training rows, so the training set
    is never copied whole to float64.

    Args:
        samples: `(n, ...)` generated samples.
        training_data: `(N, ...)` training examples, same per-sample size.
        k: Number of neighbours (at most `N`).
        batch_size: Rows per block, for samples and training data alike.

    Returns:
        `(indices, distances)`: int64 and float64 arrays of shape `(n, k)`,
        sorted by increasing Euclidean distance.

    Example:

    ```python
    idx, dist = nearest_neighbours(generated, x_train, k=3)
    closest = x_train[idx[:, 0]]
    ```
    """
    x = as_rows(samples, "samples")
    train = _training_rows(training_data)
    if train.shape[1] != x.shape[1]:
        raise ValueError(
            "`samples` and `training_data` have different sizes per sample: "
            f"{x.shape[1]} vs {train.shape[1]} values (shapes "
            f"{np.shape(samples)} and {np.shape(training_data)})."
        )
    batch_size = check_batch_size(batch_size)
    if int(k) != k or not 1 <= k <= len(train):
        raise ValueError(
            f"`k` must be an integer in [1, {len(train)}] (the training set "
            f"size); got {k!r}."
        )
    k = int(k)
    x_sq = squared_norms(x)
    best_d = np.full((len(x), k), np.inf)
    best_i = np.zeros((len(x), k), dtype=np.int64)
    for cols in row_blocks(len(train), batch_size):
        t = train[cols].astype(np.float64)
        t_sq = squared_norms(t)
        for rows in row_blocks(len(x), batch_size):
            d = squared_distances(x[rows], t, x_sq[rows], t_sq)
            cand_d = np.concatenate([best_d[rows], d], axis=1)
            cand_i = np.concatenate(
                [best_i[rows], np.broadcast_to(np.arange(cols.start, cols.stop), d.shape)],
                axis=1,
            )
            keep = np.argpartition(cand_d, k - 1, axis=1)[:, :k]
            best_d[rows] = np.take_along_axis(cand_d, keep, axis=1)
            best_i[rows] = np.take_along_axis(cand_i, keep, axis=1)
    # Exact distances of the winners (the expansion loses digits), sorted.
    distances = np.empty_like(best_d)
    for rows in row_blocks(len(x), batch_size):
        diff = train[best_i[rows]].astype(np.float64) - x[rows][:, None, :]
        distances[rows] = np.sqrt(np.einsum("ijk,ijk->ij", diff, diff))
    order = np.argsort(distances, axis=1, kind="stable")
    return (
        np.take_along_axis(best_i, order, axis=1),
        np.take_along_axis(distances, order, axis=1),
    )


def save_nearest_neighbour_grid(
    samples,
    training_data,
    path,
    k=3,
    value_range=(-1.0, 1.0),
    scale=1,
    batch_size=DEFAULT_BATCH_SIZE,
):
    """Writes a PNG: one row per sample, followed by its `k` nearest
    training images (nearest first).

    Args:
        samples: `(n, h, w, c)` or `(n, h, w)` generated images, `c` in
            {1, 3}.
        training_data: `(N, h, w, c)` or `(N, h, w)` training images.
        path: Output `.png` path (written atomically).
        k: Neighbours per sample.
        value_range: Pixel range mapped to black..white (`[-1, 1]` for the
            `tanh` images of `kerasgan.data`).
        scale: Integer enlargement factor of the PNG.
        batch_size: See `nearest_neighbours`.

    Returns:
        `path`. The image is `n * (h + 2) + 2` pixels high and
        `(k + 1) * (w + 2) + 2` wide (times `scale`), as laid out by
        `kerasgan.utils.images.save_image_grid`.

    Example:

    ```python
    save_nearest_neighbour_grid(model.generate(8, seed=0), x_train, "nn.png")
    ```
    """
    from kerasgan.utils.images import save_image_grid

    images = _images(samples, "samples")
    train_images = _images(training_data, "training_data", check_finite=False)
    if images.shape[1:] != train_images.shape[1:]:
        raise ValueError(
            f"`samples` images have shape {images.shape[1:]} but `training_data` "
            f"images have shape {train_images.shape[1:]}."
        )
    indices, _ = nearest_neighbours(images, train_images, k=k, batch_size=batch_size)
    rows = np.concatenate([images[:, None], train_images[indices]], axis=1)
    tiles = rows.reshape(-1, *images.shape[1:])
    return save_image_grid(tiles, path, rows=len(images), scale=scale, value_range=value_range)


def _training_rows(training_data):
    """`(N, D)` view of the training data in its own dtype, checked finite.

    Kept in its own dtype (e.g. uint8 or float32): blocks are converted to
    float64 as they are used.
    """
    train = to_numpy(training_data)
    if train.ndim < 2:
        raise ValueError(
            f"`training_data` must have shape (N, ...); got shape {train.shape}."
        )
    if not (np.issubdtype(train.dtype, np.number) or train.dtype == bool):
        raise ValueError(f"`training_data` must be numeric; got dtype {train.dtype}.")
    train = train.reshape(len(train), -1)
    if len(train) == 0 or train.shape[1] == 0:
        raise ValueError(f"`training_data` is empty: shape {train.shape}.")
    if np.issubdtype(train.dtype, np.inexact):
        bad = train.size - int(np.count_nonzero(np.isfinite(train)))
        if bad:
            raise ValueError(
                f"`training_data` contains {bad} non-finite value(s) (NaN or inf) "
                f"out of {train.size}."
            )
    return train


def _images(x, name, check_finite=True):
    images = to_numpy(x)
    if images.ndim == 3:
        images = images[..., None]
    if images.ndim != 4 or images.shape[-1] not in (1, 3):
        raise ValueError(
            f"`{name}` must be NHWC images with 1 or 3 channels (or NHW); got "
            f"shape {images.shape}."
        )
    return as_float64(images, name) if check_finite else images
