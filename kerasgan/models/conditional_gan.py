"""Conditional GAN: Mirza & Osindero (2014), "Conditional Generative Adversarial Nets"."""

import keras

from kerasgan.models.network_gan import NetworkGAN


@keras.saving.register_keras_serializable(package="kerasgan")
class ConditionalGAN(NetworkGAN):
    """G(z, y) and D(x, y): both networks see the one-hot class label (§3.2).

    `fit(x, y)` takes integer labels in [0, num_classes); generated samples
    in a discriminator step use the labels of the real minibatch.
    `generate(n, labels=...)` draws samples of the requested classes.

    Example:

    ```python
    x, y = kerasgan.data.load_fashion_mnist(with_labels=True)
    model = kerasgan.models.ConditionalGAN(data_shape=(28, 28, 1), num_classes=10)
    model.compile()
    model.fit(x, y, batch_size=64, epochs=1)
    boots = model.generate(16, labels=9, seed=0)
    ```
    """

    conditional = True
    requires_classes = True
    techniques = NetworkGAN.per_sample_techniques  # D judges (x, y) per sample
