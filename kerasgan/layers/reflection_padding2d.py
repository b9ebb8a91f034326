"""Reflection padding (the `nn.ReflectionPad2d` of CycleGAN's ResNet
generator, Zhu et al. 2017, appendix 7.2: "Reflection padding was used to
reduce artifacts")."""

import keras
from keras import ops


def _pair(padding):
    if isinstance(padding, bool):
        raise ValueError(f"padding must be an int or (pad_h, pad_w); got {padding!r}.")
    if isinstance(padding, int):
        padding = (padding, padding)
    try:
        pad_h, pad_w = padding
    except (TypeError, ValueError):
        raise ValueError(f"padding must be an int or (pad_h, pad_w); got {padding!r}.") from None
    for p in (pad_h, pad_w):
        if isinstance(p, bool) or not isinstance(p, int) or p < 0:
            raise ValueError(
                f"padding must be non-negative ints, an int or (pad_h, pad_w); got {padding!r}."
            )
    return int(pad_h), int(pad_w)


@keras.saving.register_keras_serializable(package="kerasgan")
class ReflectionPadding2D(keras.layers.Layer):
    """Pads the height and width of `(batch, H, W, C)` images by reflection.

    The border row/column is not repeated (numpy's `mode="reflect"`, torch's
    `ReflectionPad2d`): `[a, b, c]` padded by 2 is `[c, b, a, b, c, b, a]`.
    So the padding must be smaller than the size it pads.

    Args:
        padding: an int (the same on all four sides) or `(pad_h, pad_w)`
            (`pad_h` rows above and below, `pad_w` columns left and right).

    Example:

    ```python
    layer = ReflectionPadding2D(3)
    y = layer(keras.random.normal((2, 32, 32, 3)))  # (2, 38, 38, 3)
    ```
    """

    def __init__(self, padding=1, **kwargs):
        super().__init__(**kwargs)
        self.padding = _pair(padding)

    def _check(self, input_shape):
        if len(input_shape) != 4:
            raise ValueError(
                f"ReflectionPadding2D expects (batch, height, width, channels) inputs; "
                f"got shape {tuple(input_shape)}."
            )
        for size, pad, axis in zip(input_shape[1:3], self.padding, ("height", "width")):
            if size is not None and pad >= size:
                raise ValueError(
                    f"ReflectionPadding2D: reflection padding must be smaller than the size it "
                    f"pads; got padding {pad} for {axis} {size} (input shape {tuple(input_shape)})."
                )

    def build(self, input_shape):
        self._check(input_shape)

    def call(self, inputs):
        pad_h, pad_w = self.padding
        return ops.pad(inputs, [[0, 0], [pad_h, pad_h], [pad_w, pad_w], [0, 0]], mode="reflect")

    def compute_output_shape(self, input_shape):
        self._check(input_shape)
        pad_h, pad_w = self.padding
        batch, height, width, channels = input_shape
        return (
            batch,
            None if height is None else height + 2 * pad_h,
            None if width is None else width + 2 * pad_w,
            channels,
        )

    def get_config(self):
        return {**super().get_config(), "padding": self.padding}
