"""PNG grids of samples from fixed latent vectors during training."""

import os

import keras

from kerasgan.engine.validation import finite_logs

from kerasgan.utils.images import save_image_grid


class SampleGrid(keras.callbacks.Callback):
    """Writes a grid of samples from the same latent vectors every few epochs.

    Args:
        directory: where `samples_epoch_{epoch:03d}.png` files go.
        num_samples: images per grid.
        seed: numpy seed of the fixed latent vectors.
        every: write every this many epochs.
        scale: enlarge the PNG this many times.

    Example: `model.fit(x, callbacks=[SampleGrid("runs/samples")])`.
    """

    def __init__(self, directory, num_samples=64, seed=0, every=1, scale=2):
        super().__init__()
        self.directory = str(directory)
        self.num_samples = int(num_samples)
        self.seed = seed
        self.every = int(every)
        self.scale = int(scale)
        self.paths = []

    def on_epoch_end(self, epoch, logs=None):
        if (epoch + 1) % self.every:
            return
        if not finite_logs(logs):
            return  # an epoch that ended on a non-finite loss: its weights are not worth a grid
        images = self.model.generate(self.num_samples, seed=self.seed)
        path = os.path.join(self.directory, f"samples_epoch_{epoch + 1:03d}.png")
        save_image_grid(images, path, scale=self.scale)
        self.paths.append(path)
