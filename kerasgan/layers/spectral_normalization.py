"""Spectral normalization (Miyato et al., 2018, "Spectral Normalization for
Generative Adversarial Networks", arXiv:1802.05957).

Unlike `keras.layers.SpectralNormalization`, which in training assigns
`W / sigma` back into the wrapped layer's kernel (so the stored kernel is
overwritten and no gradient flows through sigma on TensorFlow and PyTorch),
this wrapper keeps the raw `W` as the trainable parameter and computes the
wrapped layer's operation with `W_SN = W / sigma(W)` in the forward pass, so
the gradient flows through sigma as in the paper (section 2.1, eq. 12).
"""

import keras
from keras import ops

from kerasgan.layers.subpixel_conv2d_transpose import SubPixelConv2DTranspose


def _l2_normalize(x, epsilon):
    return x / (ops.sqrt(ops.sum(ops.square(x))) + epsilon)


def spectral_normalize(kernel_matrix, u, power_iterations=1, epsilon=1e-12):
    """Divides a matrix by its largest singular value, estimated by power iteration.

    Miyato et al. (2018), Algorithm 1: with `W` of shape `(m, n)` (here
    `(fan_in, out_channels)`) and `u` of shape `(n,)`, each iteration computes
    `v = W u / ||W u||` and `u = Wᵀ v / ||Wᵀ v||`; then `sigma = vᵀ W u` with
    the last `v` and the new `u` (the paper's `uᵀ W v` in its `(out, in)`
    layout).
    `u` and `v` are constants for differentiation (`stop_gradient`), while
    `sigma` is differentiated through `W` (section 2.1, eq. 12), so the
    gradient of `W / sigma` contains the paper's `-(λ) u1 v1ᵀ` term.

    Args:
        kernel_matrix: `W`, shape `(m, n)`.
        u: current estimate of the first right singular vector of `W` (the
            left one in the paper's `(out, in)` layout), shape `(n,)`;
            normalized before use.
        power_iterations: iterations to run; 0 uses `u` as it is (inference),
            which gives `sigma = ||W u||`.
        epsilon: added to norms, and the least value of `sigma`.

    Returns:
        `(normalized_kernel, new_u, sigma)`: `W / sigma`, the updated `u`
        (shape `(n,)`, no gradient) and the scalar `sigma`.

    Example:

    ```python
    w_sn, u, sigma = spectral_normalize(w, u, power_iterations=1)
    ```
    """
    if int(power_iterations) < 0:
        raise ValueError(f"power_iterations must be >= 0; got {power_iterations}.")
    w = kernel_matrix
    w_const = ops.stop_gradient(w)
    u0 = _l2_normalize(ops.reshape(ops.stop_gradient(ops.cast(u, w.dtype)), (1, -1)), epsilon)
    u_row = u0
    v_row = _l2_normalize(ops.matmul(u_row, ops.transpose(w_const)), epsilon)  # (1, m)
    for i in range(int(power_iterations)):
        if i:
            v_row = _l2_normalize(ops.matmul(u_row, ops.transpose(w_const)), epsilon)
        u_row = _l2_normalize(ops.matmul(v_row, w_const), epsilon)  # (1, n)
    # A zero kernel gives u = 0, which would stay 0 forever: keep the old u then.
    u_row = ops.stop_gradient(ops.where(ops.sum(ops.square(u_row)) > 0, u_row, u0))
    v_row = ops.stop_gradient(v_row)
    # sigma(W) ≈ vᵀ W u, differentiated through W only (u, v constants).
    sigma = ops.sum(ops.matmul(v_row, w) * u_row)
    normalized = w / ops.maximum(sigma, epsilon)
    return normalized, ops.reshape(u_row, (-1,)), sigma


_DENSE = (keras.layers.Dense,)
_CONV = (keras.layers.Conv1D, keras.layers.Conv2D, keras.layers.Conv3D)
_CONV_TRANSPOSE = (
    keras.layers.Conv1DTranspose,
    keras.layers.Conv2DTranspose,
    keras.layers.Conv3DTranspose,
    # Computes the same function as Conv2DTranspose with the same kernel layout.
    SubPixelConv2DTranspose,
)


@keras.saving.register_keras_serializable(package="kerasgan")
class SpectralNormalization(keras.layers.Wrapper):
    """Wraps a Dense / Conv / ConvTranspose layer to use `W / sigma(W)` as its kernel.

    Miyato et al. (2018): the raw kernel `W` stays the trainable parameter;
    the forward pass uses `W_SN = W / sigma(W)`, with `sigma(W)` estimated by
    `spectral_normalize` (one power iteration per training step by default,
    section 3 / Algorithm 1) and differentiated through `W` (eq. 12). The
    kernel is viewed as a matrix of shape `(-1, out_channels)` (for
    transposed convolutions the output channels are the kernel's axis -2).
    The power-iteration vector `u` is a non-trainable variable, so it is
    saved in `.keras` files and carried through JAX's stateless training
    step. `call(training=True)` updates `u`; inference uses the stored `u`
    without updating it (`sigma = ||W u||`, `v` is not stored). The wrapped
    layer's stored kernel is never overwritten.

    Supported layers: `Dense`, `Conv1D` / `Conv2D` / `Conv3D` (not causal),
    `Conv1DTranspose` / `Conv2DTranspose` / `Conv3DTranspose` and
    `kerasgan.layers.SubPixelConv2DTranspose` (computed as `Conv2DTranspose`).

    Args:
        layer: the layer to wrap.
        power_iterations: power-iteration steps per training call (>= 1).
        epsilon: added to norms in the power iteration.

    Example:

    ```python
    conv = SpectralNormalization(keras.layers.Conv2D(64, 4, strides=2, padding="same"))
    y = conv(keras.random.normal((8, 32, 32, 3)), training=True)  # (8, 16, 16, 64)
    ```
    """

    def __init__(self, layer, power_iterations=1, epsilon=1e-12, **kwargs):
        super().__init__(layer, **kwargs)
        if type(layer) in _DENSE:
            self._kind = "dense"
        elif type(layer) in _CONV:
            self._kind = "conv"
        elif type(layer) in _CONV_TRANSPOSE:
            self._kind = "conv_transpose"
        else:
            raise ValueError(
                "kerasgan's SpectralNormalization wraps Dense, Conv1D/2D/3D, "
                "Conv1D/2D/3DTranspose and SubPixelConv2DTranspose layers; got "
                f"{type(layer).__name__}."
            )
        if self._kind == "conv" and layer.padding == "causal":
            raise ValueError("SpectralNormalization does not support padding='causal'.")
        if int(power_iterations) < 1:
            raise ValueError(
                f"SpectralNormalization needs power_iterations >= 1; got {power_iterations}."
            )
        if float(epsilon) <= 0:
            raise ValueError(f"SpectralNormalization needs epsilon > 0; got {epsilon}.")
        self.power_iterations = int(power_iterations)
        self.epsilon = float(epsilon)

    def build(self, input_shape):
        super().build(input_shape)
        if getattr(self.layer, "lora_enabled", False) or getattr(
            self.layer, "quantization_mode", None
        ):
            raise ValueError(
                "SpectralNormalization does not support LoRA-enabled or quantized layers."
            )
        out_axis = -2 if self._kind == "conv_transpose" else -1
        self._out_channels = self.layer.kernel.shape[out_axis]
        # u: the power-iteration vector (Algorithm 1), kept between steps.
        self.u = self.add_weight(
            shape=(self._out_channels,),
            initializer=keras.initializers.RandomNormal(),
            trainable=False,
            name="u",
        )

    def _kernel_matrix(self, kernel):
        if self._kind == "conv_transpose":
            kernel = ops.swapaxes(kernel, -1, -2)  # (..., in, filters)
        return ops.reshape(kernel, (-1, self._out_channels))

    def _sigma(self, training):
        kernel = ops.convert_to_tensor(self.layer.kernel)
        _, new_u, sigma = spectral_normalize(
            self._kernel_matrix(kernel),
            self.u,
            power_iterations=self.power_iterations if training else 0,
            epsilon=self.epsilon,
        )
        if training:
            self.u.assign(ops.cast(new_u, self.u.dtype))
        return kernel, sigma

    def normalized_kernel(self):
        """`W / sigma(W)` with the stored `u` (the inference-time kernel)."""
        kernel, sigma = self._sigma(training=False)
        return kernel / ops.maximum(sigma, self.epsilon)

    def call(self, inputs, training=None):
        kernel, sigma = self._sigma(bool(training))
        kernel = kernel / ops.maximum(sigma, self.epsilon)  # W_SN, eq. (8)
        layer = self.layer
        if self._kind == "dense":
            outputs = ops.matmul(inputs, kernel)
        elif self._kind == "conv":
            outputs = layer.convolution_op(inputs, kernel)
        else:
            outputs = ops.conv_transpose(
                inputs,
                kernel,
                strides=list(layer.strides),
                padding=layer.padding,
                output_padding=layer.output_padding,
                dilation_rate=layer.dilation_rate,
                data_format=layer.data_format,
            )
        if getattr(layer, "bias", None) is not None:
            bias = layer.bias
            if self._kind != "dense":
                rank = len(layer.kernel_size)
                if layer.data_format == "channels_last":
                    shape = (1,) * (rank + 1) + (layer.filters,)
                else:
                    shape = (1, layer.filters) + (1,) * rank
                bias = ops.reshape(bias, shape)
            outputs = ops.add(outputs, bias)
        if layer.activation is not None:
            outputs = layer.activation(outputs)
        return outputs

    def compute_output_shape(self, input_shape):
        return self.layer.compute_output_shape(input_shape)

    def get_config(self):
        return {
            **super().get_config(),
            "power_iterations": self.power_iterations,
            "epsilon": self.epsilon,
        }
