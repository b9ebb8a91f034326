"""WGAN-GP: Gulrajani et al. (2017), "Improved Training of Wasserstein GANs"."""

import keras

from kerasgan.models.network_gan import NetworkGAN


@keras.saving.register_keras_serializable(package="kerasgan")
class WGANGP(NetworkGAN):
    """Wasserstein GAN with a gradient penalty (Algorithm 1 of the paper).

    Critic loss E[D(x̃)] − E[D(x)] + λ E[(‖∇_x̂ D(x̂)‖₂ − 1)²] with x̂ a
    uniform, per-sample interpolate of real and generated samples. The
    built critic has no batch normalization (§4: it would make the penalty
    depend on the batch); input gradients come from
    `kerasgan.engine.backend.input_gradient`. Defaults are the paper's:
    λ = 10, n_critic = 5, Adam(1e-4, β₁ = 0, β₂ = 0.9).

    Args:
        gradient_penalty: λ.
        discriminator_steps: n_critic.
        critic_normalization: `None` (the paper) or `"layer"`.
        **kwargs: `NetworkGAN` arguments.

    Example:

    ```python
    x = kerasgan.data.ring_of_gaussians(20_000, seed=0)
    model = kerasgan.models.WGANGP(data_shape=(2,), latent_dim=2, data_range=None)
    model.compile()
    model.fit(x, batch_size=5 * 128, epochs=20)
    ```
    """

    default_loss = "wasserstein"

    def __init__(self, gradient_penalty=10.0, discriminator_steps=5, critic_normalization=None, **kwargs):
        if critic_normalization == "batch":
            raise ValueError(
                "critic_normalization='batch': batch normalization would make each "
                "sample's penalty depend on the batch (Gulrajani et al. 2017, §4); use "
                "None or 'layer'."
            )
        self.critic_normalization = critic_normalization
        super().__init__(
            gradient_penalty=gradient_penalty, discriminator_steps=discriminator_steps, **kwargs
        )

    def discriminator_options(self):
        return {"normalization": self.critic_normalization}

    def default_optimizer(self, player):
        return keras.optimizers.Adam(learning_rate=1e-4, beta_1=0.0, beta_2=0.9)

    def get_config(self):
        return {**super().get_config(), "critic_normalization": self.critic_normalization}
