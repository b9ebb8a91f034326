"""Options shared by the image-to-image translation networks (`resnet.py`,
`patchgan.py`): normalization layers, initializers and argument checks.

Conventions of the official CycleGAN / pix2pix code (models/networks.py):
conv weights ~ N(0, 0.02) and batch-norm gammas ~ N(1, 0.02) (`init_weights`
with init_type="normal"), and convolutions followed by batch normalization
have no bias (`use_bias = norm_layer == nn.InstanceNorm2d`). StarGAN's
official code (model.py) uses affine instance normalization after bias-free
convolutions.
"""

import numbers

import keras

from kerasgan.layers.instance_normalization import InstanceNormalization

NORMALIZATIONS = ("instance", "instance_affine", "batch", None)


def check_normalization(normalization):
    if normalization not in NORMALIZATIONS:
        raise ValueError(
            "normalization must be 'instance' (CycleGAN), 'instance_affine' (StarGAN), "
            f"'batch' (pix2pix) or None; got {normalization!r}."
        )
    return normalization


def normalization_layer(normalization, name):
    """The normalization layer after a convolution, or None."""
    if normalization == "instance":
        return InstanceNormalization(center=False, scale=False, name=name)
    if normalization == "instance_affine":
        return InstanceNormalization(name=name)
    if normalization == "batch":
        return keras.layers.BatchNormalization(
            epsilon=1e-5, gamma_initializer=keras.initializers.RandomNormal(1.0, 0.02), name=name
        )
    return None


def normalize(h, normalization, name):
    layer = normalization_layer(normalization, name)
    return h if layer is None else layer(h)


def conv_bias(normalization):
    """Whether a convolution followed by `normalization` has a bias.

    CycleGAN keeps the bias before its affine-free instance norm (it only
    drops it before batch norm); StarGAN has none before its affine one.
    Without normalization the convolutions have biases.
    """
    return normalization in ("instance", None)


def init():
    return keras.initializers.RandomNormal(0.0, 0.02)


def check_int(value, name, minimum):
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}; got {value!r}.")
    return int(value)


def check_image_shape(image_shape):
    """`(height, width, channels)` as ints."""
    try:
        shape = tuple(int(d) for d in image_shape)
    except (TypeError, ValueError):
        shape = ()
    if len(shape) != 3 or min(shape) < 1:
        raise ValueError(f"image_shape must be (height, width, channels); got {image_shape!r}.")
    return shape


def halvings(size, steps):
    """Size after `steps` 4×4 stride-2 convolutions with padding 1: ⌊size/2⌋ each."""
    for _ in range(steps):
        size //= 2
    return size
