"""Kernel Inception Distance (Bińkowski et al., "Demystifying MMD GANs",
ICLR 2018, Section 4): the unbiased estimator of the squared MMD (Gretton
et al., JMLR 2012, Lemma 6) with the cubic polynomial kernel

    k(x, y) = (x . y / d + 1)^3,

averaged over random subsets of the two feature sets, as in the authors'
released code. Unlike FID it has an unbiased estimator, so it can be
compared across sample sizes (and can be slightly negative).
"""

import numpy as np

from kerasgan.metrics._utils import DEFAULT_BATCH_SIZE
from kerasgan.metrics._utils import as_rows
from kerasgan.metrics._utils import check_batch_size
from kerasgan.metrics._utils import check_same_dim
from kerasgan.metrics._utils import row_blocks


def kernel_inception_distance(
    real_features,
    fake_features,
    num_subsets=100,
    subset_size=1000,
    seed=0,
    batch_size=DEFAULT_BATCH_SIZE,
):
    """KID: unbiased MMD^2 with a cubic polynomial kernel, over subsets.

    Args:
        real_features: `(n_real, d)` features of real data.
        fake_features: `(n_fake, d)` features of generated data.
        num_subsets: Number of random subset pairs (100 in the paper's code).
        subset_size: Samples drawn without replacement from each set per
            subset (1000); clipped to `min(n_real, n_fake)`, which must be
            at least 2.
        seed: Int seed, `numpy.random.Generator` or `None` for the subsets.
        batch_size: Rows per block of the kernel matrices (memory bound).

    Returns:
        `(mean, std)` of the per-subset estimates, as Python floats (`std`
        with `ddof=0`; it describes the spread of subsets, not a standard
        error). `mean` may be slightly negative when the sets match.

    Example:

    ```python
    kid, kid_std = kernel_inception_distance(real_features, fake_features)
    ```
    """
    real = as_rows(real_features, "real_features")
    fake = as_rows(fake_features, "fake_features")
    check_same_dim(real, fake, "real_features", "fake_features")
    batch_size = check_batch_size(batch_size)
    if int(num_subsets) != num_subsets or num_subsets < 1:
        raise ValueError(f"`num_subsets` must be a positive integer; got {num_subsets!r}.")
    m = min(int(subset_size), len(real), len(fake))
    if m < 2:
        raise ValueError(
            "KID's unbiased estimator needs at least 2 samples per subset; got "
            f"subset_size={subset_size}, {len(real)} real and {len(fake)} fake "
            "samples."
        )
    rng = np.random.default_rng(seed)
    estimates = np.empty(int(num_subsets))
    for s in range(len(estimates)):
        x = real[rng.choice(len(real), m, replace=False)]
        y = fake[rng.choice(len(fake), m, replace=False)]
        estimates[s] = _unbiased_mmd2(x, y, batch_size)
    return float(estimates.mean()), float(estimates.std())


def _unbiased_mmd2(x, y, batch_size):
    m, n = len(x), len(y)
    k_xx = _kernel_sum(x, x, batch_size) - _kernel_diag_sum(x)
    k_yy = _kernel_sum(y, y, batch_size) - _kernel_diag_sum(y)
    k_xy = _kernel_sum(x, y, batch_size)
    return k_xx / (m * (m - 1)) + k_yy / (n * (n - 1)) - 2.0 * k_xy / (m * n)


def _kernel_sum(a, b, batch_size):
    """Sum of all entries of the `(len(a), len(b))` kernel matrix, by blocks."""
    d = a.shape[1]
    total = 0.0
    for rows in row_blocks(len(a), batch_size):
        total += float((((a[rows] @ b.T) / d + 1.0) ** 3).sum())
    return total


def _kernel_diag_sum(a):
    d = a.shape[1]
    return float(((np.einsum("ij,ij->i", a, a) / d + 1.0) ** 3).sum())
