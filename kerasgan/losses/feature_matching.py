"""Feature matching (Salimans et al. 2016, §3.1)."""

from keras import ops


def feature_matching_loss(real_features, fake_features):
    """‖E f(x) − E f(G(z))‖² over a batch (Salimans et al. 2016, §3.1), in float32.

    Example:

    ```python
    loss = feature_matching_loss(features(real), features(generator(z)))
    ```
    """
    real_features = ops.cast(real_features, "float32")
    fake_features = ops.cast(fake_features, "float32")
    real_mean = ops.mean(ops.reshape(real_features, (ops.shape(real_features)[0], -1)), axis=0)
    fake_mean = ops.mean(ops.reshape(fake_features, (ops.shape(fake_features)[0], -1)), axis=0)
    return ops.sum(ops.square(real_mean - fake_mean))
