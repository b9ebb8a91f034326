"""Pixelwise feature vector normalization (Karras et al., 2018, "Progressive
Growing of GANs for Improved Quality, Stability, and Variation", section
4.2)."""

import keras
from keras import ops


@keras.saving.register_keras_serializable(package="kerasgan")
class PixelNormalization(keras.layers.Layer):
    """Normalizes each feature vector to unit average square, per pixel.

    `y = x / sqrt(mean(x ** 2) + epsilon)`, the mean taken over the last
    (channel) axis of each sample and position: ProGAN's generator applies
    it after every convolution (and to its latent input, of shape
    `(batch, features)`). Works on any channels-last input of rank >= 2:
    `(batch, features)` or `(batch, H, W, C)`. No trainable weights.

    Inputs of lower precision than float32 (float16, bfloat16) are
    normalized in float32 and cast back, so that the squares cannot
    overflow.

    Args:
        epsilon: added to the mean square (the paper's 1e-8).

    Example:

    ```python
    layer = PixelNormalization()
    y = layer(keras.random.normal((2, 8, 8, 16)))  # (2, 8, 8, 16)
    ```
    """

    def __init__(self, epsilon=1e-8, **kwargs):
        super().__init__(**kwargs)
        if float(epsilon) <= 0:
            raise ValueError(f"PixelNormalization needs epsilon > 0; got {epsilon}.")
        self.epsilon = float(epsilon)

    def build(self, input_shape):
        if len(input_shape) < 2:
            raise ValueError(
                "PixelNormalization expects (batch, ..., channels) inputs of rank >= 2; "
                f"got shape {tuple(input_shape)}."
            )

    def call(self, inputs):
        dtype = keras.backend.standardize_dtype(inputs.dtype)
        x = ops.cast(inputs, "float32") if dtype in ("float16", "bfloat16") else inputs
        mean_square = ops.mean(ops.square(x), axis=-1, keepdims=True)
        outputs = x * ops.rsqrt(mean_square + ops.cast(self.epsilon, x.dtype))
        return ops.cast(outputs, inputs.dtype)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        return {**super().get_config(), "epsilon": self.epsilon}
