"""Trains a GAN data-parallel on several hosts: run one copy per host.

Every host runs this script with the same arguments except `--process-id`
(0 on the first host, 1 on the second, ...), `--save` included: every host
takes part in saving, only process 0 (the chief) writes the file.
`--batch-size` is the GLOBAL batch: each host trains on `batch /
num-processes` rows of it per step, and one step on n hosts is the step one
process makes on the whole batch (docs/distributed.md, "Several hosts").

- `--backend jax`: `jax.distributed.initialize` (what
  `keras.distribution.initialize` wraps, here with its timeouts) connects
  the processes through the coordinator, process 0, at `--coordinator
  HOST:PORT`, then `keras.distribution.DataParallel` spans every process's
  devices. CPU devices talk through gloo.
- `--backend tensorflow`: `TF_CONFIG` names the cluster (`--workers`, every
  worker's `HOST:PORT` in process-id order) and this worker's index, then
  `tf.distribute.MultiWorkerMirroredStrategy` connects them.

The data (`--data`: Fashion-MNIST, or a .npy file of images in [-1, 1]) is
one `tf.data.Dataset` of global batches, the same on every host: epoch e is
a permutation drawn from `(--seed, e)` alone. Each host keeps its own rows
of every batch (Keras's `DataParallel` rebatches it to the per-host batch
and shards it by process; TensorFlow auto-shards it by data, the same
way): host i trains on rows `[i·b/n, (i+1)·b/n)` of each global batch `b`,
so every example is used exactly once per epoch (the last partial batch is
dropped). Both engines need TensorFlow installed for `tf.data`.

If a host dies, the others stop with an error instead of waiting for it:
the first collective operation with the dead host fails (JAX: gloo's
"Connection reset by peer", at once; TensorFlow: `UnavailableError`, "tasks
are unhealthy (stopped sending heartbeats)", after its coordination
service's heartbeat timeout, 10 to 40 s here, or gRPC's "Connection reset
by peer" when the collective call notices first). This script then prints
which process stopped and why, and exits with status 1 at once. A host
that waits outside a collective learns of it from the coordination
service (JAX: within `--heartbeat-timeout` seconds, or at once when the
coordinator died).

Usage (two machines, 10.0.0.1 and 10.0.0.2, with Fashion-MNIST):

    # JAX, on 10.0.0.1 (process 0, the coordinator) and on 10.0.0.2:
    python scripts/multihost_train.py --backend jax --coordinator 10.0.0.1:1234 \\
        --num-processes 2 --process-id 0 --save dcgan.keras
    python scripts/multihost_train.py --backend jax --coordinator 10.0.0.1:1234 \\
        --num-processes 2 --process-id 1 --save dcgan.keras

    # TensorFlow, on 10.0.0.1 (worker 0, the chief) and on 10.0.0.2:
    python scripts/multihost_train.py --backend tensorflow \\
        --workers 10.0.0.1:12345,10.0.0.2:12345 --num-processes 2 --process-id 0 --save dcgan.keras
    python scripts/multihost_train.py --backend tensorflow \\
        --workers 10.0.0.1:12345,10.0.0.2:12345 --num-processes 2 --process-id 1 --save dcgan.keras

`--num-processes 1` (the default) trains in this process alone, without a
cluster: the run a multi-host run equals (tests/test_multihost.py runs
both on 127.0.0.1). A missing or inconsistent cluster option stops the
script before it starts, with a message naming it (exit status 2).
"""

import argparse
import contextlib
import json
import os
import sys
import tempfile
import time
import traceback

MODELS = ("dcgan", "wgan_gp")


class MultiHostError(Exception):
    """A cluster option missing or inconsistent (the message says which)."""


# ------------------------------------------------------------------ options
def _address(text):
    host, sep, port = text.rpartition(":")
    if not sep or not host or not port.isdigit():
        raise argparse.ArgumentTypeError(f"{text!r} is not HOST:PORT (e.g. 10.0.0.1:1234)")
    return text


def _addresses(text):
    return [_address(part.strip()) for part in text.split(",") if part.strip()]


def parser():
    p = argparse.ArgumentParser(
        description="Run one host of a multi-host data-parallel GAN training "
        "(start one copy per host, same arguments except --process-id).",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    p.add_argument("--backend", required=True, choices=("jax", "tensorflow"),
                   help="the Keras backend (torch has no data-parallel engine in Keras)")
    p.add_argument("--num-processes", type=int, default=1,
                   help="the number of hosts (processes); 1: this process alone, no cluster")
    p.add_argument("--process-id", type=int, default=None,
                   help="this host's index, 0 .. num-processes - 1; 0 is the coordinator/chief")
    p.add_argument("--coordinator", type=_address, default=None,
                   help="JAX: HOST:PORT of process 0, where it listens for the others")
    p.add_argument("--workers", type=_addresses, default=None,
                   help="TensorFlow: every worker's HOST:PORT, comma-separated, in process-id order")
    p.add_argument("--model", choices=MODELS, default="dcgan",
                   help="dcgan (batch norm in both networks) or wgan_gp (gradient penalty, 2 critic steps)")
    p.add_argument("--data", default="fashion_mnist",
                   help="'fashion_mnist', or a .npy file of images (N, H, W, C) in [-1, 1]")
    p.add_argument("--batch-size", type=int, default=256, help="the GLOBAL batch, over all hosts")
    p.add_argument("--epochs", type=int, default=1)
    p.add_argument("--steps-per-epoch", type=int, default=None,
                   help="default: every full global batch of the data")
    p.add_argument("--filters", type=int, default=64, help="the networks' base width")
    p.add_argument("--latent-dim", type=int, default=100)
    p.add_argument("--seed", type=int, default=0, help="the same on every host")
    p.add_argument("--jit-compile", choices=("auto", "true", "false"), default="auto",
                   help="compile(jit_compile=...); TensorFlow turns XLA off under a multi-worker "
                   "strategy, so a TensorFlow run alone equals one with 'false' (TF's random "
                   "draws differ under XLA)")
    p.add_argument("--save", default=None,
                   help="a .keras path, given to every host: all take part in saving, the chief "
                   "(process 0) writes it")
    p.add_argument("--init-timeout", type=int, default=120,
                   help="seconds to wait for every host to join")
    p.add_argument("--heartbeat-timeout", type=int, default=30,
                   help="JAX: seconds without a heartbeat after which the coordination service "
                   "declares a host dead (JAX's default: 100)")
    return p


def parse_args(argv=None):
    """The options, checked: a `MultiHostError` names what is missing."""
    args = parser().parse_args(argv)
    check(args)
    return args


def check(args):
    """Raises a `MultiHostError` naming the first missing or inconsistent
    option; sets `process_id` to 0 for a process alone."""
    n = args.num_processes
    if args.backend == "jax" and args.workers:
        raise MultiHostError("--workers is for --backend tensorflow; JAX's hosts find each other "
                             "through --coordinator HOST:PORT (process 0's address).")
    if args.backend == "tensorflow" and args.coordinator:
        raise MultiHostError("--coordinator is for --backend jax; TensorFlow needs every worker's "
                             "address: --workers HOST:PORT,HOST:PORT,...")
    if n < 1:
        raise MultiHostError(f"--num-processes must be at least 1, got {n}.")
    if n == 1:
        if args.process_id not in (None, 0):
            raise MultiHostError(f"--process-id {args.process_id} with --num-processes 1: a "
                                 "multi-host run needs --num-processes (the number of hosts).")
        if args.coordinator or args.workers:
            raise MultiHostError("--coordinator/--workers given without --num-processes: "
                                 "pass --num-processes N (the number of hosts) and --process-id.")
        args.process_id = 0
    else:
        if args.process_id is None:
            raise MultiHostError(f"--process-id is missing: this host's index, 0 .. {n - 1} "
                                 "(0 on the coordinator/chief), different on every host.")
        if not 0 <= args.process_id < n:
            raise MultiHostError(f"--process-id {args.process_id} is not in 0 .. {n - 1} "
                                 f"(--num-processes {n}).")
        if args.backend == "jax" and not args.coordinator:
            raise MultiHostError("--backend jax with --num-processes > 1 needs --coordinator "
                                 "HOST:PORT: where process 0 listens (the same on every host).")
        if args.backend == "tensorflow":
            if not args.workers:
                raise MultiHostError(
                    "--backend tensorflow with --num-processes > 1 needs --workers "
                    "HOST:PORT,HOST:PORT,...: every worker's address in process-id order "
                    "(the same on every host; TF_CONFIG's cluster).")
            if len(args.workers) != n:
                raise MultiHostError(f"--workers lists {len(args.workers)} addresses but "
                                     f"--num-processes is {n}: give one per host.")
    if args.batch_size % n:
        raise MultiHostError(f"--batch-size {args.batch_size} (the global batch) is not divisible "
                             f"by --num-processes {n}.")
    if args.save and not args.save.endswith(".keras"):
        raise MultiHostError(f"--save {args.save!r}: the path must end in .keras.")


# ------------------------------------------------------------------ cluster
class Cluster:
    """This process's place in the run: `process_id`, `num_processes`,
    `is_chief`, and `scope()`, the context to build and compile models in."""

    def __init__(self, backend, process_id, num_processes, strategy=None):
        self.backend = backend
        self.process_id = process_id
        self.num_processes = num_processes
        self.strategy = strategy
        self.is_chief = process_id == 0

    def scope(self):
        return self.strategy.scope() if self.strategy is not None else contextlib.nullcontext()


def connect(args):
    """Joins the cluster (or not, with one process) and sets the distribution.

    Must run before anything imports Keras or uses the backend: it sets
    `KERAS_BACKEND`, JAX's CPU collectives and `TF_CONFIG`.
    """
    os.environ["KERAS_BACKEND"] = args.backend
    n, i = args.num_processes, args.process_id
    if args.backend == "jax":
        import jax

        # CPU devices of different processes talk through gloo (XLA's default
        # CPU collectives do not cross processes); GPUs and TPUs ignore it.
        jax.config.update("jax_cpu_collectives_implementation", "gloo")
        if n > 1:
            jax.distributed.initialize(
                coordinator_address=args.coordinator,
                num_processes=n,
                process_id=i,
                initialization_timeout=args.init_timeout,
                heartbeat_timeout_seconds=args.heartbeat_timeout,
            )
        import keras

        if n > 1:
            devices = keras.distribution.list_devices()  # every process's devices
            keras.distribution.set_distribution(keras.distribution.DataParallel(devices=devices))
        return Cluster("jax", i, n)

    import tensorflow as tf

    if n == 1:
        return Cluster("tensorflow", 0, 1)
    os.environ["TF_CONFIG"] = json.dumps(
        {"cluster": {"worker": list(args.workers)}, "task": {"type": "worker", "index": i}}
    )
    strategy = tf.distribute.MultiWorkerMirroredStrategy()
    return Cluster("tensorflow", i, n, strategy)


# ------------------------------------------------------------------ training
def load_images(args):
    if args.data == "fashion_mnist":
        import kerasgan

        return kerasgan.data.load_fashion_mnist()
    import numpy as np

    if not os.path.exists(args.data):
        raise MultiHostError(f"--data {args.data!r}: no such file (give 'fashion_mnist' or a .npy file).")
    images = np.load(args.data).astype("float32")
    if images.ndim != 4:
        raise MultiHostError(f"--data {args.data!r}: images of shape (N, H, W, C) expected, got {images.shape}.")
    return images


def dataset(images, batch_size, seed, epochs, steps=None):
    """The data for `epochs` epochs, shuffled per epoch, in GLOBAL batches.

    Epoch e is a permutation of the examples drawn from `(seed, e)` alone
    (`stateless_shuffle`), so it is the same on every host and in a run
    alone, however often the engines iterate the dataset. An epoch is its
    first `steps` batches (default: all full batches; the last partial one is
    dropped), each example at most once. Given to `fit` as is on every host:
    the engines keep each host's rows of every batch.
    """
    import tensorflow as tf

    n = len(images)
    full = n // batch_size
    if full == 0:
        raise MultiHostError(f"{n} examples: fewer than one global batch of {batch_size}.")
    steps = full if steps is None else steps
    if not 0 < steps <= full:
        raise MultiHostError(f"--steps-per-epoch {steps}: an epoch of {n} examples has 1 .. {full} "
                             f"global batches of {batch_size}.")

    def epoch(e):
        order = tf.random.experimental.stateless_shuffle(
            tf.range(n, dtype=tf.int64), seed=tf.stack([tf.constant(seed, tf.int64), e])
        )
        return tf.data.Dataset.from_tensor_slices(order[: steps * batch_size])

    images = tf.constant(images)
    batches = tf.data.Dataset.range(epochs).flat_map(epoch).batch(batch_size, drop_remainder=True)
    return batches.map(lambda rows: tf.gather(images, rows))


def build(args, kind, image_shape):
    import kerasgan

    common = dict(latent_dim=args.latent_dim, seed=args.seed)
    if kind == "dcgan":
        return kerasgan.models.DCGAN(image_shape=image_shape, generator_filters=args.filters,
                                     discriminator_filters=args.filters, **common)
    return kerasgan.models.WGANGP(data_shape=image_shape, generator_width=args.filters,
                                  discriminator_width=args.filters, discriminator_steps=2,
                                  reuse_fakes=True, **common)


def progress(cluster):
    """A Keras callback printing one line per step, so that a launcher (or
    the test) sees the hosts train."""
    import keras

    class Progress(keras.callbacks.Callback):
        def on_train_batch_end(self, batch, logs=None):
            print(f"process {cluster.process_id}/{cluster.num_processes}: step {batch + 1} done",
                  flush=True)

    return Progress()


def save(model, path, cluster):
    """Writes `model` to `path` on the chief; every process must call it.

    On JAX, saving is a collective operation across processes: Keras creates
    a variable while it saves, and a variable created under a multi-process
    `DataParallel` is checked equal on every process. So every host saves,
    the others to a temporary file they delete (TensorFlow's recommended
    pattern for multi-worker saving too).
    """
    if cluster.is_chief:
        model.save(path)
        print(f"process {cluster.process_id}: saved {path}", flush=True)
        return
    with tempfile.TemporaryDirectory() as scratch:
        model.save(os.path.join(scratch, os.path.basename(path)))


def train(args, cluster, kind=None, images=None, prepare=None, save_path=None):
    """Builds, compiles and fits `kind` (default `--model`) on this host, and
    saves it to `save_path` (default `--save`; written by the chief).
    `images` default to `--data`'s. `prepare(model)`, if given, runs after
    `compile`, before `fit`. Returns the model."""
    import keras

    kind = kind or args.model
    images = load_images(args) if images is None else images
    data = dataset(images, args.batch_size, args.seed, args.epochs, args.steps_per_epoch)
    keras.utils.set_random_seed(args.seed)  # the same initial weights everywhere
    jit_compile = {"auto": "auto", "true": True, "false": False}[args.jit_compile]
    with cluster.scope():
        model = build(args, kind, images.shape[1:])
        model.compile(jit_compile=jit_compile)
    if prepare is not None:
        prepare(model)
    steps = args.steps_per_epoch or len(images) // args.batch_size  # (the dataset is not counted)
    model.fit(data, epochs=args.epochs, steps_per_epoch=steps, shuffle=False,  # shuffled by `dataset`
              callbacks=[progress(cluster)], verbose=0)
    path = args.save if save_path is None else save_path
    if path:
        save(model, path, cluster)
    return model


def main(argv=None):
    try:
        args = parse_args(argv)
    except MultiHostError as error:
        print(f"multihost_train.py: error: {error}", file=sys.stderr)
        return 2
    start = time.time()
    cluster = connect(args)
    name = f"process {cluster.process_id}/{cluster.num_processes}"
    print(f"{name}: connected ({args.backend})", flush=True)
    try:
        train(args, cluster)
    except MultiHostError as error:
        print(f"multihost_train.py: error: {error}", file=sys.stderr)
        return 2
    except Exception as error:
        if cluster.num_processes == 1:
            raise
        traceback.print_exc()
        print(
            f"multihost_train.py: error: {name} stopped: {type(error).__name__} during training. "
            "In a multi-host run this means another host died or cannot be reached (see its "
            "log); the run cannot go on without it.",
            file=sys.stderr, flush=True,
        )
        # At once: JAX's exit would wait for every process at a shutdown
        # barrier (up to --heartbeat-timeout), then abort.
        sys.stdout.flush()
        os._exit(1)
    print(f"{name}: done in {time.time() - start:.1f} s", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
