"""Ways of sampling a trained GAN beyond `model.generate`."""

from kerasgan.sampling.discriminator_rejection import DiscriminatorRejectionSampler
from kerasgan.sampling.fit_rejection_discriminator import fit_rejection_discriminator

__all__ = ["DiscriminatorRejectionSampler", "fit_rejection_discriminator"]
