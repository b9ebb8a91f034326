"""LSGAN: Mao et al. (2017), "Least Squares Generative Adversarial Networks"."""

import keras

from kerasgan.losses.least_squares import LeastSquaresLoss
from kerasgan.models.network_gan import NetworkGAN


@keras.saving.register_keras_serializable(package="kerasgan")
class LSGAN(NetworkGAN):
    """GAN with least-squares losses and a linear discriminator output.

    `a`, `b`, `c` are the fake label, the real label and the value G wants D
    to give its samples: `(0, 1, 1)` is the paper's 0-1 coding (eq. 9, the
    default), `(-1, 1, 0)` the coding that minimizes the Pearson χ²
    divergence (eq. 8). `compile()` uses this loss unless given another.

    Example:

    ```python
    model = kerasgan.models.LSGAN(data_shape=(28, 28, 1), a=-1, b=1, c=0)
    model.compile()
    model.fit(kerasgan.data.load_fashion_mnist(), batch_size=64, epochs=1)
    ```
    """

    def __init__(self, a=0.0, b=1.0, c=1.0, **kwargs):
        self.coding = LeastSquaresLoss(a, b, c)
        super().__init__(**kwargs)

    @property
    def default_loss(self):
        return LeastSquaresLoss(**self.coding.get_config())

    def get_config(self):
        return {**super().get_config(), **self.coding.get_config()}
