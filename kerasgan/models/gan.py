"""GAN: Goodfellow et al. (2014), "Generative Adversarial Nets"."""

import keras

from kerasgan.engine.latent_gan import LatentGAN
from kerasgan.engine.packing import packed_shape
from kerasgan.nets.mlp import mlp_discriminator
from kerasgan.nets.mlp import mlp_generator


@keras.saving.register_keras_serializable(package="kerasgan")
class GAN(LatentGAN):
    """The original GAN: MLP generator (ReLU) and maxout discriminator (dropout).

    Trained by Algorithm 1 of the paper (k discriminator steps per generator
    step) with the minimax or the non-saturating loss.

    Args:
        data_shape: shape of one sample, e.g. `(28, 28, 1)` or `(2,)`.
        latent_dim: size of z.
        generator_units, discriminator_units: hidden layer widths.
        maxout_pieces: affine pieces per maxout unit.
        input_dropout, dropout: the discriminator's dropout rates.
        output_activation: the generator's output activation (`"tanh"` for
            data in [-1, 1]; `None` for unbounded data, then also pass
            `data_range=None`).
        **kwargs: `LatentGAN` arguments (`discriminator_steps`,
            `data_range`, `latent_distribution`, `seed`, `name`).

    Example:

    ```python
    x = kerasgan.data.ring_of_gaussians(10_000, seed=0)
    model = kerasgan.models.GAN(data_shape=(2,), latent_dim=8,
                                generator_units=(128, 128),
                                discriminator_units=(128, 128), dropout=0.0,
                                input_dropout=0.0, output_activation=None,
                                data_range=None)
    model.compile(loss="non_saturating")
    model.fit(x, batch_size=128, epochs=5)
    ```
    """

    def __init__(
        self,
        data_shape=(28, 28, 1),
        latent_dim=100,
        generator_units=(1200, 1200),
        discriminator_units=(240, 240),
        maxout_pieces=5,
        input_dropout=0.2,
        dropout=0.5,
        output_activation="tanh",
        **kwargs,
    ):
        self.hyperparameters = {
            "data_shape": tuple(data_shape),
            "latent_dim": int(latent_dim),
            "generator_units": tuple(generator_units),
            "discriminator_units": tuple(discriminator_units),
            "maxout_pieces": int(maxout_pieces),
            "input_dropout": float(input_dropout),
            "dropout": float(dropout),
            "output_activation": output_activation,
        }
        generator = mlp_generator(
            data_shape, latent_dim, generator_units, output_activation
        )
        discriminator = mlp_discriminator(
            packed_shape(data_shape, kwargs.get("packing")), discriminator_units, maxout_pieces, input_dropout, dropout
        )
        super().__init__(generator, discriminator, latent_dim=latent_dim, **kwargs)

    def network_config(self):
        return dict(self.hyperparameters)
