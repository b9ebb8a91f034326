"""Published models, loadable by name with hash-verified weights.

The registry, the model cards and the weights ship inside the package
(`kerasgan/zoo/`: `registry.json` and one folder per model), so an installed
kerasgan loads them offline. Each registry entry names a model class and its
config, a weights file (relative to the zoo directory, or a URL) and the
file's SHA-256; an entry may also give a `url` to fetch the weights from
when the file is not there. Downloads go through `keras.utils.get_file`
into `$KERAS_HOME/kerasgan` (default `~/.keras/kerasgan`), checked against
the SHA-256 and reused from there offline. Loading always checks the hash: a
mismatch is an error, never silently wrong weights.

An entry may be registered before its weights exist (`"weights": null`,
e.g. `dcgan_celeba`, whose data cannot be fetched where kerasgan is built):
it fixes the architecture, `published(name)` is False, and loading it raises
`WeightsNotPublishedError` naming the command that trains and publishes it.

Another zoo directory (a registry.json with its files) can be given as
`directory=` or by the environment variable `KERASGAN_ZOO_DIR`.

Example:

```python
model = kerasgan.zoo.load("dcgan_fashion_mnist")
images = model.generate(16, seed=0)
```
"""

import difflib
import hashlib
import json
import os
import shutil

ZOO_DIR_ENV = "KERASGAN_ZOO_DIR"
_PACKAGE_DIR = os.path.dirname(os.path.abspath(__file__))


class WeightsIntegrityError(RuntimeError):
    """The weights file does not have the published SHA-256."""


def zoo_dir():
    """The zoo directory: $KERASGAN_ZOO_DIR, else kerasgan's own (this package's folder)."""
    if os.environ.get(ZOO_DIR_ENV):
        return os.environ[ZOO_DIR_ENV]
    return _PACKAGE_DIR


def _registry_path(directory=None):
    return os.path.join(directory or zoo_dir(), "registry.json")


def registry(directory=None):
    """All published entries, as a dict {name: entry}."""
    path = _registry_path(directory)
    if not os.path.exists(path):
        raise FileNotFoundError(
            f"No zoo registry at {path}. Set {ZOO_DIR_ENV} (or pass directory=) "
            "to a directory holding registry.json, or unset it to use kerasgan's own zoo."
        )
    with open(path) as f:
        return json.load(f)


def names(directory=None):
    return sorted(registry(directory))


def entry(name, directory=None):
    entries = registry(directory)
    if name not in entries:
        close = difflib.get_close_matches(name, list(entries), n=1, cutoff=0.5)
        hint = f" Closest match: '{close[0]}'." if close else ""
        raise ValueError(
            f"Unknown zoo model '{name}'. Available: {', '.join(sorted(entries))}.{hint}"
        )
    return entries[name]


def sha256(path, chunk_size=1 << 20):
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(chunk_size), b""):
            digest.update(chunk)
    return digest.hexdigest()


class WeightsDownloadError(RuntimeError):
    """The weights could not be downloaded (and no cached copy exists)."""


class WeightsNotPublishedError(RuntimeError):
    """The entry is registered, but its weights have not been trained yet."""


def published(name, directory=None):
    """Whether `name`'s weights are published (an entry may be registered
    before its weights exist: its `pending` says why and `train_command`
    how to make them)."""
    return entry(name, directory).get("weights") is not None


def _is_url(location):
    return location.startswith(("http://", "https://"))


def weights_path(name, directory=None, force_download=False):
    """Local path of `name`'s weights, downloaded if needed, hash-checked.

    The entry's `weights` file in the zoo directory is used when it exists;
    else (or when `weights` is a URL) the file is fetched from the URL with
    `keras.utils.get_file` into `$KERAS_HOME/kerasgan`, where a copy with
    the right hash is reused without any network access. `force_download`
    fetches it again even so.
    """
    info = entry(name, directory)
    location = info.get("weights")
    if location is None:
        raise WeightsNotPublishedError(
            f"Zoo model '{name}' has no published weights yet: {info.get('pending', 'not trained yet')}. "
            f"To train and publish them (on a machine with the data; see `kerasgan zoo info {name}`), "
            f"run from a checkout of the repository: {info.get('train_command', 'see its card')}"
        )
    if not _is_url(location):
        path = os.path.join(directory or zoo_dir(), location)
        url = info.get("url")
        if os.path.exists(path) and not (force_download and url):
            _check_hash(name, path, info["sha256"], own_zoo=directory is None and not os.environ.get(ZOO_DIR_ENV))
            return path
        if not url:
            raise FileNotFoundError(
                f"The weights of zoo model '{name}' are missing: expected {path}, and "
                "its registry entry gives no URL to fetch them from. Reinstall kerasgan "
                f"or point {ZOO_DIR_ENV} at a zoo directory that has them."
            )
        location = url
    return _download(name, location, info["sha256"], force_download)


def _download(name, url, expected_sha256, force_download):
    """The verified cached copy of `url`, downloaded when missing, wrong or forced.

    `keras.utils.get_file` writes to a temporary name beside the cached file,
    which is replaced only by a download with the right SHA-256: a failed or
    wrong download never costs the copy that was there.
    """
    import keras

    cache_dir = os.environ.get("KERAS_HOME") or os.path.join(os.path.expanduser("~"), ".keras")
    filename = f"{name}-{expected_sha256[:12]}.weights.h5"
    cached = os.path.join(cache_dir, "kerasgan", filename)
    if not force_download and os.path.exists(cached) and sha256(cached) == expected_sha256:
        return cached
    partial = f"{filename}.download-{os.getpid()}"
    # get_file falls back to /tmp/.keras for a cache folder it cannot write to (or that
    # does not exist yet): create it, so that the download lands beside `cached`.
    os.makedirs(os.path.dirname(cached), exist_ok=True)
    try:
        path = keras.utils.get_file(
            fname=partial,
            origin=url,
            file_hash=expected_sha256,
            hash_algorithm="sha256",
            cache_dir=cache_dir,
            cache_subdir="kerasgan",
            force_download=True,
        )
    except ValueError as error:  # get_file: the downloaded file has another hash
        _remove(os.path.join(cache_dir, "kerasgan", partial))
        raise WeightsIntegrityError(
            f"The weights of zoo model '{name}' downloaded from {url} do not have the "
            f"published SHA-256 {expected_sha256}: the server holds another file. "
            "The download was discarded; check the URL in the registry entry."
        ) from error
    except Exception as error:  # get_file wraps network errors in a plain Exception
        _remove(os.path.join(cache_dir, "kerasgan", partial))
        have = "A verified copy stays" if os.path.exists(cached) else "No verified copy is cached"
        raise WeightsDownloadError(
            f"Could not download the weights of zoo model '{name}' from {url}: {error}. "
            f"{have} at {cached}. Check the connection, put the file there (SHA-256 "
            f"{expected_sha256}), or point {ZOO_DIR_ENV} at a zoo directory that has it."
        ) from error
    os.replace(path, cached)
    return cached


def _remove(path):
    if os.path.exists(path):
        os.remove(path)


def _check_hash(name, path, expected, own_zoo):
    actual = sha256(path)
    if actual != expected:
        advice = (
            "reinstall kerasgan, or restore the file from the repository"
            if own_zoo
            else "restore the file in that zoo directory, or update its registry.json"
        )
        raise WeightsIntegrityError(
            f"The weights file of zoo model '{name}' ({path}) has SHA-256 {actual}, "
            f"but the published weights have {expected}. The file is corrupt or not the "
            f"published one: {advice}."
        )


def load(name, compile=False, directory=None, force_download=False):
    """Returns the published model `name`, weights loaded and verified.

    Args:
        name: a name from `kerasgan.zoo.names()`.
        compile: also compile with the model's default optimizers (to
            fine-tune with `fit`).
        directory: another zoo directory (default: $KERASGAN_ZOO_DIR, else
            kerasgan's own).
        force_download: fetch URL weights again even when a verified copy
            is cached.
    """
    from kerasgan import models

    info = entry(name, directory)
    if "class" not in info:
        raise ValueError(
            f"Zoo entry '{name}' is a {info.get('kind', 'component')}, not a GAN model: "
            "kerasgan.zoo.load returns GANs (see its card: kerasgan zoo info "
            f"{name})."
        )
    path = weights_path(name, directory, force_download=force_download)
    model_class = getattr(models, info["class"])
    model = model_class.from_config(info["config"])
    model.load_weights(path)
    if compile:
        model.compile()
    return model


def model_card(name, directory=None):
    info = entry(name, directory)
    path = os.path.join(directory or zoo_dir(), info["card"])
    with open(path) as f:
        return f.read()


def _redraw_sample_grid(model, seed, path):
    """The grid `kerasgan train` writes at the end of a run, from `model`."""
    from kerasgan.callbacks.sample_grid import SampleGrid

    SampleGrid.for_model(os.path.dirname(path), model, seed=seed).write(path, model)


def publish(run_dir, name, summary, zoo_dir=None, headline=None, fold_ema=False, drop_ema=False):
    """Adds a finished `kerasgan train` run to the zoo.

    Writes `zoo/NAME/model.weights.h5`, the run's sample grid and loss plot,
    a model card from the run's record (command, backend, time, final logs),
    and the registry entry with the weights' SHA-256. `headline` is the
    metric `kerasgan zoo list` shows (e.g. "FMNIST-FID 10.46"); without it an
    earlier entry's headline is kept, and a registered but unpublished
    entry's (`pending`) is replaced by the published one.

    `fold_ema=True`, for a model trained with `generator_ema`: publishes the
    generator's moving average as its generator and drops the raw one (the
    entry's config has no `generator_ema`). `generate` gives the same
    samples as the trained model's, from one generator's weights instead of
    two; the published model no longer keeps an average if trained further.
    `drop_ema=True` publishes the raw generator and drops its average (for a
    run whose generator evaluated better than the average): `generate` gives
    the trained model's `generate(..., ema=False)` samples.
    """
    import keras

    from kerasgan.utils.files import atomic_path
    from kerasgan.utils.files import write_json_atomic

    if fold_ema and drop_ema:
        raise ValueError("fold_ema publishes the generator's moving average and drop_ema its raw weights: "
                         "choose one.")
    directory = zoo_dir or globals()["zoo_dir"]()
    checkout = os.path.exists(os.path.join(os.path.dirname(os.path.dirname(_PACKAGE_DIR)), "pyproject.toml"))
    if zoo_dir is None and not os.environ.get(ZOO_DIR_ENV) and not checkout:
        raise ValueError(
            f"kerasgan's own zoo is part of the installed package ({directory}): publish into "
            f"a zoo directory of your own with zoo_dir= (kerasgan zoo publish --zoo-dir DIR) or "
            f"{ZOO_DIR_ENV}, or from a checkout of the repository."
        )
    with open(os.path.join(run_dir, "run.json")) as f:
        run = json.load(f)
    model = keras.saving.load_model(os.path.join(run_dir, "model.keras"))
    config = model.get_config()
    sources = list(model.variables)
    if fold_ema or drop_ema:
        option = "fold_ema" if fold_ema else "drop_ema"
        if getattr(model, "ema_generator", None) is None:
            raise ValueError(
                f"{option} chooses between a generator and its moving average, but the model in {run_dir} "
                f"keeps no average (it was trained without --generator-ema / generator_ema=); publish it "
                f"without {option}."
            )
        config = {**config, "generator_ema": None}
        averaged = {id(v) for v in model.ema_generator.variables}
        sources = [v for v in sources if id(v) not in averaged]
    # The networks' weights only: an uncompiled copy carries no optimizer state.
    bare = type(model).from_config(config)
    if len(bare.variables) != len(sources):
        raise ValueError(f"cannot publish {run_dir}: its model has {len(sources)} variables to copy, "
                         f"a fresh {type(model).__name__} {len(bare.variables)}.")
    for copy, variable in zip(bare.variables, sources):
        copy.assign(variable)
    if fold_ema:
        bare.generator.set_weights(model.ema_generator.get_weights())
    target = os.path.join(directory, name)
    os.makedirs(target, exist_ok=True)
    weights = os.path.join(target, "model.weights.h5")
    with atomic_path(weights) as tmp:
        bare.save_weights(tmp)
    for artifact in ("samples.png", "losses.png"):
        shutil.copyfile(os.path.join(run_dir, artifact), os.path.join(target, artifact))
    if drop_ema and len(bare.data_shape) == 3:  # the run's grid shows the average: redraw it from G
        _redraw_sample_grid(bare, run.get("options", {}).get("seed", 0), os.path.join(target, "samples.png"))
    card = os.path.join(target, "README.md")
    extra = ""
    if os.path.exists(card):  # keep hand-written sections below the generated part
        with open(card) as f:
            text = f.read()
        marker = "<!-- end of generated card -->"
        extra = text.split(marker, 1)[1] if marker in text else ""
    with open(card, "w") as f:
        classes = model.num_classes if getattr(model, "generates_by_class", False) else None
        f.write(_card_text(name, summary, type(model).__name__, run, classes) + extra)
    entries = registry(directory) if os.path.exists(_registry_path(directory)) else {}
    if headline is None and entries.get(name, {}).get("weights") is not None:
        headline = entries[name].get("headline")
    entries[name] = {
        "summary": summary,
        "class": type(model).__name__,
        "config": config,
        "weights": f"{name}/model.weights.h5",
        "sha256": sha256(weights),
        "card": f"{name}/README.md",
        "samples": f"{name}/samples.png",
    }
    if run.get("dataset"):
        entries[name]["dataset"] = run["dataset"]
    if headline:
        entries[name]["headline"] = headline
    write_json_atomic(dict(sorted(entries.items())), _registry_path(directory))
    return entries[name]


def set_headline(name, headline, directory=None):
    """Sets the metric `kerasgan zoo list` shows for `name` (e.g. "FMNIST-FID 10.46")."""
    from kerasgan.utils.files import write_json_atomic

    entries = registry(directory)
    entry(name, directory)  # a clear error for an unknown name
    entries[name]["headline"] = headline
    write_json_atomic(entries, _registry_path(directory))


def _card_text(name, summary, class_name, run, classes=None):
    logs = ", ".join(f"{k} {v:.3f}" for k, v in sorted(run.get("final_epoch_logs", {}).items()))
    load = f"import kerasgan\nmodel = kerasgan.zoo.load(\"{name}\")\n"
    test = "x = kerasgan.data.load_fashion_mnist(\"test\")[:8]  # (8, 28, 28, 1) in [-1, 1]\n"
    if class_name == "CycleGAN":
        example = load + test + "b = model.translate(x, \"a_to_b\")  # and back: model.translate(b, \"b_to_a\")"
    elif class_name == "StarGAN":
        example = load + test + "y = model.translate(x, target=2)  # into domain 2 (an index, or one per image)"
    elif class_name == "CoGAN":
        example = load + "a, b = model.generate(64, seed=0)  # a pair per latent vector: domain A, domain B"
    elif classes:  # class-conditional: generate takes the requested labels
        example = (f"import numpy as np\nimport kerasgan\nmodel = kerasgan.zoo.load(\"{name}\")\n"
                   f"images = model.generate(64, seed=0, labels=np.arange(64) % {classes})  "
                   "# (64, ...) in [-1, 1], of classes 0, 1, 2, ...")
    else:
        example = (f"import kerasgan\nmodel = kerasgan.zoo.load(\"{name}\")\n"
                   "images = model.generate(64, seed=0)  # (64, ...) in [-1, 1]")
    caption = ("The run's final preview grid (translations, or pairs from fixed noise):"
               if class_name in ("CycleGAN", "StarGAN", "CoGAN") else
               "Samples from fixed noise (seed 0), produced at the end of training:")
    return f"""# {name}

{summary}

```python
{example}
```

| | |
|---|---|
| model | `kerasgan.models.{class_name}` |
| data | {run.get('dataset')} ({run.get('samples')} training samples) |
| command | `{'` then `'.join(run.get('commands') or [run.get('command')])}` |
| backend | {run.get('backend')} (Keras {run.get('keras')}) |
| machine | {run.get('machine')} |
| training time | {run.get('train_seconds')} s for {run.get('epochs_completed')} epochs ({run.get('images_per_second')} images/s) |
| final epoch means | {logs} |

{caption}

![samples](samples.png)

Losses per training step:

![losses](losses.png)

<!-- end of generated card -->
"""
