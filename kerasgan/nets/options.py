"""Discriminator options shared by the network builders.

The variants of the GAN family mostly change the discriminator: its
normalization (none for WGAN-GP's critic, Gulrajani et al. 2017, §4;
spectral for SNGAN), extra minibatch features (Salimans et al. 2016, §3.2),
its outputs (one score, K + 1 classes, a class head) and whether it sees the
class label.
"""

import keras

NORMALIZATIONS = ("batch", "layer", None)


def check_normalization(normalization):
    if normalization not in NORMALIZATIONS:
        raise ValueError(
            f"normalization must be 'batch', 'layer' or None; got {normalization!r}."
        )


def normalization_layer(normalization, name):
    if normalization == "batch":
        return keras.layers.BatchNormalization(
            gamma_initializer=keras.initializers.RandomNormal(1.0, 0.02), name=name
        )
    if normalization == "layer":
        return keras.layers.LayerNormalization(name=name)
    return None


def maybe_spectral(layer, spectral_normalization):
    """Wraps a Dense/Conv layer in `SpectralNormalization` when asked."""
    if not spectral_normalization:
        return layer
    from kerasgan.layers import SpectralNormalization

    return SpectralNormalization(layer, name=f"sn_{layer.name}")


def check_classes(num_classes, name):
    if num_classes is None:
        return None
    if isinstance(num_classes, bool) or int(num_classes) != num_classes or num_classes < 2:
        raise ValueError(f"{name} must be an integer >= 2 or None; got {num_classes!r}.")
    return int(num_classes)


def discriminator_head(
    h, outputs, class_outputs, minibatch_discrimination, spectral_normalization, init, use_bias=True
):
    """Flat features → [minibatch features] → score(s) [, class logits]."""
    if minibatch_discrimination:
        from kerasgan.layers import MinibatchDiscrimination

        kernels, dim = minibatch_discrimination
        h = MinibatchDiscrimination(int(kernels), int(dim), name="minibatch_discrimination")(h)
    score = maybe_spectral(
        keras.layers.Dense(outputs, use_bias=use_bias, kernel_initializer=init, name="logit"), spectral_normalization
    )(h)
    if not class_outputs:
        return score
    classes = maybe_spectral(
        keras.layers.Dense(
            class_outputs, use_bias=use_bias, kernel_initializer=init, name="class_logits"
        ),
        spectral_normalization,
    )(h)
    return [score, classes]


def label_input(num_classes):
    """A one-hot label input for class-conditional networks."""
    return keras.Input((num_classes,), name="label")


def latent_inputs(latent_dim, num_classes=None):
    """A generator's inputs and first tensor: z, or (z, label) concatenated."""
    z = keras.Input((latent_dim,), name="latent")
    num_classes = check_classes(num_classes, "num_classes")
    if not num_classes:
        return z, z
    label = label_input(num_classes)
    return [z, label], keras.layers.Concatenate(name="latent_and_label")([z, label])
