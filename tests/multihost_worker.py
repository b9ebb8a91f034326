"""One process of tests/test_multihost.py: scripts/multihost_train.py, probed.

Usage: python multihost_worker.py OUT SCRIPT-ARGS...   (SCRIPT-ARGS without --model, --save)

Joins the run with the script's `connect` (a host of a multi-host run, or a
process alone with `--num-processes 1`), then trains each of the script's
models (DCGAN, WGAN-GP) with the script's `train`, with the train step
probed: at every step a host callback from inside the compiled step records
the iteration and the examples this process's device got (by their first
pixel; `jax.debug.callback(partitioned=True)` on JAX, `tf.py_function` in
each replica's step on TensorFlow). Per model it writes `OUT_<model>.npz`
(the state after training, `distributed_checks.model_state`; `seen/<i>`,
the indices of the examples of iteration i; and, from a process alone, the
generator's outputs for fixed latent vectors), and the chief writes
`OUT_<model>.keras` (every process takes part in saving, as the script's).
"""

import json
import os
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
SCRIPT = os.path.join(os.path.dirname(HERE), "scripts", "multihost_train.py")


def load_script():
    import importlib.util

    spec = importlib.util.spec_from_file_location("multihost_train", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def fixed_latents(latent_dim):
    return np.random.default_rng(1).standard_normal((4, latent_dim)).astype("float32")


def probe(model, backend, seen):
    """Wraps `model.adversarial_step` so that each step appends `(iteration,
    first pixels of this process's rows)` to `seen`, from inside the step."""
    import keras

    step = model.adversarial_step

    def record(iteration, pixels):
        seen.append((int(np.asarray(iteration)), np.asarray(pixels).reshape(-1).copy()))

    if backend == "jax":
        import jax

        def probed_step(data):
            x = keras.utils.unpack_x_y_sample_weight(data)[0]
            iteration = keras.ops.convert_to_tensor(model.optimizer.iterations)
            # Called on each local device with its shard of the batch.
            jax.debug.callback(record, iteration, x[:, 0, 0, 0], partitioned=True)
            return step(data)

    else:
        import tensorflow as tf

        def probed_step(data):
            x = keras.utils.unpack_x_y_sample_weight(data)[0]
            iteration = tf.convert_to_tensor(model.optimizer.iterations)
            tf.py_function(lambda i, p: record(i.numpy(), p.numpy()), [iteration, x[:, 0, 0, 0]], Tout=[])
            return step(data)

    object.__setattr__(model, "adversarial_step", probed_step)


def devices(cluster):
    """How many devices train (all processes') and how many are this process's."""
    if cluster.backend == "jax":
        import jax

        return {"devices": jax.device_count(), "local_devices": jax.local_device_count()}
    if cluster.strategy is None:
        return {"devices": 1, "local_devices": 1}
    return {
        "devices": cluster.strategy.num_replicas_in_sync,
        "local_devices": len(cluster.strategy.extended.worker_devices),
    }


def main(out, *argv):
    from distributed_checks import model_state

    script = load_script()
    args = script.parse_args(list(argv))
    cluster = script.connect(args)
    images = script.load_images(args)
    index = {float(pixel): i for i, pixel in enumerate(images[:, 0, 0, 0])}
    assert len(index) == len(images), "examples must differ in their first pixel"
    for kind in script.MODELS:
        seen = []
        model = script.train(
            args, cluster, kind, images=images, prepare=lambda m: probe(m, args.backend, seen),
            save_path=f"{out}_{kind}.keras",
        )
        if args.backend == "jax":
            state = model_state(model, lambda v: np.asarray(v.value))
        else:
            state = model_state(model, lambda v: np.asarray(v.numpy()))
        arrays = {f"state/{name}": value for name, value in state.items()}
        by_iteration = {}
        for iteration, pixels in seen:
            by_iteration.setdefault(iteration, []).append([index[float(p)] for p in pixels])
        for iteration, rows in by_iteration.items():
            assert len(rows) == 1, f"iteration {iteration} recorded {len(rows)} times in one process"
            arrays[f"seen/{iteration}"] = np.asarray(rows[0], dtype="int64")
        if cluster.num_processes == 1:
            z = fixed_latents(args.latent_dim)
            arrays["generated"] = np.asarray(model.generator(z, training=False))
        meta = {"process_id": cluster.process_id, "num_processes": cluster.num_processes, **devices(cluster)}
        np.savez(f"{out}_{kind}.npz", meta=json.dumps(meta), **arrays)
        print(f"process {cluster.process_id}: wrote {out}_{kind}.npz", flush=True)


if __name__ == "__main__":
    main(*sys.argv[1:])
