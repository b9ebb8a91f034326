"""The least-squares loss of LSGAN (Mao et al. 2017)."""

import keras
from keras import ops

from kerasgan.losses.adversarial_loss import AdversarialLoss


@keras.saving.register_keras_serializable(package="kerasgan")
class LeastSquaresLoss(AdversarialLoss):
    """Mao et al. (2017), eq. 2: with fake label a, real label b, and the
    value c that the generator wants the discriminator to give its samples,

        min_D ½ E[(D(x) − b)²] + ½ E[(D(G(z)) − a)²]
        min_G ½ E[(D(G(z)) − c)²]

    Two codings from the paper: `a, b, c = -1, 1, 0` (b − c = 1, b − a = 2:
    the game minimizes the Pearson χ² divergence, §3.2.2, eq. 8) and the
    0-1 coding `a, b, c = 0, 1, 1` (eq. 9, the default; the paper's
    experiments use it). The discriminator has a linear output.

    Example: `model.compile(loss=kerasgan.losses.LeastSquaresLoss(-1, 1, 0))`.
    """

    name = "least_squares"

    def __init__(self, a=0.0, b=1.0, c=1.0):
        self.a, self.b, self.c = float(a), float(b), float(c)
        if self.a == self.b:
            raise ValueError(
                "LeastSquaresLoss needs different fake and real labels; got "
                f"a = b = {self.a}."
            )

    def discriminator_loss(self, real_outputs, fake_outputs, real_weights=None):
        return 0.5 * self.mean(ops.square(real_outputs - self.b), real_weights) + 0.5 * ops.mean(
            ops.square(fake_outputs - self.a)
        )

    def generator_loss(self, fake_outputs):
        return 0.5 * ops.mean(ops.square(fake_outputs - self.c))

    def get_config(self):
        return {"a": self.a, "b": self.b, "c": self.c}
