"""PNG grids of samples from fixed latent vectors during training."""

import os

import keras
import numpy as np

from kerasgan.engine.validation import finite_logs

from kerasgan.utils.images import save_image_grid


class SampleGrid(keras.callbacks.Callback):
    """Writes a grid of samples from the same latent vectors every few epochs.

    Args:
        directory: where `samples_epoch_{epoch:03d}.png` files go.
        num_samples: images per grid (default: one per label when `labels`
            is given, else 64).
        seed: numpy seed of the fixed latent vectors.
        every: write every this many epochs.
        scale: enlarge the PNG this many times.
        labels: a class-conditional model's labels, one per image (e.g.
            `np.arange(100) % 10` with `rows=10`: a column per class).
        rows: rows of the grid (default: about square).

    Example: `model.fit(x, callbacks=[SampleGrid("runs/samples")])`.
    """

    def __init__(self, directory, num_samples=None, seed=0, every=1, scale=2, labels=None, rows=None):
        super().__init__()
        if labels is not None:
            labels = np.asarray(labels)
            if num_samples is not None and int(num_samples) != len(labels):
                raise ValueError(f"SampleGrid: num_samples={num_samples} but {len(labels)} labels were given "
                                 "(one label per image).")
            num_samples = len(labels)
        self.directory = str(directory)
        self.num_samples = 64 if num_samples is None else int(num_samples)
        self.seed = seed
        self.every = int(every)
        self.scale = int(scale)
        self.labels = labels
        self.rows = rows
        self.paths = []

    @classmethod
    def for_model(cls, directory, model, seed=0):
        """The grid `kerasgan train` draws for `model`: 64 samples, or, for a
        class-conditional model, ten rows with a column per class."""
        if getattr(model, "generates_by_class", False):
            labels = np.arange(10 * model.num_classes) % model.num_classes
            return cls(directory, seed=seed, labels=labels, rows=10)
        return cls(directory, num_samples=64, seed=seed)

    def on_epoch_end(self, epoch, logs=None):
        if (epoch + 1) % self.every:
            return
        if not finite_logs(logs):
            return  # an epoch that ended on a non-finite loss: its weights are not worth a grid
        self.paths.append(self.write(os.path.join(self.directory, f"samples_epoch_{epoch + 1:03d}.png")))

    def write(self, path, model=None):
        """Writes this grid of `model`'s samples (default: the model being
        trained) to `path` and returns the path."""
        model = self.model if model is None else model
        labels = {} if self.labels is None else {"labels": self.labels}
        images = model.generate(self.num_samples, seed=self.seed, **labels)
        save_image_grid(images, path, rows=self.rows, scale=self.scale)
        return path
