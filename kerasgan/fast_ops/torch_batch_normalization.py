"""Batch normalization in torch's fused kernels, inside kerasgan's torch steps.

Keras's torch `moments` reduces x and x^2 over the leading axes of a
channels-last tensor (a slow reduction on the CPU), and its
`batch_normalization` takes every activation through three more passes,
each differentiated op by op: Keras's `BatchNormalization` took 85 ms
(forward and backward, training) on a (64, 32, 32, 64) batch where torch's
fused `batch_norm` takes 11-18 ms (2-core EPYC); the forms below made a
whole DCGAN-64 iteration 1.14x faster. While `fast_batch_normalization()`
is active (on tensors with at least two rows, as torch's kernels ask):

- `moments` of a float32 CPU tensor over every axis but the last (the channels)
  computes the mean and the biased variance in one pass of torch's
  batch-norm statistics kernel (`torch.batch_norm_update_stats`), in an
  autograd function whose backward pass is the moments' derivative
  (differentiable again, for WGAN-GP's double backward);
- `batch_normalization(x, mean, variance, ...)` whose `mean` and `variance`
  are those moments of this same `x` (what Keras's `BatchNormalization` does
  in training) is `torch.nn.functional.batch_norm` in training mode: one
  fused kernel forward and backward, which computes the same statistics
  inside and differentiates through them, as autograd does through Keras's
  ops. With other statistics (the moving ones, at inference) it keeps
  Keras's op.

The same functions: only the rounding differs (torch computes the variance
about the mean, where Keras's torch backend takes E[x^2] - E[x]^2).
`tests/test_backend_batch_normalization.py` checks values, first and second
derivatives against Keras's ops, which calls take the fused form, and a
`fit` with and without it. `ENABLED = False` turns it off.

Example:

```python
with kerasgan.fast_ops.torch_batch_normalization.fast_batch_normalization():
    y = keras.layers.BatchNormalization()(x, training=True)
```
"""

import weakref

import torch
import torch.nn.functional as F
# Private: the module whose functions `keras.ops.moments` and
# `keras.ops.batch_normalization` call.
from keras.src.backend.torch import nn as keras_torch_nn
from keras.src.backend.torch.core import convert_to_tensor

from kerasgan.fast_ops.batch_normalization import channels_last
from kerasgan.fast_ops import enabled as switch
from kerasgan.fast_ops.convolutions import OpOverrides

# Read each time a kerasgan step starts: False keeps Keras's own ops.
ENABLED = True

_keras_moments = keras_torch_nn.moments
_keras_batch_normalization = keras_torch_nn.batch_normalization
# Attribute of the statistics `_moments` returns: a weak reference to their x.
_MOMENTS_OF = "_kerasgan_moments_of"


def enabled():
    """Whether kerasgan's steps use torch's batch-norm kernels (for CPU tensors; `ENABLED`)."""
    return switch() and ENABLED


def fast_batch_normalization():
    """Within this context, Keras's torch `moments` / `batch_normalization` use torch's batch-norm kernels."""
    return _overrides.scope(enabled())


class _RowMoments(torch.autograd.Function):
    """Mean and biased variance of the rows of an (n, channels) matrix, in one pass."""

    @staticmethod
    def forward(ctx, rows):
        mean, variance = torch.batch_norm_update_stats(rows, None, None, 0.0)
        ctx.set_materialize_grads(False)
        ctx.save_for_backward(rows, mean)
        return mean, variance

    @staticmethod
    def backward(ctx, grad_mean, grad_variance):
        # d mean / dx = 1/n; d variance / dx = 2 (x - mean) / n.
        rows, mean = ctx.saved_tensors
        n = rows.shape[0]
        grad = None
        if grad_variance is not None:
            grad = (rows - mean) * (grad_variance * (2.0 / n))
        if grad_mean is not None:
            grad = (grad_mean / n).expand_as(rows) if grad is None else grad + grad_mean / n
        return grad


def _eligible(x, axes):
    """Whether x is a float32 CPU tensor of two or more rows, reduced over all axes but the channels."""
    return (x.device.type == "cpu" and channels_last(x, axes)
            and x.numel() >= 2 * x.shape[-1] > 0)


def _moments_of(statistic):
    ref = getattr(statistic, _MOMENTS_OF, None)
    return ref() if ref is not None else None


def _moments(x, axes, keepdims=False, synchronized=False):
    if _overrides.active() and not synchronized:
        x = convert_to_tensor(x)
        # On the CPU, where it was measured and where torch's statistics
        # kernel returns the biased variance.
        if _eligible(x, axes):
            channels = x.shape[-1]
            mean, variance = _RowMoments.apply(x.reshape(-1, channels))
            if keepdims:
                shape = (1,) * (x.ndim - 1) + (channels,)
                mean, variance = mean.reshape(shape), variance.reshape(shape)
            for statistic in (mean, variance):
                setattr(statistic, _MOMENTS_OF, weakref.ref(x))
            return mean, variance
    return _keras_moments(x, axes, keepdims, synchronized)


def _per_channel(v, x):
    """v if it is a (channels,) tensor of x's dtype, else None."""
    v = convert_to_tensor(v)
    return v if tuple(v.shape) == (x.shape[-1],) and v.dtype == x.dtype else None


def _batch_normalization(x, mean, variance, axis, offset=None, scale=None, epsilon=1e-3):
    if _overrides.active():
        x = convert_to_tensor(x)
        if (_moments_of(mean) is x and _moments_of(variance) is x
                and axis % x.ndim == x.ndim - 1):  # x was _eligible
            weight, bias = (None if v is None else _per_channel(v, x) for v in (scale, offset))
            if (weight is None) == (scale is None) and (bias is None) == (offset is None):
                return _fused_batch_normalization(x, weight, bias, epsilon)
    return _keras_batch_normalization(x, mean, variance, axis, offset, scale, epsilon)


def _fused_batch_normalization(x, weight, bias, epsilon):
    """x normalized by its own moments over all axes but the last, in torch's fused kernel."""
    rows = x.reshape(-1, x.shape[-1])
    return F.batch_norm(rows, None, None, weight, bias, training=True, eps=epsilon).reshape(x.shape)


_overrides = OpOverrides(keras_torch_nn, moments=_moments, batch_normalization=_batch_normalization)
