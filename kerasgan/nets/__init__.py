"""Network builders."""

from kerasgan.nets.dcgan import dcgan_discriminator
from kerasgan.nets.dcgan import dcgan_generator
from kerasgan.nets.dense import dense_discriminator
from kerasgan.nets.dense import dense_generator
from kerasgan.nets.mlp import mlp_discriminator
from kerasgan.nets.mlp import mlp_generator
