"""Sample grids of a progressively grown GAN, one per epoch and per stage."""

import os

import numpy as np

from kerasgan.callbacks.sample_grid import SampleGrid
from kerasgan.engine.validation import finite_logs
from kerasgan.utils.images import save_image_grid


class GrowthGrid(SampleGrid):
    """`SampleGrid` for `kerasgan.models.ProGAN`: samples at the current
    stage's resolution, enlarged (nearest neighbour) to the full resolution,
    written as `samples_epoch_{epoch:03d}.png` and as
    `stage_{s}_{size}x{size}.png`, the latest grid of each stage (so a grown
    run leaves one grid per resolution).

    Example: `model.fit(x, callbacks=[GrowthGrid("runs/progan/samples")])`.
    """

    @staticmethod
    def grid_images(model, num_samples, seed):
        """`model.generate(num_samples, seed=seed)`, enlarged to the model's
        full resolution."""
        images = model.generate(num_samples, seed=seed)
        factor = model.resolution // images.shape[1]
        return np.repeat(np.repeat(images, factor, axis=1), factor, axis=2)

    def on_epoch_end(self, epoch, logs=None):
        if (epoch + 1) % self.every or not finite_logs(logs):
            return
        images = self.grid_images(self.model, self.num_samples, self.seed)
        size = self.model.current_resolution
        for name in (f"samples_epoch_{epoch + 1:03d}.png", f"stage_{self.model.stage}_{size}x{size}.png"):
            path = os.path.join(self.directory, name)
            save_image_grid(images, path, scale=self.scale)
            self.paths.append(path)
