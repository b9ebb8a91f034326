"""WGAN: Arjovsky, Chintala & Bottou (2017), "Wasserstein GAN"."""

import keras

from kerasgan.constraints import ClipWeights
from kerasgan.models.network_gan import NetworkGAN


@keras.saving.register_keras_serializable(package="kerasgan")
class WGAN(NetworkGAN):
    """Wasserstein GAN with weight clipping (Algorithm 1 of the paper).

    The critic has no sigmoid; it maximizes E[D(x)] − E[D(G(z))], and every
    one of its parameters is clipped to [−c, c] after each update through a
    `kerasgan.constraints.ClipWeights` constraint (Keras optimizers apply
    `variable.constraint` after each update on every backend). Defaults are
    the paper's: c = 0.01, n_critic = 5, RMSProp with lr 5e-5.

    Args:
        clip_value: c.
        discriminator_steps: n_critic (5).
        **kwargs: `NetworkGAN` arguments (`data_shape`, `latent_dim`, ...).

    Example:

    ```python
    x = kerasgan.data.load_fashion_mnist()
    model = kerasgan.models.WGAN(data_shape=(28, 28, 1))
    model.compile()                     # RMSprop(5e-5), "wasserstein"
    model.fit(x, batch_size=64 * 5, epochs=1)   # 5 critic minibatches of 64
    ```
    """

    default_loss = "wasserstein"

    def __init__(self, clip_value=0.01, discriminator_steps=5, **kwargs):
        self.clip_value = float(clip_value) if clip_value is not None else None
        if self.clip_value is None or not self.clip_value > 0:
            raise ValueError(
                f"clip_value must be > 0 (weights are clipped to [-c, c]); got {clip_value!r}."
            )
        super().__init__(discriminator_steps=discriminator_steps, **kwargs)
        constraint = ClipWeights(self.clip_value)
        for variable in self.discriminator.trainable_variables:
            variable.constraint = constraint

    def default_optimizer(self, player):
        return keras.optimizers.RMSprop(learning_rate=5e-5)

    def get_config(self):
        return {**super().get_config(), "clip_value": self.clip_value}
