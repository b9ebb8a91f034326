"""GAN variants, one per file."""

from kerasgan.engine.adversarial_model import AdversarialModel
from kerasgan.models.dcgan import DCGAN
from kerasgan.models.gan import GAN
