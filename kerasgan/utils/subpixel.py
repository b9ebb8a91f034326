"""Index maps of the sub-pixel form of a strided transposed convolution,
shared by `kerasgan.layers.SubPixelConv2DTranspose` and `kerasgan.fast_ops`."""

import numpy as np


def pair(value, name):
    if isinstance(value, int):
        return (int(value), int(value))
    value = tuple(int(v) for v in value)
    if len(value) != 2:
        raise ValueError(f"`{name}` must be an int or a pair, got {value!r}.")
    return value


def subpixel_gather_indices(kernel_size, strides):
    """Index array for re-indexing a transposed kernel into sub-pixel form.

    Returns an int32 array of shape ``(Th, Tw, sh, sw)`` whose entries index
    the ``Kh*Kw`` spatial positions of the transposed kernel flattened in
    row-major order; the value ``Kh*Kw`` means "this tap does not exist for
    this phase" and points at an appended zero row.
    """
    (kh, kw), (sh, sw) = pair(kernel_size, "kernel_size"), pair(
        strides, "strides"
    )
    th, tw = -(-kh // sh), -(-kw // sw)
    # Per axis: tap t of phase r reads kernel index r + (T-1-t)*s.
    ih = np.arange(sh)[None, :] + (th - 1 - np.arange(th))[:, None] * sh
    iw = np.arange(sw)[None, :] + (tw - 1 - np.arange(tw))[:, None] * sw
    ih = ih[:, None, :, None]  # (Th, 1, sh, 1)
    iw = iw[None, :, None, :]  # (1, Tw, 1, sw)
    valid = (ih < kh) & (iw < kw)
    idx = np.where(valid, ih * kw + iw, kh * kw)
    return idx.astype("int32")
