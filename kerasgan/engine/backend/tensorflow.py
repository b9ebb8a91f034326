"""TensorFlow steps: gradients by `tf.GradientTape`."""

import tensorflow as tf


def train_step(model, data):
    return model.adversarial_step(data)


def take_step(model, player, loss_fn):
    variables = model.player_variables(player)
    with tf.GradientTape() as tape:
        loss, logs = loss_fn()
    grads = tape.gradient(loss, variables)
    model.player_optimizer(player).apply(grads, variables)
    return logs


def input_gradient(fn, x):
    """`(fn(x), d sum(fn(x)) / dx)`, differentiable again (nested tapes)."""
    x = tf.convert_to_tensor(x)
    with tf.GradientTape() as tape:
        tape.watch(x)
        outputs = fn(x)
        total = tf.reduce_sum(outputs)
    return outputs, tape.gradient(total, x)


# What `compile(jit_compile="auto")` means for kerasgan models. Keras leaves
# XLA off for TensorFlow on CPU; for these models it is faster (DCGAN-64:
# 54.6 vs 34.6 images/s, ../shared/NOTES.md; see benchmarks/).
AUTO_JIT_COMPILE = True

# How SubPixelConv2DTranspose(implementation="auto") computes on this backend.
# The native conv2d_transpose measured as fast or faster than the sub-pixel
# form here (benchmarks/upsampling_layer.py).
FAST_UPSAMPLING = "transpose"
