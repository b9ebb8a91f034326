"""Fréchet Inception Distance (Heusel et al., "GANs Trained by a Two
Time-Scale Update Rule Converge to a Local Nash Equilibrium", NeurIPS 2017).

FID is the Fréchet (2-Wasserstein) distance between two Gaussians fitted to
feature sets (Dowson & Landau, 1982):

    d^2 = ||mu1 - mu2||^2 + Tr(S1 + S2 - 2 (S1 S2)^(1/2))

The computation follows the numerical care of the reference code (TTUR's
`fid.py`, and pytorch-fid): float64, `scipy.linalg.sqrtm`, `eps * I` added
to both covariances when the product is near-singular, and a tiny imaginary
part from round-off dropped.
"""

import json
import os
import warnings

import numpy as np
import scipy.linalg

from kerasgan.metrics._utils import as_float64
from kerasgan.metrics._utils import as_rows
from kerasgan.metrics._utils import check_same_dim


def feature_statistics(features):
    """Mean and covariance of a feature set, as used by FID.

    Args:
        features: `(n, d)` array (`(n, ...)` is flattened per sample), e.g.
            Inception pool3 activations. Needs `n >= 2`; warns when `n <= d`
            because the covariance is then rank-deficient.

    Returns:
        `(mu, sigma)`: float64 arrays of shape `(d,)` and `(d, d)` (the
        unbiased covariance, `ddof=1`, like `np.cov` in the reference code).

    Example:

    ```python
    mu, sigma = feature_statistics(real_features)   # (2048,), (2048, 2048)
    ```
    """
    return _statistics(as_rows(features, "features"), "features")


def frechet_distance(mu1, sigma1, mu2, sigma2, eps=1e-6, imag_tol=1e-3):
    """Fréchet distance between `N(mu1, sigma1)` and `N(mu2, sigma2)`.

    Args:
        mu1, mu2: `(d,)` means.
        sigma1, sigma2: `(d, d)` covariance matrices.
        eps: Added to the diagonal of both covariances when
            `sqrtm(sigma1 @ sigma2)` is not finite (a near-singular product).
        imag_tol: Imaginary parts of the matrix square root's diagonal up to
            `imag_tol * max(1, max|diag|)` are round-off and are dropped;
            larger ones raise `ValueError`.

    Returns:
        The distance as a finite, non-negative Python float (a negative
        round-off result is clipped to 0).

    Example:

    ```python
    fid = frechet_distance(*feature_statistics(real), *feature_statistics(fake))
    ```
    """
    mu1 = _vector(mu1, "mu1")
    mu2 = _vector(mu2, "mu2")
    sigma1 = _matrix(sigma1, "sigma1", len(mu1))
    sigma2 = _matrix(sigma2, "sigma2", len(mu2))
    if len(mu1) != len(mu2):
        raise ValueError(
            f"The two sets of statistics have different dimensions: {len(mu1)} vs "
            f"{len(mu2)}. Were they computed with the same feature extractor?"
        )

    diff = mu1 - mu2
    covmean = _sqrtm(sigma1 @ sigma2)
    if not np.all(np.isfinite(covmean)):
        # Near-singular product: regularize both covariances and retry.
        offset = eps * np.eye(len(mu1))
        covmean = _sqrtm((sigma1 + offset) @ (sigma2 + offset))
        if not np.all(np.isfinite(covmean)):
            raise ValueError(
                "sqrtm(sigma1 @ sigma2) is not finite even after adding "
                f"eps={eps} to the diagonals; try a larger `eps`."
            )
    if np.iscomplexobj(covmean):
        diag = np.diagonal(covmean)
        scale = max(1.0, float(np.max(np.abs(diag.real))))
        worst = float(np.max(np.abs(diag.imag)))
        if worst > imag_tol * scale:
            raise ValueError(
                "sqrtm(sigma1 @ sigma2) has a significant imaginary component "
                f"(max |imag| on the diagonal {worst:.3g}, scale {scale:.3g}); "
                "are both sigmas symmetric positive semi-definite covariances?"
            )
        covmean = covmean.real

    value = diff @ diff + np.trace(sigma1) + np.trace(sigma2) - 2.0 * np.trace(covmean)
    value = float(value)
    if not np.isfinite(value):
        raise ValueError(f"The Fréchet distance is not finite ({value}).")
    return max(value, 0.0)


def fid_from_features(real_features, fake_features, eps=1e-6):
    """FID between two feature sets (e.g. Inception pool3 activations).

    Args:
        real_features: `(n_real, d)` features of real data.
        fake_features: `(n_fake, d)` features of generated data.
        eps: See `frechet_distance`.

    Returns:
        The FID as a Python float.

    Example:

    ```python
    fid = fid_from_features(real_features, fake_features)   # 0.0 if identical
    ```
    """
    real = as_rows(real_features, "real_features")
    fake = as_rows(fake_features, "fake_features")
    check_same_dim(real, fake, "real_features", "fake_features")
    mu1, sigma1 = _statistics(real, "real_features")
    mu2, sigma2 = _statistics(fake, "fake_features")
    return frechet_distance(mu1, sigma1, mu2, sigma2, eps=eps)


def save_statistics(path, mu, sigma, **meta):
    """Caches FID reference statistics as a `.npz` file, atomically.

    The arrays are stored under the keys `mu` and `sigma`, as in the
    precomputed statistics of TTUR and pytorch-fid, so those files load
    with `load_statistics` too. `meta` (JSON-serializable values, e.g. the
    dataset name and sample count) is stored as a JSON string.

    Example:

    ```python
    save_statistics("cifar10_stats.npz", mu, sigma, dataset="cifar10", n=50000)
    mu, sigma = load_statistics("cifar10_stats.npz")
    ```
    """
    from kerasgan.utils.files import atomic_path

    mu = _vector(mu, "mu")
    sigma = _matrix(sigma, "sigma", len(mu))
    try:
        meta_json = json.dumps(meta, sort_keys=True, default=_json_default)
    except (TypeError, ValueError) as e:
        raise TypeError(f"`meta` values must be JSON-serializable: {e}") from e
    with atomic_path(path) as tmp:
        # A file object: np.savez would append ".npz" to a path without it.
        with open(tmp, "wb") as f:
            np.savez(f, mu=mu, sigma=sigma, meta=np.array(meta_json))
    return os.fspath(path)


def load_statistics(path, with_meta=False):
    """Loads statistics written by `save_statistics` (or TTUR/pytorch-fid).

    Returns:
        `(mu, sigma)` as float64 arrays, or `(mu, sigma, meta)` when
        `with_meta=True` (`meta` is `{}` for files without it).

    Example:

    ```python
    fid = frechet_distance(*load_statistics("ref.npz"), *feature_statistics(f))
    ```
    """
    with np.load(path, allow_pickle=False) as data:
        missing = [k for k in ("mu", "sigma") if k not in data.files]
        if missing:
            raise KeyError(
                f"{os.fspath(path)!r} has no {missing} array(s); found {data.files}."
            )
        mu = _vector(data["mu"], "mu")
        sigma = _matrix(data["sigma"], "sigma", len(mu))
        meta = json.loads(str(data["meta"])) if "meta" in data.files else {}
    return (mu, sigma, meta) if with_meta else (mu, sigma)


def _statistics(x, name):
    n, d = x.shape
    if n < 2:
        raise ValueError(
            f"A covariance needs at least 2 samples; `{name}` has {n}. "
            "FID is usually computed from 10,000 or more samples."
        )
    if n <= d:
        warnings.warn(
            f"`{name}` has only {n} samples for {d}-dimensional features: the "
            "covariance is rank-deficient and FID is strongly biased. Use more "
            "samples than feature dimensions (10,000+ for 2048-d Inception "
            "features).",
            stacklevel=3,
        )
    return x.mean(axis=0), np.atleast_2d(np.cov(x, rowvar=False))


def _sqrtm(a):
    # scipy >= 1.16 deprecates `disp`; its default no longer prints.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        warnings.simplefilter("ignore", scipy.linalg.LinAlgWarning)
        result = scipy.linalg.sqrtm(a)
    return result[0] if isinstance(result, tuple) else result


def _vector(x, name):
    v = as_float64(x, name)
    if v.ndim != 1:
        raise ValueError(f"`{name}` must be a vector of shape (d,); got {v.shape}.")
    return v


def _matrix(x, name, d):
    m = as_float64(x, name)
    if m.ndim == 0 and d == 1:
        m = m.reshape(1, 1)
    if m.shape != (d, d):
        raise ValueError(
            f"`{name}` must be a ({d}, {d}) covariance matrix to match its mean; "
            f"got shape {m.shape}."
        )
    return m


def _json_default(obj):
    if isinstance(obj, (np.generic, np.ndarray)):
        return obj.tolist()
    raise TypeError(f"{type(obj).__name__} is not JSON-serializable")
