"""PNG grids of a multi-domain model's translations or pairs during training."""

import os

import keras

from kerasgan.engine.validation import finite_logs
from kerasgan.utils.images import save_image_grid


class PreviewGrid(keras.callbacks.Callback):
    """Writes `model.preview(examples)` as a PNG every few epochs.

    `preview` is the multi-domain models' picture of their state: CycleGAN's
    rows of A, G(A), F(G(A)), B, F(B), G(F(B)) for fixed test images,
    StarGAN's translations of fixed images into every domain, CoGAN's pairs
    from fixed latent vectors. It returns `(images, rows)`.

    Args:
        directory: where `preview_epoch_{epoch:03d}.png` files go.
        examples: what `model.preview` takes (fixed images, or a seed).
        every: write every this many epochs.
        scale: enlarge the PNG this many times.

    Example:

    ```python
    model.fit(batches, callbacks=[PreviewGrid("runs/cyclegan/samples", (a[:8], b[:8]))])
    ```
    """

    def __init__(self, directory, examples, every=1, scale=2):
        super().__init__()
        self.directory = str(directory)
        self.examples = examples
        self.every = int(every)
        self.scale = int(scale)
        self.paths = []

    def on_epoch_end(self, epoch, logs=None):
        if (epoch + 1) % self.every or not finite_logs(logs):
            return
        images, rows = self.model.preview(self.examples)
        path = os.path.join(self.directory, f"preview_epoch_{epoch + 1:03d}.png")
        save_image_grid(images, path, rows=rows, scale=self.scale)
        self.paths.append(path)
