"""BEGAN networks (Berthelot et al. 2017, §3.5): an autoencoder discriminator
and a generator with the decoder's architecture."""

import math

import keras

from kerasgan.nets.dcgan import dcgan_base_size


def _decoder(inputs, h, data_shape, filters, output_activation, prefix):
    """embedding → dense map → (2 conv ELU, ×2 nearest upsampling)* → output."""
    if len(data_shape) != 3:
        h = keras.layers.Dense(filters * 2, activation="elu", name=f"{prefix}_dense_0")(h)
        h = keras.layers.Dense(filters * 2, activation="elu", name=f"{prefix}_dense_1")(h)
        h = keras.layers.Dense(math.prod(data_shape), activation=output_activation, name=f"{prefix}_output")(h)
        return keras.layers.Reshape(tuple(data_shape), name=f"{prefix}_reshape")(h)
    size, steps = dcgan_base_size(data_shape)
    h = keras.layers.Dense(size * size * filters, name=f"{prefix}_project")(h)
    h = keras.layers.Reshape((size, size, filters), name=f"{prefix}_reshape")(h)
    for i in range(steps + 1):
        for j in range(2):
            h = keras.layers.Conv2D(filters, 3, padding="same", activation="elu", name=f"{prefix}_conv_{i}_{j}")(h)
        if i < steps:
            h = keras.layers.UpSampling2D(2, name=f"{prefix}_upsample_{i}")(h)
    return keras.layers.Conv2D(
        data_shape[-1], 3, padding="same", activation=output_activation, name=f"{prefix}_output"
    )(h)


def began_generator(data_shape=(28, 28, 1), latent_dim=64, filters=32, name="generator"):
    """z → the decoder architecture → tanh samples.

    Example: `g = began_generator((28, 28, 1), latent_dim=64)`.
    """
    z = keras.Input((latent_dim,), name="latent")
    return keras.Model(z, _decoder(z, z, data_shape, filters, "tanh", "decoder"), name=name)


def began_discriminator(data_shape=(28, 28, 1), embedding_dim=64, filters=32, name="discriminator"):
    """Autoencoder D(v) ≈ v: (2 conv ELU, strided conv)* → embedding → decoder.

    Example: `d = began_discriminator((28, 28, 1)); reconstruction = d(x)`.
    """
    x = keras.Input(tuple(data_shape), name="sample")
    if len(data_shape) != 3:
        h = keras.layers.Flatten(name="flatten")(x)
        h = keras.layers.Dense(filters * 2, activation="elu", name="encoder_dense_0")(h)
        h = keras.layers.Dense(filters * 2, activation="elu", name="encoder_dense_1")(h)
    else:
        _, steps = dcgan_base_size(data_shape)
        h = keras.layers.Conv2D(filters, 3, padding="same", activation="elu", name="encoder_input")(x)
        for i in range(steps + 1):
            width = filters * (i + 1)
            h = keras.layers.Conv2D(width, 3, padding="same", activation="elu", name=f"encoder_conv_{i}")(h)
            if i < steps:
                h = keras.layers.Conv2D(
                    width, 3, strides=2, padding="same", activation="elu", name=f"encoder_down_{i}"
                )(h)
        h = keras.layers.Flatten(name="flatten")(h)
    embedding = keras.layers.Dense(embedding_dim, name="embedding")(h)
    reconstruction = _decoder(x, embedding, data_shape, filters, None, "decoder")
    return keras.Model(x, reconstruction, name=name)
