"""Strided convolutions with a sub-pixel input gradient, inside kerasgan's TensorFlow steps.

TensorFlow differentiates a stride-s convolution with respect to its input
as `Conv2DBackpropInput`, which XLA compiles to a convolution of the gradient
dilated by s: slow on XLA-CPU, as under JAX (`jax_convolutions.py`,
benchmarks/README.md). `fast_convolutions()` gives Keras's TensorFlow `conv`,
while it is active, a custom gradient for 2-D channels-last strided
convolutions: the forward pass and the kernel gradient (`Conv2DBackpropFilter`)
are TensorFlow's own, the input gradient is
`convolutions.strided_conv_input_gradient` (stride-1 convolutions and
depth-to-space; differentiable again, for gradient penalties). The same
linear maps: `tests/test_backend_convolutions.py` checks values,
gradients and the penalty's second order against Keras's op, and a `fit`.

It applies where TensorFlow sees no GPU (not measured on GPUs). `ENABLED =
False` turns it off (kerasgan's TensorFlow steps then use Keras's op).
"""

import tensorflow as tf
# Private: the module whose `conv` `keras.ops.conv` calls.
from keras.src.backend.tensorflow import nn as keras_tf_nn

from kerasgan.fast_ops import enabled as switch
from kerasgan.fast_ops.convolutions import OpOverrides
from kerasgan.fast_ops.convolutions import strided_2d
from kerasgan.fast_ops.convolutions import strided_conv_input_gradient

# Read each time a kerasgan step is traced: False keeps Keras's own op.
ENABLED = True

_keras_conv = keras_tf_nn.conv


def enabled():
    """Whether kerasgan's steps use the faster forms here (where TensorFlow sees no GPU; `ENABLED`)."""
    # Measured on XLA-CPU only; with a GPU, TensorFlow's own gradients.
    return switch() and ENABLED and not tf.config.list_logical_devices("GPU")


def fast_convolutions():
    """Within this context, Keras's TensorFlow `conv` takes the sub-pixel input gradient (on the CPU)."""
    return _overrides.scope(enabled())


def _conv(inputs, kernel, strides=1, padding="valid", data_format=None, dilation_rate=1):
    if _overrides.active():
        kernel = tf.convert_to_tensor(kernel)
        inputs = tf.convert_to_tensor(inputs, dtype=kernel.dtype)
        geometry = strided_2d(inputs, kernel, strides, padding, data_format, dilation_rate)
        if geometry is not None:
            return _strided_conv(inputs, kernel, *geometry)
    return _keras_conv(inputs, kernel, strides, padding, data_format, dilation_rate)


_overrides = OpOverrides(keras_tf_nn, conv=_conv)


def _explicit(strides, pads):
    return [1, *strides, 1], [[0, 0], list(pads[0]), list(pads[1]), [0, 0]]


def _strided_conv(x, w, strides, pads):
    tf_strides, tf_pads = _explicit(strides, pads)

    @tf.custom_gradient
    def conv(x, w):
        def grad(g):
            dx = strided_conv_input_gradient(g, w, x.shape, strides, pads)
            dw = tf.compat.v1.nn.conv2d_backprop_filter(
                x, tf.shape(w), g, strides=tf_strides, padding=tf_pads
            )
            return tf.cast(dx, x.dtype), dw

        return tf.nn.conv2d(x, w, strides=tf_strides, padding=tf_pads), grad

    return conv(x, w)
