"""Improved precision and recall (Kynkäänniemi et al., "Improved Precision
and Recall Metric for Assessing Generative Models", NeurIPS 2019, Section 2).

Each feature set approximates its manifold by the union of balls around
its points, the radius of a point's ball being the distance to its k-th
nearest neighbour in the same set (itself excluded). Precision is the
fraction of generated samples inside the real manifold; recall is the
fraction of real samples inside the generated manifold.
"""

import numpy as np

from kerasgan.metrics._utils import DEFAULT_BATCH_SIZE
from kerasgan.metrics._utils import as_rows
from kerasgan.metrics._utils import check_batch_size
from kerasgan.metrics._utils import check_same_dim
from kerasgan.metrics._utils import row_blocks
from kerasgan.metrics._utils import squared_distances
from kerasgan.metrics._utils import squared_norms


def precision_recall(real_features, fake_features, k=3, batch_size=DEFAULT_BATCH_SIZE):
    """Improved precision and recall of generated features.

    Args:
        real_features: `(n_real, d)` features of real data (the paper uses
            VGG-16 features).
        fake_features: `(n_fake, d)` features of generated data.
        k: Neighbourhood size for the radii (3 in the paper); each set needs
            more than `k` samples.
        batch_size: Rows per block of the pairwise distance matrices, which
            are never held in full (memory is `batch_size * n` floats).

    Returns:
        `{"precision": float, "recall": float}`, both in `[0, 1]`.

    Example:

    ```python
    pr = precision_recall(real_features, fake_features, k=3)
    pr["precision"], pr["recall"]
    ```
    """
    real = as_rows(real_features, "real_features")
    fake = as_rows(fake_features, "fake_features")
    check_same_dim(real, fake, "real_features", "fake_features")
    batch_size = check_batch_size(batch_size)
    if int(k) != k or k < 1:
        raise ValueError(f"`k` must be a positive integer; got {k!r}.")
    k = int(k)
    for x, name in ((real, "real_features"), (fake, "fake_features")):
        if len(x) <= k:
            raise ValueError(
                f"`{name}` needs more than k={k} samples for k-th nearest "
                f"neighbour radii; got {len(x)}."
            )
    real_sq, fake_sq = squared_norms(real), squared_norms(fake)
    real_radii = _knn_squared_radii(real, real_sq, k, batch_size)
    fake_radii = _knn_squared_radii(fake, fake_sq, k, batch_size)
    precision = _fraction_inside(fake, fake_sq, real, real_sq, real_radii, batch_size)
    recall = _fraction_inside(real, real_sq, fake, fake_sq, fake_radii, batch_size)
    return {"precision": precision, "recall": recall}


def _knn_squared_radii(x, x_sq, k, batch_size):
    """Squared distance from each row to its k-th nearest other row."""
    radii = np.empty(len(x))
    for rows in row_blocks(len(x), batch_size):
        d = squared_distances(x[rows], x, x_sq[rows], x_sq)
        own = np.arange(rows.start, rows.stop)
        d[own - rows.start, own] = np.inf  # exclude the point itself
        radii[rows] = np.partition(d, k - 1, axis=1)[:, k - 1]
    return radii


def _fraction_inside(queries, queries_sq, points, points_sq, radii, batch_size):
    """Fraction of queries within `sqrt(radii[j])` of some `points[j]`."""
    inside = 0
    for rows in row_blocks(len(queries), batch_size):
        d = squared_distances(queries[rows], points, queries_sq[rows], points_sq)
        inside += int(np.count_nonzero((d <= radii[None, :]).any(axis=1)))
    return inside / len(queries)
