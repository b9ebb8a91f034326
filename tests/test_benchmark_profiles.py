"""benchmarks/profiles.py: self times and untraced task time from trace events; XLA profiles of jitted functions."""

import os

import numpy as np
import pytest
import keras

from conftest import load_script

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def load_profiles():
    return load_script(os.path.join(ROOT, "benchmarks", "profiles.py"), "benchmark_profiles")


def test_self_time_is_duration_less_nested_events_and_untraced_task_time_is_what_no_event_covers():
    profiles = load_profiles()
    events = [  # (name, offset_ps, duration_ps, is an XLA operation) on one thread
        ("ThreadpoolListener::StartRegion", 0, 0, False),
        ("ThunkExecutor::Execute", 0, 100, False),
        ("fusion.1", 10, 30, True),
        ("copy.2", 15, 5, True),  # inside fusion.1
        ("BlockUntilReady", 50, 40, False),
        ("ThreadpoolListener::StopRegion", 100, 0, False),
        ("fusion.1", 200, 20, True),  # outside the task
        ("ThreadpoolListener::StartRegion", 300, 0, False),
        ("ThreadpoolListener::StopRegion", 360, 0, False),  # a task with no event: 60 untraced
    ]
    operations, untraced = profiles.line_times(events)
    assert operations["fusion.1"] == [(30 - 5) + 20, 2]
    assert operations["copy.2"] == [5, 1]
    assert "ThunkExecutor::Execute" not in operations and "BlockUntilReady" not in operations
    # First task: 100 long, 30 under fusion.1 and 40 waiting; second task: 60.
    assert untraced == (100 - 30 - 40) + 60


def test_operation_names_and_kinds():
    profiles = load_profiles()
    assert profiles.op_name("transpose_copy_fusion.21") == "transpose_copy_fusion"
    assert profiles.op_name("convolution-base-dilated.1") == "convolution-base-dilated"
    expected = {
        "conv_general_dilated": "convolutions (traced part)",
        "transpose_copy_fusion": "layout copies and transposes",
        "dot": "dot products (batch-norm sums, dense)",
        "bitcast_dot_fusion": "dot products (batch-norm sums, dense)",
        "wrapped_reduce-window": "reductions",
        "multiply_select_fusion": "elementwise fusions",
            }
    assert {name: profiles.op_kind(name) for name in expected} == expected


def test_summary_gives_shares_of_the_cores_time():
    profiles = load_profiles()
    ms = 10**9  # picoseconds
    times = {"transpose_copy_fusion": [300 * ms, 6], "multiply_add_fusion": [100 * ms, 4]}
    summary = profiles.summarize(times, 1400 * ms, wall_s=1.0, cores=2, iterations=2)
    # Of 2 cores x 1 s: 20% traced operations, 70% untraced task work, 10% idle.
    assert summary["kinds"]["layout copies and transposes"] == pytest.approx(15.0)
    assert summary["kinds"]["elementwise fusions"] == pytest.approx(5.0)
    assert summary["untraced_task_core_percent"] == pytest.approx(70.0)
    assert summary["idle_core_percent"] == pytest.approx(10.0)
    top = summary["rows"][0]
    assert top == {"op": "transpose_copy_fusion", "core_percent": 15.0, "ms_per_iteration": 150.0,
                   "calls_per_iteration": 3.0}
    assert summary["wall_ms_per_iteration"] == pytest.approx(500.0)


def _jitted(fn):
    """`fn` compiled by XLA as kerasgan's train steps are (jax.jit with kerasgan's XLA-CPU options,
    or tf.function(jit_compile=True))."""
    if keras.backend.backend() == "jax":
        import jax
        from kerasgan.engine.backend import jax as jax_steps

        return jax.jit(fn, compiler_options=jax_steps.compiler_options())
    import tensorflow as tf

    return tf.function(fn, jit_compile=True)


@pytest.mark.skipif(keras.backend.backend() == "torch", reason="the XLA profile is for jax and tensorflow")
def test_xla_profile_sees_elementwise_work_and_leaves_convolutions_untraced():
    profiles = load_profiles()
    from keras import ops

    x = keras.ops.convert_to_tensor(np.random.default_rng(0).normal(size=(64, 32, 32, 64)).astype("float32"))
    kernel = keras.ops.convert_to_tensor(np.random.default_rng(1).normal(size=(3, 3, 64, 64)).astype("float32"))
    elementwise = _jitted(lambda x: ops.tanh(ops.exp(ops.sin(x)) * 1.5 + ops.cos(x)))
    convolution = _jitted(lambda x: ops.conv(x, kernel, padding="same"))
    for fn in (elementwise, convolution):
        keras.ops.convert_to_numpy(fn(x))  # compiled before the profile

    def run(fn):
        return lambda: [keras.ops.convert_to_numpy(fn(x)) for _ in range(4)]

    backend, cores = keras.backend.backend(), len(os.sched_getaffinity(0))
    busy = profiles.xla_profile(run(elementwise), backend, iterations=4, cores=cores)
    fusion = busy["kinds"]["elementwise fusions"]
    # Most of the cores' busy time (not of the wall time: another job, e.g. a
    # second pytest worker, can leave this process waiting) is the fusion.
    assert fusion > 0.3 * (100.0 - busy["idle_core_percent"]) and fusion > 5.0, busy
    # Untraced here: the fusion's partitions on the other cores, at most its own share again.
    assert busy["untraced_task_core_percent"] <= fusion * (cores - 1) + 15.0, busy
    conv = profiles.xla_profile(run(convolution), backend, iterations=4, cores=cores)
    # XLA-CPU runs the convolution on Eigen's threads without operation events: its
    # arithmetic is the thread pool's untraced task time.
    # (Several times the traced part: measured 7-10x.) Judged against the cores' busy
    # time, not the wall time: under a busy machine this process waits (CI once saw
    # 63% idle, 34% untraced, 3% traced).
    traced = sum(conv["kinds"].values())
    busy_percent = 100.0 - conv["idle_core_percent"]
    assert conv["untraced_task_core_percent"] > max(0.5 * busy_percent, 4 * traced), conv
    assert conv["untraced_task_core_percent"] > 10.0, conv
