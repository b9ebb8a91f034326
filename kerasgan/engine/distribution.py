"""Data-parallel training: the few places where a step depends on the replica.

kerasgan trains on Keras's own distribution engines (docs/distributed.md):

- JAX: `keras.distribution.DataParallel`. The step is traced once with
  global shapes and GSPMD partitions it, so every batch reduction (losses,
  batch-norm statistics, random draws) is already over the global batch:
  nothing here changes anything.
- TensorFlow: `tf.distribute.MirroredStrategy` (and its multi-worker form).
  Each replica runs the step on its slice of the global batch. The
  functions below make that slice behave as its share of the single-device
  step (`kerasgan.engine.backend.tensorflow` implements them).

Every function is the identity of the single-device step when no strategy
with more than one replica is running, and on the JAX and torch backends.
"""

from kerasgan.engine import backend as backend_steps


def _hook(name):
    return getattr(backend_steps.get(), name, None)


def draw_batch(draw, batch_size):
    """`draw(batch_size)`, or this replica's slice of the global-batch draw.

    `draw(n)` makes `n` random rows from a shared `SeedGenerator` (latent
    vectors, interpolation weights). Under a TF strategy every replica
    draws the whole global batch with the same seed state and keeps the
    rows of its own samples, so that the union over replicas is exactly what
    one device draws, and the seed state advances the same way everywhere.
    """
    hook = _hook("draw_batch")
    return hook(draw, batch_size) if hook else draw(batch_size)


def split_batch(x, k, split):
    """Splits a batch into `k` minibatches the way one device would.

    `split(x, k)` is the single-device split. Under a TF strategy with k > 1
    each replica gathers the global batch and keeps its share of each global
    minibatch, so that minibatch j is the same set of samples as on one
    device.
    """
    hook = _hook("split_batch")
    return hook(x, k, split) if hook else split(x, k)


def resolve_jit_compile(model, jit_compile):
    """What `compile(jit_compile=...)` means for `model`: `"auto"` becomes the
    backend's `AUTO_JIT_COMPILE`, and XLA is turned off where the backend's
    distribution engine cannot use it (a multi-replica TF strategy)."""
    hook = _hook("resolve_jit_compile")
    if hook:
        return hook(model, jit_compile)
    return backend_steps.get().AUTO_JIT_COMPILE if jit_compile == "auto" else jit_compile
