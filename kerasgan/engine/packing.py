"""Packing (PacGAN, Lin et al. 2018): the discriminator judges m samples at once.

The m samples of a pack are concatenated along the last (feature or channel)
axis, as in PacGAN's released code (§3: "the discriminator … maps m
concatenated samples to a single label"): a batch of n samples of shape
`(..., c)` becomes n / m packs of shape `(..., m·c)`. A pack is all real or
all generated; sample j of pack i is sample `i·m + j` of the batch.
"""

from keras import ops

from kerasgan.engine import validation


def check_packing(packing):
    """`packing` as the pack size m (1 when `None`: no packing)."""
    return 1 if packing is None else validation.positive_int(packing, "packing")


def packed_shape(shape, packing):
    """The shape of one pack of `packing` samples of `shape` (the input shape
    a packed discriminator is built for)."""
    shape = tuple(int(d) for d in shape)
    return shape[:-1] + (shape[-1] * check_packing(packing),)


def unpacked_shape(shape, packing, owner="The discriminator"):
    """The sample shape whose packs have `shape`; a clear error when the last
    axis is not a multiple of `packing`."""
    shape = tuple(shape)
    packing = check_packing(packing)
    if packing == 1:
        return shape
    if shape[-1] is None or shape[-1] % packing:
        raise ValueError(
            f"{owner} takes inputs of shape {shape}; with packing={packing} its last "
            f"axis must hold {packing} samples' features (a multiple of {packing}). "
            "Build it for the packed shape, e.g. with "
            "kerasgan.engine.packing.packed_shape(data_shape, packing)."
        )
    return shape[:-1] + (shape[-1] // packing,)


def pack_samples(samples, packing):
    """Concatenates each run of `packing` consecutive samples along the last axis.

    A batch of n samples gives n // m packs; the n mod m samples left over
    (the end of an epoch whose size is not a multiple of m) are dropped.

    Example:

    ```python
    x = np.arange(12, dtype="float32").reshape(6, 2)
    pack_samples(x, 3)   # [[0, 1, 2, 3, 4, 5], [6, 7, 8, 9, 10, 11]]
    ```
    """
    packing = check_packing(packing)
    if packing == 1:
        return samples
    n = ops.shape(samples)[0]
    if isinstance(n, int) and n < packing:
        raise ValueError(
            f"A batch of {n} samples cannot make one pack of packing={packing} "
            f"samples; use a batch size that is a multiple of {packing}."
        )
    sample_shape = tuple(ops.shape(samples)[1:])
    samples = samples[: (n // packing) * packing]
    # (n/m, m, ..., c) → (n/m, ..., m, c) → (n/m, ..., m·c).
    packs = ops.reshape(samples, (-1, packing) + sample_shape)
    packs = ops.moveaxis(packs, 1, -2)
    return ops.reshape(packs, (-1,) + sample_shape[:-1] + (packing * sample_shape[-1],))
