"""Minibatch standard deviation (Karras et al., 2018, "Progressive Growing of
GANs for Improved Quality, Stability, and Variation", section 3)."""

import numbers

import keras
from keras import ops


def _check_batch(batch, group_size):
    if isinstance(batch, int) and batch > group_size and batch % group_size:
        raise ValueError(
            f"MinibatchStandardDeviation: the batch size {batch} is not divisible by the "
            f"group size {group_size}; expected a batch size that is a multiple of "
            f"group_size={group_size} (or at most {group_size}, which makes one group)."
        )


@keras.saving.register_keras_serializable(package="kerasgan")
class MinibatchStandardDeviation(keras.layers.Layer):
    """Appends the average standard deviation of the features over a group.

    ProGAN's discriminator uses it before its last block, so that it can
    tell a batch of fakes with too little variation from real images. As
    the official code's `minibatch_stddev_layer` (networks.py), for
    `(batch, H, W, C)` inputs:

    - `G = min(group_size, batch)`; the batch must be divisible by `G`;
    - the batch is split into `M = batch / G` groups as the reshape to
      `(G, M, H, W, C)` does: sample `i = g * M + m` belongs to group `m`
      (so with 8 samples and groups of 4, samples 0, 2, 4 and 6 form one
      group);
    - in each group, the standard deviation over its `G` samples of each
      feature and position (`sqrt(mean((x - mean) ** 2) + epsilon)`, the
      biased variance), averaged over H, W and C to one value;
    - that value is appended to each sample of the group as an extra
      channel (a constant H × W map): the output has `C + 1` channels.

    Computed in float32 and cast back to the input's dtype (float64 inputs
    are computed in float64). A batch size that is only known when the
    layer runs (TensorFlow graphs) is not checked before the reshape, which
    then fails if it is not divisible by `G`.

    Args:
        group_size: the largest group (the paper's 4).
        epsilon: added to the variance before the square root.

    Example:

    ```python
    layer = MinibatchStandardDeviation(group_size=4)
    y = layer(keras.random.normal((8, 4, 4, 16)))  # (8, 4, 4, 17)
    ```
    """

    def __init__(self, group_size=4, epsilon=1e-8, **kwargs):
        super().__init__(**kwargs)
        integer = isinstance(group_size, numbers.Integral) and not isinstance(group_size, bool)
        if not integer or group_size < 1:
            raise ValueError(
                f"MinibatchStandardDeviation needs an integer group_size >= 1; got {group_size!r}."
            )
        if float(epsilon) <= 0:
            raise ValueError(f"MinibatchStandardDeviation needs epsilon > 0; got {epsilon}.")
        self.group_size = int(group_size)
        self.epsilon = float(epsilon)

    def _check(self, input_shape):
        if len(input_shape) != 4:
            raise ValueError(
                "MinibatchStandardDeviation expects (batch, height, width, channels) inputs; "
                f"got shape {tuple(input_shape)}."
            )
        _check_batch(input_shape[0], self.group_size)

    def build(self, input_shape):
        self._check(input_shape)

    def call(self, inputs):
        batch, height, width, channels = ops.shape(inputs)
        _check_batch(batch, self.group_size)
        if isinstance(batch, int):
            group = min(self.group_size, batch)
        else:  # only known at run time (a TensorFlow graph)
            group = ops.minimum(ops.cast(self.group_size, batch.dtype), batch)
        dtype = keras.backend.standardize_dtype(inputs.dtype)
        x = inputs if dtype == "float64" else ops.cast(inputs, "float32")
        y = ops.reshape(x, (group, -1, height, width, channels))  # (G, M, H, W, C)
        y = y - ops.mean(y, axis=0, keepdims=True)
        y = ops.mean(ops.square(y), axis=0)  # (M, H, W, C): variance over each group
        y = ops.sqrt(y + ops.cast(self.epsilon, y.dtype))
        y = ops.mean(y, axis=(1, 2, 3), keepdims=True)  # (M, 1, 1, 1)
        # Sample g * M + m gets group m's value, as the official tile over (G, H, W).
        ones = ops.ones((group, 1, height, width, 1), dtype=y.dtype)
        feature = ops.reshape(ones * ops.expand_dims(y, 0), (-1, height, width, 1))
        return ops.concatenate([inputs, ops.cast(feature, inputs.dtype)], axis=-1)

    def compute_output_shape(self, input_shape):
        self._check(input_shape)
        batch, height, width, channels = input_shape
        return (batch, height, width, None if channels is None else channels + 1)

    def get_config(self):
        return {**super().get_config(), "group_size": self.group_size, "epsilon": self.epsilon}
