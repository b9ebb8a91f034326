"""Mode coverage on low-dimensional Gaussian mixtures (the 2D ring and grid).

The protocol of VEEGAN's synthetic experiments (Srivastava et al., NeurIPS
2017), also used by PacGAN (Lin et al., NeurIPS 2018): a generated
sample is *high quality* if it lies within `threshold` (3) standard
deviations of its nearest mode, and a mode is *captured* if at least one
high-quality sample is nearest to it. PacGAN's released code
(`MetricLogger` in `synthetic_data_experiments/PacGAN/pacgan/extensions.py`)
counts a mode as captured when its high-quality count is non-zero, i.e.
the same rule; `min_samples` makes it stricter when wanted.
"""

import numpy as np

from kerasgan.data.toy import nearest_mode
from kerasgan.metrics._utils import DEFAULT_BATCH_SIZE
from kerasgan.metrics._utils import as_float64
from kerasgan.metrics._utils import as_rows
from kerasgan.metrics._utils import check_batch_size
from kerasgan.metrics._utils import check_same_dim
from kerasgan.metrics._utils import row_blocks


def mode_coverage(
    samples, modes, std, threshold=3.0, min_samples=1, batch_size=DEFAULT_BATCH_SIZE
):
    """Counts captured modes and high-quality samples (VEEGAN / PacGAN).

    Args:
        samples: `(n, d)` generated samples (d = 2 for the ring and grid).
        modes: `(k, d)` mixture means, e.g. `kerasgan.data.ring_modes()`.
        std: Standard deviation of each (isotropic) mixture component, e.g.
            0.02 for the default ring and 0.05 for the grid.
        threshold: A sample is high quality if its distance to the nearest
            mode is at most `threshold * std` (3 in VEEGAN and PacGAN).
        min_samples: A mode is captured if at least this many high-quality
            samples are nearest to it. The default, 1, is the rule of
            VEEGAN and of PacGAN's released code.
        batch_size: Samples per block of the sample-to-mode distances.

    Returns:
        `{"modes_covered": int, "high_quality_fraction": float,
        "per_mode_counts": int64 array (k,)}` where `per_mode_counts[j]`
        is the number of high-quality samples whose nearest mode is `j`.

    Example:

    ```python
    from kerasgan import data

    x = data.ring_of_gaussians(2500, seed=0)
    mode_coverage(x, data.ring_modes(), std=0.02)["modes_covered"]   # 8
    ```
    """
    x = as_rows(samples, "samples")
    centres = as_rows(modes, "modes")
    check_same_dim(x, centres, "samples", "modes")
    batch_size = check_batch_size(batch_size)
    std = float(as_float64(std, "std"))
    if std <= 0:
        raise ValueError(f"`std` must be positive; got {std}.")
    if threshold <= 0:
        raise ValueError(f"`threshold` must be positive; got {threshold}.")
    if int(min_samples) != min_samples or min_samples < 1:
        raise ValueError(f"`min_samples` must be a positive integer; got {min_samples!r}.")

    counts = np.zeros(len(centres), dtype=np.int64)
    for rows in row_blocks(len(x), batch_size):
        indices, distances = nearest_mode(x[rows], centres)
        good = distances <= threshold * std
        counts += np.bincount(indices[good], minlength=len(centres))
    return {
        "modes_covered": int(np.count_nonzero(counts >= min_samples)),
        "high_quality_fraction": float(counts.sum() / len(x)),
        "per_mode_counts": counts,
    }
