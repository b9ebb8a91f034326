"""JAX steps: stateless, with every piece of state carried through `fit`.

The stock JAX trainer calls `train_step(state, data)` with
`state = (trainable, non_trainable, optimizer, metrics)` values. The whole
adversarial step runs inside a `StatelessScope` over that state, so the same
stateful code as on the other backends (layers, `SeedGenerator`, optimizers,
metrics) reads and records values instead of mutating variables. Each player's
gradient is taken by `jax.value_and_grad` over the player's trainable values,
with the loss run in an inner scope; state updates made by the loss (batch-norm
statistics, RNG state, controller variables) are passed out as auxiliary
outputs and recorded in the outer scope.

Under `keras.distribution.DataParallel` nothing here changes: the stock
trainer shards the batch and replicates the state (optimizer variables
included), and XLA partitions this step, traced with global shapes, over the
devices, so losses, gradients, batch-norm statistics and random draws are
those of the global batch (tests/test_distributed.py).
"""

import jax
import keras
# Private, but the only way to read the enclosing scope's current values.
from keras.src.backend.common.stateless_scope import get_stateless_scope


def train_step(model, state, data):
    groups = (
        model.trainable_variables,
        model.non_trainable_variables,
        model.optimizer.variables,
        model.metrics_variables,
    )
    mapping = [
        pair for variables, values in zip(groups, state)
        for pair in zip(variables, values)
    ]
    with keras.StatelessScope(state_mapping=mapping) as scope:
        logs = model.adversarial_step(data)
    new_state = tuple(
        [scope.get_current_value(v) for v in variables] for variables in groups
    )
    return logs, new_state


def take_step(model, player, loss_fn):
    variables = model.player_variables(player)
    own = {id(v) for v in variables}
    others = [v for v in model.variables if id(v) not in own]
    other_values = [v.value for v in others]  # current values in the outer scope

    def compute_loss(values):
        mapping = list(zip(variables, values)) + list(zip(others, other_values))
        with keras.StatelessScope(state_mapping=mapping) as scope:
            loss, logs = loss_fn()
        updated = [scope.get_current_value(v) for v in others]
        return loss, (logs, updated)

    (_, (logs, updated)), grads = jax.value_and_grad(
        compute_loss, has_aux=True
    )([v.value for v in variables])
    for variable, value in zip(others, updated):
        variable.assign(value)
    model.player_optimizer(player).apply(grads, variables)
    return logs


def input_gradient(fn, x):
    """`(fn(x), d sum(fn(x)) / dx)` by `jax.vjp`, differentiable again.

    `fn` runs in an inner scope that reads the current (possibly traced)
    values of all variables; its state updates (batch-norm statistics, power
    iteration vectors) come out as auxiliary outputs and are recorded in the
    enclosing scope, as they would be on the other backends.
    """
    outer = get_stateless_scope()
    updated = []

    def forward(inputs):
        with _RecordingScope() as scope:
            if outer is not None:
                scope.state_mapping.update(outer.state_mapping)
            outputs = fn(inputs)
        updated[:] = list(scope.updates.values())
        return outputs, [value for _, value in updated]

    outputs, vjp, new_values = jax.vjp(forward, jax.numpy.asarray(x), has_aux=True)
    (grad,) = vjp(jax.numpy.ones_like(outputs))
    for (variable, _), value in zip(updated, new_values):
        variable.assign(value)
    return outputs, grad


class _RecordingScope(keras.StatelessScope):
    """A `StatelessScope` that remembers which variables were assigned."""

    def __init__(self):
        super().__init__()
        self.updates = {}

    def add_update(self, update):
        super().add_update(update)
        self.updates[id(update[0])] = update


AUTO_JIT_COMPILE = True

# How SubPixelConv2DTranspose(implementation="auto") computes on this backend.
# XLA-CPU differentiates conv_transpose w.r.t. its kernel very slowly
# (18 s vs 0.5 s for the sub-pixel form on one DCGAN layer; benchmarks/).
FAST_UPSAMPLING = "subpixel"
