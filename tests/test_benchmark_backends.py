"""benchmarks/backends.py: its reference computes the same models, and it runs."""

import json
import os
import re
import shutil
import subprocess
import sys

import numpy as np
import pytest
import keras

from conftest import load_script
from conftest import subprocess_env
from kerasgan.layers import SubPixelConv2DTranspose
from kerasgan.nets.dcgan import dcgan_discriminator
from kerasgan.nets.dcgan import dcgan_generator

# Backend-independent plumbing: run once (scripts/test.sh), each run of the
# script with all three backends' configurations.
pytestmark = [pytest.mark.once, pytest.mark.fast_ops]

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BACKENDS = ("tensorflow", "jax", "torch")
SCRIPT = os.path.join(ROOT, "benchmarks", "backends.py")


def load_benchmark():
    return load_script(SCRIPT, "benchmark_backends")


def trainable_count(model):
    return sum(int(np.prod(v.shape)) for v in model.trainable_weights)


def layer_flops(model):
    """2 × multiply-adds of the conv, transposed-conv and dense layers, per image."""
    total = 0
    for layer in model.layers:
        if isinstance(layer, keras.layers.Conv2D):
            _, h, w, cout = layer.output.shape
            kh, kw, cin, _ = layer.kernel.shape
            total += h * w * cout * kh * kw * cin
        elif isinstance(layer, SubPixelConv2DTranspose):
            _, h, w, cin = layer.input.shape
            kh, kw, cout, _ = layer.kernel.shape
            total += h * w * cin * kh * kw * cout
        elif isinstance(layer, keras.layers.Dense):
            cin, cout = layer.kernel.shape
            total += cin * cout
    return 2 * total


@pytest.mark.parametrize("name", ["dcgan64", "dcgan28", "wgangp64"])
def test_reference_networks_have_kerasgan_shapes(name):
    torch = pytest.importorskip("torch")
    bench = load_benchmark()
    model = bench.MODELS[name]
    image = model["image"]
    generator, steps, size = bench.reference_networks(image)
    critic = bench.reference_discriminator(image, steps, size, batch_norm=not model["gp"])
    keras_g = dcgan_generator(image, bench.NZ, bench.WIDTH)
    keras_d = dcgan_discriminator(image, bench.WIDTH, normalization=None if model["gp"] else "batch")
    assert sum(p.numel() for p in generator.parameters()) == trainable_count(keras_g)
    assert sum(p.numel() for p in critic.parameters()) == trainable_count(keras_d)
    # Same input and output shapes (torch is channels-first).
    with torch.no_grad():
        fake = generator(torch.zeros(2, bench.NZ, 1, 1))
        assert tuple(fake.shape) == (2, image[2], image[0], image[1])
        assert tuple(critic(fake).flatten(1).shape) == (2, 1)


@pytest.mark.parametrize("image", [(64, 64, 3), (28, 28, 1)])
def test_flop_counts_match_the_keras_layers(image):
    bench = load_benchmark()
    g, d = bench.dcgan_forward_flops(image)
    assert g == layer_flops(dcgan_generator(image, bench.NZ, bench.WIDTH))
    assert d == layer_flops(dcgan_discriminator(image, bench.WIDTH))
    if image == (64, 64, 3):  # ../shared/NOTES.md: about 0.21 GFLOP each
        assert g == pytest.approx(0.21e9, rel=0.02) and d == pytest.approx(0.21e9, rel=0.02)
    # One iteration: with reused fakes kerasgan differs from the reference only
    # by D's weight gradients in the G step (not computed); fresh fakes add a
    # G forward pass.
    m = bench.MINIBATCH
    reused, reference = bench.dcgan_flops(image, 1, reuse_fakes=True)
    fresh, _ = bench.dcgan_flops(image, 1, reuse_fakes=False)
    assert reference - reused == m * d and fresh - reused == m * g


@pytest.mark.skipif(shutil.which("taskset") is None or shutil.which("lscpu") is None,
                    reason="gpu.sh --cpus needs taskset and lscpu (util-linux)")
def test_quick_pinned_run_against_the_reference(tmp_path):
    """Through `gpu.sh --cpus 1`: the CPU run pinned to one core (GPU hidden).
    One kerasgan backend (torch, whose thread count the pinning sets); every
    backend runs in the lockstep test below, with the same child code."""
    env = subprocess_env(TF_CPP_MIN_LOG_LEVEL="3", PYTHON=sys.executable)
    proc = subprocess.run(
        ["bash", os.path.join(ROOT, "benchmarks", "gpu.sh"), "--cpus", "1", str(tmp_path),
         "--models", "dcgan28", "--configs", "torch", "--quick"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=600,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "pinned to logical CPUs" in proc.stdout
    payload = json.loads((tmp_path / "cpu_benchmark.json").read_text())
    # Pinned: the run saw one usable CPU, and the torch runs used one thread.
    assert payload["machine"]["cpu_count"] == 1
    assert payload["settings"]["gpu"] is False
    (block,) = payload["models"]
    labels = [r["label"] for r in block["results"]]
    assert labels == ["torch-reference (start)", "torch", "torch-reference (end)"]
    for r in block["results"]:
        assert r["images_per_s"] > 0 and r["iterations_timed"] >= 1
        assert r["torch_threads"] == 1
    assert block["reference_images_per_s"] > 0
    kerasgan_run = block["results"][1]
    assert kerasgan_run["parameters"] > 0 and np.isfinite(list(kerasgan_run["last_logs"].values())).all()
    # The printed table has the ratio column filled for every run.
    assert len(re.findall(r"\| \d+\.\d\dx \|", proc.stdout)) == 3, proc.stdout


def test_interleaved_run_divides_each_config_by_the_references_around_it():
    bench = load_benchmark()

    def run(config, ips):
        return dict(config=config, label=config, images_per_s=ips, median_iteration_ms=1000.0,
                    first_epoch_s=1.0, peak_rss_mb=1.0, iterations_timed=3)

    ref = bench.REFERENCE
    results = [run(ref, 30.0), run("tensorflow", 33.0), run(ref, 36.0), run("torch", 40.0), run(ref, 44.0)]
    bench.add_neighbour_ratios(results)
    assert results[1]["vs_neighbour_references"] == pytest.approx(33.0 / 33.0)
    assert results[3]["vs_neighbour_references"] == pytest.approx(40.0 / 40.0)
    assert "vs_neighbour_references" not in results[0]
    text = bench.table(results, 36.0, None)
    assert "vs the references before and after" in text
    assert "| tensorflow | 33.0 | 1000 | 1.0 | 1 | - | 3 | 0.92x | 1.00x |" in text


def test_lockstep_pairs_each_iteration_with_the_reference_iterations_around_it():
    bench = load_benchmark()
    ref = bench.REFERENCE
    # The machine slows down 2x halfway: the paired ratios do not move.
    timeline = [(ref, 2.0), ("jax", 1.6), (ref, 2.0), ("torch", 1.8), (ref, 4.0), ("jax", 3.2),
                (ref, 4.0), ("torch", 3.6), (ref, 4.0)]
    ratios = bench.paired_ratios(timeline, ref)
    assert ratios["jax"] == pytest.approx([2.0 / 1.6, 4.0 / 3.2])
    assert ratios["torch"] == pytest.approx([3.0 / 1.8, 4.0 / 3.6])
    # No reference on one side (end of the run, or a failed child): not paired.
    assert bench.paired_ratios([(ref, 1.0), ("jax", 1.0)], ref) == {}
    assert bench.quartiles([1.0, 2.0, 3.0, 4.0, 5.0]) == pytest.approx((2.0, 4.0))
    r = dict(config="jax", label="jax", images_per_s=40.0, median_iteration_ms=1600.0, first_epoch_s=1.0,
             peak_rss_mb=1.0, iterations_timed=2, paired_ratios=ratios["jax"], vs_paired_references=1.25,
             paired_ratio_quartiles=(1.25, 1.25))
    assert "| 1.25x (1.25-1.25, 2 pairs) |" in bench.table([r], 32.0, None)


def test_lockstep_run_of_every_backend_against_the_reference(tmp_path):
    """`--lockstep --quick --profile`: live children take turns, one iteration each, then profile 2."""
    out = tmp_path / "lockstep.json"
    proc = subprocess.run(
        [sys.executable, SCRIPT, "--models", "dcgan28", "--configs", ",".join(BACKENDS), "--lockstep",
         "--quick", "--profile", "--json", str(out)],
        cwd=ROOT, env=subprocess_env(TF_CPP_MIN_LOG_LEVEL="3"), capture_output=True, text=True, timeout=600,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    (block,) = json.loads(out.read_text())["models"]
    reference, *runs = block["results"]
    assert reference["config"] == "torch-reference" and [r["config"] for r in runs] == list(BACKENDS)
    # --quick: 2 rounds, each config with a reference iteration before it,
    # and one reference iteration at the end.
    assert reference["iterations_timed"] == 1 + 2 * len(BACKENDS)
    assert "Where the time goes" in proc.stdout
    # --profile: the reference by torch operator, kerasgan by its backend's profiler.
    assert any("convolution" in row["op"] for row in reference["profile"])
    for backend, run in zip(BACKENDS, runs):
        assert run["iterations_timed"] == 2
        assert len(run["paired_ratios"]) == 2 and run["vs_paired_references"] > 0
        assert run["gflop_per_iteration"] > 0 and reference["first_epoch_s"] > 0
        if backend == "torch":
            assert any("convolution" in row["op"] for row in run["profile"])
        else:
            # XLA's operations, Eigen's untraced convolution blocks and idle cores share the cores' time.
            profile = run["profile"]
            assert profile["rows"] and profile["untraced_task_core_percent"] > 0.0, profile
            shares = sum(profile["kinds"].values()) + profile["untraced_task_core_percent"] + profile["idle_core_percent"]
            assert 99.0 <= shares <= 130.0, profile  # over 100: more runnable threads than cores
        assert f"- {backend} (" in proc.stdout
        assert np.isfinite(list(run["last_logs"].values())).all()
        assert run["reuse_fakes"] is True  # the reference's schedule
        assert run["fast_convolutions"] is True  # kerasgan's default
        if backend == "jax":
            assert run["dot_sum_batch_normalization"] is True
        if backend == "torch":
            assert run["fused_batch_normalization"] is True
    assert len(re.findall(r"\| \d+\.\d\dx \(\d+\.\d\d-\d+\.\d\d, 2 pairs\) \|", proc.stdout)) == len(BACKENDS), \
        proc.stdout
