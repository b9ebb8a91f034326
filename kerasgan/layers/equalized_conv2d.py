"""A 2D convolution with an equalized learning rate (Karras et al., 2018,
"Progressive Growing of GANs for Improved Quality, Stability, and
Variation", section 4.1)."""

import math
import numbers

import keras
from keras import ops


def _kernel_size(kernel_size):
    if isinstance(kernel_size, numbers.Integral) and not isinstance(kernel_size, bool):
        kernel_size = (kernel_size, kernel_size)
    try:
        height, width = kernel_size
    except (TypeError, ValueError):
        height = width = None
    for k in (height, width):
        if isinstance(k, bool) or not isinstance(k, numbers.Integral) or k < 1:
            raise ValueError(
                "EqualizedConv2D: kernel_size must be a positive int or (height, width); "
                f"got {kernel_size!r}."
            )
    return int(height), int(width)


@keras.saving.register_keras_serializable(package="kerasgan")
class EqualizedConv2D(keras.layers.Layer):
    """A convolution whose kernel is scaled at run time by He's constant.

    Stride 1, "same" padding, `(batch, H, W, C)` inputs and outputs. The
    stored kernel, of shape `(kernel_h, kernel_w, C, filters)`, is drawn
    from N(0, 1) and multiplied, at every call, by `scale = gain /
    sqrt(fan_in)` with `fan_in = kernel_h * kernel_w * C`: the effective
    kernel has He's initial standard deviation, while the gradient of the
    stored one is scaled by `scale` too, which makes adaptive optimizers
    (Adam) take steps of the same relative size in every layer. The bias
    starts at zero and is not scaled. No activation (ProGAN follows it
    with `LeakyReLU(0.2)`).

    Args:
        filters: the number of output channels.
        kernel_size: an int or `(kernel_h, kernel_w)`.
        gain: the numerator of the scale (`sqrt(2)`; ProGAN's toRGB
            convolutions use 1).
        use_bias: add a bias.

    Attributes:
        scale: `gain / sqrt(fan_in)`, a Python float set by `build`.

    Example:

    ```python
    layer = EqualizedConv2D(32, 3)
    y = layer(keras.random.normal((2, 8, 8, 16)))  # (2, 8, 8, 32); scale sqrt(2 / 144)
    ```
    """

    def __init__(self, filters, kernel_size, gain=math.sqrt(2.0), use_bias=True, **kwargs):
        super().__init__(**kwargs)
        if isinstance(filters, bool) or not isinstance(filters, numbers.Integral) or filters < 1:
            raise ValueError(f"EqualizedConv2D needs an integer filters >= 1; got {filters!r}.")
        if float(gain) <= 0:
            raise ValueError(f"EqualizedConv2D needs gain > 0; got {gain}.")
        self.filters = int(filters)
        self.kernel_size = _kernel_size(kernel_size)
        self.gain = float(gain)
        self.use_bias = bool(use_bias)
        self.scale = None

    def build(self, input_shape):
        if len(input_shape) != 4 or input_shape[-1] is None:
            raise ValueError(
                "EqualizedConv2D expects (batch, height, width, channels) inputs with a known "
                f"number of channels; got shape {tuple(input_shape)}."
            )
        channels = int(input_shape[-1])
        fan_in = self.kernel_size[0] * self.kernel_size[1] * channels
        self.scale = self.gain / math.sqrt(fan_in)
        self.kernel = self.add_weight(
            shape=(*self.kernel_size, channels, self.filters),
            initializer=keras.initializers.RandomNormal(mean=0.0, stddev=1.0),
            name="kernel",
        )
        self.bias = (
            self.add_weight(shape=(self.filters,), initializer="zeros", name="bias")
            if self.use_bias
            else None
        )

    def call(self, inputs):
        kernel = ops.cast(self.kernel, self.compute_dtype) * self.scale
        outputs = ops.conv(
            ops.cast(inputs, self.compute_dtype),
            kernel,
            strides=1,
            padding="same",
            data_format="channels_last",
        )
        if self.bias is not None:
            outputs = outputs + ops.cast(self.bias, self.compute_dtype)
        return outputs

    def compute_output_shape(self, input_shape):
        return (*input_shape[:-1], self.filters)

    def get_config(self):
        return {
            **super().get_config(),
            "filters": self.filters,
            "kernel_size": self.kernel_size,
            "gain": self.gain,
            "use_bias": self.use_bias,
        }
