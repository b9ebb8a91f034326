"""PacGAN's 2-D experiments (Lin et al. 2018, §5.1, Table 1) with kerasgan.

The settings of PacGAN's released code (`synthetic_data_experiments/
2DRing_GAN&PacGAN` and `2DGrid_GAN&PacGAN`, `config.py` and
`pacgan_task.py`; also in ``PACGAN`` below):

* data: ring: 8 Gaussians on the unit circle, std 0.01; grid: 25 Gaussians
  on {-4, -2, 0, 2, 4}², std 0.05; a fixed training set of 100,000 samples
  per run;
* generator: z ~ N(0, I₂) → 4 × [Dense 400 without bias → batch norm → ReLU]
  → Dense 2;
* discriminator: 3 × LinearMaxout (200 units of 5 pieces) → Dense 1, on the
  concatenation of m samples (m = 1: GAN; m = 2, 3, 4: PacGAN2–4);
* weights N(0, 0.02), biases 0; Adam(1e-4, β₁ = 0.8); 100 packs per
  minibatch (100·m real and 100·m generated samples); non-saturating loss;
  400 epochs of 1,000 minibatches (400,000 iterations);
* evaluation: 2,500 samples; high quality = within 3σ of the nearest mode;
  a mode is covered by at least one high-quality sample (the code's
  `MetricLogger`; `kerasgan.metrics.mode_coverage`).

Two things differ here, and are stated in every result: kerasgan updates D,
then G with fresh latent vectors (Goodfellow et al. 2014, Algorithm 1),
where the released code takes both players' gradients on the same batch and
applies them together (ALI's `ali_algorithm`); and the length is
`--epochs` (400 is the paper's, far beyond this machine's budget: see
`docs/mode_collapse.md`). Batch norm: Keras' momentum 0.95 is the code's
population update p ← 0.95·p + 0.05·m; both train on batch statistics.

Methods: ``gan`` (m = 1), ``pacgan2``, ``pacgan3``, ``pacgan4``,
``gan+mbd`` (minibatch discrimination, Salimans et al. 2016, §3.2, before
D's output, parametrised and initialised as the reference code's
`MinibatchLayer`: 100 kernels of 5, `weight_norm=True`), ``pacgan4+mbd``,
``wgan-gp`` (the same networks, λ = 10, 5 critic steps, Adam(1e-4,
β = (0, 0.9))), and ``gan+ema`` / ``pacgan4+ema`` (trained as ``gan`` /
``pacgan4``; samples drawn from an exponential moving average of G's
weights, decay 0.999 per G step or ``--ema-decay``, Yazıcı et al. 2019;
started with G's initial weights, or from G's weights after ``--ema-start``
epochs; each evaluation also records the trained G's own figures as
``generator_*``, and before the average starts both are G's).
A ``+drs`` method (``gan+drs``, ``gan+ema+drs``, ``pacgan4+drs``,
``pacgan4+ema+drs``, ``pacgan4+drs-mates``, ``pacgan4+ema+drs-mates``) is
trained as without it; its samples are filtered by D with discriminator rejection sampling (Azadi et al. 2019,
`kerasgan.sampling.DiscriminatorRejectionSampler`: exact rule, γ = 0, D's
largest logit from 10,000 burn-in samples; with packing, whole packs are
accepted or rejected; ``+drs-mates``: each sample is judged by D's mean
logit over packs of it with 8 fixed tuples of other generated samples;
``+drs-fit`` (``gan+ema+drs-fit``, ``pacgan4+drs-fit``,
``pacgan4+ema+drs-fit``): by a per-sample discriminator fitted at each
evaluation to the training set against the filtered sampler's samples,
`kerasgan.sampling.fit_rejection_discriminator`, on random Fourier
features, with D̃_M the 95th percentile of the burn-in logits);
each evaluation also records the figures without rejection as ``plain_*``
and the acceptance rate.

Usage::

    python benchmarks/pacgan_protocol.py --datasets ring,grid --seeds 0-9 --epochs 10
    python benchmarks/pacgan_protocol.py --quick      # smoke run, nothing written

``KERAS_BACKEND`` defaults to ``jax``.
"""

import argparse
import os
import sys
import time

os.environ.setdefault("KERAS_BACKEND", "jax")

import numpy as np  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, HERE)

import mode_collapse  # noqa: E402  (its statistics, table and plots)

DEFAULT_JSON = os.path.join(HERE, "results", "pacgan_protocol.json")
DEFAULT_IMAGES = os.path.join(ROOT, "docs", "images")

PACGAN = dict(
    num_examples=100_000,
    packs_per_batch=100,
    iterations_per_epoch=1000,  # the code's epoch: 100,000 packs in minibatches of 100
    paper_epochs=400,
    generator_units=400,
    generator_layers=4,
    discriminator_units=200,
    discriminator_layers=3,
    maxout_pieces=5,
    init_std=0.02,
    learning_rate=1e-4,
    beta_1=0.8,
    batch_norm_momentum=0.95,
    eval_samples=2500,
    threshold=3.0,
    # The reference code's MinibatchLayer (openai/improved-gan): 100 kernels
    # of 5, weight-normalised T with its data-dependent initialisation.
    minibatch_discrimination=(100, 5),
    # Discriminator rejection sampling (the +drs methods): samples that
    # estimate D's largest logit before sampling.
    drs_burn_in=10_000,
    # ...and the +drs-mates methods' fixed tuples of pack-mates.
    drs_pack_mates=8,
    # The +drs-fit methods: a per-sample discriminator fitted after
    # training (`kerasgan.sampling.fit_rejection_discriminator`) to the
    # training set against the filtered sampler's own samples: random
    # Fourier features (256 frequencies of std 10: the grid's modes are
    # 0.05 wide) and two ReLU layers of 256; Adam(1e-3), batch 500, 5
    # epochs; D̃_M the 95th percentile of the burn-in logits.
    drs_fit=dict(features=256, scale=10.0, hidden=(256, 256), epochs=5, batch_size=500, learning_rate=1e-3,
                 burn_in_quantile=0.95),
)

DATASETS = {
    "ring": dict(sampler="ring_of_gaussians", modes="ring_modes", std=0.01,
                 options=dict(radius=1.0), description="8 Gaussians on the unit circle, std 0.01"),
    "grid": dict(sampler="grid_of_gaussians", modes="grid_modes", std=0.05,
                 options=dict(spacing=2.0), description="25 Gaussians on {-4,-2,0,2,4}^2, std 0.05"),
}

METHODS = {
    # name: (packing, minibatch discrimination, wgan-gp, generator EMA decay,
    #        discriminator rejection sampling)
    "gan": (1, False, False, None, False),
    "pacgan2": (2, False, False, None, False),
    "pacgan3": (3, False, False, None, False),
    "pacgan4": (4, False, False, None, False),
    "gan+mbd": (1, True, False, None, False),
    "pacgan4+mbd": (4, True, False, None, False),
    "wgan-gp": (1, False, True, None, False),
    # Samples from a moving average of G's weights (batch-norm statistics
    # included), updated after every G step; training is the GAN's.
    "gan+ema": (1, False, False, 0.999, False),
    "pacgan4+ema": (4, False, False, 0.999, False),
    # Trained as without "+drs"; the samples are filtered by D
    # (`kerasgan.sampling.DiscriminatorRejectionSampler`, Azadi et al. 2019):
    # whole packs ("pack"), or each sample in packs with fixed mates ("mates").
    "gan+drs": (1, False, False, None, "pack"),
    "gan+ema+drs": (1, False, False, 0.999, "pack"),
    "pacgan4+drs": (4, False, False, None, "pack"),
    "pacgan4+ema+drs": (4, False, False, 0.999, "pack"),
    "pacgan4+drs-mates": (4, False, False, None, "mates"),
    "pacgan4+ema+drs-mates": (4, False, False, 0.999, "mates"),
    # ...or by a per-sample discriminator fitted after training ("fit").
    "gan+ema+drs-fit": (1, False, False, 0.999, "fit"),
    "pacgan4+drs-fit": (4, False, False, None, "fit"),
    "pacgan4+ema+drs-fit": (4, False, False, 0.999, "fit"),
}

# Lin et al. (2018), Table 1 (mean over 10 runs): modes, high-quality %.
PUBLISHED = {
    ("ring", "gan"): (6.3, 98.2), ("ring", "pacgan2"): (7.9, 95.6),
    ("ring", "pacgan3"): (7.8, 98.7), ("ring", "pacgan4"): (7.8, 95.9),
    ("grid", "gan"): (17.3, 94.8), ("grid", "pacgan2"): (23.8, 91.3),
    ("grid", "pacgan3"): (24.6, 94.2), ("grid", "pacgan4"): (24.8, 93.6),
}


def load_dataset(name, n, seed):
    from kerasgan import data

    spec = DATASETS[name]
    modes = getattr(data, spec["modes"])(**spec["options"])
    x = getattr(data, spec["sampler"])(n, std=spec["std"], seed=seed, **spec["options"])
    return x, modes, spec["std"]


def build_networks(packing, minibatch_discrimination, protocol):
    """PacGAN's generator and (packed) discriminator, as Keras models."""
    import keras

    from kerasgan.engine.packing import packed_shape
    from kerasgan.layers import Maxout
    from kerasgan.layers import MinibatchDiscrimination

    init = keras.initializers.RandomNormal(stddev=protocol["init_std"])
    z = keras.Input((2,))
    h = z
    for i in range(protocol["generator_layers"]):
        h = keras.layers.Dense(protocol["generator_units"], use_bias=False, kernel_initializer=init,
                               name=f"dense_{i}")(h)
        h = keras.layers.BatchNormalization(momentum=protocol["batch_norm_momentum"], name=f"bn_{i}")(h)
        h = keras.layers.ReLU()(h)
    x = keras.layers.Dense(2, kernel_initializer=init, name="out")(h)
    generator = keras.Model(z, x, name="generator")

    packs = keras.Input(packed_shape((2,), packing))
    h = packs
    for i in range(protocol["discriminator_layers"]):
        h = Maxout(protocol["discriminator_units"], protocol["maxout_pieces"],
                   kernel_initializer=init, name=f"maxout_{i}")(h)
    if minibatch_discrimination:
        kernels, dim = protocol["minibatch_discrimination"]
        h = MinibatchDiscrimination(kernels, dim, weight_norm=True, name="minibatch_discrimination")(h)
    score = keras.layers.Dense(1, kernel_initializer=init, name="score")(h)
    discriminator = keras.Model(packs, score, name="discriminator")
    return generator, discriminator


def build_model(method, seed, protocol):
    import keras

    from kerasgan import models

    packing, mbd, wgan, ema, _ = METHODS[method]
    if ema is not None:
        ema = protocol.get("ema_decay", ema)
        if protocol.get("ema_start_epochs", 0):  # started later by `run_one`
            ema = None
    generator, discriminator = build_networks(packing, mbd, protocol)
    cls = models.WGANGP if wgan else models.NetworkGAN
    model = cls(data_shape=(2,), generator=generator, discriminator=discriminator,
                packing=packing, data_range=None, seed=seed, generator_ema=ema)
    lr = protocol["learning_rate"]
    betas = dict(beta_1=0.0, beta_2=0.9) if wgan else dict(beta_1=protocol["beta_1"])
    model.compile(
        generator_optimizer=keras.optimizers.Adam(lr, **betas),
        discriminator_optimizer=keras.optimizers.Adam(lr, **betas),
        **({} if wgan else {"loss": "non_saturating"}),
    )
    return model


def minibatch_layer(model):
    """D's minibatch-discrimination layer and the model of its inputs (D's
    last hidden features)."""
    import keras

    layer = model.discriminator.get_layer("minibatch_discrimination")
    return layer, keras.Model(model.discriminator.input, layer.input)


def initialize_minibatch_discrimination(model, real):
    """The reference code's data-dependent initialisation of the minibatch
    layer, on D's features of one batch of real packs."""
    from keras import ops

    layer, features = minibatch_layer(model)
    layer.initialize_from(features(model.pack(ops.convert_to_tensor(real))))


def minibatch_diagnostics(model, real):
    """What a minibatch-discrimination D separates real from fake with.

    D's logit is `w_h · h + w_o · o + c` (h: the last hidden features, o: the
    minibatch features). On one batch of real packs and one of generated
    packs, returns the mean of each part on real and on fake packs (their
    difference is how much of D's real-fake separation each part carries)
    and the mean minibatch feature o on each.
    """
    from keras import ops

    layer, hidden = minibatch_layer(model)
    score = model.discriminator.get_layer("score")
    w = ops.convert_to_numpy(score.kernel)[:, 0]
    n_hidden = layer.input.shape[-1]
    out = {}
    fake = model.fake_samples(len(real))
    for name, samples in (("real", ops.convert_to_tensor(real)), ("fake", fake)):
        h = hidden(model.pack(samples), training=True)
        o = ops.convert_to_numpy(layer.minibatch_features(h))
        h = ops.convert_to_numpy(h)
        out[f"hidden_part_{name}"] = float(np.mean(h @ w[:n_hidden]))
        out[f"minibatch_part_{name}"] = float(np.mean(o @ w[n_hidden:]))
        out[f"minibatch_feature_{name}"] = float(np.mean(o))
    return out


def packed_epoch(train, packing, rng):
    """One epoch of PacGAN's packed data set: each of the 100,000 rows holds
    m samples at independent random indices (the code's
    `GaussianPackingMixture`), in a shuffled order, flattened so that
    `pack_samples` regroups each row."""
    n = len(train)
    rows = np.stack([train[rng.integers(0, n, n)] for _ in range(packing)], axis=1)
    return rows.reshape(n * packing, 2)


# The samplers evaluated beside a method's own, by their prefix in the results.
SAMPLER_NAMES = {"plain_": "without rejection", "generator_": "G itself",
                 "generator_drs_": "G itself with rejection"}


def rejection_network(protocol, seed):
    """The +drs-fit methods' per-sample discriminator, its initial weights
    seeded (Keras' global random state, which training uses, is left alone)."""
    import keras

    from kerasgan.layers import RandomFourierFeatures

    fit = protocol["drs_fit"]
    layers = [keras.Input((2,)), RandomFourierFeatures(fit["features"], scale=fit["scale"], seed=seed)]
    for i, units in enumerate(fit["hidden"]):
        layers.append(keras.layers.Dense(units, activation="relu",
                                         kernel_initializer=keras.initializers.GlorotUniform(seed + 1 + i)))
    layers.append(keras.layers.Dense(1, kernel_initializer=keras.initializers.GlorotUniform(seed + 100)))
    return keras.Sequential(layers)


def evaluate(model, method, modes, std, protocol, seed, train=None):
    """One evaluation of `eval_samples` samples. The method's own sampler
    gives the run's figures; beside them, where the method has them: the
    same without rejection sampling (``plain_*``), G itself rather than its
    moving average (``generator_*``) and G itself with rejection sampling
    (``generator_drs_*``); an ``acceptance_rate`` for each rejection sampler.
    Before a late moving average starts, G itself is every sampler. The
    +drs-fit methods fit their discriminator to `train` (the training set)
    at each evaluation, one for each sampler they filter. Returns
    the point, the full statistics of the method's samples, those samples,
    and the other samplers' samples by prefix."""
    import keras

    from kerasgan.sampling import DiscriminatorRejectionSampler, fit_rejection_discriminator

    n, threshold, latent_seed = protocol["eval_samples"], protocol["threshold"], 10_000 + seed
    drs, averaged = METHODS[method][4], METHODS[method][3] is not None
    has_average = model.ema_generator is not None
    # (prefix, from the moving average, with rejection sampling)
    samplers = [("", has_average, drs)]
    if drs:
        samplers.append(("plain_", has_average, False))
    if averaged:
        samplers.append(("generator_", False, False))
        if drs:
            samplers.append(("generator_drs_", False, drs))
    measured, point = {}, {}
    for prefix, ema, rejection in samplers:
        if (ema, rejection) not in measured:
            if rejection:
                if drs == "fit":
                    fit = protocol["drs_fit"]
                    network = rejection_network(protocol, seed)
                    fit_rejection_discriminator(model, train, network, epochs=fit["epochs"],
                                                batch_size=fit["batch_size"], ema=ema, seed=seed,
                                                optimizer=keras.optimizers.Adam(fit["learning_rate"]))
                    sampler = DiscriminatorRejectionSampler(model, burn_in=protocol["drs_burn_in"], ema=ema,
                                                            discriminator=network,
                                                            burn_in_quantile=fit["burn_in_quantile"])
                else:
                    mates = protocol["drs_pack_mates"] if drs == "mates" else None
                    sampler = DiscriminatorRejectionSampler(model, burn_in=protocol["drs_burn_in"], ema=ema,
                                                            pack_mates=mates)
                samples, rate = sampler.sample(n, seed=latent_seed), sampler.acceptance_rate
            else:
                samples, rate = model.generate(n, seed=latent_seed, ema=ema), None
            measured[ema, rejection] = (mode_collapse.sample_stats(samples, modes, std, threshold), samples, rate)
        stats, samples, rate = measured[ema, rejection]
        point[prefix + "modes_covered"] = stats["modes_covered"]
        point[prefix + "high_quality_fraction"] = stats["high_quality_fraction"]
        if rejection:
            point[prefix + "acceptance_rate"] = rate
    stats, samples, _ = measured[has_average, drs]
    others = {prefix: measured[ema, rejection][1] for prefix, ema, rejection in samplers if prefix}
    return point, stats, samples, others


def run_one(method, dataset, seed, protocol, epochs, keep_samples=False):
    import keras

    keras.backend.clear_session()
    keras.utils.set_random_seed(seed)
    model = build_model(method, seed, protocol)
    packing = METHODS[method][0]
    steps = model.discriminator_steps
    batch = protocol["packs_per_batch"] * packing * steps
    iterations = int(round(epochs * protocol["iterations_per_epoch"]))
    train, modes, std = load_dataset(dataset, protocol["num_examples"], seed)
    rng = np.random.default_rng(seed)
    # The real samples of all iterations (each epoch re-draws its packs).
    per_epoch = protocol["iterations_per_epoch"] * batch
    chunks, drawn = [], 0
    while drawn < iterations * batch:
        chunk = packed_epoch(train, packing, rng)
        chunks.append(chunk)
        drawn += len(chunk)
    x = np.concatenate(chunks)[: iterations * batch]
    if METHODS[method][1]:
        initialize_minibatch_discrimination(model, x[:batch])
    # A moving average started late (`--ema-start`): from G's weights at
    # the start of that epoch (`LatentGAN.start_generator_ema`).
    averaged = METHODS[method][3] is not None
    ema_start = protocol.get("ema_start_epochs", 0) * protocol["iterations_per_epoch"] if averaged else 0
    # One `fit` per epoch, each followed by the evaluation: the learning curve.
    curve, logs, train_s = [], {}, 0.0
    for first in range(0, iterations, protocol["iterations_per_epoch"]):
        last = min(first + protocol["iterations_per_epoch"], iterations)
        if ema_start and first == ema_start:
            model.start_generator_ema(protocol.get("ema_decay", METHODS[method][3]))
        start = time.perf_counter()
        history = model.fit(x[first * batch : last * batch], batch_size=batch, epochs=1,
                            verbose=0, shuffle=False)
        train_s += time.perf_counter() - start
        logs = {k: float(v[-1]) for k, v in history.history.items()}
        # Every `eval_every` epochs, and after the last: its evaluation is
        # the run's result.
        if (last // protocol["iterations_per_epoch"]) % protocol.get("eval_every", 1) and last < iterations:
            continue
        point, stats, samples, others = evaluate(model, method, modes, std, protocol, seed, train=train)
        point = {"iterations": last, **point}
        curve.append(point)
        if protocol.get("progress"):  # one line per evaluation, for long runs
            rate = f", {100 * point['acceptance_rate']:.2f}% accepted" if "acceptance_rate" in point else ""
            print(f"  {dataset} {method} seed {seed}, {last:,} iterations: {point['modes_covered']} modes, "
                  f"{100 * point['high_quality_fraction']:.1f}% high quality{rate}", file=sys.stderr, flush=True)
    if METHODS[method][1]:
        stats["minibatch_diagnostics"] = minibatch_diagnostics(model, x[-batch:])
    out = {
        "method": method, "dataset": dataset, "seed": seed, "packing": packing,
        "epochs": epochs, "iterations": iterations, "batch_size": batch,
        "real_samples_per_epoch": per_epoch,
        "train_seconds": round(train_s, 2),
        "final_logs": logs,
        **({"ema_start_iterations": ema_start} if averaged else {}),
        "curve": curve,
        **stats,
    }
    if keep_samples:
        out["samples"], out["other_samples"] = samples, others
    return out


def plot_curves(runs, path):
    """Modes covered and high-quality share against iterations: the mean over
    seeds per (dataset, method), a PNG. A moving-average method (``+ema``)
    also gets a line for the trained G itself, and a rejection-sampling
    method (``+drs``) lines for its samplers without rejection."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    datasets = sorted({r["dataset"] for r in runs}, key=list(DATASETS).index)
    fig, axes = plt.subplots(2, len(datasets), figsize=(4.2 * len(datasets), 5.6), squeeze=False)
    for column, dataset in enumerate(datasets):
        by_method = {}
        for r in runs:
            if r["dataset"] == dataset:
                by_method.setdefault(r["method"], []).append(r["curve"])
                k = r["num_modes"]
                # The other samplers evaluated beside the method's own.
                for prefix, what in SAMPLER_NAMES.items():
                    if prefix + "modes_covered" in r["curve"][0]:
                        by_method.setdefault(f"{r['method']}: {what}", []).append([
                            {"iterations": p["iterations"], "modes_covered": p[prefix + "modes_covered"],
                             "high_quality_fraction": p[prefix + "high_quality_fraction"]}
                            for p in r["curve"]])
        for method, curves in by_method.items():
            length = min(len(c) for c in curves)
            its = [c[i]["iterations"] for c in curves[:1] for i in range(length)]
            modes = np.mean([[c[i]["modes_covered"] for i in range(length)] for c in curves], axis=0)
            hq = np.mean([[c[i]["high_quality_fraction"] for i in range(length)] for c in curves], axis=0)
            label = f"{method} ({len(curves)} seeds)"
            axes[0][column].plot(its, modes, marker="o", markersize=3, label=label)
            axes[1][column].plot(its, 100 * hq, marker="o", markersize=3, label=label)
        axes[0][column].axhline(k, color="grey", linewidth=0.8, linestyle=":")
        axes[0][column].set_title(f"{dataset}: modes covered (of {k})", fontsize=9)
        axes[1][column].set_title(f"{dataset}: high-quality samples (%)", fontsize=9)
        for row in axes:
            row[column].set_xlabel("generator iterations", fontsize=8)
            row[column].legend(fontsize=7)
    fig.tight_layout()
    os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def parse_seeds(text):
    seeds = []
    for part in text.split(","):
        if "-" in part:
            lo, hi = part.split("-")
            seeds += list(range(int(lo), int(hi) + 1))
        elif part:
            seeds.append(int(part))
    return seeds


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--quick", action="store_true", help="seed 0, 0.2 epochs, nothing written")
    p.add_argument("--methods", default="gan,pacgan2,pacgan3,pacgan4")
    p.add_argument("--datasets", default="ring,grid")
    p.add_argument("--seeds", default="0-9")
    p.add_argument("--epochs", type=float, default=10.0,
                   help="epochs of 1,000 iterations (the paper: 400)")
    p.add_argument("--ema-decay", type=float, default=None,
                   help="decay of the +ema methods' moving average (default 0.999)")
    p.add_argument("--ema-start", type=int, default=0,
                   help="epoch after which the +ema methods start their average from G's weights "
                        "(default 0: from G's initial weights)")
    p.add_argument("--eval-every", type=int, default=1,
                   help="evaluate every N epochs (and after the last; default 1)")
    p.add_argument("--progress", action="store_true", help="print every evaluation (stderr)")
    p.add_argument("--json", default=None)
    p.add_argument("--images", default=None, help="folder for pacgan_protocol_{ring,grid}.png")
    p.add_argument("--image-prefix", default="pacgan_protocol",
                   help="the figures' names: PREFIX_curves.png, PREFIX_{ring,grid}.png")
    args = p.parse_args(argv)
    args.methods = mode_collapse.parse_choices(p, args.methods, METHODS, "method")
    args.datasets = mode_collapse.parse_choices(p, args.datasets, DATASETS, "dataset")
    args.seeds = parse_seeds(args.seeds)
    if args.ema_decay is not None and not 0.0 < args.ema_decay < 1.0:
        p.error(f"--ema-decay is the decay of a moving average, in (0, 1); got {args.ema_decay}")
    if args.eval_every < 1:
        p.error(f"--eval-every is a number of epochs, >= 1; got {args.eval_every}")
    if args.ema_start < 0:
        p.error(f"--ema-start is a number of epochs, >= 0; got {args.ema_start}")
    if args.quick:
        args.seeds, args.epochs = args.seeds[:1], 0.2
    elif args.json is None:
        args.json = DEFAULT_JSON
    return args


def published_table(rows):
    lines = ["| data | method | published modes | published high-quality % |", "|---|---|---:|---:|"]
    for row in rows:
        ref = PUBLISHED.get((row["dataset"], row["method"]))
        if ref:
            lines.append(f"| {row['dataset']} | {row['method']} | {ref[0]} | {ref[1]} |")
    return "\n".join(lines)


def main(argv=None):
    args = parse_args(argv)
    protocol = dict(PACGAN)
    if args.ema_decay is not None:
        if not any(METHODS[m][3] for m in args.methods):
            raise SystemExit("--ema-decay applies to the +ema methods only; none is among --methods.")
        protocol["ema_decay"] = args.ema_decay
    if args.eval_every != 1:
        protocol["eval_every"] = args.eval_every
    if args.progress:
        protocol["progress"] = True
    if args.ema_start:
        if not any(METHODS[m][3] for m in args.methods):
            raise SystemExit("--ema-start applies to the +ema methods only; none is among --methods.")
        if args.ema_start >= args.epochs:
            raise SystemExit(f"--ema-start {args.ema_start} must be below --epochs {args.epochs}: "
                             "the average would never start.")
        protocol["ema_start_epochs"] = args.ema_start
    info = mode_collapse.machine_info()
    t0 = time.perf_counter()
    results, plotted = [], {}
    # Seeds outermost: a job stopped early has every method on its first seeds.
    for seed in args.seeds:
        for dataset in args.datasets:
            for method in args.methods:
                keep = args.images is not None and seed == args.seeds[0]
                r = run_one(method, dataset, seed, protocol, args.epochs, keep_samples=keep)
                if keep:
                    by_method = plotted.setdefault(dataset, {})
                    by_method[method] = r.pop("samples")
                    for prefix, samples in r.pop("other_samples").items():
                        by_method[f"{method}: {SAMPLER_NAMES[prefix]}"] = samples
                results.append(r)
                print(f"[{time.perf_counter() - t0:7.1f}s] {dataset} {method} seed {seed}: "
                      f"{r['modes_covered']}/{r['num_modes']} modes, "
                      f"{100 * r['high_quality_fraction']:.1f}% high quality, "
                      f"train {r['train_seconds']:.1f}s", file=sys.stderr, flush=True)
                if args.json:  # after every run: a long job keeps what it measured
                    _write(args, protocol, info, results, t0)
    rows = mode_collapse.summarize(results)
    print(mode_collapse.format_table(rows))
    print(published_table(rows))
    if args.images:
        plot_curves(results, os.path.join(args.images, f"{args.image_prefix}_curves.png"))
        for dataset, by_method in plotted.items():
            path = os.path.join(args.images, f"{args.image_prefix}_{dataset}.png")
            real, modes, _ = load_dataset(dataset, protocol["eval_samples"], 20_000)
            mode_collapse.plot_samples({"real data": real, **by_method}, dataset, path,
                                       modes=modes, lim=1.6 if dataset == "ring" else 5.5)
    return results, rows


def _write(args, protocol, info, results, t0):
    from kerasgan.utils import write_json_atomic

    payload = {
        "command": "python benchmarks/pacgan_protocol.py " + " ".join(sys.argv[1:]),
        "machine": info,
        "protocol": protocol,
        "epochs": args.epochs,
        "differences_from_the_paper": [
            "alternating D then G updates with fresh latents (the code: simultaneous updates)",
            f"{args.epochs} epochs of 1,000 iterations (the code: 400)",
        ],
        "datasets": {k: v["description"] for k, v in DATASETS.items() if k in args.datasets},
        "published": {f"{d}/{m}": v for (d, m), v in PUBLISHED.items()},
        "wall_seconds": round(time.perf_counter() - t0, 1),
        "summary": [mode_collapse._jsonable_row(r) for r in mode_collapse.summarize(results)],
        "runs": results,
    }
    write_json_atomic(payload, args.json)


if __name__ == "__main__":
    main()
