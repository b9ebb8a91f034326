"""The only backend-specific code in kerasgan.

Each module implements two functions with the same meaning:

- `train_step(model, ...)`: Keras's `train_step` for that backend. It runs
  `model.adversarial_step(data)`, the backend-agnostic algorithm box.
- `take_step(model, player, loss_fn)`: one gradient step for one player:
  differentiate `loss_fn()` (which returns `(loss, logs)`) with respect to
  `model.player_variables(player)`, apply that player's optimizer, keep every
  other state update `loss_fn` made (batch-norm statistics, RNG state,
  controller variables), and return `logs`.

and two constants: `AUTO_JIT_COMPILE` (what `compile(jit_compile="auto")`
means for kerasgan models) and `FAST_UPSAMPLING` (how
`SubPixelConv2DTranspose(implementation="auto")` computes).
"""

import importlib

import keras


def get():
    """Returns the step module of the active Keras backend."""
    name = keras.backend.backend()
    if name not in ("tensorflow", "jax", "torch"):
        raise ValueError(
            f"kerasgan supports the tensorflow, jax and torch backends; the "
            f"active Keras backend is '{name}'. Set KERAS_BACKEND."
        )
    return importlib.import_module(f"kerasgan.engine.backend.{name}")
