"""scripts/train_stargan_fashion_mnist.py's --time-budget: the run's length
from a timed probe, its learning-rate decay scheduled for that length."""

import json
import os

import numpy as np
import pytest

from conftest import load_script

pytestmark = pytest.mark.once  # the script's plumbing; StarGAN itself is tested per backend


@pytest.fixture(scope="module")
def script():
    here = os.path.dirname(os.path.abspath(__file__))
    return load_script(os.path.join(here, os.pardir, "scripts", "train_stargan_fashion_mnist.py"),
                       "train_stargan_fashion_mnist")


def test_iterations_for_budget(script):
    # 360 s at 2^-7 s a step: 46,080 steps, rounded down to whole 500-step epochs.
    assert script.iterations_for_budget(360, 2 ** -7, 100_000, 500) == 46_000
    assert script.iterations_for_budget(360, 2 ** -7, 100_000, 1) == 46_080
    assert script.iterations_for_budget(360, 0.001, 40_000, 500) == 40_000  # the cap
    assert script.iterations_for_budget(1, 10.0, 40_000, 500) == 500  # at least one epoch
    assert script.iterations_for_budget(1, 10.0, 3, 500) == 3  # ...unless the cap is less


def test_time_budget_sets_the_schedule(script, tmp_path, monkeypatch):
    rng = np.random.default_rng(0)
    x = np.tanh(rng.standard_normal((40, 28, 28, 1))).astype("float32")
    y = (np.arange(40) % 4).astype("int32")
    monkeypatch.setattr(script, "load_task", lambda: (x, y))
    out = tmp_path / "run"
    result = script.main([
        "--filters", "4", "--residual-blocks", "1", "--batch-size", "2", "--iterations", "1000",
        "--time-budget", "1e-6", "--probe-steps", "2", "--log-every", "3", "--eval-images", "0",
        "--save-model", "--out", str(out),
    ])
    assert result["probe"]["timed_steps"] == 2 and result["probe"]["seconds_per_step"] > 0
    # A budget shorter than one step: one logged epoch, and the decay is set for it.
    assert result["iterations_requested"] == 1000 and result["iterations_planned"] == 3
    assert result["train_steps"] == 3 and result["generator_updates"] == 3
    assert result["critic_updates"] == 15
    assert result["final_learning_rates"] == {"discriminator": 0.0, "generator": 0.0}
    saved = json.loads((out / "stargan_fashion_mnist.json").read_text())
    assert saved["iterations_planned"] == 3
    import keras  # the script has imported kerasgan, which registers StarGAN for loading

    # The checkpoint written at the last logged epoch is the final model.
    checkpoint = keras.saving.load_model(out / "stargan_fashion_mnist.keras")
    assert int(checkpoint.optimizer.iterations.numpy()) == 3
    with pytest.raises(SystemExit, match="--time-budget must be > 0"):
        script.main(["--time-budget", "0", "--out", str(out)])
