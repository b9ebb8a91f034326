"""Published models, loadable by name with hash-verified weights.

The registry is `zoo/registry.json` in the repository (or the directory named
by the environment variable `KERASGAN_ZOO_DIR`). Each entry names a model
class and its config, a weights file (relative to the zoo directory, or a URL
fetched with `keras.utils.get_file`) and the file's SHA-256. Loading always
checks the hash: a mismatch is an error, never silently wrong weights.

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


class WeightsIntegrityError(RuntimeError):
    """The weights file does not have the published SHA-256."""


def zoo_dir():
    """The zoo directory: $KERASGAN_ZOO_DIR, else the repository's zoo/."""
    if os.environ.get(ZOO_DIR_ENV):
        return os.environ[ZOO_DIR_ENV]
    return os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "zoo")


def _registry_path(directory=None):
    return os.path.join(directory or zoo_dir(), "registry.json")


def registry(directory=None):
    """All published entries, as a dict {name: entry}."""
    path = _registry_path(directory)
    if not os.path.exists(path):
        raise FileNotFoundError(
            f"No zoo registry at {path}. Set {ZOO_DIR_ENV} to a directory "
            "holding registry.json, or install kerasgan from its repository."
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


def weights_path(name, directory=None):
    """Local path of `name`'s weights, fetched if needed, hash-checked."""
    info = entry(name, directory)
    location = info["weights"]
    if location.startswith(("http://", "https://")):
        import keras

        path = keras.utils.get_file(
            fname=f"kerasgan_{name}.weights.h5", origin=location, cache_subdir="kerasgan"
        )
    else:
        path = os.path.join(directory or zoo_dir(), location)
        if not os.path.exists(path):
            raise FileNotFoundError(
                f"The weights of zoo model '{name}' are missing: expected {path}."
            )
    actual = sha256(path)
    if actual != info["sha256"]:
        raise WeightsIntegrityError(
            f"The weights file of zoo model '{name}' ({path}) has SHA-256 {actual}, "
            f"but the published weights have {info['sha256']}. The file is corrupt "
            "or not the published one: delete it and fetch it again."
        )
    return path


def load(name, compile=False, directory=None):
    """Returns the published model `name`, weights loaded and verified.

    Args:
        name: a name from `kerasgan.zoo.names()`.
        compile: also compile with the model's default optimizers (to
            fine-tune with `fit`).
    """
    from kerasgan import models

    info = entry(name, directory)
    path = weights_path(name, directory)
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


def publish(run_dir, name, summary, zoo_dir=None):
    """Adds a finished `kerasgan train` run to the zoo.

    Writes `zoo/NAME/model.weights.h5`, the run's sample grid and loss plot,
    a model card from the run's record (command, backend, time, final logs),
    and the registry entry with the weights' SHA-256.
    """
    import keras

    from kerasgan.utils.files import atomic_path
    from kerasgan.utils.files import write_json_atomic

    directory = zoo_dir or globals()["zoo_dir"]()
    with open(os.path.join(run_dir, "run.json")) as f:
        run = json.load(f)
    model = keras.saving.load_model(os.path.join(run_dir, "model.keras"))
    target = os.path.join(directory, name)
    os.makedirs(target, exist_ok=True)
    weights = os.path.join(target, "model.weights.h5")
    config = model.get_config()
    # The networks' weights only: an uncompiled copy carries no optimizer state.
    bare = type(model).from_config(config)
    for copy, variable in zip(bare.variables, model.variables):
        copy.assign(variable)
    with atomic_path(weights) as tmp:
        bare.save_weights(tmp)
    for artifact in ("samples.png", "losses.png"):
        shutil.copyfile(os.path.join(run_dir, artifact), os.path.join(target, artifact))
    card = os.path.join(target, "README.md")
    extra = ""
    if os.path.exists(card):  # keep hand-written sections below the generated part
        with open(card) as f:
            text = f.read()
        marker = "<!-- end of generated card -->"
        extra = text.split(marker, 1)[1] if marker in text else ""
    with open(card, "w") as f:
        f.write(_card_text(name, summary, type(model).__name__, run) + extra)
    entries = registry(directory) if os.path.exists(_registry_path(directory)) else {}
    entries[name] = {
        "summary": summary,
        "class": type(model).__name__,
        "config": config,
        "weights": f"{name}/model.weights.h5",
        "sha256": sha256(weights),
        "card": f"{name}/README.md",
        "samples": f"{name}/samples.png",
    }
    write_json_atomic(dict(sorted(entries.items())), _registry_path(directory))
    return entries[name]


def _card_text(name, summary, class_name, run):
    logs = ", ".join(f"{k} {v:.3f}" for k, v in sorted(run.get("final_epoch_logs", {}).items()))
    return f"""# {name}

{summary}

```python
import kerasgan
model = kerasgan.zoo.load("{name}")
images = model.generate(64, seed=0)  # (64, ...) in [-1, 1]
```

| | |
|---|---|
| model | `kerasgan.models.{class_name}` |
| data | {run.get('dataset')} ({run.get('samples')} training samples) |
| command | `{run.get('command')}` |
| backend | {run.get('backend')} (Keras {run.get('keras')}) |
| machine | {run.get('machine')} |
| training time | {run.get('train_seconds')} s for {run.get('epochs_completed')} epochs ({run.get('images_per_second')} images/s) |
| final epoch means | {logs} |

Samples from fixed noise (seed 0), produced at the end of training:

![samples](samples.png)

Losses per training step:

![losses](losses.png)

<!-- end of generated card -->
"""
