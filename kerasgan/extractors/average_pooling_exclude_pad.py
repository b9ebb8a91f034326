"""2-D average pooling whose averages leave the padding out.

TensorFlow's `avg_pool` with SAME padding divides each window's sum by the
number of *input* pixels it covers; PyTorch's `count_include_pad=True` (its
default) divides by the full window size. The FID Inception graph was built in
TensorFlow, so pytorch-fid patches its pools with `count_include_pad=False`
(pytorch-fid `src/pytorch_fid/inception.py`, `FIDInceptionA/C/E_1`). This layer
gives that behaviour on every Keras backend.
"""

import keras
from keras import ops


@keras.saving.register_keras_serializable(package="kerasgan")
class AveragePooling2DExcludePad(keras.layers.Layer):
    """Average pooling with "same" padding that does not count padded pixels.

    Each output is the mean of the input pixels inside its window, so border
    windows average over fewer pixels (PyTorch's `count_include_pad=False`).
    Channels-last (NHWC) only.

    Computed as `avg_pool(pad(x)) / avg_pool(pad(ones))` with explicit zero
    padding (TensorFlow's "same": the odd pixel at the end) and "valid"
    pooling, i.e. window sum / count of real pixels. The backends' own "same"
    average pools are not used: they disagree (Keras's torch backend pads
    asymmetric cases by replicating edge pixels and counts them).

    Example:

    ```python
    layer = AveragePooling2DExcludePad(pool_size=3, strides=1)
    y = layer(keras.random.normal((2, 35, 35, 192)))  # (2, 35, 35, 192)
    ```
    """

    def __init__(self, pool_size=3, strides=1, **kwargs):
        super().__init__(**kwargs)
        self.pool_size = _pair(pool_size, "pool_size")
        self.strides = _pair(strides, "strides")

    def _pool(self, x, padding):
        x = ops.pad(x, [(0, 0), padding[0], padding[1], (0, 0)])
        return ops.average_pool(
            x, self.pool_size, self.strides, padding="valid", data_format="channels_last"
        )

    def call(self, inputs):
        shape = inputs.shape
        padding = [
            _same_padding(shape[1 + i], self.pool_size[i], self.strides[i]) for i in range(2)
        ]
        # One image, one channel of ones: the fraction of each window inside the image.
        ones = ops.ones_like(inputs[:1, :, :, :1])
        return self._pool(inputs, padding) / self._pool(ones, padding)

    def compute_output_shape(self, input_shape):
        n, h, w, c = input_shape
        h = None if h is None else -(-h // self.strides[0])
        w = None if w is None else -(-w // self.strides[1])
        return (n, h, w, c)

    def get_config(self):
        return {
            **super().get_config(),
            "pool_size": list(self.pool_size),
            "strides": list(self.strides),
        }


def _same_padding(size, pool, stride):
    """(before, after) zero padding of TensorFlow's "same" along one axis."""
    if stride == 1:
        total = pool - 1
    elif size is None:
        raise ValueError("AveragePooling2DExcludePad with strides > 1 needs a known image size.")
    else:
        total = max((-(-size // stride) - 1) * stride + pool - size, 0)
    return (total // 2, total - total // 2)


def _pair(value, what):
    if isinstance(value, int):
        value = (value, value)
    value = tuple(int(v) for v in value)
    if len(value) != 2 or min(value) < 1:
        raise ValueError(f"`{what}` must be a positive int or a pair of them; got {value}.")
    return value
