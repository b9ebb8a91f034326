"""Low-dimensional toy distributions for studying mode collapse.

The 2-D Gaussian mixtures are the standard mode-collapse benchmarks of
VEEGAN (Srivastava et al., "VEEGAN: Reducing Mode Collapse in GANs using
Implicit Variational Learning", NeurIPS 2017) and PacGAN (Lin et al.,
"PacGAN: The power of two samples in generative adversarial networks",
NeurIPS 2018), originally from the unrolled-GAN paper (Metz et al., 2017):

* **2D ring**: 8 isotropic Gaussians with means evenly spaced on a circle.
  The defaults here (radius 2, std 0.02) follow the unrolled-GAN reference
  setup that VEEGAN compares against. The exact ring values in the VEEGAN
  paper could not be re-checked while writing this; PacGAN's released
  code uses radius 1 and std 0.01 (pass `radius=1.0, std=0.01` for it).
* **2D grid**: 25 isotropic Gaussians with means on `{-4, -2, 0, 2, 4}^2`
  and std 0.05, as in PacGAN's released code.

VEEGAN counts a generated sample as "high quality" when it lies within
three standard deviations of its nearest mode, and a mode as captured
when at least one high-quality sample is nearest to it; `nearest_mode`
gives what is needed to compute both.

All samplers return float32 numpy arrays and take `seed` (an int, a
`numpy.random.Generator`, or `None`) for reproducibility.
"""

import itertools

import numpy as np


def ring_modes(num_modes=8, radius=2.0):
    """Returns the `(num_modes, 2)` float32 means of the 2D ring.

    Mode `i` sits at angle `2 * pi * i / num_modes`.
    """
    angles = 2.0 * np.pi * np.arange(num_modes) / num_modes
    modes = radius * np.stack([np.cos(angles), np.sin(angles)], axis=1)
    return modes.astype(np.float32)


def grid_modes(grid=5, spacing=2.0):
    """Returns the `(grid**2, 2)` float32 means of the 2D grid.

    The grid is centred on the origin: with the defaults the coordinates
    are `{-4, -2, 0, 2, 4}`.
    """
    coords = (np.arange(grid) - (grid - 1) / 2.0) * spacing
    return np.array(list(itertools.product(coords, coords)), dtype=np.float32)


def ring_of_gaussians(
    n, num_modes=8, radius=2.0, std=0.02, seed=None, return_modes=False
):
    """Samples the 2D ring: a mixture of Gaussians on a circle.

    Args:
        n: Number of samples.
        num_modes: Number of mixture components (8 in VEEGAN/PacGAN).
        radius: Radius of the circle of means (2.0; PacGAN's code uses 1.0).
        std: Standard deviation of each isotropic component (0.02; PacGAN's
            code uses 0.01).
        seed: Int seed, `numpy.random.Generator`, or `None`.
        return_modes: Whether to also return the `(num_modes, 2)` means.

    Returns:
        A float32 array of shape `(n, 2)`, or `(samples, modes)`.

    Example:

    ```python
    x = ring_of_gaussians(2500, seed=0)       # (2500, 2)
    x, modes = ring_of_gaussians(2500, return_modes=True)
    ```
    """
    modes = ring_modes(num_modes, radius)
    return _sample_mixture(n, modes, std, seed, return_modes)


def grid_of_gaussians(n, grid=5, spacing=2.0, std=0.05, seed=None, return_modes=False):
    """Samples the 2D grid: a mixture of `grid**2` Gaussians on a grid.

    Args:
        n: Number of samples.
        grid: Number of means per axis (5, i.e. 25 modes, in VEEGAN/PacGAN).
        spacing: Distance between neighbouring means (2.0).
        std: Standard deviation of each isotropic component (0.05).
        seed: Int seed, `numpy.random.Generator`, or `None`.
        return_modes: Whether to also return the `(grid**2, 2)` means.

    Returns:
        A float32 array of shape `(n, 2)`, or `(samples, modes)`.

    Example:

    ```python
    x = grid_of_gaussians(2500, seed=0)       # (2500, 2)
    ```
    """
    modes = grid_modes(grid, spacing)
    return _sample_mixture(n, modes, std, seed, return_modes)


def gaussian_1d(n, mean=0.0, std=1.0, seed=None):
    """Samples a 1-D Gaussian, as a float32 array of shape `(n, 1)`.

    Example:

    ```python
    x = gaussian_1d(1000, mean=4.0, std=0.5, seed=0)
    ```
    """
    rng = np.random.default_rng(seed)
    return rng.normal(mean, std, size=(n, 1)).astype(np.float32)


def nearest_mode(samples, modes):
    """Finds the nearest mode of each sample.

    Args:
        samples: Array of shape `(n, d)`.
        modes: Array of shape `(k, d)`.

    Returns:
        `(indices, distances)`: int64 array `(n,)` of nearest-mode indices
        and float array `(n,)` of Euclidean distances to them.
    """
    samples = np.asarray(samples, dtype=np.float64)
    modes = np.asarray(modes, dtype=np.float64)
    sq = ((samples[:, None, :] - modes[None, :, :]) ** 2).sum(axis=-1)
    indices = np.argmin(sq, axis=1)
    distances = np.sqrt(sq[np.arange(len(samples)), indices])
    return indices.astype(np.int64), distances


def _sample_mixture(n, modes, std, seed, return_modes):
    rng = np.random.default_rng(seed)
    components = rng.integers(len(modes), size=n)
    noise = rng.normal(0.0, std, size=(n, modes.shape[1]))
    samples = (modes[components] + noise).astype(np.float32)
    return (samples, modes) if return_modes else samples
