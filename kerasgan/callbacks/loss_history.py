"""Loss history as JSON and as a PNG plot."""

import json
import os

import keras
import numpy as np

from kerasgan.utils.files import atomic_path
from kerasgan.utils.files import write_json_atomic


class LossHistory(keras.callbacks.Callback):
    """Records every batch's and every epoch's logs; writes JSON and a PNG plot.

    Batch logs of kerasgan models are running means over the epoch; the
    per-step values are recovered from them (step t's value is
    t·mean_t - (t - 1)·mean_(t-1)) and stored under "steps".

    Args:
        json_path: where to write the history (after every epoch).
        png_path: optional plot of the per-step losses and epoch means.
        initial_epoch: for a resumed run, the number of epochs already done:
            the history in `json_path` is read and kept up to that epoch
            (steps and epoch means of later, unfinished epochs are dropped),
            and new epochs are appended to it.

    Example: `model.fit(x, callbacks=[LossHistory("history.json", "losses.png")])`.
    """

    def __init__(self, json_path=None, png_path=None, initial_epoch=0):
        super().__init__()
        self.json_path = json_path
        self.png_path = png_path
        self.steps = {}
        self.epochs = {}
        self.epoch_steps = []  # training steps in each epoch
        self._previous = {}
        self._batches = 0
        if initial_epoch and json_path and os.path.exists(json_path):
            self._resume(initial_epoch)

    def _resume(self, initial_epoch):
        with open(self.json_path) as f:
            saved = json.load(f)
        self.epochs = {name: values[:initial_epoch] for name, values in saved.get("epochs", {}).items()}
        self.epoch_steps = list(saved.get("epoch_steps", []))[:initial_epoch]
        keep = sum(self.epoch_steps) if len(self.epoch_steps) == initial_epoch else None
        self.steps = {name: values[:keep] for name, values in saved.get("steps", {}).items()}

    def on_epoch_begin(self, epoch, logs=None):
        self._previous = {}
        self._batches = 0

    def on_train_batch_end(self, batch, logs=None):
        t = batch + 1
        for name, value in (logs or {}).items():
            mean = float(np.asarray(value))
            step_value = t * mean - (t - 1) * self._previous.get(name, 0.0)
            self.steps.setdefault(name, []).append(step_value)
            self._previous[name] = mean
        self._batches += 1

    def on_epoch_end(self, epoch, logs=None):
        for name, value in (logs or {}).items():
            self.epochs.setdefault(name, []).append(float(np.asarray(value)))
        self.epoch_steps.append(self._batches)
        self.write()

    def history(self):
        return {"steps": self.steps, "epochs": self.epochs, "epoch_steps": self.epoch_steps}

    def write(self):
        if self.json_path:
            write_json_atomic(self.history(), self.json_path)
        if self.png_path:
            plot_history(self.history(), self.png_path)


def plot_history(history, path):
    """Plots per-step losses (thin) and the D outputs; writes a PNG."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    steps = history["steps"]
    losses = [k for k in steps if k.endswith("loss")]
    others = [k for k in steps if k not in losses]
    fig, axes = plt.subplots(1, 2 if others else 1, figsize=(11 if others else 6, 4), squeeze=False)
    for ax, names, title in ((axes[0, 0], losses, "losses"), (axes[0, -1], others, "discriminator outputs and schedules")):
        if not names:
            continue
        for name in names:
            values = np.asarray(steps[name])
            ax.plot(values, lw=0.5, alpha=0.4)
            window = max(1, len(values) // 50)
            smooth = np.convolve(values, np.ones(window) / window, mode="valid")
            ax.plot(np.arange(len(smooth)) + window - 1, smooth, label=name, color=ax.lines[-1].get_color())
        ax.set_xlabel("training step")
        ax.set_title(title)
        ax.legend()
    fig.tight_layout()
    with atomic_path(path) as tmp:
        fig.savefig(tmp, format="png", dpi=100)
    plt.close(fig)
    return path
