"""Batch normalization whose per-channel sums are dot products (kerasgan's JAX steps on the CPU).

A batch-norm layer sums over every axis but the channels: twice for its
moments, and, in the backward pass, once for each per-channel vector it
broadcasts (the mean, gamma / sigma, the shift). XLA-CPU rewrites such large
reductions into a `reduce-window` over blocks of 32 rows and a small reduce
(its tree-reduction pass) and runs those 2-4x slower than the same sums
written as a product with a vector of ones, which go to its dot kernels. On
DCGAN-64 the 52 batch-norm reductions of one JAX iteration took about 190
ms of 1.5-1.9 s (`jax.profiler`, 2-core EPYC).

Here a channels-last input is a (rows, channels) matrix; sums over its rows
are `ones @ x` (`sum_rows`), and per-channel vectors are repeated over the
rows by a `repeat_rows(v, n)` that the backend gives a custom gradient equal
to `sum_rows` (`jax_batch_normalization.py`), so that the backward pass sums
with dots too. The moments are the two-pass ones of `jnp.var`; the
normalization is Keras's `x * inv + (offset - mean * inv)`. Only the order of
the additions changes. Written in `keras.ops`, so that the tests check it on
every backend. TensorFlow's XLA gained nothing from it on DCGAN-64 (0.96x,
within noise, in one A/B run), so its steps keep Keras's ops.
"""

import keras
from keras import ops


def sum_rows(rows):
    """rows (n, channels) -> the sum of its rows, as a dot with a vector of ones."""
    return ops.matmul(ops.ones((1, rows.shape[0]), dtype=rows.dtype), rows)[0]


def plain_repeat_rows(v, n):
    """v (channels,) as n rows, with the backend's own gradient (a reduction)."""
    return ops.broadcast_to(v[None, :], (n, v.shape[0]))


def channels_last(x, axes):
    """Whether summing x over `axes` is summing a float32 (rows, channels) matrix over its rows."""
    if x.ndim is None or x.ndim < 2 or None in tuple(x.shape):
        return False
    if keras.backend.standardize_dtype(x.dtype) != "float32":
        return False
    try:
        axes = sorted(int(a) % x.ndim for a in (axes if isinstance(axes, (list, tuple)) else (axes,)))
    except TypeError:
        return False
    return axes == list(range(x.ndim - 1))


def moments(x, keepdims, repeat_rows):
    """Mean and variance of x over all axes but the last (x channels-last, float32)."""
    channels = x.shape[-1]
    rows = ops.reshape(x, (-1, channels))
    n = rows.shape[0]
    mean = sum_rows(rows) / n
    centred = rows - repeat_rows(mean, n)
    variance = sum_rows(centred * centred) / n
    if keepdims:
        shape = (1,) * (x.ndim - 1) + (channels,)
        mean, variance = ops.reshape(mean, shape), ops.reshape(variance, shape)
    return mean, variance


def batch_normalization(x, mean, variance, offset, scale, epsilon, repeat_rows):
    """Keras's `batch_normalization` of a channels-last float32 x over its last axis."""
    channels = x.shape[-1]
    rows = ops.reshape(x, (-1, channels))
    n = rows.shape[0]

    def vector(v):
        return ops.reshape(ops.cast(v, "float32"), (channels,))

    inv = ops.rsqrt(vector(variance) + epsilon)
    if scale is not None:
        inv = inv * vector(scale)
    shift = -vector(mean) * inv
    if offset is not None:
        shift = shift + vector(offset)
    return ops.reshape(rows * repeat_rows(inv, n) + repeat_rows(shift, n), ops.shape(x))
