"""Semi-supervised GAN vs a plain classifier on Fashion-MNIST with few labels.

Salimans et al. 2016, "Improved Techniques for Training GANs", §5, with the
settings of their released MNIST code (openai/improved-gan,
`train_mnist_feature_matching.py`) unless a flag says otherwise. For each
number of labels (`--labels`, in total, spread evenly over the 10 classes)
and seed s (which training images are labelled, every initialisation and
shuffle):

* **SSGAN**: `kerasgan.models.SemiSupervisedGAN`: D with K = 10 logits (the
  "generated" logit fixed at 0), supervised cross-entropy on the labelled
  images plus the unsupervised GAN loss over the unlabelled ones, generator
  trained by feature matching. Trained on
  `SemiSupervisedGAN.training_arrays` (all 60,000 training images
  unlabelled, plus as many draws from the labelled ones, so about half of
  each batch is labelled) for `--iterations`, with the test error measured
  `--checkpoints` times. The reported error is that of D's weights averaged
  over training (Polyak averaging, as the reference code's test error);
  the error of the last weights is reported beside it.
* **plain classifier**: the same network as D, softmax cross-entropy on the
  same labelled images only, same optimizer. Number of epochs by early
  stopping: first trained on 90 % of the labelled images (per class) with
  the other 10 % as validation, patience `--patience` epochs, up to
  `--max-epochs`; then retrained from the same initial weights on all of
  them for the best epoch count, and that model is evaluated.

Both are evaluated on the 10,000 Fashion-MNIST test images.

Usage::

    python benchmarks/semi_supervised_fashion_mnist.py            # full run
    python benchmarks/semi_supervised_fashion_mnist.py --quick    # smoke run, ~1 min
    python benchmarks/semi_supervised_fashion_mnist.py --networks dcgan-dropout --labels 1000

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
NETWORKS = ("mlp", "dcgan-dropout", "dcgan")


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--backend", default="jax", choices=("jax", "tensorflow", "torch"))
    p.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    p.add_argument("--labels", type=int, nargs="+", default=[100, 1000],
                   help="labelled training images in total, a multiple of 10 (one tenth per class)")
    p.add_argument("--networks", default="mlp", choices=NETWORKS,
                   help="mlp: the reference code's MNIST networks (D: Gaussian noise and "
                        "weight-normalized dense layers 1000-500-250-250-250; G: dense 500-500 "
                        "with batch norm); dcgan: kerasgan's DCGAN networks for 28x28 at --width; "
                        "dcgan-dropout: the same D with input dropout 0.2 and dropout 0.5 after "
                        "each conv block")
    p.add_argument("--width", type=int, default=32, help="dcgan networks: base filters of D and G")
    p.add_argument("--input-noise", type=float, default=0.6,
                   help="mlp D: std of the Gaussian noise on its [-1, 1] input (the reference's "
                        "0.3 on [0, 1] images)")
    p.add_argument("--latent-dim", type=int, default=100)
    p.add_argument("--batch-size", type=int, default=200,
                   help="SSGAN batch (about half labelled; the reference's D sees 100 labelled "
                        "and 100 unlabelled images per step)")
    p.add_argument("--iterations", type=int, default=6000, help="SSGAN training iterations")
    p.add_argument("--checkpoints", type=int, default=10, help="test-error measurements during SSGAN training")
    p.add_argument("--learning-rate", type=float, default=3e-3, help="Adam lr of D, G and the baseline")
    p.add_argument("--beta-1", type=float, default=0.5)
    p.add_argument("--supervised-weight", type=float, default=2.0,
                   help="the reference weighs its supervised loss 1 against 0.5 x the two "
                        "unsupervised terms, which kerasgan's loss sums unhalved")
    p.add_argument("--entropy-weight", type=float, default=0.0,
                   help="weight of the conditional entropy of D's classes on the unlabelled "
                        "images, added to D's loss (Dai et al. 2017, §4; 0: Salimans et al.)")
    p.add_argument("--average-every", type=int, default=10,
                   help="iterations between snapshots of D's weights for the average")
    p.add_argument("--average-horizon", type=int, default=50,
                   help="snapshots: the running mean of the first ones, then an exponential "
                        "average with rate 1/horizon")
    p.add_argument("--baseline-batch-size", type=int, default=100)
    p.add_argument("--max-epochs", type=int, default=500, help="baseline: early-stopping limit")
    p.add_argument("--patience", type=int, default=50, help="baseline: early-stopping patience (epochs)")
    p.add_argument("--plot", default=None, help="PNG of the test-error curves (also redrawn from "
                   "--from-json without training)")
    p.add_argument("--from-json", default=None, help="with --plot: draw from this result file")
    p.add_argument("--label-structure", action="store_true",
                   help="instead of the comparison: how far labels follow the data's neighbourhoods "
                        "(1-nearest-neighbour test error per class with all 60,000 training labels, "
                        "on the pixels) and the D network trained on all 60,000 labels for "
                        "--all-labels-epochs (the room a semi-supervised method has); writes --json")
    p.add_argument("--all-labels-epochs", type=int, default=30)
    p.add_argument("--quick", action="store_true", help="smoke run: 1 seed, 100 labels, few iterations and epochs")
    p.add_argument("--json", default=None, help=f"output JSON (default {DEFAULT_JSON}; "
                   "--quick writes nothing unless given)")
    args = p.parse_args(argv)
    if args.quick:
        args.seeds = args.seeds[:1]
        args.labels = args.labels[:1]
        args.iterations = min(args.iterations, 40)
        args.checkpoints = min(args.checkpoints, 2)
        args.max_epochs = min(args.max_epochs, 6)
        args.patience = min(args.patience, 3)
        args.all_labels_epochs = min(args.all_labels_epochs, 2)
    if args.json is None and not args.quick:
        args.json = DEFAULT_JSON.replace(".json", "_label_structure.json") if args.label_structure else DEFAULT_JSON
    if args.iterations % args.checkpoints:
        p.error("--iterations must be a multiple of --checkpoints")
    for n in args.labels:
        if n < 10 or n % NUM_CLASSES:
            p.error(f"--labels {n}: give a multiple of {NUM_CLASSES} (the same number per class), at least 10")
    return args


ARGS = parse_args() if __name__ == "__main__" else None
if ARGS is not None:
    os.environ["KERAS_BACKEND"] = ARGS.backend

import numpy as np  # noqa: E402
import keras  # noqa: E402

import kerasgan  # noqa: E402
from kerasgan.layers import WeightNormDense, initialize_weight_norm  # noqa: E402
from kerasgan.models import SemiSupervisedGAN  # noqa: E402


def log(*parts):
    print(*parts, file=sys.stderr, flush=True)


# ----------------------------------------------------------------- networks
def mlp_discriminator(input_noise=0.6, outputs=NUM_CLASSES, name="discriminator"):
    """The reference code's MNIST discriminator: Gaussian noise on the input,
    then weight-normalized dense layers of 1000, 500, 250, 250 and 250 ReLU
    units each followed by Gaussian noise of std 0.5, and a weight-normalized
    output layer with a trained scale. `features` (the last hidden layer's
    activations) is where feature matching looks, as the reference's
    `layers[-3]`."""
    x = keras.Input(IMAGE_SHAPE, name="image")
    h = keras.layers.Flatten(name="flatten")(x)
    h = keras.layers.GaussianNoise(input_noise, name="input_noise")(h)
    units = (1000, 500, 250, 250, 250)
    for i, n in enumerate(units):
        last = i == len(units) - 1
        h = WeightNormDense(n, activation="relu", name="features" if last else f"dense_{i}")(h)
        h = keras.layers.GaussianNoise(0.5, name=f"noise_{i}")(h)
    out = WeightNormDense(outputs, train_scale=True, name="logit")(h)
    return keras.Model(x, out, name=name)


def mlp_generator(latent_dim, name="generator"):
    """The reference code's MNIST generator: dense 500 → batch norm →
    softplus, twice, then dense 784 (tanh here, for [−1, 1] images; the
    reference's sigmoid gives [0, 1])."""
    z = keras.Input((latent_dim,), name="latent")
    h = z
    for i in range(2):
        h = keras.layers.Dense(500, use_bias=False, name=f"dense_{i}")(h)
        h = keras.layers.BatchNormalization(name=f"bn_{i}")(h)
        h = keras.layers.Activation("softplus", name=f"softplus_{i}")(h)
    h = keras.layers.Dense(int(np.prod(IMAGE_SHAPE)), activation="tanh", name="image")(h)
    return keras.Model(z, keras.layers.Reshape(IMAGE_SHAPE, name="reshape")(h), name=name)


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


def build_networks(args, x_init):
    """(generator, discriminator, feature-matching layer); weight-normalized
    layers are initialised from `x_init` (the reference's 500 images)."""
    if args.networks == "mlp":
        discriminator = mlp_discriminator(args.input_noise)
        initialize_weight_norm(discriminator, x_init)
        return mlp_generator(args.latent_dim), discriminator, "features"
    if args.networks == "dcgan":
        discriminator = kerasgan.nets.dcgan_discriminator(IMAGE_SHAPE, args.width, outputs=NUM_CLASSES)
    else:
        discriminator = dropout_discriminator(args.width)
    return kerasgan.nets.dcgan_generator(IMAGE_SHAPE, args.latent_dim, args.width), discriminator, True


def optimizer(args):
    return keras.optimizers.Adam(learning_rate=args.learning_rate, beta_1=args.beta_1)


class WeightAverage(keras.callbacks.Callback):
    """Polyak averaging of a network's weights during `fit`: a snapshot every
    `every` batches; the running mean of the first `horizon` snapshots, then
    an exponential average with rate 1/horizon."""

    def __init__(self, network, every=10, horizon=50):
        super().__init__()
        self.network, self.every, self.horizon = network, int(every), int(horizon)
        self.average, self.batches, self.snapshots = None, 0, 0

    def on_train_batch_end(self, batch, logs=None):
        self.batches += 1
        if self.batches % self.every:
            return
        if hasattr(self.model, "jax_state_sync"):  # JAX carries the state through an epoch
            self.model.jax_state_sync()
        weights = self.network.get_weights()
        self.snapshots += 1
        rate = max(1.0 / self.horizon, 1.0 / self.snapshots)
        if self.average is None:
            self.average = weights
        else:
            self.average = [a + rate * (w - a) for a, w in zip(self.average, weights)]

    def evaluate(self, function):
        """`function()` with the averaged weights in place (the network's own
        weights are put back afterwards)."""
        current = self.network.get_weights()
        self.network.set_weights(self.average)
        try:
            return function()
        finally:
            self.network.set_weights(current)


# ----------------------------------------------------------------- evaluation
def test_error(predictions, labels):
    return float(np.mean(np.asarray(predictions) != np.asarray(labels)))


def confusion(predictions, labels):
    """Counts: row = true class, column = predicted class."""
    matrix = np.zeros((NUM_CLASSES, NUM_CLASSES), "int64")
    np.add.at(matrix, (np.asarray(labels), np.asarray(predictions)), 1)
    return matrix.tolist()


def has_batch_norm(network):
    return any(isinstance(l, keras.layers.BatchNormalization) for l in network.layers)


# ----------------------------------------------------------------- runs
def run_ssgan(args, seed, xs, ys, x_test, y_test, x_init, x_calibration):
    keras.utils.set_random_seed(seed)
    generator, discriminator, features = build_networks(args, x_init)
    model = SemiSupervisedGAN(
        data_shape=IMAGE_SHAPE, num_classes=NUM_CLASSES, latent_dim=args.latent_dim,
        generator=generator, discriminator=discriminator, feature_matching=features,
        supervised_weight=args.supervised_weight, entropy_weight=args.entropy_weight, seed=seed,
    )
    model.compile(generator_optimizer=optimizer(args), discriminator_optimizer=optimizer(args))
    average = WeightAverage(model.discriminator, args.average_every, args.average_horizon)
    calibrate = has_batch_norm(model.discriminator)
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
                            shuffle=False, verbose=0, callbacks=[average])
        train_seconds += time.perf_counter() - start
        logs = {k: float(v[-1]) for k, v in history.history.items()}
        averaged = average.evaluate(lambda: model.classify(x_test))
        point = {
            "iterations": (c + 1) * chunk // args.batch_size,
            "unlabelled_images_seen": int(np.sum(ys[order[: (c + 1) * chunk]] < 0)),
            "test_error_averaged": test_error(averaged, y_test),
            "test_error_last": test_error(model.classify(x_test), y_test),
        }
        if calibrate:  # the batch-norm choice: D's statistics as trained, or re-estimated on real images
            saved = model.calibrate_batch_norm(x_calibration)
            point["test_error_last_real_bn_stats"] = test_error(model.classify(x_test), y_test)
            model.restore_batch_norm(saved)
        point["train_seconds"] = round(train_seconds, 1)
        point["logs"] = {k: round(v, 4) for k, v in logs.items()}
        curve.append(point)
        log(f"  ssgan {args.current_labels} labels seed {seed} it {point['iterations']}: test error "
            f"{point['test_error_averaged']:.4f} averaged, {point['test_error_last']:.4f} last"
            + (f", {point['test_error_last_real_bn_stats']:.4f} real-data BN stats" if calibrate else "")
            + f"; {train_seconds:.0f} s; " + ", ".join(f"{k} {v:.3f}" for k, v in logs.items()))
    result = {k: curve[-1][k] for k in curve[-1] if k.startswith("test_error")}
    result["confusion"] = confusion(averaged, y_test)  # the averaged D's, at the last checkpoint
    result.update({"test_error": curve[-1]["test_error_averaged"],
                   "train_seconds": round(train_seconds, 1), "curve": curve})
    return result


def run_baseline(args, seed, x_lab, y_lab, x_test, y_test, x_init):
    # Validation split: 10 % of each class of the labelled images.
    rng = np.random.default_rng(10_000 + seed)
    val = np.concatenate([
        rng.choice(np.flatnonzero(y_lab == c), max(1, len(np.flatnonzero(y_lab == c)) // 10), replace=False)
        for c in range(NUM_CLASSES)
    ])
    train = np.setdiff1d(np.arange(len(y_lab)), val)

    keras.utils.set_random_seed(seed)
    _, net, _ = build_networks(args, x_init)
    initial = net.get_weights()

    def compiled():
        net.compile(optimizer=optimizer(args),
                    loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                    metrics=["accuracy"])

    start = time.perf_counter()
    compiled()
    stop = keras.callbacks.EarlyStopping("val_loss", patience=args.patience, restore_best_weights=True)
    history = net.fit(x_lab[train], y_lab[train], validation_data=(x_lab[val], y_lab[val]),
                      batch_size=args.baseline_batch_size, epochs=args.max_epochs, callbacks=[stop],
                      verbose=0)
    val_loss = history.history["val_loss"]
    best_epochs = int(np.argmin(val_loss)) + 1
    error_90 = test_error(net.predict(x_test, batch_size=500, verbose=0).argmax(-1), y_test)
    # Retrain from the same initial weights on all labelled images for best_epochs.
    net.set_weights(initial)
    compiled()
    keras.utils.set_random_seed(seed)
    net.fit(x_lab, y_lab, batch_size=args.baseline_batch_size, epochs=best_epochs, shuffle=True, verbose=0)
    error = test_error(net.predict(x_test, batch_size=500, verbose=0).argmax(-1), y_test)
    # For information: the same training for --max-epochs, no early stopping.
    net.set_weights(initial)
    compiled()
    keras.utils.set_random_seed(seed)
    net.fit(x_lab, y_lab, batch_size=args.baseline_batch_size, epochs=args.max_epochs, shuffle=True, verbose=0)
    predictions_max = net.predict(x_test, batch_size=500, verbose=0).argmax(-1)
    error_max = test_error(predictions_max, y_test)
    seconds = time.perf_counter() - start
    log(f"  baseline {len(y_lab)} labels seed {seed}: best epoch {best_epochs} of {len(val_loss)} "
        f"(val acc {history.history['val_accuracy'][best_epochs - 1]:.3f}); test error "
        f"{error:.4f} (early-stopped model on 90 %: {error_90:.4f}; {args.max_epochs} epochs: "
        f"{error_max:.4f}), {seconds:.0f} s")
    return {"test_error": error, "epochs": best_epochs, "epochs_run_early_stopping": len(val_loss),
            "test_error_early_stopped_on_90_percent": error_90,
            "test_error_max_epochs": error_max,
            "confusion_max_epochs": confusion(predictions_max, y_test),
            "best_val_accuracy": float(history.history["val_accuracy"][best_epochs - 1]),
            "seconds": round(seconds, 1)}


def nearest_neighbour_predictions(x_train, y_train, x_test, chunk=1000):
    """Labels of each test image's nearest training image (Euclidean, on
    the flattened pixels)."""
    a = np.asarray(x_train, "float32").reshape(len(x_train), -1)
    b = np.asarray(x_test, "float32").reshape(len(x_test), -1)
    squared = (a * a).sum(1)
    y_train = np.asarray(y_train)
    out = np.empty(len(b), y_train.dtype)
    for i in range(0, len(b), chunk):
        # ‖a‖² − 2 a·b ranks the training images as ‖a − b‖² does.
        out[i : i + chunk] = y_train[(squared[None, :] - 2 * b[i : i + chunk] @ a.T).argmin(1)]
    return out


def per_class_error(predictions, labels):
    labels = np.asarray(labels)
    wrong = np.asarray(predictions) != labels
    return [float(wrong[labels == c].mean()) for c in range(NUM_CLASSES)]


def run_label_structure(args, x, y, x_test, y_test):
    """1-NN on the pixels with every training label, and the D network
    (the baseline's classifier) trained on every training label."""
    start = time.perf_counter()
    nearest = nearest_neighbour_predictions(x, y, x_test)
    result = {"nearest_neighbour": {
        "test_error": test_error(nearest, y_test), "per_class_error": per_class_error(nearest, y_test),
        "seconds": round(time.perf_counter() - start, 1)}}
    log(f"1-NN, all {len(y)} labels: test error {result['nearest_neighbour']['test_error']:.4f}")
    seed = args.seeds[0]
    keras.utils.set_random_seed(seed)
    x_init = x[np.random.default_rng(seed).choice(len(x), min(500, len(x)), replace=False)]
    _, net, _ = build_networks(args, x_init)
    net.compile(optimizer=optimizer(args),
                loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    curve = []
    start = time.perf_counter()
    for epoch in range(args.all_labels_epochs):
        net.fit(x, y, batch_size=args.baseline_batch_size, epochs=1, shuffle=True, verbose=0)
        predictions = net.predict(x_test, batch_size=500, verbose=0).argmax(-1)
        curve.append(test_error(predictions, y_test))
        log(f"  all labels, epoch {epoch + 1}: test error {curve[-1]:.4f}")
    result["all_labels"] = {
        "seed": seed, "epochs": args.all_labels_epochs, "test_error": curve[-1],
        "best_test_error": min(curve), "curve": curve,
        "per_class_error": per_class_error(predictions, y_test),
        "seconds": round(time.perf_counter() - start, 1)}
    return result


# ----------------------------------------------------------------- figure
def plot_curves(rows, path):
    """Test error against SSGAN iterations, one panel per label count: each
    seed's averaged-D curve, and the plain classifier's 500-epoch and
    early-stopped errors (mean over seeds) as horizontal lines. A PNG."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    counts = sorted({r["labels"] for r in rows})
    fig, axes = plt.subplots(1, len(counts), figsize=(4.6 * len(counts), 3.6), squeeze=False)
    for ax, labels in zip(axes[0], counts):
        group = [r for r in rows if r["labels"] == labels]
        for r in group:
            its = [p["iterations"] for p in r["ssgan"]["curve"]]
            ax.plot(its, [100 * p["test_error_averaged"] for p in r["ssgan"]["curve"]],
                    marker="o", markersize=3, label=f"SSGAN, seed {r['seed']}")
        for key, style, name in (("test_error_max_epochs", "--", "labels only, fixed length"),
                                 ("test_error", ":", "labels only, early-stopped")):
            level = 100 * np.mean([r["baseline"][key] for r in group])
            ax.axhline(level, color="black", linestyle=style, linewidth=1,
                       label=f"{name} (mean {level:.1f} %)")
        ax.set_title(f"Fashion-MNIST, {labels} labels", fontsize=9)
        ax.set_xlabel("SSGAN iterations", fontsize=8)
        ax.set_ylabel("test error (%)", fontsize=8)
        ax.legend(fontsize=7)
    fig.tight_layout()
    os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


# ----------------------------------------------------------------- main
def summary(values):
    values = np.asarray(values, dtype=float)
    return {"mean": float(values.mean()), "std": float(values.std(ddof=1)) if len(values) > 1 else 0.0,
            "min": float(values.min()), "max": float(values.max()), "n": int(len(values))}


def pct(s):
    if s["n"] == 1:
        return f"{100 * s['mean']:.2f} %"
    return f"{100 * s['mean']:.2f} ± {100 * s['std']:.2f} %"


def main(args):
    wall = time.perf_counter()
    load_start = os.getloadavg()
    log(f"backend {keras.backend.backend()}, keras {keras.__version__}, args {vars(args)}")
    x, y = kerasgan.data.load_fashion_mnist("train", with_labels=True)
    x_test, y_test = kerasgan.data.load_fashion_mnist("test", with_labels=True)
    y, y_test = y.astype("int32"), y_test.astype("int32")
    x_calibration = x[np.random.default_rng(12345).choice(len(x), 10_000, replace=False)]
    if args.label_structure:
        return write_json(args, {"benchmark": "semi_supervised_fashion_mnist --label-structure",
                                 **run_label_structure(args, x, y, x_test, y_test)},
                          time.perf_counter() - wall, load_start)

    rows = []
    for labels in args.labels:
        args.current_labels = labels
        for seed in args.seeds:
            xs, ys, labelled = SemiSupervisedGAN.training_arrays(x, y, labels // NUM_CLASSES, seed=seed)
            # The reference's data-dependent initialisation: 500 training images.
            x_init = x[np.random.default_rng(seed).choice(len(x), 500, replace=False)]
            log(f"{labels} labels, seed {seed}: training arrays {xs.shape}")
            baseline = run_baseline(args, seed, x[labelled], y[labelled], x_test, y_test, x_init)
            ssgan = run_ssgan(args, seed, xs, ys, x_test, y_test, x_init, x_calibration)
            rows.append({"labels": labels, "seed": seed, "labelled_indices": [int(i) for i in labelled],
                         "ssgan": ssgan, "baseline": baseline,
                         "gap": baseline["test_error"] - ssgan["test_error"]})
            del xs, ys
    del args.current_labels

    result = {}
    lines = [
        f"Fashion-MNIST, networks {args.networks}, backend {keras.backend.backend()}, SSGAN "
        f"{args.iterations} iterations of batch {args.batch_size}; test error on 10,000 images",
        "",
        "| labels | seed | SSGAN (averaged D) | SSGAN (last D) | plain classifier | gap (points) "
        f"| plain classifier, {args.max_epochs} epochs | gap to it |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for labels in args.labels:
        group = [r for r in rows if r["labels"] == labels]
        result[str(labels)] = {
            "ssgan_test_error": summary([r["ssgan"]["test_error"] for r in group]),
            "ssgan_test_error_last": summary([r["ssgan"]["test_error_last"] for r in group]),
            "baseline_test_error": summary([r["baseline"]["test_error"] for r in group]),
            "baseline_test_error_max_epochs": summary(
                [r["baseline"]["test_error_max_epochs"] for r in group]),
            "gap": summary([r["gap"] for r in group]),
            "gap_to_max_epochs": summary(
                [r["baseline"]["test_error_max_epochs"] - r["ssgan"]["test_error"] for r in group]),
        }
        for r in group:
            lines.append(f"| {labels} | {r['seed']} | {100 * r['ssgan']['test_error']:.2f} % | "
                         f"{100 * r['ssgan']['test_error_last']:.2f} % | "
                         f"{100 * r['baseline']['test_error']:.2f} % | {100 * r['gap']:.1f} | "
                         f"{100 * r['baseline']['test_error_max_epochs']:.2f} % | "
                         f"{100 * (r['baseline']['test_error_max_epochs'] - r['ssgan']['test_error']):.1f} |")
        s = result[str(labels)]
        lines.append(f"| {labels} | mean ± std | {pct(s['ssgan_test_error'])} | "
                     f"{pct(s['ssgan_test_error_last'])} | {pct(s['baseline_test_error'])} | "
                     f"{100 * s['gap']['mean']:.1f} ± {100 * s['gap']['std']:.1f} | "
                     f"{pct(s['baseline_test_error_max_epochs'])} | "
                     f"{100 * s['gap_to_max_epochs']['mean']:.1f} ± {100 * s['gap_to_max_epochs']['std']:.1f} |")
    wall = time.perf_counter() - wall
    lines.append("")
    lines.append(f"wall time {wall:.0f} s; load average at start {load_start[0]:.2f}, "
                 f"at end {os.getloadavg()[0]:.2f}")
    print("\n".join(lines))

    write_json(args, {"benchmark": "semi_supervised_fashion_mnist", "summary": result, "runs": rows,
                      "table": lines}, wall, load_start)
    if args.plot:
        log(f"wrote {plot_curves(rows, args.plot)}")


def write_json(args, content, wall, load_start):
    """Writes `content` with the command, settings, machine, versions and
    the run's `wall` seconds to `--json` (nothing without it)."""
    if not args.json:
        return
    import importlib.metadata as md

    out = {
        "benchmark": content.pop("benchmark"),
        "command": "python " + " ".join([os.path.relpath(__file__, os.path.dirname(HERE))] + sys.argv[1:]),
        "settings": vars(args),
        "backend": keras.backend.backend(),
        "machine": {"cpu_count": os.cpu_count(), "platform": platform.platform(),
                    "load_average_start": load_start, "load_average_end": os.getloadavg()},
        "versions": {"python": platform.python_version(), "keras": keras.__version__,
                     "numpy": np.__version__, args.backend: md.version(args.backend)},
        "wall_seconds": round(wall, 1),
        **content,
    }
    os.makedirs(os.path.dirname(os.path.abspath(args.json)), exist_ok=True)
    with open(args.json, "w") as f:
        json.dump(out, f, indent=1)
    log(f"wrote {args.json}")


if __name__ == "__main__":
    if ARGS.from_json:
        if not ARGS.plot:
            sys.exit("--from-json draws a figure: give --plot PATH.png")
        with open(ARGS.from_json) as f:
            log(f"wrote {plot_curves(json.load(f)['runs'], ARGS.plot)}")
    else:
        main(ARGS)
