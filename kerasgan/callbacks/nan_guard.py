"""Stop on a non-finite loss and keep the last finite state."""

import warnings

import keras
import numpy as np

from kerasgan.engine.validation import finite_logs


class NaNGuard(keras.callbacks.Callback):
    """Stops training at the first NaN/inf in the logs; restores the last good state.

    The model's and optimizers' variables are copied at the start of training
    and after every epoch that ended with finite logs. When a batch reports a
    non-finite value, training stops and, when it ends, that copy is put back:
    the model is left as it was after its last finite epoch, never with NaN
    weights. `fit` of kerasgan models adds one automatically.

    Attributes:
        stopped_at: `(epoch, batch)` of the first non-finite log, or None.
        restored_epoch: the last epoch whose state was restored (-1 = the
            state before training), or None.
    """

    def __init__(self):
        super().__init__()
        self.stopped_at = None
        self.restored_epoch = None
        self._epoch = 0
        self._snapshot = None
        self._snapshot_epoch = -1

    def _take_snapshot(self, epoch, only_if_finite=True):
        """Copies the state; keeps the copy unless it must be finite and is not."""
        values = [np.array(v.numpy(), copy=True) for v in state_variables(self.model)]
        if only_if_finite and not all_finite(values):  # an epoch's last update can be non-finite
            return
        self._snapshot, self._snapshot_epoch = values, epoch

    def on_train_begin(self, logs=None):
        self.stopped_at = None
        self.restored_epoch = None
        self._take_snapshot(-1, only_if_finite=False)

    def on_epoch_begin(self, epoch, logs=None):
        self._epoch = epoch

    def on_train_batch_end(self, batch, logs=None):
        if self.stopped_at is None and not finite_logs(logs):
            self.stopped_at = (self._epoch, batch)
            self.model.stop_training = True

    def on_epoch_end(self, epoch, logs=None):
        if self.stopped_at is None and finite_logs(logs):
            self._take_snapshot(epoch)

    def on_train_end(self, logs=None):
        if self.stopped_at is None:
            return
        for variable, value in zip(state_variables(self.model), self._snapshot):
            variable.assign(value)
        self.restored_epoch = self._snapshot_epoch
        when = (
            "the state before training"
            if self._snapshot_epoch < 0
            else f"the state after epoch {self._snapshot_epoch + 1}"
        )
        warnings.warn(
            f"Non-finite loss at epoch {self.stopped_at[0] + 1}, batch "
            f"{self.stopped_at[1] + 1}: training stopped and {when} was "
            "restored. Lower the learning rates or check the data.",
            RuntimeWarning,
            stacklevel=2,
        )


def state_variables(model):
    """The model's variables and its optimizer's: what a training step changes."""
    variables = list(model.variables)
    if getattr(model, "optimizer", None) is not None:
        variables += list(model.optimizer.variables)
    return variables


def all_finite(values):
    """Whether every floating-point array of `values` is finite."""
    return all(np.isfinite(v).all() for v in values if np.asarray(v).dtype.kind == "f")
