"""Mode collapse on the 2-D ring and grid: modes covered and high-quality share.

The VEEGAN / PacGAN protocol (Srivastava et al. 2017; Lin et al. 2018): train
on the 8-Gaussian ring and the 25-Gaussian grid, draw 2,500 samples, call a
sample *high quality* when it lies within 3 standard deviations of its
nearest mode, and a mode *covered* when at least one high-quality sample is
nearest to it (`kerasgan.metrics.mode_coverage`).

Methods (all with the same fully connected networks, latent size, batch size
and number of generator iterations; see PROTOCOL below and
`docs/mode_collapse.md`). Every method uses Adam with the same learning
rate (PROTOCOL["learning_rate"], 1e-3) for both players:

* ``gan``      NetworkGAN, non-saturating loss;
* ``gan+mbd``  the same plus minibatch discrimination in D (Salimans et al. 2016);
* ``wgan-gp``  WGANGP with its paper's lambda 10, 5 critic steps and Adam
  betas (0, 0.9);
* ``sngan``    SNGAN: spectrally normalised D, hinge loss.

Every (method, dataset, seed) run is independent: fresh Keras session, weights
from ``keras.utils.set_random_seed(seed)``, its own training data
(``seed``) and its own fixed evaluation latents.

Usage::

    python benchmarks/mode_collapse.py            # full run, writes benchmarks/results/mode_collapse.json
                                                  # and docs/images/mode_collapse_{ring,grid}.png
    python benchmarks/mode_collapse.py --quick    # smoke run: 1 seed, 200 iterations, nothing written
    python benchmarks/mode_collapse.py --methods gan,wgan-gp --datasets ring --seeds 0,1 --iterations 2000

``KERAS_BACKEND`` defaults to ``jax`` (the fastest backend for these tiny MLPs
on CPU); set it to use another.
"""

import argparse
import json
import os
import platform
import statistics
import sys
import time

os.environ.setdefault("KERAS_BACKEND", "jax")

import numpy as np  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
DEFAULT_JSON = os.path.join(HERE, "results", "mode_collapse.json")
DEFAULT_IMAGES = os.path.join(ROOT, "docs", "images")

# Shared protocol: every method gets exactly these.
PROTOCOL = dict(
    latent_dim=2,
    generator_width=(128, 128),
    discriminator_width=(128, 128),
    batch_size=128,          # samples per D minibatch and per G step
    iterations=5000,         # generator updates
    learning_rate=1e-3,      # Adam step size of both players, every method
    eval_samples=2500,       # PacGAN's count
    threshold=3.0,           # "high quality": within 3 std of the nearest mode
    minibatch_discrimination=(5, 3),  # (num_kernels B, kernel_dim C) of gan+mbd
)

# The VEEGAN / PacGAN data, with kerasgan.data.toy's defaults.
DATASETS = {
    "ring": dict(sampler="ring_of_gaussians", modes="ring_modes", std=0.02,
                 description="8 Gaussians on a circle of radius 2, std 0.02"),
    "grid": dict(sampler="grid_of_gaussians", modes="grid_modes", std=0.05,
                 description="25 Gaussians on {-4,-2,0,2,4}^2, std 0.05"),
}

METHODS = ("gan", "gan+mbd", "wgan-gp", "sngan")

METHOD_DESCRIPTIONS = {
    "gan": "NetworkGAN, non-saturating loss, Adam(lr, b1=0.5) for both players, 1 D step",
    "gan+mbd": "as gan, plus MinibatchDiscrimination(B, C) before D's output layer",
    "wgan-gp": "WGANGP: Wasserstein loss, gradient penalty 10, 5 critic steps per G step, "
               "Adam(lr, b1=0, b2=0.9)",
    "sngan": "SNGAN: spectral normalisation on every D layer, hinge loss, Adam(lr, b1=0.5), 1 D step",
}


def load_dataset(name, n, seed):
    from kerasgan import data

    spec = DATASETS[name]
    x = getattr(data, spec["sampler"])(n, std=spec["std"], seed=seed)
    return x, getattr(data, spec["modes"])(), spec["std"]


def build_model(method, seed, protocol):
    """The compiled model of `method` (lr: PROTOCOL["learning_rate"])."""
    import keras
    from kerasgan import models

    common = dict(
        data_shape=(2,),
        latent_dim=protocol["latent_dim"],
        generator_width=tuple(protocol["generator_width"]),
        discriminator_width=tuple(protocol["discriminator_width"]),
        data_range=None,
        seed=seed,
    )

    lr = protocol["learning_rate"]

    def adam():
        return keras.optimizers.Adam(learning_rate=lr, beta_1=0.5)

    if method == "gan":
        model = models.NetworkGAN(**common)
        model.compile(generator_optimizer=adam(), discriminator_optimizer=adam(), loss="non_saturating")
    elif method == "gan+mbd":
        model = models.NetworkGAN(
            minibatch_discrimination=tuple(protocol["minibatch_discrimination"]), **common
        )
        model.compile(generator_optimizer=adam(), discriminator_optimizer=adam(), loss="non_saturating")
    elif method == "wgan-gp":
        model = models.WGANGP(**common)  # lambda = 10, n_critic = 5, Wasserstein loss

        def adam_wgan():  # the paper's betas
            return keras.optimizers.Adam(learning_rate=lr, beta_1=0.0, beta_2=0.9)

        model.compile(generator_optimizer=adam_wgan(), discriminator_optimizer=adam_wgan())
    elif method == "sngan":
        model = models.SNGAN(**common)
        model.compile(generator_optimizer=adam(), discriminator_optimizer=adam())  # hinge
    else:
        raise ValueError(f"unknown method {method!r}; choose from {', '.join(METHODS)}")
    return model


def sample_stats(samples, modes, std, threshold=3.0):
    """`mode_coverage` plus a few simple summaries of where the samples fell.

    * ``modes_covered`` / ``high_quality_fraction``: the VEEGAN / PacGAN metrics.
    * ``modes_well_covered``: modes holding at least 20% of their fair share
      (n_hq / k) of the high-quality samples: a stricter coverage count that
      ignores modes hit by a handful of stray samples.
    * ``largest_mode_share``: the largest mode's share of the high-quality
      samples (1/k when perfectly balanced, 1 when fully collapsed).
    * ``tv_to_uniform``: total variation distance between the per-mode
      histogram of high-quality samples and the uniform one (0 = balanced).
    * ``median_distance_std``: median distance to the nearest mode, in std.
    """
    from kerasgan import metrics
    from kerasgan.data.toy import nearest_mode

    result = metrics.mode_coverage(samples, modes, std=std, threshold=threshold)
    counts = np.asarray(result["per_mode_counts"], dtype=np.int64)
    k = len(modes)
    n_hq = int(counts.sum())
    finite = np.all(np.isfinite(samples))
    if n_hq:
        shares = counts / n_hq
        well = int(np.count_nonzero(counts >= 0.2 * n_hq / k))
        largest = float(shares.max())
        tv = float(0.5 * np.abs(shares - 1.0 / k).sum())
    else:
        well, largest, tv = 0, float("nan"), float("nan")
    median_distance = (
        float(np.median(nearest_mode(samples, modes)[1]) / std) if finite else float("nan")
    )
    return {
        "modes_covered": int(result["modes_covered"]),
        "num_modes": k,
        "high_quality_fraction": float(result["high_quality_fraction"]),
        "modes_well_covered": well,
        "largest_mode_share": largest,
        "tv_to_uniform": tv,
        "median_distance_std": median_distance,
        "per_mode_counts": counts.tolist(),
    }


def run_one(method, dataset, seed, protocol=None, keep_samples=False):
    """Trains one model and evaluates it; returns a JSON-able dict.

    `keep_samples` adds the evaluation samples (numpy) under "samples".
    """
    import keras

    protocol = dict(PROTOCOL, **(protocol or {}))
    keras.backend.clear_session()
    keras.utils.set_random_seed(seed)
    model = build_model(method, seed, protocol)
    steps = model.discriminator_steps
    batch = protocol["batch_size"]
    iterations = protocol["iterations"]
    # Fresh real samples for every D minibatch; one epoch = `iterations` G steps.
    x, modes, std = load_dataset(dataset, iterations * steps * batch, seed=seed)
    start = time.perf_counter()
    history = model.fit(x, batch_size=steps * batch, epochs=1, verbose=0, shuffle=False)
    train_s = time.perf_counter() - start
    eval_seed = 10_000 + seed
    samples = model.generate(protocol["eval_samples"], seed=eval_seed)
    stats = sample_stats(samples, modes, std, protocol["threshold"])
    final = {k: float(v[-1]) for k, v in history.history.items()}
    out = {
        "method": method,
        "dataset": dataset,
        "seed": seed,
        "eval_latent_seed": eval_seed,
        "iterations": iterations,
        "discriminator_steps": steps,
        "batch_size": batch,
        "real_samples_seen": int(len(x)),
        "train_seconds": round(train_s, 2),
        "final_logs": final,
        **stats,
    }
    if keep_samples:
        out["samples"] = samples
    return out


def reference_run(dataset, seed, protocol=None):
    """The metrics of 2,500 samples of the true distribution (the ceiling)."""
    protocol = dict(PROTOCOL, **(protocol or {}))
    x, modes, std = load_dataset(dataset, protocol["eval_samples"], seed=20_000 + seed)
    return {"method": "real data", "dataset": dataset, "seed": seed,
            **sample_stats(x, modes, std, protocol["threshold"])}


def _mean_std(values):
    values = [v for v in values if v == v]  # drop NaN
    if not values:
        return float("nan"), float("nan")
    mean = statistics.fmean(values)
    std = statistics.stdev(values) if len(values) > 1 else 0.0
    return mean, std


def summarize(results):
    """Rows (one per dataset and method, in run order) of means and stds."""
    groups = {}
    for r in results:
        groups.setdefault((r["dataset"], r["method"]), []).append(r)
    rows = []
    for (dataset, method), runs in groups.items():
        row = {"dataset": dataset, "method": method, "runs": len(runs), "num_modes": runs[0]["num_modes"]}
        for key in ("modes_covered", "high_quality_fraction", "modes_well_covered",
                    "largest_mode_share", "tv_to_uniform", "median_distance_std"):
            row[key] = _mean_std([r[key] for r in runs])
        row["all_modes_runs"] = sum(r["modes_covered"] == r["num_modes"] for r in runs)
        times = [r["train_seconds"] for r in runs if "train_seconds" in r]
        row["train_seconds"] = statistics.fmean(times) if times else None
        rows.append(row)
    return rows


def format_table(rows):
    """A Markdown table of `summarize` rows."""
    def pm(pair, fmt):
        mean, std = pair
        if mean != mean:
            return "n/a"
        return f"{fmt.format(mean)} ± {fmt.format(std)}"

    lines = [
        "| data | method | modes covered | high-quality % | modes with ≥20% of fair share "
        "| all modes covered | largest mode share | TV to uniform | median dist. (σ) | train s/run |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for row in rows:
        k = row["num_modes"]
        hq = row["high_quality_fraction"]
        secs = "" if row["train_seconds"] is None else f"{row['train_seconds']:.0f}"
        lines.append(
            f"| {row['dataset']} | {row['method']} "
            f"| {pm(row['modes_covered'], '{:.1f}')} / {k} "
            f"| {pm((100 * hq[0], 100 * hq[1]), '{:.1f}')} "
            f"| {pm(row['modes_well_covered'], '{:.1f}')} "
            f"| {row['all_modes_runs']}/{row['runs']} "
            f"| {pm(row['largest_mode_share'], '{:.2f}')} "
            f"| {pm(row['tv_to_uniform'], '{:.2f}')} "
            f"| {pm(row['median_distance_std'], '{:.1f}')} "
            f"| {secs} |"
        )
    return "\n".join(lines)


def plot_samples(samples_by_method, dataset, path, modes=None, lim=None):
    """Scatter of each method's evaluation samples (one seed) over the modes
    (default: the dataset's modes in this benchmark's protocol)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from kerasgan import data

    if modes is None:
        modes = getattr(data, DATASETS[dataset]["modes"])()
    names = list(samples_by_method)
    fig, axes = plt.subplots(1, len(names), figsize=(2.6 * len(names), 2.8), squeeze=False)
    if lim is None:
        lim = 3.0 if dataset == "ring" else 5.5
    for ax, name in zip(axes[0], names):
        s = samples_by_method[name]
        ax.scatter(s[:, 0], s[:, 1], s=1.5, alpha=0.4, color="tab:blue", linewidths=0)
        ax.scatter(modes[:, 0], modes[:, 1], s=12, marker="x", color="tab:red", linewidths=0.8)
        ax.set_xlim(-lim, lim)
        ax.set_ylim(-lim, lim)
        ax.set_aspect("equal")
        ax.set_xticks([])
        ax.set_yticks([])
        ax.set_title(name, fontsize=9)
    fig.tight_layout()
    os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def machine_info():
    import keras

    import kerasgan  # noqa: F401

    info = {
        "python": platform.python_version(),
        "platform": platform.platform(),
        "cpu_count": os.cpu_count(),
        "keras_backend": keras.backend.backend(),
        "keras": keras.__version__,
    }
    try:
        import jax

        info["jax"] = jax.__version__
    except ImportError:
        pass
    try:
        info["load_average_start"] = os.getloadavg()
    except OSError:
        pass
    return info


def parse_choices(parser, text, allowed, kind):
    """A comma-separated list of names, each one of `allowed` (else a usage error)."""
    chosen = [name for name in text.split(",") if name]
    for name in chosen:
        if name not in allowed:
            parser.error(f"unknown {kind} {name!r}; choose from {', '.join(allowed)}")
    return chosen


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--quick", action="store_true",
                   help="smoke run: seed 0 only, 200 iterations, no JSON/PNG unless asked")
    p.add_argument("--methods", default=",".join(METHODS))
    p.add_argument("--datasets", default="ring,grid")
    p.add_argument("--seeds", default="0,1,2")
    p.add_argument("--iterations", type=int, default=None, help="generator updates per run")
    p.add_argument("--batch-size", type=int, default=None)
    p.add_argument("--learning-rate", type=float, default=None)
    p.add_argument("--mbd", default=None, help="num_kernels,kernel_dim of gan+mbd")
    p.add_argument("--json", default=None, help=f"per-run results (default {DEFAULT_JSON}; none with --quick)")
    p.add_argument("--images", default=None,
                   help=f"folder of the scatter PNGs (default {DEFAULT_IMAGES}; none with --quick)")
    p.add_argument("--plot-seed", type=int, default=None, help="seed whose samples are plotted (first seed)")
    args = p.parse_args(argv)
    args.methods = parse_choices(p, args.methods, METHODS, "method")
    args.datasets = parse_choices(p, args.datasets, DATASETS, "dataset")
    args.seeds = [int(s) for s in args.seeds.split(",") if s]
    if args.quick:
        if args.seeds == [0, 1, 2]:
            args.seeds = [0]
        if args.iterations is None:
            args.iterations = 200
    else:
        args.json = args.json or DEFAULT_JSON
        args.images = args.images or DEFAULT_IMAGES
    if args.plot_seed is None:
        args.plot_seed = args.seeds[0]
    return args


def main(argv=None):
    args = parse_args(argv)
    protocol = dict(PROTOCOL)
    if args.iterations is not None:
        protocol["iterations"] = args.iterations
    if args.batch_size is not None:
        protocol["batch_size"] = args.batch_size
    if args.learning_rate is not None:
        protocol["learning_rate"] = args.learning_rate
    if args.mbd is not None:
        protocol["minibatch_discrimination"] = tuple(int(v) for v in args.mbd.split(","))
    info = machine_info()
    print(f"backend {info['keras_backend']}, protocol {protocol}", file=sys.stderr)
    t0 = time.perf_counter()
    results, references, plotted = [], [], {}
    for dataset in args.datasets:
        for seed in args.seeds:
            references.append(reference_run(dataset, seed, protocol))
        plotted[dataset] = {}
        for method in args.methods:
            for seed in args.seeds:
                keep = args.images is not None and seed == args.plot_seed
                r = run_one(method, dataset, seed, protocol, keep_samples=keep)
                if keep:
                    plotted[dataset][method] = r.pop("samples")
                results.append(r)
                print(
                    f"[{time.perf_counter() - t0:7.1f}s] {dataset:4s} {method:8s} seed {seed}: "
                    f"{r['modes_covered']}/{r['num_modes']} modes, "
                    f"{100 * r['high_quality_fraction']:.1f}% high quality, "
                    f"train {r['train_seconds']:.1f}s",
                    file=sys.stderr, flush=True,
                )
    wall = time.perf_counter() - t0
    rows = summarize(references + results)
    table = format_table(rows)
    print(table)
    print(f"\n{len(results)} runs, wall time {wall:.0f} s, backend {info['keras_backend']}")
    try:
        info["load_average_end"] = os.getloadavg()
    except OSError:
        pass
    if args.json:
        os.makedirs(os.path.dirname(os.path.abspath(args.json)), exist_ok=True)
        payload = {
            "command": " ".join([os.path.relpath(sys.argv[0], ROOT) if sys.argv[0] else "mode_collapse.py",
                                 *(argv if argv is not None else sys.argv[1:])]),
            "machine": info,
            "protocol": protocol,
            "datasets": {k: v["description"] for k, v in DATASETS.items() if k in args.datasets},
            "methods": {m: f"{METHOD_DESCRIPTIONS[m]} (lr = {protocol['learning_rate']})" for m in args.methods},
            "seeds": args.seeds,
            "wall_seconds": round(wall, 1),
            "summary": [_jsonable_row(r) for r in rows],
            "references": references,
            "runs": results,
        }
        with open(args.json, "w") as f:
            json.dump(payload, f, indent=1)
        print(f"wrote {args.json}", file=sys.stderr)
    if args.images:
        for dataset, by_method in plotted.items():
            if not by_method:
                continue
            real = load_dataset(dataset, protocol["eval_samples"], seed=20_000 + args.plot_seed)[0]
            path = os.path.join(args.images, f"mode_collapse_{dataset}.png")
            plot_samples({"real data": real, **by_method}, dataset, path)
            print(f"wrote {path}", file=sys.stderr)
    return results, rows


def _jsonable_row(row):
    out = {}
    for k, v in row.items():
        if isinstance(v, tuple):
            out[k] = {"mean": v[0], "std": v[1]}
        else:
            out[k] = v
    return out


if __name__ == "__main__":
    main()
