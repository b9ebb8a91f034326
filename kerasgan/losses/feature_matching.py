"""Feature matching (Salimans et al. 2016, §3.1)."""

from keras import ops


def feature_matching_loss(real_features, fake_features, real_weights=None):
    """‖E f(x) − E f(G(z))‖² over a batch (Salimans et al. 2016, §3.1), in float32.

    `real_weights` (one per real example) weighs the real mean, e.g. to
    match only the unlabelled examples of a semi-supervised batch.

    Example:

    ```python
    loss = feature_matching_loss(features(real), features(generator(z)))
    ```
    """
    real_features = ops.cast(real_features, "float32")
    fake_features = ops.cast(fake_features, "float32")
    real_features = ops.reshape(real_features, (ops.shape(real_features)[0], -1))
    if real_weights is None:
        real_mean = ops.mean(real_features, axis=0)
    else:
        weights = ops.reshape(ops.cast(real_weights, "float32"), (-1, 1))
        real_mean = ops.sum(real_features * weights, axis=0) / ops.maximum(ops.sum(weights), 1e-12)
    fake_mean = ops.mean(ops.reshape(fake_features, (ops.shape(fake_features)[0], -1)), axis=0)
    return ops.sum(ops.square(real_mean - fake_mean))
