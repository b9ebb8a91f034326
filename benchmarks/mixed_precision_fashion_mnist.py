"""Does bfloat16 training cost sample quality? DCGAN on Fashion-MNIST, fp32 vs mixed_bfloat16.

For each seed and each dtype policy (`float32`, `mixed_bfloat16`), in its own
subprocess (the policy is global, set before any layer is built):
`kerasgan.models.DCGAN(image_shape=(28, 28, 1), seed=s)`, `compile()` with
the defaults, `fit` on the 60,000 Fashion-MNIST training images for
`--epochs` epochs at batch 64 (shuffled with `keras.utils.set_random_seed(s)`),
then `generate(--num, seed=s)`. The parent process (float32) scores every run's
samples with the project's FMNIST-FID (the zoo Fashion-MNIST classifier's
features, against the 10,000 test images), KID and precision/recall, and
prints a table: per policy, each seed's numbers and their mean, so the
difference between policies can be read against the spread between seeds
(the noise).

Training throughput is printed too (images per second of the whole `fit`,
first epoch's compilation included); it is measured on a shared machine and is
not a benchmark figure: see `backends.py` for that.

Usage::

    python benchmarks/mixed_precision_fashion_mnist.py                     # 3 seeds x 2 policies, 1 epoch
    python benchmarks/mixed_precision_fashion_mnist.py --quick             # 2,048 images, 1,000 samples
    python benchmarks/mixed_precision_fashion_mnist.py --backend jax --seeds 0 1

`KERAS_BACKEND` is set from `--backend` (default tensorflow) in the workers.
"""

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_JSON = os.path.join(HERE, "results", "mixed_precision_fashion_mnist.json")
POLICIES = ("float32", "mixed_bfloat16")


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--backend", default="tensorflow", choices=("tensorflow", "jax", "torch"))
    p.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    p.add_argument("--policies", nargs="+", default=list(POLICIES), choices=POLICIES)
    p.add_argument("--epochs", type=int, default=1)
    p.add_argument("--limit", type=int, default=None, help="train on the first N images only")
    p.add_argument("--num", type=int, default=10000, help="generated samples scored per run")
    p.add_argument("--quick", action="store_true", help="--limit 2048 --num 1000 --seeds 0")
    p.add_argument("--json", default=DEFAULT_JSON, help="where to write the results")
    # Internal: one training run, in a subprocess.
    p.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    p.add_argument("--policy", default="float32", help=argparse.SUPPRESS)
    p.add_argument("--seed", type=int, default=0, help=argparse.SUPPRESS)
    p.add_argument("--out", default=None, help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.quick:
        args.limit, args.num, args.seeds = 2048, 1000, [0]
    return args


def log(*parts):
    print(*parts, file=sys.stderr, flush=True)


def worker(args):
    """Trains one model under `args.policy` and saves its samples and timings."""
    import keras

    import kerasgan

    keras.config.set_dtype_policy(args.policy)
    keras.utils.set_random_seed(args.seed)
    images = kerasgan.data.load_fashion_mnist("train")
    if args.limit:
        images = images[: args.limit]
    model = kerasgan.models.DCGAN(image_shape=(28, 28, 1), seed=args.seed)
    model.compile()
    start = time.time()
    history = model.fit(images, batch_size=64, epochs=args.epochs, shuffle=True, verbose=0)
    seconds = time.time() - start
    samples = model.generate(args.num, seed=args.seed)
    np.save(os.path.join(args.out, "samples.npy"), samples)
    record = {
        "policy": args.policy,
        "seed": args.seed,
        "compute_dtype": model.generator.compute_dtype,
        "variable_dtype": model.generator.variable_dtype,
        "train_seconds": seconds,
        "images_per_second": len(images) * args.epochs / seconds,
        "final_logs": {k: float(v[-1]) for k, v in history.history.items()},
        "finite": bool(np.isfinite(samples).all()),
    }
    with open(os.path.join(args.out, "run.json"), "w") as f:
        json.dump(record, f)
    return 0


def run_worker(args, policy, seed, out):
    command = [
        sys.executable, os.path.abspath(__file__), "--worker", "--policy", policy,
        "--seed", str(seed), "--epochs", str(args.epochs), "--num", str(args.num),
        "--out", out,
    ]
    if args.limit:
        command += ["--limit", str(args.limit)]
    env = dict(os.environ, KERAS_BACKEND=args.backend)
    subprocess.run(command, env=env, check=True)
    with open(os.path.join(out, "run.json")) as f:
        record = json.load(f)
    return record, np.load(os.path.join(out, "samples.npy"))


def score(samples, extractor, test_features, mu, sigma, seed):
    from kerasgan import metrics

    features = extractor.features(samples)
    kid_mean, kid_std = metrics.kernel_inception_distance(
        test_features, features, num_subsets=100, subset_size=min(1000, len(features)), seed=seed
    )
    return {
        "fid": metrics.frechet_distance(mu, sigma, *metrics.feature_statistics(features)),
        "kid": kid_mean,
        "kid_std": kid_std,
        **metrics.precision_recall(test_features, features, k=3),
    }


def table(runs, policies):
    rows = ["| policy | seed | FMNIST-FID | KID ×10³ | precision | recall | train images/s |",
            "|---|---:|---:|---:|---:|---:|---:|"]
    for policy in policies:
        mine = [r for r in runs if r["policy"] == policy]
        for r in mine:
            rows.append(
                f"| {policy} | {r['seed']} | {r['fid']:.2f} | {1e3 * r['kid']:.1f} | "
                f"{r['precision']:.3f} | {r['recall']:.3f} | {r['images_per_second']:.0f} |"
            )
        if len(mine) > 1:
            mean = {k: float(np.mean([r[k] for r in mine]))
                    for k in ("fid", "kid", "precision", "recall", "images_per_second")}
            spread = float(np.std([r["fid"] for r in mine], ddof=1))
            rows.append(
                f"| **{policy} mean** | | **{mean['fid']:.2f}** (sd {spread:.2f}) | "
                f"{1e3 * mean['kid']:.1f} | {mean['precision']:.3f} | {mean['recall']:.3f} | "
                f"{mean['images_per_second']:.0f} |"
            )
    return "\n".join(rows)


def main(args):
    if args.worker:
        return worker(args)
    os.environ["KERAS_BACKEND"] = args.backend
    start = time.time()
    import keras

    import kerasgan
    from kerasgan import metrics
    from kerasgan.extractors.fashion_mnist_classifier import FashionMNISTFeatureExtractor
    from kerasgan.utils.files import write_json_atomic

    extractor = FashionMNISTFeatureExtractor(batch_size=500)
    test_features = extractor.features(kerasgan.data.load_fashion_mnist("test"))
    mu, sigma = metrics.feature_statistics(test_features)
    runs = []
    with tempfile.TemporaryDirectory() as tmp:
        for seed in args.seeds:
            for policy in args.policies:
                out = os.path.join(tmp, f"{policy}_{seed}")
                os.makedirs(out)
                log(f"training {policy}, seed {seed} ...")
                record, samples = run_worker(args, policy, seed, out)
                if not record["finite"]:
                    raise RuntimeError(f"{policy}, seed {seed}: non-finite samples")
                record.update(score(samples, extractor, test_features, mu, sigma, seed))
                log(f"  {policy} seed {seed}: FID {record['fid']:.2f}, "
                    f"{record['images_per_second']:.0f} images/s")
                runs.append(record)
    text = table(runs, args.policies)
    print(text)
    command = "python benchmarks/mixed_precision_fashion_mnist.py " + " ".join(sys.argv[1:])
    result = {
        "command": command.strip(),
        "backend": args.backend,
        "keras": keras.__version__,
        "machine": f"{platform.processor() or platform.machine()}, {os.cpu_count()} CPUs",
        "epochs": args.epochs,
        "training_images": args.limit or 60000,
        "num_generated": args.num,
        "runs": runs,
        "seconds": round(time.time() - start, 1),
    }
    if args.json:
        write_json_atomic(result, args.json)
        log(f"wrote {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main(parse_args()))
