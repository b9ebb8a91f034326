"""`kerasgan eval`: FID / IS / KID / precision-recall of a saved or zoo model.

Examples:

    kerasgan eval dcgan_fashion_mnist --metrics fid,is,kid --num-samples 10000
    kerasgan eval runs/dcgan/model.keras --data fashion_mnist --json eval.json
    kerasgan eval runs/dcgan/model.keras --data x_test.npy --extractor inception

The real side is the test split of `--data` (a `kerasgan.data` name), or a
`.npy` array of real samples.
"""

import argparse
import os
import time

#: Column of the metric's spread in the table / JSON, by the metric's log key.
_SPREAD = {"is": "is_std", "kid": "kid_std"}


def _positive_int(text):
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer; got {text}")
    return value


def add_eval_parser(subparsers):
    """Adds the `eval` subcommand to `argparse` subparsers; returns its parser."""
    parser = subparsers.add_parser(
        "eval",
        help="FID / IS / KID / precision-recall of a saved model or a zoo model",
        description="Generate samples from fixed latent vectors and compare them with the "
        "real data's test split through a feature extractor.",
    )
    parser.add_argument("model", help="a .keras file or a zoo model name")
    parser.add_argument(
        "--metrics", default="fid,is,kid",
        help="comma-separated: fid, is, kid, pr (precision/recall); default fid,is,kid",
    )
    parser.add_argument("--num-samples", type=_positive_int, default=10000,
                        help="generated samples (default 10000)")
    parser.add_argument("--extractor", default="fashion_mnist",
                        help="feature extractor: fashion_mnist or inception")
    parser.add_argument("--data", default="fashion_mnist",
                        help="real data: a kerasgan.data name (its test split) or a .npy file")
    parser.add_argument("--data-dir", default=None, help="where local dataset files are")
    parser.add_argument("--num-real", type=_positive_int, default=None,
                        help="use the first N real samples only (default: all)")
    parser.add_argument("--reference-statistics", default=None,
                        help="a .npz caching the real FID statistics (written when absent)")
    parser.add_argument("--json", default=None, help="also write the results to this JSON file")
    parser.add_argument("--batch-size", type=_positive_int, default=250)
    parser.add_argument("--seed", type=int, default=0, help="numpy seed of the latent vectors")
    parser.add_argument("--verbose", type=int, default=1, choices=[0, 1, 2])
    return parser


def load_real_data(name, data_dir=None, limit=None):
    """Real samples for evaluation: a `.npy` file, or a dataset's test split.

    Returns `(images, description)`.
    """
    import numpy as np

    if name.endswith(".npy"):
        if not os.path.exists(name):
            raise FileNotFoundError(f"No such file: {name}")
        x, source = np.load(name, allow_pickle=False), name
    else:
        from kerasgan import data

        kwargs = {"data_dir": data_dir} if data_dir else {}
        try:
            x, source = data.load(name, split="test", **kwargs), f"{name} (test split)"
        except TypeError as error:
            if "split" not in str(error):
                raise
            # A dataset without splits (e.g. "digits"): all of it.
            x, source = data.load(name, **kwargs), f"{name} (all; it has no test split)"
        if isinstance(x, tuple):
            x = x[0]
    if limit:
        x = x[:limit]
    return x, source


def evaluate(args, extractor=None):
    """Runs `kerasgan eval` for parsed `args`; returns the exit status.

    `extractor`: an extractor object to use instead of `args.extractor`.
    """
    import keras

    from kerasgan.callbacks.evaluation import GANEvaluation
    from kerasgan.callbacks.evaluation import _check_metrics
    from kerasgan.cli import _load_any
    from kerasgan.utils import write_json_atomic

    _check_metrics(args.metrics)  # before loading anything
    model = _load_any(args.model)
    real, source = load_real_data(args.data, getattr(args, "data_dir", None),
                                  getattr(args, "num_real", None))
    verbose = getattr(args, "verbose", 1)
    extractor_name = args.extractor if extractor is None else type(extractor).__name__
    if verbose:
        print(f"kerasgan eval: {args.model}, {args.num_samples} samples vs {len(real)} real "
              f"samples of {source}, extractor {extractor_name}, "
              f"backend {keras.backend.backend()}", flush=True)
    evaluation = GANEvaluation(
        real,
        extractor=args.extractor if extractor is None else extractor,
        metrics=args.metrics,
        num_samples=args.num_samples,
        seed=args.seed,
        batch_size=args.batch_size,
        verbose=verbose,
        reference_statistics=getattr(args, "reference_statistics", None),
    )
    start = time.perf_counter()
    results = evaluation.evaluate(model)
    seconds = time.perf_counter() - start
    print(format_table(results))
    if args.json:
        write_json_atomic(
            {
                "model": args.model,
                "results": results,
                "metrics": list(evaluation.metric_names),
                "num_samples": args.num_samples,
                "seed": args.seed,
                "extractor": extractor_name,
                "data": source,
                "num_real": int(len(real)),
                "backend": keras.backend.backend(),
                "seconds": round(seconds, 1),
            },
            args.json,
        )
        print(f"wrote {args.json}")
    return 0


def format_table(results):
    """`metric  value  ±` rows; `*_std` keys go into the ± column of their metric."""
    rows = [("metric", "value", "±")]
    for key, value in results.items():
        if key.endswith("_std") and key[: -len("_std")] in results:
            continue
        spread = results.get(_SPREAD.get(key, f"{key}_std"))
        rows.append((key, _number(value), "" if spread is None else _number(spread)))
    widths = [max(len(row[i]) for row in rows) for i in range(3)]
    return "\n".join(
        f"{row[0]:<{widths[0]}}  {row[1]:>{widths[1]}}  {row[2]:>{widths[2]}}".rstrip()
        for row in rows
    )


def _number(value):
    return f"{value:.6g}" if abs(value) >= 1e-3 or value == 0 else f"{value:.3e}"
