"""DCGAN networks (Radford et al. 2015, §3 "Approach and model architecture").

Guidelines: strided convolutions in the discriminator and fractionally-strided
ones in the generator, no pooling, batch normalization in both networks except
the generator's output and the discriminator's input, ReLU in the generator
(tanh output), LeakyReLU (0.2) in the discriminator, N(0, 0.02) initial
weights, and no biases (as in the reference implementation). The generator starts with a projection of z reshaped to a small
spatial map ("project and reshape").
"""

import functools

import keras

from kerasgan.layers.subpixel_conv2d_transpose import SubPixelConv2DTranspose
from kerasgan.nets import options


def _init():
    return keras.initializers.RandomNormal(0.0, 0.02)


def _gamma_init():
    return keras.initializers.RandomNormal(1.0, 0.02)


def dcgan_base_size(image_shape):
    """Spatial size of the first map and the number of ×2 upsamplings.

    64×64 → 4×4 and 4 steps; 32×32 → 4×4 and 3; 28×28 → 7×7 and 2.
    """
    height, width = image_shape[0], image_shape[1]
    if height != width:
        raise ValueError(f"DCGAN expects square images; got {image_shape}.")
    size, steps = height, 0
    while size % 2 == 0 and size > 4 and size != 7:
        size //= 2
        steps += 1
    if steps == 0:
        raise ValueError(
            f"DCGAN needs an image size that halves at least once to a base of "
            f"4 to 7 pixels (e.g. 28, 32, 64, 128); got {height}."
        )
    return size, steps


def dcgan_generator(
    image_shape=(64, 64, 3),
    latent_dim=100,
    filters=64,
    upsampling="auto",
    name="generator",
    num_classes=None,
):
    """z → project & reshape → (BN, ReLU, ×2 fractionally-strided conv)* → tanh.

    For 64×64×3 and filters=64 this is the paper's generator:
    4×4×512 → 8×8×256 → 16×16×128 → 32×32×64 → 64×64×3.

    Args:
        upsampling: how the fractionally-strided convolutions compute, all
            with the same function and weights (`SubPixelConv2DTranspose`):
            `"auto"` (the fastest form on the active backend), `"subpixel"`
            or `"transpose"`. `"keras"` builds plain
            `keras.layers.Conv2DTranspose` layers instead (their weight files
            are keyed differently).
        num_classes: class-conditional generator (Mirza & Osindero 2014):
            a second input, the one-hot label, is concatenated with z.
    """
    if upsampling not in ("auto", "subpixel", "transpose", "keras"):
        raise ValueError(
            f"upsampling must be 'auto', 'subpixel', 'transpose' or 'keras'; got {upsampling!r}."
        )
    if upsampling == "keras":
        Upsample = keras.layers.Conv2DTranspose
    else:
        Upsample = functools.partial(SubPixelConv2DTranspose, implementation=upsampling)
    size, steps = dcgan_base_size(image_shape)
    channels = filters * 2 ** (steps - 1)
    inputs, h = options.latent_inputs(latent_dim, num_classes)
    h = keras.layers.Dense(size * size * channels, use_bias=False, kernel_initializer=_init(), name="project")(h)
    h = keras.layers.Reshape((size, size, channels), name="reshape")(h)
    for i in range(steps):
        h = keras.layers.BatchNormalization(gamma_initializer=_gamma_init(), name=f"bn_{i}")(h)
        h = keras.layers.ReLU(name=f"relu_{i}")(h)
        last = i == steps - 1
        channels = image_shape[-1] if last else channels // 2
        h = Upsample(
            channels,
            4,
            strides=2,
            padding="same",
            use_bias=False,
            kernel_initializer=_init(),
            name=f"upsample_{i}",
        )(h)
    x = keras.layers.Activation("tanh", name="tanh")(h)
    return keras.Model(inputs, x, name=name)


def dcgan_discriminator(
    image_shape=(64, 64, 3),
    filters=64,
    name="discriminator",
    normalization="batch",
    spectral_normalization=False,
    minibatch_discrimination=None,
    outputs=1,
    class_outputs=None,
    num_classes=None,
):
    """(×½ strided conv, normalization except first, LeakyReLU 0.2)* → logit.

    For 64×64×3 and filters=64 this is the paper's discriminator:
    32×32×64 → 16×16×128 → 8×8×256 → 4×4×512 → logit.

    Args:
        normalization: `"batch"` (DCGAN), `"layer"` or `None` (a WGAN-GP
            critic must not use batch norm, Gulrajani et al. 2017, §4).
        spectral_normalization: wrap every conv and dense layer in
            `kerasgan.layers.SpectralNormalization` (SNGAN).
        minibatch_discrimination: `(num_kernels, kernel_dim)` to add
            `MinibatchDiscrimination` features before the output.
        outputs: scores per sample (K for a semi-supervised discriminator).
        class_outputs: add a second output of this many class logits
            (AC-GAN's auxiliary classifier).
        num_classes: class-conditional discriminator: a second input, the
            one-hot label, is broadcast to a map and concatenated with the
            image's channels.
    """
    options.check_normalization(normalization)
    _, steps = dcgan_base_size(image_shape)
    x = keras.Input(tuple(image_shape), name="image")
    inputs, h = x, x
    num_classes = options.check_classes(num_classes, "num_classes")
    if num_classes:
        label = options.label_input(num_classes)
        inputs = [x, label]
        maps = keras.layers.Reshape((1, 1, num_classes), name="label_map")(label)
        maps = keras.layers.UpSampling2D(tuple(image_shape[:2]), name="label_broadcast")(maps)
        h = keras.layers.Concatenate(name="image_and_label")([x, maps])
    for i in range(steps):
        h = options.maybe_spectral(
            keras.layers.Conv2D(
                filters * 2**i,
                4,
                strides=2,
                padding="same",
                use_bias=False,
                kernel_initializer=_init(),
                name=f"conv_{i}",
            ),
            spectral_normalization,
        )(h)
        if i > 0:
            layer = options.normalization_layer(normalization, name=f"bn_{i}")
            if layer is not None:
                h = layer(h)
        h = keras.layers.LeakyReLU(0.2, name=f"lrelu_{i}")(h)
    h = keras.layers.Flatten(name="flatten")(h)
    out = options.discriminator_head(
        h, outputs, class_outputs, minibatch_discrimination, spectral_normalization, _init(),
        use_bias=False,
    )
    return keras.Model(inputs, out, name=name)
