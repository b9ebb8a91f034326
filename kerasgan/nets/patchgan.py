"""PatchGAN discriminators: the 70×70 PatchGAN of pix2pix and CycleGAN
(Isola et al. 2017, §3.2.2 and appendix 6.1.2; Zhu et al. 2017, §4 and
appendix 7.2), and StarGAN's discriminator with its domain-classification
head (Choi et al. 2018, §3 and appendix 7.2; official model.py).

Both score overlapping image patches with a fully convolutional network: the
output is a map of scores, one per patch (raw logits, no sigmoid).
"""

import keras

from kerasgan.nets import translation_options as options


def patchgan_receptive_field(layers=3):
    """The patch size (in pixels) each output score of `patchgan_discriminator` sees.

    Backwards from the output, a k×k conv of stride s maps a field r to
    `(r - 1)·s + k`: the two stride-1 4×4 convs give 4 → 7, and each of the
    `layers` stride-2 4×4 convs `r → 2r + 2`, so the field is `9·2^layers - 2`:

    | layers | receptive field |
    |-------:|----------------:|
    | 1      | 16              |
    | 2      | 34              |
    | 3      | 70 (pix2pix / CycleGAN) |
    | 4      | 142             |
    | 5      | 286             |

    Example:

    ```python
    patchgan_receptive_field(3)  # 70
    ```
    """
    layers = options.check_int(layers, "layers", 1)
    field = 1
    for kernel, stride in [(4, 1), (4, 1)] + [(4, 2)] * layers:
        field = (field - 1) * stride + kernel
    return field


def patchgan_output_size(size, layers=3):
    """Side of the score map for an image side `size`: ⌊size / 2^layers⌋ - 2."""
    # Each stride-2 4×4 conv with padding 1 maps s → ⌊s/2⌋, each stride-1 one s → s - 1.
    return options.halvings(int(size), layers) - 2


def patchgan_discriminator(
    image_shape, filters=64, layers=3, normalization="instance", name="patchgan_discriminator"
):
    """Image → `(batch, h, w, 1)` map of patch scores (raw logits).

    The official code's `NLayerDiscriminator` (models/networks.py): 4×4
    convs with padding 1 (zero-pad 1 and a valid conv, as torch's
    padding=1), LeakyReLU 0.2 and N(0, 0.02) weights: C64 stride 2 without
    normalization, `layers - 1` stride-2 convs doubling the filters (at most
    8×`filters`) with normalization, one stride-1 conv with normalization,
    then a 1-channel stride-1 conv. `layers=3` is the 70×70 PatchGAN
    (C64-C128-C256-C512); fewer layers see smaller patches (see
    `patchgan_receptive_field`) and fit smaller images: the map side is
    `⌊size / 2^layers⌋ - 2` (28×28 → 1×1 and 32×32 → 2×2 with 3 layers).

    Args:
        image_shape: `(height, width, channels)`.
        filters: channels of the first conv (64).
        layers: stride-2 convolutions (the reference's `n_layers`).
        normalization: `"instance"` (affine-free, CycleGAN's default),
            `"instance_affine"`, `"batch"` (pix2pix) or None.

    Example:

    ```python
    d = patchgan_discriminator((256, 256, 3))  # 30×30 map of 70×70-patch scores
    ```
    """
    image_shape = options.check_image_shape(image_shape)
    filters = options.check_int(filters, "filters", 1)
    layers = options.check_int(layers, "layers", 1)
    options.check_normalization(normalization)
    map_size = [patchgan_output_size(s, layers) for s in image_shape[:2]]
    if min(map_size) < 1:
        fits = [
            n for n in range(1, layers)
            if min(patchgan_output_size(s, n) for s in image_shape[:2]) >= 1
        ]
        hint = f"at most layers={fits[-1]} fits it" if fits else "no layers value fits it"
        raise ValueError(
            f"patchgan_discriminator: image {image_shape[0]}×{image_shape[1]} is too small for "
            f"layers={layers} (the score map would be {map_size[0]}×{map_size[1]}; it is "
            f"⌊size / 2^layers⌋ - 2); {hint}."
        )

    def conv(h, filters, stride, name, use_bias=True):
        h = keras.layers.ZeroPadding2D(1, name=f"{name}_pad")(h)
        return keras.layers.Conv2D(
            filters,
            4,
            strides=stride,
            use_bias=use_bias,
            kernel_initializer=options.init(),
            name=f"{name}_conv",
        )(h)

    x = keras.Input(image_shape, name="image")
    h = conv(x, filters, 2, "block_0")
    h = keras.layers.LeakyReLU(0.2, name="block_0_lrelu")(h)
    blocks = [(filters * min(2**n, 8), 2) for n in range(1, layers)]
    blocks.append((filters * min(2**layers, 8), 1))
    for n, (channels, stride) in enumerate(blocks, start=1):
        h = conv(h, channels, stride, f"block_{n}", use_bias=options.conv_bias(normalization))
        h = options.normalize(h, normalization, f"block_{n}_norm")
        h = keras.layers.LeakyReLU(0.2, name=f"block_{n}_lrelu")(h)
    out = conv(h, 1, 1, "score")
    return keras.Model(x, out, name=name)


def stargan_default_layers(image_shape, maximum=6):
    """The most stride-2 convs (at most `maximum`, StarGAN's 6) that leave a ≥ 1-pixel map."""
    image_shape = options.check_image_shape(image_shape)
    layers = 0
    while layers < maximum and min(options.halvings(s, layers + 1) for s in image_shape[:2]) >= 1:
        layers += 1
    return layers


def stargan_discriminator(
    image_shape, num_domains, filters=64, layers=None, name="stargan_discriminator"
):
    """Image → `[source_map, domain_logits]` (Choi et al. 2018; official model.py).

    `layers` 4×4 stride-2 convs with padding 1 (zero-pad 1 and a valid
    conv), doubling the filters, each followed by LeakyReLU 0.01, no
    normalization; then two bias-free heads: a 3×3 stride-1 conv (padding 1)
    to one channel, the real/fake (critic) score map `(batch, h, w, 1)`,
    and a conv whose kernel covers the whole final `h × w` map to
    `num_domains` logits, `(batch, num_domains)`. With 128×128 images and 6
    layers the maps are 2×2. Weights keep Keras's default initializers (the
    official code keeps PyTorch's).

    Args:
        image_shape: `(height, width, channels)`.
        num_domains: domain logits (the official code's `c_dim`).
        filters: channels of the first conv (64).
        layers: stride-2 convs (the official `repeat_num`, 6); None picks
            `stargan_default_layers(image_shape)`: 6, or fewer so the final
            map keeps at least one pixel (4 for 28×28, 5 for 32×32).

    Example:

    ```python
    d = stargan_discriminator((128, 128, 3), num_domains=5)
    source, domains = d(images)  # (N, 2, 2, 1), (N, 5)
    ```
    """
    image_shape = options.check_image_shape(image_shape)
    num_domains = options.check_int(num_domains, "num_domains", 1)
    filters = options.check_int(filters, "filters", 1)
    if layers is None:
        layers = stargan_default_layers(image_shape)
    layers = options.check_int(layers, "layers", 1)
    map_size = [options.halvings(s, layers) for s in image_shape[:2]]
    if min(map_size) < 1:
        raise ValueError(
            f"stargan_discriminator: image {image_shape[0]}×{image_shape[1]} is too small for "
            f"layers={layers} (the final map would be {map_size[0]}×{map_size[1]}); use at most "
            f"layers={stargan_default_layers(image_shape, maximum=layers)}."
        )

    x = keras.Input(image_shape, name="image")
    h = x
    for i in range(layers):
        h = keras.layers.ZeroPadding2D(1, name=f"block_{i}_pad")(h)
        h = keras.layers.Conv2D(filters * 2**i, 4, strides=2, name=f"block_{i}_conv")(h)
        h = keras.layers.LeakyReLU(0.01, name=f"block_{i}_lrelu")(h)
    source = keras.layers.Conv2D(1, 3, padding="same", use_bias=False, name="source")(h)
    domains = keras.layers.Conv2D(num_domains, tuple(map_size), use_bias=False, name="domain_conv")(h)
    domains = keras.layers.Reshape((num_domains,), name="domains")(domains)
    return keras.Model(x, [source, domains], name=name)
