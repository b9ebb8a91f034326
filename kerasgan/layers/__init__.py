"""Custom Keras layers used by kerasgan."""

from kerasgan.layers.maxout import Maxout  # noqa: F401
from kerasgan.layers.subpixel_conv2d_transpose import (  # noqa: F401
    SubPixelConv2DTranspose,
)
