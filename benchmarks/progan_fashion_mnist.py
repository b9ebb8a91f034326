"""ProGAN on Fashion-MNIST under a training-time budget: FMNIST-FID against training time and images seen.

Training (`--train`): `kerasgan.models.ProGAN(image_shape=(32, 32, 1))` on
the 60,000 training images padded to 32×32 (`kerasgan.data.pad_images`),
grown 4 → 8 → 16 → 32 with the `--schedule` (real images per stabilisation
and per fade), batch `--batch-size`, the model's defaults otherwise (WGAN-GP
λ = 10, drift 0.001, Adam(1e-3, β = (0, 0.99)), generator EMA 0.999, Adam
reset per phase). Training stops when its own time (snapshots excluded)
reaches `--minutes`. A snapshot of every weight (`.weights.h5`, the
images-seen counter and the EMA generator included) is written at the end of
each epoch (60,000 images) and at the stop, with the training seconds, the
images seen, the stage, α and the epoch's mean logs (the critic's scores,
its gradient norm) in `snapshots.json`.

Evaluation (`--evaluate`, after training so it does not take training
time): for each snapshot, 10,000 samples of the EMA generator at that
snapshot's resolution (latent seed 0), upsampled (nearest) to 32×32 when
smaller, cropped back to the 28×28 centre (the padding's inverse) and
clipped to [−1, 1] (the generator's output is linear, §A.1); then, with the
zoo's Fashion-MNIST classifier (the zoo cards' protocol,
`scripts/evaluate_zoo_model.py`): FMNIST-FID and KID against the 10,000 test
images, the Inception Score (10 splits). The critic's Wasserstein estimate
E[D(x)] − E[D(G(z))] of the epoch before each snapshot is reported beside
them: which of these tracks how trained the GAN is. Writes the JSON
(`--json`) and a plot of FID (and the Wasserstein estimate) against training
minutes and images seen (`--plot`), and 64 samples of the last snapshot
(`--grid`).

Usage::

    python benchmarks/progan_fashion_mnist.py --train --evaluate            # 90-minute run + evaluation
    python benchmarks/progan_fashion_mnist.py --train --evaluate --quick    # 2-minute smoke run

`KERAS_BACKEND` is set from `--backend` (default tensorflow) before Keras is
imported.
"""

import argparse
import json
import os
import platform
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
RESULTS = os.path.join(HERE, "results")


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--train", action="store_true", help="train and write snapshots")
    p.add_argument("--evaluate", action="store_true", help="evaluate the snapshots")
    p.add_argument("--quick", action="store_true", help="a smoke run: 2 minutes, tiny schedule, 1,000 samples")
    p.add_argument("--backend", default="tensorflow", choices=["tensorflow", "jax", "torch"])
    p.add_argument("--minutes", type=float, default=90.0, help="training-time budget")
    p.add_argument("--schedule", default="60000,60000", help="STABILISE,FADE real images per phase")
    p.add_argument("--batch-size", type=int, default=64)
    p.add_argument("--latent-dim", type=int, default=128)
    p.add_argument("--filter-base", type=int, default=512)
    p.add_argument("--max-filters", type=int, default=128)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--num", type=int, default=10000, help="samples per evaluated snapshot")
    p.add_argument("--out", default=os.path.join("runs", "progan_fashion_mnist"), help="snapshot folder")
    p.add_argument("--json", default=os.path.join(RESULTS, "progan_fashion_mnist.json"))
    p.add_argument("--plot", default=os.path.join(RESULTS, "progan_fashion_mnist.png"))
    p.add_argument("--grid", default=os.path.join(RESULTS, "progan_fashion_mnist_samples.png"),
                   help="64 samples of the last snapshot (28×28, as evaluated)")
    args = p.parse_args(argv)
    if not (args.train or args.evaluate):
        p.error("give --train, --evaluate or both")
    if args.quick:
        args.minutes, args.schedule, args.num = min(args.minutes, 2.0), "2000,2000", 1000
        args.filter_base, args.max_filters = 64, 32
        args.out = args.out + "_quick"
        args.json = os.path.join(args.out, "results.json")
        args.plot = os.path.join(args.out, "results.png")
        args.grid = os.path.join(args.out, "samples.png")
    args.schedule = tuple(int(v) for v in args.schedule.split(","))
    return args


def log(*parts):
    print(time.strftime("%H:%M:%S"), *parts, flush=True)


def build_model(args):
    from kerasgan.models import ProGAN

    model = ProGAN(
        image_shape=(32, 32, 1), latent_dim=args.latent_dim, filter_base=args.filter_base,
        max_filters=args.max_filters, schedule=args.schedule, seed=args.seed,
    )
    model.compile()
    return model


def train(args):
    import keras

    import kerasgan

    keras.utils.set_random_seed(args.seed)
    x = kerasgan.data.pad_images(kerasgan.data.load_fashion_mnist("train"), 32)
    model = build_model(args)
    os.makedirs(args.out, exist_ok=True)
    budget = args.minutes * 60.0
    snapshots = []

    class Budget(keras.callbacks.Callback):
        """Stops at the time budget; snapshots at each epoch end and at the stop."""

        def __init__(self):
            super().__init__()
            self.training_s, self.started = 0.0, None

        def on_train_batch_begin(self, batch, logs=None):
            self.started = time.perf_counter()

        def on_train_batch_end(self, batch, logs=None):
            self.training_s += time.perf_counter() - self.started
            if self.training_s >= budget:
                self.model.stop_training = True

        def on_epoch_end(self, epoch, logs=None):
            logs = logs or {}
            images = int(keras.ops.convert_to_numpy(model.images_seen))
            stage, alpha = model.stage, float(model.alpha)
            path = os.path.join(args.out, f"snapshot_{len(snapshots):03d}.weights.h5")
            model.save_weights(path)
            snapshots.append({
                "path": os.path.basename(path), "training_s": round(self.training_s, 1),
                "images_seen": images, "stage": stage, "resolution": model.current_resolution,
                "alpha": round(alpha, 4), "epoch": epoch + 1, "partial_epoch": bool(model.stop_training),
                "epoch_logs": {k: float(v) for k, v in (logs or {}).items()},
            })
            with open(os.path.join(args.out, "snapshots.json"), "w") as f:
                json.dump({"settings": settings(args), "snapshots": snapshots}, f, indent=1)
            log(f"snapshot {len(snapshots) - 1}: {self.training_s / 60:.1f} min, {images} images, "
                f"stage {stage} ({model.current_resolution}x{model.current_resolution}) alpha {alpha:.2f}, "
                f"d_real-d_fake {logs.get('d_real', 0) - logs.get('d_fake', 0):.3f}")

    log(f"training ProGAN on {len(x)} images for {args.minutes} min, schedule {args.schedule}")
    model.fit(x, batch_size=args.batch_size, epochs=10**6, shuffle=True, verbose=0, callbacks=[Budget()])
    return snapshots


def settings(args):
    import keras

    return {
        "backend": keras.backend.backend(), "keras": keras.__version__,
        "machine": f"{platform.machine()}, {os.cpu_count()} CPUs", "minutes": args.minutes,
        "schedule": list(args.schedule), "batch_size": args.batch_size, "latent_dim": args.latent_dim,
        "filter_base": args.filter_base, "max_filters": args.max_filters, "seed": args.seed,
        "command": "python benchmarks/progan_fashion_mnist.py " + " ".join(sys.argv[1:]),
    }


def to_28(images):
    """Generated images at any resolution ≤ 32 → the 28×28 centre of their 32×32 version, in [−1, 1]."""
    import numpy as np

    factor = 32 // images.shape[1]
    images = np.repeat(np.repeat(images, factor, axis=1), factor, axis=2)
    return np.clip(images[:, 2:30, 2:30, :], -1.0, 1.0)


def evaluate(args):
    import kerasgan
    from kerasgan import metrics
    from kerasgan.extractors.fashion_mnist_classifier import FashionMNISTFeatureExtractor

    with open(os.path.join(args.out, "snapshots.json")) as f:
        record = json.load(f)
    extractor = FashionMNISTFeatureExtractor(batch_size=500)
    test_f = extractor.features(kerasgan.data.load_fashion_mnist("test"))
    mu, sigma = metrics.feature_statistics(test_f)
    model = build_model(args)
    rows = []
    for snap in record["snapshots"]:
        started = time.perf_counter()
        model.load_weights(os.path.join(args.out, snap["path"]))
        samples = to_28(model.generate(args.num, seed=0, batch_size=500))
        features, logits = extractor.features_and_logits(samples)
        kid, kid_std = metrics.kernel_inception_distance(test_f, features, num_subsets=100,
                                                        subset_size=min(1000, args.num), seed=0)
        is_mean, is_std = metrics.inception_score(logits, splits=10, from_logits=True)
        logs = snap["epoch_logs"]
        row = {
            **{k: snap[k] for k in ("training_s", "images_seen", "stage", "resolution", "alpha", "epoch")},
            "fid": metrics.frechet_distance(mu, sigma, *metrics.feature_statistics(features)),
            "kid": kid, "kid_std": kid_std, "inception_score": is_mean, "inception_score_std": is_std,
            "wasserstein_estimate": logs.get("d_real", float("nan")) - logs.get("d_fake", float("nan")),
            "gradient_norm": logs.get("gradient_norm", float("nan")),
        }
        rows.append(row)
        log(f"{snap['path']}: {row['training_s'] / 60:.1f} min, {row['images_seen']} images, "
            f"{row['resolution']}x{row['resolution']}: FID {row['fid']:.2f}, KID {1e3 * kid:.2f}e-3, "
            f"IS {is_mean:.2f}, W {row['wasserstein_estimate']:.3f} ({time.perf_counter() - started:.0f} s)")
    result = {
        "settings": record["settings"], "num_samples": args.num, "latent_seed": 0,
        "reference": "fashion_mnist test split (10,000 images), zoo classifier fashion_mnist_classifier",
        "published_dcgan_fid": 10.46, "target_fid": 9.42, "snapshots": rows,
        "correlations_with_fid": correlations(rows),
    }
    os.makedirs(os.path.dirname(os.path.abspath(args.json)), exist_ok=True)
    with open(args.json, "w") as f:
        json.dump(result, f, indent=1)
    plot(rows, args.plot)
    save_grid(model, args.grid)
    log(f"wrote {args.json}, {args.plot} and {args.grid}")
    return result


def save_grid(model, path):
    """64 samples (latent seed 0) of the loaded snapshot, as evaluated, in an 8×8 grid."""
    from kerasgan.utils.images import save_image_grid

    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    save_image_grid(to_28(model.generate(64, seed=0)), path, rows=8, scale=2)


def correlations(rows):
    """Spearman rank correlation of FID with each other quantity, over the
    snapshots at full resolution (where the samples are comparable)."""
    import numpy as np

    full = [r for r in rows if r["resolution"] == 32]
    if len(full) < 3:
        return {}

    def ranks(v):
        return np.argsort(np.argsort(v)).astype(float)

    fid = ranks([r["fid"] for r in full])
    out = {}
    for key in ("kid", "inception_score", "wasserstein_estimate", "gradient_norm", "images_seen"):
        values = [r[key] for r in full]
        if np.all(np.isfinite(values)):
            out[key] = float(np.corrcoef(fid, ranks(values))[0, 1])
    return out


def plot(rows, path):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 2, figsize=(11, 4))
    for ax, key, label in ((axes[0], "training_s", "training time (min)"),
                           (axes[1], "images_seen", "real images seen (thousands)")):
        scale = 60.0 if key == "training_s" else 1000.0
        xs = [r[key] / scale for r in rows]
        ax.plot(xs, [r["fid"] for r in rows], "o-", color="C0", label="FMNIST-FID (EMA generator)")
        ax.axhline(9.42, color="C3", ls="--", lw=1, label="target 9.42")
        ax.axhline(10.46, color="C2", ls=":", lw=1, label="published DCGAN 10.46")
        for r, xv in zip(rows, xs):
            ax.annotate(f"{r['resolution']}", (xv, r["fid"]), fontsize=7, textcoords="offset points",
                        xytext=(0, 5))
        ax.set_yscale("log")
        ax.set_xlabel(label)
        ax.set_ylabel("FID (log scale; labels: resolution)")
        twin = ax.twinx()
        twin.plot(xs, [r["wasserstein_estimate"] for r in rows], "s--", color="C1", ms=3,
                  label="critic's E[D(x)] - E[D(G(z))]")
        twin.set_ylabel("Wasserstein estimate", color="C1")
        if key == "training_s":
            lines = ax.get_legend_handles_labels()
            extra = twin.get_legend_handles_labels()
            ax.legend(lines[0] + extra[0], lines[1] + extra[1], fontsize=7)
    fig.suptitle("ProGAN on Fashion-MNIST (32x32): FID against training time and images seen")
    fig.tight_layout()
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    fig.savefig(path, dpi=100)
    plt.close(fig)


def main(argv=None):
    args = parse_args(argv)
    os.environ["KERAS_BACKEND"] = args.backend
    if args.train:
        train(args)
    if args.evaluate:
        evaluate(args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
