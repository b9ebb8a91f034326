"""Semi-supervised GAN vs a plain classifier on Fashion-MNIST, 100 labels per class.

For each seed s (which 1,000 training images are labelled, and every
initialisation and shuffle):

* **SSGAN**: `kerasgan.models.SemiSupervisedGAN` (Salimans et al. 2016, §5):
  D with K = 10 logits (the "generated" logit fixed at 0), supervised
  cross-entropy on the labelled images plus the unsupervised GAN loss,
  generator trained by feature matching on the layer before D's output.
  Trained on `SemiSupervisedGAN.training_arrays(x, y, 100, seed=s)` (all
  60,000 training images unlabelled, plus as many draws from the 1,000
  labelled ones, so about half of each batch is labelled) for a fixed number
  of iterations, in `--checkpoints` equal chunks with the test error measured
  after each chunk. The test error is that of `model.classify(x_test)`
  (D in inference mode: argmax of the K logits).
* **plain classifier**: the same network as D (same builder, same width),
  softmax cross-entropy on the same 1,000 labelled images only, same
  optimizer as D. Number of epochs by early stopping: first trained on 900 of
  the 1,000 (90 per class) with the other 100 as validation, patience
  `--patience` epochs, up to `--max-epochs`; then retrained from the same
  initial weights on all 1,000 for the best epoch count, and that model is
  evaluated.

Both are evaluated on the 10,000 Fashion-MNIST test images.

D has batch normalization. Its moving statistics are updated on every
training-mode call, i.e. on real *and* generated batches during GAN
training. The script therefore also reports, for information, the SSGAN's
test error after re-estimating D's batch-norm statistics on 10,000 real
training images ("real-data BN stats"); the headline number is the one of
`classify()` as trained.

Usage::

    /work/venv/bin/python benchmarks/semi_supervised_fashion_mnist.py            # full run (2 seeds)
    /work/venv/bin/python benchmarks/semi_supervised_fashion_mnist.py --quick    # smoke run, ~2 min
    /work/venv/bin/python benchmarks/semi_supervised_fashion_mnist.py --discriminator dcgan --seeds 0

`KERAS_BACKEND` is set from `--backend` before Keras is imported.
"""

import argparse
import json
import os
import platform
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_JSON = os.path.join(HERE, "results", "semi_supervised_fashion_mnist.json")
IMAGE_SHAPE = (28, 28, 1)
NUM_CLASSES = 10


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--backend", default="jax", choices=("jax", "tensorflow", "torch"))
    p.add_argument("--seeds", type=int, nargs="+", default=[0, 1])
    p.add_argument("--labelled-per-class", type=int, default=100)
    p.add_argument("--discriminator", default="dcgan-dropout", choices=("dcgan", "dcgan-dropout"),
                   help="D (and baseline) architecture: kerasgan's DCGAN discriminator, or the "
                        "same with input dropout 0.2 and dropout 0.5 after each conv block")
    p.add_argument("--width", type=int, default=32, help="base filters of D and G")
    p.add_argument("--latent-dim", type=int, default=100)
    p.add_argument("--batch-size", type=int, default=100)
    p.add_argument("--iterations", type=int, default=1200, help="SSGAN training iterations")
    p.add_argument("--checkpoints", type=int, default=4, help="test-error measurements during SSGAN training")
    p.add_argument("--learning-rate", type=float, default=6e-4, help="Adam lr of D, G and the baseline")
    p.add_argument("--beta-1", type=float, default=0.5)
    p.add_argument("--max-epochs", type=int, default=200, help="baseline: early-stopping limit")
    p.add_argument("--patience", type=int, default=25, help="baseline: early-stopping patience (epochs)")
    p.add_argument("--quick", action="store_true", help="smoke run: 1 seed, few iterations and epochs")
    p.add_argument("--json", default=None, help=f"output JSON (default {DEFAULT_JSON}; "
                   "--quick writes nothing unless given)")
    args = p.parse_args(argv)
    if args.quick:
        args.seeds = args.seeds[:1]
        args.iterations = min(args.iterations, 60)
        args.checkpoints = min(args.checkpoints, 2)
        args.max_epochs = min(args.max_epochs, 6)
        args.patience = min(args.patience, 3)
    if args.json is None and not args.quick:
        args.json = DEFAULT_JSON
    if args.iterations % args.checkpoints:
        p.error("--iterations must be a multiple of --checkpoints")
    return args


ARGS = parse_args()
os.environ["KERAS_BACKEND"] = ARGS.backend

import numpy as np  # noqa: E402
import keras  # noqa: E402

import kerasgan  # noqa: E402
from kerasgan.models import SemiSupervisedGAN  # noqa: E402


def log(*parts):
    print(*parts, file=sys.stderr, flush=True)


# ----------------------------------------------------------------- networks
def dropout_discriminator(width, outputs=NUM_CLASSES, name="discriminator"):
    """kerasgan's DCGAN discriminator for 28×28 plus dropout (Salimans et al.).

    Dropout(0.2) on the input, then per block: 4×4 stride-2 conv (no bias,
    N(0, 0.02)), batch norm except the first, LeakyReLU(0.2), Dropout(0.5);
    flatten; Dense(outputs) without bias. Same layers and names as
    `kerasgan.nets.dcgan_discriminator(..., outputs=outputs)` apart from the
    dropout layers, so `flatten` is the feature-matching layer in both.
    """
    init = keras.initializers.RandomNormal(0.0, 0.02)
    x = keras.Input(IMAGE_SHAPE, name="image")
    h = keras.layers.Dropout(0.2, name="input_dropout")(x)
    for i in range(2):  # 28 → 14 → 7, as dcgan_discriminator for 28×28
        h = keras.layers.Conv2D(width * 2**i, 4, strides=2, padding="same", use_bias=False,
                                kernel_initializer=init, name=f"conv_{i}")(h)
        if i > 0:
            h = keras.layers.BatchNormalization(
                gamma_initializer=keras.initializers.RandomNormal(1.0, 0.02), name=f"bn_{i}")(h)
        h = keras.layers.LeakyReLU(0.2, name=f"lrelu_{i}")(h)
        h = keras.layers.Dropout(0.5, name=f"dropout_{i}")(h)
    h = keras.layers.Flatten(name="flatten")(h)
    out = keras.layers.Dense(outputs, use_bias=False, kernel_initializer=init, name="logit")(h)
    return keras.Model(x, out, name=name)


def build_discriminator(kind, width):
    if kind == "dcgan":
        return kerasgan.nets.dcgan_discriminator(IMAGE_SHAPE, width, outputs=NUM_CLASSES)
    return dropout_discriminator(width)


def optimizer(args):
    return keras.optimizers.Adam(learning_rate=args.learning_rate, beta_1=args.beta_1)


# ----------------------------------------------------------------- evaluation
def test_error(predictions, labels):
    return float(np.mean(np.asarray(predictions) != np.asarray(labels)))


def bn_layers(model):
    return [l for l in model.layers if isinstance(l, keras.layers.BatchNormalization)]


def set_real_bn_statistics(model, x, batch_size=500):
    """Sets each batch-norm layer's moving mean/variance to those of its inputs on `x`.

    Layers are processed in order, each with the earlier ones already set,
    in inference mode (dropout off). Returns the previous statistics.
    """
    saved = []
    for layer in bn_layers(model):
        saved.append((layer, keras.ops.convert_to_numpy(layer.moving_mean),
                      keras.ops.convert_to_numpy(layer.moving_variance)))
        inputs = keras.Model(model.inputs, layer.input).predict(x, batch_size=batch_size, verbose=0)
        axes = tuple(range(inputs.ndim - 1))
        layer.moving_mean.assign(inputs.mean(axis=axes))
        layer.moving_variance.assign(inputs.var(axis=axes))
    return saved


def restore_bn_statistics(saved):
    for layer, mean, variance in saved:
        layer.moving_mean.assign(mean)
        layer.moving_variance.assign(variance)


# ----------------------------------------------------------------- runs
def run_ssgan(args, seed, xs, ys, x_test, y_test, x_calibration):
    keras.utils.set_random_seed(seed)
    discriminator = build_discriminator(args.discriminator, args.width)
    generator = kerasgan.nets.dcgan_generator(IMAGE_SHAPE, args.latent_dim, args.width)
    model = SemiSupervisedGAN(
        data_shape=IMAGE_SHAPE, num_classes=NUM_CLASSES, latent_dim=args.latent_dim,
        generator=generator, discriminator=discriminator, feature_matching=True, seed=seed,
    )
    model.compile(generator_optimizer=optimizer(args), discriminator_optimizer=optimizer(args))
    rng = np.random.default_rng(seed)
    needed = args.iterations * args.batch_size
    order = np.concatenate([rng.permutation(len(xs)) for _ in range(-(-needed // len(xs)))])[:needed]
    chunk = needed // args.checkpoints
    curve = []
    train_seconds = 0.0
    for c in range(args.checkpoints):
        idx = order[c * chunk : (c + 1) * chunk]
        start = time.perf_counter()
        history = model.fit(xs[idx], ys[idx], batch_size=args.batch_size, epochs=1,
                            shuffle=False, verbose=0)
        train_seconds += time.perf_counter() - start
        logs = {k: float(v[-1]) for k, v in history.history.items()}
        error = test_error(model.classify(x_test), y_test)
        saved = set_real_bn_statistics(model.discriminator, x_calibration)
        error_real_bn = test_error(model.classify(x_test), y_test)
        restore_bn_statistics(saved)
        point = {
            "iterations": (c + 1) * chunk // args.batch_size,
            "unlabelled_images_seen": int(np.sum(ys[order[: (c + 1) * chunk]] < 0)),
            "test_error": error,
            "test_error_real_bn_stats": error_real_bn,
            "train_seconds": round(train_seconds, 1),
            "logs": {k: round(v, 4) for k, v in logs.items()},
        }
        curve.append(point)
        log(f"  ssgan seed {seed} it {point['iterations']}: test error {error:.4f} "
            f"(real-data BN stats {error_real_bn:.4f}), {train_seconds:.0f} s, "
            + ", ".join(f"{k} {v:.3f}" for k, v in logs.items()))
    return {"test_error": curve[-1]["test_error"],
            "test_error_real_bn_stats": curve[-1]["test_error_real_bn_stats"],
            "train_seconds": round(train_seconds, 1), "curve": curve}


def run_baseline(args, seed, x_lab, y_lab, x_test, y_test):
    # Validation split: 10 % of each class of the labelled images.
    rng = np.random.default_rng(10_000 + seed)
    val = np.concatenate([
        rng.choice(np.flatnonzero(y_lab == c), max(1, len(np.flatnonzero(y_lab == c)) // 10), replace=False)
        for c in range(NUM_CLASSES)
    ])
    train = np.setdiff1d(np.arange(len(y_lab)), val)

    keras.utils.set_random_seed(seed)
    net = build_discriminator(args.discriminator, args.width)
    initial = net.get_weights()

    def compiled():
        net.compile(optimizer=optimizer(args),
                    loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                    metrics=["accuracy"])

    start = time.perf_counter()
    compiled()
    stop = keras.callbacks.EarlyStopping("val_loss", patience=args.patience, restore_best_weights=True)
    history = net.fit(x_lab[train], y_lab[train], validation_data=(x_lab[val], y_lab[val]),
                      batch_size=args.batch_size, epochs=args.max_epochs, callbacks=[stop],
                      verbose=0)
    val_loss = history.history["val_loss"]
    best_epochs = int(np.argmin(val_loss)) + 1
    error_900 = test_error(net.predict(x_test, batch_size=500, verbose=0).argmax(-1), y_test)
    # Retrain from the same initial weights on all labelled images for best_epochs.
    net.set_weights(initial)
    compiled()
    keras.utils.set_random_seed(seed)
    net.fit(x_lab, y_lab, batch_size=args.batch_size, epochs=best_epochs, shuffle=True, verbose=0)
    seconds = time.perf_counter() - start
    error = test_error(net.predict(x_test, batch_size=500, verbose=0).argmax(-1), y_test)
    log(f"  baseline seed {seed}: best epoch {best_epochs} of {len(val_loss)} "
        f"(val acc {history.history['val_accuracy'][best_epochs - 1]:.3f}); test error "
        f"{error:.4f} (900-label early-stopped model: {error_900:.4f}), {seconds:.0f} s")
    return {"test_error": error, "epochs": best_epochs, "epochs_run_early_stopping": len(val_loss),
            "test_error_900_labels_early_stopped": error_900,
            "best_val_accuracy": float(history.history["val_accuracy"][best_epochs - 1]),
            "seconds": round(seconds, 1)}


# ----------------------------------------------------------------- main
def summary(values):
    values = np.asarray(values, dtype=float)
    return {"mean": float(values.mean()), "min": float(values.min()), "max": float(values.max()),
            "n": int(len(values))}


def pct(s):
    if s["n"] == 1:
        return f"{100 * s['mean']:.2f} %"
    return f"{100 * s['mean']:.2f} % ({100 * s['min']:.2f}–{100 * s['max']:.2f})"


def main(args):
    wall = time.perf_counter()
    load_start = os.getloadavg()
    log(f"backend {keras.backend.backend()}, keras {keras.__version__}, args {vars(args)}")
    x, y = kerasgan.data.load_fashion_mnist("train", with_labels=True)
    x_test, y_test = kerasgan.data.load_fashion_mnist("test", with_labels=True)
    y, y_test = y.astype("int32"), y_test.astype("int32")
    x_calibration = x[np.random.default_rng(12345).choice(len(x), 10_000, replace=False)]

    rows = []
    for seed in args.seeds:
        xs, ys, labelled = SemiSupervisedGAN.training_arrays(x, y, args.labelled_per_class, seed=seed)
        log(f"seed {seed}: {len(labelled)} labelled images; training arrays {xs.shape}")
        baseline = run_baseline(args, seed, x[labelled], y[labelled], x_test, y_test)
        ssgan = run_ssgan(args, seed, xs, ys, x_test, y_test, x_calibration)
        rows.append({"seed": seed, "labelled_indices": [int(i) for i in labelled],
                     "ssgan": ssgan, "baseline": baseline})
        del xs, ys

    result = {
        "ssgan_test_error": summary([r["ssgan"]["test_error"] for r in rows]),
        "ssgan_test_error_real_bn_stats": summary([r["ssgan"]["test_error_real_bn_stats"] for r in rows]),
        "baseline_test_error": summary([r["baseline"]["test_error"] for r in rows]),
    }
    wall = time.perf_counter() - wall

    lines = [
        f"Fashion-MNIST, {args.labelled_per_class} labels per class, D = {args.discriminator} "
        f"width {args.width}, backend {keras.backend.backend()}, SSGAN {args.iterations} iterations "
        f"of batch {args.batch_size}",
        "",
        "| seed | SSGAN test error | SSGAN, real-data BN stats | plain classifier test error | classifier epochs |",
        "|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        lines.append(f"| {r['seed']} | {100 * r['ssgan']['test_error']:.2f} % | "
                     f"{100 * r['ssgan']['test_error_real_bn_stats']:.2f} % | "
                     f"{100 * r['baseline']['test_error']:.2f} % | {r['baseline']['epochs']} |")
    lines.append(f"| mean (range) | {pct(result['ssgan_test_error'])} | "
                 f"{pct(result['ssgan_test_error_real_bn_stats'])} | {pct(result['baseline_test_error'])} | |")
    lines.append("")
    lines.append(f"wall time {wall:.0f} s; load average at start {load_start[0]:.2f}, "
                 f"at end {os.getloadavg()[0]:.2f}")
    print("\n".join(lines))

    if args.json:
        versions = {"python": platform.python_version(), "keras": keras.__version__,
                    "numpy": np.__version__}
        try:
            import importlib.metadata as md
            versions["kerasgan"] = md.version("kerasgan")
            versions[args.backend if args.backend != "tensorflow" else "tensorflow"] = md.version(
                {"jax": "jax", "tensorflow": "tensorflow", "torch": "torch"}[args.backend])
        except Exception:  # pragma: no cover - informational only
            pass
        out = {
            "benchmark": "semi_supervised_fashion_mnist",
            "command": "python " + " ".join([os.path.relpath(__file__, os.path.dirname(HERE))] + sys.argv[1:]),
            "settings": vars(args),
            "backend": keras.backend.backend(),
            "machine": {"cpu_count": os.cpu_count(), "platform": platform.platform(),
                        "load_average_start": load_start, "load_average_end": os.getloadavg()},
            "versions": versions,
            "wall_seconds": round(wall, 1),
            "summary": result,
            "runs": rows,
            "table": lines,
        }
        os.makedirs(os.path.dirname(os.path.abspath(args.json)), exist_ok=True)
        with open(args.json, "w") as f:
            json.dump(out, f, indent=1)
        log(f"wrote {args.json}")


if __name__ == "__main__":
    main(ARGS)
