"""Multi-host training, exercised: two processes on this machine as two hosts.

`scripts/multihost_train.py` (one host of a multi-host run) runs twice on
127.0.0.1, on ports picked here (bound to port 0), each process with its own
CPU device:

- JAX: `jax.distributed.initialize` (coordinator = process 0) and
  `keras.distribution.DataParallel` over both processes' devices, the CPU
  collectives through gloo;
- TensorFlow: `tf.distribute.MultiWorkerMirroredStrategy`, `TF_CONFIG` per
  worker.

`test_two_hosts_train_as_one_process`: both hosts train a DCGAN (batch norm
in both networks) and a WGAN-GP (gradient penalty, 2 critic minibatches
per step, reused fakes) for 2 epochs of 4 global batches of 8 from the same
seed (through tests/multihost_worker.py, which runs the script's own
functions with the step probed), then one process alone trains on the same
global batches. Both hosts must end with identical states (weights,
batch-norm statistics, optimizer variables, seed state), equal to the
single process's up to the order of the sums: the hosts add two partial
gradients through the collective where one process sums one batch of 8, and
8 adversarial steps amplify that rounding (observed here ≤ 4.7e-8; on the
CI machine up to 1.8e-4 of an array's largest magnitude, in a
discriminator's Adam momentum), so the comparison allows rtol 1e-3 and
1e-3 of the largest magnitude (`SINGLE_PROCESS_TOLERANCE`): a host that
trained on the wrong half, or did not average its gradients with the other,
is off by the order of the values themselves. Each host must have trained on its own half of every global
batch, so that every example is used exactly once per epoch. The chief's
`.keras` file must load in this process (whatever its backend: the suite's
`once` run is on torch) with the trained state, and generate what the
single process's model generates.

`test_a_dead_host_stops_the_other`: host 1 is killed (SIGKILL) while both
train; host 0 must stop with the script's error, naming the engine's cause,
within a bounded time (observed: JAX 0.1 s, the gloo all-reduce fails at
once; TensorFlow: an `UnavailableError` from its coordination service's
heartbeat after 10 to 41 s, or at once from gRPC's "Connection reset by
peer").

Every process a test starts is killed when it ends. Marked `once`: the tests
pick the backend of their processes themselves.
"""

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import time

import numpy as np
import pytest
from conftest import CHEAP_XLA_FLAGS
from conftest import DEFAULT_COMPILE
from conftest import load_script
from conftest import subprocess_env
from distributed_checks import assert_same_state
from distributed_checks import model_state

pytestmark = pytest.mark.once

# Two hosts against one process: the sums' order differs (see the docstring).
SINGLE_PROCESS_TOLERANCE = {"rtol": 1e-3, "atol_scale": 1e-3}

HERE = os.path.dirname(os.path.abspath(__file__))
REPO_ROOT = os.path.dirname(HERE)
SCRIPT = os.path.join(REPO_ROOT, "scripts", "multihost_train.py")
WORKER = os.path.join(HERE, "multihost_worker.py")
BACKENDS = ["jax", "tensorflow"]
MODELS = ("dcgan", "wgan_gp")
EXAMPLES, BATCH, EPOCHS = 32, 8, 2
STEPS = EXAMPLES // BATCH
RUN_TIMEOUT_S = 420  # one run's processes, on a loaded 2-core machine
FAILURE_BOUND_S = 120  # from the kill to the survivor's exit (observed: 0.1 s JAX, 10-41 s TF)


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _cluster_args(backend):
    if backend == "jax":
        return ["--coordinator", f"127.0.0.1:{_free_port()}"]
    return ["--workers", f"127.0.0.1:{_free_port()},127.0.0.1:{_free_port()}"]


def _env(backend):
    """The processes' environment: JAX with the suite's XLA options, as the
    JAX suite compiles (docs/testing.md), whatever backend runs this test."""
    env = subprocess_env(backend, TF_CPP_MIN_LOG_LEVEL="3", PYTHONUNBUFFERED="1")
    flags = env.get("XLA_FLAGS", "")
    if backend == "jax" and not DEFAULT_COMPILE and CHEAP_XLA_FLAGS not in flags:
        env["XLA_FLAGS"] = f"{flags} {CHEAP_XLA_FLAGS}".strip()
    return env


def _data(tmp_path):
    rng = np.random.default_rng(0)
    images = np.tanh(rng.standard_normal((EXAMPLES, 16, 16, 1))).astype("float32")
    path = tmp_path / "images.npy"
    np.save(path, images)
    return path


def _common_args(backend, data):
    args = ["--backend", backend, "--data", str(data), "--batch-size", str(BATCH),
            "--filters", "8", "--latent-dim", "16", "--seed", "1"]
    if backend == "tensorflow":
        # The run alone: without XLA, like the multi-worker step (TF's
        # stateless RNG picks another algorithm under XLA).
        args += ["--jit-compile", "false"]
    return args


@contextlib.contextmanager
def _processes(tmp_path, backend):
    """`start(name, argv)` starts a Python process (output in `tmp_path/name.log`);
    every process still running when the block ends is killed."""
    started = []

    def start(name, argv):
        log = open(tmp_path / f"{name}.log", "w")
        process = subprocess.Popen(
            [sys.executable, *argv], cwd=REPO_ROOT, env=_env(backend),
            stdout=log, stderr=subprocess.STDOUT,
        )
        process.name, process.log = name, tmp_path / f"{name}.log"
        started.append((process, log))
        return process

    try:
        yield start
    finally:
        for process, log in started:
            if process.poll() is None:
                process.kill()
            process.wait()
            log.close()


def _output(process):
    return process.log.read_text()


def _wait(processes, deadline):
    for process in processes:
        try:
            process.wait(timeout=max(deadline - time.monotonic(), 1))
        except subprocess.TimeoutExpired:
            pytest.fail(f"{process.name} still running after {RUN_TIMEOUT_S} s:\n{_output(process)[-4000:]}")
        assert process.returncode == 0, f"{process.name} failed:\n{_output(process)[-6000:]}"


def _load(path):
    """(state, {iteration: example indices}, generated, meta) of one process's run."""
    data = np.load(path)
    state = {key[len("state/"):]: data[key] for key in data.files if key.startswith("state/")}
    seen = {int(key[len("seen/"):]): data[key] for key in data.files if key.startswith("seen/")}
    generated = data["generated"] if "generated" in data.files else None
    return state, seen, generated, json.loads(str(data["meta"]))


@pytest.mark.parametrize("backend", BACKENDS)
def test_two_hosts_train_as_one_process(backend, tmp_path):
    import keras

    import kerasgan  # registers the models for loading

    data = _data(tmp_path)
    common = _common_args(backend, data) + ["--epochs", str(EPOCHS)]
    cluster = _cluster_args(backend) + ["--num-processes", "2"]
    deadline = time.monotonic() + RUN_TIMEOUT_S
    with _processes(tmp_path, backend) as start:
        hosts = [
            start(f"host{i}", [WORKER, str(tmp_path / f"host{i}"), *common, *cluster, "--process-id", str(i)])
            for i in range(2)
        ]
        _wait(hosts, deadline)
        alone = start("alone", [WORKER, str(tmp_path / "alone"), *common])
        _wait([alone], deadline)
    if backend == "jax":  # the collectives crossed the processes
        assert all("[Gloo] Rank" in _output(host) for host in hosts)

    images = np.load(data)
    for kind in MODELS:
        (s0, seen0, _, meta0), (s1, seen1, _, meta1) = (_load(tmp_path / f"host{i}_{kind}.npz") for i in range(2))
        state, seen, generated, meta = _load(tmp_path / f"alone_{kind}.npz")
        # Two processes, one CPU device each, training as one group of 2.
        for i, host_meta in enumerate((meta0, meta1)):
            assert host_meta == {"process_id": i, "num_processes": 2, "devices": 2, "local_devices": 1}
        assert meta == {"process_id": 0, "num_processes": 1, "devices": 1, "local_devices": 1}

        # Both hosts hold the same state, bit for bit.
        assert sorted(s0) == sorted(s1)
        for name in s0:
            np.testing.assert_array_equal(s1[name], s0[name], err_msg=f"{kind}: {name}")
        # ... which is the state of one process on the same global batches.
        kinds = assert_same_state(state, s0, **SINGLE_PROCESS_TOLERANCE)
        assert kinds["trainable"] > 0 and kinds["optimizer"] > 0
        if kind == "dcgan":
            assert kinds["bn"] > 0
        assert int(state["optimizer/000:iteration"]) == EPOCHS * STEPS  # GANOptimizer's: every step ran

        # Each host trained on its own half of every global batch, in order...
        assert sorted(seen) == sorted(seen0) == sorted(seen1) == list(range(EPOCHS * STEPS))
        for step in seen:
            assert len(seen0[step]) == len(seen1[step]) == BATCH // 2
            np.testing.assert_array_equal(np.concatenate([seen0[step], seen1[step]]), seen[step])
        # ... so that every example is used exactly once per epoch, by one host.
        orders = []
        for epoch in range(EPOCHS):
            steps = range(epoch * STEPS, (epoch + 1) * STEPS)
            rows = [np.concatenate([seen0[s] for s in steps]), np.concatenate([seen1[s] for s in steps])]
            assert not set(rows[0]) & set(rows[1])
            np.testing.assert_array_equal(np.sort(np.concatenate(rows)), np.arange(EXAMPLES))
            orders.append(np.concatenate([seen[s] for s in steps]))
        assert not np.array_equal(orders[0], orders[1]), "the epochs were not reshuffled"

        # The chief's model loads here (this process's backend) with that state.
        assert not (tmp_path / f"host1_{kind}.keras").exists()  # only the chief writes
        loaded = keras.saving.load_model(tmp_path / f"host0_{kind}.keras")
        assert type(loaded) is {"dcgan": kerasgan.models.DCGAN, "wgan_gp": kerasgan.models.WGANGP}[kind]
        assert_same_state(s0, model_state(loaded, lambda v: keras.ops.convert_to_numpy(v.value)))
        z = np.random.default_rng(1).standard_normal((4, 16)).astype("float32")
        out = keras.ops.convert_to_numpy(loaded.generator(z, training=False))
        np.testing.assert_allclose(out, generated, rtol=1e-4, atol=1e-4, err_msg=kind)
        assert images.shape[1:] == out.shape[1:]


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_dead_host_stops_the_other(backend, tmp_path):
    data = _data(tmp_path)
    # Far more steps than the test waits for (4 per epoch).
    common = _common_args(backend, data) + ["--epochs", "1000", "--heartbeat-timeout", "30"]
    cluster = _cluster_args(backend) + ["--num-processes", "2"]
    with _processes(tmp_path, backend) as start:
        hosts = [
            start(f"host{i}", [SCRIPT, *common, *cluster, "--process-id", str(i)]) for i in range(2)
        ]
        deadline = time.monotonic() + RUN_TIMEOUT_S
        while "step 2 done" not in _output(hosts[1]):
            assert time.monotonic() < deadline, f"host 1 did not train:\n{_output(hosts[1])[-4000:]}"
            assert hosts[0].poll() is None and hosts[1].poll() is None, (
                f"a host ended before the kill:\n{_output(hosts[0])[-3000:]}\n{_output(hosts[1])[-3000:]}"
            )
            time.sleep(0.2)
        os.kill(hosts[1].pid, signal.SIGKILL)
        killed = time.monotonic()
        try:
            hosts[0].wait(timeout=FAILURE_BOUND_S)
        except subprocess.TimeoutExpired:
            pytest.fail(f"host 0 still running {FAILURE_BOUND_S} s after host 1 died:\n"
                        f"{_output(hosts[0])[-4000:]}")
        elapsed = time.monotonic() - killed
    output = _output(hosts[0])
    assert hosts[0].returncode != 0, output[-4000:]
    assert "done in" not in output
    assert "multihost_train.py: error: process 0/2 stopped" in output, output[-4000:]
    # The engine's own account of the cause.
    if backend == "jax":
        assert "Gloo" in output and "Connection" in output, output[-4000:]
    else:
        # The coordination service's heartbeat ("tasks are unhealthy") or, when the
        # collective notices first, gRPC's "Connection reset by peer" or "Socket closed".
        assert "UnavailableError" in output, output[-4000:]
        assert any(cause in output for cause in ("unhealthy", "Connection reset", "Socket closed")), output[-4000:]
    print(f"{backend}: host 0 stopped {elapsed:.1f} s after host 1 was killed")


@pytest.mark.parametrize(
    "argv, message",
    [
        (["--backend", "jax", "--num-processes", "2", "--process-id", "0"], "needs --coordinator HOST:PORT"),
        (["--backend", "tensorflow", "--num-processes", "2", "--process-id", "1"], "needs --workers"),
        (["--backend", "jax", "--num-processes", "2", "--coordinator", "h:1"], "--process-id is missing"),
        (["--backend", "tensorflow", "--num-processes", "2", "--process-id", "0", "--workers", "h:1"],
         "--workers lists 1 addresses but --num-processes is 2"),
        (["--backend", "jax", "--process-id", "1", "--coordinator", "h:1"], "needs --num-processes"),
        (["--backend", "jax", "--num-processes", "2", "--process-id", "2", "--coordinator", "h:1"],
         "--process-id 2 is not in 0 .. 1"),
        (["--backend", "jax", "--num-processes", "3", "--process-id", "0", "--coordinator", "h:1"],
         "not divisible by --num-processes 3"),
    ],
)
def test_missing_cluster_options_are_named(argv, message, capsys):
    script = load_script(SCRIPT, "multihost_train")
    assert script.main(argv) == 2
    assert message in capsys.readouterr().err
