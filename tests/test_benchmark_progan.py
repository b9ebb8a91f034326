"""benchmarks/progan.py: its plain-PyTorch reference computes kerasgan's
ProGAN networks (same parameter counts, same outputs given the same
weights), and the script runs and reports a ratio per backend."""

import json
import os
import subprocess
import sys

import numpy as np
import pytest
from keras import ops

from conftest import load_script
from conftest import subprocess_env

pytestmark = pytest.mark.once

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SCRIPT = os.path.join(ROOT, "benchmarks", "progan.py")

# filter_base 32 with max_filters 8: the widths change across the blocks (8, 8, 8, 4 at 16×16).
SPECS = [
    {"resolution": 8, "latent_dim": 6, "filter_base": 32, "max_filters": 8},
    {"resolution": 16, "latent_dim": 6, "filter_base": 32, "max_filters": 8},
    {"resolution": 4, "latent_dim": 6, "filter_base": 32, "max_filters": 8},
]


def _np(x):
    return np.asarray(ops.convert_to_numpy(x))


def _copy_weights(ours, theirs, spec):
    """kerasgan's weights into the reference's modules (NHWC → NCHW layouts)."""
    import torch

    from kerasgan.layers.equalized_conv2d import EqualizedConv2D

    bench = load_script(SCRIPT, "benchmark_progan")
    nf1 = bench.filters(spec, 1)

    def put(module, layer, kernel=None, bias=None):
        kernel = _np(layer.kernel) if kernel is None else kernel
        bias = _np(layer.bias) if bias is None else bias
        if isinstance(layer, EqualizedConv2D):
            kernel = kernel.transpose(3, 2, 0, 1)  # (kh, kw, in, out) → (out, in, kh, kw)
        else:
            kernel = kernel.T
        assert module.weight.shape == kernel.shape and module.bias.shape == bias.shape
        with torch.no_grad():
            module.weight.copy_(torch.from_numpy(np.ascontiguousarray(kernel)))
            module.bias.copy_(torch.from_numpy(np.ascontiguousarray(bias)))
        assert module.scale == pytest.approx(layer.scale)

    g, d = ours
    tg, td = theirs
    # The generator's dense output is reshaped to (4, 4, nf1) by kerasgan, (nf1, 4, 4) by torch.
    kernel = _np(g.dense.kernel).reshape(-1, 4, 4, nf1).transpose(0, 3, 1, 2).reshape(-1, 16 * nf1)
    bias = _np(g.dense.bias).reshape(4, 4, nf1).transpose(2, 0, 1).reshape(-1)
    put(tg.dense, g.dense, kernel, bias)
    for block, tblock in zip(g.blocks, tg.blocks):
        for layer, module in zip(block, tblock):
            put(module, layer)
    for layer, module in zip(g.to_rgb, tg.to_rgb):
        put(module, layer)
    for layer, module in zip(d.from_rgb, td.from_rgb):
        put(module, layer)
    conv, dense, score = d.blocks[0]
    put(td.conv0, conv)
    # The critic's 4×4 map is flattened (h, w, c) by kerasgan, (c, h, w) by torch.
    kernel = _np(dense.kernel).reshape(4, 4, nf1, -1).transpose(2, 0, 1, 3).reshape(16 * nf1, -1)
    put(td.dense0, dense, kernel)
    put(td.score, score)
    for block, tblock in zip(d.blocks[1:], list(td.blocks)[1:]):
        for layer, module in zip(block, tblock):
            put(module, layer)


@pytest.mark.parametrize("spec", SPECS, ids=lambda s: f"{s['resolution']}x{s['resolution']}")
def test_reference_networks_are_kerasgan_s(spec):
    torch = pytest.importorskip("torch")
    from kerasgan.nets import ProGANDiscriminator
    from kerasgan.nets import ProGANGenerator

    bench = load_script(SCRIPT, "benchmark_progan")
    Generator, Discriminator = bench.reference_networks(spec)
    tg, td = Generator(), Discriminator()
    size = spec["resolution"]
    g = ProGANGenerator(size, 3, spec["latent_dim"], spec["filter_base"], spec["max_filters"])
    d = ProGANDiscriminator(size, 3, spec["filter_base"], spec["max_filters"])
    ours = lambda net: sum(int(np.prod(v.shape)) for v in net.trainable_weights)  # noqa: E731
    assert bench.count(tg) == ours(g)
    assert bench.count(td) == ours(d)

    _copy_weights((g, d), (tg, td), spec)
    rng = np.random.default_rng(0)
    z = rng.standard_normal((8, spec["latent_dim"])).astype("float32")
    images = rng.uniform(-1, 1, (8, size, size, 3)).astype("float32")
    for alpha in (1.0, 0.3):
        with torch.no_grad():
            theirs_g = tg(torch.from_numpy(z), alpha).permute(0, 2, 3, 1).numpy()
            theirs_d = td(torch.from_numpy(images).permute(0, 3, 1, 2), alpha).numpy()
        np.testing.assert_allclose(theirs_g, _np(g(z, alpha=alpha)), rtol=1e-4, atol=1e-4)
        np.testing.assert_allclose(theirs_d, _np(d(images, alpha=alpha)), rtol=1e-4, atol=1e-4)


def test_the_script_times_the_reference_and_kerasgan(tmp_path):
    """One kerasgan backend's child beside the reference: the children run the
    same code under each backend (ProGAN's steps are tested on every backend
    in test_progan.py; the lockstep test of test_benchmark_backends.py runs a
    benchmark child under each)."""
    out = tmp_path / "result.json"
    result = subprocess.run(
        [sys.executable, SCRIPT, "--quick", "--backends", "torch", "--json", str(out)],
        env=subprocess_env(None), capture_output=True, text=True, timeout=600,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert "vs plain PyTorch" in result.stdout
    report = json.loads(out.read_text())
    assert report["spec"]["resolutions"] == [8]
    results = report["results"]
    assert [r["config"] for r in results] == ["torch-reference", "torch"]
    for r in results:
        assert r["resolution"] == 8
        assert len(r["seconds_per_iteration"]) == 1
        assert r["median_seconds_per_iteration"] > 0
        assert r["speed_vs_reference"] > 0
    assert results[0]["speed_vs_reference"] == 1.0
    parameters = [r["parameters"] for r in results]
    assert all(p == parameters[0] for p in parameters), parameters
    assert parameters[0]["generator"] > 0 and parameters[0]["discriminator"] > 0


def test_the_quality_study_evaluates_28x28_centres_and_ranks_metrics_against_fid():
    """benchmarks/progan_fashion_mnist.py: a snapshot's samples (4×4 to 32×32) become the
    28×28 centre of their nearest-neighbour 32×32 version, clipped to [−1, 1], as a loop
    over pixels computes it; the rank correlations use the full-resolution snapshots only."""
    study = load_script(os.path.join(ROOT, "benchmarks", "progan_fashion_mnist.py"), "progan_fmnist")
    rng = np.random.default_rng(0)
    for size in (4, 8, 16, 32):
        images = rng.uniform(-1.5, 1.5, (3, size, size, 1)).astype("float32")
        expected = np.empty((3, 28, 28, 1), "float32")
        for i in range(28):
            for j in range(28):
                expected[:, i, j] = images[:, (i + 2) * size // 32, (j + 2) * size // 32]
        np.testing.assert_array_equal(study.to_28(images), np.clip(expected, -1, 1))
    rows = [{"resolution": 16, "fid": 1.0, "kid": 9.0, "inception_score": 0.0,
             "wasserstein_estimate": 0.0, "gradient_norm": 0.0, "images_seen": 0}]
    rows += [{"resolution": 32, "fid": f, "kid": f / 10, "inception_score": -f,
              "wasserstein_estimate": w, "gradient_norm": 1.0 + i, "images_seen": i}
             for i, (f, w) in enumerate([(40, 2.0), (20, 1.0), (30, 3.0), (10, 0.5)])]
    r = study.correlations(rows)
    assert r["kid"] == pytest.approx(1.0) and r["inception_score"] == pytest.approx(-1.0)
    assert r["images_seen"] == pytest.approx(-0.8) and r["wasserstein_estimate"] == pytest.approx(0.8)
    assert study.correlations(rows[:3]) == {}  # fewer than 3 full-resolution snapshots
