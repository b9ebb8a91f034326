"""Historical averaging (Salimans et al. 2016, §3.3)."""

import keras
from keras import ops


@keras.saving.register_keras_serializable(package="kerasgan")
class HistoricalAverage(keras.layers.Layer):
    """Running mean θ̄ = (1/t) Σᵢ θ[i] of a player's parameters (the initial
    parameters θ[0] and the value after each update), and the cost
    ‖θ − θ̄‖² that Salimans et al. (2016, §3.3) add to the player's loss.

    The averages are non-trainable variables of this layer (so they are
    saved with the model and carried through JAX's stateless train step).
    `AdversarialModel(historical_averaging=w)` creates one per player.

    Example:

    ```python
    history = HistoricalAverage()
    history.build_for(discriminator.trainable_variables)
    loss = loss + 1e-3 * history.cost(discriminator.trainable_variables)
    ...  # after the update:
    history.update(discriminator.trainable_variables)
    ```
    """

    def build_for(self, variables):
        self.averages = [
            self.add_weight(
                shape=v.shape,
                initializer=keras.initializers.Zeros(),
                trainable=False,
                name=f"average_{i}",
            )
            for i, v in enumerate(variables)
        ]
        self.count = self.add_weight(  # parameter values averaged so far
            shape=(), initializer="ones", trainable=False, name="count"
        )
        for average, v in zip(self.averages, variables):
            average.assign(ops.convert_to_numpy(v))  # θ̄ starts at θ (a copy)
        self.built = True

    def cost(self, variables):
        """Σ ‖θ − θ̄‖² over the player's parameters (θ̄ held constant)."""
        return sum(
            ops.sum(ops.square(v - ops.stop_gradient(a)))
            for v, a in zip(variables, self.averages)
        )

    def update(self, variables):
        """Adds the current parameters to the running mean."""
        t = self.count + 1.0
        for average, v in zip(self.averages, variables):
            average.assign(average + (ops.stop_gradient(v) - average) / t)
        self.count.assign(t)
