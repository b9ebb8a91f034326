"""SNGAN: Miyato et al. (2018), "Spectral Normalization for GANs"."""

import keras

from kerasgan.models.network_gan import NetworkGAN


@keras.saving.register_keras_serializable(package="kerasgan")
class SNGAN(NetworkGAN):
    """GAN whose discriminator layers are spectrally normalized.

    Every conv and dense layer of the built discriminator is wrapped in
    `kerasgan.layers.SpectralNormalization`: the forward pass uses W / σ(W),
    σ estimated by one power iteration per training step with a persistent
    vector u, gradients flowing through σ (§2.1). No batch normalization in
    D. Default loss: hinge (the paper's best); Adam(2e-4, β₁ = 0.5, β₂ =
    0.999), one D step per G step.

    Example:

    ```python
    model = kerasgan.models.SNGAN(data_shape=(32, 32, 3))
    model.compile()                     # hinge loss
    model.compile(loss="non_saturating")   # or the paper's other loss
    ```
    """

    default_loss = "hinge"

    def discriminator_options(self):
        return {"normalization": None, "spectral_normalization": True}
