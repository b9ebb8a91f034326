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
