"""One optimizer per player, presented to Keras as a single optimizer."""

import keras


@keras.saving.register_keras_serializable(package="kerasgan")
class GANOptimizer(keras.optimizers.Optimizer):
    """Holds one optimizer per player (e.g. generator and discriminator).

    Keras trainers carry only `model.optimizer.variables` through `fit`
    (the JAX trainer passes them in and out of its stateless step). This
    object owns each player's optimizer and exposes all of their variables as
    its own, so the stock trainers keep every player's optimizer state, and
    `.keras` files save and restore it.

    Each player is stepped with its own optimizer:
    `gan_optimizer.optimizers["generator"].apply(grads, variables)`. This
    object's own `iterations` counts training iterations (the adversarial
    model adds one after each iteration, whatever the order of its players);
    each player's optimizer counts that player's updates.

    Example:

    ```python
    opt = GANOptimizer({
        "discriminator": keras.optimizers.Adam(2e-4, beta_1=0.5),
        "generator": keras.optimizers.Adam(2e-4, beta_1=0.5),
    })
    opt.build({"discriminator": d.trainable_variables,
               "generator": g.trainable_variables})
    ```
    """

    def __init__(self, optimizers, name="gan_optimizer", **kwargs):
        super().__init__(learning_rate=0.0, name=name, **kwargs)
        if not isinstance(optimizers, dict) or not optimizers:
            raise ValueError(
                "GANOptimizer expects a non-empty dict {player_name: optimizer};"
                f" got {optimizers!r}."
            )
        resolved = {}
        for player, optimizer in optimizers.items():
            optimizer = keras.optimizers.get(optimizer)
            if any(optimizer is other for other in resolved.values()):
                raise ValueError(
                    f"Player '{player}' was given the same optimizer object as "
                    "another player; each player needs its own optimizer "
                    "(its moment estimates belong to its own variables)."
                )
            resolved[player] = optimizer
        self._player_optimizers = resolved

    @property
    def optimizers(self):
        """The per-player optimizers, as a dict."""
        return dict(self._player_optimizers)

    @property
    def variables(self):
        variables = super().variables
        for optimizer in self._player_optimizers.values():
            variables.extend(optimizer.variables)
        return variables

    def save_own_variables(self, store):
        # Only this object's own variables: the Keras saver walks the
        # `optimizers` dict and saves each player's optimizer on its own.
        for i, variable in enumerate(super().variables):
            store[str(i)] = variable.numpy()

    def load_own_variables(self, store):
        for i, variable in enumerate(super().variables):
            variable.assign(store[str(i)])

    def build(self, player_variables):
        """Builds each player's optimizer on that player's variables.

        Args:
            player_variables: dict {player_name: list of variables}.
        """
        if not isinstance(player_variables, dict):
            raise ValueError(
                "GANOptimizer.build expects a dict {player_name: variables}; "
                "it is built by the adversarial model's compile(). Received a "
                f"{type(player_variables).__name__}."
            )
        missing = set(self._player_optimizers) - set(player_variables)
        if missing:
            raise ValueError(
                f"No variables given for players {sorted(missing)}; expected "
                f"{sorted(self._player_optimizers)}."
            )
        for player, optimizer in self._player_optimizers.items():
            if not optimizer.built:
                optimizer.build(player_variables[player])
        self.built = True

    def apply(self, grads, trainable_variables=None):
        raise NotImplementedError(
            "GANOptimizer steps players separately: use "
            "`optimizer.optimizers[player].apply(grads, variables)`."
        )

    def stateless_apply(self, optimizer_variables, grads, trainable_variables):
        raise NotImplementedError(
            "GANOptimizer steps players separately: use "
            "`optimizer.optimizers[player]`."
        )

    def get_config(self):
        return {
            "name": self.name,
            "optimizers": {
                player: keras.optimizers.serialize(optimizer)
                for player, optimizer in self._player_optimizers.items()
            },
        }

    @classmethod
    def from_config(cls, config, custom_objects=None):
        config = dict(config)
        config["optimizers"] = {
            player: keras.optimizers.deserialize(
                optimizer, custom_objects=custom_objects
            )
            for player, optimizer in config["optimizers"].items()
        }
        return cls(**config)
