"""Data-parallel training on Keras's distribution engines, 2 CPU devices.

JAX: `keras.distribution.DataParallel` over 2 host devices
(`XLA_FLAGS=--xla_force_host_platform_device_count=2`). TensorFlow:
`tf.distribute.MirroredStrategy` over 2 logical CPU devices. For the same
global batch and seed, one `fit` step on 2 devices must give the state one
device gives: both networks' weights, batch-norm moving statistics, every
optimizer variable (Adam's moments see the gradients' scale, which Adam's
first update largely hides), the iteration counters and the latent
`SeedGenerator` state.

The device configuration must be set before the backend initializes, so
each case runs in a fresh interpreter (this file run as a script), which
does the 1-device run, then the 2-device run, and saves both states.

Tolerance: the two runs compute the same values in a different order
(gradients summed over replicas by an all-reduce, batch-norm variance as
E[x²] − E[x]² from all-reduced sums on TF, XLA's partitioned reductions
on JAX), so they agree to float32 rounding: observed differences are
≤ 4e-8 on values of order 1e-2 to 1. Each array is compared with
atol = 1e-5 × its largest magnitude (and rtol 1e-4). The errors this test
is for are far larger: a gradient not scaled by 1/replicas doubles the
Adam moments, per-replica batch-norm statistics or noise slices change
the moving statistics and the weights' update by O(1) of its size.
"""

import json
import os
import subprocess
import sys

import numpy as np
import pytest
from distributed_checks import assert_same_state
from distributed_checks import model_state

TIMEOUT_S = 900
WORKER = os.path.abspath(__file__)
REPO_ROOT = os.path.dirname(os.path.dirname(WORKER))


# ---------------------------------------------------------------- worker
def _build(kind):
    import kerasgan

    common = dict(latent_dim=16, seed=1)
    if kind == "dcgan":
        return kerasgan.models.DCGAN(
            image_shape=(16, 16, 1), generator_filters=8, discriminator_filters=8, **common
        )
    # A gradient penalty (input gradients, interpolation weights from the
    # seed generator) and k = 2 critic minibatches per step; the generator
    # keeps DCGAN's batch norm, and its step reuses the last critic step's
    # fakes (its backward through the kept forward pass).
    return kerasgan.models.WGANGP(
        data_shape=(16, 16, 1),
        generator_width=8,
        discriminator_width=8,
        discriminator_steps=2,
        reuse_fakes=True,
        **common,
    )


def _images():
    rng = np.random.default_rng(0)
    return np.tanh(rng.standard_normal((8, 16, 16, 1))).astype("float32")


def _run_jax(kind, devices):
    import jax
    import keras

    meta = {}
    if devices > 1:
        distribution = keras.distribution.DataParallel(devices=jax.devices()[:devices])
        keras.distribution.set_distribution(distribution)
    keras.utils.set_random_seed(0)
    model = _build(kind)
    model.compile()
    seen = []
    step = model.adversarial_step

    def probed_step(data):
        x = keras.utils.unpack_x_y_sample_weight(data)[0]
        # Called while XLA compiles the step, with the batch's sharding.
        jax.debug.inspect_array_sharding(
            x, callback=lambda s: seen.append((len(s.device_set), s.shard_shape(x.shape)[0], x.shape[0]))
        )
        return step(data)

    object.__setattr__(model, "adversarial_step", probed_step)
    history = model.fit(_images(), batch_size=8, epochs=1, shuffle=False, verbose=0)
    meta["batch_sharding"] = seen  # (devices, rows per device, global rows)
    meta["variable_devices"] = sorted(
        {len(v.value.sharding.device_set) for v in model.variables + model.optimizer.variables}
    )
    meta["fully_replicated"] = all(
        v.value.sharding.is_fully_replicated for v in model.variables + model.optimizer.variables
    )
    meta["jit_compile"] = bool(model.jit_compile)
    meta["history"] = {k: float(v[-1]) for k, v in history.history.items()}
    keras.distribution.set_distribution(None)
    return model_state(model, lambda v: np.asarray(v.value)), meta


def _run_tensorflow(kind, devices):
    import keras
    import tensorflow as tf

    meta = {}
    if devices > 1:
        strategy = tf.distribute.MirroredStrategy([f"/cpu:{i}" for i in range(devices)])
    else:
        strategy = tf.distribute.get_strategy()  # the default: no distribution
    keras.utils.set_random_seed(0)
    with strategy.scope():
        model = _build(kind)
        # 1 device: XLA off, like the multi-replica step (kerasgan and Keras turn
        # it off under tf.distribute): TF's stateless RNG picks another
        # algorithm under XLA, so the latent draws would differ.
        model.compile(**({} if devices > 1 else {"jit_compile": False}))
        rows = tf.Variable(
            0.0,
            trainable=False,
            synchronization=tf.VariableSynchronization.ON_READ,
            aggregation=tf.VariableAggregation.SUM,
        )
    step = model.adversarial_step

    def probed_step(data):
        x = keras.utils.unpack_x_y_sample_weight(data)[0]
        rows.assign_add(tf.cast(tf.shape(x)[0], tf.float32))  # per replica
        return step(data)

    object.__setattr__(model, "adversarial_step", probed_step)
    history = model.fit(_images(), batch_size=8, epochs=1, shuffle=False, verbose=0)
    meta["replicas"] = model.distribute_strategy.num_replicas_in_sync
    meta["replica_devices"] = list(strategy.extended.worker_devices) if devices > 1 else []
    meta["rows_per_replica"] = [float(v.numpy()) for v in getattr(rows, "values", [rows])]
    meta["jit_compile"] = bool(model.jit_compile)
    meta["history"] = {k: float(v[-1]) for k, v in history.history.items()}

    # Mirrored variables keep one copy per device: all must agree (a variable
    # updated differently per replica, e.g. unsynchronized batch-norm
    # statistics, would otherwise hide behind the first copy).
    divergence = {}
    for variable in model.variables + model.optimizer.variables + [model.seed_generator.state]:
        copies = getattr(variable.value, "values", None)
        if copies and len(copies) > 1:
            arrays = [np.asarray(c.numpy()) for c in copies]
            divergence[variable.path] = max(
                float(np.max(np.abs(a.astype("float64") - arrays[0]))) for a in arrays[1:]
            )
    meta["mirrored_variables"] = len(divergence)
    meta["replica_divergence"] = max(divergence.values(), default=0.0)
    return model_state(model, lambda v: np.asarray(v.numpy())), meta


def _worker(backend, kind, out):
    if backend == "jax":
        flags = os.environ.get("XLA_FLAGS", "")
        os.environ["XLA_FLAGS"] = f"{flags} --xla_force_host_platform_device_count=2".strip()
    os.environ["KERAS_BACKEND"] = backend
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    if backend == "tensorflow":
        import tensorflow as tf

        cpu = tf.config.list_physical_devices("CPU")[0]
        tf.config.set_logical_device_configuration(
            cpu, [tf.config.LogicalDeviceConfiguration()] * 2
        )
    run = _run_jax if backend == "jax" else _run_tensorflow
    arrays, metas = {}, {}
    for devices in (1, 2):
        state, meta = run(kind, devices)
        arrays.update({f"{devices}/{name}": value for name, value in state.items()})
        metas[devices] = meta
    np.savez(out, meta=json.dumps(metas), **arrays)


# ---------------------------------------------------------------- tests
def _engine():
    import keras

    backend = keras.backend.backend()
    if backend not in ("jax", "tensorflow"):
        pytest.skip(
            f"Keras has no data-parallel engine for the {backend} backend "
            "(keras.distribution is implemented for JAX; tf.distribute is "
            "TensorFlow's)."
        )
    return backend


def _one_and_two_devices(kind, tmp_path):
    backend = _engine()
    out = tmp_path / f"{backend}_{kind}.npz"
    env = dict(os.environ, KERAS_BACKEND=backend, PYTHONPATH=REPO_ROOT)
    result = subprocess.run(
        [sys.executable, WORKER, backend, kind, str(out)],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=TIMEOUT_S,
    )
    assert result.returncode == 0, result.stderr[-6000:]
    data = np.load(out)
    metas = {int(k): v for k, v in json.loads(str(data["meta"])).items()}
    states = {
        devices: {
            key.split("/", 1)[1]: data[key] for key in data.files if key.startswith(f"{devices}/")
        }
        for devices in (1, 2)
    }
    return backend, states, metas


# The WGAN-GP step (5 critic minibatches, the penalty's second-order
# gradients) amplifies the rounding of the replicas' all-reduce, which adds
# two partial gradient sums where one device sums the batch: TensorFlow's
# run on the CI machine was once 8.2e-5 (7.7e-4 of the array's largest
# magnitude) off in a critic's Adam momentum, other runs within 1e-5. It is
# held to the multi-host test's standard; a replica that trained on the
# wrong half or skipped the averaging is off by the order of the values.
TOLERANCE = {"dcgan": {}, "wgan_gp": {"rtol": 1e-3, "atol_scale": 1e-3}}


def _check(backend, states, metas, kind):
    one, two = states[1], states[2]
    kinds = assert_same_state(one, two, **TOLERANCE[kind])
    assert kinds["trainable"] > 0 and kinds["optimizer"] > 0
    if kind == "dcgan":
        assert kinds["bn"] > 0  # batch-norm moving means and variances were compared
    # The step did something, so that equal states are not just initial ones:
    # the players' optimizers counted their updates and hold nonzero moments.
    counters = [int(v) for name, v in one.items() if name.startswith("optimizer/") and v.dtype.kind in "iu"]
    assert max(counters) >= 1
    assert all(
        np.any(v != 0) for name, v in one.items()
        if name.startswith("optimizer/") and ("momentum" in name or "velocity" in name)
    )
    for name, value in metas[1]["history"].items():
        np.testing.assert_allclose(metas[2]["history"][name], value, rtol=1e-4, atol=1e-6, err_msg=name)

    # The 2-device run really ran on 2 devices, each on half the batch.
    two_meta = metas[2]
    if backend == "jax":
        assert two_meta["variable_devices"] == [2] and two_meta["fully_replicated"]
        assert two_meta["batch_sharding"], "the step was not traced with sharded data"
        assert all(seen == [2, 4, 8] for seen in two_meta["batch_sharding"])
        assert metas[1]["variable_devices"] == [1]
    else:
        assert two_meta["replicas"] == 2 and len(set(two_meta["replica_devices"])) == 2
        assert two_meta["rows_per_replica"] == [4.0, 4.0]
        assert two_meta["jit_compile"] is False  # resolved by compile()
        assert two_meta["mirrored_variables"] > 0
        assert two_meta["replica_divergence"] <= 1e-6
        assert metas[1]["replicas"] == 1 and metas[1]["rows_per_replica"] == [8.0]


def test_dcgan_step_on_two_devices_equals_one_device(tmp_path):
    backend, states, metas = _one_and_two_devices("dcgan", tmp_path)
    _check(backend, states, metas, "dcgan")


def test_gradient_penalty_step_on_two_devices_equals_one_device(tmp_path):
    backend, states, metas = _one_and_two_devices("wgan_gp", tmp_path)
    _check(backend, states, metas, "wgan_gp")


if __name__ == "__main__":
    _worker(*sys.argv[1:])
