"""Weight clipping for the WGAN critic (Arjovsky et al., 2017, Algorithm 1)."""

import keras
from keras import ops


@keras.saving.register_keras_serializable(package="kerasgan")
class ClipWeights(keras.constraints.Constraint):
    """Clips weights to `[-clip_value, clip_value]` after every optimizer update.

    Arjovsky et al. (2017), Algorithm 1, line 7: `w <- clip(w, -c, c)`, which
    keeps the critic in a compact set of parameters (so it is K-Lipschitz for
    some K). Keras optimizers apply `variable.constraint` after each update on
    every backend. Pass it to every weight of the critic (e.g.
    `kernel_constraint` and `bias_constraint`). The paper uses `c = 0.01`.

    Example:

    ```python
    clip = ClipWeights(0.01)
    layer = keras.layers.Dense(64, kernel_constraint=clip, bias_constraint=clip)
    ```
    """

    def __init__(self, clip_value=0.01):
        if not float(clip_value) > 0:
            raise ValueError(f"ClipWeights needs clip_value > 0; got {clip_value}.")
        self.clip_value = float(clip_value)

    def __call__(self, w):
        return ops.clip(w, -self.clip_value, self.clip_value)

    def get_config(self):
        return {"clip_value": self.clip_value}
