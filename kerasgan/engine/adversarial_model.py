"""The generic adversarial model: named players, their networks and one
training loop for all backends."""

import contextlib
import copy
import warnings

import keras
from keras import ops

from kerasgan.engine import backend as backend_steps
from kerasgan.engine import distribution
from kerasgan.engine.gan_optimizer import GANOptimizer
from kerasgan.engine import validation


def default_optimizer():
    """Adam(2e-4, β₁ = 0.5), the setting of Radford et al. (2015), §4."""
    return keras.optimizers.Adam(learning_rate=2e-4, beta_1=0.5)


# Training techniques the engine applies around a variant's losses, and what
# each needs of the variant (the message of the error when it cannot).
TECHNIQUES = {
    "gradient_penalty": "a critic whose score of a sample can be differentiated at its input",
    "feature_matching": "an adversarial generator loss that feature matching can replace",
    "historical_averaging": "players with trainable weights",
    "generator_ema": "a generator that samples are drawn from",
    "packing": (
        "an unconditional discriminator with one adversarial score per input, "
        "which m concatenated samples can share (PacGAN)"
    ),
}


@keras.saving.register_keras_serializable(package="kerasgan")
class AdversarialModel(keras.Model):
    """Players, each owning one or more networks, trained against each other.

    A variant names its networks (attributes of the model) and groups them
    into players with the class attribute `players`, a mapping from a
    player's name to the names of its networks, e.g. CycleGAN's
    `{"generators": ("generator_ab", "generator_ba"), "discriminators":
    ("discriminator_a", "discriminator_b")}`. Each player has one optimizer
    (`compile(optimizers={player: optimizer})`) that updates the trainable
    variables of all its networks; a variable shared by several networks
    (CoGAN's tied layers) is trained once, with one optimizer slot.

    A variant writes `adversarial_step(data)`, the algorithm box of its
    paper, out of `take_step(player, loss_fn)` calls; the engine differentiates
    each loss on the active backend (`kerasgan.engine.backend`), adds the
    training techniques the model was built with (historical averaging here;
    `LatentGAN` adds gradient penalties, feature matching and a generator
    EMA) around the variant's losses, records the logs and counts the
    iterations in `model.optimizer.iterations`. A technique that a variant
    cannot apply (absent from its class attribute `techniques`) raises at
    construction.

    State that a step reads from an earlier step (an image pool, a schedule
    counter, a controller's gain) belongs in non-trainable Keras variables,
    so that every backend's trainer carries it and `.keras` files save it.

    Calling `AdversarialModel(generator, discriminator, ...)` directly
    returns a `kerasgan.engine.LatentGAN`, the two-player latent-vector GAN
    (as `keras.Model(inputs, outputs)` returns a functional model).

    Args:
        networks: dict {name: keras.Model}; each becomes an attribute.
        seed: seed of the model's `SeedGenerator` (every random draw of the
            training step).
        data_range: `(low, high)` that real samples must lie in, checked on
            the data given to `fit`; `None` disables the check.
        historical_averaging: weight w of w·‖θ − θ̄‖² added to every player's
            loss, θ̄ the mean of the player's past parameters (Salimans et
            al. 2016, §3.3).
        gradient_penalty, feature_matching, generator_ema, packing:
            techniques that subclasses apply (see `LatentGAN`); here they only raise when the
            class does not list them in `techniques`.

    Example (a variant):

    ```python
    class MyGAN(kerasgan.engine.AdversarialModel):
        players = {"discriminator": ("critic",), "generator": ("decoder",)}
        metric_names = ("d_loss", "g_loss")
        loss_logs = {"discriminator": "d_loss", "generator": "g_loss"}

        def adversarial_step(self, data):
            self.take_step("discriminator", lambda: (critic_loss(data), {}))
            self.take_step("generator", lambda: (decoder_loss(data), {}))
            return self.metrics_result()
    ```
    """

    players = {}  # {player: (network attribute names)}, in update order
    metric_names = ()
    # The log that records each player's total loss (techniques included).
    loss_logs = {}
    techniques = ("historical_averaging",)
    # Config entries that hold serialized networks (rebuilt by from_config).
    network_keys = ()
    # Backends on which jit_compile="auto" leaves XLA off for this variant.
    no_auto_xla = ()
    # The key of the train-step program being traced (see static_step_key).
    static_step = None

    def __new__(cls, *args, **kwargs):
        if cls is AdversarialModel:
            from kerasgan.engine.latent_gan import LatentGAN

            cls = LatentGAN
        return super().__new__(cls, *args, **kwargs)

    def __init__(
        self,
        networks,
        seed=None,
        data_range=(-1.0, 1.0),
        historical_averaging=None,
        gradient_penalty=None,
        feature_matching=None,
        generator_ema=None,
        packing=None,
        **kwargs,
    ):
        super().__init__(**kwargs)
        self._check_techniques(
            gradient_penalty=gradient_penalty,
            feature_matching=feature_matching,
            historical_averaging=historical_averaging,
            generator_ema=generator_ema,
            packing=None if packing == 1 else packing,
        )
        if not isinstance(networks, dict) or not networks:
            raise ValueError(
                f"{type(self).__name__} needs networks as a dict {{name: keras.Model}}; "
                f"got {networks!r}."
            )
        for name, network in networks.items():
            if not isinstance(network, keras.layers.Layer):
                raise ValueError(
                    f"Network '{name}' must be a keras.Model; got {type(network).__name__}."
                )
            setattr(self, name, network)
        for player, names in self.players.items():
            missing = [n for n in names if n not in networks]
            if missing:
                raise ValueError(
                    f"Player '{player}' of {type(self).__name__} uses networks "
                    f"{missing} that were not given; networks: {sorted(networks)}."
                )
        self.network_names = tuple(networks)
        self.data_range = validation.value_range(data_range)
        self.seed = seed
        self.seed_generator = keras.random.SeedGenerator(seed)
        self.historical_averaging = validation.non_negative(
            historical_averaging, "historical_averaging"
        )
        self.historical_averages = {}
        if self.historical_averaging:
            from kerasgan.engine.historical_averaging import HistoricalAverage

            for player in self.players:
                average = HistoricalAverage(name=f"{player}_historical_average")
                average.build_for(self.player_variables(player))
                self.historical_averages[player] = average
        # One running mean per log; `log_names` may read the subclass's
        # options, which are set before this constructor runs.
        self._trackers = {name: keras.metrics.Mean(name=name) for name in self.log_names()}
        self.built = True

    def _check_techniques(self, **options):
        for name, value in options.items():
            if value in (None, False, 0) or name in self.techniques:
                continue
            supported = ", ".join(self.techniques) or "none"
            raise ValueError(
                f"{type(self).__name__} cannot apply {name}={value!r}: it needs "
                f"{TECHNIQUES[name]}. Techniques {type(self).__name__} supports: "
                f"{supported}."
            )

    def log_names(self):
        """Names of the per-step logs (one running mean each)."""
        return tuple(self.metric_names)

    # ---------------------------------------------------------------- players
    def player_networks(self, player):
        """The networks of `player`, as a list."""
        if player not in self.players:
            raise KeyError(
                f"{type(self).__name__} has no player '{player}'; players: "
                f"{', '.join(self.players)}."
            )
        return [getattr(self, name) for name in self.players[player]]

    def player_variables(self, player):
        """The trainable variables that `player`'s optimizer updates, each once
        (a layer shared by two networks of the player is one variable)."""
        seen, variables = set(), []
        for network in self.player_networks(player):
            for variable in network.trainable_variables:
                if id(variable) not in seen:
                    seen.add(id(variable))
                    variables.append(variable)
        return variables

    def player_optimizer(self, player):
        return self.optimizer.optimizers[player]

    def regularization(self, player):
        """Historical-averaging cost of `player` (0 when not enabled)."""
        if player not in self.historical_averages:
            return 0.0
        return self.historical_averaging * self.historical_averages[player].cost(
            self.player_variables(player)
        )

    def after_step(self, player):
        """Runs after each update of `player` (averages of its parameters)."""
        if player in self.historical_averages:
            self.historical_averages[player].update(self.player_variables(player))

    # ---------------------------------------------------------------- compile
    def compile(self, optimizers=None, **kwargs):
        """Configures one optimizer per player.

        Args:
            optimizers: dict {player: optimizer (instance, name or config)};
                players left out get the variant's `default_optimizer(player)`.
            **kwargs: passed to `keras.Model.compile` (`jit_compile`,
                `run_eagerly`, `steps_per_execution`).
        """
        for unsupported in ("optimizer", "metrics", "loss_weights", "loss"):
            if unsupported in kwargs:
                hint = (
                    "give optimizers={player: optimizer}"
                    if unsupported == "optimizer"
                    else "the variant's losses are part of the model"
                )
                raise ValueError(
                    f"{type(self).__name__}.compile does not take '{unsupported}': "
                    f"{hint} (players: {', '.join(self.players)})."
                )
        optimizers = dict(optimizers or {})
        unknown = sorted(set(optimizers) - set(self.players))
        if unknown:
            raise ValueError(
                f"optimizers names players {unknown} that {type(self).__name__} does "
                f"not have; its players are: {', '.join(self.players)}."
            )
        resolved = {}
        for player in self.players:
            optimizer = optimizers.get(player) or self.default_optimizer(player)
            resolved[player] = validation.optimizer_with_valid_learning_rate(
                optimizer, f"{player}_optimizer"
            )
        # Saved as asked ("auto" by default), so that a model saved under one
        # backend compiles the best way for the backend that loads it.
        saved_options = {
            k: v for k, v in kwargs.items() if k in ("jit_compile", "run_eagerly", "steps_per_execution")
        }
        if not kwargs.get("run_eagerly"):
            jit_compile = kwargs.get("jit_compile", "auto")
            if jit_compile == "auto" and keras.backend.backend() in self.no_auto_xla:
                jit_compile = False
            kwargs["jit_compile"] = distribution.resolve_jit_compile(self, jit_compile)
        super().compile(optimizer=GANOptimizer(resolved), **kwargs)
        self.optimizer.build(
            {player: self.player_variables(player) for player in self.players}
        )
        self._adversarial_compile_config = {
            "optimizers": {
                player: keras.optimizers.serialize(self.player_optimizer(player))
                for player in self.players
            },
            **saved_options,
        }

    def default_optimizer(self, player):
        return default_optimizer()

    def get_compile_config(self):
        return dict(getattr(self, "_adversarial_compile_config", {}))

    def compile_from_config(self, config):
        config = dict(config)
        if "optimizers" in config:
            config["optimizers"] = {
                player: keras.optimizers.deserialize(optimizer)
                for player, optimizer in config["optimizers"].items()
            }
        self.compile(**config)

    # ---------------------------------------------------------------- training
    def fit(self, x=None, y=None, callbacks=None, **kwargs):
        """`keras.Model.fit`, after checking the data and with a NaN guard.

        The first batch (all of a numpy array) is checked by `check_data`.
        A `kerasgan.callbacks.NaNGuard` is added unless one is given: a
        non-finite loss stops training and restores the last finite state.
        A `UserWarning` says when the networks' dtype policy computes in a
        precision that this backend and device run far slower than float32.
        """
        from kerasgan.callbacks.nan_guard import NaNGuard

        if not self.compiled:
            raise RuntimeError(f"Call {type(self).__name__}.compile() before fit().")
        self._warn_if_slow_precision()
        self.check_data(x, y)
        if not isinstance(callbacks, keras.callbacks.CallbackList):
            callbacks = list(callbacks or [])
            if not any(isinstance(c, NaNGuard) for c in callbacks):
                callbacks.append(NaNGuard())
        return super().fit(x, y, callbacks=callbacks, **kwargs)

    def check_data(self, x, y=None):
        """Checks `fit`'s data before training (variants override)."""

    def _warn_if_slow_precision(self):
        slow_precision = getattr(backend_steps.get(), "slow_precision", None)
        if slow_precision is None:  # an optional hook: only torch has one
            return
        dtypes = {getattr(self, name).compute_dtype for name in self.network_names}
        for dtype in sorted(dtypes):
            reason = slow_precision(dtype)
            if reason:
                warnings.warn(
                    f"{type(self).__name__}'s networks compute in {dtype}. {reason}", stacklevel=3
                )

    def make_train_function(self, force=False):
        # The JAX backend compiles the step with its XLA-CPU options
        # (kerasgan.engine.backend.jax.CPU_COMPILER_OPTIONS), and one program
        # per `static_step_key`.
        scope = getattr(backend_steps.get(), "train_function_scope", None)
        with scope(self) if scope else contextlib.nullcontext():
            return super().make_train_function(force)

    def static_step_key(self, read):
        """A hashable value that selects the train step's program, or None
        (one program: the default). `read(variable)` gives a variable's
        current value (on JAX, from the state the trainer carries).

        On JAX, the step is compiled once per key, and `self.static_step`
        holds the key while that program is traced (None otherwise), so a
        step can pick its computation in Python instead of through
        `keras.ops.switch`, whose branches XLA-CPU compiles far less well
        (ProGAN's stages). The other backends ignore keys: their step must
        give the same result without `static_step`.
        """
        return None

    def train_step(self, *args):
        return backend_steps.get().train_step(self, *args)

    def train_iteration(self, data):
        """One iteration of the variant's algorithm, counted in
        `model.optimizer.iterations` (whatever the order of the players)."""
        logs = self.adversarial_step(data)
        self.optimizer.iterations.assign_add(1)
        return logs

    def adversarial_step(self, data):
        """One training iteration: the variant's algorithm box."""
        raise NotImplementedError(
            f"{type(self).__name__} must implement adversarial_step(data)."
        )

    def _objective(self, player, loss_fn):
        """`loss_fn` with the techniques the engine applies to every player."""

        def objective(*args):
            loss, logs = loss_fn(*args)
            loss = loss + self.regularization(player)
            logs = dict(logs)
            if player in self.loss_logs:
                logs[self.loss_logs[player]] = loss
            return loss, logs

        return objective

    def take_step(self, player, loss_fn):
        """One gradient step of `player` on `loss_fn() -> (loss, logs)`."""
        logs = backend_steps.get().take_step(self, player, self._objective(player, loss_fn))
        self.after_step(player)
        self.record(logs)
        return logs

    def forward_with_pullback(self, player, fn):
        """`(fn(), pullback)`: `pullback(d)` gives the vector-Jacobian product
        of `d` with `fn()` w.r.t. `player`'s variables. State updates made by
        `fn` (batch-norm statistics, RNG state) are kept."""
        return backend_steps.get().forward_with_pullback(self, player, fn)

    def take_step_through(self, player, outputs, pullback, loss_fn):
        """One gradient step of `player` on `loss_fn(outputs) -> (loss, logs)`,
        where `outputs, pullback` come from `forward_with_pullback(player, ...)`:
        d loss / d outputs, pulled back to the player's variables."""
        if player in self.historical_averages:
            # Its cost depends on the weights directly, not through `outputs`.
            raise ValueError(
                f"historical_averaging cannot apply to the {player!r} player's step of "
                f"{type(self).__name__}: it differentiates through kept outputs only."
            )
        logs = backend_steps.get().take_step_through(
            self, player, outputs, pullback, self._objective(player, loss_fn)
        )
        self.after_step(player)
        self.record(logs)
        return logs

    # ---------------------------------------------------------------- metrics
    @property
    def metrics(self):
        return list(self._trackers.values())

    def record(self, logs):
        """Adds a step's logs to the running epoch means."""
        trackers = self._trackers
        for name, value in logs.items():
            if name not in trackers:
                raise KeyError(
                    f"Log '{name}' has no tracker: add it to "
                    f"{type(self).__name__}.metric_names."
                )
            trackers[name].update_state(ops.stop_gradient(value))

    def metrics_result(self):
        return {m.name: m.result() for m in self.metrics}

    # ---------------------------------------------------------------- saving
    _SEED_KEY = "seed_generator_state"

    def save_own_variables(self, store):
        super().save_own_variables(store)
        # The SeedGenerator is not walked by the Keras saver; keep its state so
        # that a resumed run draws the same random numbers as an unbroken one.
        store[self._SEED_KEY] = self.seed_generator.state.numpy()

    def load_own_variables(self, store):
        if self._SEED_KEY in store.keys():
            self.seed_generator.state.assign(store[self._SEED_KEY])
        super().load_own_variables(
            {k: store[k] for k in store.keys() if k != self._SEED_KEY}
        )

    # ---------------------------------------------------------------- config
    def get_config(self):
        config = {
            "name": self.name,
            "seed": self.seed,
            "data_range": self.data_range,
            **{
                technique: getattr(self, technique, None)
                for technique in TECHNIQUES
                if technique in self.techniques
            },
            **self.network_config(),
        }
        return config

    def network_config(self):
        """The config entries that rebuild the networks (variants that build
        them from hyperparameters return those)."""
        return {
            name: keras.saving.serialize_keras_object(getattr(self, name))
            for name in self.network_keys
        }

    @classmethod
    def from_config(cls, config, custom_objects=None):
        if cls is AdversarialModel:  # files saved before LatentGAN existed
            from kerasgan.engine.latent_gan import LatentGAN

            return LatentGAN.from_config(config, custom_objects)
        # A deep copy: Keras's deserialization empties the nested configs it
        # reads, and the caller's config (e.g. a registry entry) must survive.
        config = copy.deepcopy(config)
        for key in cls.network_keys:
            if isinstance(config.get(key), dict):
                config[key] = keras.saving.deserialize_keras_object(
                    config[key], custom_objects=custom_objects
                )
        return cls(**config)
