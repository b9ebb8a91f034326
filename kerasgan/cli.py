"""The `kerasgan` command line: train, sample, eval, zoo.

Examples:

    kerasgan train --model dcgan --dataset fashion_mnist --epochs 1 --out runs/dcgan
    kerasgan sample runs/dcgan/model.keras --num 64 --out samples.png
    kerasgan sample dcgan_fashion_mnist --num 64 --out samples.png
    kerasgan eval dcgan_fashion_mnist --metrics fid,is,kid --num-samples 10000
    kerasgan zoo list
    kerasgan convert-inception-weights pt_inception-2015-12-05-6726825d.pth
"""

import argparse
import json
import os
import platform
import shlex
import sys
import time

from kerasgan.cli_eval import add_eval_parser
from kerasgan.cli_eval import evaluate


def _positive_int(text):
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer; got {text}")
    return value


def _positive_float(text):
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number; got {text!r}") from None
    if not value > 0 or value == float("inf"):
        raise argparse.ArgumentTypeError(f"expected a finite number > 0; got {text}")
    return value


def _build_parser():
    parser = argparse.ArgumentParser(
        prog="kerasgan",
        description="Train, sample and share GANs on the TensorFlow, JAX or "
        "PyTorch backend (set KERAS_BACKEND).",
    )
    commands = parser.add_subparsers(dest="command", required=True)

    train = commands.add_parser("train", help="train a GAN and write weights, samples and loss history")
    train.add_argument("--model", default="dcgan", choices=["dcgan", "gan", *sorted(_VARIANTS)])
    train.add_argument("--dataset", default="fashion_mnist", help="a kerasgan.data name (default: fashion_mnist)")
    train.add_argument("--data-dir", default=None, help="where local dataset files are")
    train.add_argument("--limit", type=_positive_int, default=None, help="train on the first N samples only")
    train.add_argument("--epochs", type=_positive_int, default=1)
    train.add_argument("--batch-size", type=_positive_int, default=64)
    train.add_argument("--latent-dim", type=_positive_int, default=100)
    train.add_argument("--filters", type=_positive_int, default=64, help="DCGAN ngf = ndf")
    train.add_argument("--loss", default=None, help="adversarial loss (default: the model's own)")
    train.add_argument("--label-smoothing", type=float, default=None)
    train.add_argument(
        "--d-steps", type=_positive_int, default=None,
        help="discriminator steps per generator step (k; default: the model's own, 1 or 5)",
    )
    train.add_argument(
        "--reuse-fakes", action="store_true",
        help="the generator step reuses the discriminator step's fakes (one G forward per iteration)",
    )
    train.add_argument("--lr", type=_positive_float, default=2e-4, help="Adam learning rate of both players")
    train.add_argument("--beta1", type=float, default=0.5)
    train.add_argument("--seed", type=int, default=0)
    train.add_argument("--out", default="runs/dcgan_fashion_mnist", help="output directory")
    train.add_argument("--resume", action="store_true", help="continue from OUT/model.keras")
    train.add_argument("--no-jit", action="store_true", help="disable XLA / jit compilation")
    train.add_argument("--verbose", type=int, default=1, choices=[0, 1, 2])

    sample = commands.add_parser("sample", help="generate samples from a saved model or a zoo name")
    sample.add_argument("model", help="a .keras file or a zoo model name")
    sample.add_argument("--num", type=_positive_int, default=64)
    sample.add_argument("--seed", type=int, default=0)
    sample.add_argument("--out", default="samples.png", help="a .png grid or a .npy array")

    zoo = commands.add_parser("zoo", help="published models")
    zoo_commands = zoo.add_subparsers(dest="zoo_command", required=True)
    zoo_commands.add_parser("list", help="list the published models")
    info = zoo_commands.add_parser("info", help="show one model's card")
    info.add_argument("name")
    publish = zoo_commands.add_parser("publish", help="add a `kerasgan train` run to the zoo")
    publish.add_argument("run_dir", help="the --out directory of a finished `kerasgan train` run")
    publish.add_argument("--name", required=True)
    publish.add_argument("--summary", required=True, help="one line for `zoo list`")
    publish.add_argument("--zoo-dir", default=None, help="default: kerasgan's own zoo directory (kerasgan/zoo/ in a checkout)")
    add_eval_parser(commands)

    from kerasgan.extractors import convert_fid_inception_weights

    convert = commands.add_parser(
        "convert-inception-weights",
        help="convert pytorch-fid's FID Inception weights (.pth) for kerasgan's FID",
        description=convert_fid_inception_weights.__doc__.split("\n\n")[0],
    )
    convert_fid_inception_weights.add_arguments(convert)
    return parser


def convert_inception_weights(args):
    from kerasgan.extractors import convert_fid_inception_weights

    return convert_fid_inception_weights.run(args)


def _load_training_data(args):
    from kerasgan import data

    kwargs = {}
    if args.dataset in ("ring", "grid"):
        kwargs = {"n": args.limit or 20000, "seed": args.seed}
    if args.data_dir:
        kwargs["data_dir"] = args.data_dir
    x = data.load(args.dataset, **kwargs)
    if isinstance(x, tuple):
        x = x[0]
    if args.limit:
        x = x[: args.limit]
    return x


# Unconditional variants that `train --model` builds for any data shape.
_VARIANTS = {
    "wgan": "WGAN",
    "wgan_gp": "WGANGP",
    "lsgan": "LSGAN",
    "sngan": "SNGAN",
    "began": "BEGAN",
}


def _build_model(args, data_shape):
    from kerasgan import models

    options = {} if args.d_steps is None else {"discriminator_steps": args.d_steps}
    if args.reuse_fakes:
        options["reuse_fakes"] = True
    image = len(data_shape) == 3
    if args.model in _VARIANTS:
        return getattr(models, _VARIANTS[args.model])(
            data_shape=data_shape,
            latent_dim=args.latent_dim,
            generator_width=args.filters if image else None,
            discriminator_width=args.filters if image else None,
            data_range=(-1.0, 1.0) if image else None,
            seed=args.seed,
            **options,
        )
    if args.model == "dcgan":
        return models.DCGAN(
            image_shape=data_shape,
            latent_dim=args.latent_dim,
            generator_filters=args.filters,
            discriminator_filters=args.filters,
            **options,
            seed=args.seed,
        )
    return models.GAN(
        data_shape=data_shape,
        latent_dim=args.latent_dim,
        output_activation="tanh" if image else None,
        data_range=(-1.0, 1.0) if image else None,
        **options,
        seed=args.seed,
    )


def train(args):
    import keras

    from kerasgan import callbacks
    from kerasgan.utils import save_image_grid
    from kerasgan.utils import write_json_atomic

    keras.utils.set_random_seed(args.seed)
    os.makedirs(args.out, exist_ok=True)
    model_path = os.path.join(args.out, "model.keras")
    x = _load_training_data(args)
    print(f"kerasgan train: {len(x)} samples of shape {x.shape[1:]} from '{args.dataset}', "
          f"backend {keras.backend.backend()}", flush=True)
    initial_epoch = 0
    if args.resume:
        if not os.path.exists(model_path):
            raise SystemExit(f"--resume: no checkpoint at {model_path}")
        model = keras.saving.load_model(model_path)
        run = _read_json(os.path.join(args.out, "run.json"))
        initial_epoch = int(run.get("epochs_completed", 0))
    else:
        model = _build_model(args, tuple(x.shape[1:]))
        model.compile(
            generator_optimizer=keras.optimizers.Adam(args.lr, beta_1=args.beta1),
            discriminator_optimizer=keras.optimizers.Adam(args.lr, beta_1=args.beta1),
            loss=args.loss,
            label_smoothing=args.label_smoothing,
            jit_compile=False if args.no_jit else "auto",
        )
    history = callbacks.LossHistory(
        os.path.join(args.out, "history.json"), os.path.join(args.out, "losses.png")
    )
    guard = callbacks.NaNGuard()
    start = time.time()
    model.fit(
        x,
        batch_size=args.batch_size,
        epochs=initial_epoch + args.epochs,
        initial_epoch=initial_epoch,
        verbose=args.verbose,
        callbacks=[
            guard,
            history,
            callbacks.AtomicModelCheckpoint(model_path),
            callbacks.SampleGrid(os.path.join(args.out, "samples"), num_samples=64, seed=args.seed),
        ],
    )
    seconds = time.time() - start
    completed = initial_epoch + len(history.epochs.get("d_loss", []))
    grid = save_image_grid(model.generate(64, seed=args.seed), os.path.join(args.out, "samples.png"), scale=2)
    run = {
        "command": "kerasgan " + shlex.join(args.argv),
        "backend": keras.backend.backend(),
        "keras": keras.__version__,
        "machine": f"{platform.machine()}, {os.cpu_count()} CPUs",
        "dataset": args.dataset,
        "samples": int(len(x)),
        "epochs_completed": completed,
        "train_seconds": round(seconds, 1),
        "images_per_second": round(len(x) * (completed - initial_epoch) / seconds, 1) if seconds else None,
        "stopped_on_nonfinite_loss": guard.stopped_at is not None,
        "final_epoch_logs": {k: v[-1] for k, v in history.epochs.items()},
        "config": model.get_config(),
    }
    write_json_atomic(run, os.path.join(args.out, "run.json"))
    print(f"wrote {model_path}, {grid}, {history.json_path}, {history.png_path} "
          f"({seconds:.0f} s, {completed} epochs)")
    if guard.stopped_at is not None:
        print("training stopped on a non-finite loss; the last finite state was kept", file=sys.stderr)
        return 3
    return 0


def _read_json(path):
    if not os.path.exists(path):
        return {}
    with open(path) as f:
        return json.load(f)


def _load_any(name):
    import keras

    from kerasgan import zoo

    if os.path.exists(name):
        return keras.saving.load_model(name)
    if name.endswith((".keras", ".h5")):
        raise SystemExit(f"No such model file: {name}")
    return zoo.load(name)


def sample(args):
    import numpy as np

    from kerasgan.utils import save_image_grid

    model = _load_any(args.model)
    images = model.generate(args.num, seed=args.seed, verbose=int(args.num > 1024))
    if args.out.endswith(".npy"):
        np.save(args.out, images)
    else:
        save_image_grid(images, args.out, scale=2)
    print(f"wrote {args.num} samples to {args.out}")
    return 0


def zoo_command(args):
    from kerasgan import zoo

    if args.zoo_command == "list":
        entries = zoo.registry()
        width = max(len(name) for name in entries)
        for name, entry in sorted(entries.items()):
            print(f"{name:<{width}}  {entry.get('summary', '')}")
        return 0
    if args.zoo_command == "publish":
        entry = zoo.publish(args.run_dir, args.name, args.summary, zoo_dir=args.zoo_dir)
        print(f"published {args.name}: {entry['weights']} (sha256 {entry['sha256'][:12]}...)")
        return 0
    print(zoo.model_card(args.name))
    return 0


def main(argv=None):
    argv = sys.argv[1:] if argv is None else list(argv)
    args = _build_parser().parse_args(argv)
    args.argv = argv
    handlers = {
        "train": train,
        "sample": sample,
        "zoo": zoo_command,
        "eval": evaluate,
        "convert-inception-weights": convert_inception_weights,
    }
    from kerasgan.zoo import WeightsDownloadError
    from kerasgan.zoo import WeightsIntegrityError

    try:
        return handlers[args.command](args)
    except (ValueError, FileNotFoundError, KeyError, WeightsIntegrityError, WeightsDownloadError) as error:
        message = error.args[0] if isinstance(error, KeyError) and error.args else error
        print(f"kerasgan {args.command}: error: {message}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
