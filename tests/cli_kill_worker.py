"""Runs `kerasgan train` and kills itself with SIGKILL at one batch of one epoch.

Usage: python cli_kill_worker.py EPOCH BATCH TRAIN-ARGS...  (EPOCH and BATCH from 0)

The kill comes from inside the process, right after that batch's step, so
the test knows where the run died. The run compiles as the tests do
(tests/conftest.py: TensorFlow without XLA; JAX's XLA options come with the
environment), so its steps compute what the test process computes.
"""

import os
import signal
import sys


def main(epoch, batch, *argv):
    import keras

    from kerasgan import cli
    from kerasgan.callbacks import nan_guard
    from kerasgan.engine import backend as backend_steps

    if keras.backend.backend() == "tensorflow" and os.environ.get("KERASGAN_TEST_XLA") != "default":
        backend_steps.get().AUTO_JIT_COMPILE = False
    step_end = nan_guard.NaNGuard.on_train_batch_end

    def on_train_batch_end(self, index, logs=None):
        step_end(self, index, logs)
        if self._epoch == int(epoch) and index == int(batch):
            os.kill(os.getpid(), signal.SIGKILL)

    nan_guard.NaNGuard.on_train_batch_end = on_train_batch_end
    return cli.main(["train", *argv])


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:]))
