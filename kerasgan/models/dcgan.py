"""DCGAN: Radford, Metz & Chintala (2015), "Unsupervised Representation
Learning with Deep Convolutional Generative Adversarial Networks"."""

import keras

from kerasgan.engine import validation
from kerasgan.engine.latent_gan import LatentGAN
from kerasgan.engine.packing import packed_shape
from kerasgan.nets.dcgan import dcgan_discriminator
from kerasgan.nets.dcgan import dcgan_generator


@keras.saving.register_keras_serializable(package="kerasgan")
class DCGAN(LatentGAN):
    """Deep convolutional GAN for square images (28×28, 32×32, 64×64, ...).

    Networks follow the paper's guidelines (`kerasgan.nets.dcgan`); training
    uses Adam(2e-4, β₁ = 0.5) for both players and the non-saturating loss
    unless compiled otherwise.

    Args:
        image_shape: `(height, width, channels)`, e.g. `(28, 28, 1)`,
            `(32, 32, 3)` or `(64, 64, 3)`.
        latent_dim: size of z (100 in the paper).
        generator_filters, discriminator_filters: width multipliers
            (ngf, ndf; 64 in the paper).
        upsampling: `"auto"` (the fastest exact form of the transposed
            convolutions on the active backend), `"subpixel"`, `"transpose"`
            or `"keras"` (see `kerasgan.nets.dcgan_generator`).
        **kwargs: `LatentGAN` arguments.

    Example:

    ```python
    x = kerasgan.data.load_fashion_mnist()
    model = kerasgan.models.DCGAN(image_shape=(28, 28, 1))
    model.compile()
    model.fit(x, batch_size=128, epochs=5)
    kerasgan.utils.save_image_grid(model.generate(64, seed=0), "samples.png")
    ```
    """

    def __init__(
        self,
        image_shape=(64, 64, 3),
        latent_dim=100,
        generator_filters=64,
        discriminator_filters=64,
        upsampling="auto",
        **kwargs,
    ):
        image_shape = validation.image_shape(image_shape, "DCGAN")
        self.hyperparameters = {
            "image_shape": image_shape,
            "latent_dim": int(latent_dim),
            "generator_filters": int(generator_filters),
            "discriminator_filters": int(discriminator_filters),
            "upsampling": upsampling,
        }
        generator = dcgan_generator(image_shape, latent_dim, generator_filters, upsampling)
        discriminator = dcgan_discriminator(
            packed_shape(image_shape, kwargs.get("packing")), discriminator_filters
        )
        super().__init__(generator, discriminator, latent_dim=latent_dim, **kwargs)

    def network_config(self):
        return dict(self.hyperparameters)
