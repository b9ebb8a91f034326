"""ProGAN networks (Karras et al. 2018, "Progressive Growing of GANs for
Improved Quality, Stability, and Variation").

Both networks are built with every block of every resolution from the
start, so their variables (and the optimizers' slots) never change shape;
a call names the stage it runs at:

- stage s works at resolution 4·2^s (stage 0 is 4×4, the last stage the
  full resolution);
- `alpha` in [0, 1] fades the newest block in (§2, Figure 2): the
  generator's output is (1 − α)·upsample(toRGB_{s−1}(h_{s−1})) +
  α·toRGB_s(h_s), and the discriminator's features after its newest block
  are (1 − α)·fromRGB_{s−1}(downsample(x)) + α·block_s(fromRGB_s(x)).

A stage is a Python int, so each stage's call computes only the blocks it
uses; `kerasgan.models.ProGAN` picks the stage inside its train step with
`keras.ops.switch`.

The layers are the official networks' (`networks.py`, `G_paper` and
`D_paper`): equalized learning rate everywhere (§4.1), pixel normalization
after every generator convolution and on the latent vector (§4.2),
LeakyReLU(0.2), nearest-neighbour upsampling and 2×2 average pooling, the
minibatch standard deviation before the discriminator's last block (§3).
Feature maps: nf(k) = min(filter_base / 2^k, max_filters), where the block
at resolution 2^(k+1) has nf(k) maps (512 up to 32×32 with the paper's
filter_base 8192 and max_filters 512, then halving).
"""

import math

import keras
from keras import ops

from kerasgan.layers.equalized_conv2d import EqualizedConv2D
from kerasgan.layers.equalized_dense import EqualizedDense
from kerasgan.layers.minibatch_standard_deviation import MinibatchStandardDeviation
from kerasgan.layers.pixel_normalization import PixelNormalization


def check_resolution(resolution, owner="ProGAN"):
    """`resolution` as an int power of two ≥ 4, or a ValueError."""
    if (
        isinstance(resolution, bool)
        or not isinstance(resolution, int)
        or resolution < 4
        or resolution & (resolution - 1)
    ):
        raise ValueError(
            f"{owner} grows square images from 4×4 by doubling: its resolution must "
            f"be a power of two ≥ 4 (4, 8, 16, 32, 64, 128, ...); got {resolution!r}."
        )
    return resolution


def num_stages(resolution):
    """Stages from 4×4 to `resolution` (4 → 1, 32 → 4, 1024 → 9)."""
    return int(math.log2(check_resolution(resolution))) - 1


def stage_resolution(stage):
    return 4 * 2**stage


def upsample(x):
    """Nearest-neighbour 2× upsampling (the official `upscale2d`)."""
    return ops.repeat(ops.repeat(x, 2, axis=1), 2, axis=2)


def downsample(x, factor=2):
    """`factor`× average pooling (the official `downscale2d`)."""
    if factor == 1:
        return x
    return ops.average_pool(x, factor, strides=factor, padding="valid")


def fade(low, high, alpha):
    """(1 − α)·low + α·high (the official `lerp_clip`)."""
    alpha = ops.cast(alpha, high.dtype)
    return low + (high - low) * alpha


def _lrelu(x):
    return ops.leaky_relu(x, negative_slope=0.2)


class _ProGANNetwork(keras.Model):
    def __init__(self, resolution, channels, filter_base, max_filters, **kwargs):
        super().__init__(**kwargs)
        self.resolution = check_resolution(resolution, type(self).__name__)
        self.channels = int(channels)
        self.filter_base = int(filter_base)
        self.max_filters = int(max_filters)
        if self.channels < 1 or self.filter_base < 1 or self.max_filters < 1:
            raise ValueError(
                f"{type(self).__name__}'s channels, filter_base and max_filters must be "
                f"positive; got {channels}, {filter_base}, {max_filters}."
            )
        self.stages = num_stages(self.resolution)

    def filters(self, k):
        """nf(k) = min(filter_base / 2^k, max_filters), at least 1."""
        return max(1, min(self.filter_base // 2**k, self.max_filters))

    def check_stage(self, stage):
        if stage is None:
            return self.stages - 1
        if isinstance(stage, bool) or not isinstance(stage, int) or not 0 <= stage < self.stages:
            raise ValueError(
                f"{type(self).__name__} has stages 0 (4×4) to {self.stages - 1} "
                f"({self.resolution}×{self.resolution}); got stage={stage!r}."
            )
        return stage

    def get_config(self):
        return {
            "name": self.name,
            "resolution": self.resolution,
            "channels": self.channels,
            "filter_base": self.filter_base,
            "max_filters": self.max_filters,
        }


@keras.saving.register_keras_serializable(package="kerasgan")
class ProGANGenerator(_ProGANNetwork):
    """The progressively grown generator (Table 2, top), all stages built.

    `generator(z, stage=s, alpha=α)` gives images of resolution 4·2^s in
    the toRGB layers' linear range; `stage=None` is the last stage.

    Example:

    ```python
    g = kerasgan.nets.ProGANGenerator(resolution=32, channels=1, latent_dim=128,
                                      max_filters=64)
    images = g(keras.random.normal((8, 128)), stage=1, alpha=0.5)  # (8, 8, 8, 1)
    ```
    """

    def __init__(
        self, resolution=32, channels=3, latent_dim=512, filter_base=8192, max_filters=512, **kwargs
    ):
        kwargs.setdefault("name", "generator")
        super().__init__(resolution, channels, filter_base, max_filters, **kwargs)
        self.latent_dim = int(latent_dim)
        if self.latent_dim < 1:
            raise ValueError(f"latent_dim must be positive; got {latent_dim}.")
        self.normalize = PixelNormalization(name="pixel_norm")
        nf0 = self.filters(1)
        # 4×4: the latent vector → a 4×4 map (gain √2/4 as the official code) → conv.
        self.dense = EqualizedDense(nf0 * 16, gain=math.sqrt(2) / 4, name="block0_dense")
        self.blocks = [[EqualizedConv2D(nf0, 3, name="block0_conv")]]
        for s in range(1, self.stages):
            nf = self.filters(s + 1)
            self.blocks.append(
                [EqualizedConv2D(nf, 3, name=f"block{s}_conv0"),
                 EqualizedConv2D(nf, 3, name=f"block{s}_conv1")]
            )
        self.to_rgb = [
            EqualizedConv2D(self.channels, 1, gain=1.0, name=f"to_rgb{s}")
            for s in range(self.stages)
        ]
        self.build((None, self.latent_dim))

    def build(self, input_shape):
        self.normalize.build((None, self.latent_dim))
        self.dense.build((None, self.latent_dim))
        in_channels = self.filters(1)
        for s, block in enumerate(self.blocks):
            size = stage_resolution(s)
            for conv in block:
                conv.build((None, size, size, in_channels))
                in_channels = conv.filters
            self.to_rgb[s].build((None, size, size, in_channels))
        self.built = True

    @property
    def input_shape(self):
        return (None, self.latent_dim)

    @property
    def output_shape(self):
        return (None, self.resolution, self.resolution, self.channels)

    def features(self, latent, stage):
        """The feature maps after blocks stage − 1 and stage."""
        x = self.normalize(latent)
        x = self.dense(x)
        x = ops.reshape(x, (-1, 4, 4, self.filters(1)))
        x = self.normalize(_lrelu(x))
        previous = None
        for s in range(stage + 1):
            if s > 0:
                previous = x
                x = upsample(x)
            for conv in self.blocks[s]:
                x = self.normalize(_lrelu(conv(x)))
        return previous, x

    def call(self, latent, stage=None, alpha=1.0, training=False):
        stage = self.check_stage(stage)
        previous, x = self.features(latent, stage)
        images = self.to_rgb[stage](x)
        if stage == 0:
            return images
        # §2, Figure 2 (b): the new block faded in over the upsampled old output.
        return fade(upsample(self.to_rgb[stage - 1](previous)), images, alpha)

    def compute_output_shape(self, input_shape, stage=None):
        size = stage_resolution(self.check_stage(stage))
        return (input_shape[0], size, size, self.channels)

    def get_config(self):
        return {**super().get_config(), "latent_dim": self.latent_dim}


@keras.saving.register_keras_serializable(package="kerasgan")
class ProGANDiscriminator(_ProGANNetwork):
    """The progressively grown critic (Table 2, bottom), all stages built.

    `discriminator(x, stage=s, alpha=α)` scores images of resolution 4·2^s,
    one unbounded score per image (WGAN-GP); `stage=None` is the last stage.

    Example:

    ```python
    d = kerasgan.nets.ProGANDiscriminator(resolution=32, channels=1, max_filters=64)
    scores = d(keras.random.normal((8, 8, 8, 1)), stage=1, alpha=0.5)  # (8, 1)
    ```
    """

    def __init__(
        self, resolution=32, channels=3, filter_base=8192, max_filters=512, group_size=4, **kwargs
    ):
        kwargs.setdefault("name", "discriminator")
        super().__init__(resolution, channels, filter_base, max_filters, **kwargs)
        self.group_size = int(group_size)
        self.from_rgb = [
            EqualizedConv2D(self.filters(s + 1), 1, name=f"from_rgb{s}")
            for s in range(self.stages)
        ]
        # Stage 0 (4×4): minibatch stddev, conv, dense, dense to the score.
        self.minibatch_stddev = MinibatchStandardDeviation(self.group_size, name="minibatch_stddev")
        self.blocks = [[
            EqualizedConv2D(self.filters(1), 3, name="block0_conv"),
            EqualizedDense(self.filters(0), name="block0_dense"),
            EqualizedDense(1, gain=1.0, name="block0_score"),
        ]]
        for s in range(1, self.stages):
            self.blocks.append(
                [EqualizedConv2D(self.filters(s + 1), 3, name=f"block{s}_conv0"),
                 EqualizedConv2D(self.filters(s), 3, name=f"block{s}_conv1")]
            )
        self.build((None, self.resolution, self.resolution, self.channels))

    def build(self, input_shape):
        for s in range(self.stages):
            size = stage_resolution(s)
            self.from_rgb[s].build((None, size, size, self.channels))
            if s == 0:
                conv, dense, score = self.blocks[0]
                self.minibatch_stddev.build((None, 4, 4, self.filters(1)))
                conv.build((None, 4, 4, self.filters(1) + 1))
                dense.build((None, 16 * self.filters(1)))
                score.build((None, self.filters(0)))
            else:
                conv0, conv1 = self.blocks[s]
                conv0.build((None, size, size, self.filters(s + 1)))
                conv1.build((None, size, size, self.filters(s + 1)))
        self.built = True

    @property
    def input_shape(self):
        return (None, self.resolution, self.resolution, self.channels)

    @property
    def output_shape(self):
        return (None, 1)

    def block(self, x, s):
        if s == 0:
            conv, dense, score = self.blocks[0]
            x = self.minibatch_stddev(x)
            x = _lrelu(conv(x))
            x = ops.reshape(x, (-1, 16 * self.filters(1)))
            return score(_lrelu(dense(x)))
        for conv in self.blocks[s]:
            x = _lrelu(conv(x))
        return downsample(x)

    def call(self, images, stage=None, alpha=1.0, training=False):
        stage = self.check_stage(stage)
        x = self.block(_lrelu(self.from_rgb[stage](images)), stage)
        if stage > 0:
            # §2, Figure 2 (b): the new block faded in over the old input path.
            old = _lrelu(self.from_rgb[stage - 1](downsample(images)))
            x = fade(old, x, alpha)
            for s in range(stage - 1, -1, -1):
                x = self.block(x, s)
        return x

    def compute_output_shape(self, input_shape, stage=None):
        return (input_shape[0], 1)

    def get_config(self):
        return {**super().get_config(), "group_size": self.group_size}
