"""Random Fourier features (Rahimi & Recht 2007; Tancik et al. 2020)."""

import math
import numbers

import keras
from keras import ops


@keras.saving.register_keras_serializable(package="kerasgan")
class RandomFourierFeatures(keras.layers.Layer):
    """Maps x to [sin(x·B), cos(x·B)] with a fixed random matrix B.

    B has shape `(input_dim, features)` and entries drawn from N(0, scale²)
    once, when the layer is built; it is not trained, and `.keras` files
    save it. A network on these features can fit functions that vary on a
    length scale of about 1/scale of its inputs, which a ReLU network on
    the raw coordinates of low-dimensional data learns slowly (Tancik et
    al. 2020, "Fourier Features Let Networks Learn High Frequency
    Functions in Low Dimensional Domains", §4). Output shape
    `(..., 2 * features)`. The layer runs in float32 unless given another
    `dtype`, under a mixed precision policy too (16-bit phases would be
    too coarse); the next layer casts its output to its own dtype.

    Example:

    ```python
    layer = RandomFourierFeatures(features=256, scale=10.0, seed=0)
    y = layer(keras.random.normal((8, 2)))  # (8, 512)
    ```

    Args:
        features: columns of B (the output has twice as many).
        scale: the standard deviation of B's entries.
        seed: seeds B's draw (None: Keras' global seed).
    """

    def __init__(self, features, scale=1.0, seed=None, **kwargs):
        # The phases reach about scale·|x|: float32 under a mixed precision
        # policy too (16-bit inputs or phases would be off by ~0.1).
        kwargs.setdefault("dtype", "float32")
        super().__init__(**kwargs)
        if isinstance(features, bool) or not isinstance(features, numbers.Integral) or features < 1:
            raise ValueError(f"RandomFourierFeatures needs features, a whole number >= 1; got {features!r}.")
        if isinstance(scale, bool) or not isinstance(scale, numbers.Real) or not 0 < scale < math.inf:
            raise ValueError(f"RandomFourierFeatures needs scale, a finite number > 0; got {scale!r}.")
        if seed is not None and (isinstance(seed, bool) or not isinstance(seed, numbers.Integral)):
            raise ValueError(f"RandomFourierFeatures needs seed, a whole number or None; got {seed!r}.")
        self.features = int(features)
        self.scale = float(scale)
        self.seed = None if seed is None else int(seed)

    def build(self, input_shape):
        self.frequencies = self.add_weight(
            shape=(input_shape[-1], self.features),
            initializer=keras.initializers.RandomNormal(stddev=self.scale, seed=self.seed),
            trainable=False,
            name="frequencies",
        )

    def call(self, inputs):
        phases = ops.matmul(ops.cast(inputs, self.compute_dtype), self.frequencies)
        return ops.concatenate([ops.sin(phases), ops.cos(phases)], axis=-1)

    def compute_output_shape(self, input_shape):
        return (*input_shape[:-1], 2 * self.features)

    def get_config(self):
        return {**super().get_config(), "features": self.features, "scale": self.scale, "seed": self.seed}
