"""Scatter plots of 2-D samples over the data, with mode coverage."""

import os

import keras
import numpy as np

from kerasgan.engine.validation import finite_logs


class SampleScatter(keras.callbacks.Callback):
    """Plots 2-D samples over the training data after every epoch; adds mode coverage to the logs.

    The image-grid counterpart for toy distributions (the ring and grid of
    Gaussians): `directory/samples_epoch_{epoch:03d}.png` shows `num_samples`
    samples from fixed latent vectors (`seed`) over up to 2,000 data points.
    With `modes` and `std`, the epoch's logs get `modes_covered` and
    `high_quality_fraction` (`kerasgan.metrics.mode_coverage`, VEEGAN and
    PacGAN's protocol: 2,500 samples, within 3σ), which later callbacks
    (`LossHistory`) record. Put it before them in the callback list.

    Example:

    ```python
    x, modes = kerasgan.data.ring_of_gaussians(20000, seed=0, return_modes=True)
    model.fit(x, callbacks=[SampleScatter("samples", x, modes=modes, std=0.02)])
    ```
    """

    def __init__(self, directory, data, modes=None, std=None, num_samples=2500, seed=0):
        super().__init__()
        data = np.asarray(data)
        if data.ndim != 2 or data.shape[1] != 2:
            raise ValueError(f"SampleScatter plots 2-D points (shape (n, 2)); got data of shape {data.shape}.")
        if (modes is None) != (std is None):
            raise ValueError("SampleScatter needs both modes and std for mode coverage, or neither.")
        self.directory = directory
        self.data = data[:2000]
        self.modes = None if modes is None else np.asarray(modes)
        self.std = std
        self.num_samples = int(num_samples)
        self.seed = seed

    def on_epoch_end(self, epoch, logs=None):
        if not finite_logs(logs):
            return  # an epoch that ended on a non-finite loss: nothing worth plotting
        samples = self.model.generate(self.num_samples, seed=self.seed)
        if self.modes is not None and logs is not None:
            from kerasgan.metrics import mode_coverage

            coverage = mode_coverage(samples, self.modes, self.std)
            logs["modes_covered"] = float(coverage["modes_covered"])
            logs["high_quality_fraction"] = float(coverage["high_quality_fraction"])
        os.makedirs(self.directory, exist_ok=True)
        title = f"epoch {epoch + 1}"
        if logs and "modes_covered" in logs:
            title += (f": {int(logs['modes_covered'])}/{len(self.modes)} modes, "
                      f"{100 * logs['high_quality_fraction']:.0f}% high quality")
        scatter_plot(samples, self.data, os.path.join(self.directory, f"samples_epoch_{epoch + 1:03d}.png"),
                     modes=self.modes, title=title)


def scatter_plot(samples, data, path, modes=None, title=None):
    """Writes a PNG of `samples` (points) over `data` (light), with `modes` marked."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from kerasgan.utils.files import atomic_path

    samples = np.asarray(samples)
    fig, ax = plt.subplots(figsize=(5, 5))
    ax.scatter(data[:, 0], data[:, 1], s=4, c="0.8", label="data")
    ax.scatter(samples[:, 0], samples[:, 1], s=2, alpha=0.5, label="samples")
    if modes is not None:
        ax.scatter(modes[:, 0], modes[:, 1], marker="x", c="k", label="modes")
    ax.set_aspect("equal")
    ax.legend(loc="upper right", fontsize=8)
    if title:
        ax.set_title(title)
    fig.tight_layout()
    with atomic_path(path) as tmp:
        fig.savefig(tmp, format="png", dpi=100)
    plt.close(fig)
    return path
