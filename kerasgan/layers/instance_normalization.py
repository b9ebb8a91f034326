"""Instance normalization (Ulyanov et al., 2016, "Instance Normalization: The
Missing Ingredient for Fast Stylization", eq. 2)."""

import keras
from keras import ops


@keras.saving.register_keras_serializable(package="kerasgan")
class InstanceNormalization(keras.layers.Layer):
    """Normalizes each sample's channels over their spatial positions.

    For channels-last inputs `(batch, H, W, C)` (any rank >= 3: the axes
    between batch and channels are reduced), `y = (x - mean) / sqrt(var +
    epsilon) * gamma + beta` with the mean and the biased variance of each
    (sample, channel) over H and W, as `torch.nn.InstanceNorm2d`. Training
    and inference compute the same thing (no running statistics).

    CycleGAN's reference code uses `InstanceNorm2d(affine=False)`
    (`center=False, scale=False`); StarGAN's uses `affine=True` (the
    default here).

    Args:
        epsilon: added to the variance.
        center, scale: learn a per-channel beta / gamma.
        beta_initializer, gamma_initializer: their initializers.

    Example:

    ```python
    layer = InstanceNormalization(center=False, scale=False)
    y = layer(keras.random.normal((2, 16, 16, 8)))  # (2, 16, 16, 8)
    ```
    """

    def __init__(
        self,
        epsilon=1e-5,
        center=True,
        scale=True,
        beta_initializer="zeros",
        gamma_initializer="ones",
        **kwargs,
    ):
        super().__init__(**kwargs)
        if float(epsilon) <= 0:
            raise ValueError(f"InstanceNormalization needs epsilon > 0; got {epsilon}.")
        self.epsilon = float(epsilon)
        self.center = bool(center)
        self.scale = bool(scale)
        self.beta_initializer = keras.initializers.get(beta_initializer)
        self.gamma_initializer = keras.initializers.get(gamma_initializer)

    def build(self, input_shape):
        if len(input_shape) < 3 or input_shape[-1] is None:
            raise ValueError(
                "InstanceNormalization expects (batch, ..., channels) inputs with spatial axes "
                f"and a known number of channels; got shape {tuple(input_shape)}."
            )
        channels = (input_shape[-1],)
        self._axes = tuple(range(1, len(input_shape) - 1))
        self.gamma = (
            self.add_weight(shape=channels, initializer=self.gamma_initializer, name="gamma")
            if self.scale
            else None
        )
        self.beta = (
            self.add_weight(shape=channels, initializer=self.beta_initializer, name="beta")
            if self.center
            else None
        )

    def call(self, inputs):
        # Biased variance (divides by H·W), as torch.nn.InstanceNorm2d.
        mean, variance = ops.moments(inputs, axes=self._axes, keepdims=True)
        outputs = (inputs - mean) * ops.rsqrt(variance + ops.cast(self.epsilon, variance.dtype))
        if self.gamma is not None:
            outputs = outputs * ops.cast(self.gamma, outputs.dtype)
        if self.beta is not None:
            outputs = outputs + ops.cast(self.beta, outputs.dtype)
        return ops.cast(outputs, inputs.dtype)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        return {
            **super().get_config(),
            "epsilon": self.epsilon,
            "center": self.center,
            "scale": self.scale,
            "beta_initializer": keras.initializers.serialize(self.beta_initializer),
            "gamma_initializer": keras.initializers.serialize(self.gamma_initializer),
        }
