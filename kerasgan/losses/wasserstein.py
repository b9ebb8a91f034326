"""The Wasserstein critic loss (Arjovsky, Chintala & Bottou 2017)."""

import keras
from keras import ops

from kerasgan.losses.adversarial_loss import AdversarialLoss


@keras.saving.register_keras_serializable(package="kerasgan")
class WassersteinLoss(AdversarialLoss):
    """Critic: max E[D(x)] − E[D(G(z))]; generator: max E[D(G(z))].

    The critic outputs unbounded scores (no sigmoid) and must be kept
    1-Lipschitz: by weight clipping (WGAN, Algorithm 1), a gradient penalty
    (WGAN-GP) or spectral normalization. `d_loss` is minus the critic's
    estimate of the Wasserstein-1 distance (WGAN §3, eq. 3).

    Example: `model.compile(loss="wasserstein")`.
    """

    name = "wasserstein"

    def discriminator_loss(self, real_outputs, fake_outputs, real_weights=None):
        return ops.mean(fake_outputs) - self.mean(real_outputs, real_weights)

    def generator_loss(self, fake_outputs):
        return -ops.mean(fake_outputs)
