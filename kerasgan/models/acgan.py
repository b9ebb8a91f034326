"""AC-GAN: Odena, Olah & Shlens (2017), "Conditional Image Synthesis with
Auxiliary Classifier GANs"."""

import keras
from keras import ops

from kerasgan.models.network_gan import NetworkGAN


def class_cross_entropy(labels, logits):
    """Mean softmax cross-entropy of integer labels under logits."""
    labels = ops.reshape(ops.cast(labels, "int32"), (-1,))
    return ops.mean(
        ops.sparse_categorical_crossentropy(labels, logits, from_logits=True)
    )


@keras.saving.register_keras_serializable(package="kerasgan")
class ACGAN(NetworkGAN):
    """G(z, c) and a discriminator with an auxiliary classifier head.

    D outputs a real/fake score and class logits (§3): it maximizes
    L_S + L_C, G maximizes L_C − L_S, where L_S is the log-likelihood of the
    right source and L_C of the right class, on real and generated samples.
    Here: D's loss is the adversarial loss plus the class cross-entropy of
    real and generated samples; G's is its adversarial loss plus the class
    cross-entropy of its samples.

    Args:
        class_loss_weight: weight of the class cross-entropy terms.
        **kwargs: `NetworkGAN` arguments; `num_classes` is required.

    Example:

    ```python
    model = kerasgan.models.ACGAN(data_shape=(28, 28, 1), num_classes=10)
    model.compile()
    model.fit(x, y, batch_size=64, epochs=1)
    predicted = model.classify(x[:10])   # D's class head as a classifier
    ```
    """

    metric_names = ("d_loss", "g_loss", "d_real", "d_fake", "d_class_loss", "g_class_loss", "real_accuracy")
    requires_classes = True
    techniques = NetworkGAN.per_sample_techniques  # D judges (x, y) per sample
    auxiliary_uses_generator_outputs = True

    def __init__(self, class_loss_weight=1.0, **kwargs):
        self.class_loss_weight = float(class_loss_weight)
        super().__init__(**kwargs)

    def build_generator(self, data_shape, latent_dim, width):
        self.conditional = True  # G sees the label; D does not
        try:
            return super().build_generator(data_shape, latent_dim, width)
        finally:
            self.conditional = False

    def discriminator_options(self):
        return {"class_outputs": self.num_classes}

    def generator_inputs(self, latent, labels=None):
        return [latent, self.one_hot(labels)]

    def adversarial_output(self, outputs):
        return outputs[0]

    def auxiliary_loss(self, player, real_outputs, fake_outputs, labels):
        fake_loss = class_cross_entropy(labels, fake_outputs[1])
        if player == "generator":
            return self.class_loss_weight * fake_loss, {"g_class_loss": fake_loss}
        real_loss = class_cross_entropy(labels, real_outputs[1])
        predicted = ops.argmax(real_outputs[1], axis=-1)
        accuracy = ops.mean(
            ops.cast(predicted == ops.reshape(ops.cast(labels, "int32"), (-1,)), "float32")
        )
        return self.class_loss_weight * (real_loss + fake_loss), {
            "d_class_loss": real_loss + fake_loss,
            "real_accuracy": accuracy,
        }

    def classify(self, x, batch_size=256):
        """Class predictions of D's auxiliary classifier for samples `x`."""
        logits = self.discriminator.predict(x, batch_size=batch_size, verbose=0)[1]
        return logits.argmax(axis=-1)

    def get_config(self):
        return {**super().get_config(), "class_loss_weight": self.class_loss_weight}
