"""Shared constructor of the GAN-family variants: networks from a data shape."""

import keras
from keras import ops

from kerasgan.engine.latent_gan import LatentGAN
from kerasgan.engine.latent_gan import _first_shape
from kerasgan.engine.packing import packed_shape
from kerasgan.nets.dcgan import dcgan_discriminator
from kerasgan.nets.dcgan import dcgan_generator
from kerasgan.nets.dense import dense_discriminator
from kerasgan.nets.dense import dense_generator
from kerasgan.nets.options import check_classes


@keras.saving.register_keras_serializable(package="kerasgan")
class NetworkGAN(LatentGAN):
    """An adversarial model whose networks are built for `data_shape`.

    Images `(h, w, c)` get DCGAN networks (`kerasgan.nets.dcgan_*`); vectors
    `(d,)` get fully connected ones (`kerasgan.nets.dense_*`). Variants set
    `discriminator_options()` (normalization, spectral normalization,
    outputs) and their defaults; users may instead pass their own
    `generator` and `discriminator`.

    Args:
        data_shape: shape of one sample, e.g. `(28, 28, 1)` or `(2,)`.
        latent_dim: size of z (default 100, or the given generator's).
        generator_width, discriminator_width: base filters for images
            (default 64) or hidden units for vectors (default (128, 128)).
        minibatch_discrimination: `(num_kernels, kernel_dim)` to give the
            discriminator minibatch features (Salimans et al. 2016, §3.2).
        num_classes: class-conditional variants only.
        generator, discriminator: networks to use instead of the built ones.
        **kwargs: `LatentGAN` arguments.
    """

    conditional = False  # whether the networks take a one-hot label input
    # The techniques of a variant whose D sees or outputs classes per sample
    # (ConditionalGAN, ACGAN, SemiSupervisedGAN): not packing.
    per_sample_techniques = tuple(t for t in LatentGAN.techniques if t != "packing")

    def __init__(
        self,
        data_shape=(28, 28, 1),
        latent_dim=None,
        generator_width=None,
        discriminator_width=None,
        minibatch_discrimination=None,
        num_classes=None,
        generator=None,
        discriminator=None,
        **kwargs,
    ):
        self.num_classes = check_classes(num_classes, "num_classes")
        if self.requires_classes and self.num_classes is None:
            raise ValueError(
                f"{type(self).__name__} is class-conditional: give num_classes "
                "(the number of classes, e.g. 10)."
            )
        data_shape = tuple(int(d) for d in data_shape)
        if latent_dim is None and generator is None:
            latent_dim = 100
        self.hyperparameters = {
            "data_shape": data_shape,
            "latent_dim": None if latent_dim is None else int(latent_dim),
            "generator_width": generator_width,
            "discriminator_width": discriminator_width,
            "minibatch_discrimination": minibatch_discrimination,
            "num_classes": self.num_classes,
        }
        self.given_networks = generator is not None or discriminator is not None
        if generator is None:
            generator = self.build_generator(data_shape, int(latent_dim), generator_width)
        elif latent_dim is None:
            latent_dim = _first_shape(generator.input_shape)[-1]
        if discriminator is None:
            # With packing, D takes packs of m samples (PacGAN).
            discriminator = self.build_discriminator(
                packed_shape(data_shape, kwargs.get("packing")),
                discriminator_width,
                minibatch_discrimination,
            )
        super().__init__(generator, discriminator, latent_dim=latent_dim, **kwargs)

    requires_classes = False

    def build_generator(self, data_shape, latent_dim, width):
        classes = self.num_classes if self.conditional else None
        if len(data_shape) == 3:
            return dcgan_generator(data_shape, latent_dim, width or 64, num_classes=classes)
        return dense_generator(
            data_shape, latent_dim, tuple(width or (128, 128)), num_classes=classes
        )

    def discriminator_options(self):
        """Variant-specific `dcgan_discriminator` / `dense_discriminator` options."""
        return {}

    def build_discriminator(self, data_shape, width, minibatch_discrimination):
        options = dict(self.discriminator_options())
        if self.conditional:
            options["num_classes"] = self.num_classes
        options["minibatch_discrimination"] = minibatch_discrimination
        if len(data_shape) == 3:
            return dcgan_discriminator(data_shape, width or 64, **options)
        options.setdefault("normalization", None)
        return dense_discriminator(data_shape, tuple(width or (128, 128)), **options)

    def one_hot(self, labels):
        labels = ops.reshape(ops.cast(labels, "int32"), (-1,))
        return ops.one_hot(labels, self.num_classes, dtype=self.compute_dtype)

    def generator_inputs(self, latent, labels=None):
        if not self.conditional:
            return latent
        return [latent, self.one_hot(labels)]

    def discriminator_inputs(self, samples, labels=None):
        if not self.conditional:
            return samples
        return [samples, self.one_hot(labels)]

    def network_config(self):
        if self.given_networks:
            return {**super().network_config(), **{
                k: v for k, v in self.hyperparameters.items() if k in ("data_shape", "num_classes")
            }}
        return dict(self.hyperparameters)
