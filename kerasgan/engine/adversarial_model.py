"""The adversarial model: players, losses and one training loop for all backends."""

import numpy as np
import keras
from keras import ops

from kerasgan import losses as losses_module
from kerasgan.engine import backend as backend_steps
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
    `AdversarialLoss`, and by overriding hooks: `discriminator_loss`,
    `generator_loss` (each returns `(loss, logs)`), `players`,
    `player_variables`, `metric_names`, and `adversarial_step` for schedules
    with other players. Backend-specific code lives only in
    `kerasgan.engine.backend`.

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
        **kwargs,
    ):
        super().__init__(**kwargs)
        self.generator = generator
        self.discriminator = discriminator
        self.latent_dim = int(latent_dim or generator.input_shape[-1])
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
        self.data_shape = tuple(discriminator.input_shape[1:])
        generated = tuple(generator.output_shape[1:])
        if generated != self.data_shape:
            raise ValueError(
                f"The generator makes samples of shape {generated} but the "
                f"discriminator expects {self.data_shape}."
            )
        self._trackers = {
            name: keras.metrics.Mean(name=name) for name in self.metric_names
        }
        self.adversarial_loss = None
        self.built = True

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
        loss="non_saturating",
        label_smoothing=None,
        **kwargs,
    ):
        """Configures the players' optimizers and the adversarial loss.

        Args:
            generator_optimizer: optimizer (instance, name or config) for the
                generator; default Adam(2e-4, β₁ = 0.5).
            discriminator_optimizer: same for the discriminator.
            loss: adversarial loss name (`kerasgan.losses.names()`) or an
                `AdversarialLoss` instance.
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
        self.adversarial_loss = losses_module.get(loss, **loss_kwargs)
        optimizers = {
            "discriminator": discriminator_optimizer or self.default_optimizer("discriminator"),
            "generator": generator_optimizer or self.default_optimizer("generator"),
        }
        # Saved as asked ("auto" by default), so that a model saved under one
        # backend compiles the best way for the backend that loads it.
        saved_options = {
            k: v for k, v in kwargs.items() if k in ("jit_compile", "run_eagerly", "steps_per_execution")
        }
        if kwargs.get("jit_compile", "auto") == "auto" and not kwargs.get("run_eagerly"):
            kwargs["jit_compile"] = backend_steps.get().AUTO_JIT_COMPILE
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
        """Latent vectors z from the model's `SeedGenerator` (traceable)."""
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

    def generate(self, n=None, latent=None, seed=None, batch_size=256, verbose=0):
        """Generates samples as a numpy array.

        Args:
            n: number of samples (ignored when `latent` is given).
            latent: optional latent vectors `(n, latent_dim)` to decode.
            seed: with `n`, draw the latent vectors from this numpy seed (the
                same samples on every backend); `None` uses the model's
                `SeedGenerator`.
            batch_size: samples generated per call of the generator.
            verbose: 1 shows a Keras progress bar.
        """
        if latent is None:
            if n is None or int(n) < 1:
                raise ValueError(f"generate needs n >= 1 or latent vectors; got n={n!r}.")
            if seed is None:
                latent = ops.convert_to_numpy(self.sample_latent(int(n)))
            else:
                latent = self.latent_noise(int(n), seed=seed)
        latent = np.asarray(latent, dtype="float32")
        if latent.ndim != 2 or latent.shape[1] != self.latent_dim:
            raise ValueError(
                f"latent must have shape (n, {self.latent_dim}); got {latent.shape}."
            )
        progress = keras.utils.Progbar(len(latent), unit_name="sample") if verbose else None
        outputs = []
        for i in range(0, len(latent), batch_size):
            chunk = latent[i : i + batch_size]
            outputs.append(ops.convert_to_numpy(self.generator(chunk, training=False)))
            if progress:
                progress.add(len(chunk))
        return np.concatenate(outputs, axis=0)

    # ---------------------------------------------------------------- training
    def fit(self, x=None, y=None, callbacks=None, **kwargs):
        """`keras.Model.fit`, after checking the data and with a NaN guard.

        The first batch (all of a numpy array) is checked for shape and
        range. A `kerasgan.callbacks.NaNGuard` is added unless one is given:
        a non-finite loss stops training and restores the last finite state.
        """
        from kerasgan.callbacks.nan_guard import NaNGuard

        self._assert_compiled()
        validation.check_training_data(x, self.data_shape, self.data_range)
        if not isinstance(callbacks, keras.callbacks.CallbackList):
            callbacks = list(callbacks or [])
            if not any(isinstance(c, NaNGuard) for c in callbacks):
                callbacks.append(NaNGuard())
        return super().fit(x, y, callbacks=callbacks, **kwargs)

    def _assert_compiled(self):
        if self.adversarial_loss is None:
            raise RuntimeError(
                f"Call {type(self).__name__}.compile() before fit()."
            )

    def train_step(self, *args):
        return backend_steps.get().train_step(self, *args)

    def take_step(self, player, loss_fn):
        """One gradient step of `player` on `loss_fn() -> (loss, logs)`."""
        logs = backend_steps.get().take_step(self, player, loss_fn)
        self.record(logs)
        return logs

    def adversarial_step(self, data):
        """One iteration of Goodfellow et al. (2014), Algorithm 1."""
        real, labels = self.unpack_batch(data)
        minibatches = split_batch(real, self.discriminator_steps)
        label_batches = split_batch(labels, self.discriminator_steps)
        for real_minibatch, label_minibatch in zip(minibatches, label_batches):
            # Ascend the discriminator's objective on m real and m fake samples.
            self.take_step(
                "discriminator",
                lambda: self.discriminator_loss(real_minibatch, label_minibatch),
            )
        # Descend the generator's objective on m fresh latent samples.
        batch_size = ops.shape(real_minibatch)[0]
        self.take_step(
            "generator", lambda: self.generator_loss(batch_size, label_minibatch)
        )
        return self.metrics_result()

    def unpack_batch(self, data):
        x, y, _ = keras.utils.unpack_x_y_sample_weight(data)
        return ops.cast(x, self.compute_dtype), y

    def discriminator_loss(self, real, labels=None):
        """The discriminator's loss on real samples and as many fakes."""
        batch_size = ops.shape(real)[0]
        fake = ops.stop_gradient(
            self.generator(self.sample_latent(batch_size), training=True)
        )
        real_outputs = self.discriminator(real, training=True)
        fake_outputs = self.discriminator(fake, training=True)
        loss = self.adversarial_loss.discriminator_loss(real_outputs, fake_outputs)
        return loss, {
            "d_loss": loss,
            "d_real": ops.mean(self.adversarial_loss.score(real_outputs)),
            "d_fake": ops.mean(self.adversarial_loss.score(fake_outputs)),
        }

    def generator_loss(self, batch_size, labels=None):
        """The generator's loss on `batch_size` fresh samples."""
        fake = self.generator(self.sample_latent(batch_size), training=True)
        fake_outputs = self.discriminator(fake, training=True)
        loss = self.adversarial_loss.generator_loss(fake_outputs)
        return loss, {"g_loss": loss}

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


def split_batch(x, k):
    """Splits a batch into k equal minibatches (dropping the remainder)."""
    if x is None:
        return [None] * k
    if k == 1:
        return [x]
    n = ops.shape(x)[0]
    if isinstance(n, int) and n < k:
        raise ValueError(
            f"A batch of {n} samples cannot give discriminator_steps={k} "
            "minibatches; use a batch size of at least k (ideally k·m)."
        )
    m = n // k
    return [x[i * m : (i + 1) * m] for i in range(k)]
