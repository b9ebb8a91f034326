"""Input gradients on the active backend, for tests that check a layer's
backward pass against numpy (tests/test_translation_layers.py,
tests/test_progan_layers.py)."""

import keras
import numpy as np
from keras import ops


def gradient(fn, x):
    """d sum(fn(x)) / dx as a numpy array (zeros where fn's output has no gradient)."""
    backend = keras.backend.backend()
    if backend == "tensorflow":
        import tensorflow as tf

        x = tf.convert_to_tensor(x)
        with tf.GradientTape() as tape:
            tape.watch(x)
            y = tf.reduce_sum(fn(x))
        g = tape.gradient(y, x)
        return np.zeros(x.shape, "float32") if g is None else g.numpy()
    if backend == "jax":
        import jax

        return np.asarray(jax.grad(lambda x: ops.sum(fn(x)))(x))
    import torch

    x = torch.tensor(x, requires_grad=True)
    y = fn(x).sum()
    if not y.requires_grad:
        return np.zeros(x.shape, "float32")
    y.backward()
    return x.grad.numpy()
