"""The latent-vector GAN: a generator of samples from noise and a
discriminator, trained by Goodfellow et al. (2014), Algorithm 1."""

import numpy as np
import keras
from keras import ops

from kerasgan import losses as losses_module
from kerasgan.engine import distribution
from kerasgan.engine import validation
from kerasgan.engine.adversarial_model import TECHNIQUES
from kerasgan.engine.adversarial_model import AdversarialModel
from kerasgan.engine.minibatches import split_batch
from kerasgan.engine.packing import check_packing
from kerasgan.engine.packing import pack_samples
from kerasgan.engine.packing import unpacked_shape
from kerasgan.losses.feature_matching import feature_matching_loss


@keras.saving.register_keras_serializable(package="kerasgan")
class LatentGAN(AdversarialModel):
    """A generator and a discriminator trained against each other with `fit`.

    Each training iteration follows Goodfellow et al. (2014), Algorithm 1:
    `discriminator_steps` (k) discriminator updates, each on its own
    minibatch of real data, then one generator update. The batch that `fit`
    passes in is split into those k minibatches (with k = 1, one minibatch is
    the whole batch). The players are `"discriminator"` and `"generator"`.

    Variants reuse this loop. They differ by their networks, their
    `AdversarialLoss`, and by overriding hooks: `generator_inputs` and
    `discriminator_inputs` (what the networks are called on, e.g. with
    class labels), `adversarial_output` (the part of D's output that the
    adversarial loss sees), `auxiliary_loss` (extra terms such as a class
    loss), `discriminator_loss` / `generator_loss` (each returns
    `(loss, logs)`), and `metric_names`. Backend-specific code lives only
    in `kerasgan.engine.backend`.

    Training techniques are constructor options that the engine applies
    around the variant's losses (`discriminator_objective`,
    `generator_objective`), so a variant that overrides its losses keeps
    them: a gradient penalty on D (Gulrajani et al. 2017), feature matching
    for G and historical averaging for both players (Salimans et al. 2016,
    §3.1, §3.3), an exponential moving average of G's weights used for
    sampling (Yazıcı et al. 2019), and packing: D judges m samples at once
    (Lin et al. 2018). A variant that cannot apply one leaves it
    out of its `techniques` and the option raises. Label smoothing, k
    discriminator steps and TTUR (separate learning rates, Heusel et al.
    2017) are `compile`/constructor settings.

    Args:
        generator: a `keras.Model` mapping latent vectors
            `(batch, latent_dim)` to samples.
        discriminator: a `keras.Model` mapping samples to one output per
            sample (logits for the log-likelihood losses).
        latent_dim: size of the latent vector; read from the generator's
            input shape when omitted.
        discriminator_steps: k, discriminator updates per generator update.
        data_range: `(low, high)` that real samples must lie in, checked on
            the data given to `fit`; `None` disables the check.
        latent_distribution: `"normal"` (N(0, 1)) or `"uniform"` (U[-1, 1]).
        seed: seed of the model's `SeedGenerator` (latent sampling).
        gradient_penalty: λ of the gradient penalty
            λ·E[(‖∇D(x̂)‖₂ − 1)²] added to D's loss (`None` or 0: none).
        feature_matching: train G to match the mean of a D layer's features
            on real and generated data instead of the adversarial generator
            loss (Salimans et al. 2016, §3.1): a layer name of the
            discriminator, or `True` for the layer before its output.
        historical_averaging: weight w of w·‖θ − θ̄‖² added to both players'
            losses, θ̄ the mean of the player's past parameters.
        generator_ema: decay β of an exponential moving average of the
            generator's weights, updated after every generator step; when set,
            `generate` samples from the averaged generator.
        packing: m, the number of samples the discriminator judges together
            (PacGAN, Lin et al. 2018, §3): every batch of real or generated
            samples reaches D as packs of m samples concatenated along the
            last axis (`kerasgan.engine.packing.pack_samples`), so D must
            take inputs of shape `packed_shape(data_shape, m)` (the built-in
            variants build it so). `None` or 1: no packing.
        reuse_fakes: the generator step scores the fakes made for the last
            discriminator step (the same latent vectors and the same forward
            pass of G, kept for G's backward pass) instead of drawing fresh
            ones, as the PyTorch DCGAN example does: one forward pass of G
            fewer per iteration. G's weights do not change in between, so
            its loss and gradients are those of a fresh forward pass on those
            latent vectors; G's batch-norm moving statistics are updated once
            per iteration instead of twice. Default False (Goodfellow et al.
            2014, Algorithm 1: fresh noise for the generator step).

    Example:

    ```python
    model = kerasgan.models.DCGAN(image_shape=(28, 28, 1))
    model.compile(loss="non_saturating")
    model.fit(images, batch_size=64, epochs=5)
    samples = model.generate(16, seed=0)
    ```
    """

    players = {"discriminator": ("discriminator",), "generator": ("generator",)}
    metric_names = ("d_loss", "g_loss", "d_real", "d_fake")
    loss_logs = {"discriminator": "d_loss", "generator": "g_loss"}
    techniques = tuple(TECHNIQUES)
    network_keys = ("generator", "discriminator")
    num_classes = None  # class-conditional variants set the number of classes
    allows_unlabelled = False  # semi-supervised: label -1 marks unlabelled data
    default_loss = "non_saturating"
    # Whether D's output (its `adversarial_output`) is the score the
    # adversarial loss is computed from (BEGAN's autoencoder D: no).
    uses_adversarial_loss = True

    def __init__(
        self,
        generator,
        discriminator,
        latent_dim=None,
        discriminator_steps=1,
        data_range=(-1.0, 1.0),
        latent_distribution="normal",
        seed=None,
        gradient_penalty=None,
        feature_matching=None,
        historical_averaging=None,
        generator_ema=None,
        reuse_fakes=False,
        packing=None,
        **kwargs,
    ):
        # Read by log_names() while the engine builds its trackers.
        self.gradient_penalty = validation.non_negative(gradient_penalty, "gradient_penalty")
        super().__init__(
            {"generator": generator, "discriminator": discriminator},
            seed=seed,
            data_range=data_range,
            historical_averaging=historical_averaging,
            gradient_penalty=gradient_penalty,
            feature_matching=feature_matching,
            generator_ema=generator_ema,
            packing=packing,
            **kwargs,
        )
        self.packing = check_packing(packing)
        self.latent_dim = int(latent_dim or _first_shape(generator.input_shape)[-1])
        self.discriminator_steps = validation.positive_int(
            discriminator_steps, "discriminator_steps"
        )
        if latent_distribution not in ("normal", "uniform"):
            raise ValueError(
                "latent_distribution must be 'normal' or 'uniform'; got "
                f"{latent_distribution!r}."
            )
        self.latent_distribution = latent_distribution
        # Conditional networks take (sample, label): the first input is the sample.
        discriminator_shape = tuple(_first_shape(discriminator.input_shape)[1:])
        self.data_shape = unpacked_shape(discriminator_shape, self.packing)
        generated = tuple(generator.output_shape[1:])
        if generated != self.data_shape:
            packs = f" (packs of {self.packing}: {discriminator_shape})" if self.packing > 1 else ""
            raise ValueError(
                f"The generator makes samples of shape {generated} but the "
                f"discriminator expects {self.data_shape}{packs}."
            )
        self._build_techniques(feature_matching, generator_ema)
        self.reuse_fakes = bool(reuse_fakes)
        if self.reuse_fakes and self.historical_averaging:
            # Its cost depends on G's weights directly, not through the fakes.
            raise ValueError(
                "reuse_fakes=True cannot be combined with historical_averaging: "
                "the reused forward pass only carries gradients through the fakes."
            )
        self.adversarial_loss = None

    def log_names(self):
        """Names of the per-step logs: `metric_names` and the techniques' logs."""
        names = list(self.metric_names)
        if self.gradient_penalty:
            names += ["gradient_penalty", "gradient_norm"]
        return tuple(names)

    # ---------------------------------------------------------------- techniques
    def _build_techniques(self, feature_matching, generator_ema):
        self.feature_matching = feature_matching
        # Not tracked (object.__setattr__): it shares D's layers, which are
        # saved with D.
        extractor = _feature_extractor(self.discriminator, feature_matching) if feature_matching else None
        object.__setattr__(self, "feature_extractor", extractor)
        self.generator_ema = None
        self.ema_generator = None
        if generator_ema is not None:
            self.start_generator_ema(generator_ema)

    def start_generator_ema(self, decay):
        """Start a moving average of G with decay `decay`, from G's weights now.

        The constructor's `generator_ema` calls it before training; calling it
        on a trained model averages from that point on (after n generator
        steps the starting weights weigh β^n). Call it between `fit` calls (a
        running `fit` keeps its train step), and under a `tf.distribute`
        strategy inside `strategy.scope()`. The model's config then records
        `generator_ema`, so it saves and loads with the average; `kerasgan
        train --resume --generator-ema 0.999` does this for a CLI run.

        Example:

        ```python
        model = keras.saving.load_model("runs/my_wgan/model.keras")
        model.start_generator_ema(0.999)
        model.fit(images, batch_size=64, epochs=5)
        samples = model.generate(64)   # from the average
        ```
        """
        self._check_techniques(generator_ema=decay)
        if not 0.0 < float(decay) < 1.0:
            raise ValueError(
                f"generator_ema is the decay of a moving average and must be in "
                f"(0, 1), e.g. 0.999; got {decay}."
            )
        if self.ema_generator is not None:
            raise ValueError(
                f"This model already keeps a moving average of its generator (decay {self.generator_ema}); "
                "start_generator_ema starts one only on a model without one."
            )
        try:
            ema_generator = keras.models.clone_model(self.generator)
        except Exception as error:
            raise ValueError(
                "generator_ema needs a generator that keras.models.clone_model "
                f"can copy (a functional or Sequential model): {error}"
            ) from error
        ema_generator.name = "ema_generator"
        ema_generator.set_weights(self.generator.get_weights())
        ema_generator.trainable = False
        self.ema_generator = ema_generator
        self.generator_ema = float(decay)
        # A train function built before this point does not update the average.
        self.train_function = None

    def update_generator_ema(self):
        """θ_ema ← β·θ_ema + (1 − β)·θ for every generator weight."""
        beta = self.generator_ema
        for average, weight in zip(self.ema_generator.weights, self.generator.weights):
            average.assign(beta * average + (1.0 - beta) * ops.stop_gradient(weight))

    def after_step(self, player):
        super().after_step(player)
        if player == "generator" and self.ema_generator is not None:
            self.update_generator_ema()

    # ---------------------------------------------------------------- compile
    def compile(
        self,
        generator_optimizer=None,
        discriminator_optimizer=None,
        loss=None,
        label_smoothing=None,
        optimizers=None,
        **kwargs,
    ):
        """Configures the players' optimizers and the adversarial loss.

        Args:
            generator_optimizer: optimizer (instance, name or config) for the
                generator; default Adam(2e-4, β₁ = 0.5) (the variant's
                `default_optimizer`).
            discriminator_optimizer: same for the discriminator.
            loss: adversarial loss name (`kerasgan.losses.names()`) or an
                `AdversarialLoss` instance; default: the variant's
                `default_loss` ("non_saturating" for GAN and DCGAN).
            label_smoothing: one-sided label smoothing for a named
                log-likelihood loss (real target 1 - label_smoothing).
            optimizers: `{"generator": ..., "discriminator": ...}`, the
                engine's form of the two shortcuts above.
            **kwargs: passed to `keras.Model.compile` (`jit_compile`,
                `run_eagerly`, `steps_per_execution`).
        """
        optimizers = dict(optimizers or {})
        for player, optimizer in (
            ("generator", generator_optimizer), ("discriminator", discriminator_optimizer)
        ):
            if optimizer is None:
                continue
            if player in optimizers:
                raise ValueError(
                    f"The {player}'s optimizer was given twice: as {player}_optimizer "
                    "and in optimizers; give one."
                )
            optimizers[player] = optimizer
        loss_kwargs = {} if label_smoothing is None else {"label_smoothing": label_smoothing}
        adversarial_loss = losses_module.get(loss or self.default_loss, **loss_kwargs)
        super().compile(optimizers=optimizers, **kwargs)
        self.adversarial_loss = adversarial_loss
        self._adversarial_compile_config["loss"] = losses_module.serialize(adversarial_loss)

    def compile_from_config(self, config):
        config = dict(config)
        # Files saved before the engine took optimizers by player.
        for key in ("generator_optimizer", "discriminator_optimizer"):
            if key in config:
                config[key] = keras.optimizers.deserialize(config[key])
        if "loss" in config:
            config["loss"] = losses_module.get(config["loss"])
        super().compile_from_config(config)

    # ---------------------------------------------------------------- sampling
    def sample_latent(self, batch_size):
        """Latent vectors z from the model's `SeedGenerator` (traceable).

        Under a multi-replica TF strategy, this replica's rows of the draw
        one device would make for the global batch.
        """
        return distribution.draw_batch(self._draw_latent, batch_size)

    def _draw_latent(self, batch_size):
        shape = (batch_size, self.latent_dim)
        if self.latent_distribution == "uniform":
            return keras.random.uniform(shape, -1.0, 1.0, seed=self.seed_generator)
        return keras.random.normal(shape, seed=self.seed_generator)

    def latent_noise(self, n, seed=0):
        """Fixed latent vectors as a numpy array, identical on every backend."""
        rng = np.random.default_rng(seed)
        if self.latent_distribution == "uniform":
            return rng.uniform(-1.0, 1.0, (n, self.latent_dim)).astype("float32")
        return rng.standard_normal((n, self.latent_dim)).astype("float32")

    def call(self, latent, training=False):
        return self.generator(latent, training=training)

    def generator_inputs(self, latent, labels=None):
        """What the generator is called on (conditional variants add labels)."""
        return latent

    def discriminator_inputs(self, samples, labels=None):
        """What the discriminator is called on (conditional variants add labels)."""
        return samples

    def adversarial_output(self, outputs):
        """The part of D's outputs that the adversarial loss scores."""
        return outputs

    def fake_samples(self, batch_size, labels=None, training=True):
        """G(z) for `batch_size` fresh latent vectors (and their labels)."""
        latent = self.sample_latent(batch_size)
        return self.generator(self.generator_inputs(latent, labels), training=training)

    def discriminate(self, samples, labels=None, training=True, packed=False):
        """D's raw outputs on `samples` (packed first unless `packed`: they
        are packs already), as float32.

        Under a mixed dtype policy (`keras.config.set_dtype_policy(
        "mixed_bfloat16")`) the networks compute in bfloat16; the losses and
        logs are computed from float32 outputs (Micikevicius et al. 2018,
        §3.3: reductions in full precision).
        """
        outputs = self.discriminator(
            self.discriminator_inputs(samples if packed else self.pack(samples), labels),
            training=training,
        )
        return keras.tree.map_structure(lambda t: ops.cast(t, "float32"), outputs)

    def pack(self, samples):
        """`samples` as D sees them: packs of `packing` samples (unchanged
        without packing)."""
        return pack_samples(samples, self.packing)

    def generate(
        self, n=None, latent=None, seed=None, labels=None, batch_size=256, verbose=0, ema=None
    ):
        """Generates samples as a numpy array.

        Args:
            n: number of samples (ignored when `latent` is given).
            latent: optional latent vectors `(n, latent_dim)` to decode.
            seed: with `n`, draw the latent vectors from this numpy seed (the
                same samples on every backend); `None` uses the model's
                `SeedGenerator`.
            labels: class labels, one per sample or one for all (class-
                conditional models only).
            batch_size: samples generated per call of the generator.
            verbose: 1 shows a Keras progress bar.
            ema: sample from the moving-average generator; default: whenever
                the model keeps one (`generator_ema`).
        """
        latent = resolve_latent(self, n, latent, seed)
        labels = self.check_generation_labels(labels, len(latent))
        if ema is None:
            ema = self.ema_generator is not None
        if ema and self.ema_generator is None:
            raise ValueError(
                "ema=True samples from a moving average of G, and this model keeps none: build it "
                "with generator_ema=DECAY, or start one with model.start_generator_ema(DECAY)."
            )
        generator = self.ema_generator if ema else self.generator
        progress = keras.utils.Progbar(len(latent), unit_name="sample") if verbose else None
        outputs = []
        for i in range(0, len(latent), batch_size):
            chunk = ops.convert_to_tensor(latent[i : i + batch_size])
            chunk_labels = None if labels is None else labels[i : i + batch_size]
            inputs = self.generator_inputs(chunk, chunk_labels)
            samples = ops.cast(self.sample_with(generator, inputs), "float32")
            outputs.append(ops.convert_to_numpy(samples))
            if progress:
                progress.add(len(chunk))
        return np.concatenate(outputs, axis=0)

    def sample_with(self, generator, inputs):
        """`generate`'s call of the generator (ProGAN adds its current stage)."""
        return generator(inputs, training=False)

    @property
    def generates_by_class(self):
        """Whether `generate` takes class labels (the class-conditional variants)."""
        return self.num_classes is not None

    def check_generation_labels(self, labels, n):
        """Validates `generate`'s labels; returns an int array of length n or None."""
        if not self.generates_by_class:
            if labels is not None:
                raise ValueError(
                    f"{type(self).__name__} is not class-conditional; generate "
                    "takes no labels."
                )
            return None
        if labels is None:
            raise ValueError(
                f"{type(self).__name__} is class-conditional: pass labels, e.g. "
                f"generate({n}, labels=3) or one label per sample in "
                f"[0, {self.num_classes})."
            )
        labels = np.asarray(labels)
        if labels.ndim == 0:
            labels = np.full((n,), labels)
        return validation.class_labels(labels, self.num_classes, expected_length=n)

    # ---------------------------------------------------------------- training
    def check_data(self, x, y=None):
        validation.check_training_data(x, self.data_shape, self.data_range)
        if self.num_classes is None and y is not None:
            raise ValueError(
                f"{type(self).__name__} is not class-conditional and takes no labels: "
                "call fit(x) (a class-conditional variant, e.g. ConditionalGAN or "
                "ACGAN, trains on fit(x, y))."
            )
        if self.num_classes is not None:
            validation.check_training_labels(
                x, y, self.num_classes, allow_unlabelled=self.allows_unlabelled
            )

    def adversarial_step(self, data):
        """One iteration of Goodfellow et al. (2014), Algorithm 1."""
        real, labels = self.unpack_batch(data)
        k = self.discriminator_steps
        # Each minibatch holds at least one pack of samples for D.
        def split(x, k):
            return split_batch(x, k, self.packing)

        minibatches = distribution.split_batch(real, k, split)
        label_batches = distribution.split_batch(labels, k, split)
        fake = None
        for i, (real_minibatch, label_minibatch) in enumerate(zip(minibatches, label_batches)):
            if self.reuse_fakes and i == k - 1:
                # G's forward pass, kept for the generator step's backward.
                fake, pullback = self.forward_with_pullback(
                    "generator",
                    lambda: self.fakes_for(real_minibatch, label_minibatch),
                )
            # Ascend the discriminator's objective on m real and m fake samples.
            self.take_step(
                "discriminator",
                lambda: self.discriminator_objective(real_minibatch, label_minibatch, fake=fake),
            )
        # Descend the generator's objective on m latent samples: fresh ones, or
        # those of the last discriminator step (reuse_fakes). The last real
        # minibatch serves feature matching and the labels.
        if self.reuse_fakes:
            self.take_step_through(
                "generator", fake, pullback,
                lambda f: self.generator_objective(real_minibatch, label_minibatch, fake=f),
            )
        else:
            self.take_step(
                "generator", lambda: self.generator_objective(real_minibatch, label_minibatch)
            )
        return self.metrics_result()

    def fakes_for(self, real, labels=None, fake=None):
        """`fake` when given (`reuse_fakes`), else as many fresh samples as
        `real` has."""
        if fake is None:
            fake = self.fake_samples(ops.shape(real)[0], labels)
        return fake

    def unpack_batch(self, data):
        x, y, _ = keras.utils.unpack_x_y_sample_weight(data)
        return ops.cast(x, self.compute_dtype), y

    # The engine's objectives: the variant's losses and the techniques.
    def discriminator_objective(self, real, labels=None, fake=None):
        """D's loss (`discriminator_loss`) plus the gradient penalty."""
        fake = ops.stop_gradient(self.fakes_for(real, labels, fake))
        loss, logs = self.discriminator_loss(real, labels, fake=fake)
        if self.gradient_penalty:
            from kerasgan.losses.gradient_penalty import gradient_penalty

            # With packing, x̂ interpolates whole packs and the norm is that
            # of the gradient at a pack: the critic's input.
            penalty, norm = gradient_penalty(
                lambda packs: self.critic_score(packs, labels, packed=True),
                self.pack(real),
                self.pack(fake),
                seed=self.seed_generator,
            )
            loss = loss + self.gradient_penalty * penalty
            logs = {**logs, "gradient_penalty": penalty, "gradient_norm": norm}
        return loss, logs

    def generator_objective(self, real, labels=None, fake=None):
        """G's loss (`generator_loss`), or with `feature_matching` the feature
        matching loss (Salimans et al. 2016, §3.1) in place of its adversarial
        part, plus the variant's auxiliary terms."""
        if self.feature_extractor is None:
            return self.generator_loss(real, labels, fake=fake)
        fake = self.fakes_for(real, labels, fake)
        # ‖E f(x) − E f(G(z))‖².
        real_features = ops.stop_gradient(
            self.feature_extractor(self.discriminator_inputs(self.pack(real), labels), training=True)
        )
        fake_features = self.feature_extractor(
            self.discriminator_inputs(self.pack(fake), labels), training=True
        )
        loss = feature_matching_loss(real_features, fake_features, self.real_weights(labels))
        fake_outputs = (
            self.discriminate(fake, labels) if self.auxiliary_uses_generator_outputs else None
        )
        extra, logs = self.auxiliary_loss("generator", None, fake_outputs, labels)
        return loss + extra, logs

    def critic_score(self, samples, labels=None, packed=False):
        """The adversarial score of D on `samples` (what the gradient penalty
        differentiates at its input); `packed`: `samples` are packs already."""
        return self.adversarial_output(self.discriminate(samples, labels, packed=packed))

    # The variant's losses.
    def discriminator_loss(self, real, labels=None, fake=None):
        """The discriminator's loss on real samples and as many fakes
        (`fake`, or fresh ones when `None`)."""
        fake = ops.stop_gradient(self.fakes_for(real, labels, fake))
        real_outputs = self.discriminate(real, labels)
        fake_outputs = self.discriminate(fake, labels)
        real_scores = self.adversarial_output(real_outputs)
        fake_scores = self.adversarial_output(fake_outputs)
        real_weights = self.real_weights(labels)
        if real_weights is None:  # a user's loss may take (real, fake) only
            loss = self.adversarial_loss.discriminator_loss(real_scores, fake_scores)
        else:
            loss = self.adversarial_loss.discriminator_loss(real_scores, fake_scores, real_weights)
        logs = {
            "d_real": self.adversarial_loss.mean(
                self.adversarial_loss.score(real_scores), real_weights
            ),
            "d_fake": ops.mean(self.adversarial_loss.score(fake_scores)),
        }
        extra, extra_logs = self.auxiliary_loss(
            "discriminator", real_outputs, fake_outputs, labels
        )
        logs.update(extra_logs)
        return loss + extra, logs

    def generator_loss(self, real, labels=None, fake=None):
        """The generator's loss on `fake`, or on as many fresh samples as
        `real` has when `None`."""
        fake = self.fakes_for(real, labels, fake)
        fake_outputs = self.discriminate(fake, labels)
        loss = self.adversarial_loss.generator_loss(self.adversarial_output(fake_outputs))
        extra, logs = self.auxiliary_loss("generator", None, fake_outputs, labels)
        return loss + extra, logs

    def real_weights(self, labels):
        """The weight of each real example in the adversarial loss's real
        term and in feature matching's real statistics, or `None` for equal
        weights (the default; `SemiSupervisedGAN` counts only unlabelled
        examples)."""
        return None

    def auxiliary_loss(self, player, real_outputs, fake_outputs, labels):
        """Extra loss terms of a variant (e.g. AC-GAN's class loss).

        Returns `(loss, logs)`; the base model adds none. `real_outputs` is
        `None` for the generator; `fake_outputs` is `None` when the generator
        uses feature matching, unless `auxiliary_uses_generator_outputs`.
        """
        return 0.0, {}

    auxiliary_uses_generator_outputs = False

    # ---------------------------------------------------------------- config
    def get_config(self):
        return {
            **super().get_config(),
            "discriminator_steps": self.discriminator_steps,
            "latent_distribution": self.latent_distribution,
            "reuse_fakes": self.reuse_fakes,
        }

    def network_config(self):
        """The config entries that rebuild the networks.

        Variants that build their networks from hyperparameters return those;
        this class serializes the networks themselves.
        """
        return {**super().network_config(), "latent_dim": self.latent_dim}


def resolve_latent(model, n, latent, seed, unit="samples"):
    """The latent vectors `generate` decodes, as a float32 numpy array:
    `latent` as given, else `n` vectors from numpy seed `seed` (the same on
    every backend, `model.latent_noise`) or from the model's `SeedGenerator`
    (`model.sample_latent`) when `seed` is None."""
    if latent is None:
        if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
            raise ValueError(
                f"generate needs n, a whole number of {unit} >= 1, or latent vectors; "
                f"got n={n!r}."
            )
        if seed is None:
            latent = ops.convert_to_numpy(model.sample_latent(int(n)))
        else:
            latent = model.latent_noise(int(n), seed=seed)
    latent = np.asarray(latent, dtype="float32")
    if latent.ndim != 2 or latent.shape[1] != model.latent_dim or len(latent) == 0:
        raise ValueError(f"latent must have shape (n, {model.latent_dim}); got {latent.shape}.")
    return latent


def _first_shape(shape):
    """The shape of a network's first input (networks may also take labels)."""
    while isinstance(shape, (list, tuple)) and shape and isinstance(shape[0], (list, tuple)):
        shape = shape[0]
    return tuple(shape)


def _feature_extractor(discriminator, layer):
    """A model sharing D's weights that outputs `layer`'s activations."""
    if not getattr(discriminator, "inputs", None) or not getattr(discriminator, "layers", None):
        raise ValueError(
            "feature_matching needs a functional discriminator (keras.Model "
            "built from keras.Input), so that an inner layer's output can be read."
        )
    if layer is True:
        # The layer feeding the output layer.
        layer = discriminator.layers[-2].name
    names = [l.name for l in discriminator.layers]
    if layer not in names:
        raise ValueError(
            f"feature_matching layer '{layer}' is not in the discriminator; its "
            f"layers are: {', '.join(names)}."
        )
    return keras.Model(
        discriminator.inputs, discriminator.get_layer(layer).output, name="feature_extractor"
    )
