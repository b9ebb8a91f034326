"""ProGAN: Karras, Aila, Laine & Lehtinen (2018), "Progressive Growing of
GANs for Improved Quality, Stability, and Variation"."""

import functools

import keras
import numpy as np
from keras import ops

from kerasgan import losses
from kerasgan.engine import validation
from kerasgan.engine.latent_gan import LatentGAN
from kerasgan.engine.packing import check_packing
from kerasgan.losses.gradient_penalty import gradient_penalty
from kerasgan.nets.progan import ProGANDiscriminator
from kerasgan.nets.progan import ProGANGenerator
from kerasgan.nets.progan import check_resolution
from kerasgan.nets.progan import downsample
from kerasgan.nets.progan import fade
from kerasgan.nets.progan import num_stages
from kerasgan.nets.progan import stage_resolution
from kerasgan.nets.progan import upsample
from kerasgan.schedules.growth_schedule import PAPER_SCHEDULE
from kerasgan.schedules.growth_schedule import SHORT_SCHEDULE
from kerasgan.schedules.growth_schedule import GrowthSchedule


def default_schedule(resolution):
    """The paper's (800k, 800k) images per phase from 128×128 up, else a
    short one for small data sets."""
    return PAPER_SCHEDULE if resolution >= 128 else SHORT_SCHEDULE


def fade_real(images, stage, alpha, stages):
    """Real images at stage `stage`'s resolution, faded between resolutions
    as the generator's output is (§2; the official `process_reals`): 2×2
    average pooling down to the stage's size, then (1 − α)·upsample(
    downsample(x)) + α·x."""
    x = downsample(images, 2 ** (stages - 1 - stage))
    if stage == 0:
        return x
    return fade(upsample(downsample(x)), x, alpha)


@keras.saving.register_keras_serializable(package="kerasgan")
class ProGAN(LatentGAN):
    """Progressive growing: 4×4 first, each larger resolution faded in (§2).

    Both networks hold every block from the start (`kerasgan.nets.
    ProGANGenerator` / `ProGANDiscriminator`), so variables and optimizer
    slots never change shape. The stage and the fade-in α are computed
    inside each train step from a counter of the real images seen (a
    non-trainable variable, saved with the model and carried by every
    backend's trainer), by a `kerasgan.schedules.GrowthSchedule`; the step
    runs the stage's networks through `keras.ops.switch`, so a stage
    computes only the blocks it uses (on JAX, the step is compiled once per
    stage instead: `static_step_key`).

    Each iteration (the official `train.py` and `loss.py`, §A.1):
    1. the critic step: real images pooled to the stage's resolution and
       faded like the generator's output; WGAN-GP loss
       D(G(z)) − D(x) + λ·(‖∇D(x̂)‖₂ − 1)² + ε_drift·D(x)²
       (λ = 10, ε_drift = 0.001, §A.1);
    2. one generator step on −D(G(z));
    3. the generator's moving average (β = 0.999), which `generate`
       samples from, is updated, and the counter grows by the batch size.
    With `reset_optimizers` (the official default) both Adam states are
    reset whenever a fade or a stabilisation begins.

    Args:
        image_shape: `(size, size, channels)` with size a power of two ≥ 4.
        latent_dim: size of z (512 in the paper).
        filter_base, max_filters: feature maps min(filter_base / 2^k,
            max_filters) at resolution 2^(k+1) (8192 and 512 in the paper).
        schedule: real images per phase, `(stabilise, fade)`, or a
            `GrowthSchedule`; default: the paper's (800k, 800k) from 128×128
            up, `(60000, 60000)` below.
        gradient_penalty: λ of the WGAN-GP penalty.
        drift: ε_drift, the weight of D(x)² (keeps the critic's scores near 0).
        generator_ema: decay of the generator's moving average.
        group_size: minibatch standard deviation group size (4); batches
            must be a multiple of it (or smaller).
        reset_optimizers: reset both players' Adam moments and step counts
            at every new phase (official `reset_opt_for_new_lod`).
        **kwargs: `LatentGAN` arguments (`seed`, `data_range`, ...).

    Example:

    ```python
    x = kerasgan.data.pad_images(kerasgan.data.load_fashion_mnist(), 32)  # 32×32
    model = kerasgan.models.ProGAN(image_shape=(32, 32, 1), latent_dim=128,
                                   max_filters=128, schedule=(30000, 30000))
    model.compile()
    model.fit(x, batch_size=32, epochs=4)
    model.stage, model.alpha                             # where growing is
    samples = model.generate(16, seed=0)                 # at the current resolution
    ```
    """

    techniques = ("gradient_penalty", "generator_ema", "packing")
    metric_names = ("d_loss", "g_loss", "d_real", "d_fake", "drift", "level", "alpha")
    default_loss = "wasserstein"
    # TensorFlow's XLA did not finish compiling the stage switch (with the
    # penalty's second-order gradients) of a 16×16 test model in 10 minutes;
    # its graph mode builds it in seconds.
    no_auto_xla = ("tensorflow",)

    def __init__(
        self,
        image_shape=(32, 32, 3),
        latent_dim=512,
        filter_base=8192,
        max_filters=512,
        schedule=None,
        gradient_penalty=10.0,
        drift=1e-3,
        generator_ema=0.999,
        group_size=4,
        reset_optimizers=True,
        **kwargs,
    ):
        image_shape = validation.image_shape(image_shape, "ProGAN", "(32, 32, 1) or (128, 128, 3)")
        if image_shape[0] != image_shape[1]:
            raise ValueError(f"ProGAN grows square images; got image_shape {image_shape}.")
        resolution = check_resolution(image_shape[0])
        stages = num_stages(resolution)
        for option, allowed in (("discriminator_steps", 1), ("reuse_fakes", False)):
            if kwargs.get(option, allowed) != allowed:
                raise ValueError(
                    f"ProGAN trains with one critic step per generator step and fresh "
                    f"latent vectors (§A.1); {option}={kwargs[option]!r} is not supported."
                )
        if schedule is None:
            schedule = default_schedule(resolution)
        if isinstance(schedule, dict):
            schedule = GrowthSchedule.from_config(schedule)
        if isinstance(schedule, GrowthSchedule):
            if schedule.stages != stages:
                raise ValueError(
                    f"The schedule has {schedule.stages} stages but {resolution}×{resolution} "
                    f"images need {stages} (4×4 to {resolution}×{resolution})."
                )
        else:
            try:
                stabilise, fade_images = schedule
            except (TypeError, ValueError):
                raise ValueError(
                    "ProGAN's schedule is (stabilise_images, fade_images), real images per "
                    f"phase, e.g. (60000, 60000); got {schedule!r}."
                ) from None
            schedule = GrowthSchedule(stages, stabilise, fade_images)
        self.schedule = schedule
        self.drift = validation.non_negative(drift, "drift") or 0.0
        self.group_size = validation.positive_int(group_size, "group_size")
        self.reset_optimizers = bool(reset_optimizers)
        self.hyperparameters = {
            "image_shape": image_shape,
            "latent_dim": int(latent_dim),
            "filter_base": int(filter_base),
            "max_filters": int(max_filters),
            "schedule": schedule.get_config(),
            "drift": self.drift,
            "group_size": self.group_size,
            "reset_optimizers": self.reset_optimizers,
        }
        generator = ProGANGenerator(
            resolution, image_shape[2], latent_dim, filter_base, max_filters, name="generator"
        )
        # With packing, D's fromRGB layers take m images' channels.
        discriminator = ProGANDiscriminator(
            resolution, image_shape[2] * check_packing(kwargs.get("packing")), filter_base, max_filters, group_size, name="discriminator"
        )
        super().__init__(
            generator,
            discriminator,
            latent_dim=latent_dim,
            gradient_penalty=gradient_penalty,
            generator_ema=generator_ema,
            **kwargs,
        )
        self.stages = stages
        self.resolution = resolution
        # The growth state: real images seen, and the phase of the last step.
        self.images_seen = self.add_weight(
            shape=(), dtype="int32", initializer="zeros", trainable=False, name="images_seen"
        )
        self.phase = self.add_weight(
            shape=(), dtype="int32", initializer="zeros", trainable=False, name="phase"
        )

    def log_names(self):
        return tuple(self.metric_names) + ("gradient_penalty", "gradient_norm")

    def default_optimizer(self, player):
        """Adam(1e-3, β = (0, 0.99), ε = 1e-8), §A.1."""
        return keras.optimizers.Adam(learning_rate=1e-3, beta_1=0.0, beta_2=0.99, epsilon=1e-8)

    def compile(self, generator_optimizer=None, discriminator_optimizer=None, loss=None,
                label_smoothing=None, **kwargs):
        """As `LatentGAN.compile`; the loss is ProGAN's WGAN-GP with drift."""
        if (loss is not None and not isinstance(losses.get(loss), losses.WassersteinLoss)) or label_smoothing:
            raise ValueError(
                "ProGAN trains with its WGAN-GP loss and drift term (§A.1); compile "
                f"takes no other loss or label smoothing (got loss={loss!r}, "
                f"label_smoothing={label_smoothing!r})."
            )
        super().compile(
            generator_optimizer=generator_optimizer,
            discriminator_optimizer=discriminator_optimizer,
            **kwargs,
        )

    # ---------------------------------------------------------------- growth
    def growth(self):
        """`(stage, alpha, phase)` now, as Python numbers."""
        return self.schedule.at(int(ops.convert_to_numpy(self.images_seen)))

    @property
    def stage(self):
        """The current stage: 0 is 4×4, `stages − 1` the full resolution."""
        return self.growth()[0]

    @property
    def alpha(self):
        """The current fade-in weight of the newest block (1 when stable)."""
        return self.growth()[1]

    @property
    def current_resolution(self):
        return stage_resolution(self.stage)

    def sample_with(self, generator, inputs):
        # The toRGB layers are linear (§A.1), so raw outputs stray slightly
        # past the data's range; samples are images, clipped to it as the
        # official code clips when it writes them.
        stage, alpha, _ = self.growth()
        samples = generator(inputs, stage=stage, alpha=alpha, training=False)
        if self.data_range is None:
            return samples
        return ops.clip(samples, *self.data_range)

    def call(self, latent, training=False):
        return self.generator(latent, training=training)

    # ---------------------------------------------------------------- training
    def fit(self, x=None, y=None, batch_size=None, **kwargs):
        """`LatentGAN.fit`, after checking that every batch (the last, partial
        one included) can be split into minibatch-stddev groups."""
        n = len(x) if isinstance(x, np.ndarray) else None
        size = batch_size or 32
        if n is not None and n % size:
            last = n % size
            group = min(self.group_size, last)
            if last % group:
                raise ValueError(
                    f"{n} images in batches of {size} leave a last batch of {last}, which "
                    f"the minibatch standard deviation cannot split into groups of "
                    f"{group}: give a batch size that divides {n}, or a number of images "
                    f"whose remainder is a multiple of {self.group_size}."
                )
        return super().fit(x, y, batch_size=batch_size, **kwargs)

    def adversarial_step(self, data):
        """One iteration of the official training loop at the current stage."""
        real, _ = self.unpack_batch(data)
        n = ops.shape(real)[0]
        stage, alpha, phase = self.schedule(self.images_seen)
        if self.reset_optimizers:
            self._reset_optimizers_on_new_phase(phase)
        # Random draws outside the stage switch (a draw inside a branch could
        # not update the seed's state on JAX).
        latent = self.sample_latent(n)
        # One interpolation weight per critic input (a pack with packing).
        epsilon = keras.random.uniform((n // self.packing, 1, 1, 1), seed=self.seed_generator)
        self.take_step(
            "discriminator",
            lambda: self._at_stage(stage, self.critic_loss_at, real, latent, epsilon, alpha),
        )
        latent = self.sample_latent(n)
        self.take_step(
            "generator", lambda: self._at_stage(stage, self.generator_loss_at, latent, alpha)
        )
        self.images_seen.assign_add(ops.cast(n, "int32"))
        self.record({"level": ops.cast(stage, "float32") - 1.0 + alpha, "alpha": alpha})
        return self.metrics_result()

    def static_step_key(self, read):
        """The stage: on JAX, one compiled step per stage (XLA-CPU runs the
        critic's input gradient inside a `lax.switch` branch many times
        slower than the same code outside one)."""
        return self.schedule.at(int(read(self.images_seen)))[0]

    def _at_stage(self, stage, loss_at, *operands):
        """`loss_at(s, *operands)` for the stage s given as a tensor: the
        stage's own code when the step is compiled for it (JAX), else
        through `keras.ops.switch`."""
        if self.static_step is not None:
            return loss_at(self.static_step, *operands)
        branches = [functools.partial(loss_at, s) for s in range(self.stages)]
        return ops.switch(stage, branches, *operands)

    def critic_loss_at(self, stage, real, latent, epsilon, alpha):
        """The critic's WGAN-GP loss with drift at `stage` (official `D_wgangp_acgan`)."""
        real = fade_real(real, stage, alpha, self.stages)
        fake = ops.stop_gradient(self.generator(latent, stage=stage, alpha=alpha, training=True))

        def critic(packs):
            return ops.cast(self.discriminator(packs, stage=stage, alpha=alpha, training=True), "float32")

        real, fake = self.pack(real), self.pack(fake)
        real_scores, fake_scores = critic(real), critic(fake)
        penalty, norm = gradient_penalty(critic, real, fake, epsilon=epsilon)
        drift = ops.mean(ops.square(real_scores))
        loss = (
            ops.mean(fake_scores) - ops.mean(real_scores)
            + self.gradient_penalty * penalty
            + self.drift * drift
        )
        return loss, {
            "d_real": ops.mean(real_scores),
            "d_fake": ops.mean(fake_scores),
            "drift": drift,
            "gradient_penalty": penalty,
            "gradient_norm": norm,
        }

    def generator_loss_at(self, stage, latent, alpha):
        fake = self.generator(latent, stage=stage, alpha=alpha, training=True)
        scores = self.discriminator(self.pack(fake), stage=stage, alpha=alpha, training=True)
        return -ops.mean(ops.cast(scores, "float32")), {}

    def _reset_optimizers_on_new_phase(self, phase):
        """Zero both players' optimizer states (moments, step counts) when
        the phase differs from the last step's (learning rates are kept)."""
        keep = ops.equal(phase, self.phase)
        for player in self.players:
            optimizer = self.player_optimizer(player)
            for variable in optimizer.variables:
                if variable.name == "learning_rate":
                    continue
                variable.assign(ops.where(keep, variable.value, ops.zeros(variable.shape, variable.dtype)))
        self.phase.assign(phase)

    # ---------------------------------------------------------------- config
    def get_config(self):
        config = super().get_config()
        for key in ("discriminator_steps", "reuse_fakes"):
            config.pop(key, None)
        return config

    def network_config(self):
        # The schedule's config is derived afresh: the stored copy is one of
        # Keras's tracked dicts, which cannot be deep-copied.
        return {**self.hyperparameters, "schedule": self.schedule.get_config()}

