"""The ResNet generator of CycleGAN (Zhu et al. 2017, appendix 7.2), after
Johnson et al. (2016), optionally conditioned on a target-domain vector as in
StarGAN (Choi et al. 2018, §3).

Layout, as the paper's "c7s1-64, d128, d256, R256 ×9, u128, u64, c7s1-3" and
the official code (models/networks.py, `ResnetGenerator`): reflection pad 3,
7×7 conv, norm, ReLU; two 3×3 stride-2 convs (zero padding 1) with norm and
ReLU; residual blocks [reflect pad 1, 3×3 conv, norm, ReLU, reflect pad 1,
3×3 conv, norm] + identity; two 3×3 stride-2 transposed convs (torch's
padding=1, output_padding=1) with norm and ReLU; reflection pad 3, 7×7 conv
to the image channels, tanh. Weights ~ N(0, 0.02). `downsamplings` (not in
the papers) sets how many stride-2 convs there are, 2 by default.
"""

import keras

from kerasgan.layers.reflection_padding2d import ReflectionPadding2D
from kerasgan.nets import translation_options as options


def _check_size(image_shape, downsamplings):
    height, width, _ = image_shape
    factor = 2**downsamplings
    for size, axis in ((height, "height"), (width, "width")):
        if size % factor or size < 4 * factor:
            raise ValueError(
                f"resnet_generator with downsamplings={downsamplings} needs an image height and "
                f"width divisible by {factor} and at least {4 * factor} ({downsamplings} stride-2 "
                f"downsamplings, then as many upsamplings back); got {axis} {size} in "
                f"image_shape {tuple(image_shape)}."
            )


def _conv_norm_relu(h, normalization, name, filters, kernel_size, relu=True, **conv_kwargs):
    h = keras.layers.Conv2D(
        filters,
        kernel_size,
        use_bias=options.conv_bias(normalization),
        kernel_initializer=options.init(),
        name=f"{name}_conv",
        **conv_kwargs,
    )(h)
    h = options.normalize(h, normalization, f"{name}_norm")
    return keras.layers.ReLU(name=f"{name}_relu")(h) if relu else h


def resnet_generator(
    image_shape,
    filters=64,
    residual_blocks=9,
    condition_dim=0,
    normalization="instance",
    downsamplings=2,
    name="resnet_generator",
):
    """Image → encoder (×2⁻ⁿ) → residual blocks → decoder (×2ⁿ) → tanh image,
    n = `downsamplings` (2).

    For 256×256×3 and filters=64 this is CycleGAN's generator with 9
    residual blocks (the paper uses 6 for 128×128). The output has the
    input image's shape.

    Args:
        image_shape: `(height, width, channels)`, height and width divisible
            by 2**downsamplings and at least 4·2**downsamplings (28×28×1 works:
            28 → 14 → 7 → 14 → 28).
        filters: channels of the first conv (64); each downsampling doubles
            them.
        residual_blocks: number of residual blocks.
        condition_dim: > 0 adds a second input, a `(condition_dim,)` vector
            (StarGAN's target-domain label), tiled over the image and
            concatenated with its channels before the first conv (Choi et al.
            2018, §3, and the official model.py); the model then takes
            `[image, condition]`, and the first conv zero-pads as the
            official one (with reflection padding the instance norm after
            it would remove the constant condition maps).
        normalization: `"instance"` (affine-free, CycleGAN's default),
            `"instance_affine"` (StarGAN), `"batch"` or None.
        downsamplings: stride-2 convolutions in the encoder, and as many
            transposed ones in the decoder (2, the paper's d128, d256 and
            u128, u64). Not in the papers: 1 keeps a 14×14 map of a 28×28
            image for the residual blocks, whose cost is the same (a quarter
            of the pixels at four times the channels' square otherwise).

    Example:

    ```python
    g = resnet_generator((128, 128, 3), residual_blocks=6)
    g_star = resnet_generator((128, 128, 3), condition_dim=5, normalization="instance_affine")
    y = g_star([images, target_labels])
    ```
    """
    image_shape = options.check_image_shape(image_shape)
    filters = options.check_int(filters, "filters", 1)
    residual_blocks = options.check_int(residual_blocks, "residual_blocks", 0)
    condition_dim = options.check_int(condition_dim, "condition_dim", 0)
    options.check_normalization(normalization)
    downsamplings = options.check_int(downsamplings, "downsamplings", 0)
    _check_size(image_shape, downsamplings)
    height, width, channels = image_shape

    image = keras.Input(image_shape, name="image")
    inputs, h = image, image
    if condition_dim:
        # StarGAN: c.view(N, c_dim, 1, 1).repeat(1, 1, H, W), concatenated with x.
        condition = keras.Input((condition_dim,), name="condition")
        inputs = [image, condition]
        maps = keras.layers.Reshape((1, 1, condition_dim), name="condition_map")(condition)
        maps = keras.layers.UpSampling2D((height, width), name="condition_tile")(maps)
        h = keras.layers.Concatenate(name="image_and_condition")([image, maps])

    # c7s1-64: 7×7 conv after reflection padding 3. Conditioned (StarGAN):
    # zero padding 3, the official `Conv2d(3 + c_dim, 64, 7, padding=3)`. The
    # tiled condition is constant over the image, and so is its reflection
    # padding; the conv would turn it into a per-channel constant that the
    # instance norm after it subtracts, erasing the condition. Zero padding
    # makes its contribution vary near the borders, which the norm keeps.
    if condition_dim:
        h = keras.layers.ZeroPadding2D(3, name="in_pad")(h)
    else:
        h = ReflectionPadding2D(3, name="in_pad")(h)
    h = _conv_norm_relu(h, normalization, "in", filters, 7)
    # d128, d256: 3×3 stride 2 with torch's padding=1 (zero-pad 1, valid conv).
    for i in range(downsamplings):
        mult = 2 ** (i + 1)
        h = keras.layers.ZeroPadding2D(1, name=f"down_{i}_pad")(h)
        h = _conv_norm_relu(h, normalization, f"down_{i}", filters * mult, 3, strides=2)
    # R256: two 3×3 convs with reflection padding 1, plus the identity.
    for b in range(residual_blocks):
        r = ReflectionPadding2D(1, name=f"res_{b}_pad_a")(h)
        r = _conv_norm_relu(r, normalization, f"res_{b}_a", filters * 2**downsamplings, 3)
        r = ReflectionPadding2D(1, name=f"res_{b}_pad_b")(r)
        r = _conv_norm_relu(r, normalization, f"res_{b}_b", filters * 2**downsamplings, 3, relu=False)
        h = keras.layers.Add(name=f"res_{b}_add")([h, r])
    # u128, u64: torch's ConvTranspose2d(k=3, s=2, padding=1, output_padding=1)
    # keeps rows 1..2H of the full (2H+1)-row transposed convolution.
    for i in range(downsamplings):
        mult = 2 ** (downsamplings - 1 - i)
        h = keras.layers.Conv2DTranspose(
            filters * mult,
            3,
            strides=2,
            padding="valid",
            use_bias=options.conv_bias(normalization),
            kernel_initializer=options.init(),
            name=f"up_{i}_conv",
        )(h)
        h = keras.layers.Cropping2D(((1, 0), (1, 0)), name=f"up_{i}_crop")(h)
        h = options.normalize(h, normalization, f"up_{i}_norm")
        h = keras.layers.ReLU(name=f"up_{i}_relu")(h)
    # c7s1-3: back to the image channels, tanh.
    h = ReflectionPadding2D(3, name="out_pad")(h)
    h = keras.layers.Conv2D(channels, 7, kernel_initializer=options.init(), name="out_conv")(h)
    out = keras.layers.Activation("tanh", name="tanh")(h)
    return keras.Model(inputs, out, name=name)
