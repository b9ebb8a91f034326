"""Algorithm 1's k minibatches of one batch, shared by every variant with k
discriminator (critic) steps per generator step."""

import numpy as np
from keras import ops


def split_batch(x, k, minimum=1):
    """k equal minibatches of a batch, or of each part of a tuple of batches
    (Algorithm 1's k discriminator minibatches); the remainder of n / k is
    left out.

    A batch too short to give every minibatch `minimum` samples (the last,
    short batch of an epoch; `minimum` is the pack size m of a packed
    discriminator) is cycled through: minibatch i holds samples
    i·m′ … (i+1)·m′ − 1 mod n, m′ = max(n // k, minimum), so every step still
    sees data (an empty minibatch would give a NaN loss and NaN weights). Its
    steps are then on fewer distinct samples, one each when n < k.
    """
    if x is None:
        return [None] * k
    if isinstance(x, (tuple, list)):
        return list(zip(*(split_batch(part, k, minimum) for part in x)))
    n = ops.shape(x)[0]
    if isinstance(n, int):
        m = max(n // k, minimum)
        if k * m <= n:
            return [x] if k == 1 else [x[i * m : (i + 1) * m] for i in range(k)]
        return [ops.take(x, np.arange(i * m, (i + 1) * m) % n, axis=0) for i in range(k)]
    # A batch size only known when the step runs (TensorFlow graphs).
    if k == 1 and minimum == 1:
        return [x]
    m = ops.maximum(n // k, minimum)
    return [ops.take(x, (ops.arange(m) + i * m) % n, axis=0) for i in range(k)]
