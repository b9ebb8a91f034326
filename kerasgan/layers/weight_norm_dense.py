"""A dense layer with weight normalization (Salimans & Kingma, 2016, "Weight
Normalization", §2 and §2.2), as the discriminators of Salimans et al. (2016),
"Improved Techniques for Training GANs", §5, use it."""

import numpy as np
import keras
from keras import ops


@keras.saving.register_keras_serializable(package="kerasgan")
class WeightNormDense(keras.layers.Layer):
    """`activation(x · W + b)` with each column of W as `g · v / ‖v‖₂`.

    The direction `v` (N(0, 0.1) at first) and the bias `b` are trained; the
    scale `g` (one per unit, 1 at first) is trained only with
    `train_scale=True`. The reference code of "Improved Techniques for
    Training GANs" (openai/improved-gan, `nn.DenseLayer`) keeps `g` fixed in
    the hidden layers of its MNIST discriminator and trains it in the output
    layer.

    `initialize_from(inputs)` is the data-dependent initialisation of §2.2:
    on a batch of this layer's inputs it sets `g ← g / σ` and `b ← −μ / σ`,
    μ and σ the mean and standard deviation of each unit's pre-activation
    `x · g v/‖v‖`, so that the pre-activations have mean 0 and variance 1 on
    that batch. `initialize_weight_norm(model, x)` does it for every such
    layer of a model, in order.

    Args:
        units: output size.
        activation: activation applied after the bias (default none).
        train_scale: whether `g` is trained.
        kernel_initializer: initializer of `v` (default N(0, 0.1)).

    Example:

    ```python
    x = keras.Input((784,))
    h = WeightNormDense(1000, activation="relu")(x)
    logits = WeightNormDense(10, train_scale=True)(h)
    model = keras.Model(x, logits)
    initialize_weight_norm(model, x_train[:500])
    ```
    """

    def __init__(
        self, units, activation=None, train_scale=False, kernel_initializer=None, **kwargs
    ):
        super().__init__(**kwargs)
        if int(units) < 1:
            raise ValueError(f"WeightNormDense needs units >= 1; got units={units}.")
        self.units = int(units)
        self.activation = keras.activations.get(activation)
        self.train_scale = bool(train_scale)
        if kernel_initializer is None:
            kernel_initializer = keras.initializers.RandomNormal(stddev=0.1)
        self.kernel_initializer = keras.initializers.get(kernel_initializer)

    def build(self, input_shape):
        if input_shape[-1] is None:
            raise ValueError(
                "WeightNormDense needs a known last input dimension; got shape "
                f"{tuple(input_shape)}."
            )
        self.kernel = self.add_weight(
            shape=(input_shape[-1], self.units), initializer=self.kernel_initializer, name="kernel"
        )
        self.scale = self.add_weight(
            shape=(self.units,), initializer="ones", name="scale", trainable=self.train_scale
        )
        self.bias = self.add_weight(shape=(self.units,), initializer="zeros", name="bias")

    def effective_kernel(self):
        """W = g · v / ‖v‖₂, column by column."""
        norm = ops.sqrt(ops.sum(ops.square(self.kernel), axis=0, keepdims=True))
        return self.kernel * self.scale / norm

    def call(self, inputs):
        return self.activation(ops.matmul(inputs, self.effective_kernel()) + self.bias)

    def initialize_from(self, inputs):
        """§2.2's data-dependent initialisation on `inputs`, a batch of this
        layer's inputs; returns the layer's outputs on them afterwards."""
        inputs = ops.convert_to_tensor(np.asarray(inputs), dtype=self.compute_dtype)
        if not self.built:
            self.build(inputs.shape)
        pre = ops.matmul(inputs, self.effective_kernel())
        axes = tuple(range(len(pre.shape) - 1))
        mean = ops.mean(pre, axis=axes)
        std = ops.sqrt(ops.mean(ops.square(pre - mean), axis=axes))
        self.scale.assign(self.scale / std)
        self.bias.assign(-mean / std)
        return self(inputs)

    def compute_output_shape(self, input_shape):
        return (*input_shape[:-1], self.units)

    def get_config(self):
        return {
            **super().get_config(),
            "units": self.units,
            "activation": keras.activations.serialize(self.activation),
            "train_scale": self.train_scale,
            "kernel_initializer": keras.initializers.serialize(self.kernel_initializer),
        }


def initialize_weight_norm(model, x, batch_size=500):
    """Runs `WeightNormDense.initialize_from` for every `WeightNormDense` of
    the functional `model`, in order, each on its inputs for `x` (inference
    mode, the earlier layers already initialised). Returns how many layers
    were initialised."""
    layers = [layer for layer in model.layers if isinstance(layer, WeightNormDense)]
    if not layers:
        raise ValueError(f"Model '{model.name}' has no WeightNormDense layer to initialise.")
    for layer in layers:
        inputs = keras.Model(model.inputs, layer.input).predict(x, batch_size=batch_size, verbose=0)
        layer.initialize_from(inputs)
    return len(layers)
