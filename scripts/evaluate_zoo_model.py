"""Evaluates a zoo GAN on Fashion-MNIST with the Fashion-MNIST classifier's features.

Generates `--num` samples (`model.generate(n, seed=...)`) and computes, with
`FashionMNISTFeatureExtractor` (the zoo classifier, hash-verified):

- FID against the 10,000 test images, and the real-data floor: FID between
  `--num-real` training images (a seeded random subset) and the test images;
- Inception Score (`--splits` splits) of the samples and of the test images;
- KID (mean and spread over subsets) of the samples and of the training
  subset against the test images;
- improved precision/recall (k=3) of the samples and of the training subset
  against the test images;
- for a class-conditional model (ConditionalGAN, ACGAN): samples requested
  in equal numbers per class (label i % 10), and the class agreement, the
  share the classifier puts in the requested class, beside the classifier's
  accuracy on the test images;
- for a CoGAN: the metrics above of its domain-A images (garments), and its
  pixel agreement (Liu & Tuzel 2016, Table 1) on `--num` pairs;
- for a translation model (CycleGAN, StarGAN): instead of the above, its
  built-in task's test-split metrics (`kerasgan train`'s final report) on
  `--num` test images (the task: the registry entry's dataset);
- for a model whose discriminator is also a classifier (`classify`:
  SemiSupervisedGAN, ACGAN): its error on the test images, beside the
  evaluation classifier's.

The test images' FID statistics are cached with
`kerasgan.metrics.save_statistics` (`--stats-cache`); the cache records the
classifier's SHA-256 and is recomputed when it does not match. Prints a
table and writes JSON (default `kerasgan/zoo/MODEL/evaluation.json`).

Usage:

    KERAS_BACKEND=tensorflow python scripts/evaluate_zoo_model.py [--model dcgan_fashion_mnist]
"""

import argparse
import os
import platform
import sys
import time

import numpy as np


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--model", default="dcgan_fashion_mnist", help="a zoo GAN name")
    p.add_argument("--num", type=int, default=10000, help="generated samples (translation models: test images translated; CoGAN: pairs too)")
    p.add_argument("--num-real", type=int, default=10000, help="training images for the floor")
    p.add_argument("--seed", type=int, default=0, help="latent seed and training-subset seed")
    p.add_argument("--batch-size", type=int, default=500, help="generation/extraction batch")
    p.add_argument("--splits", type=int, default=10, help="Inception Score splits")
    p.add_argument("--kid-subsets", type=int, default=100)
    p.add_argument("--kid-subset-size", type=int, default=1000)
    p.add_argument("--pr-k", type=int, default=3, help="precision/recall neighbourhood size")
    p.add_argument(
        "--stats-cache",
        default=os.path.join("runs", "metrics_cache", "fashion_mnist_test_classifier_stats.npz"),
        help="FID statistics of the test images (.npz), read if valid, else written",
    )
    p.add_argument("--task", default=None, help="multi-domain models: the built-in task (default: the "
                   "registry entry's dataset)")
    p.add_argument("--out", default=None, help="JSON path; default kerasgan/zoo/MODEL/evaluation.json")
    p.add_argument("--card", action="store_true",
                   help="also write the table into the model's card (an 'Evaluation' section below its "
                   "generated part, replacing the one written before) and 'FMNIST-FID X' as its headline "
                   "in the registry (`kerasgan zoo list`)")
    args = p.parse_args(argv)
    args.argv = argv
    return args


EVALUATION_BEGIN = "<!-- evaluation (scripts/evaluate_zoo_model.py --card) -->"
EVALUATION_END = "<!-- end of evaluation -->"


def card_section(record, table, head):
    """The card's evaluation section: the protocol, the table, the command."""
    rows = [f"| {head[0]} | this model | real-data floor |", "|---|---|---|"]
    rows += [f"| {name} | **{value}** | {floor} |" for name, value, floor in table]
    shares = record["generated_class_shares"]
    per_class = record["generated"].get("class_agreement_per_class")
    if per_class is None:
        spread = (f"The classifier puts the samples in {sum(v >= 0.01 for v in shares.values())} of the 10 "
                  f"classes (at least 1% each; from {100 * min(shares.values()):.1f}% to "
                  f"{100 * max(shares.values()):.1f}%).")
    else:
        spread = (f"The samples are requested in equal numbers per class (label i % {len(per_class)} for "
                  "sample i); the class agreement is the share the classifier puts in the requested class "
                  "(its floor: the classifier's accuracy on the test images). Per class: "
                  + ", ".join(f"{name} {100 * v:.1f}%" for name, v in per_class.items()) + ".")
    return "\n".join([
        EVALUATION_BEGIN,
        "## Evaluation",
        "",
        f"{record['num_generated']:,} samples (latent seed {record['latent_seed']}) against the 10,000 "
        "Fashion-MNIST test images, with the features and class probabilities of the published "
        "[`fashion_mnist_classifier`](../fashion_mnist_classifier/README.md). The real-data floor: "
        f"{record['real_floor_description']}. Comparable between kerasgan models, not with "
        "Inception-feature FIDs in papers.",
        "",
        *rows,
        "",
        spread,
        "",
        f"Command: `{record['command']}` ({record['seconds']} s, {record['machine']}); all values in "
        "[evaluation.json](evaluation.json).",
        EVALUATION_END,
        "",
    ])


def write_card(name, section, headline):
    """Puts `section` into `name`'s card (replacing an earlier one) and
    `headline` (e.g. "FMNIST-FID 6.15") as the registry entry's headline."""
    from kerasgan import zoo

    path = os.path.join(zoo.zoo_dir(), zoo.entry(name)["card"])
    with open(path) as f:
        text = f.read()
    if EVALUATION_BEGIN in text and EVALUATION_END in text:
        before, rest = text.split(EVALUATION_BEGIN, 1)
        text = before + section.rstrip("\n") + rest.split(EVALUATION_END, 1)[1]
    else:
        text = text.rstrip("\n") + "\n\n" + section
    with open(path, "w") as f:
        f.write(text)
    zoo.set_headline(name, headline)


def fashion_mnist_size(samples):
    """Samples as the classifier takes them: 28×28. A model trained on the
    images padded to a larger square (ProGAN: 32×32, `kerasgan.data.pad_images`)
    gives its 28×28 centre, the padding's inverse, clipped to [-1, 1]."""
    h, w = samples.shape[1:3]
    if (h, w) == (28, 28):
        return samples
    if h != w or h < 28 or (h - 28) % 2:
        raise ValueError(f"Samples of shape {samples.shape[1:]} cannot be compared with 28x28 Fashion-MNIST "
                         "(expected 28x28, or a larger square padded evenly around it).")
    m = (h - 28) // 2
    return np.clip(samples[:, m:m + 28, m:m + 28], -1.0, 1.0)


def task_report(args, model):
    """The built-in Fashion-MNIST task's test-split report of a multi-domain
    model (`kerasgan train`'s final report), on `--num` images or pairs."""
    from kerasgan import zoo
    from kerasgan.cli import _domain_evaluation

    kind = {"CycleGAN": "cyclegan", "StarGAN": "stargan", "CoGAN": "cogan"}[type(model).__name__]
    task = args.task or zoo.entry(args.model).get("dataset")
    if task is None:
        raise ValueError(f"{args.model}: its registry entry names no dataset; give --task (e.g. "
                         "fashion_mnist_edges).")
    # "limit": the run's images per domain (None: the domain classifier learns from its default count).
    report = _domain_evaluation(
        model, {"dataset": task, "data_dir": None, "model": kind, "seed": args.seed, "limit": None}, args.num)
    if report is None:
        raise ValueError(f"{args.model}: '{task}' is not a built-in Fashion-MNIST task, so the true map "
                         "is unknown and there is nothing to measure against.")
    return {"task": task, **report}


#: The task metrics a translation model's card shows: (key, label, as a percentage).
TRANSLATION_ROWS = {
    "CycleGAN": [("cycled_class_agreement", "F(G(x)) in x's class", True),
                 ("inverted_class_agreement", "F(edges(x)) in x's class", True),
                 ("mae_a_to_b", "mean abs. error of G(x) against the true map", False),
                 ("mae_b_to_a", "mean abs. error of F(true map) against x", False),
                 ("mae_identity_floor", "mean abs. error of x itself against the true map", False),
                 ("classifier_accuracy", "the classifier on x (the ceiling)", True)],
    "StarGAN": [("domain_accuracy", "requested domain found", True),
                ("garment_agreement", "garment class kept (into 'original')", True),
                ("mae_changed", "mean abs. error against the true transform (target ≠ source)", False),
                ("mae_unchanged_input", "the same for returning the input unchanged", False),
                ("real_domain_accuracy", "the domain classifier on real images", True),
                ("real_garment_accuracy", "the garment classifier on real images", True)],
}


def by_source_lines(report):
    """A StarGAN card's garment agreement by the source domain of the images
    translated into "original" (the table's figure is their mean)."""
    per_source = report.get("garment_agreement_per_source")
    if not per_source:
        return []
    figures = ", ".join(f"{name} {100 * value:.1f}%" for name, value in per_source.items() if value is not None)
    lines = [f"Garment class kept, by the domain the image was in before its translation into 'original': "
             f"{figures}.", ""]
    counts = np.asarray((report.get("garment_confusion_per_target") or {}).get("negative", []))
    if counts.size and counts.sum():
        back = (report.get("garment_agreement_round_trip") or {}).get("negative")
        back = "" if back is None else (f" Originals translated into 'negative' and back into 'original' keep it "
                                        f"in {100 * back:.1f}%.")
        lines += [f"Into 'negative' from another domain, read after negating it: the garment class kept in "
                  f"{100 * np.trace(counts) / counts.sum():.1f}%; {moved_classes(counts)}.{back}", ""]
    return lines


def moved_classes(counts, top=3):
    """The `top` classes most often turned into one other class, as "A → B
    (share of A)", from a confusion count matrix (rows: true class)."""
    from kerasgan.data.fashion_mnist import FASHION_MNIST_CLASSES as NAMES

    counts = np.asarray(counts)
    rows = counts.sum(axis=1)
    off = counts * (1 - np.eye(len(counts), dtype=int))
    moves = sorted(((off[i].max() / rows[i], i, int(off[i].argmax())) for i in range(len(counts)) if rows[i]),
                   reverse=True)[:top]
    name = lambda k: NAMES[k] if k < len(NAMES) else str(k)  # noqa: E731
    return "most moved: " + ", ".join(f"{name(i)} → {name(j)} ({100 * share:.0f}%)" for share, i, j in moves)


def evaluate_translation(args, model, start):
    """A translation model's evaluation: its task's test metrics, to JSON, card and headline."""
    import keras

    from kerasgan import zoo
    from kerasgan.utils.files import write_json_atomic

    report = task_report(args, model)
    kind = type(model).__name__
    rows = [(label, f"{100 * report[key]:.2f}%" if pct else f"{report[key]:.4f}")
            for key, label, pct in TRANSLATION_ROWS[kind] if report.get(key) is not None]
    for label, value in rows:
        print(f"{label}: {value}")
    seconds = time.time() - start
    command = "KERAS_BACKEND={} python scripts/evaluate_zoo_model.py {}".format(
        keras.backend.backend(), " ".join(sys.argv[1:] if args.argv is None else args.argv)).strip()
    record = {"model": args.model, "model_sha256": zoo.entry(args.model)["sha256"], "command": command,
              "backend": keras.backend.backend(), "keras": keras.__version__,
              "machine": f"{platform.machine()}, {os.cpu_count()} CPUs", "seed": args.seed,
              **report, "seconds": round(seconds, 1)}
    out = args.out or os.path.join(zoo.zoo_dir(), args.model, "evaluation.json")
    write_json_atomic(record, out)
    print(f"wrote {out}")
    if args.card:
        section = "\n".join([
            EVALUATION_BEGIN, "## Evaluation", "",
            f"The built-in task `{report['task']}` on {report.get('images', args.num):,} Fashion-MNIST test "
            "images, whose true map is known (`kerasgan.metrics`; the garment classifier is the published "
            "[`fashion_mnist_classifier`](../fashion_mnist_classifier/README.md)).", "",
            "| metric | this model |", "|---|---|", *[f"| {label} | **{value}** |" for label, value in rows], "",
            *by_source_lines(report),
            f"Command: `{command}` ({record['seconds']} s, {record['machine']}); all values in "
            "[evaluation.json](evaluation.json).", EVALUATION_END, ""])
        if kind == "CycleGAN":
            headline = (f"cycled class agreement {100 * report['cycled_class_agreement']:.1f}%, "
                        f"MAE A→B {report['mae_a_to_b']:.3f}")
        else:
            headline = (f"domain found {100 * report['domain_accuracy']:.1f}%, garment kept "
                        f"{100 * report.get('garment_agreement', float('nan')):.1f}%")
        write_card(args.model, section, headline)
        print(f"wrote the evaluation into {args.model}'s card and its headline into the registry")
    return 0


def reference_statistics(path, features, classifier_sha256):
    """(mu, sigma) of the test features, from the cache when it matches."""
    from kerasgan import metrics

    if path and os.path.exists(path):
        mu, sigma, meta = metrics.load_statistics(path, with_meta=True)
        if meta.get("classifier_sha256") == classifier_sha256 and meta.get("n") == len(features):
            return mu, sigma, "cache"
    mu, sigma = metrics.feature_statistics(features)
    if path:
        metrics.save_statistics(
            path, mu, sigma, dataset="fashion_mnist", split="test", n=len(features),
            extractor="fashion_mnist_classifier", classifier_sha256=classifier_sha256,
        )
    return mu, sigma, "computed"


def main(argv=None):
    args = parse_args(argv)
    start = time.time()
    import keras

    import kerasgan
    from kerasgan import metrics
    from kerasgan import zoo
    from kerasgan.extractors.fashion_mnist_classifier import ZOO_NAME as CLASSIFIER
    from kerasgan.extractors.fashion_mnist_classifier import FashionMNISTFeatureExtractor
    from kerasgan.utils.files import write_json_atomic

    timings = {}
    t = time.time()
    model = zoo.load(args.model)
    if not hasattr(model, "generate"):
        return evaluate_translation(args, model, start)
    num_classes = model.num_classes if getattr(model, "generates_by_class", False) else None
    requested = None if num_classes is None else np.arange(args.num) % num_classes
    labels = {} if requested is None else {"labels": requested}
    samples = model.generate(args.num, seed=args.seed, batch_size=args.batch_size, **labels)
    pair_model = isinstance(samples, tuple)  # CoGAN: (domain A, domain B) from the same latents
    if pair_model:
        samples = samples[0]
    samples = fashion_mnist_size(samples)
    timings["generate"] = time.time() - t
    print(f"{args.model}: generated {len(samples)} samples in {timings['generate']:.1f} s", flush=True)

    t = time.time()
    extractor = FashionMNISTFeatureExtractor(batch_size=args.batch_size)
    test, test_labels = kerasgan.data.load_fashion_mnist("test", with_labels=True)
    train = kerasgan.data.load_fashion_mnist("train")
    subset = np.random.default_rng(args.seed).choice(len(train), args.num_real, replace=False)
    train = train[np.sort(subset)]
    fake_f, fake_logits = extractor.features_and_logits(samples)
    test_f, test_logits = extractor.features_and_logits(test)
    train_f = extractor.features(train)
    timings["features"] = time.time() - t
    print(f"features of {len(samples)} + {len(test)} + {len(train)} images in "
          f"{timings['features']:.1f} s", flush=True)

    t = time.time()
    classifier_sha = zoo.entry(CLASSIFIER)["sha256"]
    mu, sigma, source = reference_statistics(args.stats_cache, test_f, classifier_sha)

    def fid(features):
        return metrics.frechet_distance(mu, sigma, *metrics.feature_statistics(features))

    def softmax(z):
        z = z.astype("float64")
        z = np.exp(z - z.max(axis=1, keepdims=True))
        return z / z.sum(axis=1, keepdims=True)

    def kid(features):
        mean, std = metrics.kernel_inception_distance(
            test_f, features, num_subsets=args.kid_subsets,
            subset_size=args.kid_subset_size, seed=args.seed,
        )
        return {"mean": mean, "std": std}

    results = {
        "generated": {
            "fid": fid(fake_f),
            "inception_score": dict(zip(("mean", "std"), metrics.inception_score(
                softmax(fake_logits), splits=args.splits))),
            "kid": kid(fake_f),
            **metrics.precision_recall(test_f, fake_f, k=args.pr_k),
        },
        "real_floor": {
            "fid": fid(train_f),
            "inception_score": dict(zip(("mean", "std"), metrics.inception_score(
                softmax(test_logits), splits=args.splits))),
            "kid": kid(train_f),
            **metrics.precision_recall(test_f, train_f, k=args.pr_k),
        },
    }
    # How the classifier sees the samples: share of each predicted class.
    predicted = np.bincount(np.argmax(fake_logits, axis=1), minlength=10) / len(fake_logits)
    if requested is not None:
        hits = np.argmax(fake_logits, axis=1) == requested
        results["generated"]["class_agreement"] = float(hits.mean())
        results["generated"]["class_agreement_per_class"] = {
            name: float(hits[requested == i].mean()) for i, name in enumerate(kerasgan.data.FASHION_MNIST_CLASSES)
        }
    if requested is not None or hasattr(model, "classify"):
        results["real_floor"]["classifier_test_accuracy"] = float(
            np.mean(np.argmax(test_logits, axis=1) == test_labels))
    if pair_model:
        results["generated"]["pixel_agreement"] = task_report(args, model)["pixel_agreement"]
    if hasattr(model, "classify"):  # D as a classifier (semi-supervised, AC-GAN)
        results["generated"]["discriminator_test_error"] = float(
            np.mean(np.asarray(model.classify(test)) != test_labels))
    timings["metrics"] = time.time() - t
    seconds = time.time() - start

    g, r = results["generated"], results["real_floor"]
    table = [
        ("FID vs test", f"{g['fid']:.3f}", f"{r['fid']:.3f}"),
        (f"IS ({args.splits} splits)",
         f"{g['inception_score']['mean']:.3f} ± {g['inception_score']['std']:.3f}",
         f"{r['inception_score']['mean']:.3f} ± {r['inception_score']['std']:.3f}"),
        ("KID vs test (x1e3)",
         f"{1e3 * g['kid']['mean']:.3f} ± {1e3 * g['kid']['std']:.3f}",
         f"{1e3 * r['kid']['mean']:.3f} ± {1e3 * r['kid']['std']:.3f}"),
        (f"precision (k={args.pr_k})", f"{g['precision']:.4f}", f"{r['precision']:.4f}"),
        (f"recall (k={args.pr_k})", f"{g['recall']:.4f}", f"{r['recall']:.4f}"),
    ]
    if requested is not None:
        table.append(("class agreement (test accuracy)", f"{100 * g['class_agreement']:.2f}%",
                      f"{100 * r['classifier_test_accuracy']:.2f}%"))
    if pair_model:
        table.append(("pixel agreement (Liu & Tuzel 2016)", f"{g['pixel_agreement']:.4f}", "—"))
    if "discriminator_test_error" in g:
        table.append(("D's test error as a classifier", f"{100 * g['discriminator_test_error']:.2f}%",
                      f"{100 * (1 - r['classifier_test_accuracy']):.2f}%"))
    head = ("metric", f"{args.model} ({args.num} samples)",
            f"real floor ({args.num_real} train vs test)")
    widths = [max(len(row[i]) for row in [head, *table]) for i in range(3)]
    for row in [head, tuple("-" * w for w in widths), *table]:
        print("  ".join(cell.ljust(w) for cell, w in zip(row, widths)))
    print("(IS of the real floor: the 10,000 test images)")
    print(f"{seconds:.1f} s in all ({', '.join(f'{k} {v:.1f} s' for k, v in timings.items())})")

    command = "KERAS_BACKEND={} python scripts/evaluate_zoo_model.py {}".format(
        keras.backend.backend(), " ".join(sys.argv[1:] if argv is None else argv)
    ).strip()
    record = {
        "model": args.model,
        "model_sha256": zoo.entry(args.model)["sha256"],
        "extractor": CLASSIFIER,
        "extractor_sha256": classifier_sha,
        "command": command,
        "backend": keras.backend.backend(),
        "keras": keras.__version__,
        "machine": f"{platform.machine()}, {os.cpu_count()} CPUs",
        "num_generated": args.num,
        "latent_seed": args.seed,
        "reference": "fashion_mnist test split (10,000 images)",
        "real_floor_description": f"{args.num_real} fashion_mnist training images (random subset, seed "
        f"{args.seed}) vs the test split; its inception_score is of the test images",
        "settings": {"is_splits": args.splits, "kid_num_subsets": args.kid_subsets,
                     "kid_subset_size": args.kid_subset_size, "pr_k": args.pr_k},
        "reference_statistics": {"path": args.stats_cache, "source": source},
        **results,
        "generated_class_shares": {
            name: float(s) for name, s in zip(kerasgan.data.FASHION_MNIST_CLASSES, predicted)
        },
        "seconds": round(seconds, 1),
        "timings": {k: round(v, 1) for k, v in timings.items()},
    }
    out = args.out or os.path.join(zoo.zoo_dir(), args.model, "evaluation.json")
    write_json_atomic(record, out)
    print(f"wrote {out}")
    if args.card:
        headline = f"FMNIST-FID {g['fid']:.2f}"
        if pair_model:
            headline = f"pixel agreement {g['pixel_agreement']:.3f}, {headline} (domain A)"
        elif requested is not None:
            headline += f", class agreement {100 * g['class_agreement']:.1f}%"
        elif "discriminator_test_error" in g:  # a semi-supervised model: its classifier first
            headline = f"test error {100 * g['discriminator_test_error']:.2f}%, {headline}"
        write_card(args.model, card_section(record, table, head), headline)
        print(f"wrote the evaluation into {args.model}'s card and its headline into the registry")
    return 0


if __name__ == "__main__":
    sys.exit(main())
