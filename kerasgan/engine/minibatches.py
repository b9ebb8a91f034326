"""Algorithm 1's k minibatches of one batch, shared by every variant with k
discriminator (critic) steps per generator step."""

from keras import ops


def split_batch(x, k):
    """k equal minibatches of a batch, or of each part of a tuple of batches
    (Algorithm 1's k discriminator minibatches); the remainder of n / k is
    left out.

    A batch of fewer than k samples (the last, short batch of an epoch) is
    cycled through: minibatch i is sample i mod n, so every step still sees
    data (an empty minibatch would give a NaN loss and NaN weights).
    """
    if x is None:
        return [None] * k
    if k == 1:
        return [x]
    if isinstance(x, (tuple, list)):
        return list(zip(*(split_batch(part, k) for part in x)))
    n = ops.shape(x)[0]
    if isinstance(n, int):
        if n >= k:
            m = n // k
            return [x[i * m : (i + 1) * m] for i in range(k)]
        return [x[i % n : i % n + 1] for i in range(k)]
    # A batch size only known when the step runs (TensorFlow graphs).
    m = ops.maximum(n // k, 1)
    return [ops.take(x, (ops.arange(m) + i * m) % n, axis=0) for i in range(k)]
