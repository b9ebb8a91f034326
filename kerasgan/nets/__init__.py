"""Network builders."""

from kerasgan.nets.cogan import cogan_discriminators
from kerasgan.nets.cogan import cogan_generators
from kerasgan.nets.dcgan import dcgan_discriminator
from kerasgan.nets.dcgan import dcgan_generator
from kerasgan.nets.dense import dense_discriminator
from kerasgan.nets.dense import dense_generator
from kerasgan.nets.mlp import mlp_discriminator
from kerasgan.nets.mlp import mlp_generator
from kerasgan.nets.patchgan import patchgan_discriminator
from kerasgan.nets.patchgan import patchgan_receptive_field
from kerasgan.nets.patchgan import stargan_discriminator
from kerasgan.nets.progan import ProGANDiscriminator
from kerasgan.nets.progan import ProGANGenerator
from kerasgan.nets.resnet import resnet_generator
