"""Strided convolutions whose input gradient XLA-CPU computes fast, inside kerasgan's JAX steps.

XLA differentiates a stride-s convolution with respect to its input as a
convolution of the gradient dilated by s ("base dilation"). XLA-CPU computes
those slowly: on DCGAN-64's discriminator, 2-3x the time of the forward
convolution, and the derivative of that input gradient with respect to the
kernel, which a gradient penalty needs (WGAN-GP), 20-25x slower again
(benchmarks/README.md).

The input gradient of a strided convolution is a transposed convolution, and
that is s*s stride-1 convolutions, one per output phase, interleaved by
depth-to-space (Shi et al. 2016, arXiv:1609.07009; the same re-indexing as
`kerasgan.layers.SubPixelConv2DTranspose`). `fast_convolutions()` gives
Keras's JAX `conv`, while it is active, a custom VJP for 2-D channels-last
strided convolutions: the forward pass and the kernel gradient are XLA's own,
the input gradient is the sub-pixel form. Its derivatives (the penalty's
second order) are those of stride-1 convolutions. The same linear maps, other
convolutions: `tests/test_backend_convolutions.py` checks values, gradients and
second-order gradients against Keras's op, and a `fit` with and without it.

It applies on the CPU only (not measured on GPUs). `ENABLED = False` turns
it off (kerasgan's JAX steps then use Keras's op).
"""

import functools

import jax
# Private: the module whose `conv` `keras.ops.conv` calls.
from keras.src.backend.jax import nn as keras_jax_nn

from kerasgan.fast_ops import enabled as switch
from kerasgan.fast_ops.convolutions import OpOverrides
from kerasgan.fast_ops.convolutions import strided_2d
from kerasgan.fast_ops.convolutions import strided_conv_input_gradient

# Read each time a kerasgan step is traced: False keeps Keras's own op.
ENABLED = True

_keras_conv = keras_jax_nn.conv
_DIMENSIONS = ("NHWC", "HWIO", "NHWC")


def enabled():
    """Whether kerasgan's steps use the faster forms here (on the CPU only; `ENABLED`)."""
    # Measured on XLA-CPU only; GPUs keep XLA's own gradients.
    return switch() and ENABLED and jax.default_backend() == "cpu"


def fast_convolutions():
    """Within this context, Keras's JAX `conv` takes the sub-pixel input gradient (on the CPU)."""
    return _overrides.scope(enabled())


def _conv(inputs, kernel, strides=1, padding="valid", data_format=None, dilation_rate=1):
    if _overrides.active():
        kernel = keras_jax_nn.convert_to_tensor(kernel)
        inputs = keras_jax_nn.convert_to_tensor(inputs, dtype=kernel.dtype)
        geometry = strided_2d(inputs, kernel, strides, padding, data_format, dilation_rate)
        if geometry is not None:
            return _strided_conv(inputs, kernel, *geometry)
    return _keras_conv(inputs, kernel, strides, padding, data_format, dilation_rate)


_overrides = OpOverrides(keras_jax_nn, conv=_conv)


def _plain(x, w, strides, pads):
    return jax.lax.conv_general_dilated(x, w, strides, pads, dimension_numbers=_DIMENSIONS)


@functools.partial(jax.custom_vjp, nondiff_argnums=(2, 3))
def _strided_conv(x, w, strides, pads):
    return _plain(x, w, strides, pads)


def _strided_conv_fwd(x, w, strides, pads):
    return _plain(x, w, strides, pads), (x, w)


def _strided_conv_bwd(strides, pads, residuals, g):
    x, w = residuals
    _, kernel_pullback = jax.vjp(lambda w: _plain(x, w, strides, pads), w)
    (dw,) = kernel_pullback(g)
    dx = strided_conv_input_gradient(g, w, x.shape, strides, pads)
    return dx.astype(x.dtype), dw


_strided_conv.defvjp(_strided_conv_fwd, _strided_conv_bwd)
