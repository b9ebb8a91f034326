"""Bookkeeping of benchmarks/mode_collapse.py (statistics, table, one short run)."""

import math
import os

import numpy as np
import pytest

from conftest import load_script
from kerasgan import data

# The benchmark script's plumbing: run once (scripts/test.sh).
pytestmark = pytest.mark.once

SCRIPT = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "benchmarks", "mode_collapse.py")


@pytest.fixture(scope="module")
def bench():
    return load_script(SCRIPT, "mode_collapse_benchmark")


def test_sample_stats_of_real_and_collapsed_samples(bench):
    modes = data.ring_modes()
    real = bench.sample_stats(data.ring_of_gaussians(2500, seed=0), modes, std=0.02)
    assert real["modes_covered"] == 8 and real["modes_well_covered"] == 8
    assert real["high_quality_fraction"] > 0.97  # 1 - exp(-4.5) of a 2-D Gaussian
    assert real["tv_to_uniform"] < 0.05 and real["median_distance_std"] < 2
    collapsed = np.repeat(modes[:1], 100, axis=0)
    collapsed[0] = modes[1]  # one stray sample on a second mode
    stats = bench.sample_stats(collapsed, modes, std=0.02)
    assert stats["modes_covered"] == 2 and stats["modes_well_covered"] == 1
    assert stats["largest_mode_share"] == pytest.approx(0.99)
    assert stats["tv_to_uniform"] == pytest.approx(0.5 * (0.99 - 1 / 8 + abs(0.01 - 1 / 8) + 6 / 8))
    far = bench.sample_stats(np.full((10, 2), 50.0, "float32"), modes, std=0.02)
    assert far["modes_covered"] == 0 and math.isnan(far["tv_to_uniform"])


def test_summarize_and_format_table(bench):
    runs = [
        {"dataset": "ring", "method": "gan", "seed": s, "num_modes": 8, "modes_covered": c,
         "high_quality_fraction": hq, "modes_well_covered": c, "largest_mode_share": 0.5,
         "tv_to_uniform": 0.4, "median_distance_std": 2.0, "train_seconds": 10.0}
        for s, c, hq in [(0, 8, 0.5), (1, 6, 0.3), (2, 7, 0.4)]
    ]
    rows = bench.summarize(runs)
    assert len(rows) == 1
    row = rows[0]
    assert row["modes_covered"] == pytest.approx((7.0, 1.0))
    assert row["high_quality_fraction"] == pytest.approx((0.4, 0.1))
    assert row["all_modes_runs"] == 1 and row["runs"] == 3
    table = bench.format_table(rows)
    assert "| ring | gan | 7.0 ± 1.0 / 8 | 40.0 ± 10.0 |" in table
    assert "| 1/3 |" in table


def test_parse_args_quick(bench):
    args = bench.parse_args(["--quick"])
    assert args.seeds == [0] and args.iterations == 200 and args.json is None and args.images is None
    full = bench.parse_args([])
    assert full.seeds == [0, 1, 2] and full.json == bench.DEFAULT_JSON
    with pytest.raises(SystemExit):
        bench.parse_args(["--methods", "nope"])


class _FakeModel:
    """Stands in for a trained GAN: records `fit`, samples the true ring."""

    def __init__(self, discriminator_steps):
        self.discriminator_steps = discriminator_steps
        self.fit_calls = []

    def fit(self, x, batch_size, epochs, verbose, shuffle):
        self.fit_calls.append((len(x), batch_size, epochs))

        class History:
            history = {"d_loss": [1.3], "g_loss": [0.8]}

        return History()

    def generate(self, n, seed):
        return data.ring_of_gaussians(n, seed=seed)


@pytest.mark.parametrize("steps", [1, 5])
def test_run_one_bookkeeping(bench, monkeypatch, steps):
    # A real 20-step run compiles a model (10-25 s here on a busy 2-core
    # machine); `benchmarks/mode_collapse.py --quick` covers that path.
    made = []

    def fake_build(method, seed, protocol):
        made.append((method, seed, protocol["latent_dim"]))
        model = _FakeModel(steps)
        fake_build.model = model
        return model

    monkeypatch.setattr(bench, "build_model", fake_build)
    result = bench.run_one("wgan-gp", "ring", seed=3, protocol={"iterations": 20, "batch_size": 16, "eval_samples": 500})
    assert made == [("wgan-gp", 3, bench.PROTOCOL["latent_dim"])]
    # One epoch of `iterations` batches of `steps` D minibatches each.
    assert fake_build.model.fit_calls == [(20 * steps * 16, steps * 16, 1)]
    assert result["real_samples_seen"] == 20 * steps * 16 and result["discriminator_steps"] == steps
    assert result["iterations"] == 20 and result["seed"] == 3 and result["eval_latent_seed"] == 10_003
    assert result["modes_covered"] == 8 and result["high_quality_fraction"] > 0.95
    assert sum(result["per_mode_counts"]) == round(result["high_quality_fraction"] * 500)
    assert result["final_logs"] == {"d_loss": 1.3, "g_loss": 0.8}
    assert "samples" not in result
