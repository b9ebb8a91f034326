"""The only backend-specific code in kerasgan.

Each module implements five functions with the same meaning:

- `train_step(model, ...)`: Keras's `train_step` for that backend. It runs
  `model.train_iteration(data)`: the backend-agnostic algorithm box
  (`adversarial_step`) and the iteration count.
- `take_step(model, player, loss_fn)`: one gradient step for one player:
  differentiate `loss_fn()` (which returns `(loss, logs)`) with respect to
  `model.player_variables(player)`, apply that player's optimizer, keep every
  other state update `loss_fn` made (batch-norm statistics, RNG state,
  controller variables), and return `logs`.
- `forward_with_pullback(model, player, fn)`: `(fn(), pullback)`, where
  `pullback(d)` is the vector-Jacobian product of `d` with `fn()` w.r.t. the
  player's variables (state updates made by `fn` kept), and
  `take_step_through(model, player, outputs, pullback, loss_fn)`: one step
  of the player on `loss_fn(outputs)`, its gradient `pullback(d loss /
  d outputs)` (the generator step of `reuse_fakes`).
- `input_gradient(fn, x)`: `(fn(x), d sum(fn(x)) / dx)`, itself
  differentiable with respect to the variables `fn` reads, so that a loss
  can contain it (gradient penalties; keras has no portable op for this).

optionally the data-parallel hooks that `kerasgan.engine.distribution`
calls (`draw_batch`, `split_batch`, `resolve_jit_compile`; only TensorFlow
needs them, for `tf.distribute` strategies), `train_function_scope(model)` (a
context in which Keras's trainer builds the train function; only JAX has
one, to compile with its XLA-CPU options and once per
`model.static_step_key`), `slow_precision(compute_dtype)`
(why that dtype would be far slower than float32 here, or None: `fit`
warns; only torch has one, for CPUs without bf16/fp16 convolutions), and
one constant, `AUTO_JIT_COMPILE` (what `compile(jit_compile="auto")` means
for kerasgan models).

Each `train_step` runs inside `kerasgan.fast_ops.scope()`: the optional
faster forms of Keras's ops, which `KERASGAN_FAST_OPS=0` turns off.
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


def input_gradient(fn, x):
    """`(fn(x), d sum(fn(x)) / dx)` on the active backend, differentiable again.

    Example (the gradient of a critic at its inputs, inside a loss):

    ```python
    outputs, grads = kerasgan.engine.backend.input_gradient(
        lambda v: critic(v, training=True), x)
    ```
    """
    return get().input_gradient(fn, x)
