"""Trains CoGAN on a built-in Fashion-MNIST domain task and measures its pixel agreement.

The two domains come from disjoint halves of the Fashion-MNIST training set
(`kerasgan.data.load_domain_task`): domain A holds original images, domain B
the edge maps (`--task edges`) or the negatives (`--task negative`) of the
OTHER half, so no pair is ever seen. After training, `--eval-pairs` pairs
`(G_a(z), G_b(z))` are generated (numpy seed 0) and CoGAN's pixel agreement
ratio (Liu & Tuzel 2016, Table 1) between `transform(G_a(z))` and `G_b(z)` is
measured (binarised at 0 on the [-1, 1] scale). Two floors are reported
beside it: real test images paired at random (`transform(x_i)` against
`transform(x_j)`), and the same generated images with their pairs shuffled.

Writes to `--out`: `cogan_<task>_<shared|unshared>.png` (generated pairs, A
and B side by side, 8×8 pairs) and `.json` (the command, backend, versions,
time, iterations, the metric and its floors, the last logs); with
`--save-model`, the `.keras` model too.

The official setting is 5000 iterations of batch 64 with the full widths
(generator 1024-512-256-128, discriminator 20-50-500). On a 2-core CPU one
iteration of those networks takes seconds, so the defaults here are a
narrower generator (256-128-64-32, the discriminator as in the paper; about
0.17 s per iteration with TensorFlow, the fastest backend here, on an idle
2-core CPU, against 0.22 s with JAX and 1.7 s at the full widths) and 3000
iterations (about 9 minutes when idle). On a shared machine, bound the time
with `--time-limit`: the published runs got 710 to 1897 iterations in 540 s
under other jobs' load (their JSON files record the count). Pass
`--generator-filters 1024,512,256,128 --iterations 5000` for the official run.

Usage:

    KERAS_BACKEND=tensorflow nice -n 10 python scripts/train_cogan_fashion_mnist.py \
        --task edges --share --time-limit 540 --out /tmp/cogan
"""

import argparse
import json
import os
import platform
import shlex
import sys
import time

import keras
import numpy as np

import kerasgan
from kerasgan import data


def _widths(text):
    return tuple(int(v) for v in text.split(","))


class Deadline(keras.callbacks.Callback):
    """Stops training at a wall-clock deadline (`None`: never)."""

    def __init__(self, deadline):
        super().__init__()
        self.deadline = deadline
        self.passed = False

    def on_train_batch_end(self, batch, logs=None):
        if self.deadline is not None and time.perf_counter() >= self.deadline:
            self.passed = True
            self.model.stop_training = True


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--task", choices=("edges", "negative"), default="edges")
    p.add_argument(
        "--iterations", type=int, default=3000,
        help="training iterations (official: 5000; the default takes about 9 minutes "
        "with the default widths on an idle 2-core CPU under TensorFlow)",
    )
    p.add_argument(
        "--time-limit", type=float, default=None,
        help="stop training after this many seconds (the iterations done are reported)",
    )
    p.add_argument("--batch-size", type=int, default=64)
    p.add_argument(
        "--share", action=argparse.BooleanOptionalAction, default=True,
        help="tie the layers as in the paper (--no-share: two independent GANs)",
    )
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--latent-dim", type=int, default=100)
    p.add_argument("--generator-filters", type=_widths, default=(256, 128, 64, 32))
    p.add_argument("--discriminator-filters", type=_widths, default=(20, 50, 500))
    p.add_argument("--loss", default="non_saturating")
    p.add_argument("--eval-pairs", type=int, default=2000)
    p.add_argument("--out", default="runs/cogan")
    p.add_argument("--save-model", action="store_true")
    return p.parse_args(argv)


def train(args):
    keras.utils.set_random_seed(args.seed)
    os.makedirs(args.out, exist_ok=True)
    name = f"cogan_{args.task}_{'shared' if args.share else 'unshared'}"
    task = f"fashion_mnist_{args.task}"
    domain_a, domain_b = data.load_domain_task(task, seed=args.seed)
    batches = data.UnpairedBatches(domain_a, domain_b, batch_size=args.batch_size, seed=args.seed)
    model = kerasgan.models.CoGAN(
        image_shape=domain_a.shape[1:],
        latent_dim=args.latent_dim,
        generator_filters=args.generator_filters,
        discriminator_filters=args.discriminator_filters,
        share=args.share,
        seed=args.seed,
    )
    model.compile(loss=args.loss)
    print(
        f"{name}: {len(domain_a)} + {len(domain_b)} unpaired images, "
        f"{len(batches)} batches of {args.batch_size} per epoch, {args.iterations} iterations, "
        f"backend {keras.backend.backend()}",
        flush=True,
    )

    start = time.perf_counter()
    deadline = Deadline(start + args.time_limit if args.time_limit else None)
    epochs, rest = divmod(args.iterations, len(batches))
    history = {}
    for count, steps in ((epochs, None), (1 if rest else 0, rest)):  # a last, partial epoch
        if count and not deadline.passed:
            logs = model.fit(
                batches, epochs=count, steps_per_epoch=steps, callbacks=[deadline], verbose=2
            ).history
            for k, v in logs.items():
                history.setdefault(k, []).extend(v)
    train_seconds = time.perf_counter() - start
    iterations = int(model.optimizer.iterations.numpy())

    # Evaluation: pixel agreement of generated pairs, and its floors.
    start = time.perf_counter()
    images_a, images_b = model.generate(args.eval_pairs, seed=0)
    transformed = data.apply_transform(args.task, images_a)
    agreement = data.pixel_agreement(transformed, images_b)
    rng = np.random.default_rng(0)
    shuffled = data.pixel_agreement(transformed[rng.permutation(len(transformed))], images_b)
    test_a, test_b = data.load_domain_task(task, split="test")
    random_real = data.pixel_agreement(test_b[rng.permutation(len(test_b))], test_b)
    eval_seconds = time.perf_counter() - start

    pairs = np.concatenate([images_a[:64], images_b[:64]], axis=2)  # A | B side by side
    png = os.path.join(args.out, f"{name}.png")
    kerasgan.utils.save_image_grid(pairs, png, rows=8, scale=2)
    result = {
        "command": " ".join(
            [f"KERAS_BACKEND={keras.backend.backend()}", "python"]
            + [shlex.quote(a) for a in sys.argv]
        ),
        "task": task,
        "share": args.share,
        "backend": keras.backend.backend(),
        "keras": keras.__version__,
        "kerasgan": getattr(kerasgan, "__version__", None),
        "python": platform.python_version(),
        "cpu_count": os.cpu_count(),
        "iterations": iterations,
        "iterations_asked": args.iterations,
        "stopped_by_time_limit": deadline.passed,
        "batch_size": args.batch_size,
        "latent_dim": args.latent_dim,
        "generator_filters": list(args.generator_filters),
        "discriminator_filters": list(args.discriminator_filters),
        "loss": args.loss,
        "optimizer": "Adam(2e-4, beta=(0.5, 0.999)), no weight decay",
        "seed": args.seed,
        "train_seconds": round(train_seconds, 1),
        "eval_seconds": round(eval_seconds, 1),
        "eval_pairs": args.eval_pairs,
        "pixel_agreement": agreement,
        "pixel_agreement_threshold": 0.0,
        "floor_generated_pairs_shuffled": shuffled,
        "floor_random_real_test_pairs": random_real,
        "final_logs": {k: v[-1] for k, v in history.items()},
        "history": history,
        "png": png,
    }
    if args.save_model:
        result["model"] = os.path.join(args.out, f"{name}.keras")
        model.save(result["model"])
    with open(os.path.join(args.out, f"{name}.json"), "w") as f:
        json.dump(result, f, indent=2)
    print(
        f"{name}: pixel agreement {agreement:.4f} (shuffled generated pairs {shuffled:.4f}, "
        f"random real pairs {random_real:.4f}); {iterations} iterations in "
        f"{train_seconds:.0f} s; wrote {png}",
        flush=True,
    )
    return result


if __name__ == "__main__":
    train(parse_args())
