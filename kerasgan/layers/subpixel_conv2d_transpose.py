"""Exact sub-pixel re-formulation of ``keras.layers.Conv2DTranspose``.

A stride-``s`` transposed convolution is the same linear map as ``s*s``
stride-1 convolutions of the (un-dilated) input, one per output phase, whose
results are interleaved by depth-to-space ("pixel shuffle"); see

* W. Shi et al., "Real-Time Single Image and Video Super-Resolution Using an
  Efficient Sub-Pixel Convolutional Neural Network", CVPR 2016
  (arXiv:1609.05158), and
* W. Shi et al., "Is the deconvolution layer the same as a convolutional
  layer?", 2016 (arXiv:1609.07009); A. Odena, V. Dumoulin, C. Olah,
  "Deconvolution and Checkerboard Artifacts", Distill 2016.

The transposed kernel is re-indexed *exactly* into the stride-1 kernel, so the
two forms compute the same function (up to float summation order), but the
sub-pixel form never materialises the zero-dilated input and has much cheaper
gradients on some backends (notably XLA:CPU under JAX).

Index math (per spatial axis, Keras/TF semantics for all backends, no kernel
flip)::

    out[j] = sum_{i, k : j = i*s + k - p} x[i] * w[k],   0 <= j < L

    "same":  L = H*s,                      p = max(K - s, 0) // 2
    "valid": L = (H - 1)*s + max(K, s),    p = 0

Write ``j + p = q*s + r`` with phase ``r`` in ``[0, s)``.  Then
``k = r + m*s`` and ``i = q - m`` for ``m = 0 .. T-1``, ``T = ceil(K / s)``,
so phase ``r`` is a stride-1 *correlation* over ``x[q-T+1 .. q]`` with taps
``v_r[t] = w[r + (T-1-t)*s]`` (zero where ``r + (T-1-t)*s >= K``).  All
phases share one conv whose output channels are ordered ``(r_h, r_w,
filter)``; depth-to-space then places ``y[q, r]`` at ``q*s + r`` and the
result is cropped by ``p`` (plus a constant tail) to ``L``.  Input padding
and the crops are independent of the input size.
"""

import keras
import numpy as np
from keras import ops

from kerasgan.utils.subpixel import pair as _pair
from kerasgan.utils.subpixel import subpixel_gather_indices as _subpixel_gather_indices

__all__ = [
    "SubPixelConv2DTranspose",
    "conv_transpose_kernel_to_subpixel",
    "subpixel_kernel_to_conv_transpose",
    "subpixel_geometry",
]


# What implementation="auto" computes with, per backend. XLA-CPU
# differentiates conv_transpose w.r.t. its kernel very slowly (18 s vs 0.5 s
# for the sub-pixel form on one DCGAN layer); TensorFlow's and PyTorch's
# native transposed convolutions measured as fast or faster than the
# sub-pixel form (benchmarks/upsampling_layer.py).
AUTO_IMPLEMENTATION = {"jax": "subpixel", "tensorflow": "transpose", "torch": "transpose"}


def subpixel_geometry(kernel_size, strides, padding):
    """Input padding and output cropping used by the sub-pixel form.

    Args:
        kernel_size: int or pair ``(Kh, Kw)`` of the transposed convolution.
        strides: int or pair ``(sh, sw)``.
        padding: ``"same"`` or ``"valid"`` (Keras semantics).

    Returns:
        A dict with ``taps`` ``(Th, Tw)`` (spatial size of the stride-1
        kernel), ``input_padding`` ``((top, bottom), (left, right))`` (zeros
        added to the input before the ``"valid"`` stride-1 conv) and
        ``output_crop`` ``((top, bottom), (left, right))`` (rows / columns
        removed after depth-to-space).  None of these depend on the input
        size.
    """
    padding = padding.lower()
    if padding not in ("same", "valid"):
        raise ValueError(f"padding must be 'same' or 'valid', got {padding!r}")
    taps, pads, crops = [], [], []
    for k, s in zip(_pair(kernel_size, "kernel_size"), _pair(strides, "strides")):
        t = -(-k // s)
        if padding == "same":
            p, extra = max(k - s, 0) // 2, 0  # L = H*s
        else:
            p, extra = 0, max(k, s) - s  # L = (H-1)*s + max(k, s)
        # Output rows j in [0, L) need conv positions q in [q_lo, q_hi],
        # q_lo = p // s and q_hi = (L - 1 + p) // s = H + (extra-1+p)//s.
        q_lo = p // s
        q_hi_minus_h = (extra - 1 + p) // s
        pad_before = t - 1 - q_lo
        pad_after = q_hi_minus_h + 1
        crop_before = p - q_lo * s
        # Conv output length N = H + q_hi_minus_h - q_lo + 1.
        crop_after = s * (q_hi_minus_h - q_lo + 1) - crop_before - extra
        assert min(pad_before, pad_after, crop_before, crop_after) >= 0
        taps.append(t)
        pads.append((pad_before, pad_after))
        crops.append((crop_before, crop_after))
    return {
        "taps": tuple(taps),
        "input_padding": tuple(pads),
        "output_crop": tuple(crops),
    }


def conv_transpose_kernel_to_subpixel(kernel, strides):
    """Re-index a ``Conv2DTranspose`` kernel into an equivalent sub-pixel one.

    A stride-``s`` transposed convolution equals ``sh*sw`` stride-1
    convolutions (one per output phase) followed by depth-to-space, i.e. the
    sub-pixel convolution of Shi et al. (2016), "Is the deconvolution layer
    the same as a convolutional layer?" (arXiv:1609.07009).  This function
    returns the stride-1 kernel of that form.  It depends only on the kernel
    and the strides; the padding only changes the input padding / output
    crop (see :func:`subpixel_geometry`).

    Args:
        kernel: array of shape ``(Kh, Kw, filters, in_channels)`` (the layout
            of ``keras.layers.Conv2DTranspose.kernel``).
        strides: int or pair ``(sh, sw)``.

    Returns:
        numpy array of shape ``(Th, Tw, in_channels, sh*sw*filters)`` with
        ``Th = ceil(Kh/sh)``, ``Tw = ceil(Kw/sw)``, to be used as a
        ``channels_last`` stride-1 correlation kernel.  Output channels are
        ordered ``(phase_h, phase_w, filter)``, the order expected by a
        ``(..., sh, sw, filters)`` depth-to-space reshape.  Taps that do not
        exist for a phase are zero.

    Example:
        >>> w = np.random.rand(4, 4, 8, 16).astype("float32")
        >>> v = conv_transpose_kernel_to_subpixel(w, strides=2)
        >>> v.shape
        (2, 2, 16, 32)
        >>> w2 = subpixel_kernel_to_conv_transpose(v, strides=2, kernel_size=4)
        >>> bool(np.array_equal(w, w2))
        True
    """
    kernel = np.asarray(kernel)
    if kernel.ndim != 4:
        raise ValueError(
            f"Expected a kernel of rank 4, got shape {kernel.shape}."
        )
    kh, kw, filters, cin = kernel.shape
    sh, sw = _pair(strides, "strides")
    idx = _subpixel_gather_indices((kh, kw), (sh, sw))
    th, tw = idx.shape[:2]
    flat = kernel.reshape(kh * kw, filters, cin)
    flat = np.concatenate([flat, np.zeros((1, filters, cin), kernel.dtype)])
    g = flat[idx.reshape(-1)].reshape(th, tw, sh, sw, filters, cin)
    g = g.transpose(0, 1, 5, 2, 3, 4)
    return np.ascontiguousarray(g.reshape(th, tw, cin, sh * sw * filters))


def subpixel_kernel_to_conv_transpose(subpixel_kernel, strides, kernel_size):
    """Inverse of :func:`conv_transpose_kernel_to_subpixel`.

    Args:
        subpixel_kernel: array of shape ``(Th, Tw, in_channels,
            sh*sw*filters)`` as returned by
            :func:`conv_transpose_kernel_to_subpixel`.
        strides: int or pair ``(sh, sw)``.
        kernel_size: int or pair ``(Kh, Kw)`` of the transposed kernel to
            recover (needed because ``ceil(K/s)`` does not determine ``K``).

    Returns:
        numpy array of shape ``(Kh, Kw, filters, in_channels)``.  Entries of
        ``subpixel_kernel`` at taps that do not exist in the transposed
        kernel (zero after the forward conversion) are ignored, so the round
        trip ``subpixel -> transposed -> subpixel`` only preserves kernels
        that are zero there, while ``transposed -> subpixel -> transposed``
        is exact.

    Example:
        >>> v = conv_transpose_kernel_to_subpixel(np.ones((3, 3, 2, 5)), 2)
        >>> subpixel_kernel_to_conv_transpose(v, 2, 3).shape
        (3, 3, 2, 5)
    """
    v = np.asarray(subpixel_kernel)
    kh, kw = _pair(kernel_size, "kernel_size")
    sh, sw = _pair(strides, "strides")
    th, tw = -(-kh // sh), -(-kw // sw)
    if v.ndim != 4 or v.shape[:2] != (th, tw) or v.shape[3] % (sh * sw):
        raise ValueError(
            f"subpixel_kernel of shape {v.shape} does not match "
            f"kernel_size={(kh, kw)} and strides={(sh, sw)}: expected "
            f"({th}, {tw}, in_channels, {sh * sw}*filters)."
        )
    cin, filters = v.shape[2], v.shape[3] // (sh * sw)
    g = v.reshape(th, tw, cin, sh, sw, filters)
    # Kernel index k = r + m*s lives at tap t = T-1-m, phase r.
    kh_idx, kw_idx = np.arange(kh), np.arange(kw)
    t_h, r_h = th - 1 - kh_idx // sh, kh_idx % sh
    t_w, r_w = tw - 1 - kw_idx // sw, kw_idx % sw
    out = g[t_h[:, None], t_w[None, :], :, r_h[:, None], r_w[None, :], :]
    # Advanced indices first: (Kh, Kw, cin, filters).
    return np.ascontiguousarray(out.transpose(0, 1, 3, 2))


@keras.saving.register_keras_serializable(package="kerasgan")
class SubPixelConv2DTranspose(keras.layers.Conv2DTranspose):
    """Drop-in ``Conv2DTranspose`` computed as a sub-pixel convolution.

    Same constructor, config and variables as
    ``keras.layers.Conv2DTranspose`` (``kernel`` of shape ``(Kh, Kw, filters,
    in_channels)``, ``bias`` of shape ``(filters,)``), so weights can be
    moved between the two layers with ``get_weights`` / ``set_weights``.
    The forward pass re-indexes the kernel (a gather with a precomputed index
    array) into a stride-1 kernel of shape ``(ceil(Kh/sh), ceil(Kw/sw),
    in_channels, sh*sw*filters)``, runs a stride-1 ``"valid"`` convolution on
    the zero-padded input, applies depth-to-space and crops to the exact
    ``Conv2DTranspose`` output (Shi et al. 2016, arXiv:1609.05158 and
    arXiv:1609.07009).  Only ``keras.ops`` are used, so it runs on every
    backend.  Under JAX on CPU its kernel gradient is several times faster
    than that of ``ops.conv_transpose`` (see
    ``benchmarks/upsampling_layer.py``); under TensorFlow and PyTorch on CPU
    it is not faster (its input gradient is ~2x slower in TF graph mode), so
    it is mainly worth using with the JAX backend.

    Args:
        implementation: ``"subpixel"`` (the default: the form above),
            ``"transpose"`` (``Conv2DTranspose``'s own computation) or
            ``"auto"``: the faster of the two on the active backend, as
            declared by ``AUTO_IMPLEMENTATION`` (sub-pixel on JAX, whose
            XLA-CPU transposed-convolution kernel gradient is very slow; the
            native operation on TensorFlow and PyTorch, where the sub-pixel
            form measured equal or slower, see ``benchmarks/``). Every
            choice computes the same function with the same weights, so a
            model saved under one backend loads under another.
        All other arguments are ``Conv2DTranspose``'s.

    Unsupported (raise ``ValueError``): ``dilation_rate != 1``,
    ``output_padding`` other than ``None`` and ``data_format=
    "channels_first"``.

    Note that ``.weights.h5`` files address layers by their snake-cased
    class name, so a file written by a model with ``Conv2DTranspose`` layers
    does not ``load_weights`` into the same model built with this layer (and
    vice versa).  Move weights in memory instead, e.g. to convert a model::

        def swap(layer):
            if type(layer) is keras.layers.Conv2DTranspose:
                return SubPixelConv2DTranspose.from_config(layer.get_config())
            return layer.__class__.from_config(layer.get_config())

        fast = keras.models.clone_model(model, clone_function=swap)
        fast.set_weights(model.get_weights())

    Example:
        >>> layer = SubPixelConv2DTranspose(64, 4, strides=2, padding="same")
        >>> y = layer(np.zeros((1, 8, 8, 32), "float32"))
        >>> tuple(y.shape)
        (1, 16, 16, 64)
    """

    def __init__(self, filters, kernel_size, *args, implementation="subpixel", **kwargs):
        super().__init__(filters, kernel_size, *args, **kwargs)
        if implementation not in ("subpixel", "transpose", "auto"):
            raise ValueError(
                "implementation must be 'subpixel', 'transpose' or 'auto'; got "
                f"{implementation!r}."
            )
        self.implementation = implementation
        unsupported = []
        if any(d != 1 for d in self.dilation_rate):
            unsupported.append(f"dilation_rate={self.dilation_rate}")
        if self.output_padding is not None:
            unsupported.append(f"output_padding={self.output_padding}")
        if self.data_format != "channels_last":
            unsupported.append(f"data_format={self.data_format!r}")
        if unsupported:
            raise ValueError(
                "SubPixelConv2DTranspose does not support "
                + ", ".join(unsupported)
                + " (it supports dilation_rate=1, output_padding=None and "
                "data_format='channels_last' only); use "
                "keras.layers.Conv2DTranspose instead."
            )
        self._gather_indices = _subpixel_gather_indices(
            self.kernel_size, self.strides
        ).reshape(-1)
        self._geometry = subpixel_geometry(
            self.kernel_size, self.strides, self.padding
        )

    def _subpixel_kernel(self, kernel):
        kh, kw = self.kernel_size
        sh, sw = self.strides
        th, tw = self._geometry["taps"]
        filters, cin = kernel.shape[2], kernel.shape[3]
        flat = ops.reshape(kernel, (kh * kw, filters, cin))
        flat = ops.pad(flat, ((0, 1), (0, 0), (0, 0)))  # zero row
        g = ops.take(flat, self._gather_indices, axis=0)
        g = ops.reshape(g, (th, tw, sh, sw, filters, cin))
        g = ops.transpose(g, (0, 1, 5, 2, 3, 4))
        return ops.reshape(g, (th, tw, cin, sh * sw * filters))

    def get_config(self):
        return {**super().get_config(), "implementation": self.implementation}

    def _uses_subpixel(self):
        if self.implementation == "auto":
            return AUTO_IMPLEMENTATION[keras.backend.backend()] == "subpixel"
        return self.implementation == "subpixel"

    def call(self, inputs):
        if not self._uses_subpixel():
            return super().call(inputs)
        sh, sw = self.strides
        (pt, pb), (pl, pr) = self._geometry["input_padding"]
        (ct, cb), (cl, cr) = self._geometry["output_crop"]
        kernel = self._subpixel_kernel(self.kernel)
        if pt or pb or pl or pr:
            inputs = ops.pad(inputs, ((0, 0), (pt, pb), (pl, pr), (0, 0)))
        y = ops.conv(
            inputs,
            kernel,
            strides=1,
            padding="valid",
            data_format="channels_last",
        )
        if sh * sw > 1:
            shape = ops.shape(y)
            nh, nw = shape[1], shape[2]
            y = ops.reshape(y, (-1, nh, nw, sh, sw, self.filters))
            y = ops.transpose(y, (0, 1, 3, 2, 4, 5))
            y = ops.reshape(y, (-1, nh * sh, nw * sw, self.filters))
        if ct or cb or cl or cr:
            y = y[:, ct : (-cb if cb else None), cl : (-cr if cr else None), :]
        if self.use_bias:
            y = ops.add(y, ops.reshape(self.bias, (1, 1, 1, self.filters)))
        if self.activation is not None:
            y = self.activation(y)
        return y
