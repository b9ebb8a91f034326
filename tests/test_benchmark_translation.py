"""benchmarks/translation.py: its plain-PyTorch reference has kerasgan's
networks, and the script runs."""

import json
import os
import subprocess
import sys

import numpy as np
import pytest

from conftest import load_script
from conftest import subprocess_env

pytestmark = pytest.mark.once

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SCRIPT = os.path.join(ROOT, "benchmarks", "translation.py")


def test_reference_networks_have_kerasgan_s_parameter_counts():
    pytest.importorskip("torch")
    from kerasgan.nets import patchgan_discriminator
    from kerasgan.nets import resnet_generator

    bench = load_script(SCRIPT, "benchmark_translation")
    spec = {"image_size": 64, "filters": 8, "residual_blocks": 2}
    generator, discriminator = bench.reference_networks(spec)
    count = lambda module: sum(p.numel() for p in module.parameters())  # noqa: E731
    ours = lambda model: sum(int(np.prod(v.shape)) for v in model.trainable_weights)  # noqa: E731
    assert count(generator()) == ours(resnet_generator((64, 64, 3), 8, 2))
    assert count(discriminator()) == ours(patchgan_discriminator((64, 64, 3), 8, 3))


def test_the_script_times_the_reference_and_kerasgan(tmp_path):
    out = tmp_path / "result.json"
    result = subprocess.run(
        [sys.executable, SCRIPT, "--configs", "torch-reference,torch", "--image-size", "32", "--filters", "4",
         "--residual-blocks", "1", "--iterations", "1", "--repeats", "1", "--warmup", "1", "--json", str(out)],
        env=subprocess_env("torch"), capture_output=True, text=True, timeout=300,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert "vs plain PyTorch" in result.stdout
    report = json.loads(out.read_text())
    assert [r["config"] for r in report["results"]] == ["torch-reference", "torch"]
    assert all(r["median_seconds_per_iteration"] > 0 for r in report["results"]), report


def test_stargan_reference_networks_match_kerasgan_s():
    """Same parameter counts, and given kerasgan's weights the same outputs."""
    torch = pytest.importorskip("torch")
    import keras

    from kerasgan.nets import resnet_generator
    from kerasgan.nets import stargan_discriminator

    bench = load_script(SCRIPT, "benchmark_translation")
    spec = {"image_size": 32, "filters": 4, "residual_blocks": 2, "domains": 3}
    generator, discriminator = (build() for build in bench.stargan_reference_networks(spec))
    ours_g = resnet_generator((32, 32, 3), 4, 2, condition_dim=3, normalization="instance_affine")
    ours_d = stargan_discriminator((32, 32, 3), 3, 4)
    count = lambda module: sum(p.numel() for p in module.parameters())  # noqa: E731
    ours = lambda model: sum(int(np.prod(v.shape)) for v in model.trainable_weights)  # noqa: E731
    assert count(generator) == ours(ours_g)
    assert count(discriminator) == ours(ours_d)

    # The discriminator with kerasgan's weights: conv kernels HWIO -> OIHW.
    body = [m for m in discriminator.body if isinstance(m, torch.nn.Conv2d)]
    pairs = [(module, ours_d.get_layer(f"block_{i}_conv")) for i, module in enumerate(body)]
    pairs += [(discriminator.source, ours_d.get_layer("source")),
              (discriminator.domains, ours_d.get_layer("domain_conv"))]
    with torch.no_grad():
        for module, layer in pairs:
            kernel = keras.ops.convert_to_numpy(layer.kernel)
            module.weight.copy_(torch.from_numpy(np.transpose(kernel, (3, 2, 0, 1))))
            assert (module.bias is None) == (layer.bias is None)
            if module.bias is not None:
                module.bias.copy_(torch.from_numpy(keras.ops.convert_to_numpy(layer.bias)))
    x = np.random.default_rng(0).uniform(-1, 1, (2, 32, 32, 3)).astype("float32")
    source, domains = (keras.ops.convert_to_numpy(t) for t in ours_d(x))
    with torch.no_grad():
        ref_source, ref_domains = discriminator(torch.from_numpy(np.transpose(x, (0, 3, 1, 2))))
    np.testing.assert_allclose(np.transpose(ref_source.numpy(), (0, 2, 3, 1)), source, rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(ref_domains.numpy(), domains, rtol=1e-4, atol=1e-5)


def test_the_script_times_a_stargan_iteration(tmp_path):
    out = tmp_path / "result.json"
    result = subprocess.run(
        [sys.executable, SCRIPT, "--model", "stargan", "--configs", "torch-reference,torch", "--image-size", "16",
         "--filters", "4", "--residual-blocks", "1", "--batch-size", "2", "--domains", "3", "--iterations", "1",
         "--repeats", "1", "--warmup", "1", "--json", str(out)],
        env=subprocess_env("torch"), capture_output=True, text=True, timeout=300,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert "StarGAN (3 domains" in result.stdout
    report = json.loads(out.read_text())
    assert report["spec"]["model"] == "stargan" and report["spec"]["batch_size"] == 2
    assert [r["config"] for r in report["results"]] == ["torch-reference", "torch"]
    assert all(r["median_seconds_per_iteration"] > 0 for r in report["results"]), report
