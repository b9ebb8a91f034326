"""Checkpoints that are written atomically and never with non-finite state."""

import keras
import numpy as np

from kerasgan.engine.validation import is_finite_number
from kerasgan.utils.files import save_model_atomic


class AtomicModelCheckpoint(keras.callbacks.Callback):
    """Saves the model after every `every` epochs, atomically.

    The file is written beside its target and renamed over it, so a crash
    during saving keeps the previous checkpoint. An epoch whose logs or
    variables are not finite is not saved.

    Args:
        filepath: a `.keras` or `.weights.h5` path; may contain `{epoch}`.
        every: save every this many epochs.

    Example: `model.fit(x, callbacks=[AtomicModelCheckpoint("ckpt.keras")])`.
    """

    def __init__(self, filepath, every=1):
        super().__init__()
        self.filepath = str(filepath)
        self.every = int(every)
        self.last_saved = None
        self.last_saved_epoch = None

    def on_epoch_end(self, epoch, logs=None):
        if (epoch + 1) % self.every:
            return
        if not all(is_finite_number(v) for v in (logs or {}).values()):
            return
        if not finite_state(self.model):  # the last step's update can be non-finite
            return
        path = self.filepath.format(epoch=epoch + 1)
        save_model_atomic(self.model, path)
        self.last_saved = path
        self.last_saved_epoch = epoch


def finite_state(model):
    """Whether every floating-point variable of `model` and its optimizer is finite."""
    variables = list(model.variables)
    if getattr(model, "optimizer", None) is not None:
        variables += list(model.optimizer.variables)
    for variable in variables:
        value = np.asarray(keras.ops.convert_to_numpy(variable.value))
        if value.dtype.kind == "f" and not np.isfinite(value).all():
            return False
    return True
