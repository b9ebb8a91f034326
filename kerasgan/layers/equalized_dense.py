"""A dense layer with an equalized learning rate (Karras et al., 2018,
"Progressive Growing of GANs for Improved Quality, Stability, and
Variation", section 4.1)."""

import math
import numbers

import keras
from keras import ops


@keras.saving.register_keras_serializable(package="kerasgan")
class EqualizedDense(keras.layers.Layer):
    """A dense layer whose kernel is scaled at run time by He's constant.

    The stored kernel is drawn from N(0, 1) and multiplied, at every call,
    by `scale = gain / sqrt(fan_in)` (`fan_in`: the number of input
    features): `y = x @ (kernel * scale) + bias`. The effective weights
    have He's initial standard deviation, while the gradient of the stored
    ones is scaled by `scale` too, which makes adaptive optimizers (Adam)
    take steps of the same relative size in every layer. The bias starts at
    zero and is not scaled. No activation (ProGAN follows it with
    `LeakyReLU(0.2)`).

    Inputs `(batch, ..., features)`, outputs `(batch, ..., units)`.

    Args:
        units: the number of output features.
        gain: the numerator of the scale (`sqrt(2)`; ProGAN uses 1 for
            its output layers and `sqrt(2) / 4` for the generator's first
            dense layer).
        use_bias: add a bias.

    Attributes:
        scale: `gain / sqrt(fan_in)`, a Python float set by `build`.

    Example:

    ```python
    layer = EqualizedDense(64)
    y = layer(keras.random.normal((2, 512)))  # (2, 64); layer.scale == sqrt(2 / 512)
    ```
    """

    def __init__(self, units, gain=math.sqrt(2.0), use_bias=True, **kwargs):
        super().__init__(**kwargs)
        if isinstance(units, bool) or not isinstance(units, numbers.Integral) or units < 1:
            raise ValueError(f"EqualizedDense needs an integer units >= 1; got {units!r}.")
        if float(gain) <= 0:
            raise ValueError(f"EqualizedDense needs gain > 0; got {gain}.")
        self.units = int(units)
        self.gain = float(gain)
        self.use_bias = bool(use_bias)
        self.scale = None

    def build(self, input_shape):
        if len(input_shape) < 2 or input_shape[-1] is None:
            raise ValueError(
                "EqualizedDense expects (batch, ..., features) inputs with a known number of "
                f"features; got shape {tuple(input_shape)}."
            )
        fan_in = int(input_shape[-1])
        self.scale = self.gain / math.sqrt(fan_in)
        self.kernel = self.add_weight(
            shape=(fan_in, self.units),
            initializer=keras.initializers.RandomNormal(mean=0.0, stddev=1.0),
            name="kernel",
        )
        self.bias = (
            self.add_weight(shape=(self.units,), initializer="zeros", name="bias")
            if self.use_bias
            else None
        )

    def call(self, inputs):
        kernel = ops.cast(self.kernel, self.compute_dtype) * self.scale
        outputs = ops.matmul(ops.cast(inputs, self.compute_dtype), kernel)
        if self.bias is not None:
            outputs = outputs + ops.cast(self.bias, self.compute_dtype)
        return outputs

    def compute_output_shape(self, input_shape):
        return (*input_shape[:-1], self.units)

    def get_config(self):
        return {
            **super().get_config(),
            "units": self.units,
            "gain": self.gain,
            "use_bias": self.use_bias,
        }
