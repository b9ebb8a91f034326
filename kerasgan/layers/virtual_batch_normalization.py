"""Virtual batch normalization (Salimans et al., 2016, "Improved Techniques for
Training GANs", section 3.4)."""

import keras
from keras import ops

from kerasgan.layers.reference_batch_normalization import _ReferenceNormalizationBase


@keras.saving.register_keras_serializable(package="kerasgan")
class VirtualBatchNormalization(_ReferenceNormalizationBase):
    """Normalizes each example with the statistics of the reference batch plus itself.

    Salimans et al. (2016), section 3.4: "each example x is normalized based
    on the statistics collected on a reference batch of examples that are
    chosen once and fixed at the start of training, and on x itself", so an
    example's output does not depend on the other examples of its minibatch.

    Convention: the first `reference_size` (R) rows of every batch are the
    reference batch (`ReferenceBatch` prepends it, so its activations are
    recomputed with the current parameters at every step). For each other
    row x, the statistics are taken over reference ∪ {x} with weight
    `1/(R+1)` for x and `R/(R+1)` for the reference: `mean = (x̄ + R·μ_ref)/(R+1)`
    and `var = E[x²] − E[x]²` over the same set (computed relative to the
    reference mean, which does not change the result but avoids cancellation).
    The reference rows are normalized with the reference statistics alone.
    Statistics are per feature along `axis`, over all other axes (x̄ averages
    x over its spatial positions), so the layer works on dense `(N, C)` and
    convolutional `(N, H, W, C)` activations. Training and inference compute
    the same thing (no moving averages).

    Args:
        reference_size: R, the number of leading reference rows.
        epsilon: added to the variance.
        center, scale: learn beta / gamma.
        axis: the feature axis.
        beta_initializer, gamma_initializer: initializers of beta and gamma.

    Example:

    ```python
    z = keras.Input((100,))
    h = keras.layers.Dense(4 * 4 * 256)(z)
    h = keras.layers.Reshape((4, 4, 256))(h)
    h = VirtualBatchNormalization(reference_size=64)(h)
    net = keras.Model(z, keras.layers.ReLU()(h))
    generator_body = ReferenceBatch(net, reference=keras.random.normal((64, 100)))
    ```
    """

    def call(self, inputs):
        self._check_batch(inputs)
        r = self.reference_size
        reference, examples = inputs[:r], inputs[r:]
        ref_mean, ref_var = self._reference_statistics(reference)
        # Per-example moments, relative to the reference mean (shift-invariant).
        shifted = examples - ref_mean
        spatial = self._reduce_axes[1:]
        own_mean = ops.mean(shifted, axis=spatial, keepdims=True) if spatial else shifted
        own_sq = (
            ops.mean(ops.square(shifted), axis=spatial, keepdims=True)
            if spatial
            else ops.square(shifted)
        )
        # Moments over reference ∪ {x}: weight 1/(R+1) for x, R/(R+1) for the reference
        # (whose shifted mean is 0 and shifted second moment is its variance).
        w = 1.0 / (r + 1.0)
        mean = w * own_mean
        variance = ops.maximum(w * own_sq + (1.0 - w) * ref_var - ops.square(mean), 0.0)
        normalized = ops.concatenate(
            [
                (reference - ref_mean) * ops.rsqrt(ref_var + self.epsilon),
                (shifted - mean) * ops.rsqrt(variance + self.epsilon),
            ],
            axis=0,
        )
        return self._affine(normalized)
