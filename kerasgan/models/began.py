"""BEGAN: Berthelot, Schumm & Metz (2017), "BEGAN: Boundary Equilibrium
Generative Adversarial Networks"."""

import keras
from keras import ops

from kerasgan.models.network_gan import NetworkGAN
from kerasgan.nets.began import began_discriminator
from kerasgan.nets.began import began_generator


def reconstruction_loss(samples, reconstructions):
    """L(v) = mean |v − D(v)| (§3.1, η = 1)."""
    return ops.mean(ops.abs(samples - reconstructions))


def _filters(width):
    """Base width of the BEGAN networks (a units tuple's first entry)."""
    if isinstance(width, (tuple, list)):
        return int(width[0])
    return int(width or 32)


@keras.saving.register_keras_serializable(package="kerasgan")
class BEGAN(NetworkGAN):
    """Boundary-equilibrium GAN with an autoencoder discriminator (§3.3–3.4).

        L_D = L(x) − k_t · L(G(z_D))        L_G = L(G(z_G))
        k_{t+1} = clip(k_t + λ_k (γ L(x) − L(G(z_G))), 0, 1)

    with L(v) = mean |v − D(v)|. k is a non-trainable variable of the model
    (saved, and carried through JAX's stateless step); it is updated after
    each generator step. Logged every step: `k` and the convergence measure
    `convergence` = M_global = L(x) + |γ L(x) − L(G(z_G))| (§3.4.1).
    The adversarial loss given to `compile` is not used.

    Args:
        gamma: diversity ratio γ = E[L(G(z))] / E[L(x)] (0.5 in the paper).
        lambda_k: proportional gain of the k controller (the paper's 1e-3
            suits its long runs; in a short run k can stay near 0 long
            enough for G to collapse onto the images D reconstructs best,
            and a larger gain such as 1e-2 lets D push back sooner).
        initial_k: k₀ (0).
        embedding_dim: size of D's bottleneck.
        **kwargs: `NetworkGAN` arguments (`generator_width` and
            `discriminator_width` are the conv filter counts, default 32).

    Example:

    ```python
    model = kerasgan.models.BEGAN(data_shape=(28, 28, 1), latent_dim=64)
    model.compile(generator_optimizer=keras.optimizers.Adam(1e-4, 0.5),
                  discriminator_optimizer=keras.optimizers.Adam(1e-4, 0.5))
    model.fit(kerasgan.data.load_fashion_mnist(), batch_size=64, epochs=1)
    ```
    """

    # An autoencoder D has no real/fake score for a gradient penalty and G's
    # loss is not an adversarial loss that feature matching could replace.
    techniques = ("historical_averaging", "generator_ema", "packing")
    metric_names = ("d_loss", "g_loss", "k", "convergence", "real_reconstruction", "fake_reconstruction")
    uses_adversarial_loss = False  # D is an autoencoder; its losses are the reconstructions'

    def __init__(self, gamma=0.5, lambda_k=1e-3, initial_k=0.0, embedding_dim=64, **kwargs):
        self.gamma = float(gamma)
        self.lambda_k = float(lambda_k)
        self.initial_k = float(initial_k)
        self.embedding_dim = int(embedding_dim)
        if not 0.0 < self.gamma <= 1.0:
            raise ValueError(f"gamma must be in (0, 1]; got {gamma}.")
        if not 0.0 <= self.initial_k <= 1.0:
            raise ValueError(f"initial_k must be in [0, 1]; got {initial_k}.")
        super().__init__(**kwargs)
        self.k = self.add_weight(
            shape=(), initializer=keras.initializers.Constant(self.initial_k), trainable=False, name="k"
        )
        self.last_real_reconstruction = self.add_weight(
            shape=(), initializer="zeros", trainable=False, name="last_real_reconstruction"
        )

    def build_generator(self, data_shape, latent_dim, width):
        return began_generator(data_shape, latent_dim, _filters(width))

    def build_discriminator(self, data_shape, width, minibatch_discrimination):
        if minibatch_discrimination:
            raise ValueError("BEGAN's autoencoder discriminator takes no minibatch_discrimination.")
        return began_discriminator(data_shape, self.embedding_dim, _filters(width))

    def discriminator_loss(self, real, labels=None, fake=None):
        fake = ops.stop_gradient(self.fakes_for(real, fake=fake))
        # With packing, D reconstructs packs of samples.
        real_loss = reconstruction_loss(self.pack(real), self.discriminate(real))
        fake_loss = reconstruction_loss(self.pack(fake), self.discriminate(fake))
        loss = real_loss - ops.stop_gradient(self.k) * fake_loss
        self.last_real_reconstruction.assign(ops.stop_gradient(real_loss))
        return loss, {"real_reconstruction": real_loss}

    def generator_loss(self, real, labels=None, fake=None):
        fake = self.fakes_for(real, fake=fake)
        fake_loss = reconstruction_loss(self.pack(fake), self.discriminate(fake))
        real_loss = self.last_real_reconstruction
        balance = self.gamma * real_loss - ops.stop_gradient(fake_loss)
        # Proportional control of k (§3.4), kept in [0, 1].
        new_k = ops.clip(self.k + self.lambda_k * balance, 0.0, 1.0)
        self.k.assign(new_k)
        return fake_loss, {
            "fake_reconstruction": fake_loss,
            "k": new_k,
            "convergence": real_loss + ops.abs(balance),
        }

    def default_optimizer(self, player):
        # §4: Adam with an initial learning rate of 1e-4 (β₁ 0.5 as the other variants).
        return keras.optimizers.Adam(learning_rate=1e-4, beta_1=0.5)

    def get_config(self):
        return {
            **super().get_config(),
            "gamma": self.gamma,
            "lambda_k": self.lambda_k,
            "initial_k": self.initial_k,
            "embedding_dim": self.embedding_dim,
        }
