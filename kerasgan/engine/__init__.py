"""The adversarial training engine."""

from kerasgan.engine.adversarial_model import AdversarialModel
from kerasgan.engine.latent_gan import LatentGAN
from kerasgan.engine.minibatches import split_batch
from kerasgan.engine.gan_optimizer import GANOptimizer
