"""Checkpoints that are written atomically and never with non-finite state."""

import keras

from kerasgan.callbacks.nan_guard import all_finite
from kerasgan.callbacks.nan_guard import state_variables
from kerasgan.engine.validation import finite_logs
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
        if not finite_logs(logs):
            return
        values = [keras.ops.convert_to_numpy(v.value) for v in state_variables(self.model)]
        if not all_finite(values):  # the epoch's last update can be non-finite
            return
        path = self.filepath.format(epoch=epoch + 1)
        save_model_atomic(self.model, path)
        self.last_saved = path
        self.last_saved_epoch = epoch

