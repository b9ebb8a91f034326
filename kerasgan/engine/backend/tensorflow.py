"""TensorFlow steps: gradients by `tf.GradientTape`.

Under a `tf.distribute` strategy (`MirroredStrategy`, or
`MultiWorkerMirroredStrategy` across hosts) Keras runs `train_step` once per
replica on that replica's slice of the global batch, and the optimizers
all-reduce (sum) the gradients before applying them to the mirrored
variables. With more than one replica in sync the step here:

- divides each player's loss by the number of replicas before
  differentiating, so that the summed gradients are those of the global-batch
  mean loss (as Keras's own `scale_loss_for_distribution`); the logs stay
  per-replica means, which Keras averages over replicas;
- computes batch-normalization statistics over the global batch
  (`BatchNormalization.synchronized`, switched on for the traced step only, so
  that saved configs stay loadable on every backend);
- draws random rows (latent vectors, gradient-penalty weights) for the
  global batch from the shared seed state and keeps this replica's rows
  (`draw_batch`), and splits the global batch into the k discriminator
  minibatches as one device would (`split_batch`).

One step on n replicas then equals one step on one device, up to float
rounding (tests/test_distributed.py; across two processes as two hosts:
tests/test_multihost.py). Under a multi-worker strategy the logs leave the
step as vectors of one element, which Keras's fit reduces to the scalar
mean (it cannot reduce scalars there).
"""

import contextlib
import warnings

import keras
import tensorflow as tf

from kerasgan import fast_ops


def _multi_replica_context():
    """The replica context of a strategy with more than one replica, or None."""
    context = tf.distribute.get_replica_context()
    if context is None or context.num_replicas_in_sync == 1:
        return None
    return context


def train_step(model, data):
    # Strided convolutions with XLA-CPU-friendly input gradients:
    # kerasgan/fast_ops/tensorflow_convolutions.py.
    with fast_ops.scope("tensorflow"):
        if _multi_replica_context() is None:
            return model.train_iteration(data)
        with _synchronized_batch_norm(model):
            logs = model.train_iteration(data)
    if _multi_worker(tf.distribute.get_strategy()):
        # Keras's fit reduces the replicas' logs with
        # `strategy.reduce(MEAN, value, axis=0)` under a multi-worker strategy,
        # which fails on scalars ("Invalid reduction dimension 0 for input with
        # 0 dimensions", tensorflow/tensorflow#72388). Of a vector of one
        # element it is the scalar mean over replicas, what one host's
        # MirroredStrategy gives.
        logs = tf.nest.map_structure(
            lambda value: tf.reshape(value, [1]) if value.shape.rank == 0 else value, logs
        )
    return logs


def _multi_worker(strategy):
    """Whether Keras's fit treats `strategy` as multi-worker (the condition of
    `keras.src.backend.tensorflow.trainer._collective_all_reduce_multi_worker`)."""
    in_multi_worker_mode = getattr(strategy.extended, "_in_multi_worker_mode", None)
    return (
        isinstance(strategy, tf.distribute.MultiWorkerMirroredStrategy)
        and in_multi_worker_mode is not None
        and in_multi_worker_mode()
    )


def _replica_mean(loss):
    """The loss whose replica-summed gradients are those of the global mean."""
    context = _multi_replica_context()
    if context is None:
        return loss
    # The optimizer sums the replicas' gradients (all-reduce).
    return loss / tf.cast(context.num_replicas_in_sync, loss.dtype)


def take_step(model, player, loss_fn):
    variables = model.player_variables(player)
    with tf.GradientTape() as tape:
        loss, logs = loss_fn()
        loss = _replica_mean(loss)
    grads = tape.gradient(loss, variables)
    model.player_optimizer(player).apply(grads, variables)
    return logs


def forward_with_pullback(model, player, fn):
    variables = model.player_variables(player)
    with tf.GradientTape(watch_accessed_variables=False) as tape:
        tape.watch([v.value for v in variables])
        outputs = fn()

    def pullback(cotangent):
        return tape.gradient(
            tf.nest.flatten(outputs), variables, output_gradients=tf.nest.flatten(cotangent)
        )

    return outputs, pullback


def take_step_through(model, player, outputs, pullback, loss_fn):
    # `outputs` may be a structure of tensors (CycleGAN's translations).
    with tf.GradientTape(watch_accessed_variables=False) as tape:
        tape.watch(outputs)
        loss, logs = loss_fn(outputs)
        loss = _replica_mean(loss)
    cotangent = tape.gradient(
        loss, outputs, unconnected_gradients=tf.UnconnectedGradients.ZERO
    )
    grads = pullback(cotangent)
    model.player_optimizer(player).apply(grads, model.player_variables(player))
    return logs


def input_gradient(fn, x):
    """`(fn(x), d sum(fn(x)) / dx)`, differentiable again (nested tapes)."""
    x = tf.convert_to_tensor(x)
    with tf.GradientTape() as tape:
        tape.watch(x)
        outputs = fn(x)
        total = tf.reduce_sum(outputs)
    return outputs, tape.gradient(total, x)


# ------------------------------------------------------------ distribution
@contextlib.contextmanager
def _synchronized_batch_norm(model):
    """Global-batch statistics in every `BatchNormalization` while tracing."""
    layers = [
        layer for layer in model._flatten_layers(include_self=False)
        if isinstance(layer, keras.layers.BatchNormalization) and not layer.synchronized
    ]
    for layer in layers:
        layer.synchronized = True
    try:
        yield
    finally:
        for layer in layers:
            layer.synchronized = False


def _replica_offsets(context, local_size):
    """(global size, first global row of this replica) from all replicas' sizes."""
    n = context.num_replicas_in_sync
    replica = context.replica_id_in_sync_group
    own = tf.one_hot(replica, n, dtype=tf.float32) * tf.cast(local_size, tf.float32)
    sizes = tf.cast(context.all_reduce(tf.distribute.ReduceOp.SUM, own), tf.int32)
    return tf.reduce_sum(sizes), tf.reduce_sum(sizes[:replica])


def _all_gather(context, x):
    """Every replica's `x`, concatenated along axis 0 in replica order.

    `ReplicaContext.all_gather` does this, but fails under
    `MultiWorkerMirroredStrategy` ("ValueError: destinations can not be
    empty", TF 2.21); an all-reduce works under every strategy. Each replica
    puts its rows at their place in a global batch of zeros, and the sum
    over replicas is exact (every other term of each element is zero).
    """
    local = tf.shape(x)[0]
    total, offset = _replica_offsets(context, local)
    dtype = x.dtype
    # The dtypes collective reductions take; others travel exactly in a wider one.
    if dtype in (tf.float16, tf.float32, tf.float64, tf.int32, tf.int64):
        wire = dtype
    else:
        wire = tf.float32 if dtype.is_floating else tf.int64
    paddings = [[offset, total - offset - local]] + [[0, 0]] * (x.shape.rank - 1)
    padded = tf.pad(tf.cast(x, wire), paddings)
    return tf.cast(context.all_reduce(tf.distribute.ReduceOp.SUM, padded), dtype)


def draw_batch(draw, batch_size):
    context = _multi_replica_context()
    if context is None:
        return draw(batch_size)
    # Replicas hold consecutive slices of the global batch, in replica order.
    total, offset = _replica_offsets(context, batch_size)
    return draw(total)[offset : offset + batch_size]


def split_batch(x, k, split):
    context = _multi_replica_context()
    if context is None or k == 1 or x is None:
        return split(x, k)
    if isinstance(x, (tuple, list)):
        return list(zip(*(split_batch(part, k, split) for part in x)))
    n = context.num_replicas_in_sync
    replica = context.replica_id_in_sync_group
    # Global minibatch j is global[j·m : (j+1)·m] (m = global // k, as on one
    # device); this replica keeps its n-th share of each of them.
    whole = _all_gather(context, x)
    m = tf.shape(whole)[0] // k
    start = replica * m // n
    stop = (replica + 1) * m // n
    return [whole[j * m + start : j * m + stop] for j in range(k)]


def resolve_jit_compile(model, jit_compile):
    # Keras XLA-compiles the whole multi-replica step (`strategy.run` inside
    # one `tf.function(jit_compile=True)`), which cannot reach the replicas'
    # variables on their devices; Keras's own "auto" turns XLA off under
    # tf.distribute too.
    strategy = model.distribute_strategy
    if strategy.num_replicas_in_sync == 1:
        return AUTO_JIT_COMPILE if jit_compile == "auto" else jit_compile
    if jit_compile is True:
        warnings.warn(
            "jit_compile=True does not work under a tf.distribute strategy "
            f"with {strategy.num_replicas_in_sync} replicas (Keras compiles "
            "all replicas as one XLA program); compiling without XLA.",
            stacklevel=4,
        )
    return False


# What `compile(jit_compile="auto")` means for kerasgan models. Keras leaves
# XLA off for TensorFlow on CPU; for these models it is faster (DCGAN-64:
# 54.6 vs 34.6 images/s, ../shared/NOTES.md; see benchmarks/). Under a
# multi-replica tf.distribute strategy it is off (`resolve_jit_compile`).
AUTO_JIT_COMPILE = True
