"""GAN variants, each a `keras.Model` trained by the shared adversarial loop."""

from kerasgan.engine.adversarial_model import AdversarialModel
from kerasgan.engine.latent_gan import LatentGAN
from kerasgan.models.acgan import ACGAN
from kerasgan.models.began import BEGAN
from kerasgan.models.cogan import CoGAN
from kerasgan.models.conditional_gan import ConditionalGAN
from kerasgan.models.cyclegan import CycleGAN
from kerasgan.models.dcgan import DCGAN
from kerasgan.models.gan import GAN
from kerasgan.models.lsgan import LSGAN
from kerasgan.models.network_gan import NetworkGAN
from kerasgan.models.progan import ProGAN
from kerasgan.models.semi_supervised_gan import SemiSupervisedGAN
from kerasgan.models.sngan import SNGAN
from kerasgan.models.stargan import StarGAN
from kerasgan.models.wgan import WGAN
from kerasgan.models.wgan_gp import WGANGP
