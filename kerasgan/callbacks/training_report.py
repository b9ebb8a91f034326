"""A per-epoch report of every logged quantity: report.png and report.json."""

import json
import math
import os

import keras
import numpy as np

from kerasgan.utils.files import atomic_path
from kerasgan.utils.files import write_json_atomic


class TrainingReport(keras.callbacks.Callback):
    """Writes `report.png` (one subplot per logged quantity) and `report.json`.

    Every epoch's `logs` are recorded: the losses, `d_real` / `d_fake`,
    validation logs, and the metrics of `kerasgan.callbacks.GANEvaluation`
    (which must come *before* this callback in the `callbacks` list: Keras
    passes one `logs` dict to the callbacks in order). A `*_std` key whose
    base key is logged too (`is_std`, `kid_std`) is drawn as error bars on
    the base key's subplot instead of a subplot of its own. Quantities
    logged only on some epochs (e.g. `GANEvaluation(every=5)`) are plotted
    at those epochs only.

    `report.json` holds

    ```
    {"epochs": [1, 2, ...],                      # the epochs seen, 1-based
     "history": {"d_loss": [...], "fid": [...]},  # like keras History.history
     "history_epochs": {"d_loss": [1, 2, ...], "fid": [2, 4, ...]}}
    ```

    (non-finite values are written as `null`). Both files are replaced
    atomically every `every` epochs and when training ends. When training
    is resumed with `initial_epoch=k` in the same directory, the epochs
    `1..k` of an existing `report.json` are kept; a run from epoch 0
    replaces it. Epochs that are run again replace their old records.

    Args:
        directory: where `report.png` and `report.json` go (created).
        every: write the files every this many epochs.

    Example:

    ```python
    model.fit(x, epochs=20, callbacks=[
        kerasgan.callbacks.GANEvaluation(x_test[:5000], "fashion_mnist"),
        kerasgan.callbacks.TrainingReport("runs/dcgan"),
    ])
    ```
    """

    def __init__(self, directory, every=1):
        super().__init__()
        if isinstance(every, bool) or int(every) != every or every < 1:
            raise ValueError(f"`every` must be a positive integer; got {every!r}.")
        self.directory = os.fspath(directory)
        self.every = int(every)
        self.json_path = os.path.join(self.directory, "report.json")
        self.png_path = os.path.join(self.directory, "report.png")
        self.epochs = []
        self.history = {}
        self.history_epochs = {}
        self._started = False

    def on_epoch_begin(self, epoch, logs=None):
        if not self._started:
            self._started = True
            if not self.epochs and epoch > 0:
                self._resume(epoch)
        # Epochs run again (a second fit from epoch 0, or a resume) replace
        # what was recorded for them.
        self._truncate(epoch)

    def _truncate(self, last_kept):
        self.epochs = [e for e in self.epochs if e <= last_kept]
        for name in list(self.history):
            pairs = zip(self.history_epochs[name], self.history[name])
            kept = [(e, v) for e, v in pairs if e <= last_kept]
            if kept:
                self.history_epochs[name] = [e for e, _ in kept]
                self.history[name] = [v for _, v in kept]
            else:
                del self.history[name], self.history_epochs[name]

    def on_epoch_end(self, epoch, logs=None):
        number = epoch + 1
        if number not in self.epochs:
            self.epochs.append(number)
        for name, value in (logs or {}).items():
            value = _scalar(value)
            if value is None and not _is_nan_like(logs[name]):
                continue  # not a scalar (e.g. an array): nothing to plot
            self.history.setdefault(name, []).append(value)
            self.history_epochs.setdefault(name, []).append(number)
        if number % self.every == 0:
            self.write()

    def on_train_end(self, logs=None):
        if self.epochs:
            self.write()

    def report(self):
        """The contents of `report.json`."""
        return {
            "epochs": list(self.epochs),
            "history": {k: list(v) for k, v in self.history.items()},
            "history_epochs": {k: list(v) for k, v in self.history_epochs.items()},
        }

    def write(self):
        write_json_atomic(self.report(), self.json_path)
        plot_report(self.report(), self.png_path)
        return self.json_path, self.png_path

    def _resume(self, initial_epoch):
        if not os.path.exists(self.json_path):
            return
        try:
            with open(self.json_path) as f:
                old = json.load(f)
        except (OSError, ValueError):
            return
        self.epochs = list(old.get("epochs", []))
        self.history = {k: list(v) for k, v in old.get("history", {}).items()}
        self.history_epochs = {
            k: list(old.get("history_epochs", {}).get(k, [])) for k in self.history
        }
        self._truncate(initial_epoch)


def plot_report(report, path):
    """Draws one subplot per quantity of a `TrainingReport.report()`; writes a PNG."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    history, history_epochs = report["history"], report["history_epochs"]
    names = [
        k for k in history
        if not (k.endswith("_std") and k[: -len("_std")] in history)
    ]
    names.sort(key=_plot_order)
    columns = min(3, max(1, len(names)))
    rows = max(1, math.ceil(len(names) / columns))
    fig, axes = plt.subplots(rows, columns, figsize=(4 * columns, 3 * rows), squeeze=False)
    for ax in axes.flat[len(names):]:
        ax.axis("off")
    if not names:
        axes[0, 0].text(0.5, 0.5, "no logs yet", ha="center", va="center")
    for ax, name in zip(axes.flat, names):
        x = np.asarray(history_epochs[name])
        y = np.asarray([np.nan if v is None else v for v in history[name]], dtype=float)
        std = history.get(f"{name}_std")
        marker = "o" if len(x) <= 30 else None
        if std is not None and history_epochs.get(f"{name}_std") == history_epochs[name]:
            err = np.asarray([np.nan if v is None else v for v in std], dtype=float)
            ax.errorbar(x, y, yerr=err, marker=marker, markersize=3, capsize=2)
            ax.set_title(f"{name} (± {name}_std)")
        else:
            ax.plot(x, y, marker=marker, markersize=3)
            ax.set_title(name)
        ax.set_xlabel("epoch")
        ax.ticklabel_format(axis="y", useOffset=False)
        ax.grid(alpha=0.3)
        if len(x) and x.max() - x.min() < 20:
            ax.set_xticks(np.arange(x.min(), x.max() + 1))
    fig.tight_layout()
    with atomic_path(path) as tmp:
        fig.savefig(tmp, format="png", dpi=80)
    plt.close(fig)
    return path


def _plot_order(name):
    base = name[4:] if name.startswith("val_") else name
    if base.endswith("loss"):
        group = 0
    elif base in ("d_real", "d_fake"):
        group = 1
    else:
        group = 2
    return (group, name.startswith("val_"), name)


def _scalar(value):
    """A finite float, None for NaN/inf, or None for non-scalars (see _is_nan_like)."""
    try:
        array = np.asarray(keras.ops.convert_to_numpy(value) if hasattr(value, "shape") else value)
    except Exception:  # noqa: BLE001 - anything unconvertible is skipped
        return None
    if array.size != 1 or not np.issubdtype(array.dtype, np.number):
        return None
    value = float(array.reshape(()))
    return value if math.isfinite(value) else None


def _is_nan_like(value):
    try:
        array = np.asarray(value, dtype=float)
    except (TypeError, ValueError):
        return False
    return array.size == 1 and not math.isfinite(float(array.reshape(())))


__all__ = ["TrainingReport", "plot_report"]
