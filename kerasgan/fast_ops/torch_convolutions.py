"""Leaner 2-D convolutions for Keras's torch backend, used inside kerasgan's steps.

Keras's torch backend computes `ops.conv` and `ops.conv_transpose` for
channels-last (NHWC) tensors in ways that make a DCGAN-64 iteration on a
2-core CPU 6-13% slower than it needs to be (benchmarks/README.md):

- `conv` copies each input NHWC -> NCHW (`.contiguous()`) and then copies it
  back to the channels-last memory format, where the permuted view already
  is channels-last in memory: two full copies of every activation, forward,
  and their gradients backward.
- `conv_transpose` always runs torch with `padding=0` and crops the
  "natural" output afterwards, so it computes border rows and columns that
  are thrown away (23% of the work of a 4x4 -> 8x8, stride-2 layer), and
  the crop and its gradient are two more copies.

`fast_convolutions()` makes both ops, while it is active, pass the permuted
view straight to `torch.nn.functional.conv2d` / `conv_transpose2d`, and hand
the crop to torch's own `padding` / `output_padding` where it can express it
(left crop = padding, left - right = output_padding < stride). Anything else
(1-D or 3-D, channels-first, groups, crops torch cannot express, a Keras
without the crop helper) goes to Keras's own op. Same arithmetic, other
memory layout: `tests/test_backend_convolutions.py` checks outputs and
gradients against Keras's ops, and a `fit` with and without it.

One exception computes differently: on the CPU, 4x4, stride-2, "same"
convolutions and transposed convolutions of square float maps with at least
`torch_winograd.MIN_CHANNELS` channels in and out (DCGAN's inner layers)
take Winograd's minimal-filtering form (`torch_winograd.py`): 44-61% fewer
multiplications, the same result up to float rounding (relative errors
about 1e-6). `WINOGRAD = False` gives them torch's own convolutions.

Example:

```python
with kerasgan.fast_ops.torch_convolutions.fast_convolutions():
    y = keras.ops.conv_transpose(x, kernel, 2, padding="same")
```

`ENABLED = False` turns it off (kerasgan's steps then use Keras's ops).
"""

import torch
import torch.nn.functional as F
from keras.src import backend as keras_backend
# Private: the module whose `conv` / `conv_transpose` `keras.ops` calls.
from keras.src.backend.torch import nn as keras_torch_nn
from keras.src.backend.torch.core import convert_to_tensor
from keras.src.utils.argument_validation import standardize_tuple

from kerasgan.fast_ops import torch_winograd
from kerasgan.fast_ops import enabled as switch
from kerasgan.fast_ops.convolutions import OpOverrides
from kerasgan.fast_ops.convolutions import same_padding

try:  # Private, and only in recent Keras (torch's crops of "same" windows).
    from keras.src.backend.common.backend_utils import (
        compute_conv_transpose_output_crops_for_torch as _keras_crops,
    )
except ImportError:  # pragma: no cover - older Keras: no fast conv_transpose
    _keras_crops = None

# Read each time a kerasgan step starts: False keeps Keras's own ops.
ENABLED = True
# Read at each call: 4x4 stride-2 "same" convolutions take the Winograd form
# where torch_winograd.tile_size finds a tile for them.
WINOGRAD = True

_keras_conv = keras_torch_nn.conv
_keras_conv_transpose = keras_torch_nn.conv_transpose
_torch_conv2d = F.conv2d


def enabled():
    """Whether kerasgan's steps use the faster forms here (on every device; `ENABLED`)."""
    return switch() and ENABLED


def fast_convolutions():
    """Within this context, Keras's torch `conv` / `conv_transpose` take the lean path."""
    return _overrides.scope(enabled())


def _pair(value, name):
    return tuple(standardize_tuple(value, 2, name))


def _nhwc_2d(inputs, kernel, data_format):
    return (
        inputs.ndim == 4 and kernel.ndim == 4
        and keras_backend.standardize_data_format(data_format) == "channels_last"
    )


def _winograd_tile(inputs, kernel, strides, padding, dilation, size, in_channels, out_channels):
    """The Winograd tile of a 4x4 stride-2 "same" convolution with size x size (conv) outputs, or None."""
    if not (WINOGRAD and padding == "same" and tuple(kernel.shape[:2]) == (4, 4)
            and strides == (2, 2) and dilation == (1, 1) and inputs.shape[1] == inputs.shape[2]
            and inputs.dtype in (torch.float32, torch.float64) and kernel.dtype == inputs.dtype
            and inputs.device.type == "cpu"):  # measured on CPUs only; GPUs have cuDNN's
        return None
    return torch_winograd.tile_size(size, in_channels, out_channels)


def _conv(inputs, kernel, strides=1, padding="valid", data_format=None, dilation_rate=1):
    inputs, kernel = convert_to_tensor(inputs), convert_to_tensor(kernel)  # layers pass Variables
    if not (_overrides.active() and _nhwc_2d(inputs, kernel, data_format)
            and kernel.shape[2] == inputs.shape[3] and padding in ("valid", "same")):
        return _keras_conv(inputs, kernel, strides, padding, data_format, dilation_rate)
    strides = _pair(strides, "strides")
    dilation = _pair(dilation_rate, "dilation_rate")
    tile = inputs.shape[1] % 2 == 0 and _winograd_tile(
        inputs, kernel, strides, padding, dilation, inputs.shape[1] // 2, kernel.shape[2], kernel.shape[3])
    if tile:
        return torch_winograd.conv2d_4x4_stride2(inputs, kernel, tile)
    x = inputs.permute(0, 3, 1, 2)  # NCHW view of NHWC memory: channels-last, no copy
    k = kernel.permute(3, 2, 0, 1)  # (kh, kw, in, out) -> (out, in, kh, kw)
    if any(k.shape[2 + i] < strides[i] for i in range(2)) or x.shape[0] == 1:
        # torch 2.13's CPU kernel gradient of a 1x1 stride-2 conv of a
        # channels-last input is wrong (e.g. 8x8, 2 channels), and that of a
        # one-image batch fails ("slow_conv2d: grad_weight must be
        # contiguous", e.g. StarGAN's critic on minibatches of one image);
        # Keras's own op inherits both: such convolutions read a contiguous
        # NCHW copy.
        x = x.contiguous()
    pad = (0, 0)
    if padding == "same":
        (top, bottom), (left, right) = (
            same_padding(x.shape[2 + i], k.shape[2 + i], strides[i], dilation[i]) for i in range(2)
        )
        if (top, left) == (bottom, right):
            pad = (top, left)
        else:  # as Keras: pad explicitly where torch's symmetric padding cannot
            x = F.pad(x, (left, right, top, bottom))
    y = _torch_conv2d(x, k, stride=strides, padding=pad, dilation=dilation)
    return y.permute(0, 2, 3, 1)


def _conv_transpose(inputs, kernel, strides=1, padding="valid", output_padding=None,
                    data_format=None, dilation_rate=1):
    inputs, kernel = convert_to_tensor(inputs), convert_to_tensor(kernel)
    keras_op = lambda: _keras_conv_transpose(  # noqa: E731
        inputs, kernel, strides, padding, output_padding, data_format, dilation_rate)
    if not (_overrides.active() and _keras_crops is not None and _nhwc_2d(inputs, kernel, data_format)
            and kernel.shape[3] == inputs.shape[3]):
        return keras_op()
    strides = _pair(strides, "strides")
    dilation = _pair(dilation_rate, "dilation_rate")
    tile = output_padding is None and _winograd_tile(
        inputs, kernel, strides, padding, dilation, inputs.shape[1], kernel.shape[3], kernel.shape[2])
    if tile:
        return torch_winograd.conv2d_transpose_4x4_stride2(inputs, kernel, tile)
    crops = _keras_crops(input_shape=inputs.shape, kernel_shape=kernel.shape, strides=strides,
                         padding=padding, output_padding=output_padding, dilation_rate=dilation)
    # torch keeps [padding, natural - padding + output_padding) of the natural
    # output, so a crop (left, right) is padding = left, output_padding =
    # left - right, which torch accepts below max(stride, dilation).
    if any(left < 0 or not 0 <= left - right < max(s, d)
           for (left, right), s, d in zip(crops, strides, dilation)):
        return keras_op()
    y = F.conv_transpose2d(
        inputs.permute(0, 3, 1, 2),
        kernel.permute(3, 2, 0, 1),  # (kh, kw, out, in) -> (in, out, kh, kw)
        stride=strides,
        padding=tuple(left for left, _ in crops),
        output_padding=tuple(left - right for left, right in crops),
        dilation=dilation,
    )
    return y.permute(0, 2, 3, 1)


_overrides = OpOverrides(keras_torch_nn, conv=_conv, conv_transpose=_conv_transpose)
