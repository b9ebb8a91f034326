"""ProGAN's growth schedule: the stage and fade-in α from the images seen."""

import keras
from keras import ops

# Images per phase (stabilise, fade). The paper's (Karras et al. 2018,
# Appendix A.1: "800k real images" per fade and per stabilisation) for
# high resolutions; a short one for small data sets.
PAPER_SCHEDULE = (800_000, 800_000)
SHORT_SCHEDULE = (60_000, 60_000)


@keras.saving.register_keras_serializable(package="kerasgan")
class GrowthSchedule:
    """Where progressive growing is after `images_seen` real images.

    Stage 0 (4×4) trains for `stabilise_images`; then each further stage s
    is faded in over `fade_images` (α rising linearly from 0 to 1) and
    stabilised for `stabilise_images` (α = 1); the last stage then trains
    on. As the official code (`train.py`, `TrainingSchedule`):

        phase  = t // (stabilise + fade)
        within = t − phase·(stabilise + fade)
        level  = min(phase + clip((within − stabilise) / fade, 0, 1), stages − 1)
        stage  = ceil(level),  α = level − stage + 1

    `__call__` computes it with `keras.ops` (inside a train step, from a
    counter variable); `at` in plain Python.

    Example:

    ```python
    schedule = GrowthSchedule(stages=4, stabilise_images=1000, fade_images=1000)
    schedule.at(1500)   # (1, 0.5, 1): stage 1 (8×8), α = 0.5, phase 1
    ```
    """

    def __init__(self, stages, stabilise_images, fade_images):
        self.stages = int(stages)
        if self.stages < 1:
            raise ValueError(f"GrowthSchedule needs stages >= 1; got {stages!r}.")
        for name, value in (("stabilise_images", stabilise_images), ("fade_images", fade_images)):
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(
                    f"The growth schedule's {name} is a number of real images "
                    f"per phase and must be a whole number >= 1; got {value!r}."
                )
        self.stabilise_images = int(stabilise_images)
        self.fade_images = int(fade_images)

    @property
    def total_images(self):
        """Images until the last stage is faded in and stabilised once."""
        return (self.stages - 1) * (self.stabilise_images + self.fade_images) + self.stabilise_images

    @property
    def last_phase(self):
        return 2 * (self.stages - 1)

    def __call__(self, images_seen):
        """`(stage, alpha, phase)` as int32, float32 and int32 tensors; the phase
        counts stabilisations and fades (0: stage 0; 2s − 1: fading stage s in;
        2s: stabilising it)."""
        t = ops.cast(images_seen, "int32")
        period = self.stabilise_images + self.fade_images
        index = ops.floor_divide(t, period)
        within = t - index * period
        fading = ops.cast(within >= self.stabilise_images, "int32")
        progress = ops.clip(
            ops.cast(within - self.stabilise_images, "float32") / float(self.fade_images), 0.0, 1.0
        )
        level = ops.minimum(ops.cast(index, "float32") + progress, float(self.stages - 1))
        stage = ops.cast(ops.ceil(level), "int32")
        alpha = level - ops.cast(stage, "float32") + 1.0
        phase = ops.minimum(2 * index + fading, self.last_phase)
        return stage, alpha, phase

    def at(self, images_seen):
        """`(stage, alpha, phase)` as Python numbers."""
        t = int(images_seen)
        period = self.stabilise_images + self.fade_images
        index, within = divmod(t, period)
        progress = min(max((within - self.stabilise_images) / self.fade_images, 0.0), 1.0)
        level = min(index + progress, self.stages - 1)
        stage = int(-(-level // 1))  # ceil
        phase = min(2 * index + int(within >= self.stabilise_images), self.last_phase)
        return stage, level - stage + 1.0, phase

    def get_config(self):
        return {
            "stages": self.stages,
            "stabilise_images": self.stabilise_images,
            "fade_images": self.fade_images,
        }

    @classmethod
    def from_config(cls, config):
        return cls(**config)
