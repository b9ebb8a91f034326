"""The Winograd forms of 4x4 stride-2 convolutions that kerasgan's torch steps use.

`kerasgan.fast_ops.torch_winograd` computes Keras's `conv` and
`conv_transpose` (kernel 4, stride 2, "same") by F(2x2, 2x2) and F(4x4, 2x2)
(Lavin and Gray 2016). These tests check the matrices against the direct
correlation they stand for, the convolutions against torch's own ops, and
first and second derivatives by finite differences (`gradcheck`,
`gradgradcheck`). They need torch, not the torch backend: backend-independent,
they run once (scripts/test.sh runs the `once` tests on the torch backend, which
the torch.compile test, about the torch backend's `jit_compile=True`, needs);
`test_backend_convolutions.py` checks the routing and a train step on every
backend.
"""

import os

import numpy as np
import pytest

pytestmark = [pytest.mark.once, pytest.mark.fast_ops]
torch = pytest.importorskip("torch")
F = torch.nn.functional

from kerasgan.fast_ops import torch_winograd  # noqa: E402


def _torch_conv(x, kernel):  # NHWC, Keras's (kh, kw, in, out): stride 2, "same" (pad 1)
    return F.conv2d(x.permute(0, 3, 1, 2), kernel.permute(3, 2, 0, 1), stride=2, padding=1).permute(0, 2, 3, 1)


def _torch_conv_transpose(y, kernel):  # Keras's (kh, kw, out, in)
    return F.conv_transpose2d(y.permute(0, 3, 1, 2), kernel.permute(3, 2, 0, 1), stride=2,
                              padding=1).permute(0, 2, 3, 1)


@pytest.mark.parametrize("m", [2, 4])
def test_matrices_compute_the_two_tap_correlation(m):
    bt, g, at = torch_winograd.winograd_matrices(m)
    assert bt.shape == (m + 1, m + 1) and g.shape == (m + 1, 2) and at.shape == (m, m + 1)
    rng = np.random.default_rng(m)
    for _ in range(5):
        d, taps = rng.normal(size=m + 1), rng.normal(size=2)
        direct = np.array([d[i] * taps[0] + d[i + 1] * taps[1] for i in range(m)])
        np.testing.assert_allclose(at @ ((g @ taps) * (bt @ d)), direct, rtol=1e-12, atol=1e-12)
    # Every row of B^T has a coefficient 1 (one multiplication fewer per row).
    assert all(np.any(row == 1.0) for row in bt)


def test_f22_matrices_are_lavin_and_grays():
    bt, g, at = torch_winograd.winograd_matrices(2)
    np.testing.assert_array_equal(bt, [[1, -1, 0], [0, 1, 0], [0, -1, 1]])
    np.testing.assert_array_equal(g, [[1, 0], [1, 1], [0, 1]])
    np.testing.assert_array_equal(at, [[1, 1, 0], [0, 1, 1]])


@pytest.mark.parametrize("tile,size", [(2, 4), (2, 8), (4, 8), (4, 16)])
def test_conv_and_transpose_match_torchs_own(tile, size):
    # size: the side of the conv's output, which is the transposed conv's input.
    gen = torch.Generator().manual_seed(size + tile)
    x = torch.randn(3, 2 * size, 2 * size, 6, generator=gen)
    kernel = torch.randn(4, 4, 6, 5, generator=gen)
    expected = _torch_conv(x, kernel)
    got = torch_winograd.conv2d_4x4_stride2(x, kernel, tile)
    assert got.shape == expected.shape == (3, size, size, 5)
    torch.testing.assert_close(got, expected, rtol=0, atol=1e-5 * float(expected.abs().max()))

    y = torch.randn(3, size, size, 5, generator=gen)
    expected = _torch_conv_transpose(y, kernel)
    got = torch_winograd.conv2d_transpose_4x4_stride2(y, kernel, tile)
    assert got.shape == expected.shape == (3, 2 * size, 2 * size, 6)
    torch.testing.assert_close(got, expected, rtol=0, atol=1e-5 * float(expected.abs().max()))


@pytest.mark.parametrize("tile", [2, 4])
def test_first_and_second_derivatives_match_finite_differences(tile):
    # float64, so torch's finite differences are exact enough; the double
    # backward is what WGAN-GP's penalty takes.
    gen = torch.Generator().manual_seed(tile)
    # Two tiles per side, so that the tiles' overlap is differentiated too.
    x = torch.randn(1, 4 * tile, 4 * tile, 2, dtype=torch.float64, generator=gen, requires_grad=True)
    kernel = torch.randn(4, 4, 2, 2, dtype=torch.float64, generator=gen, requires_grad=True)
    y = torch.randn(1, 2 * tile, 2 * tile, 2, dtype=torch.float64, generator=gen, requires_grad=True)

    def conv(x, kernel):
        return torch_winograd.conv2d_4x4_stride2(x, kernel, tile)

    def transpose(y, kernel):
        return torch_winograd.conv2d_transpose_4x4_stride2(y, kernel, tile)

    assert torch.autograd.gradcheck(conv, (x, kernel))
    assert torch.autograd.gradgradcheck(conv, (x, kernel))
    assert torch.autograd.gradcheck(transpose, (y, kernel))
    assert torch.autograd.gradgradcheck(transpose, (y, kernel))


def test_gradients_match_torchs_own_in_float32():
    gen = torch.Generator().manual_seed(0)
    x = torch.randn(4, 16, 16, 32, generator=gen)
    kernel = 0.1 * torch.randn(4, 4, 32, 16, generator=gen)
    cotangent = torch.randn(4, 8, 8, 16, generator=gen)
    grads = []
    for op in (_torch_conv, lambda a, b: torch_winograd.conv2d_4x4_stride2(a, b, 4)):
        a, b = x.clone().requires_grad_(), kernel.clone().requires_grad_()
        grads.append(torch.autograd.grad((op(a, b) * cotangent).sum(), (a, b)))
    for got, expected in zip(grads[1], grads[0]):
        torch.testing.assert_close(got, expected, rtol=0, atol=1e-5 * float(expected.abs().max()))


@pytest.mark.skipif(os.environ.get("KERAS_BACKEND") != "torch", reason="jit_compile=True of the torch backend")
def test_traces_under_torch_compile():
    # `jit_compile=True` on the torch backend: torch.compile's tracer (here
    # with its "eager" backend, no code generation) must follow the
    # transforms and the autograd functions, and give the same values.
    gen = torch.Generator().manual_seed(1)
    x = torch.randn(2, 16, 16, 16, generator=gen)
    kernel = 0.1 * torch.randn(4, 4, 16, 16, generator=gen)

    def layers(x, kernel):  # F(4x4) down, F(2x2) up
        h = torch_winograd.conv2d_4x4_stride2(x, kernel, 4)
        return torch_winograd.conv2d_transpose_4x4_stride2(h, kernel, 2)

    results = []
    for f in (layers, torch.compile(layers, backend="eager")):
        a, b = x.clone().requires_grad_(), kernel.clone().requires_grad_()
        y = f(a, b)
        results.append((y, *torch.autograd.grad((y * y).sum(), (a, b))))
    for got, expected in zip(results[1], results[0]):
        torch.testing.assert_close(got, expected, rtol=1e-5, atol=1e-6 * float(expected.abs().max()))


def test_tile_size_rule():
    tile = torch_winograd.tile_size
    assert tile(4, 512, 256) == 2          # DCGAN-64's 4x4 maps: F(2x2, 2x2)
    assert tile(8, 256, 128) == 4          # 8x8 and larger: F(4x4, 2x2)
    assert tile(16, 64, 128) == 4
    assert tile(32, 3, 64) is None         # the image layers: too few channels
    assert tile(32, 64, 3) is None
    assert tile(6, 64, 64) == 2
    assert tile(7, 64, 64) is None         # DCGAN-28's 7x7 and 14x14 maps
    assert tile(14, 64, 64) == 2
