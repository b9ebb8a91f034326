"""Inception Score (Salimans et al., "Improved Techniques for Training
GANs", NeurIPS 2016, Section 4):

    IS = exp(E_x KL(p(y|x) || p(y)))

computed on `splits` equal parts of the samples, with the marginal `p(y)`
estimated within each part; the mean and standard deviation over the parts
are reported, as in the authors' released code.
"""

import numpy as np
import scipy.special

from kerasgan.metrics._utils import as_float64


def inception_score(probabilities, splits=10, from_logits=False, atol=1e-3):
    """Inception Score of class predictions `p(y|x)` for generated samples.

    Args:
        probabilities: `(n, num_classes)` class probabilities (rows sum to
            1), e.g. softmax outputs of an Inception network; or logits
            with `from_logits=True`.
        splits: Number of parts the `n` samples are split into (10 in the
            paper); needs `n >= splits`.
        from_logits: Apply a numerically stable softmax to the rows first.
        atol: Tolerance on `|row sum - 1|` for probabilities. Rows within
            it are renormalised to sum to exactly 1.

    Returns:
        `(mean, std)` over the splits, as Python floats (`std` with
        `ddof=0`, as in the reference code). The score lies in
        `[1, num_classes]`.

    Example:

    ```python
    probs = classifier.predict(generated_images)     # (50000, 1000)
    mean, std = inception_score(probs, splits=10)
    ```
    """
    p = as_float64(probabilities, "probabilities")
    if p.ndim != 2:
        raise ValueError(
            f"`probabilities` must have shape (n, num_classes); got {p.shape}."
        )
    n, num_classes = p.shape
    if num_classes < 1:
        raise ValueError(f"`probabilities` has no classes (shape {p.shape}).")
    if int(splits) != splits or splits < 1:
        raise ValueError(f"`splits` must be a positive integer; got {splits!r}.")
    splits = int(splits)
    if n < splits:
        raise ValueError(
            f"Need at least `splits`={splits} samples; got {n}. The paper uses "
            "50,000 samples in 10 splits."
        )
    if from_logits:
        p = scipy.special.softmax(p, axis=1)
    else:
        negative = int(np.count_nonzero(p < 0))
        if negative:
            raise ValueError(
                f"`probabilities` has {negative} negative value(s); pass "
                "`from_logits=True` for logits."
            )
        sums = p.sum(axis=1)
        bad = np.abs(sums - 1.0) > atol
        if np.any(bad):
            i = int(np.argmax(bad))
            raise ValueError(
                f"{int(bad.sum())} row(s) of `probabilities` do not sum to 1 "
                f"(within atol={atol}); e.g. row {i} sums to {sums[i]:.6g}. Pass "
                "`from_logits=True` for logits."
            )
        p = p / sums[:, None]

    scores = []
    for k in range(splits):
        part = p[k * n // splits : (k + 1) * n // splits]
        marginal = part.mean(axis=0, keepdims=True)
        # rel_entr(p, q) = p log(p / q), and 0 where p == 0.
        kl = scipy.special.rel_entr(part, marginal).sum(axis=1)
        scores.append(np.exp(kl.mean()))
    return float(np.mean(scores)), float(np.std(scores))
