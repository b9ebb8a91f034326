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

import contextlib
import functools
import os

import jax
import keras
# Private, but the only way to read the enclosing scope's current values.
from keras.src.backend.common.stateless_scope import get_stateless_scope
# Private: the `jit` that Keras's JAX trainer compiles the train step with.
from keras.src.backend.jax import trainer as keras_jax_trainer

from kerasgan import fast_ops


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
    # Strided convolutions with XLA-CPU-friendly input gradients, and batch
    # norm summing with dots: kerasgan/fast_ops/jax_*.py.
    with keras.StatelessScope(state_mapping=mapping) as scope, fast_ops.scope("jax"):
        logs = model.train_iteration(data)
    new_state = tuple(
        [scope.get_current_value(v) for v in variables] for variables in groups
    )
    return logs, new_state


def take_step(model, player, loss_fn):
    variables = model.player_variables(player)
    loss_of, record = _pure(model, variables, loss_fn)
    (_, (logs, updated)), grads = jax.value_and_grad(loss_of, has_aux=True)(
        [v.value for v in variables]
    )
    record(updated)
    model.player_optimizer(player).apply(grads, variables)
    return logs


def forward_with_pullback(model, player, fn):
    variables = model.player_variables(player)
    forward, record = _pure(model, variables, lambda: (fn(), None))
    outputs, vjp, (_, updated) = jax.vjp(
        forward, [v.value for v in variables], has_aux=True
    )
    record(updated)

    def pullback(cotangent):
        (grads,) = vjp(cotangent)
        return grads

    return outputs, pullback


def take_step_through(model, player, outputs, pullback, loss_fn):
    loss_of, record = _pure(model, (), loss_fn)
    (_, (logs, updated)), cotangent = jax.value_and_grad(
        lambda x: loss_of([], x), has_aux=True
    )(outputs)
    record(updated)
    model.player_optimizer(player).apply(pullback(cotangent), model.player_variables(player))
    return logs


def _pure(model, variables, fn):
    """`fn` as a function of `variables`' values, and a recorder of its updates.

    Returns `pure(values, *args) -> (out, (extra, updated))`, where `fn(*args)`
    returns `(out, extra)` and runs in a scope that reads `values` for
    `variables` and the current values of every other model variable, and
    `record(updated)`, which assigns the other variables' new values
    (batch-norm statistics, RNG state, controller variables) in the
    enclosing scope.
    """
    own = {id(v) for v in variables}
    others = [v for v in model.variables if id(v) not in own]
    other_values = [v.value for v in others]  # current values in the outer scope

    def pure(values, *args):
        mapping = list(zip(variables, values)) + list(zip(others, other_values))
        with keras.StatelessScope(state_mapping=mapping) as scope:
            out, extra = fn(*args)
        return out, (extra, [scope.get_current_value(v) for v in others])

    def record(updated):
        for variable, value in zip(others, updated):
            variable.assign(value)

    return pure, record


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

# XLA options for the jitted train step on the CPU. Since jaxlib 0.10, XLA-CPU
# hands each convolution to YNNPACK by default, which computes the kernel
# gradients of strided convolutions (`rhs_dilate` windows) 1.5-8x slower than
# XLA's own Eigen convolutions on DCGAN's layers; with this option YNNPACK
# keeps only the dot products. Measured by benchmarks/xla_cpu_convolutions.py
# and the `jax-xla-defaults` configuration of benchmarks/backends.py (figures
# in benchmarks/README.md). Set to {} for XLA's defaults. A user's own
# XLA_FLAGS setting of an option wins, and options this jaxlib does not know
# are dropped.
CPU_COMPILER_OPTIONS = {
    "xla_cpu_experimental_ynn_fusion_type": "LIBRARY_FUSION_TYPE_INDIVIDUAL_DOT",
}


def compiler_options():
    """The options of `CPU_COMPILER_OPTIONS` that apply here, as a dict.

    Empty off the CPU, for options named in the XLA_FLAGS environment
    variable, and for options this jaxlib rejects (checked once per option
    by compiling a one-operation function).
    """
    if jax.default_backend() != "cpu":
        return {}
    flags = os.environ.get("XLA_FLAGS", "")
    return {
        name: value for name, value in CPU_COMPILER_OPTIONS.items()
        if f"--{name}" not in flags and _accepted(name, value)
    }


@functools.lru_cache(maxsize=None)
def _accepted(name, value):
    try:
        jax.jit(lambda x: x + 1, compiler_options={name: value}).lower(1.0).compile()
    except Exception:  # an unknown option or value: XLA's error types vary
        return False
    return True


@contextlib.contextmanager
def train_function_scope(model):
    """Keras's JAX trainer compiles the train step with `compiler_options()`,
    one program per `model.static_step_key` when the model has keys."""
    options = compiler_options()
    stock = keras_jax_trainer.jit
    if stock is not jax.jit:  # Flax NNX's jit: left as it is
        yield
        return
    jit = functools.partial(stock, compiler_options=options) if options else stock
    if model.static_step_key(lambda variable: variable.value) is not None:
        jit = functools.partial(_keyed_jit, model, jit)
    keras_jax_trainer.jit = jit
    try:
        yield
    finally:
        keras_jax_trainer.jit = stock


def _keyed_jit(model, jit, step_fn, **kwargs):
    """`jit(step_fn)`, compiled once per value of `model.static_step_key`,
    read before each step from the state the trainer carries (the step's
    own state, not the variables, which JAX's trainer updates only at the
    end of an epoch). While a key's program is traced, `model.static_step`
    holds the key."""
    programs = {}
    positions = {}

    def reader(state):
        if not positions:
            positions.update({id(v): i for i, v in enumerate(model.non_trainable_variables)})

        def read(variable):
            return jax.device_get(state[1][positions[id(variable)]])

        return read

    def call(state, data):
        key = model.static_step_key(reader(state))
        if key not in programs:

            def traced(state, data, key=key):
                model.static_step = key
                try:
                    return step_fn(state, data)
                finally:
                    model.static_step = None

            programs[key] = jit(traced, **kwargs)
        return programs[key](state, data)

    return call
