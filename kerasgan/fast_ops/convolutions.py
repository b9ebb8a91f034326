"""What the backends' faster convolutions share: the switch and the arithmetic.

`{tensorflow,jax,torch}_convolutions` replace functions of Keras's backend
`nn` modules by versions that take a faster path while kerasgan's train step
runs (`kerasgan.fast_ops.scope()`), and Keras's own op otherwise. `OpOverrides` is that switch;
`same_padding`, `strided_2d` and `strided_conv_input_gradient` (in
`keras.ops`, so the same on every backend) are the arithmetic they share.
"""

import contextlib
import contextvars
import math
import threading

import numpy as np
from keras import ops
from keras.src import backend as keras_backend
from keras.src.utils.argument_validation import standardize_tuple

from kerasgan.utils.subpixel import subpixel_gather_indices as _subpixel_gather_indices


class OpOverrides:
    """Functions of a Keras backend module, replaced while a scope is open.

    `scope()` installs `replacements` into `module` when the first scope
    opens and puts Keras's originals back when the last one closes; each
    replacement also checks `active()` and calls Keras's original otherwise,
    so other threads and tasks keep Keras's ops while a scope is open.

    Example:

    ```python
    overrides = OpOverrides(keras_torch_nn, conv=_conv)
    with overrides.scope():
        keras.ops.conv(x, kernel)  # -> _conv, which may call Keras's own
    keras.ops.conv(x, kernel)      # Keras's own again
    ```
    """

    _lock = threading.Lock()

    def __init__(self, module, **replacements):
        self.module, self.replacements = module, replacements
        self._active = contextvars.ContextVar(f"kerasgan_overrides_{module.__name__}", default=False)
        self._depth = 0
        self._originals = {}

    def active(self):
        return self._active.get()

    @contextlib.contextmanager
    def scope(self, enabled=True):
        if not enabled:
            yield
            return
        with self._lock:
            if self._depth == 0:
                self._originals = {name: getattr(self.module, name) for name in self.replacements}
                for name, replacement in self.replacements.items():
                    setattr(self.module, name, replacement)
            self._depth += 1
        token = self._active.set(True)
        try:
            yield
        finally:
            self._active.reset(token)
            with self._lock:
                self._depth -= 1
                if self._depth == 0:
                    for name, original in self._originals.items():
                        if getattr(self.module, name) is self.replacements[name]:
                            setattr(self.module, name, original)


def same_padding(size, kernel, stride, dilation=1):
    """(before, after) zero padding of a "same" convolution along one axis (Keras's rule)."""
    effective = (kernel - 1) * dilation + 1
    total = max((math.ceil(size / stride) - 1) * stride + effective - size, 0)
    return total // 2, total - total // 2


def strided_2d(inputs, kernel, strides, padding, data_format, dilation_rate):
    """(strides, pads) of a conv the custom VJP computes, or None for Keras's op."""
    if (padding not in ("valid", "same") or inputs.ndim != 4 or kernel.ndim != 4
            or keras_backend.standardize_data_format(data_format) != "channels_last"
            or kernel.shape[2] != inputs.shape[3]
            or None in tuple(inputs.shape[1:3])  # traced without spatial sizes
            or tuple(standardize_tuple(dilation_rate, 2, "dilation_rate")) != (1, 1)):
        return None
    strides = tuple(standardize_tuple(strides, 2, "strides"))
    if strides == (1, 1):  # XLA's input gradient has no dilation then
        return None
    pads = tuple(
        same_padding(inputs.shape[1 + i], kernel.shape[i], strides[i]) if padding == "same" else (0, 0)
        for i in range(2)
    )
    return strides, pads


def strided_conv_input_gradient(g, kernel, input_shape, strides, pads):
    """d <g, conv(x, kernel)> / dx of a strided 2-D conv, in sub-pixel form.

    The conv is `"valid"` with stride `strides` over x (NHWC, spatial size
    `input_shape[1:3]`) zero-padded by `pads` = ((top, bottom), (left,
    right)). Autodiff computes this gradient as a convolution of g dilated by
    the strides; here it is one stride-1 convolution of g and a re-indexed
    kernel, then depth-to-space (Shi et al. 2016, arXiv:1609.07009).

    Per axis, with j = i + before the position in the padded input and
    j = q*s + r (phase r), dx[i] = sum_m g[q - m] w[r + m*s]: for each phase
    a stride-1 correlation of g, left-padded by T - 1 (T = ceil(K / s)), with
    the taps v_r[t] = w[r + (T-1-t)*s] (zero past the kernel). One
    convolution computes every phase (output channels ordered (r_h, r_w,
    channel)), depth-to-space interleaves them, and the crop keeps j in
    [before, before + size).
    """
    kh, kw, cin, cout = kernel.shape
    sh, sw = strides
    th, tw = -(-kh // sh), -(-kw // sw)
    index = np.asarray(_subpixel_gather_indices((kh, kw), strides)).reshape(-1)
    taps = ops.concatenate(
        [ops.reshape(kernel, (kh * kw, cin, cout)), ops.zeros((1, cin, cout), dtype=kernel.dtype)], axis=0
    )
    v = ops.reshape(ops.take(taps, index, axis=0), (th, tw, sh, sw, cin, cout))
    v = ops.reshape(ops.transpose(v, (0, 1, 5, 2, 3, 4)), (th, tw, cout, sh * sw * cin))
    h, w = input_shape[1:3]
    (top, _), (left, _) = pads
    qh, qw = -(-(top + h) // sh), -(-(left + w) // sw)  # phase rows / columns needed
    g = g[:, :qh, :qw]  # later rows of g reach only cropped positions
    g = ops.pad(g, ((0, 0), (th - 1, qh - g.shape[1]), (tw - 1, qw - g.shape[2]), (0, 0)))
    y = ops.conv(g, v, strides=1, padding="valid")
    y = ops.reshape(y, (-1, qh, qw, sh, sw, cin))
    y = ops.reshape(ops.transpose(y, (0, 1, 3, 2, 4, 5)), (-1, qh * sh, qw * sw, cin))
    return y[:, top:top + h, left:left + w]
