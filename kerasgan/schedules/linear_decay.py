"""Constant, then linear decay towards zero: CycleGAN's and StarGAN's schedule."""

import keras
from keras import ops


@keras.saving.register_keras_serializable(package="kerasgan")
class LinearDecay(keras.optimizers.schedules.LearningRateSchedule):
    """`initial_learning_rate` for `constant_steps`, then linear towards 0.

    The rule of the official CycleGAN code (`lambda_rule` in
    models/networks.py, Zhu et al. 2017 §4: "keep the same learning rate for
    the first 100 epochs and linearly decay the rate to zero over the next
    100 epochs"), applied per period of `steps_per_period` optimizer steps:

        t = step // steps_per_period
        lr = initial · (1 − max(0, t + 1 − constant_steps) / (decay_steps + 1))

    with `constant_steps` and `decay_steps` counted in periods (epochs, when
    `steps_per_period` is the steps per epoch; single steps by default).
    After `constant_steps + decay_steps` periods the rate stays at its last
    value's decrement towards 0 (clipped at 0).

    Example:

    ```python
    schedule = LinearDecay(2e-4, constant_steps=100, decay_steps=100,
                           steps_per_period=steps_per_epoch)
    optimizer = keras.optimizers.Adam(schedule, beta_1=0.5)
    ```
    """

    def __init__(self, initial_learning_rate, constant_steps, decay_steps, steps_per_period=1):
        self.initial_learning_rate = float(initial_learning_rate)
        self.constant_steps = int(constant_steps)
        self.decay_steps = int(decay_steps)
        self.steps_per_period = int(steps_per_period)
        if self.constant_steps < 0 or self.decay_steps < 0 or self.steps_per_period < 1:
            raise ValueError(
                "LinearDecay needs constant_steps >= 0, decay_steps >= 0 and "
                f"steps_per_period >= 1; got {constant_steps}, {decay_steps}, {steps_per_period}."
            )

    def __call__(self, step):
        period = ops.floor_divide(ops.cast(step, "float32"), float(self.steps_per_period))
        decayed = ops.maximum(0.0, period + 1.0 - self.constant_steps) / (self.decay_steps + 1.0)
        return self.initial_learning_rate * ops.maximum(0.0, 1.0 - decayed)

    def get_config(self):
        return {
            "initial_learning_rate": self.initial_learning_rate,
            "constant_steps": self.constant_steps,
            "decay_steps": self.decay_steps,
            "steps_per_period": self.steps_per_period,
        }
