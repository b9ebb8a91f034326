"""Gaussian Parzen window log-likelihood (Goodfellow et al., "Generative
Adversarial Nets", NeurIPS 2014, Section 5, after Breuleux et al. 2011).

A Gaussian kernel density with isotropic width `sigma` is fitted to the
generated samples and the mean log-likelihood of held-out test data is
reported; `sigma` is chosen by maximising the likelihood of a validation
split. For `n` samples `s_i` in `d` dimensions:

    log p(x) = logsumexp_i(-||x - s_i||^2 / (2 sigma^2)) - log n
               - (d / 2) log(2 pi sigma^2)

Caveat: this estimate is unreliable in high dimensions and can rank models
badly (Theis et al., "A note on the evaluation of generative models",
ICLR 2016); report it only for comparison with the older literature.
"""

import numpy as np
import scipy.special

from kerasgan.metrics._utils import DEFAULT_BATCH_SIZE
from kerasgan.metrics._utils import as_float64
from kerasgan.metrics._utils import as_rows
from kerasgan.metrics._utils import check_batch_size
from kerasgan.metrics._utils import check_same_dim
from kerasgan.metrics._utils import row_blocks
from kerasgan.metrics._utils import squared_distances
from kerasgan.metrics._utils import squared_norms

#: The sigma grid of the GAN paper's released `parzen_ll.py`: 10 values
#: log-spaced between 0.1 and 1 (for data scaled to [0, 1]).
DEFAULT_SIGMAS = np.logspace(-1, 0, 10)


def parzen_log_likelihood(samples, test_data, sigma, batch_size=DEFAULT_BATCH_SIZE):
    """Mean log-likelihood of `test_data` under a Parzen window on `samples`.

    Args:
        samples: `(n, ...)` generated samples, flattened per sample.
        test_data: `(m, ...)` held-out data with the same per-sample size.
        sigma: Positive kernel width (in the data's units).
        batch_size: Test rows per block; memory is `batch_size * n` floats.

    Returns:
        `(mean, standard_error)` in nats, as Python floats; the standard
        error is `std(log p(x)) / sqrt(m)` as in the GAN paper's code.

    Example:

    ```python
    ll, se = parzen_log_likelihood(generated, x_test, sigma=0.2)
    ```
    """
    sigma = _check_sigmas([sigma])
    ll = _log_likelihoods(samples, test_data, sigma, batch_size, "test_data")[0]
    return float(ll.mean()), float(ll.std() / np.sqrt(len(ll)))


def select_parzen_sigma(
    samples, validation_data, sigmas=DEFAULT_SIGMAS, batch_size=DEFAULT_BATCH_SIZE
):
    """The `sigma` in `sigmas` maximising the validation log-likelihood.

    The distances are computed once and reused for every sigma.

    Example:

    ```python
    sigma = select_parzen_sigma(generated, x_valid)   # from logspace(-1, 0, 10)
    ```
    """
    sigmas = _check_sigmas(sigmas)
    ll = _log_likelihoods(samples, validation_data, sigmas, batch_size, "validation_data")
    return float(sigmas[int(np.argmax(ll.mean(axis=1)))])


def parzen_evaluation(
    samples,
    validation_data,
    test_data,
    sigmas=DEFAULT_SIGMAS,
    batch_size=DEFAULT_BATCH_SIZE,
):
    """The GAN-paper protocol: `sigma` chosen on validation, reported on test.

    Returns:
        `{"sigma": float, "log_likelihood": float, "standard_error": float}`.

    Example:

    ```python
    result = parzen_evaluation(generated, x_valid, x_test)
    print(f"{result['log_likelihood']:.0f} ± {result['standard_error']:.0f}")
    ```
    """
    sigma = select_parzen_sigma(samples, validation_data, sigmas, batch_size)
    ll, se = parzen_log_likelihood(samples, test_data, sigma, batch_size)
    return {"sigma": sigma, "log_likelihood": ll, "standard_error": se}


def _check_sigmas(sigmas):
    sigmas = as_float64(sigmas, "sigmas").reshape(-1)
    if sigmas.size == 0 or np.any(sigmas <= 0):
        raise ValueError(f"Parzen `sigma` values must be positive; got {sigmas}.")
    return sigmas


def _log_likelihoods(samples, data, sigmas, batch_size, data_name):
    """`(len(sigmas), len(data))` log-densities of `data` for each sigma."""
    s = as_rows(samples, "samples")
    x = as_rows(data, data_name)
    check_same_dim(s, x, "samples", data_name)
    batch_size = check_batch_size(batch_size)
    n, d = s.shape
    s_sq, x_sq = squared_norms(s), squared_norms(x)
    # The log-normaliser of each kernel plus the log of the 1/n average.
    log_norm = -np.log(n) - 0.5 * d * np.log(2.0 * np.pi * sigmas**2)
    out = np.empty((len(sigmas), len(x)))
    for rows in row_blocks(len(x), batch_size):
        dist = squared_distances(x[rows], s, x_sq[rows], s_sq)
        for i, sigma in enumerate(sigmas):
            out[i, rows] = scipy.special.logsumexp(-dist / (2.0 * sigma**2), axis=1)
    return out + log_norm[:, None]
