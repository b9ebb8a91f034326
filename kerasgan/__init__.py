"""kerasgan: Generative Adversarial Networks for Keras 3 (TensorFlow, JAX, PyTorch)."""

__version__ = "0.1.0"

from kerasgan import callbacks
from kerasgan import constraints
from kerasgan import data
from kerasgan import engine
from kerasgan import extractors
from kerasgan import fast_ops
from kerasgan import layers
from kerasgan import losses
from kerasgan import metrics
from kerasgan import models
from kerasgan import nets
from kerasgan import sampling
from kerasgan import schedules
from kerasgan import utils
from kerasgan import zoo
