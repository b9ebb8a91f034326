"""The hinge adversarial loss (Lim & Ye 2017; Miyato et al. 2018, eq. 16–17)."""

import keras
from keras import ops

from kerasgan.losses.adversarial_loss import AdversarialLoss


@keras.saving.register_keras_serializable(package="kerasgan")
class HingeLoss(AdversarialLoss):
    """D: E[max(0, 1 − D(x))] + E[max(0, 1 + D(G(z)))]; G: −E[D(G(z))].

    The loss SNGAN reports its best scores with (Miyato et al. 2018, §4).

    Example: `model.compile(loss="hinge")`.
    """

    name = "hinge"

    def discriminator_loss(self, real_outputs, fake_outputs, real_weights=None):
        return self.mean(ops.relu(1.0 - real_outputs), real_weights) + ops.mean(
            ops.relu(1.0 + fake_outputs)
        )

    def generator_loss(self, fake_outputs):
        return -ops.mean(fake_outputs)
