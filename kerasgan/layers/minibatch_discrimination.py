"""Minibatch discrimination (Salimans et al., 2016, "Improved Techniques for
Training GANs", section 3.2)."""

import keras
from keras import ops


@keras.saving.register_keras_serializable(package="kerasgan")
class MinibatchDiscrimination(keras.layers.Layer):
    """Appends features that measure how close each example is to the others.

    Lets the discriminator look at a minibatch as a whole, so that a generator
    that collapses onto a few modes is easy to detect. For features
    `f(x_i)` of shape `(batch, A)` and a learned tensor `T` of shape
    `(A, B * C)` (the paper's `A x B x C` tensor):

    - `M_i = f(x_i) T`, reshaped to `(B, C)`;
    - `c_b(x_i, x_j) = exp(-||M_i,b - M_j,b||_L1)`;
    - `o(x_i)_b = sum_{j != i} c_b(x_i, x_j)`;

    and the output is `concat(f(x_i), o(x_i))`, of shape `(batch, A + B)`.

    The sum runs over the *other* examples only (`j != i`). The paper's sum
    runs over the whole minibatch; its `j = i` term is `exp(0) = 1` for every
    example and kernel, a constant that carries no information, so it is
    left out (the reference code, `MinibatchLayer` of openai/improved-gan,
    does the same by adding 1e6 to the distance of i to itself). A batch of
    one example therefore gets `o = 0`. The pairwise distances cost
    `O(batch^2 * B * C)` memory and time.

    `weight_norm=True` is the reference code's parametrisation: each column
    of T is `θ · exp(s) / ||θ||₂` (weight normalisation, θ ~ N(0, 0.05), one
    log-scale s per column, 0 at first) and a bias `b` per kernel (−1 at
    first) is added to `o`. `initialize_from(features)` is its data-dependent
    initialisation: it rescales each kernel so that the mean distance of an
    example to its nearest neighbour in `features` is 2, and sets `b` so that
    `o` has mean 0 on them.

    Args:
        num_kernels: B, the number of appended features.
        kernel_dim: C, the size of each kernel's rows `M_i,b`.
        kernel_initializer: initializer of `T` (of θ with `weight_norm`;
            default there N(0, 0.05)).
        weight_norm: the reference code's parametrisation (above).

    Example:

    ```python
    x = keras.Input((4, 4, 64))
    h = keras.layers.Flatten()(x)
    h = MinibatchDiscrimination(num_kernels=50, kernel_dim=5)(h)  # (None, 1074)
    logit = keras.layers.Dense(1)(h)
    ```
    """

    def __init__(
        self, num_kernels, kernel_dim, kernel_initializer=None, weight_norm=False, **kwargs
    ):
        super().__init__(**kwargs)
        if int(num_kernels) < 1 or int(kernel_dim) < 1:
            raise ValueError(
                "MinibatchDiscrimination needs num_kernels >= 1 and kernel_dim >= 1; "
                f"got num_kernels={num_kernels}, kernel_dim={kernel_dim}."
            )
        self.num_kernels = int(num_kernels)
        self.kernel_dim = int(kernel_dim)
        self.weight_norm = bool(weight_norm)
        if kernel_initializer is None:
            kernel_initializer = (
                keras.initializers.RandomNormal(stddev=0.05) if self.weight_norm else "glorot_uniform"
            )
        self.kernel_initializer = keras.initializers.get(kernel_initializer)

    def build(self, input_shape):
        if len(input_shape) != 2 or input_shape[-1] is None:
            raise ValueError(
                "MinibatchDiscrimination expects inputs of shape (batch, features) "
                f"with a known number of features; got shape {tuple(input_shape)}. "
                "Flatten them first, e.g. with keras.layers.Flatten()."
            )
        # T, the paper's A x B x C tensor, stored as an (A, B*C) matrix.
        self.kernel = self.add_weight(
            shape=(input_shape[-1], self.num_kernels * self.kernel_dim),
            initializer=self.kernel_initializer,
            name="kernel",
        )
        if self.weight_norm:
            self.log_scale = self.add_weight(
                shape=(self.num_kernels * self.kernel_dim,), initializer="zeros", name="log_scale"
            )
            self.bias = self.add_weight(
                shape=(self.num_kernels,), initializer=keras.initializers.Constant(-1.0), name="bias"
            )

    def effective_kernel(self):
        """T as used: the kernel, or θ·exp(s)/||θ|| with `weight_norm`."""
        if not self.weight_norm:
            return self.kernel
        norm = ops.sqrt(ops.sum(ops.square(self.kernel), axis=0, keepdims=True))
        return self.kernel * ops.exp(self.log_scale) / norm

    def distances(self, inputs):
        """||M_i,b - M_j,b||_L1 for every pair (i, j): `(batch, batch, B)`."""
        m = ops.matmul(inputs, self.effective_kernel())
        m = ops.reshape(m, (-1, self.num_kernels, self.kernel_dim))  # M_i: (B, C)
        return ops.sum(ops.abs(ops.expand_dims(m, 1) - ops.expand_dims(m, 0)), axis=-1)

    def minibatch_features(self, inputs):
        """o(x_i): the appended features, `(batch, B)`."""
        c = ops.exp(-self.distances(inputs))
        # o(x_i)_b: sum over j != i (the j = i term, exp(0) = 1, is masked out)
        others = 1.0 - ops.eye(ops.shape(inputs)[0], dtype=c.dtype)
        o = ops.sum(c * ops.expand_dims(others, -1), axis=1)
        if self.weight_norm:
            o = o + self.bias
        return o

    def call(self, inputs):
        o = self.minibatch_features(inputs)
        return ops.concatenate([inputs, ops.cast(o, inputs.dtype)], axis=-1)

    def initialize_from(self, features):
        """The reference code's data-dependent initialisation (`weight_norm`
        only): on `features` (a batch of this layer's inputs), each kernel's
        mean distance to the nearest other example becomes 2 and `o` gets
        mean 0."""
        if not self.weight_norm:
            raise ValueError("initialize_from is the initialisation of weight_norm=True.")
        features = ops.convert_to_tensor(features, dtype=self.compute_dtype)
        if not self.built:
            self.build(features.shape)
        n = ops.shape(features)[0]
        distances = self.distances(features) + 1e6 * ops.expand_dims(ops.eye(n), -1)
        half_nearest = 0.5 * ops.mean(ops.min(distances, axis=1), axis=0)  # (B,)
        scale = ops.repeat(ops.log(half_nearest), self.kernel_dim)
        self.log_scale.assign(self.log_scale - scale)
        self.bias.assign(ops.zeros(self.bias.shape))
        self.bias.assign(-ops.mean(self.minibatch_features(features), axis=0))

    def compute_output_shape(self, input_shape):
        return (input_shape[0], input_shape[-1] + self.num_kernels)

    def get_config(self):
        return {
            **super().get_config(),
            "num_kernels": self.num_kernels,
            "kernel_dim": self.kernel_dim,
            "kernel_initializer": keras.initializers.serialize(self.kernel_initializer),
            "weight_norm": self.weight_norm,
        }
