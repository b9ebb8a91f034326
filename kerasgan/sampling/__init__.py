"""Ways of sampling a trained GAN beyond `model.generate`."""

from kerasgan.sampling.discriminator_rejection import DiscriminatorRejectionSampler

__all__ = ["DiscriminatorRejectionSampler"]
