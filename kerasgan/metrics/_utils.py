"""Input checks and blocked distance helpers shared by the metrics."""

import numpy as np

#: Default number of rows per block of a pairwise distance matrix: a block
#: of `DEFAULT_BATCH_SIZE x n` float64 values is what is held in memory.
DEFAULT_BATCH_SIZE = 1024


def to_numpy(x):
    """`np.asarray(x)`, falling back to `keras.ops.convert_to_numpy` for
    tensors numpy cannot read directly (e.g. on a GPU or needing a grad)."""
    if isinstance(x, np.ndarray):
        return x
    try:
        return np.asarray(x)
    except (TypeError, RuntimeError):
        pass
    if hasattr(x, "detach") and hasattr(x, "cpu"):  # a torch tensor
        return x.detach().cpu().numpy()
    import keras

    return np.asarray(keras.ops.convert_to_numpy(x))


def as_float64(x, name, check_finite=True):
    """Converts `x` to a float64 array and rejects NaN/inf values."""
    array = to_numpy(x)
    if array.dtype == object:
        raise ValueError(f"`{name}` must be a numeric array; got dtype object.")
    try:
        array = array.astype(np.float64, copy=False)
    except (TypeError, ValueError) as e:
        raise ValueError(f"`{name}` must be numeric; got dtype {array.dtype}.") from e
    if check_finite:
        bad = array.size - int(np.count_nonzero(np.isfinite(array)))
        if bad:
            raise ValueError(
                f"`{name}` contains {bad} non-finite value(s) (NaN or inf) out of "
                f"{array.size}; a diverged generator is a common cause."
            )
    return array


def as_rows(x, name, min_rows=1):
    """Returns `x` as a finite float64 `(n, d)` array (trailing axes flattened)."""
    array = as_float64(x, name)
    if array.ndim < 2:
        raise ValueError(
            f"`{name}` must have shape (n, d) (one row per sample), or (n, ...) "
            f"to be flattened per sample; got shape {array.shape}."
        )
    array = array.reshape(len(array), -1)
    if len(array) < min_rows:
        raise ValueError(
            f"`{name}` needs at least {min_rows} sample(s); got {len(array)}."
        )
    if array.shape[1] == 0:
        raise ValueError(f"`{name}` has no features: shape {array.shape}.")
    return array


def check_same_dim(a, b, name_a, name_b):
    if a.shape[1] != b.shape[1]:
        raise ValueError(
            f"`{name_a}` and `{name_b}` have different feature dimensions: "
            f"{a.shape[1]} vs {b.shape[1]} (shapes {a.shape} and {b.shape})."
        )


def check_batch_size(batch_size):
    if int(batch_size) != batch_size or batch_size < 1:
        raise ValueError(f"`batch_size` must be a positive integer; got {batch_size!r}.")
    return int(batch_size)


def squared_norms(x):
    return np.einsum("ij,ij->i", x, x)


def squared_distances(a, b, a_sq=None, b_sq=None):
    """`||a_i - b_j||^2` as an `(len(a), len(b))` matrix, clipped at 0."""
    a_sq = squared_norms(a) if a_sq is None else a_sq
    b_sq = squared_norms(b) if b_sq is None else b_sq
    d = a_sq[:, None] + b_sq[None, :] - 2.0 * (a @ b.T)
    return np.maximum(d, 0.0, out=d)


def row_blocks(n, batch_size):
    """Yields `slice`s covering `range(n)` in blocks of `batch_size` rows."""
    for start in range(0, n, batch_size):
        yield slice(start, min(start + batch_size, n))
