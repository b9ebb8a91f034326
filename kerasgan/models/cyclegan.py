"""CycleGAN: Zhu, Park, Isola & Efros (2017), "Unpaired Image-to-Image
Translation using Cycle-Consistent Adversarial Networks"."""

import numpy as np
import keras
from keras import ops

from kerasgan import losses as losses_module
from kerasgan.engine import validation
from kerasgan.engine.adversarial_model import AdversarialModel
from kerasgan.layers.image_pool import ImagePool
from kerasgan.losses.least_squares import LeastSquaresLoss
from kerasgan.nets.patchgan import patchgan_discriminator
from kerasgan.nets.resnet import resnet_generator
from kerasgan.schedules.linear_decay import LinearDecay

DIRECTIONS = ("a_to_b", "b_to_a")


def l1(x, y):
    """mean |x − y| (the cycle and identity losses, §3.2 and §5.2)."""
    return ops.mean(ops.abs(ops.cast(x, "float32") - ops.cast(y, "float32")))


@keras.saving.register_keras_serializable(package="kerasgan")
class CycleGAN(AdversarialModel):
    """Two generators G: A → B, F: B → A and two discriminators, trained on
    unpaired images of two domains.

    The full objective (§3.3, eq. 3) with the official code's terms:

        L_G = L_GAN(G, D_B) + L_GAN(F, D_A)
              + λ (‖F(G(a)) − a‖₁ + ‖G(F(b)) − b‖₁)                   (cycle, eq. 2)
              + λ·λ_id (‖G(b) − b‖₁ + ‖F(a) − a‖₁)                    (identity, §5.2)
        L_D = L_D(D_A; a, pool_A(F(b))) + L_D(D_B; b, pool_B(G(a)))

    with the least-squares GAN loss (§4: real target 1, fake 0; the
    generators' term E[(D(G(a)) − 1)²] as the official code's MSE, D's
    ½(E[(D(b) − 1)²] + E[D(pool)²])), λ = 10, λ_id = 0.5. Each iteration
    updates the generators first, then both discriminators on images drawn
    through a 50-image history of generated images per domain (§4,
    `kerasgan.layers.ImagePool`), the fakes made before the generators'
    update (as the official code). The players are `"generators"` (G and F,
    one optimizer) and `"discriminators"` (D_A and D_B, one optimizer);
    `reference_optimizers(steps)` gives the paper's Adam(2e-4, β₁ = 0.5)
    with the learning rate constant for half the steps and decaying
    linearly to zero over the other half.

    Train with `fit(a, b)` (two arrays of the same length, or shuffle them
    yourself), `fit((a, b))`, or a dataset of `(a_batch, b_batch)` pairs
    such as `kerasgan.data.UnpairedBatches(a, b, batch_size)` (unpaired:
    each epoch pairs them anew).

    Args:
        image_shape: `(height, width, channels)` of both domains' images
            (height and width divisible by 2**generator_downsamplings and at
            least 4·2**generator_downsamplings: 4 and 16 at the default 2).
        generator_filters: base filters of the ResNet generators (64).
        residual_blocks: residual blocks per generator (9 at 256×256, 6 at
            128×128 in the paper).
        discriminator_filters: base filters of the PatchGAN discriminators.
        discriminator_layers: stride-2 layers of the PatchGAN (3: the
            70×70 receptive field; fewer for small images, see
            `kerasgan.nets.patchgan_receptive_field`).
        generator_downsamplings: the generators' stride-2 convolutions, and
            as many transposed ones back (2, the paper's d128, d256);
            `resnet_generator`'s `downsamplings`.
        normalization: `"instance"` (the paper), `"batch"` or None.
        loss: adversarial loss name or `AdversarialLoss` ("least_squares").
        cycle_weight: λ.
        identity_weight: λ_id, relative to λ (0 turns the identity loss off).
        pool_size: images in each domain's history (50); at least 1.
        seed: seed of the pools' random draws.
        data_range: as `AdversarialModel`.

    Example:

    ```python
    a, b = kerasgan.data.load_domain_task("fashion_mnist_edges")
    model = kerasgan.models.CycleGAN(image_shape=(28, 28, 1), generator_filters=16,
                                     residual_blocks=3, discriminator_layers=2)
    model.compile(optimizers=model.reference_optimizers(steps=2000))
    model.fit(kerasgan.data.UnpairedBatches(a, b, batch_size=8), epochs=1)
    edges = model.translate(a[:16], "a_to_b")
    ```
    """

    players = {
        "generators": ("generator_ab", "generator_ba"),
        "discriminators": ("discriminator_a", "discriminator_b"),
    }
    metric_names = (
        "g_loss", "d_loss", "adversarial_ab", "adversarial_ba", "cycle_a", "cycle_b",
        "identity_a", "identity_b", "d_a", "d_b",
    )
    loss_logs = {"generators": "g_loss", "discriminators": "d_loss"}
    # None of the engine's techniques: the generators' step differentiates
    # through the outputs of their kept forward pass, which a cost on their
    # weights (historical averaging) would bypass; there is no latent vector
    # (EMA sampling, feature matching) and the gradient penalty is WGAN-GP's.
    techniques = ()

    def __init__(
        self,
        image_shape=(256, 256, 3),
        generator_filters=64,
        residual_blocks=9,
        discriminator_filters=64,
        discriminator_layers=3,
        generator_downsamplings=2,
        normalization="instance",
        loss="least_squares",
        cycle_weight=10.0,
        identity_weight=0.5,
        pool_size=50,
        seed=None,
        data_range=(-1.0, 1.0),
        **kwargs,
    ):
        self.image_shape = image_shape = validation.image_shape(image_shape, "CycleGAN", "(256, 256, 3)")
        self.cycle_weight = validation.non_negative(cycle_weight, "cycle_weight") or 0.0
        self.identity_weight = validation.non_negative(identity_weight, "identity_weight") or 0.0
        self.adversarial_loss = losses_module.get(loss)
        # The official code's generator term is MSE(D(G(a)), 1), twice
        # LeastSquaresLoss.generator_loss (which has LSGAN's ½).
        self.generator_adversarial_scale = (
            2.0 if isinstance(self.adversarial_loss, LeastSquaresLoss) else 1.0
        )
        self.hyperparameters = {
            "image_shape": image_shape,
            "generator_filters": int(generator_filters),
            "residual_blocks": int(residual_blocks),
            "discriminator_filters": int(discriminator_filters),
            "discriminator_layers": int(discriminator_layers),
            "generator_downsamplings": int(generator_downsamplings),
            "normalization": normalization,
            "loss": losses_module.serialize(self.adversarial_loss),
            "cycle_weight": self.cycle_weight,
            "identity_weight": self.identity_weight,
            "pool_size": pool_size,
        }

        def generator(name):
            return resnet_generator(
                image_shape, generator_filters, residual_blocks,
                normalization=normalization, downsamplings=generator_downsamplings, name=name,
            )

        def discriminator(name):
            return patchgan_discriminator(
                image_shape, discriminator_filters, discriminator_layers,
                normalization=normalization, name=name,
            )

        super().__init__(
            {
                "generator_ab": generator("generator_ab"),
                "generator_ba": generator("generator_ba"),
                "discriminator_a": discriminator("discriminator_a"),
                "discriminator_b": discriminator("discriminator_b"),
            },
            seed=seed,
            data_range=data_range,
            **kwargs,
        )
        seeds = (None, None) if seed is None else (int(seed) + 1, int(seed) + 2)
        self.pool_a = ImagePool(pool_size, seed=seeds[0], name="pool_a")
        self.pool_b = ImagePool(pool_size, seed=seeds[1], name="pool_b")
        for pool in (self.pool_a, self.pool_b):
            pool.build((None, *image_shape))

    # ---------------------------------------------------------------- compile
    def default_optimizer(self, player):
        """Adam(2e-4, β = (0.5, 0.999)) (§4) for both players."""
        return keras.optimizers.Adam(learning_rate=2e-4, beta_1=0.5, beta_2=0.999)

    def reference_optimizers(self, steps, learning_rate=2e-4, steps_per_period=1):
        """The paper's optimizers for a run of `steps` iterations: Adam(lr,
        β₁ = 0.5), lr constant for the first half and decaying linearly to
        zero over the second (§4; `kerasgan.schedules.LinearDecay`, in
        periods of `steps_per_period` iterations, e.g. the steps per epoch)."""
        periods = max(1, int(steps) // int(steps_per_period))
        constant = periods - periods // 2
        return {
            player: keras.optimizers.Adam(
                LinearDecay(learning_rate, constant, periods - constant, steps_per_period),
                beta_1=0.5,
                beta_2=0.999,
            )
            for player in self.players
        }

    # ---------------------------------------------------------------- data
    def check_data(self, x, y=None):
        batches = validation.first_domain_batches(x, y)
        if batches is None:
            return
        if len(batches) != 2:
            raise ValueError(
                f"CycleGAN trains on two domains: fit(a, b), fit((a, b)) or a dataset "
                f"of (a_batch, b_batch) pairs such as kerasgan.data.UnpairedBatches; "
                f"got {len(batches)} array(s)."
            )
        for name, batch in zip("AB", batches):
            try:
                validation.check_training_data(batch, self.image_shape, self.data_range)
            except ValueError as error:
                raise ValueError(f"Domain {name}: {error}") from None

    def unpack_domains(self, data):
        x, y, _ = keras.utils.unpack_x_y_sample_weight(data)
        if y is None:
            x, y = x
        return ops.cast(x, self.compute_dtype), ops.cast(y, self.compute_dtype)

    # ---------------------------------------------------------------- training
    def adversarial_step(self, data):
        real_a, real_b = self.unpack_domains(data)
        # The generators' forward pass, kept for their backward pass; its
        # fakes then feed the discriminators (made before G's update).
        translations, pullback = self.forward_with_pullback(
            "generators", lambda: self.translations(real_a, real_b)
        )
        self.take_step_through(
            "generators", translations, pullback,
            lambda t: self.generator_loss(real_a, real_b, t),
        )
        fake_b, fake_a = translations[0], translations[1]
        self.take_step(
            "discriminators",
            lambda: self.discriminator_loss(
                real_a, real_b, self.pool_a(fake_a), self.pool_b(fake_b)
            ),
        )
        return self.metrics_result()

    def translations(self, real_a, real_b):
        """(G(a), F(b), F(G(a)), G(F(b))[, G(b), F(a)]): every generator
        output the generators' loss reads."""
        fake_b = self.generator_ab(real_a, training=True)
        fake_a = self.generator_ba(real_b, training=True)
        outputs = (
            fake_b,
            fake_a,
            self.generator_ba(fake_b, training=True),
            self.generator_ab(fake_a, training=True),
        )
        if self.identity_weight and self.cycle_weight:
            outputs += (
                self.generator_ab(real_b, training=True),
                self.generator_ba(real_a, training=True),
            )
        return outputs

    def discriminate(self, discriminator, images):
        return ops.cast(discriminator(images, training=True), "float32")

    def generator_loss(self, real_a, real_b, translations):
        fake_b, fake_a, cycled_a, cycled_b = translations[:4]
        scale = self.generator_adversarial_scale
        adversarial_ab = scale * self.adversarial_loss.generator_loss(
            self.discriminate(self.discriminator_b, fake_b)
        )
        adversarial_ba = scale * self.adversarial_loss.generator_loss(
            self.discriminate(self.discriminator_a, fake_a)
        )
        cycle_a, cycle_b = l1(cycled_a, real_a), l1(cycled_b, real_b)
        loss = adversarial_ab + adversarial_ba + self.cycle_weight * (cycle_a + cycle_b)
        logs = {
            "adversarial_ab": adversarial_ab,
            "adversarial_ba": adversarial_ba,
            "cycle_a": cycle_a,
            "cycle_b": cycle_b,
        }
        if len(translations) == 6:
            # G should leave B images as they are, F A images (§5.2).
            identity_b, identity_a = l1(translations[4], real_b), l1(translations[5], real_a)
            loss = loss + self.cycle_weight * self.identity_weight * (identity_a + identity_b)
            logs.update(identity_a=identity_a, identity_b=identity_b)
        return loss, logs

    def discriminator_loss(self, real_a, real_b, pooled_a, pooled_b):
        d_a = self.adversarial_loss.discriminator_loss(
            self.discriminate(self.discriminator_a, real_a),
            self.discriminate(self.discriminator_a, pooled_a),
        )
        d_b = self.adversarial_loss.discriminator_loss(
            self.discriminate(self.discriminator_b, real_b),
            self.discriminate(self.discriminator_b, pooled_b),
        )
        return d_a + d_b, {"d_a": d_a, "d_b": d_b}

    # ---------------------------------------------------------------- use
    def call(self, images, training=False):
        return self.generator_ab(images, training=training)

    def translate(self, images, direction="a_to_b", batch_size=64):
        """G(images) (`"a_to_b"`) or F(images) (`"b_to_a"`), as numpy."""
        if direction not in DIRECTIONS:
            raise ValueError(
                f"direction must be one of {DIRECTIONS}; got {direction!r}."
            )
        images = validation.image_batch(images, self.image_shape)
        generator = self.generator_ab if direction == "a_to_b" else self.generator_ba
        if len(images) <= batch_size:
            return ops.convert_to_numpy(ops.cast(generator(images, training=False), "float32"))
        # Compiled once per generator (Keras caches its predict function).
        return generator.predict(images, batch_size=batch_size, verbose=0).astype("float32")

    def preview(self, examples):
        """Rows A, G(A), F(G(A)), B, F(B), G(F(B)) for `examples = (a, b)`
        (`kerasgan.callbacks.PreviewGrid`); returns `(images, rows)`."""
        a, b = (np.asarray(e, dtype="float32") for e in examples)
        n = min(len(a), len(b))
        a, b = a[:n], b[:n]
        fake_b, fake_a = self.translate(a, "a_to_b"), self.translate(b, "b_to_a")
        rows = [a, fake_b, self.translate(fake_b, "b_to_a"), b, fake_a, self.translate(fake_a, "a_to_b")]
        return np.concatenate(rows, axis=0), len(rows)

    # ---------------------------------------------------------------- config
    def get_config(self):
        return {**super().get_config(), **self.hyperparameters}

    @classmethod
    def from_config(cls, config, custom_objects=None):
        config = dict(config)
        if isinstance(config.get("loss"), dict):
            config["loss"] = losses_module.get(config["loss"])
        return cls(**config)
