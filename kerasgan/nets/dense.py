"""Fully connected networks for low-dimensional data (2-D mixtures, toy sets)."""

import math

import keras

from kerasgan.nets import options


def dense_generator(
    data_shape=(2,),
    latent_dim=2,
    units=(128, 128),
    output_activation=None,
    num_classes=None,
    name="generator",
):
    """z [+ one-hot label] → (Dense, ReLU)* → Dense reshaped to `data_shape`.

    Example: `g = dense_generator((2,), latent_dim=2, units=(128, 128))`.
    """
    inputs, h = options.latent_inputs(latent_dim, num_classes)
    for i, n in enumerate(units):
        h = keras.layers.Dense(n, activation="relu", name=f"dense_{i}")(h)
    h = keras.layers.Dense(math.prod(data_shape), activation=output_activation, name="output")(h)
    x = keras.layers.Reshape(tuple(data_shape), name="to_data_shape")(h)
    return keras.Model(inputs, x, name=name)


def dense_discriminator(
    data_shape=(2,),
    units=(128, 128),
    normalization=None,
    spectral_normalization=False,
    minibatch_discrimination=None,
    outputs=1,
    class_outputs=None,
    num_classes=None,
    name="discriminator",
):
    """[sample, one-hot label] → (Dense, [norm], LeakyReLU 0.2)* → score(s).

    The options mean what they mean for `dcgan_discriminator`.

    Example: `d = dense_discriminator((2,), minibatch_discrimination=(5, 3))`.
    """
    options.check_normalization(normalization)
    x = keras.Input(tuple(data_shape), name="sample")
    inputs = x
    h = keras.layers.Flatten(name="flatten")(x)
    num_classes = options.check_classes(num_classes, "num_classes")
    if num_classes:
        label = options.label_input(num_classes)
        inputs = [x, label]
        h = keras.layers.Concatenate(name="sample_and_label")([h, label])
    for i, n in enumerate(units):
        h = options.maybe_spectral(keras.layers.Dense(n, name=f"dense_{i}"), spectral_normalization)(h)
        layer = options.normalization_layer(normalization, name=f"norm_{i}")
        if layer is not None:
            h = layer(h)
        h = keras.layers.LeakyReLU(0.2, name=f"lrelu_{i}")(h)
    out = options.discriminator_head(
        h, outputs, class_outputs, minibatch_discrimination, spectral_normalization, "glorot_uniform"
    )
    return keras.Model(inputs, out, name=name)
