"""Trains StarGAN on the four Fashion-MNIST domains and measures its translations.

The task is `kerasgan.data.load_domain_task("fashion_mnist_domains")`: four
domains (original, edges, negative, dilated), each made from its own quarter
of the training set (no content in two domains); the label of an image is its
domain index. One train step is `--critic-steps` (5) critic updates on
minibatches of `--batch-size` (16, the official size) images, then one
generator update, so a `fit` batch holds 5·16 images and `--iterations` train
steps are 5·iterations official iterations. Optimizers: Adam(1e-4, β =
(0.5, 0.999)), linearly decayed to zero over the second half of the run
(`StarGAN.reference_optimizers`).

After training, `kerasgan.metrics.domain_translation` scores it on
`--eval-images` test images, each shown in a random source domain and
translated into every domain: the share of translations a small domain
classifier (trained here on real training images of the four domains)
assigns to the target domain (target >= 0.90), the share of translations
into "original" that the published Fashion-MNIST classifier puts in the
garment's class (target >= 0.85), and the mean absolute error against the
true transform of the source image.

Writes to `--out`: `stargan_fashion_mnist.png` (rows: 8 test images, two in
each source domain, then their translations into original, edges, negative
and dilated) and `stargan_fashion_mnist.json` (the command, backend,
versions, times, iterations, hyperparameters, metrics, logs every
`--log-every` steps); with `--save-model`, the `.keras` model too.

The official run is 200k iterations (40k train steps here) of 64-filter
networks with 6 residual blocks at 128×128. On a shared 2-core CPU one train
step of the defaults here (16 filters, 3 residual blocks, 28×28) took about
0.4 s under JAX, 0.6-0.9 s under TensorFlow and 6-8 s under torch, so the
default of 900 steps (4,500 critic updates) fits in 10 minutes with JAX,
evaluation included (the recorded run: 394 s of training, 34 s of
evaluation, 460 s in all).

Usage:

    KERAS_BACKEND=jax nice -n 10 python scripts/train_stargan_fashion_mnist.py \
        --iterations 900 --time-limit 430 --out /tmp/stargan
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
from kerasgan.data.domains import DOMAIN_TASKS
from kerasgan.metrics import domain_translation
from kerasgan.utils.images import save_image_grid

TASK = "fashion_mnist_domains"


class Batches(keras.utils.PyDataset):
    """`steps` batches per epoch of `size` images with their domain labels,
    each drawn without replacement by its own seeded generator (the same
    batches on every backend and in every run)."""

    def __init__(self, x, y, size, steps, seed):
        super().__init__()
        self.x, self.y, self.size, self.steps, self.seed = x, y, size, steps, seed
        self.epoch = 0

    def __len__(self):
        return self.steps

    def __getitem__(self, index):
        step = self.epoch * self.steps + index
        rows = np.random.default_rng((self.seed, step)).choice(len(self.x), self.size, replace=False)
        return self.x[rows], self.y[rows]

    def on_epoch_end(self):
        self.epoch += 1


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


class EpochTimes(keras.callbacks.Callback):
    def __init__(self):
        super().__init__()
        self.times = []

    def on_epoch_begin(self, epoch, logs=None):
        self.start = time.perf_counter()

    def on_epoch_end(self, epoch, logs=None):
        self.times.append(time.perf_counter() - self.start)


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--iterations", type=int, default=900,
                   help="train steps (generator updates), each with --critic-steps critic updates")
    p.add_argument("--batch-size", type=int, default=16, help="images per critic update (official 16)")
    p.add_argument("--critic-steps", type=int, default=5)
    p.add_argument("--filters", type=int, default=16, help="base filters of G and D (official 64)")
    p.add_argument("--residual-blocks", type=int, default=3, help="official 6")
    p.add_argument("--lambda-identity", type=float, default=0.0,
                   help="StarGAN(lambda_identity=...): an identity-mapping term, not in the paper (default 0)")
    p.add_argument("--learning-rate", type=float, default=1e-4,
                   help="Adam's initial learning rate, both players (official 1e-4)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--time-limit", type=float, default=None,
                   help="stop training after this many seconds (the steps done are reported)")
    p.add_argument("--time-budget", type=float, default=None,
                   help="fit the run to about this many seconds of training: a throwaway model of "
                        "the same settings times --probe-steps train steps, then the run takes "
                        "min(--iterations, budget / seconds per step) steps, its learning-rate "
                        "decay scheduled for that length (for a machine of unknown speed)")
    p.add_argument("--probe-steps", type=int, default=50, help="timed train steps of --time-budget's probe")
    p.add_argument("--log-every", type=int, default=100, help="train steps per logged epoch")
    p.add_argument("--eval-images", type=int, default=1000, help="test images scored (0: no evaluation)")
    p.add_argument("--save-model", action="store_true")
    p.add_argument("--out", default="runs/stargan_fashion_mnist")
    return p.parse_args(argv)


def load_task():
    domains = data.load_domain_task(TASK)
    x = np.concatenate(domains).astype("float32")
    y = np.concatenate([np.full(len(d), i, "int32") for i, d in enumerate(domains)])
    return x, y


def preview_examples(seed=0, per_domain=2):
    """Test images, `per_domain` in each source domain (the same garments'
    other domains are what the grid's rows should show)."""
    x = data.load_fashion_mnist("test")
    rng = np.random.default_rng(seed)
    picks = rng.choice(len(x), per_domain * len(DOMAIN_TASKS[TASK]), replace=False)
    images = []
    for i, transform in enumerate(DOMAIN_TASKS[TASK]):
        images.append(data.apply_transform(transform, x[picks[i * per_domain : (i + 1) * per_domain]]))
    return np.concatenate(images)


def build_model(args, image_shape, iterations):
    model = kerasgan.models.StarGAN(
        image_shape=image_shape,
        num_domains=len(DOMAIN_TASKS[TASK]),
        generator_filters=args.filters,
        residual_blocks=args.residual_blocks,
        discriminator_filters=args.filters,
        discriminator_steps=args.critic_steps,
        lambda_identity=args.lambda_identity,
        seed=args.seed,
    )
    model.compile(optimizers=model.reference_optimizers(iterations, learning_rate=args.learning_rate))
    return model


def probe_step_seconds(args, x, y):
    """Seconds per train step of these settings on this machine: a throwaway
    model trains a few steps (compilation), then `--probe-steps` timed ones."""
    model = build_model(args, x.shape[1:], args.iterations)
    fit_batch = args.batch_size * args.critic_steps
    start = time.perf_counter()
    model.fit(Batches(x, y, fit_batch, 3, args.seed + 1), epochs=1, verbose=0)
    warmup = time.perf_counter() - start
    timer = EpochTimes()
    model.fit(Batches(x, y, fit_batch, args.probe_steps, args.seed + 2), epochs=1, verbose=0,
              callbacks=[timer])
    return {"warmup_seconds": warmup, "timed_steps": args.probe_steps,
            "seconds_per_step": timer.times[0] / args.probe_steps}


def iterations_for_budget(budget, seconds_per_step, cap, multiple=1):
    """The train steps that fit in `budget` seconds, at most `cap`, rounded
    down to a whole number of `multiple`-step logged epochs (at least one)."""
    steps = int(min(cap, budget // seconds_per_step))
    return max(min(multiple, cap), steps - steps % multiple)


def main(argv=None):
    args = parse_args(argv)
    started = time.perf_counter()
    os.makedirs(args.out, exist_ok=True)
    if args.time_budget is not None and not (args.time_budget > 0 and args.probe_steps >= 1):
        raise SystemExit(f"--time-budget must be > 0 seconds and --probe-steps >= 1, got "
                         f"{args.time_budget} and {args.probe_steps}")
    keras.utils.set_random_seed(args.seed)
    x, y = load_task()
    probe = None
    iterations_requested = args.iterations
    if args.time_budget is not None:
        probe = probe_step_seconds(args, x, y)
        args.iterations = iterations_for_budget(args.time_budget, probe["seconds_per_step"],
                                                args.iterations, args.log_every)
        print(f"--time-budget {args.time_budget:g} s at {probe['seconds_per_step']:.4f} s per step: "
              f"{args.iterations} train steps", flush=True)
        keras.utils.set_random_seed(args.seed)
    model = build_model(args, x.shape[1:], args.iterations)
    log_every = min(args.log_every, args.iterations)
    epochs = -(-args.iterations // log_every)
    batches = Batches(x, y, args.batch_size * args.critic_steps, log_every, args.seed)
    train_start = time.perf_counter()
    deadline = Deadline(None if args.time_limit is None else train_start + args.time_limit)
    epoch_times = EpochTimes()
    callbacks = [deadline, epoch_times]
    if args.save_model:  # after every logged epoch (the last one too), so a run cut short keeps its model
        callbacks.append(keras.callbacks.ModelCheckpoint(os.path.join(args.out, "stargan_fashion_mnist.keras")))
    history = model.fit(batches, epochs=epochs, verbose=2, callbacks=callbacks)
    train_seconds = time.perf_counter() - train_start
    steps = int(model.optimizer.iterations.numpy())

    report = None
    eval_seconds = 0.0
    if args.eval_images:
        eval_start = time.perf_counter()
        classifier = domain_translation.train_domain_classifier(task=TASK, seed=args.seed)
        x_test, y_test = data.load_fashion_mnist("test", with_labels=True)
        report = domain_translation.evaluate_domain_translation(
            model.translate, x_test, y_test, task=TASK, domain_classifier=classifier,
            num_images=args.eval_images, seed=args.seed,
        )
        eval_seconds = time.perf_counter() - eval_start

    grid, rows = model.preview(preview_examples(args.seed))
    png = os.path.join(args.out, "stargan_fashion_mnist.png")
    save_image_grid(grid, png, rows=rows, scale=3)
    result = {
        "command": " ".join(shlex.quote(a) for a in [sys.executable, *sys.argv]),
        "backend": keras.backend.backend(),
        "versions": {"keras": keras.__version__, "python": platform.python_version(),
                     "kerasgan": getattr(kerasgan, "__version__", None)},
        "task": TASK,
        "domains": list(DOMAIN_TASKS[TASK]),
        "hyperparameters": {**model.hyperparameters, "batch_size_per_update": args.batch_size,
                            "learning_rate": args.learning_rate,
                            "fit_batch_size": args.batch_size * args.critic_steps,
                            "seed": args.seed},
        "iterations_requested": iterations_requested,
        "iterations_planned": args.iterations,
        "time_budget": args.time_budget,
        "probe": probe,
        "train_steps": steps,
        "critic_updates": int(model.player_optimizer("discriminator").iterations.numpy()),
        "generator_updates": int(model.player_optimizer("generator").iterations.numpy()),
        "stopped_by_time_limit": deadline.passed,
        # 0 once the linear decay has run its course (a run not cut short).
        "final_learning_rates": {p: float(keras.ops.convert_to_numpy(model.player_optimizer(p).learning_rate))
                                 for p in ("discriminator", "generator")},
        "seconds": {"train": train_seconds, "evaluation": eval_seconds,
                    "total": time.perf_counter() - started, "per_logged_epoch": epoch_times.times},
        "metrics": report,
        "logs_every_steps": log_every,
        "history": history.history,
        "preview": png,
    }
    path = os.path.join(args.out, "stargan_fashion_mnist.json")
    with open(path, "w") as f:
        json.dump(result, f, indent=2, default=float)
    summary = {k: report[k] for k in ("domain_accuracy", "garment_agreement", "mae")} if report else {}
    print(json.dumps({"train_steps": steps, "seconds": result["seconds"]["total"], **summary}))
    return result


if __name__ == "__main__":
    main()
