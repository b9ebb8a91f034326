"""The adversarial model: players, losses and one training loop for all backends."""

import contextlib
import warnings

import numpy as np
import keras
from keras import ops

from kerasgan import losses as losses_module
from kerasgan.engine import backend as backend_steps
from kerasgan.engine import distribution
from kerasgan.engine.gan_optimizer import GANOptimizer
from kerasgan.engine import validation


def default_optimizer():
    """Adam(2e-4, β₁ = 0.5), the setting of Radford et al. (2015), §4."""
    return keras.optimizers.Adam(learning_rate=2e-4, beta_1=0.5)


@keras.saving.register_keras_serializable(package="kerasgan")
class AdversarialModel(keras.Model):
    """A generator and a discriminator trained against each other with `fit`.

    Each training iteration follows Goodfellow et al. (2014), Algorithm 1:
    `discriminator_steps` (k) discriminator updates, each on its own
    minibatch of real data, then one generator update. The batch that `fit`
    passes in is split into those k minibatches (with k = 1, one minibatch is
    the whole batch).

    Variants reuse this loop. They differ by their networks, their
    `AdversarialLoss`, and by overriding hooks: `generator_inputs` and
    `discriminator_inputs` (what the networks are called on, e.g. with
    class labels), `adversarial_output` (the part of D's output that the
    adversarial loss sees), `auxiliary_loss` (extra terms such as a class
    loss), `discriminator_loss` / `generator_loss` (each returns
    `(loss, logs)`), `players`, `player_variables`, `metric_names`, and
    `adversarial_step` for schedules with other players. Backend-specific
    code lives only in `kerasgan.engine.backend`.

    Training techniques that work with every variant are constructor
    options: a gradient penalty on D (Gulrajani et al. 2017), feature
    matching for G and historical averaging for both players (Salimans et
    al. 2016, §3.1, §3.3), and an exponential moving average of G's weights
    used for sampling (Yazıcı et al. 2019). Label smoothing, k discriminator
    steps and TTUR (separate learning rates, Heusel et al. 2017) are
    `compile`/constructor settings.

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

    metric_names = ("d_loss", "g_loss", "d_real", "d_fake")

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
        **kwargs,
    ):
        super().__init__(**kwargs)
        self.generator = generator
        self.discriminator = discriminator
        self.latent_dim = int(latent_dim or _first_shape(generator.input_shape)[-1])
        self.discriminator_steps = validation.positive_int(
            discriminator_steps, "discriminator_steps"
        )
        self.data_range = validation.value_range(data_range)
        if latent_distribution not in ("normal", "uniform"):
            raise ValueError(
                "latent_distribution must be 'normal' or 'uniform'; got "
                f"{latent_distribution!r}."
            )
        self.latent_distribution = latent_distribution
        self.seed = seed
        self.seed_generator = keras.random.SeedGenerator(seed)
        # Conditional networks take (sample, label): the first input is the sample.
        self.data_shape = tuple(_first_shape(discriminator.input_shape)[1:])
        generated = tuple(generator.output_shape[1:])
        if generated != self.data_shape:
            raise ValueError(
                f"The generator makes samples of shape {generated} but the "
                f"discriminator expects {self.data_shape}."
            )
        self._build_techniques(
            gradient_penalty, feature_matching, historical_averaging, generator_ema
        )
        self.reuse_fakes = bool(reuse_fakes)
        if self.reuse_fakes and self.historical_averaging:
            # Its cost depends on G's weights directly, not through the fakes.
            raise ValueError(
                "reuse_fakes=True cannot be combined with historical_averaging: "
                "the reused forward pass only carries gradients through the fakes."
            )
        self._trackers = {
            name: keras.metrics.Mean(name=name) for name in self.log_names()
        }
        self.adversarial_loss = None
        self.built = True

    num_classes = None  # class-conditional variants set the number of classes
    allows_unlabelled = False  # semi-supervised: label -1 marks unlabelled data

    def log_names(self):
        """Names of the per-step logs: `metric_names` and the techniques' logs."""
        names = list(self.metric_names)
        if self.gradient_penalty:
            names += ["gradient_penalty", "gradient_norm"]
        return tuple(names)

    # ---------------------------------------------------------------- techniques
    def _build_techniques(self, gradient_penalty, feature_matching, historical_averaging, generator_ema):
        self.gradient_penalty = validation.non_negative(gradient_penalty, "gradient_penalty")
        self.historical_averaging = validation.non_negative(
            historical_averaging, "historical_averaging"
        )
        if generator_ema is not None and not 0.0 < float(generator_ema) < 1.0:
            raise ValueError(
                f"generator_ema is the decay of a moving average and must be in "
                f"(0, 1), e.g. 0.999; got {generator_ema}."
            )
        self.generator_ema = None if generator_ema is None else float(generator_ema)
        self.feature_matching = feature_matching
        # Not tracked (object.__setattr__): it shares D's layers, which are
        # saved with D.
        extractor = _feature_extractor(self.discriminator, feature_matching) if feature_matching else None
        object.__setattr__(self, "feature_extractor", extractor)
        self.historical_averages = {}
        if self.historical_averaging:
            from kerasgan.engine.historical_averaging import HistoricalAverage

            for player in self.players:
                average = HistoricalAverage(name=f"{player}_historical_average")
                average.build_for(self.player_variables(player))
                self.historical_averages[player] = average
        self.ema_generator = None
        if self.generator_ema:
            try:
                self.ema_generator = keras.models.clone_model(self.generator)
            except Exception as error:
                raise ValueError(
                    "generator_ema needs a generator that keras.models.clone_model "
                    f"can copy (a functional or Sequential model): {error}"
                ) from error
            self.ema_generator.name = "ema_generator"
            self.ema_generator.set_weights(self.generator.get_weights())
            self.ema_generator.trainable = False

    def update_generator_ema(self):
        """θ_ema ← β·θ_ema + (1 − β)·θ for every generator weight."""
        beta = self.generator_ema
        for average, weight in zip(self.ema_generator.weights, self.generator.weights):
            average.assign(beta * average + (1.0 - beta) * ops.stop_gradient(weight))

    def regularization(self, player):
        """Historical-averaging cost of `player` (0 when not enabled)."""
        if player not in self.historical_averages:
            return 0.0
        return self.historical_averaging * self.historical_averages[player].cost(
            self.player_variables(player)
        )

    def after_step(self, player):
        """Runs after each player's update (averages of its parameters)."""
        if player in self.historical_averages:
            self.historical_averages[player].update(self.player_variables(player))
        if player == "generator" and self.ema_generator is not None:
            self.update_generator_ema()

    # ---------------------------------------------------------------- players
    players = ("discriminator", "generator")

    def player_variables(self, player):
        """The trainable variables that `player`'s optimizer updates."""
        return getattr(self, player).trainable_variables

    def player_optimizer(self, player):
        return self.optimizer.optimizers[player]

    # ---------------------------------------------------------------- compile
    def compile(
        self,
        generator_optimizer=None,
        discriminator_optimizer=None,
        loss=None,
        label_smoothing=None,
        **kwargs,
    ):
        """Configures the players' optimizers and the adversarial loss.

        Args:
            generator_optimizer: optimizer (instance, name or config) for the
                generator; default Adam(2e-4, β₁ = 0.5).
            discriminator_optimizer: same for the discriminator.
            loss: adversarial loss name (`kerasgan.losses.names()`) or an
                `AdversarialLoss` instance; default: the variant's
                `default_loss` ("non_saturating" for GAN and DCGAN).
            label_smoothing: one-sided label smoothing for a named
                log-likelihood loss (real target 1 - label_smoothing).
            **kwargs: passed to `keras.Model.compile` (`jit_compile`,
                `run_eagerly`, `steps_per_execution`).
        """
        for unsupported in ("optimizer", "metrics", "loss_weights"):
            if unsupported in kwargs:
                raise ValueError(
                    f"{type(self).__name__}.compile does not take "
                    f"'{unsupported}': give generator_optimizer, "
                    "discriminator_optimizer and an adversarial loss."
                )
        loss_kwargs = {} if label_smoothing is None else {"label_smoothing": label_smoothing}
        self.adversarial_loss = losses_module.get(loss or self.default_loss, **loss_kwargs)
        optimizers = {
            "discriminator": discriminator_optimizer or self.default_optimizer("discriminator"),
            "generator": generator_optimizer or self.default_optimizer("generator"),
        }
        # Saved as asked ("auto" by default), so that a model saved under one
        # backend compiles the best way for the backend that loads it.
        saved_options = {
            k: v for k, v in kwargs.items() if k in ("jit_compile", "run_eagerly", "steps_per_execution")
        }
        if not kwargs.get("run_eagerly"):
            kwargs["jit_compile"] = distribution.resolve_jit_compile(
                self, kwargs.get("jit_compile", "auto")
            )
        for player, optimizer in optimizers.items():
            optimizers[player] = validation.optimizer_with_valid_learning_rate(
                optimizer, f"{player}_optimizer"
            )
        super().compile(optimizer=GANOptimizer(optimizers), **kwargs)
        self.optimizer.build(
            {player: self.player_variables(player) for player in self.players}
        )
        self._gan_compile_config = {
            "generator_optimizer": keras.optimizers.serialize(self.player_optimizer("generator")),
            "discriminator_optimizer": keras.optimizers.serialize(
                self.player_optimizer("discriminator")
            ),
            "loss": losses_module.serialize(self.adversarial_loss),
            **saved_options,
        }

    default_loss = "non_saturating"

    def default_optimizer(self, player):
        return default_optimizer()

    def get_compile_config(self):
        return dict(getattr(self, "_gan_compile_config", {}))

    def compile_from_config(self, config):
        config = dict(config)
        for key in ("generator_optimizer", "discriminator_optimizer"):
            config[key] = keras.optimizers.deserialize(config[key])
        config["loss"] = losses_module.get(config["loss"])
        self.compile(**config)

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

    def discriminate(self, samples, labels=None, training=True):
        """D's raw outputs on `samples`, as float32.

        Under a mixed dtype policy (`keras.config.set_dtype_policy(
        "mixed_bfloat16")`) the networks compute in bfloat16; the losses and
        logs are computed from float32 outputs (Micikevicius et al. 2018,
        §3.3: reductions in full precision).
        """
        outputs = self.discriminator(
            self.discriminator_inputs(samples, labels), training=training
        )
        return keras.tree.map_structure(lambda t: ops.cast(t, "float32"), outputs)

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
        if latent is None:
            if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
                raise ValueError(
                    f"generate needs n, a whole number of samples >= 1, or latent vectors; "
                    f"got n={n!r}."
                )
            if seed is None:
                latent = ops.convert_to_numpy(self.sample_latent(int(n)))
            else:
                latent = self.latent_noise(int(n), seed=seed)
        latent = np.asarray(latent, dtype="float32")
        if latent.ndim != 2 or latent.shape[1] != self.latent_dim:
            raise ValueError(
                f"latent must have shape (n, {self.latent_dim}); got {latent.shape}."
            )
        labels = self.check_generation_labels(labels, len(latent))
        if ema is None:
            ema = self.ema_generator is not None
        if ema and self.ema_generator is None:
            raise ValueError("ema=True needs a model built with generator_ema.")
        generator = self.ema_generator if ema else self.generator
        progress = keras.utils.Progbar(len(latent), unit_name="sample") if verbose else None
        outputs = []
        for i in range(0, len(latent), batch_size):
            chunk = ops.convert_to_tensor(latent[i : i + batch_size])
            chunk_labels = None if labels is None else labels[i : i + batch_size]
            inputs = self.generator_inputs(chunk, chunk_labels)
            samples = ops.cast(generator(inputs, training=False), "float32")
            outputs.append(ops.convert_to_numpy(samples))
            if progress:
                progress.add(len(chunk))
        return np.concatenate(outputs, axis=0)

    def check_generation_labels(self, labels, n):
        """Validates `generate`'s labels; returns an int array of length n or None."""
        if self.num_classes is None:
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
    def fit(self, x=None, y=None, callbacks=None, **kwargs):
        """`keras.Model.fit`, after checking the data and with a NaN guard.

        The first batch (all of a numpy array) is checked for shape and
        range. A `kerasgan.callbacks.NaNGuard` is added unless one is given:
        a non-finite loss stops training and restores the last finite state.
        A `UserWarning` says when the networks' dtype policy computes in a
        precision that this backend and device run far slower than float32.
        """
        from kerasgan.callbacks.nan_guard import NaNGuard

        self._assert_compiled()
        self._warn_if_slow_precision()
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
        if not isinstance(callbacks, keras.callbacks.CallbackList):
            callbacks = list(callbacks or [])
            if not any(isinstance(c, NaNGuard) for c in callbacks):
                callbacks.append(NaNGuard())
        return super().fit(x, y, callbacks=callbacks, **kwargs)

    def _warn_if_slow_precision(self):
        slow_precision = getattr(backend_steps.get(), "slow_precision", None)
        if slow_precision is None:  # an optional hook: only torch has one
            return
        for dtype in sorted({self.generator.compute_dtype, self.discriminator.compute_dtype}):
            reason = slow_precision(dtype)
            if reason:
                warnings.warn(
                    f"{type(self).__name__}'s networks compute in {dtype}. {reason}", stacklevel=3
                )

    def _assert_compiled(self):
        if self.adversarial_loss is None:
            raise RuntimeError(
                f"Call {type(self).__name__}.compile() before fit()."
            )

    def make_train_function(self, force=False):
        # The JAX backend compiles the step with its XLA-CPU options
        # (kerasgan.engine.backend.jax.CPU_COMPILER_OPTIONS).
        scope = getattr(backend_steps.get(), "train_function_scope", contextlib.nullcontext)
        with scope():
            return super().make_train_function(force)

    def train_step(self, *args):
        return backend_steps.get().train_step(self, *args)

    def take_step(self, player, loss_fn):
        """One gradient step of `player` on `loss_fn() -> (loss, logs)`."""
        logs = backend_steps.get().take_step(self, player, loss_fn)
        self.after_step(player)
        self.record(logs)
        return logs

    def adversarial_step(self, data):
        """One iteration of Goodfellow et al. (2014), Algorithm 1."""
        real, labels = self.unpack_batch(data)
        k = self.discriminator_steps
        minibatches = distribution.split_batch(real, k, split_batch)
        label_batches = distribution.split_batch(labels, k, split_batch)
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
                lambda: self.discriminator_loss(real_minibatch, label_minibatch, fake=fake),
            )
        # Descend the generator's objective on m latent samples: fresh ones, or
        # those of the last discriminator step (reuse_fakes). The last real
        # minibatch serves feature matching and the labels.
        if self.reuse_fakes:
            self.take_step_through(
                "generator", fake, pullback,
                lambda f: self.generator_loss(real_minibatch, label_minibatch, fake=f),
            )
        else:
            self.take_step(
                "generator", lambda: self.generator_loss(real_minibatch, label_minibatch)
            )
        return self.metrics_result()

    def forward_with_pullback(self, player, fn):
        """`(fn(), pullback)`: `pullback(d)` gives the vector-Jacobian product
        of `d` with `fn()` w.r.t. `player`'s variables. State updates made by
        `fn` (batch-norm statistics, RNG state) are kept."""
        return backend_steps.get().forward_with_pullback(self, player, fn)

    def take_step_through(self, player, outputs, pullback, loss_fn):
        """One gradient step of `player` on `loss_fn(outputs) -> (loss, logs)`,
        where `outputs, pullback` come from `forward_with_pullback(player, ...)`:
        d loss / d outputs, pulled back to the player's variables."""
        logs = backend_steps.get().take_step_through(self, player, outputs, pullback, loss_fn)
        self.after_step(player)
        self.record(logs)
        return logs

    def fakes_for(self, real, labels=None, fake=None):
        """`fake` when given (`reuse_fakes`), else as many fresh samples as
        `real` has."""
        if fake is None:
            fake = self.fake_samples(ops.shape(real)[0], labels)
        return fake

    def unpack_batch(self, data):
        x, y, _ = keras.utils.unpack_x_y_sample_weight(data)
        return ops.cast(x, self.compute_dtype), y

    def discriminator_loss(self, real, labels=None, fake=None):
        """The discriminator's loss on real samples and as many fakes
        (`fake`, or fresh ones when `None`)."""
        fake = ops.stop_gradient(self.fakes_for(real, labels, fake))
        real_outputs = self.discriminate(real, labels)
        fake_outputs = self.discriminate(fake, labels)
        real_scores = self.adversarial_output(real_outputs)
        fake_scores = self.adversarial_output(fake_outputs)
        loss = self.adversarial_loss.discriminator_loss(real_scores, fake_scores)
        logs = {
            "d_real": ops.mean(self.adversarial_loss.score(real_scores)),
            "d_fake": ops.mean(self.adversarial_loss.score(fake_scores)),
        }
        extra, extra_logs = self.auxiliary_loss(
            "discriminator", real_outputs, fake_outputs, labels
        )
        loss = loss + extra
        logs.update(extra_logs)
        if self.gradient_penalty:
            from kerasgan.losses.gradient_penalty import gradient_penalty

            penalty, norm = gradient_penalty(
                lambda x: self.adversarial_output(self.discriminate(x, labels)),
                real,
                fake,
                seed=self.seed_generator,
            )
            loss = loss + self.gradient_penalty * penalty
            logs.update(gradient_penalty=penalty, gradient_norm=norm)
        loss = loss + self.regularization("discriminator")
        logs["d_loss"] = loss
        return loss, logs

    def generator_loss(self, real, labels=None, fake=None):
        """The generator's loss on `fake`, or on as many fresh samples as
        `real` has when `None`."""
        fake = self.fakes_for(real, labels, fake)
        if self.feature_extractor is not None:
            # Salimans et al. (2016), §3.1: ‖E f(x) − E f(G(z))‖².
            real_features = ops.stop_gradient(
                self.feature_extractor(self.discriminator_inputs(real, labels), training=True)
            )
            fake_features = self.feature_extractor(
                self.discriminator_inputs(fake, labels), training=True
            )
            loss = feature_matching_loss(real_features, fake_features)
            fake_outputs = (
                self.discriminate(fake, labels) if self.auxiliary_uses_generator_outputs else None
            )
        else:
            fake_outputs = self.discriminate(fake, labels)
            loss = self.adversarial_loss.generator_loss(self.adversarial_output(fake_outputs))
        extra, logs = self.auxiliary_loss("generator", None, fake_outputs, labels)
        loss = loss + extra + self.regularization("generator")
        logs["g_loss"] = loss
        return loss, logs

    def auxiliary_loss(self, player, real_outputs, fake_outputs, labels):
        """Extra loss terms of a variant (e.g. AC-GAN's class loss).

        Returns `(loss, logs)`; the base model adds none. `real_outputs` is
        `None` for the generator; `fake_outputs` is `None` when the generator
        uses feature matching, unless `auxiliary_uses_generator_outputs`.
        """
        return 0.0, {}

    auxiliary_uses_generator_outputs = False

    # ---------------------------------------------------------------- metrics
    @property
    def metrics(self):
        return list(self._trackers.values())

    def record(self, logs):
        """Adds a step's logs to the running epoch means."""
        for name, value in logs.items():
            if name not in self._trackers:
                raise KeyError(
                    f"Log '{name}' has no tracker: add it to "
                    f"{type(self).__name__}.metric_names."
                )
            self._trackers[name].update_state(ops.stop_gradient(value))

    def metrics_result(self):
        return {m.name: m.result() for m in self.metrics}

    # ---------------------------------------------------------------- saving
    _SEED_KEY = "seed_generator_state"

    def save_own_variables(self, store):
        super().save_own_variables(store)
        # The SeedGenerator is not walked by the Keras saver; keep its state so
        # that a resumed run draws the same latent vectors as an unbroken one.
        store[self._SEED_KEY] = self.seed_generator.state.numpy()

    def load_own_variables(self, store):
        if self._SEED_KEY in store.keys():
            self.seed_generator.state.assign(store[self._SEED_KEY])
        super().load_own_variables(
            {k: store[k] for k in store.keys() if k != self._SEED_KEY}
        )

    # ---------------------------------------------------------------- config
    def get_config(self):
        return {
            "name": self.name,
            "discriminator_steps": self.discriminator_steps,
            "data_range": self.data_range,
            "latent_distribution": self.latent_distribution,
            "seed": self.seed,
            "gradient_penalty": self.gradient_penalty,
            "feature_matching": self.feature_matching,
            "historical_averaging": self.historical_averaging,
            "generator_ema": self.generator_ema,
            "reuse_fakes": self.reuse_fakes,
            **self.network_config(),
        }

    def network_config(self):
        """The config entries that rebuild the networks.

        Variants that build their networks from hyperparameters return those;
        this base class serializes the networks themselves.
        """
        return {
            "generator": keras.saving.serialize_keras_object(self.generator),
            "discriminator": keras.saving.serialize_keras_object(self.discriminator),
            "latent_dim": self.latent_dim,
        }

    @classmethod
    def from_config(cls, config, custom_objects=None):
        config = dict(config)
        for key in ("generator", "discriminator"):
            if key in config:
                config[key] = keras.saving.deserialize_keras_object(
                    config[key], custom_objects=custom_objects
                )
        return cls(**config)


def _first_shape(shape):
    """The shape of a network's first input (networks may also take labels)."""
    while isinstance(shape, (list, tuple)) and shape and isinstance(shape[0], (list, tuple)):
        shape = shape[0]
    return tuple(shape)


def feature_matching_loss(real_features, fake_features):
    """‖E f(x) − E f(G(z))‖² over a batch (Salimans et al. 2016, §3.1), in float32."""
    real_features = ops.cast(real_features, "float32")
    fake_features = ops.cast(fake_features, "float32")
    real_mean = ops.mean(ops.reshape(real_features, (ops.shape(real_features)[0], -1)), axis=0)
    fake_mean = ops.mean(ops.reshape(fake_features, (ops.shape(fake_features)[0], -1)), axis=0)
    return ops.sum(ops.square(real_mean - fake_mean))


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


def split_batch(x, k):
    """Splits a batch (or a tuple of batches) into k equal minibatches."""
    if x is None:
        return [None] * k
    if k == 1:
        return [x]
    if isinstance(x, (tuple, list)):
        return list(zip(*(split_batch(part, k) for part in x)))
    n = ops.shape(x)[0]
    if isinstance(n, int) and n < k:
        raise ValueError(
            f"A batch of {n} samples cannot give discriminator_steps={k} "
            "minibatches; use a batch size of at least k (ideally k·m)."
        )
    m = n // k
    return [x[i * m : (i + 1) * m] for i in range(k)]
