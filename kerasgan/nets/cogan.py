"""CoGAN networks (Liu & Tuzel 2016, "Coupled Generative Adversarial Networks").

A coupled GAN is two GANs, one per image domain, whose networks are tied:

- the two generators share their FIRST layers, which decode the high-level
  semantics of z, and keep their own last layer, which renders them in the
  domain's appearance (paper, §3, "Generative models");
- the two discriminators keep their own FIRST layer, which reads the
  domain's low-level features, and share their LAST layers, which score
  high-level semantics (§3, "Discriminative models").

(A popular reimplementation ties the discriminators' first layers instead:
the reverse of the paper and of its official code.)

Tying means that both networks call the same layer objects: a shared weight
is one Keras variable, which the player's optimizer updates once per step.

The layers follow the official MNIST networks (`cogan_pytorch`,
`net_cogan_mnistedge.py`), with [-1, 1] images (tanh instead of sigmoid):

- generator: z → transposed conv to 4×4×1024, then three transposed convs
  3×3, stride 2 to 512, 256 and 128 channels, each followed by batch norm
  (no scale or offset) and PReLU (shared), then a separate transposed conv to
  the image channels and tanh for each domain. For 28×28 images the strides
  and crops are the official ones (4 → 7 → 13 → 25 → 28, the last kernel
  6×6); for sizes that are multiples of 8 (e.g. 32×32) the map starts at
  size/8 and doubles three times (4 → 8 → 16 → 32), the last layer 3×3;
- discriminator: conv 20 5×5 and 2×2 max-pool (separate per domain), then
  conv 50 5×5, max-pool, conv 500 over the whole remaining map (4×4 for 28×28
  images, 5×5 for 32×32), PReLU, and a 1×1 conv to one score (a logit; the
  official code's two-way softmax is the same model), shared. As in the
  official network there is no nonlinearity after the first two convs other
  than the max-pooling.

Weights are Xavier-uniform with gain √2 and biases 0.1 (official
`xavier_weights_init`); PReLU slopes start at 0.25 with one slope per layer
(PyTorch's `nn.PReLU()`). Convolutions followed by batch norm have no bias
(the official ones have one, which the normalization removes).
"""

import functools

import keras
from keras import ops

from kerasgan.engine import validation
from kerasgan.layers.subpixel_conv2d_transpose import SubPixelConv2DTranspose

# Default widths: the official MNIST networks.
GENERATOR_FILTERS = (1024, 512, 256, 128)
DISCRIMINATOR_FILTERS = (20, 50, 500)
# Blocks that the paper's networks tie: all four hidden generator blocks
# (the output layer is always per domain) and the three discriminator blocks
# after the first (the first is always per domain).
GENERATOR_SHARED_LAYERS = 4
DISCRIMINATOR_SHARED_LAYERS = 3


def _kernel_init():
    # Xavier (Glorot) uniform with gain √2: variance 2 · 2 / (fan_in + fan_out).
    return keras.initializers.VarianceScaling(2.0, mode="fan_avg", distribution="uniform")


def _bias_init():
    return keras.initializers.Constant(0.1)


# Transposed convolutions in the fastest exact form on the active backend
# (`SubPixelConv2DTranspose`: the same function and weights as
# `keras.layers.Conv2DTranspose`; sub-pixel under JAX, whose XLA-CPU
# transposed-convolution kernel gradient is slow).
_TransposedConv = functools.partial(SubPixelConv2DTranspose, implementation="auto")


@keras.saving.register_keras_serializable(package="kerasgan")
class MaxPooling2x2(keras.layers.Layer):
    """2×2 max-pooling with stride 2 ("valid": an odd last row or column is
    dropped): the forward pass of `keras.layers.MaxPooling2D(2)`, computed
    as a reshape and a max.

    Its gradient is that of the max reduction, which splits the gradient
    equally among tied maxima (the pooling op gives it to one of them; both
    are valid subgradients, and the kernel gradients agree whenever tied
    values come from identical input patches, e.g. a constant background).
    XLA on the CPU differentiates the pooling op about 7 times slower
    (a 256×24×24×20 batch: 63 ms against 9 ms), which made it the largest
    cost of the discriminators' step under JAX.
    """

    def call(self, inputs):
        height, width, channels = inputs.shape[1], inputs.shape[2], inputs.shape[3]
        h, w = height // 2, width // 2
        x = inputs[:, : 2 * h, : 2 * w, :]
        x = ops.reshape(x, (-1, h, 2, w, 2, channels))
        return ops.max(x, axis=(2, 4))

    def compute_output_shape(self, input_shape):
        return (input_shape[0], input_shape[1] // 2, input_shape[2] // 2, input_shape[3])


def _prelu(name):
    return keras.layers.PReLU(
        alpha_initializer=keras.initializers.Constant(0.25), shared_axes=[1, 2, 3], name=name
    )


def check_image_shape(image_shape, who="CoGAN"):
    """`image_shape` as a tuple of three positive ints (or a ValueError)."""
    return validation.image_shape(image_shape, who, "(28, 28, 1) or (32, 32, 3)")


def _widths(filters, count, default, name):
    if filters is None:
        return tuple(default)
    if isinstance(filters, (int,)) and not isinstance(filters, bool):
        raise ValueError(
            f"{name} is a tuple of {count} layer widths, e.g. {tuple(default)}; got {filters!r}."
        )
    try:
        widths = tuple(int(f) for f in filters)
    except (TypeError, ValueError):
        widths = ()
    if len(widths) != count or min(widths) < 1:
        raise ValueError(
            f"{name} is a tuple of {count} positive layer widths, e.g. "
            f"{tuple(default)}; got {filters!r}."
        )
    return widths


def _shared_count(shared_layers, share, maximum, default, name):
    if not share:
        return 0
    if shared_layers is None:
        return default
    if isinstance(shared_layers, bool) or not isinstance(shared_layers, int) or not (
        0 <= shared_layers <= maximum
    ):
        raise ValueError(f"{name} must be an int from 0 to {maximum}; got {shared_layers!r}.")
    return shared_layers


def _generator_geometry(image_shape):
    """`(start, hidden, last)`: the first map's size, the three stride-2
    layers' (kernel, padding, crop) and the output layer's (kernel, padding,
    crop)."""
    height, width = image_shape[:2]
    if height == width == 28:
        # The official layers: PyTorch's padding 1 crops one pixel per side.
        return 4, (3, "valid", 1), (6, "valid", 1)
    if height == width and height % 8 == 0 and height >= 16:
        return height // 8, (3, "same", 0), (3, "same", 0)
    raise ValueError(
        "cogan_generators makes square images of 28×28 (the official MNIST "
        f"network) or of a multiple of 8 from 16 (e.g. 32×32); got {height}×{width}."
    )


def cogan_generators(
    image_shape=(28, 28, 1),
    latent_dim=100,
    filters=GENERATOR_FILTERS,
    shared_layers=None,
    share=True,
):
    """Two generators that share their first layers: `(generator_a, generator_b)`.

    Both are functional `keras.Model`s on the same `keras.Input` (z of shape
    `(batch, latent_dim)`), mapping z to images in [-1, 1]; their tied
    layers are the same layer objects, so each tied weight is one variable.
    Because they start from the same input tensor,
    `keras.Model(generator_a.input, [generator_a.output, generator_b.output])`
    computes both images with one pass through the shared layers.

    Args:
        image_shape: `(height, width, channels)`: 28×28×c, or a square size
            that is a multiple of 8 (16, 32, 64, ...).
        latent_dim: size of z (100 in the paper).
        filters: the four hidden layers' widths (official: 1024, 512, 256,
            128); use small ones for tests.
        shared_layers: how many of the four hidden blocks (transposed conv,
            batch norm, PReLU), counted from the input, are tied; `None`: all
            four (the paper's network). The output layers are never tied.
        share: `False` builds the same networks with nothing tied (two
            independent GANs, the paper's baseline).

    Example:

    ```python
    g_a, g_b = cogan_generators((28, 28, 1), filters=(64, 32, 16, 8))
    assert g_a.get_layer("g_dconv0") is g_b.get_layer("g_dconv0")
    ```
    """
    image_shape = check_image_shape(image_shape, "cogan_generators")
    latent_dim = int(latent_dim)
    if latent_dim < 1:
        raise ValueError(f"latent_dim must be a positive integer; got {latent_dim!r}.")
    filters = _widths(filters, 4, GENERATOR_FILTERS, "generator filters")
    tied = _shared_count(
        shared_layers, share, 4, GENERATOR_SHARED_LAYERS, "generator shared_layers"
    )
    start, (kernel, padding, crop), (last_kernel, last_padding, last_crop) = (
        _generator_geometry(image_shape)
    )

    def block(index, width, prefix):
        if index == 0:  # 1×1 → start×start
            conv = _TransposedConv(
                width, start, strides=1, padding="valid", use_bias=False,
                kernel_initializer=_kernel_init(), name=f"{prefix}dconv0",
            )
        else:
            conv = _TransposedConv(
                width, kernel, strides=2, padding=padding, use_bias=False,
                kernel_initializer=_kernel_init(), name=f"{prefix}dconv{index}",
            )
        layers = [conv]
        if index > 0 and crop:
            layers.append(keras.layers.Cropping2D(crop, name=f"{prefix}crop{index}"))
        layers.append(
            keras.layers.BatchNormalization(
                center=False, scale=False, momentum=0.9, epsilon=1e-5, name=f"{prefix}bn{index}"
            )
        )
        layers.append(_prelu(f"{prefix}prelu{index}"))
        return layers

    def output_layers(prefix):
        layers = [
            _TransposedConv(
                image_shape[-1], last_kernel, strides=1, padding=last_padding,
                kernel_initializer=_kernel_init(), bias_initializer=_bias_init(),
                name=f"{prefix}dconv4",
            )
        ]
        if last_crop:
            layers.append(keras.layers.Cropping2D(last_crop, name=f"{prefix}crop4"))
        layers.append(keras.layers.Activation("tanh", name=f"{prefix}tanh"))
        return layers

    z = keras.Input((latent_dim,), name="latent")
    h = keras.layers.Reshape((1, 1, latent_dim), name="g_reshape")(z)
    for index in range(tied):
        for layer in block(index, filters[index], "g_"):
            h = layer(h)
    outputs = []
    for domain in ("a", "b"):
        x = h
        for index in range(tied, 4):
            for layer in block(index, filters[index], f"g_{domain}_"):
                x = layer(x)
        for layer in output_layers(f"g_{domain}_"):
            x = layer(x)
        outputs.append(x)
    generator_a = keras.Model(z, outputs[0], name="generator_a")
    generator_b = keras.Model(z, outputs[1], name="generator_b")
    for generator in (generator_a, generator_b):
        if tuple(generator.output_shape[1:]) != image_shape:  # a geometry bug
            raise AssertionError(f"{generator.name} makes {generator.output_shape}, not {image_shape}.")
    return generator_a, generator_b


def cogan_discriminators(
    image_shape=(28, 28, 1),
    filters=DISCRIMINATOR_FILTERS,
    shared_layers=None,
    share=True,
):
    """Two discriminators that share their LAST layers:
    `(discriminator_a, discriminator_b)`.

    Each maps images `(batch, *image_shape)` to one logit per image,
    `(batch, 1)`. The first block (conv 5×5 and max-pool) is each domain's
    own; the later blocks are the same layer objects in both.

    Args:
        image_shape: `(height, width, channels)`, at least 16×16 (e.g.
            28×28×c or 32×32×c).
        filters: the three conv widths (official: 20, 50, 500).
        shared_layers: how many of the three blocks after the first (conv
            5×5 and max-pool; conv over the whole map and PReLU; the 1×1
            scoring conv), counted from the output, are tied; `None`: all
            three (the paper's network). The first block is never tied.
        share: `False` builds the same networks with nothing tied.

    Example:

    ```python
    d_a, d_b = cogan_discriminators((32, 32, 3), filters=(8, 16, 32))
    assert d_a.get_layer("d_a_conv0") is not d_b.get_layer("d_b_conv0")
    assert d_a.get_layer("d_conv3") is d_b.get_layer("d_conv3")
    ```
    """
    image_shape = check_image_shape(image_shape, "cogan_discriminators")
    filters = _widths(filters, 3, DISCRIMINATOR_FILTERS, "discriminator filters")
    tied = _shared_count(
        shared_layers, share, 3, DISCRIMINATOR_SHARED_LAYERS, "discriminator shared_layers"
    )
    height, width = image_shape[:2]
    # Valid 5×5 convs and 2×2 pools: 28 → 24 → 12 → 8 → 4; 32 → 28 → 14 → 10 → 5.
    remaining = [((size - 4) // 2 - 4) // 2 for size in (height, width)]
    if min(remaining) < 1:
        raise ValueError(
            f"cogan_discriminators needs images of at least 16×16; got {height}×{width}."
        )

    def conv(width_, kernel, name):
        return keras.layers.Conv2D(
            width_, kernel, padding="valid", kernel_initializer=_kernel_init(),
            bias_initializer=_bias_init(), name=name,
        )

    def block(index, prefix):
        if index == 0:
            return [conv(filters[0], 5, f"{prefix}conv0"), MaxPooling2x2(name=f"{prefix}pool0")]
        if index == 1:
            return [conv(filters[1], 5, f"{prefix}conv1"), MaxPooling2x2(name=f"{prefix}pool1")]
        if index == 2:
            return [conv(filters[2], tuple(remaining), f"{prefix}conv2"), _prelu(f"{prefix}prelu2")]
        return [conv(1, 1, f"{prefix}conv3"), keras.layers.Flatten(name=f"{prefix}score")]

    first_tied = 4 - tied  # blocks first_tied..3 are tied
    shared = {index: block(index, "d_") for index in range(first_tied, 4)}
    models = []
    for domain in ("a", "b"):
        x = inputs = keras.Input(image_shape, name=f"image_{domain}")
        for index in range(4):
            layers = shared[index] if index in shared else block(index, f"d_{domain}_")
            for layer in layers:
                x = layer(x)
        models.append(keras.Model(inputs, x, name=f"discriminator_{domain}"))
    return tuple(models)
