"""Reference batch normalization and the `ReferenceBatch` wrapper (Salimans et
al., 2016, "Improved Techniques for Training GANs", section 3.4).

Convention shared by `ReferenceBatchNormalization` and
`VirtualBatchNormalization`: the first `reference_size` rows of every batch
that reaches the layer are the reference batch. This is how the reference
batch's activations reach layers deep inside a network: the reference inputs
travel through the network alongside the real batch, so their statistics are
recomputed with the current parameters at every step, as in the paper.
`ReferenceBatch` implements the convention for a whole network: it stores a
fixed reference batch, prepends it to every input batch and returns only the
outputs of the real rows.
"""

import keras
import numpy as np
from keras import ops


def _normalization_layers(layer):
    """Yields the reference-batch normalization layers nested in `layer`."""
    if isinstance(layer, _ReferenceNormalizationBase):
        yield layer
    children = list(getattr(layer, "layers", None) or [])
    if isinstance(getattr(layer, "layer", None), keras.layers.Layer):
        children.append(layer.layer)  # wrappers
    if isinstance(getattr(layer, "network", None), keras.layers.Layer):
        children.append(layer.network)
    for child in children:
        if child is not layer:
            yield from _normalization_layers(child)


class _ReferenceNormalizationBase(keras.layers.Layer):
    """Shared arguments, weights and checks of the two reference-batch norms."""

    def __init__(
        self,
        reference_size,
        epsilon=1e-5,
        center=True,
        scale=True,
        axis=-1,
        beta_initializer="zeros",
        gamma_initializer="ones",
        **kwargs,
    ):
        super().__init__(**kwargs)
        if int(reference_size) < 1:
            raise ValueError(
                f"{type(self).__name__} needs reference_size >= 1; got {reference_size}."
            )
        if float(epsilon) <= 0:
            raise ValueError(f"{type(self).__name__} needs epsilon > 0; got {epsilon}.")
        self.reference_size = int(reference_size)
        self.epsilon = float(epsilon)
        self.center = bool(center)
        self.scale = bool(scale)
        self.axis = int(axis)
        self.beta_initializer = keras.initializers.get(beta_initializer)
        self.gamma_initializer = keras.initializers.get(gamma_initializer)

    def build(self, input_shape):
        ndim = len(input_shape)
        axis = self.axis % ndim if -ndim <= self.axis < ndim else None
        if ndim < 2 or axis in (None, 0) or input_shape[axis] is None:
            raise ValueError(
                f"{type(self).__name__} normalizes per feature along axis={self.axis}, "
                "which must be a non-batch axis of known size; got input shape "
                f"{tuple(input_shape)}."
            )
        self._channel_axis = axis
        self._reduce_axes = tuple(i for i in range(ndim) if i != axis)
        self._broadcast = [1] * ndim
        self._broadcast[axis] = input_shape[axis]
        channels = (input_shape[axis],)
        self.gamma = (
            self.add_weight(shape=channels, initializer=self.gamma_initializer, name="gamma")
            if self.scale
            else None
        )
        self.beta = (
            self.add_weight(shape=channels, initializer=self.beta_initializer, name="beta")
            if self.center
            else None
        )
        self.input_spec = keras.layers.InputSpec(ndim=ndim, axes={axis: input_shape[axis]})

    def _check_batch(self, inputs):
        size = inputs.shape[0]
        if size is not None and size <= self.reference_size:
            raise ValueError(
                f"{type(self).__name__} got a batch of {size} rows, but its first "
                f"reference_size={self.reference_size} rows are the reference batch, "
                "so there is no example left to normalize. Prepend the reference batch "
                "to the inputs (see kerasgan.layers.ReferenceBatch)."
            )

    def _reference_statistics(self, reference):
        mean = ops.mean(reference, axis=self._reduce_axes, keepdims=True)
        variance = ops.mean(ops.square(reference - mean), axis=self._reduce_axes, keepdims=True)
        return mean, variance

    def _affine(self, normalized):
        if self.gamma is not None:
            normalized = normalized * ops.reshape(self.gamma, self._broadcast)
        if self.beta is not None:
            normalized = normalized + ops.reshape(self.beta, self._broadcast)
        return normalized

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {
            **super().get_config(),
            "reference_size": self.reference_size,
            "epsilon": self.epsilon,
            "center": self.center,
            "scale": self.scale,
            "axis": self.axis,
            "beta_initializer": keras.initializers.serialize(self.beta_initializer),
            "gamma_initializer": keras.initializers.serialize(self.gamma_initializer),
        }


@keras.saving.register_keras_serializable(package="kerasgan")
class ReferenceBatchNormalization(_ReferenceNormalizationBase):
    """Normalizes every row with the statistics of the reference rows only.

    Salimans et al. (2016), section 3.4: each example is normalized with the
    mean and variance of a reference batch that is chosen once and fixed, so
    an example's output does not depend on the other examples of its
    minibatch. The first `reference_size` rows of each batch are the
    reference batch (see `ReferenceBatch`, which prepends it); they are
    normalized too. Statistics are per feature along `axis`, over all other
    axes (batch and spatial), so the layer works on dense `(N, C)` and
    convolutional `(N, H, W, C)` activations. Training and inference compute
    the same thing (no moving averages). Gradients flow through the reference
    statistics: the reference rows are recomputed with the current parameters.

    Args:
        reference_size: R, the number of leading reference rows.
        epsilon: added to the variance.
        center, scale: learn beta / gamma.
        axis: the feature axis.
        beta_initializer, gamma_initializer: initializers of beta and gamma.

    Example:

    ```python
    net = keras.Sequential([keras.Input((16,)), keras.layers.Dense(32),
                            ReferenceBatchNormalization(reference_size=8),
                            keras.layers.ReLU(), keras.layers.Dense(1)])
    model = ReferenceBatch(net, reference=np.random.normal(size=(8, 16)))
    y = model(np.random.normal(size=(4, 16)))  # (4, 1)
    ```
    """

    def call(self, inputs):
        self._check_batch(inputs)
        mean, variance = self._reference_statistics(inputs[: self.reference_size])
        return self._affine((inputs - mean) * ops.rsqrt(variance + self.epsilon))


@keras.saving.register_keras_serializable(package="kerasgan")
class ReferenceBatch(keras.layers.Layer):
    """Runs a network on `[reference; inputs]` and returns the outputs of `inputs`.

    Salimans et al. (2016), section 3.4: the reference batch is "chosen once
    and fixed at the start of training", e.g. fixed latent vectors for a
    generator or real images for a discriminator. This layer stores it in a
    non-trainable variable (saved in `.keras` files and carried through the
    stateless JAX training step), prepends it to every input batch, runs
    `network` (whose `VirtualBatchNormalization` / `ReferenceBatchNormalization`
    layers read the first `R` rows as the reference batch) and returns the
    outputs of the real rows only, so the batch size is unchanged.

    Args:
        network: the network to run, e.g. a functional `keras.Model`.
        reference: the reference batch, an array of shape `(R, *input_shape)`.
        reference_shape: instead of `reference`, only its shape (the values
            start at zero; used when loading a saved model).

    Example:

    ```python
    z = keras.Input((100,))
    h = VirtualBatchNormalization(reference_size=64)(keras.layers.Dense(256)(z))
    body = keras.Model(z, keras.layers.Dense(784, activation="tanh")(h))
    z_reference = np.random.normal(size=(64, 100))  # chosen once
    generator = keras.Model(z, ReferenceBatch(body, reference=z_reference)(z))
    images = generator(np.random.normal(size=(16, 100)))  # (16, 784)
    ```
    """

    def __init__(self, network, reference=None, reference_shape=None, **kwargs):
        super().__init__(**kwargs)
        if (reference is None) == (reference_shape is None):
            raise ValueError(
                "ReferenceBatch needs exactly one of `reference` (the reference batch) "
                "and `reference_shape`."
            )
        if not isinstance(network, keras.layers.Layer):
            raise ValueError(f"ReferenceBatch needs a Keras layer or model; got {network!r}.")
        if reference is not None:
            reference = np.asarray(ops.convert_to_numpy(reference))
            reference_shape = reference.shape
        reference_shape = tuple(int(d) for d in reference_shape)
        if len(reference_shape) < 1 or reference_shape[0] < 1:
            raise ValueError(
                f"The reference batch needs at least one row; got shape {reference_shape}."
            )
        self.network = network
        # Non-trainable: saved with the model and carried as JAX training state.
        self.reference = self.add_weight(
            shape=reference_shape, initializer="zeros", trainable=False, name="reference"
        )
        if reference is not None:
            self.reference.assign(reference.astype(self.reference.dtype))
        for layer in _normalization_layers(network):
            if layer.reference_size != reference_shape[0]:
                raise ValueError(
                    f"{type(layer).__name__} layer '{layer.name}' has reference_size="
                    f"{layer.reference_size}, but the reference batch has "
                    f"{reference_shape[0]} rows."
                )

    @property
    def reference_size(self):
        return self.reference.shape[0]

    def build(self, input_shape):
        if tuple(input_shape[1:]) != tuple(self.reference.shape[1:]):
            raise ValueError(
                f"Inputs of shape {tuple(input_shape)} do not match the reference batch "
                f"of shape {tuple(self.reference.shape)} (one example: "
                f"{tuple(self.reference.shape[1:])})."
            )
        if not self.network.built:
            self.network.build((None, *input_shape[1:]))

    def call(self, inputs, training=None):
        reference = ops.cast(self.reference, inputs.dtype)
        outputs = self.network(ops.concatenate([reference, inputs], axis=0), training=training)
        return keras.tree.map_structure(lambda t: t[self.reference_size :], outputs)

    def get_config(self):
        return {
            **super().get_config(),
            "network": keras.saving.serialize_keras_object(self.network),
            "reference_shape": list(self.reference.shape),
        }

    @classmethod
    def from_config(cls, config, custom_objects=None):
        config = dict(config)
        network = keras.saving.deserialize_keras_object(
            config.pop("network"), custom_objects=custom_objects
        )
        return cls(network, **config)
