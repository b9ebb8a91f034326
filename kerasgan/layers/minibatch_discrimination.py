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
    left out. A batch of one example therefore gets `o = 0`. The pairwise
    distances cost `O(batch^2 * B * C)` memory and time.

    Args:
        num_kernels: B, the number of appended features.
        kernel_dim: C, the size of each kernel's rows `M_i,b`.
        kernel_initializer: initializer of `T`.

    Example:

    ```python
    x = keras.Input((4, 4, 64))
    h = keras.layers.Flatten()(x)
    h = MinibatchDiscrimination(num_kernels=50, kernel_dim=5)(h)  # (None, 1074)
    logit = keras.layers.Dense(1)(h)
    ```
    """

    def __init__(
        self, num_kernels, kernel_dim, kernel_initializer="glorot_uniform", **kwargs
    ):
        super().__init__(**kwargs)
        if int(num_kernels) < 1 or int(kernel_dim) < 1:
            raise ValueError(
                "MinibatchDiscrimination needs num_kernels >= 1 and kernel_dim >= 1; "
                f"got num_kernels={num_kernels}, kernel_dim={kernel_dim}."
            )
        self.num_kernels = int(num_kernels)
        self.kernel_dim = int(kernel_dim)
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

    def call(self, inputs):
        m = ops.matmul(inputs, self.kernel)
        m = ops.reshape(m, (-1, self.num_kernels, self.kernel_dim))  # M_i: (B, C)
        # ||M_i,b - M_j,b||_L1 for every pair (i, j): (batch, batch, B)
        l1 = ops.sum(
            ops.abs(ops.expand_dims(m, 1) - ops.expand_dims(m, 0)), axis=-1
        )
        c = ops.exp(-l1)
        # o(x_i)_b: sum over j != i (the j = i term, exp(0) = 1, is masked out)
        others = 1.0 - ops.eye(ops.shape(inputs)[0], dtype=c.dtype)
        o = ops.sum(c * ops.expand_dims(others, -1), axis=1)
        return ops.concatenate([inputs, ops.cast(o, inputs.dtype)], axis=-1)

    def compute_output_shape(self, input_shape):
        return (input_shape[0], input_shape[-1] + self.num_kernels)

    def get_config(self):
        return {
            **super().get_config(),
            "num_kernels": self.num_kernels,
            "kernel_dim": self.kernel_dim,
            "kernel_initializer": keras.initializers.serialize(self.kernel_initializer),
        }
