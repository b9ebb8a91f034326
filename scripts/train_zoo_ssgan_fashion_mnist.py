"""Trains, publishes and evaluates the zoo model `ssgan_fashion_mnist`.

The semi-supervised GAN of Salimans et al. (2016, §5) with the settings of
`benchmarks/semi_supervised_fashion_mnist.py` (the reference code's MNIST
networks and optimiser; see that file and `docs/semi_supervised.md`): 100
labelled Fashion-MNIST training images in total (10 per class, chosen by
`--seed`), every training image unlabelled, D trained with the supervised
and unsupervised losses, G by feature matching. The published discriminator
holds the Polyak-averaged weights (the reference code's test error is
theirs), so `model.classify(x)` is the classifier the card's test error is
of.

Writes a `kerasgan train`-style run (`model.keras`, `run.json`,
`history.json`, `losses.png`, `samples.png`) to `--out`, publishes it with
`kerasgan.zoo.publish` and evaluates it with `scripts/evaluate_zoo_model.py
--card` (FMNIST-FID and the rest, and D's test error on the 10,000 test
images), unless `--no-publish`. With `--generator-ema DECAY` the model keeps
a moving average of G's weights, samples from it, and publishes it as G.

Usage:

    KERAS_BACKEND=jax python scripts/train_zoo_ssgan_fashion_mnist.py
"""

import argparse
import importlib.util
import os
import platform
import shlex
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
NAME = "ssgan_fashion_mnist"


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--labels", type=int, default=100, help="labelled training images in total (10 per class)")
    p.add_argument("--seed", type=int, default=0, help="which images are labelled, initial weights, order")
    p.add_argument("--iterations", type=int, default=6000, help="training iterations (batch 200)")
    p.add_argument("--checkpoints", type=int, default=10, help="test-error measurements (history epochs)")
    p.add_argument("--limit", type=int, default=None, help="train on the first N training images (smoke runs)")
    p.add_argument("--out", default=os.path.join("runs", f"zoo_{NAME}"))
    p.add_argument("--name", default=NAME, help="zoo name to publish under")
    p.add_argument("--no-publish", action="store_true", help="train and write the run only")
    p.add_argument("--eval-args", default="", help="extra options of scripts/evaluate_zoo_model.py")
    p.add_argument("--generator-ema", type=float, default=None, metavar="DECAY",
                   help="keep a moving average of G's weights (e.g. 0.999), sampled from and published as G")
    args = p.parse_args(argv)
    if args.labels < 10 or args.labels % 10:
        p.error(f"--labels {args.labels}: give a multiple of 10 (the same number per class), at least 10")
    if args.iterations < args.checkpoints or args.iterations % args.checkpoints:
        p.error("--iterations must be a positive multiple of --checkpoints")
    return args


def load_module(path, name):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def main(argv=None):
    args = parse_args(argv)
    os.environ.setdefault("KERAS_BACKEND", "jax")
    import keras
    import numpy as np

    import kerasgan
    from kerasgan import callbacks
    from kerasgan.models import SemiSupervisedGAN
    from kerasgan.utils import save_image_grid
    from kerasgan.utils import write_json_atomic

    bench = load_module(os.path.join(ROOT, "benchmarks", "semi_supervised_fashion_mnist.py"), "ssgan_benchmark")
    settings = bench.parse_args(["--labels", str(args.labels), "--seeds", str(args.seed),
                                 "--iterations", str(args.iterations), "--checkpoints", str(args.checkpoints)])
    x, y = kerasgan.data.load_fashion_mnist("train", with_labels=True)
    x_test, y_test = kerasgan.data.load_fashion_mnist("test", with_labels=True)
    y, y_test = y.astype("int32"), y_test.astype("int32")
    if args.limit:
        x, y = x[: args.limit], y[: args.limit]
    xs, ys, labelled = SemiSupervisedGAN.training_arrays(x, y, args.labels // 10, seed=args.seed)
    x_init = x[np.random.default_rng(args.seed).choice(len(x), min(500, len(x)), replace=False)]

    keras.utils.set_random_seed(args.seed)
    generator, discriminator, features = bench.build_networks(settings, x_init)
    model = SemiSupervisedGAN(
        data_shape=bench.IMAGE_SHAPE, num_classes=10, latent_dim=settings.latent_dim,
        generator=generator, discriminator=discriminator, feature_matching=features,
        supervised_weight=settings.supervised_weight, seed=args.seed, generator_ema=args.generator_ema,
    )
    model.compile(generator_optimizer=bench.optimizer(settings), discriminator_optimizer=bench.optimizer(settings))
    os.makedirs(args.out, exist_ok=True)
    average = bench.WeightAverage(model.discriminator, settings.average_every, settings.average_horizon)
    history = callbacks.LossHistory(os.path.join(args.out, "history.json"), os.path.join(args.out, "losses.png"))
    rng = np.random.default_rng(args.seed)
    needed = args.iterations * settings.batch_size
    order = np.concatenate([rng.permutation(len(xs)) for _ in range(-(-needed // len(xs)))])[:needed]
    chunk = needed // args.checkpoints
    curve, seconds, logs = [], 0.0, {}
    for c in range(args.checkpoints):
        idx = order[c * chunk: (c + 1) * chunk]
        start = time.perf_counter()
        done = model.fit(xs[idx], ys[idx], batch_size=settings.batch_size, epochs=c + 1, initial_epoch=c,
                         shuffle=False, verbose=0, callbacks=[average, history])
        seconds += time.perf_counter() - start
        logs = {k: float(v[-1]) for k, v in done.history.items()}
        error = average.evaluate(lambda: bench.test_error(model.classify(x_test), y_test))
        curve.append({"iterations": (c + 1) * chunk // settings.batch_size, "test_error_averaged": error,
                      "train_seconds": round(seconds, 1)})
        print(f"{NAME}: iteration {curve[-1]['iterations']}, test error {100 * error:.2f}% (averaged D), "
              f"{seconds:.0f} s", flush=True)
    # The published D: the averaged weights, whose test error the card reports.
    model.discriminator.set_weights(average.average)
    test_error = bench.test_error(model.classify(x_test), y_test)
    model.save(os.path.join(args.out, "model.keras"))
    save_image_grid(model.generate(64, seed=0), os.path.join(args.out, "samples.png"), scale=2)
    command = f"KERAS_BACKEND={keras.backend.backend()} python scripts/{os.path.basename(__file__)}"
    command += "".join(" " + shlex.quote(a) for a in (sys.argv[1:] if argv is None else argv))
    record = {
        "command": command, "commands": [command],
        "backend": keras.backend.backend(), "keras": keras.__version__,
        "machine": f"{platform.machine()}, {os.cpu_count()} CPUs",
        "dataset": f"fashion_mnist, {args.labels} labelled images (seed {args.seed}) and all unlabelled",
        "samples": int(len(x)), "epochs": args.checkpoints, "epochs_completed": args.checkpoints,
        "train_seconds": round(seconds, 1),
        "images_per_second": round(needed / max(seconds, 1e-9), 1),
        "final_epoch_logs": logs, "config": model.get_config(),
        "settings": {k: v for k, v in vars(settings).items() if not k.startswith("current")},
        "labelled_indices": [int(i) for i in labelled],
        "test_error": test_error, "test_error_curve": curve,
    }
    write_json_atomic(record, os.path.join(args.out, "run.json"))
    print(f"{NAME}: test error {100 * test_error:.2f}% on the 10,000 test images ({args.labels} labels), "
          f"{seconds:.0f} s of training; wrote {args.out}", flush=True)
    if args.no_publish:
        return 0
    from kerasgan import zoo

    summary = (f"Semi-supervised GAN (Salimans et al. 2016) for 28x28 Fashion-MNIST, {args.labels} labels, "
               f"{args.iterations} iterations")
    if args.generator_ema:
        summary += f", moving average of G ({args.generator_ema:g})"
    # A moving average of G is published as G (kerasgan zoo publish --fold-ema).
    zoo.publish(args.out, args.name, summary, fold_ema=bool(args.generator_ema))
    evaluate = load_module(os.path.join(ROOT, "scripts", "evaluate_zoo_model.py"), "evaluate_zoo_model")
    return evaluate.main(["--model", args.name, "--card", *shlex.split(args.eval_args)])


if __name__ == "__main__":
    sys.exit(main())
