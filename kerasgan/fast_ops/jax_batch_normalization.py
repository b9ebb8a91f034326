"""Batch normalization that sums with dot products, inside kerasgan's JAX steps.

XLA-CPU computes batch norm's per-channel sums slowly (a tree of
`reduce-window`s); `fast_batch_normalization()` gives Keras's JAX `moments`
and `batch_normalization`, while it is active, the form of
`batch_normalization.py` in which every such sum, forward and backward, is
a product with a vector of ones. `_repeat_rows` is its custom VJP.
`tests/test_backend_batch_normalization.py` checks values, first and second
derivatives against Keras's ops, and a `fit` with and without it.

It applies on the CPU only (not measured on GPUs), to float32 channels-last
tensors normalized over their last axis (Keras's `BatchNormalization` casts
to float32 under mixed precision); anything else keeps Keras's ops.
`ENABLED = False` turns it off.
"""

import functools

import jax
# Private: the module whose functions `keras.ops.moments` and
# `keras.ops.batch_normalization` call.
from keras.src.backend.jax import nn as keras_jax_nn

from kerasgan.fast_ops import batch_normalization as dot_sums
from kerasgan.fast_ops import enabled as switch
from kerasgan.fast_ops.convolutions import OpOverrides

# Read each time a kerasgan step is traced: False keeps Keras's own ops.
ENABLED = True

_keras_moments = keras_jax_nn.moments
_keras_batch_normalization = keras_jax_nn.batch_normalization


def enabled():
    """Whether kerasgan's steps sum batch norm's statistics with dots here (on the CPU only; `ENABLED`)."""
    return switch() and ENABLED and jax.default_backend() == "cpu"


def fast_batch_normalization():
    """Within this context, Keras's JAX `moments` / `batch_normalization` sum with dots (on the CPU)."""
    return _overrides.scope(enabled())


@functools.partial(jax.custom_vjp, nondiff_argnums=(1,))
def _repeat_rows(v, n):
    return dot_sums.plain_repeat_rows(v, n)


def _repeat_rows_fwd(v, n):
    return _repeat_rows(v, n), None


def _repeat_rows_bwd(n, _, g):
    return (dot_sums.sum_rows(g),)


_repeat_rows.defvjp(_repeat_rows_fwd, _repeat_rows_bwd)


def _moments(x, axes, keepdims=False, synchronized=False):
    if _overrides.active() and not synchronized:
        x = keras_jax_nn.convert_to_tensor(x)
        if dot_sums.channels_last(x, axes):
            return dot_sums.moments(x, keepdims, _repeat_rows)
    return _keras_moments(x, axes, keepdims, synchronized)


def _batch_normalization(x, mean, variance, axis, offset=None, scale=None, epsilon=1e-3):
    if _overrides.active():
        x = keras_jax_nn.convert_to_tensor(x)
        if dot_sums.channels_last(x, tuple(range(x.ndim - 1))) and axis % x.ndim == x.ndim - 1:
            return dot_sums.batch_normalization(x, mean, variance, offset, scale, epsilon, _repeat_rows)
    return _keras_batch_normalization(x, mean, variance, axis, offset, scale, epsilon)


_overrides = OpOverrides(keras_jax_nn, moments=_moments, batch_normalization=_batch_normalization)
