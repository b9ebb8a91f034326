"""Multilayer perceptrons of Goodfellow et al. (2014)."""

import math

import keras

from kerasgan.layers.maxout import Maxout


def mlp_generator(
    data_shape,
    latent_dim=100,
    units=(1200, 1200),
    output_activation="tanh",
    name="generator",
):
    """ReLU hidden layers, then one unit per data value reshaped to `data_shape`.

    The paper's MNIST generator: 100 → 1200 → 1200 → 784 with a sigmoid
    output; kerasgan data lie in [-1, 1], hence tanh by default (`None` for
    unbounded toy data).
    """
    z = keras.Input((latent_dim,), name="latent")
    h = z
    for i, n in enumerate(units):
        h = keras.layers.Dense(n, activation="relu", name=f"dense_{i}")(h)
    size = math.prod(data_shape)
    h = keras.layers.Dense(size, activation=output_activation, name="output")(h)
    x = keras.layers.Reshape(tuple(data_shape), name="to_data_shape")(h)
    return keras.Model(z, x, name=name)


def mlp_discriminator(
    data_shape,
    units=(240, 240),
    pieces=5,
    input_dropout=0.2,
    dropout=0.5,
    name="discriminator",
):
    """Maxout hidden layers with dropout, one logit out (D(x) = sigmoid(logit)).

    The paper's MNIST discriminator: two maxout layers of 240 units × 5
    pieces, dropout (input keep 0.8, hidden keep 0.5).
    """
    x = keras.Input(tuple(data_shape), name="sample")
    h = keras.layers.Flatten(name="flatten")(x)
    if input_dropout:
        h = keras.layers.Dropout(input_dropout, name="input_dropout")(h)
    for i, n in enumerate(units):
        h = Maxout(n, pieces, name=f"maxout_{i}")(h)
        if dropout:
            h = keras.layers.Dropout(dropout, name=f"dropout_{i}")(h)
    logit = keras.layers.Dense(1, name="logit")(h)
    return keras.Model(x, logit, name=name)
