"""Custom Keras layers used by kerasgan."""

from kerasgan.layers.image_pool import ImagePool, pool_step  # noqa: F401
from kerasgan.layers.instance_normalization import InstanceNormalization  # noqa: F401
from kerasgan.layers.maxout import Maxout  # noqa: F401
from kerasgan.layers.random_fourier_features import RandomFourierFeatures  # noqa: F401
from kerasgan.layers.reflection_padding2d import ReflectionPadding2D  # noqa: F401
from kerasgan.layers.subpixel_conv2d_transpose import (  # noqa: F401
    SubPixelConv2DTranspose,
)
from kerasgan.layers.minibatch_discrimination import (  # noqa: F401
    MinibatchDiscrimination,
)
from kerasgan.layers.reference_batch_normalization import (  # noqa: F401
    ReferenceBatch,
    ReferenceBatchNormalization,
)
from kerasgan.layers.spectral_normalization import (  # noqa: F401
    SpectralNormalization,
    spectral_normalize,
)
from kerasgan.layers.virtual_batch_normalization import (  # noqa: F401
    VirtualBatchNormalization,
)
from kerasgan.layers.equalized_conv2d import EqualizedConv2D  # noqa: F401
from kerasgan.layers.equalized_dense import EqualizedDense  # noqa: F401
from kerasgan.layers.minibatch_standard_deviation import (  # noqa: F401
    MinibatchStandardDeviation,
)
from kerasgan.layers.pixel_normalization import PixelNormalization  # noqa: F401
from kerasgan.layers.weight_norm_dense import (  # noqa: F401
    WeightNormDense,
    initialize_weight_norm,
)
