"""The gradient penalty of WGAN-GP (Gulrajani et al. 2017, Algorithm 1)."""

import keras
from keras import ops


def random_interpolates(real, fake, seed=None, epsilon=None):
    """x̂ = ε·x + (1 − ε)·x̃ with one ε ~ U[0, 1] per sample (not per value).

    Args:
        real, fake: batches of the same shape.
        seed: a `keras.random.SeedGenerator` (inside a traced train step) or
            an int.
        epsilon: the weights ε, shape `(batch, 1, ...)`, when drawn by the
            caller (e.g. outside a `keras.ops.switch` branch, where a random
            draw could not update the seed's state); `seed` is then unused.
    """
    from kerasgan.engine import distribution  # (kerasgan.engine imports losses)

    # numpy batches become backend tensors first: `ε * ndarray` would go
    # through numpy, which cannot read a tensor on a GPU (torch raises).
    real = ops.convert_to_tensor(real)
    fake = ops.convert_to_tensor(fake, dtype=real.dtype)
    if epsilon is not None:
        epsilon = ops.cast(epsilon, real.dtype)
        return epsilon * real + (1.0 - epsilon) * fake
    # Under a multi-replica TF strategy: this replica's rows of the global draw.
    epsilon = distribution.draw_batch(
        lambda n: keras.random.uniform(
            (n,) + (1,) * (len(real.shape) - 1), 0.0, 1.0, seed=seed, dtype=real.dtype
        ),
        ops.shape(real)[0],
    )
    return epsilon * real + (1.0 - epsilon) * fake


def safe_norm(x, axis):
    """‖x‖₂ along `axis`, with a zero (not NaN) gradient where x = 0.

    d√s/ds is infinite at s = 0; the double `where` keeps the untaken branch
    finite, so an exactly flat critic does not turn the update into NaN.
    """
    squared = ops.sum(ops.square(x), axis=axis)
    positive = squared > 0
    safe = ops.where(positive, squared, ops.ones_like(squared))
    return ops.where(positive, ops.sqrt(safe), ops.zeros_like(squared))


def gradient_penalty(critic, real, fake, seed=None, target=1.0, epsilon=None):
    """E[(‖∇_x̂ D(x̂)‖₂ − target)²] on random interpolates of real and fake.

    The two-sided penalty of Gulrajani et al. (2017), eq. 3 (target 1); the
    caller multiplies it by λ (10 in the paper). Input gradients come from
    the backend helper `kerasgan.engine.backend.input_gradient`, so the
    penalty can be differentiated again with respect to the critic.

    Args:
        critic: callable mapping a batch to one score per sample.
        real, fake: batches of the same shape (fake without gradient to G).
        seed: `SeedGenerator` or int for the interpolation weights.
        target: the gradient norm the penalty pulls towards.
        epsilon: interpolation weights drawn by the caller
            (`random_interpolates`).

    Returns:
        `(penalty, mean_gradient_norm)`.

    Example:

    ```python
    penalty, norm = gradient_penalty(
        lambda x: model.discriminator(x, training=True), real, fake, seed=7)
    loss = wasserstein_loss + 10.0 * penalty
    ```
    """
    from kerasgan.engine import backend  # (kerasgan.engine imports losses)

    interpolates = random_interpolates(real, fake, seed=seed, epsilon=epsilon)
    _, grads = backend.input_gradient(critic, interpolates)
    # The norm sums thousands of squares: in float32 also under a bfloat16 policy.
    grads = ops.cast(grads, "float32")
    norms = safe_norm(
        ops.reshape(grads, (ops.shape(grads)[0], -1)), axis=1
    )
    return ops.mean(ops.square(norms - target)), ops.mean(norms)
