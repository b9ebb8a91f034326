"""Winograd forms of DCGAN's 4x4, stride-2 convolutions, for the torch backend.

A 4x4 convolution with stride 2 and padding 1 (Keras's "same" on even
sizes) is, after space-to-depth of the padded input, a 2x2 stride-1
convolution over 4x the channels; its transposed convolution is the adjoint
of that map. Winograd's minimal filtering algorithm F(m, 2) computes m
outputs of a 2-tap correlation with m + 1 multiplications instead of 2m
(A. Lavin and S. Gray, "Fast Algorithms for Convolutional Neural Networks",
CVPR 2016, arXiv:1509.09308, section 4), so F(m x m, 2 x 2) replaces the
4 m^2 channel products of an m x m output tile by (m + 1)^2 batched matrix
products (9 instead of 16 for m = 2, 25 instead of 64 for m = 4):

    Y = A^T [ (G g G^T) ⊙ (B^T d B) ] A   for each (m+1) x (m+1) input tile d,

with A, B, G from the Toom-Cook construction on the points 0, 1, -1, 2 and
infinity (Lavin and Gray, section 4.1; here derived by `winograd_matrices`).
Only the (m + 1)^2 products of channels are matrix products; the
transforms of inputs, kernels and outputs are sums of strided slices.

The result equals the direct convolution up to float rounding: relative
errors of about 5e-7 (m = 2) and 2e-6 (m = 4) in float32 on random data.
`tests/test_torch_winograd.py` checks the matrices, the outputs against
torch's convolutions and the derivatives by finite differences;
`tests/test_backend_convolutions.py` compares outputs and first and second
derivatives with Keras's ops, and a `fit` with and without. Each transform is an autograd function whose
backward pass is its adjoint, itself differentiable, so WGAN-GP's double
backward works.

`torch_convolutions` routes Keras's 4x4, stride-2 "same" convolutions and
transposed convolutions of square, float inputs here when `tile_size` finds a
tile that fits (benchmarks/README.md has the measurements behind the rule).

Example:

```python
x = torch.randn(8, 16, 16, 32)                        # NHWC
kernel = torch.randn(4, 4, 32, 64)                    # Keras's (kh, kw, in, out)
y = conv2d_4x4_stride2(x, kernel, tile=4)             # (8, 8, 8, 64)
```
"""

import functools

import numpy as np
import torch
import torch.nn.functional as F

# Interpolation points of F(m, 2) (plus infinity): m of them for m + 1 products.
POINTS = (0.0, 1.0, -1.0, 2.0)
# Output tiles of m x m, for convolutions whose (output) feature map has a
# side of 4 (m = 2) or of 8 or more (m = 4); with m = 4 on a 4x4 map the 25
# matrix products of 64-row blocks ran slower than torch's own convolution.
SMALL_TILE, LARGE_TILE = 2, 4
# The products are matrix products over the channels: below this many input
# or output channels torch's own convolution is left to do the work.
MIN_CHANNELS = 16


def tile_size(size, in_channels, out_channels):
    """Output tile m for a 2x2 convolution with `size` x `size` outputs, or None."""
    if min(in_channels, out_channels) < MIN_CHANNELS:
        return None
    if size % LARGE_TILE == 0 and size >= 2 * LARGE_TILE:
        return LARGE_TILE
    if size % SMALL_TILE == 0:
        return SMALL_TILE
    return None


@functools.lru_cache(maxsize=None)
def winograd_matrices(m):
    """(B^T, G, A^T) of F(m, 2): shapes (m+1, m+1), (m+1, 2), (m, m+1), float64.

    Correlation y_i = sum_k d_{i+k} g_k is the transpose of the linear
    convolution s = g * h, which Toom-Cook computes from the products of g
    and h evaluated at POINTS[:m] and infinity: s = W^-1 [(V_g g) ⊙ (V_h h)].
    Hence B^T = W^-T, G = V_g, A^T = V_h^T.
    """
    n = m + 1
    points = POINTS[:m]
    w = np.zeros((n, n))
    v_g = np.zeros((n, 2))
    v_h = np.zeros((n, m))
    for i, p in enumerate(points):
        w[i] = [p**j for j in range(n)]
        v_g[i] = [1.0, p]
        v_h[i] = [p**j for j in range(m)]
    w[-1, -1] = v_g[-1, -1] = v_h[-1, -1] = 1.0  # the point at infinity: leading coefficients
    bt = np.linalg.inv(w).T
    # Scale row i of B^T by 1/s and of G by s (the same products): each row of
    # B^T then has a coefficient 1, which saves a multiplication per row.
    # (The largest coefficient of the row, a positive one where there is a tie.)
    scale = np.array([max(row, key=lambda c: (abs(c), c > 0)) for row in bt])
    return bt / scale[:, None], v_g * scale[:, None], v_h.T


# The tiles' matrices, built once: under torch.compile a dict lookup traces
# as constants where building them would break the graph.
_MATRICES = {m: winograd_matrices(m) for m in (SMALL_TILE, LARGE_TILE)}


def _matrices(m):
    return _MATRICES[m] if m in _MATRICES else winograd_matrices(m)


def _every(tensor, axis, start, count, step):
    """`count` entries of `tensor` along `axis`, from `start`, every `step`."""
    index = [slice(None)] * tensor.dim()
    index[axis] = slice(start, start + step * count, step)
    return tensor[tuple(index)]


def _combine(out, terms):
    """out = sum of coefficient * tensor over `terms`, in as few kernels as possible."""
    # Python floats: numpy scalars would reach torch as arrays under torch.compile.
    terms = sorted(((float(c), t) for c, t in terms if c != 0), key=lambda term: term[0] != 1.0)
    if not terms:
        out.zero_()
        return out
    (c0, t0), rest = terms[0], terms[1:]
    if c0 == 1.0 and rest:
        c1, t1 = rest.pop(0)
        torch.add(t0, t1, alpha=c1, out=out)
    elif c0 == 1.0:
        out.copy_(t0)
    else:
        torch.mul(t0, c0, out=out)
    for c, t in rest:
        out.add_(t, alpha=c)
    return out


def _input_transform(z, m):
    """B^T d B of every (m+1)^2 tile at stride m: z (N, mT+1, mT+1, ...) -> (m+1, m+1, N, T, T, ...)."""
    bt = _matrices(m)[0]
    n, batch, size = m + 1, z.shape[0], z.shape[1]
    t = (size - 1) // m
    rest = tuple(z.shape[3:])
    rows = z.new_empty((n, batch, t, size) + rest)
    out = z.new_empty((n, n, batch, t, t) + rest)
    for i in range(n):
        _combine(rows[i], [(bt[i, j], _every(z, 1, j, t, m)) for j in range(n)])
    for i in range(n):
        _combine(out[:, i], [(bt[i, j], _every(rows, 3, j, t, m)) for j in range(n)])
    return out


def _input_transform_adjoint(v, m):
    """Adjoint of `_input_transform` (overlapping tiles summed): (m+1, m+1, N, T, T, ...) -> z.

    For trailing dimensions (2, 2, F) (space-to-depth channels) z is a view of
    an (N, mT+1, 2, mT+1, 2, F) buffer, so depth-to-space costs no copy.
    """
    bt = _matrices(m)[0]
    n, batch, t = m + 1, v.shape[2], v.shape[3]
    size = m * t + 1
    rest = tuple(v.shape[5:])
    rows = v.new_empty((n, batch, t, size) + rest)
    if len(rest) == 3 and rest[:2] == (2, 2):
        out = v.new_empty(batch, size, 2, size, 2, rest[2]).permute(0, 1, 3, 2, 4, 5)
    else:
        out = v.new_empty((batch, size, size) + rest)
    for dst, axis, part in ((rows, 3, lambda i: v[:, i]), (out, 1, lambda i: rows[i])):
        for j in range(m):  # tile entry j < m: entry 0 is also entry m of the tile before
            _combine(_every(dst, axis, j, t, m), [(bt[i, j], part(i)) for i in range(n)])
        dst.select(axis, size - 1).zero_()
        for i in range(n):
            if bt[i, m] != 0:
                _every(dst, axis, m, t, m).add_(part(i), alpha=float(bt[i, m]))
    return out


def _output_transform(products, m):
    """A^T M A: (m+1, m+1, N, T, T, F) -> the (N, mT, mT, F) output."""
    at = _matrices(m)[2]
    n, (_, _, batch, t, _, f) = m + 1, products.shape
    cols = products.new_empty(n, m, batch, t, t, f)
    for i in range(m):
        _combine(cols[:, i], [(at[i, k], products[:, k]) for k in range(n)])
    y = products.new_empty(batch, t, m, t, m, f)
    phases = y.permute(2, 4, 0, 1, 3, 5)  # (row phase, column phase, N, T, T, F)
    for i in range(m):
        _combine(phases[i], [(at[i, k], cols[k]) for k in range(n)])
    return y.view(batch, m * t, m * t, f)


def _output_transform_adjoint(y, m):
    """Adjoint of `_output_transform`: (N, mT, mT, F) -> (m+1, m+1, N, T, T, F)."""
    at = _matrices(m)[2]
    n, (batch, size, _, f) = m + 1, y.shape
    t = size // m
    phases = y.reshape(batch, t, m, t, m, f).permute(2, 4, 0, 1, 3, 5)
    cols = y.new_empty(n, m, batch, t, t, f)
    for k in range(n):
        _combine(cols[k], [(at[i, k], phases[i]) for i in range(m)])
    products = y.new_empty(n, n, batch, t, t, f)
    for k in range(n):
        _combine(products[:, k], [(at[i, k], cols[:, i]) for i in range(m)])
    return products


def _both_axes(x, matrix):
    """out[i, j] = sum over p, q of matrix[i, p] matrix[j, q] x[p, q] (the first two axes)."""
    rows_out, rows_in = matrix.shape
    rest = tuple(x.shape[2:])
    rows = x.new_empty((rows_out, rows_in) + rest)
    for i in range(rows_out):
        _combine(rows[i], [(matrix[i, p], x[p]) for p in range(rows_in)])
    out = x.new_empty((rows_out, rows_out) + rest)
    for j in range(rows_out):
        _combine(out[:, j], [(matrix[j, q], rows[:, q]) for q in range(rows_in)])
    return out


class _LinearMap(torch.autograd.Function):
    """`maps[adjoint](x, m)`; its backward pass is the other map of the pair.

    So every derivative, of any order, is one of the two maps: WGAN-GP's
    double backward goes through them too.
    """

    @staticmethod
    def forward(ctx, x, m, maps, adjoint):
        ctx.m, ctx.maps, ctx.adjoint = m, maps, adjoint
        return maps[adjoint](x, m)

    @staticmethod
    def backward(ctx, grad):
        return _LinearMap.apply(grad, ctx.m, ctx.maps, not ctx.adjoint), None, None, None


# (map, adjoint) pairs, for _LinearMap.
_INPUT = (_input_transform, _input_transform_adjoint)
_OUTPUT = (_output_transform, _output_transform_adjoint)
_KERNEL = (lambda taps, m: _both_axes(taps, _matrices(m)[1]),
           lambda u, m: _both_axes(u, _matrices(m)[1].T))


def _kernel_transform(kernel, m):
    """G g G^T of the space-to-depth kernel: (4, 4, C, F) -> ((m+1)^2, 4C, F), channels (row, col, c)."""
    c, f = kernel.shape[2], kernel.shape[3]
    # Keras's kernel[2p + a, 2q + b] is tap (p, q) of the 2x2 kernel on channel (a, b, c).
    taps = kernel.reshape(2, 2, 2, 2, c, f).permute(0, 2, 1, 3, 4, 5)
    return _LinearMap.apply(taps, m, _KERNEL, False).reshape((m + 1) ** 2, 4 * c, f)


def conv2d_4x4_stride2(x, kernel, tile):
    """Keras's `conv(x, kernel, strides=2, padding="same")` for NHWC `x` (H = W, H/2 a multiple of `tile`)."""
    batch, size, _, c = x.shape
    half, n = size // 2, tile + 1
    t = half // tile
    padded = F.pad(x, (0, 0, 1, 1, 1, 1))
    z = padded.view(batch, half + 1, 2, half + 1, 2, c).permute(0, 1, 3, 2, 4, 5)  # space-to-depth
    v = _LinearMap.apply(z, tile, _INPUT, False).reshape(n * n, batch * t * t, 4 * c)
    products = torch.bmm(v, _kernel_transform(kernel, tile))
    return _LinearMap.apply(products.view(n, n, batch, t, t, kernel.shape[3]), tile, _OUTPUT, False)


def conv2d_transpose_4x4_stride2(y, kernel, tile):
    """Keras's `conv_transpose(y, kernel, strides=2, padding="same")`; `kernel` (4, 4, out, in)."""
    batch, size, _, c = y.shape
    t, f, n = size // tile, kernel.shape[2], tile + 1
    products = _LinearMap.apply(y, tile, _OUTPUT, True).reshape(n * n, batch * t * t, c)
    v = torch.bmm(products, _kernel_transform(kernel, tile).transpose(1, 2))
    z = _LinearMap.apply(v.view(n, n, batch, t, t, 2, 2, f), tile, _INPUT, True)
    image = z.permute(0, 1, 3, 2, 4, 5).reshape(batch, 2 * size + 2, 2 * size + 2, f)  # a view
    return image[:, 1:-1, 1:-1, :]
