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


def _schedule(text):
    try:
        stabilise, fade = (int(part) for part in text.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected STABILISE,FADE, two whole numbers of images, e.g. 60000,60000; got {text!r}"
        ) from None
    if stabilise < 1 or fade < 1:
        raise argparse.ArgumentTypeError(f"each phase needs at least 1 image; got {text!r}")
    return [stabilise, fade]


def _number(text):
    try:
        return float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number; got {text!r}") from None


def _positive_float(text):
    value = _number(text)
    if not value > 0 or value == float("inf"):
        raise argparse.ArgumentTypeError(f"expected a finite number > 0; got {text}")
    return value


def _non_negative_float(text):
    value = _number(text)
    if not value >= 0 or value == float("inf"):
        raise argparse.ArgumentTypeError(f"expected a finite number >= 0; got {text}")
    return value


def _fraction(text):
    value = _number(text)
    if not 0 < value <= 1:
        raise argparse.ArgumentTypeError(f"expected a number in (0, 1]; got {text}")
    return value


def _filters(text):
    try:
        widths = [int(part) for part in text.split(",")]
    except ValueError:
        widths = []
    if not widths or min(widths) < 1:
        raise argparse.ArgumentTypeError(
            f"expected positive whole numbers of filters, one per convolution, e.g. 32,64,128; got {text!r}")
    return widths


def _dropout(text):
    value = _number(text)
    if not 0 <= value < 1:
        raise argparse.ArgumentTypeError(f"expected a rate in [0, 1); got {text}")
    return value


def _build_parser():
    parser = argparse.ArgumentParser(
        prog="kerasgan",
        description="Train, sample and share GANs on the TensorFlow, JAX or "
        "PyTorch backend (set KERAS_BACKEND).",
    )
    commands = parser.add_subparsers(dest="command", required=True)

    train = commands.add_parser(
        "train",
        help="train a GAN and write weights, samples and loss history",
        description="Trains a GAN, writing OUT/model.keras, a sample grid per epoch "
        "(OUT/samples/), history.json, losses.png and run.json after every epoch. "
        "--epochs is the run's total: `--resume` continues OUT's run (its dataset, "
        "--limit, --batch-size and --seed; a data flag given again overrides it and "
        "says so) until its total, or a new --epochs, is done.",
    )
    train.add_argument("--model", default=None, choices=["dcgan", "gan", "progan", *sorted(_VARIANTS), *sorted(_DOMAIN_MODELS)],
                       help="the variant (default: dcgan); cgan and acgan are class-conditional (they "
                       "train on a labelled dataset: fashion_mnist, mnist, cifar10, digits); progan grows "
                       "from 4x4 to --resolution; cyclegan trains on two domains (default dataset: fashion_mnist_edges), cogan learns their joint "
                       "distribution (the same default), stargan translates between several (default: "
                       "fashion_mnist_domains)")
    train.add_argument("--dataset", default=None,
                       help="a kerasgan.data name: fashion_mnist (default), mnist, cifar10, digits, ring, grid, "
                       "a TensorFlow Datasets name, or folder:PATH (your own PNG/JPEG images); for two-domain "
                       "models: fashion_mnist_edges, fashion_mnist_negative, cycle_gan/NAME (TFDS) or "
                       "folders:PATH_A,PATH_B")
    train.add_argument("--data-dir", default=None, help="where local dataset files are")
    train.add_argument("--image-size", type=_positive_int, default=None,
                       help="resize (center-cropped) images of a folder:PATH or celeb_a dataset to this square "
                       "size (progan: default --resolution; celeb_a otherwise 64)")
    train.add_argument("--limit", type=_positive_int, default=None,
                       help="train on the first N samples only (of each domain for the multi-domain models; "
                       "StarGAN's report then trains its domain classifier on N of each too)")
    train.add_argument("--epochs", type=_positive_int, default=None,
                       help="total epochs of the run, earlier ones of a resumed run included (default: 1, "
                       "or the resumed run's total)")
    train.add_argument("--batch-size", type=_positive_int, default=None,
                       help="images per training iteration (default: 64); a model with k critic steps "
                       "(wgan, wgan_gp, stargan, --d-steps k) splits them into k minibatches, so give k x 64 "
                       "for critic steps on 64 each")
    train.add_argument("--steps-per-epoch", type=_positive_int, default=None,
                       help="bound an epoch to this many steps (default: the whole dataset)")
    train.add_argument("--latent-dim", type=_positive_int, default=None, help="latent vector size (default: 100)")
    train.add_argument("--filters", type=_positive_int, default=None,
                       help="DCGAN ngf = ndf, the other variants' network width (default: 64; cogan's "
                       "generator widths are 16F-8F-4F-2F, the official 1024-512-256-128 at 64)")
    train.add_argument("--generator-filters", type=_positive_int, default=None,
                       help="cyclegan, stargan: the generator's base width, --filters then the discriminator's "
                       "(default: --filters for both)")
    train.add_argument("--residual-blocks", type=_positive_int, default=None,
                       help="cyclegan, stargan: residual blocks per generator (default: 6; cyclegan 9 from 256x256 "
                       "up, as the paper)")
    train.add_argument("--generator-downsamplings", type=_positive_int, default=None,
                       help="cyclegan, stargan: the generator's stride-2 convolutions, and as many upsamplings "
                       "back (default: 2, the papers'; 1 keeps a 14x14 map of a 28x28 image)")
    train.add_argument("--lambda-identity", type=_non_negative_float, default=None,
                       help="stargan: weight of an identity-mapping term |G(x, c_org) - x| (CycleGAN's; not in "
                       "the StarGAN paper, default 0)")
    train.add_argument("--lambda-content", type=_non_negative_float, default=None,
                       help="stargan: weight of a content term CE(f(G(x, c)), argmax f(x)) with a frozen content "
                       "classifier f (CyCADA's semantic loss; not in the StarGAN paper, default 0). On the built-in "
                       "fashion_mnist_domains f is first trained on the training images' garment labels")
    train.add_argument("--content-classifier", default=None, metavar="PATH",
                       help="stargan, with --lambda-content: f as a saved .keras model (images -> class logits), "
                       "for datasets without content labels")
    train.add_argument("--content-epochs", type=_positive_int, default=None,
                       help="stargan, with --lambda-content on the built-in task: epochs of f's training (default 2)")
    train.add_argument("--content-filters", type=_filters, default=None, metavar="F1,F2,...",
                       help="stargan, with --lambda-content on the built-in task: f's convolution widths "
                       "(default 16,32,32)")
    train.add_argument("--content-dropout", type=_dropout, default=None,
                       help="stargan, with --lambda-content on the built-in task: f's dropout before its logits, "
                       "in [0, 1) (default 0)")
    train.add_argument("--gamma", type=_fraction, default=None,
                       help="began: the diversity ratio γ = L(G(z)) / L(x) that its k controller holds, in (0, 1] "
                       "(default: the paper's 0.5; higher asks D to reconstruct fakes as badly as reals)")
    train.add_argument("--lambda-k", type=_fraction, default=None,
                       help="began: the gain λ_k of its k controller, in (0, 1] (default: the paper's 0.001; "
                       "a short run needs a faster k, e.g. 0.01)")
    train.add_argument("--resolution", type=_positive_int, default=None,
                       help="progan: the final resolution, a power of two (default: the images' size rounded up "
                       "to one; smaller images are padded with black, larger ones resized)")
    train.add_argument("--filter-base", type=_positive_int, default=None,
                       help="progan: feature maps min(FILTER_BASE / 2^k, --filters) at resolution 2^(k+1) "
                       "(default: the paper's 8192; --filters is progan's max_filters)")
    train.add_argument("--schedule", type=_schedule, default=None,
                       help="progan: real images per stabilisation and per fade, STABILISE,FADE (default: "
                       "60000,60000 below 128x128, the paper's 800000,800000 from 128x128 up)")
    train.add_argument("--loss", default=None, help="adversarial loss (default: the model's own)")
    train.add_argument("--label-smoothing", type=float, default=None,
                       help="one-sided label smoothing of a log-likelihood loss, e.g. 0.1")
    train.add_argument(
        "--d-steps", type=_positive_int, default=None,
        help="discriminator steps per generator step (k; default: the model's own, 1 or 5)",
    )
    train.add_argument(
        "--reuse-fakes", action="store_true", default=None,
        help="the generator step reuses the discriminator step's fakes (one G forward per iteration)",
    )
    train.add_argument(
        "--generator-ema", type=float, default=None, metavar="DECAY",
        help="keep an exponential moving average of the generator's weights with this decay (e.g. "
        "0.999) and sample from it; latent-vector models (not progan, which keeps its own). With "
        "--resume on a run without one, the average starts from the checkpoint's generator",
    )
    train.add_argument("--lr", type=_positive_float, default=None,
                       help="learning rate of every player's optimizer (default: the variant's own: "
                       "2e-4 for most, wgan 5e-5, wgan_gp, began and stargan 1e-4, progan 1e-3); with --resume, a "
                       "new rate from the resumed epoch on (a step decay; not for cyclegan and stargan, whose "
                       "rate follows a schedule)")
    train.add_argument("--beta1", type=float, default=None,
                       help="Adam's beta_1 (default: the variant's own: 0.5 for most, wgan_gp and progan 0; "
                       "wgan trains with RMSprop, which has none)")
    train.add_argument("--beta2", type=float, default=None,
                       help="Adam's beta_2 (default: the variant's own: 0.999 for most, wgan_gp 0.9, progan 0.99)")
    train.add_argument("--seed", type=int, default=None,
                       help="seed of the initial weights, the data order and the sample grids (default: 0)")
    train.add_argument("--eval-images", type=int, default=None,
                       help="two-domain models on a built-in Fashion-MNIST task: test images the final "
                       "report translates (default: all 10,000; 0: no report)")
    train.add_argument("--out", default="runs/dcgan_fashion_mnist", help="output directory")
    train.add_argument("--resume", action="store_true",
                       help="continue the run in OUT from its last finished epoch")
    train.add_argument("--no-jit", action="store_true", default=None, help="disable XLA / jit compilation")
    train.add_argument("--verbose", type=int, default=1, choices=[0, 1, 2], help="Keras progress output")

    sample = commands.add_parser("sample", help="generate samples from a saved model or a zoo name")
    sample.add_argument("model", help="a .keras file or a zoo model name")
    sample.add_argument("--num", type=_positive_int, default=64)
    sample.add_argument("--seed", type=int, default=0)
    sample.add_argument("--label", type=int, default=None,
                        help="class-conditional models: the class of every sample (default: sample i of "
                        "class i %% num_classes, a column per class in the grid)")
    sample.add_argument("--out", default="samples.png", help="a .png grid or a .npy array")
    sample.add_argument("--rejection-sampling", action="store_true",
                        help="keep each sample with probability exp(D(x) - D_max), D's logit (discriminator "
                        "rejection sampling, Azadi et al. 2019): models trained with the non_saturating or "
                        "minimax loss, unconditional")
    sample.add_argument("--burn-in", type=_positive_int, default=None,
                        help="with --rejection-sampling: samples drawn first to estimate D's largest logit "
                        "(default 10000)")
    sample.add_argument("--burn-in-quantile", type=float, default=None,
                        help="with --rejection-sampling: bound D's logit at this quantile of the burn-in's "
                        "logits, in (0, 1], instead of their maximum (default 1: the maximum); samples "
                        "above it are kept outright")

    zoo = commands.add_parser("zoo", help="published models")
    zoo_commands = zoo.add_subparsers(dest="zoo_command", required=True)
    zoo_commands.add_parser("list", help="list the published models")
    info = zoo_commands.add_parser("info", help="show one model's card")
    info.add_argument("name")
    publish = zoo_commands.add_parser("publish", help="add a `kerasgan train` run to the zoo")
    publish.add_argument("run_dir", help="the --out directory of a finished `kerasgan train` run")
    publish.add_argument("--name", required=True)
    publish.add_argument("--summary", required=True, help="one line for `zoo list`")
    publish.add_argument("--headline", default=None,
                         help="its headline metric for `zoo list`, e.g. 'FMNIST-FID 10.46' (default: keep the entry's)")
    publish.add_argument("--zoo-dir", default=None, help="default: kerasgan's own zoo directory (kerasgan/zoo/ in a checkout)")
    publish.add_argument("--fold-ema", action="store_true",
                         help="a run trained with --generator-ema: publish the generator's moving average as the "
                         "generator, without the raw one (the same samples from half the generator weights)")
    publish.add_argument("--drop-ema", action="store_true",
                         help="a run trained with --generator-ema: publish the raw generator and drop its moving "
                         "average (when G itself evaluated better)")
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


# `kerasgan train` options and their defaults. run.json records them;
# `--resume` restores them: a data option given again overrides the run's, a
# model option cannot change (the model and its optimizers come from the
# checkpoint).
_DATA_OPTIONS = {
    "dataset": "fashion_mnist", "data_dir": None, "image_size": None, "limit": None, "batch_size": 64,
    "steps_per_epoch": None, "seed": 0,
}
_MODEL_OPTIONS = {
    "model": "dcgan", "latent_dim": 100, "filters": 64, "generator_filters": None, "residual_blocks": None,
    "generator_downsamplings": None,
    "loss": None, "label_smoothing": None,
    "d_steps": None, "reuse_fakes": False, "lr": None, "beta1": None, "beta2": None, "no_jit": False,
    "resolution": None, "schedule": None, "generator_ema": None, "lambda_identity": None, "filter_base": None,
    "gamma": None, "lambda_k": None, "lambda_content": None, "content_classifier": None, "content_epochs": None,
    "content_filters": None, "content_dropout": None,
}

# Model options that some models alone honour: the models, and the refusal's
# reason for the others.
_ONE_MODEL_OPTIONS = {
    "resolution": (("progan",), ""), "schedule": (("progan",), ""), "filter_base": (("progan",), ""),
    "gamma": (("began",), " (its boundary-equilibrium controller)"),
    "lambda_k": (("began",), " (its boundary-equilibrium controller)"),
    "lambda_identity": (("stargan",), " (cyclegan's identity loss is the paper's 0.5 of the cycle weight)"),
    "lambda_content": (("stargan",), ""), "content_classifier": (("stargan",), ""),
    "content_epochs": (("stargan",), ""), "content_filters": (("stargan",), ""),
    "content_dropout": (("stargan",), ""),
    **{name: (("cyclegan", "stargan"), " (the models with a residual generator)")
       for name in ("residual_blocks", "generator_filters", "generator_downsamplings")},
}


def _flag(name):
    return "--" + name.replace("_", "-")


def _resolve_options(args, recorded, model_path):
    """The run's options and the notes to print about flags that override them."""
    given = {name: getattr(args, name) for name in (*_DATA_OPTIONS, *_MODEL_OPTIONS)
             if getattr(args, name) is not None}
    options = {**_DATA_OPTIONS, **_MODEL_OPTIONS, **(recorded or {})}
    notes = []
    for name, value in given.items():
        if recorded is not None and name in _MODEL_OPTIONS and name not in recorded:
            raise ValueError(
                f"{_flag(name)} cannot be checked against the run on --resume (its run.json does not "
                f"record it): the model and its optimizers come from {model_path}. Leave the flag out."
            )
        if recorded is not None and value != options[name]:
            if name == "generator_ema" and options[name] is None:
                # A moving average forgets its start (β^n after n steps), so it
                # may begin at the resumed epoch, from the checkpoint's generator.
                notes.append(f"{_flag(name)} {value}: a moving average of the generator starts from the "
                             "checkpoint's weights")
            elif name == "lr":
                if options["model"] in ("cyclegan", "stargan"):
                    raise ValueError(
                        f"--lr {value} cannot change on --resume: --model {options['model']}'s optimizers "
                        "follow a learning-rate schedule (the paper's linear decay). Leave the flag out."
                    )
                # A step decay of a constant rate: the optimizers keep their state
                # (moments, iteration count) and take the new rate from here on.
                was = "the variant default" if options[name] is None else options[name]
                notes.append(f"--lr {value}: every player's learning rate becomes {value} from this epoch "
                             f"on (it was {was}); the optimizers' state is kept")
            elif name in _MODEL_OPTIONS:
                raise ValueError(
                    f"{_flag(name)} {value} cannot change on --resume: the model and its "
                    f"optimizers come from {model_path} (the run has "
                    f"{'the variant default' if options[name] is None else options[name]}). "
                    "Start a new run (another --out) to change it."
                )
            else:
                notes.append(f"{_flag(name)} {value} overrides the run's {options[name]}")
        options[name] = value
    return options, notes


def _load_training_data(options):
    """(samples, toy-mixture modes or None, int32 class labels or None: labels for
    the class-conditional models only)."""
    import numpy as np

    from kerasgan import data

    folder = options["dataset"].startswith("folder:")
    if not folder:
        options["dataset"] = options["dataset"].strip().lower().replace("-", "_")
    toy = options["dataset"] in ("ring", "grid")
    faces = options["dataset"] in ("celeb_a", "celeba")
    if options["image_size"] and not (folder or faces):
        raise ValueError("--image-size applies to folder:PATH and celeb_a datasets only.")
    if toy and options["data_dir"]:
        raise ValueError(f"--data-dir does not apply to '{options['dataset']}' (made, not read).")
    if toy:
        kwargs = {"n": options["limit"] or 20000, "seed": options["seed"], "return_modes": True}
    elif folder:
        kwargs = {"image_size": options["image_size"] or options["resolution"], "limit": options["limit"]}
    elif faces:  # center-cropped and resized as Radford et al. (2015) and Karras et al. (2018) did
        kwargs = {"image_size": options["image_size"] or options["resolution"] or 64, "limit": options["limit"]}
        if options["data_dir"]:
            kwargs["data_dir"] = options["data_dir"]
    else:
        kwargs = {"data_dir": options["data_dir"]} if options["data_dir"] else {}
    conditional = options["model"] in _CONDITIONAL
    if conditional:
        if options["dataset"] not in _LABELLED:
            raise ValueError(
                f"--model {options['model']} is class-conditional and trains on labelled images; "
                f"'{options['dataset']}' has no class labels kerasgan can read. Use one of: "
                f"{', '.join(_LABELLED)}."
            )
        kwargs["with_labels"] = True
    x, modes, labels = data.load(options["dataset"], **kwargs), None, None
    if toy:
        x, modes = x
    elif conditional:
        x, labels = x
        labels = np.asarray(labels).astype("int32")
    elif isinstance(x, tuple):
        x = x[0]
    if options["limit"]:
        x = x[: options["limit"]]
        labels = None if labels is None else labels[: options["limit"]]
    if len(x) == 0:
        raise ValueError(f"Dataset '{options['dataset']}' has no samples.")
    return x, modes, labels


def _load_domain_data(options):
    """The domains' training images (a list of arrays) of a multi-domain model,
    and their content labels when StarGAN's content classifier is to learn from
    them (a list like it, else None)."""
    from kerasgan import data

    name = options["dataset"]
    if options["image_size"] and not name.startswith(("folders:", "cycle_gan/")):
        raise ValueError("--image-size applies to folders:PATH_A,PATH_B and cycle_gan/NAME datasets only.")
    data_dir = {"data_dir": options["data_dir"]} if options["data_dir"] else {}
    content_labels = None
    if name.startswith("folders:"):
        paths = name[len("folders:"):].split(",")
        if len(paths) != 2 or not all(paths):
            raise ValueError(f"--dataset folders:PATH_A,PATH_B names two folders; got '{name}'.")
        domains = data.load_unpaired_folders(*paths, image_size=options["image_size"] or 256,
                                             limit=options["limit"])
    elif name.startswith("cycle_gan/"):
        domains = data.load_tfds_cycle_gan(name[len("cycle_gan/"):], image_size=options["image_size"] or 256,
                                           limit=options["limit"], **data_dir)
    else:
        name = options["dataset"] = name.strip().lower().replace("-", "_")
        if name not in data.DOMAIN_TASKS:
            raise ValueError(
                f"--model {options['model']} trains on two domains: --dataset "
                f"{', '.join(sorted(data.DOMAIN_TASKS))}, cycle_gan/NAME or folders:PATH_A,PATH_B; "
                f"got '{name}'."
            )
        # StarGAN's content classifier learns from these images with their garment labels.
        content = bool(options["model"] == "stargan" and options["lambda_content"]
                       and options["content_classifier"] is None)
        domains = data.load_domain_task(name, split="train", seed=options["seed"], with_labels=content, **data_dir)
        if content:
            domains, content_labels = domains
            content_labels = [c[: options["limit"]] for c in content_labels]
    domains = [d[: options["limit"]] if options["limit"] else d for d in domains]
    shapes = {tuple(d.shape[1:]) for d in domains}
    if len(shapes) != 1:
        raise ValueError(f"The domains of '{name}' have different image shapes {sorted(shapes)}; "
                         "give images of one size (--image-size).")
    if min(len(d) for d in domains) == 0:
        raise ValueError(f"Dataset '{name}' has a domain with no images.")
    return list(domains), content_labels


# Models that train on several domains, and their built-in dataset.
_DOMAIN_MODELS = {"cyclegan": "fashion_mnist_edges", "cogan": "fashion_mnist_edges",
                  "stargan": "fashion_mnist_domains"}


def _build_domain_model(options, image_shape, domains, content_labels=None):
    from kerasgan import models

    num_domains = len(domains)
    size = min(image_shape[:2])
    generator_filters = options["generator_filters"] or options["filters"]
    if options["model"] == "stargan":
        return models.StarGAN(
            image_shape=image_shape,
            num_domains=num_domains,
            generator_filters=generator_filters,
            discriminator_filters=options["filters"],
            residual_blocks=options["residual_blocks"] or 6,
            generator_downsamplings=options["generator_downsamplings"] or 2,
            discriminator_steps=options["d_steps"] or 5,
            lambda_identity=options["lambda_identity"] or 0.0,
            content_classifier=_content_classifier(options, domains, content_labels),
            lambda_content=options["lambda_content"] or 0.0,
            seed=options["seed"],
        )
    if num_domains != 2:
        raise ValueError(f"--model {options['model']} learns two domains; "
                         f"'{options['dataset']}' has {num_domains}.")
    if options["model"] == "cogan":
        # The official generator widths 1024-512-256-128 are 16F-8F-4F-2F at F = 64.
        widths = tuple(m * options["filters"] for m in (16, 8, 4, 2))
        return models.CoGAN(image_shape=image_shape, latent_dim=options["latent_dim"], generator_filters=widths,
                            seed=options["seed"])
    return models.CycleGAN(
        image_shape=image_shape,
        generator_filters=generator_filters,
        discriminator_filters=options["filters"],
        residual_blocks=options["residual_blocks"] or (9 if size >= 256 else 6),
        generator_downsamplings=options["generator_downsamplings"] or 2,
        discriminator_layers=3 if size >= 64 else 2,
        seed=options["seed"],
    )


def _content_classifier(options, domains, content_labels):
    """StarGAN's content classifier f for --lambda-content: --content-classifier's
    model, or one trained on the run's training images (`domains`) with their
    garment labels (`content_labels`, loaded for a built-in task)."""
    import keras
    import numpy as np

    training = ("content_epochs", "content_filters", "content_dropout")  # how f is trained here
    if not options["lambda_content"]:
        for name in ("content_classifier", *training):
            if options[name] is not None:
                raise ValueError(f"{_flag(name)} is for the content term: give --lambda-content too.")
        return None
    if options["content_classifier"] is not None:
        for name in training:
            if options[name] is not None:
                raise ValueError(f"{_flag(name)} is for training f on the built-in task; --content-classifier "
                                 "gives a trained one. Give one of them.")
        if not os.path.isfile(options["content_classifier"]):
            raise ValueError(f"--content-classifier {options['content_classifier']}: no such file (a .keras "
                             "model from images to class logits).")
        return keras.models.load_model(options["content_classifier"], compile=False)
    if content_labels is None:
        raise ValueError(f"--lambda-content on '{options['dataset']}' needs --content-classifier PATH: f is "
                         "trained only on the built-in tasks, whose images' garment labels are known.")
    from kerasgan.metrics.domain_translation import train_content_classifier

    x, y = np.concatenate(domains), np.concatenate(content_labels)
    epochs = options["content_epochs"] or 2
    # The network options given; train_content_classifier's defaults for the others.
    network = {name: options[f"content_{name}"] for name in ("filters", "dropout")
               if options[f"content_{name}"] is not None}
    if "filters" in network:
        network["filters"] = tuple(network["filters"])
    shown = "".join(f", {name} {value}" for name, value in network.items())
    print(f"kerasgan train: content classifier f: {epochs} epochs on {len(x)} training images with their "
          f"garment labels{shown}", flush=True)
    return train_content_classifier(x, y, num_classes=10, epochs=epochs, seed=options["seed"], **network)


def _critic_split(batch_size, k):
    """How k critic steps share one --batch-size batch (Algorithm 1's k
    minibatches), read from the engine's own split: k equal parts, the
    remainder unused; a batch smaller than k is cycled through, one image a
    step."""
    import numpy as np

    from kerasgan.engine import split_batch

    m = len(split_batch(np.arange(batch_size), k)[0])
    unused = max(batch_size - k * m, 0)
    return (f"{k} critic steps per iteration, each on {m} of the {batch_size} images of a batch, "
            f"then a generator step on {m}"
            + (f" ({unused} images of each batch unused: give a multiple of {k})" if unused else ""))


def _domain_evaluation(model, options, limit=None, domains=None):
    """The built-in Fashion-MNIST task's errors on the test split (the true map is known).
    `domains`: the run's training domains, which StarGAN's domain classifier learns from."""
    from kerasgan import data
    from kerasgan.extractors.fashion_mnist_classifier import FashionMNISTFeatureExtractor
    from kerasgan.metrics.translation import translation_errors

    task = data.DOMAIN_TASKS.get(options["dataset"])
    if task is None:
        return None
    data_dir = {"data_dir": options["data_dir"]} if options["data_dir"] else {}
    images, labels = data.load_fashion_mnist(split="test", with_labels=True, **data_dir)
    if options["model"] == "cogan":
        # Liu & Tuzel (2016), Table 1: generated pairs against the true map.
        return {"pairs": limit or 2000,
                "pixel_agreement": model.pixel_agreement(task[1], n=limit or 2000, seed=options["seed"])}
    if options["model"] == "stargan":
        from kerasgan.metrics.domain_translation import DOMAIN_CLASSIFIER_IMAGES
        from kerasgan.metrics.domain_translation import evaluate_domain_translation
        from kerasgan.metrics.domain_translation import train_domain_classifier

        # The domain classifier learns from real images of each domain's training part (the
        # run's own, loaded with its --seed and --data-dir); a run limited to N images per
        # domain gives it at most N of each too.
        per_domain = min(DOMAIN_CLASSIFIER_IMAGES, options["limit"] or DOMAIN_CLASSIFIER_IMAGES)
        classifier = train_domain_classifier(domains, task=options["dataset"], per_domain=per_domain,
                                             seed=options["seed"])
        report = evaluate_domain_translation(model.translate, images, labels, task=options["dataset"],
                                             domain_classifier=classifier, num_images=limit,
                                             seed=options["seed"])
        return {**report, "domain_classifier_images_per_domain": per_domain}
    if limit is not None:
        images, labels = images[:limit], labels[:limit]
    return translation_errors(model.translate, images, lambda x: data.apply_transform(task[1], x), labels,
                              FashionMNISTFeatureExtractor())


# Unconditional variants that `train --model` builds for any data shape.
_VARIANTS = {
    "wgan": "WGAN",
    "wgan_gp": "WGANGP",
    "lsgan": "LSGAN",
    "sngan": "SNGAN",
    "began": "BEGAN",
    "cgan": "ConditionalGAN",
    "acgan": "ACGAN",
}
#: Class-conditional variants: they train on (image, label) pairs.
_CONDITIONAL = ("cgan", "acgan")
#: Datasets whose loader gives class labels (with_labels=True), and their number of classes.
_LABELLED = {"fashion_mnist": 10, "mnist": 10, "cifar10": 10, "digits": 10}


def _build_model(options, data_shape, num_classes=None):
    from kerasgan import models

    extra = {} if options["d_steps"] is None else {"discriminator_steps": options["d_steps"]}
    if options["reuse_fakes"]:
        extra["reuse_fakes"] = True
    if options["generator_ema"] is not None:
        extra["generator_ema"] = options["generator_ema"]
    image = len(data_shape) == 3
    common = dict(latent_dim=options["latent_dim"], seed=options["seed"], **extra)
    if options["model"] in _VARIANTS:
        if options["model"] in _CONDITIONAL:
            common["num_classes"] = num_classes
        common.update({name: options[name] for name, (only, _) in _ONE_MODEL_OPTIONS.items()
                       if options["model"] in only and options[name] is not None})
        return getattr(models, _VARIANTS[options["model"]])(
            data_shape=data_shape,
            generator_width=options["filters"] if image else None,
            discriminator_width=options["filters"] if image else None,
            data_range=(-1.0, 1.0) if image else None,
            **common,
        )
    if options["model"] == "progan":
        return models.ProGAN(
            image_shape=data_shape,
            latent_dim=options["latent_dim"],
            max_filters=options["filters"],
            **({} if options["filter_base"] is None else {"filter_base": options["filter_base"]}),
            schedule=options["schedule"],
            seed=options["seed"],
        )
    if options["model"] == "dcgan":
        if not image:
            raise ValueError(
                f"--model dcgan trains on images (height, width, channels); '{options['dataset']}' "
                f"has samples of shape {data_shape}: use --model gan (or wgan_gp, lsgan, ...)."
            )
        return models.DCGAN(
            image_shape=data_shape,
            generator_filters=options["filters"],
            discriminator_filters=options["filters"],
            **common,
        )
    return models.GAN(
        data_shape=data_shape,
        output_activation="tanh" if image else None,
        data_range=(-1.0, 1.0) if image else None,
        **common,
    )


def _own_optimizers(model, options, optimizers=None):
    """Each player's optimizer: the variant's own (`model.default_optimizer`:
    Adam(2e-4, 0.5) for most, WGAN's RMSprop(5e-5), WGAN-GP's Adam(1e-4, 0, 0.9),
    ProGAN's Adam(1e-3, 0, 0.99), ...) or those given, with --lr and --beta1
    applied when set (and --beta2)."""
    if optimizers is None:
        optimizers = {player: model.default_optimizer(player) for player in model.players}
    for optimizer in optimizers.values():
        if options["lr"] is not None:
            optimizer.learning_rate = options["lr"]
        for flag in ("beta1", "beta2"):
            if options.get(flag) is None:
                continue
            attribute = flag.replace("beta", "beta_")
            if not hasattr(optimizer, attribute):
                raise ValueError(f"--{flag}: --model {options['model']} trains with {type(optimizer).__name__}, "
                                 f"which has no {attribute}; leave the flag out (or give --lr only).")
            setattr(optimizer, attribute, options[flag])
    return optimizers


def _set_learning_rate(model, rate, model_path):
    """--lr on --resume: every player's optimizer takes `rate` from now on. A
    schedule (cyclegan's and stargan's linear decay) is part of the run and
    cannot be replaced."""
    import keras

    optimizers = getattr(model.optimizer, "optimizers", None) or {"model": model.optimizer}
    for player, optimizer in optimizers.items():
        if isinstance(optimizer._learning_rate, keras.optimizers.schedules.LearningRateSchedule):
            raise ValueError(
                f"--lr {rate} cannot change on --resume: the {player} optimizer in {model_path} follows a "
                f"learning-rate schedule ({type(optimizer._learning_rate).__name__}). Leave the flag out."
            )
    for optimizer in optimizers.values():
        optimizer.learning_rate = rate


def _progan_images(x, options):
    """Images for --model progan: square, at --resolution (a power of two; default:
    the size rounded up to one), padded with black when smaller, resized when larger."""
    from kerasgan import data
    from kerasgan.nets.progan import check_resolution

    if x.ndim != 4 or x.shape[1] != x.shape[2]:
        raise ValueError(f"--model progan trains on square images; '{options['dataset']}' has samples of "
                         f"shape {x.shape[1:]}.")
    size, resolution = x.shape[1], 4
    while resolution < size:
        resolution *= 2
    resolution = options["resolution"] or resolution
    check_resolution(resolution, "--resolution")
    options["resolution"] = resolution
    if size < resolution:
        return data.pad_images(x, resolution)
    if size > resolution:
        return data.resize_images(x, resolution)
    return x


def train(args):
    import keras
    import numpy as np

    from kerasgan import callbacks
    from kerasgan import losses
    from kerasgan.utils import save_image_grid
    from kerasgan.utils import write_json_atomic

    model_path = os.path.join(args.out, "model.keras")
    run_path = os.path.join(args.out, "run.json")
    recorded, done, run = None, 0, {}
    if args.resume:
        if not os.path.exists(model_path):
            raise FileNotFoundError(
                f"--resume: no checkpoint at {model_path} (a run writes it after its first "
                "finished epoch); train without --resume to start one."
            )
        run = _read_json(run_path)
        recorded = run.get("options")
        if recorded is None:  # written before run.json recorded the options
            recorded = {"dataset": run.get("dataset", _DATA_OPTIONS["dataset"])}
            print(f"kerasgan train: {run_path} does not record the run's --limit, --batch-size and --seed; "
                  "using the flags given now, or the defaults", file=sys.stderr)
        done = int(run.get("epochs_completed", 0))
    epochs = args.epochs or int(run.get("epochs") or 1)
    options, notes = _resolve_options(args, recorded, model_path)
    domain_model = options["model"] in _DOMAIN_MODELS
    if options["generator_ema"] is not None and (domain_model or options["model"] == "progan"):
        why = ("it keeps its own moving average of the generator (decay 0.999, Karras et al. 2018, A.1) "
               "and samples from it") if options["model"] == "progan" else "it is for latent-vector models"
        raise ValueError(f"--model {options['model']} takes no --generator-ema: {why}.")
    for name, (only, why) in _ONE_MODEL_OPTIONS.items():
        if options[name] is not None and options["model"] not in only:
            raise ValueError(f"{_flag(name)} applies to --model {' and '.join(only)} only{why}; "
                             f"not to --model {options['model']}.")
    if args.filters is not None and options["model"] == "gan":
        raise ValueError("--model gan has the paper's fully connected networks, whose widths are fixed; "
                         "--filters applies to the convolutional variants (dcgan, lsgan, ...).")
    if domain_model and args.dataset is None and recorded is None:
        options["dataset"] = _DOMAIN_MODELS[options["model"]]
    for note in notes:
        print(f"kerasgan train: {note}", file=sys.stderr)
    if options["loss"] is not None:
        losses.get(options["loss"])  # an unknown name fails before the data loads
    keras.utils.set_random_seed(options["seed"])
    if domain_model:
        (domains, content_labels), modes, labels = _load_domain_data(options), None, None
        x = domains[0]
        sizes = " and ".join(str(len(d)) for d in domains)
        print(f"kerasgan train: {sizes} unpaired images of shape {x.shape[1:]} from '{options['dataset']}', "
              f"backend {keras.backend.backend()}", flush=True)
        # CycleGAN: the larger domain's batches per epoch; StarGAN: all images.
        total = sum(map(len, domains)) if options["model"] == "stargan" else max(len(d) for d in domains)
        batches = total // options["batch_size"]
        if options["steps_per_epoch"]:
            batches = min(batches, options["steps_per_epoch"])
        if batches < 1:
            raise ValueError(f"--batch-size {options['batch_size']} is larger than the data ({total} images).")
    else:
        x, modes, labels = _load_training_data(options)
        if options["model"] == "progan":
            x = _progan_images(x, options)
        print(f"kerasgan train: {len(x)} samples of shape {x.shape[1:]} from '{options['dataset']}', "
              f"backend {keras.backend.backend()}", flush=True)
    if args.resume:
        model = _load_model_file(model_path)
        if options["generator_ema"] is not None:
            if getattr(model, "ema_generator", None) is None:
                model.start_generator_ema(options["generator_ema"])
            elif model.generator_ema != options["generator_ema"]:  # run.json lags the checkpoint
                raise ValueError(f"--generator-ema {options['generator_ema']}: {model_path} already keeps a "
                                 f"moving average with decay {model.generator_ema}; resume with that decay.")
        if args.lr is not None and args.lr != (recorded or {}).get("lr"):
            _set_learning_rate(model, args.lr, model_path)
    elif domain_model:
        model = _build_domain_model(options, tuple(x.shape[1:]), domains, content_labels)
        stargan_steps = options["model"] == "stargan" and options["d_steps"]
        if options["loss"] is not None or options["label_smoothing"] is not None or (
                options["d_steps"] and not stargan_steps):
            raise ValueError(f"--model {options['model']} takes no --loss, --label-smoothing or --d-steps "
                             "(its losses are the paper's; stargan takes --d-steps, its critic steps).")
        # The learning rate decays linearly to zero over the second half of the run.
        if options["model"] == "cogan":  # a constant rate (the official code)
            optimizers = _own_optimizers(model, options)
        else:
            per_epoch_decay = {"steps_per_period": batches} if options["model"] == "cyclegan" else {}
            rate = {} if options["lr"] is None else {"learning_rate": options["lr"]}
            optimizers = model.reference_optimizers(epochs * batches, **rate, **per_epoch_decay)
            optimizers = _own_optimizers(model, {**options, "lr": None}, optimizers)
        model.compile(optimizers=optimizers, jit_compile=False if options["no_jit"] else "auto")
    elif options["model"] == "progan":
        for name in ("loss", "label_smoothing", "d_steps"):
            if options[name] is not None:
                raise ValueError(f"--model progan takes no {_flag(name)}: it trains with WGAN-GP and drift, "
                                 "one critic step per generator step (Karras et al. 2018, A.1).")
        if options["reuse_fakes"]:
            raise ValueError("--model progan takes no --reuse-fakes: each step draws fresh latent vectors.")
        model = _build_model(options, tuple(x.shape[1:]))
        model.compile(optimizers=_own_optimizers(model, options),
                      jit_compile=False if options["no_jit"] else "auto")
    else:
        num_classes = None if labels is None else _LABELLED[options["dataset"]]
        model = _build_model(options, tuple(x.shape[1:]), num_classes)
        model.compile(
            optimizers=_own_optimizers(model, options),
            loss=options["loss"],
            label_smoothing=options["label_smoothing"],
            jit_compile=False if options["no_jit"] else "auto",
        )
    k = getattr(model, "discriminator_steps", 1)
    if k > 1:
        print(f"kerasgan train: {_critic_split(options['batch_size'], k)}", flush=True)
    if done >= epochs:
        print(f"kerasgan train: {args.out} has {done} finished epochs; --epochs {epochs} is the "
              "run's total, so there is nothing to train (give a larger --epochs).")
        return 0
    os.makedirs(args.out, exist_ok=True)
    image = x.ndim == 4
    record = dict(run)
    record.update({
        "command": run.get("command") or "kerasgan " + shlex.join(args.argv),
        "commands": [*run.get("commands", []), "kerasgan " + shlex.join(args.argv)],
        "options": options,
        "epochs": epochs,
        "backend": keras.backend.backend(),
        "keras": keras.__version__,
        "machine": f"{platform.machine()}, {os.cpu_count()} CPUs",
        "dataset": options["dataset"],
        "samples": int(sum(len(d) for d in domains) if domain_model else len(x)),
        "epochs_completed": done,
        "config": model.get_config(),
    })
    samples_dir = os.path.join(args.out, "samples")
    if domain_model:
        if options["model"] == "stargan":
            preview = np.concatenate([d[:2] for d in domains])[:8]  # images of every domain
        elif options["model"] == "cogan":
            preview = options["seed"]  # pairs from fixed latent vectors
        else:
            preview = tuple(d[:8] for d in domains)
        plot = callbacks.PreviewGrid(samples_dir, preview)
    elif options["model"] == "progan":
        plot = callbacks.GrowthGrid(samples_dir, num_samples=64, seed=options["seed"])
    elif image:  # a class-conditional model's: a column per class
        plot = callbacks.SampleGrid.for_model(samples_dir, model, seed=options["seed"])
    else:
        std = {"ring": 0.02, "grid": 0.05}.get(options["dataset"])
        plot = callbacks.SampleScatter(samples_dir, x, modes=modes, std=std if modes is not None else None,
                                       seed=options["seed"])
    guard = callbacks.NaNGuard()
    history = callbacks.LossHistory(
        os.path.join(args.out, "history.json"), os.path.join(args.out, "losses.png"), initial_epoch=done
    )
    if domain_model:
        per_epoch = batches * options["batch_size"]
    else:
        per_epoch = len(x) if not options["steps_per_epoch"] else min(
            len(x), options["steps_per_epoch"] * options["batch_size"])
    checkpoint = callbacks.AtomicModelCheckpoint(model_path)
    recorder = _run_record(run_path, record, per_epoch, checkpoint)
    # The scatter adds mode coverage to the logs before the history records them;
    # run.json is written after the checkpoint, and only for an epoch it saved.
    fit_callbacks = [guard, plot, history, checkpoint, recorder, _run_progress_bar(epochs)]
    for epoch in range(done, epochs):
        # One fit per epoch, on an order fixed by (seed, epoch): a resumed run
        # sees the data in the same order as an unbroken one.
        n = batches * options["batch_size"] if domain_model else None
        if options["model"] == "stargan":
            # Every domain's images with their domain index, in an order fixed by (seed, epoch).
            images = np.concatenate(domains)
            index = np.concatenate([np.full(len(d), i, dtype="int32") for i, d in enumerate(domains)])
            order = np.random.default_rng([options["seed"], epoch]).permutation(len(images))[:n]
            inputs = (images[order], index[order])
        elif domain_model:
            from kerasgan.data import unpaired_indices

            # Unpaired: the two domains' orders drawn independently, fixed by (seed, epoch).
            ia, ib = unpaired_indices(len(domains[0]), len(domains[1]), options["batch_size"],
                                      seed=options["seed"], epoch=epoch)
            inputs = (domains[0][ia[:n]], domains[1][ib[:n]])
            if options["model"] == "cogan":  # CoGAN takes the pair as x (y would be labels)
                inputs = (inputs,)
        else:
            order = np.random.default_rng([options["seed"], epoch]).permutation(len(x))
            if options["steps_per_epoch"]:
                order = order[: options["steps_per_epoch"] * options["batch_size"]]
            inputs = (x[order],) if labels is None else (x[order], labels[order])
        model.fit(*inputs, batch_size=options["batch_size"], epochs=epoch + 1, initial_epoch=epoch,
                  shuffle=False, verbose=args.verbose, callbacks=fit_callbacks)
        if guard.stopped_at is not None:
            break
    completed = record["epochs_completed"]
    if guard.stopped_at is not None:
        record["stopped_on_nonfinite_loss"] = True
        write_json_atomic(record, run_path)
    written = [run_path]
    if completed > 0:
        final = os.path.join(args.out, "samples.png")
        if domain_model:
            images, rows = model.preview(preview)
            save_image_grid(images, final, rows=rows, scale=2)
            evaluate_now = completed > done and args.eval_images != 0
            evaluation = _domain_evaluation(model, options, args.eval_images, domains) if evaluate_now else None
            if evaluation is not None:
                record["evaluation"] = evaluation
                write_json_atomic(record, run_path)
                print("kerasgan train: test-split " + ", ".join(
                    f"{k} {v:.4g}" for k, v in evaluation.items() if isinstance(v, (int, float))))
        elif options["model"] == "progan":
            save_image_grid(callbacks.GrowthGrid.grid_images(model, 64, options["seed"]), final, scale=2)
        elif image:  # the epochs' grid, of the final weights
            plot.write(final)
        else:
            from kerasgan.callbacks.sample_scatter import scatter_plot

            scatter_plot(model.generate(2500, seed=options["seed"]), x[:2000], final, modes=modes)
        written = [model_path, final, history.json_path, history.png_path, run_path]
    print(f"wrote {', '.join(written)} ({record.get('train_seconds', 0):.0f} s of training, "
          f"{completed} epoch{'' if completed == 1 else 's'} done)")
    if guard.stopped_at is not None:
        if completed > done:
            what = f"the state after epoch {completed} was kept"
        elif completed:
            what = f"nothing new was saved; {model_path} still holds epoch {completed}"
        else:
            what = "no epoch finished with finite losses, so no model or samples were written"
        print(f"training stopped on a non-finite loss; {what}", file=sys.stderr)
        return 3
    return 0


def _run_progress_bar(total):
    """Keras's progress bar, with the run's total in "Epoch e/total" (each fit trains one epoch)."""
    import keras

    class RunProgressBar(keras.callbacks.ProgbarLogger):
        def set_params(self, params):
            super().set_params(params)
            self.epochs = total

    return RunProgressBar()


def _run_record(path, record, samples, checkpoint):
    """A callback that writes run.json (atomically) after every epoch that `checkpoint` saved."""
    import keras
    import numpy as np

    from kerasgan.utils import write_json_atomic

    class RunRecord(keras.callbacks.Callback):
        def __init__(self):
            super().__init__()
            self.seconds = float(record.get("train_seconds") or 0.0)
            self.session_seconds, self.session_epochs = 0.0, 0

        def on_epoch_begin(self, epoch, logs=None):
            self.started = time.time()

        def on_epoch_end(self, epoch, logs=None):
            elapsed = time.time() - self.started
            self.seconds += elapsed
            if checkpoint.last_saved_epoch != epoch:
                return  # a non-finite epoch: not checkpointed, not counted
            self.session_seconds += elapsed
            self.session_epochs += 1
            record.update({
                "epochs_completed": epoch + 1,
                "train_seconds": round(self.seconds, 1),
                "images_per_second": round(samples * self.session_epochs / max(self.session_seconds, 1e-9), 1),
                "stopped_on_nonfinite_loss": False,
                "final_epoch_logs": {k: float(np.asarray(v)) for k, v in (logs or {}).items()},
            })
            write_json_atomic(record, path)

    return RunRecord()


def _read_json(path):
    if not os.path.exists(path):
        return {}
    try:
        with open(path) as f:
            return json.load(f)
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise ValueError(f"{path} is not valid JSON ({error}); restore or delete it.") from error


def _load_model_file(path):
    """`keras.saving.load_model(path)`, with a clear error for a file it cannot read."""
    import zipfile

    import keras

    if path.endswith(".keras") and not zipfile.is_zipfile(path):
        error = "not a zip archive"
    else:
        try:
            return keras.saving.load_model(path)
        except zipfile.BadZipFile as bad:
            error = bad
        except (OSError, KeyError, EOFError) as bad:
            if zipfile.is_zipfile(path):
                raise ValueError(f"{path}: Keras could not load it: {bad}") from bad
            error = bad
    raise ValueError(
        f"{path} ({os.path.getsize(path):,} bytes) exists but is not a readable .keras model: it "
        f"is truncated or corrupt ({str(error)[:200]}). Use another checkpoint, or train again."
    )


def _load_any(name, compile=False):
    """A saved model file (compiled as saved), or a zoo model (compiled with
    its variant's defaults when `compile`)."""
    from kerasgan import zoo

    if os.path.isfile(name):
        return _load_model_file(name)
    if name.endswith((".keras", ".h5")):
        raise FileNotFoundError(f"No such model file: {name}")
    return zoo.load(name, compile=compile)


def sample(args):
    import numpy as np

    from kerasgan.utils import save_image_grid

    model = _load_any(args.model, compile=args.rejection_sampling)
    if not hasattr(model, "generate"):
        raise ValueError(
            f"{type(model).__name__} translates images rather than sampling them: call "
            "model.translate(images, ...) in Python; `kerasgan train` writes its translation grids."
        )
    if args.label is not None and not getattr(model, "generates_by_class", False):
        raise ValueError(f"--label: {type(model).__name__} is not class-conditional; leave it out.")
    for flag in ("burn_in", "burn_in_quantile"):
        if getattr(args, flag) is not None and not args.rejection_sampling:
            raise ValueError(f"{_flag(flag)} applies to --rejection-sampling only; add that or leave "
                             f"{_flag(flag)} out.")
    if args.rejection_sampling:
        from kerasgan.sampling import DiscriminatorRejectionSampler

        quantile = 1.0 if args.burn_in_quantile is None else args.burn_in_quantile
        if not 0.0 < quantile <= 1.0:
            raise ValueError(f"--burn-in-quantile must be in (0, 1] (1: the burn-in's largest logit); "
                             f"got {quantile}.")
        sampler = DiscriminatorRejectionSampler(model, burn_in=args.burn_in or 10_000, burn_in_quantile=quantile)
        images = sampler.sample(args.num, seed=args.seed)
        rows = None
        source = " (G itself, not its moving average)" if getattr(model, "ema_generator", None) is not None else ""
        print(f"rejection sampling kept {100 * sampler.acceptance_rate:.1f}% of "
              f"{sampler.candidates:,} candidates{source}")
    elif isinstance(getattr(model, "players", None), dict) and "generators" in model.players:
        # CoGAN: pairs of images from the same latent vectors, one row per domain.
        images = np.stack(model.generate(args.num, seed=args.seed))
        rows = 2
    elif getattr(model, "generates_by_class", False):
        classes = model.num_classes
        labels = np.arange(args.num) % classes if args.label is None else args.label
        images = model.generate(args.num, seed=args.seed, labels=labels, verbose=int(args.num > 1024))
        rows = -(-args.num // classes) if args.label is None else None
    else:
        images = model.generate(args.num, seed=args.seed, verbose=int(args.num > 1024))
        rows = None
    if args.out.endswith(".npy"):
        np.save(args.out, images)
    else:
        save_image_grid(images.reshape(-1, *images.shape[-3:]), args.out, rows=rows, scale=2)
    print(f"wrote {args.num} samples to {args.out}")
    return 0


def zoo_command(args):
    from kerasgan import zoo

    if args.zoo_command == "list":
        rows = [("name", "what it is", "headline metric")]
        for name, entry in sorted(zoo.registry().items()):
            metric = entry.get("headline", "")
            if entry.get("weights") is None:
                metric = f"not published yet: {entry.get('train_command', 'see its card')}"
            rows.append((name, entry.get("summary", ""), metric))
        widths = [max(len(row[i]) for row in rows) for i in range(2)]
        for row in rows:
            print(f"{row[0]:<{widths[0]}}  {row[1]:<{widths[1]}}  {row[2]}".rstrip())
        return 0
    if args.zoo_command == "publish":
        entry = zoo.publish(args.run_dir, args.name, args.summary, zoo_dir=args.zoo_dir,
                            headline=args.headline, fold_ema=args.fold_ema, drop_ema=args.drop_ema)
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
    from kerasgan.zoo import WeightsNotPublishedError

    try:
        return handlers[args.command](args)
    except (ValueError, FileNotFoundError, KeyError, WeightsIntegrityError, WeightsDownloadError,
            WeightsNotPublishedError) as error:
        message = error.args[0] if isinstance(error, KeyError) and error.args else error
        print(f"kerasgan {args.command}: error: {message}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
