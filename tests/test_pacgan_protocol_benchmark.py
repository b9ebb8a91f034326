"""benchmarks/pacgan_protocol.py: PacGAN's 2-D networks, packed data and one short run."""

import os

import numpy as np
import pytest

import kerasgan

from conftest import load_script

# The benchmark script's plumbing: run once (scripts/test.sh).
pytestmark = pytest.mark.once

SCRIPT = os.path.join(
    os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "benchmarks", "pacgan_protocol.py"
)


@pytest.fixture(scope="module")
def bench():
    return load_script(SCRIPT, "pacgan_protocol_benchmark")


@pytest.mark.parametrize("packing", [1, 4])
def test_networks_are_pacgans(bench, packing):
    p = bench.PACGAN
    generator, discriminator = bench.build_networks(packing, False, p)
    g, d = p["generator_units"], p["discriminator_units"]
    pieces = p["maxout_pieces"]
    # G: 4 × [Dense without bias, batch norm (γ, β trainable)], Dense 2 with bias.
    assert generator.count_params() == (2 * g + 3 * g * g) + 4 * 4 * g + (g * 2 + 2)
    assert sum(int(np.prod(w.shape)) for w in generator.trainable_weights) == (
        2 * g + 3 * g * g + 4 * 2 * g + g * 2 + 2
    )
    norms = [layer for layer in generator.layers if "bn" in layer.name]
    assert len(norms) == 4 and all(layer.momentum == 0.95 for layer in norms)
    # D: 3 LinearMaxout layers of 200 units × 5 pieces on 2·m inputs, Dense 1.
    assert discriminator.input_shape == (None, 2 * packing)
    assert discriminator.count_params() == (
        (2 * packing + 1) * d * pieces + 2 * (d + 1) * d * pieces + (d + 1)
    )


def test_packed_epoch_draws_independent_samples_of_the_training_set(bench):
    train = np.arange(2000, dtype="float32").reshape(1000, 2)
    rows = bench.packed_epoch(train, 3, np.random.default_rng(0))
    assert rows.shape == (3000, 2)
    packs = rows.reshape(1000, 3, 2)
    assert np.all(packs[:, :, 1] == packs[:, :, 0] + 1)  # whole samples of the set
    index = packs[:, :, 0] // 2
    assert np.mean(index[:, 0] == index[:, 1]) < 0.01  # independent slots
    assert len(np.unique(index)) > 900


def test_a_short_run_with_packing_and_minibatch_discrimination(bench):
    tiny = dict(bench.PACGAN, num_examples=1000, iterations_per_epoch=4, packs_per_batch=8,
                generator_units=16, discriminator_units=8, eval_samples=200,
                minibatch_discrimination=(4, 3))
    result = bench.run_one("pacgan4+mbd", "grid", seed=1, protocol=tiny, epochs=2)
    assert result["packing"] == 4 and result["batch_size"] == 32 and result["iterations"] == 8
    assert [point["iterations"] for point in result["curve"]] == [4, 8]
    assert result["num_modes"] == 25 and np.isfinite(result["final_logs"]["d_loss"])
    parts = result["minibatch_diagnostics"]
    assert set(parts) == {f"{p}_{s}" for p in ("hidden_part", "minibatch_part", "minibatch_feature")
                          for s in ("real", "fake")}
    assert bench.parse_seeds("0-2,5") == [0, 1, 2, 5]


def test_minibatch_diagnostics_decompose_the_discriminators_logit(bench):
    from keras import ops

    tiny = dict(bench.PACGAN, generator_units=16, discriminator_units=8,
                minibatch_discrimination=(4, 3))
    model = bench.build_model("pacgan4+mbd", 0, tiny)
    real = np.random.default_rng(0).standard_normal((32, 2)).astype("float32")
    parts = bench.minibatch_diagnostics(model, real)
    logits = ops.convert_to_numpy(model.discriminate(ops.convert_to_tensor(real)))
    bias = float(ops.convert_to_numpy(model.discriminator.get_layer("score").bias)[0])
    np.testing.assert_allclose(
        parts["hidden_part_real"] + parts["minibatch_part_real"] + bias, logits.mean(), rtol=1e-4, atol=1e-5
    )


def test_a_short_run_with_the_moving_average_generator(bench):
    tiny = dict(bench.PACGAN, num_examples=1000, iterations_per_epoch=4, packs_per_batch=8,
                generator_units=16, discriminator_units=8, eval_samples=200)
    result = bench.run_one("gan+ema", "ring", seed=0, protocol=tiny, epochs=1)
    point = result["curve"][-1]
    # Both samplers are evaluated: the average (the run's result) and G itself.
    assert point["high_quality_fraction"] == result["high_quality_fraction"]
    assert {"generator_modes_covered", "generator_high_quality_fraction"} <= set(point)
    model = bench.build_model("gan+ema", 0, tiny)
    assert model.generator_ema == 0.999 and model.packing == 1
    # --ema-decay sets the +ema methods' decay, and is refused without one.
    assert bench.build_model("pacgan4+ema", 0, dict(tiny, ema_decay=0.9999)).generator_ema == 0.9999
    assert bench.build_model("gan", 0, dict(tiny, ema_decay=0.9999)).generator_ema is None
    with pytest.raises(SystemExit, match="--ema-decay applies to the \\+ema methods only"):
        bench.main(["--methods", "gan", "--ema-decay", "0.99", "--datasets", "ring", "--seeds", "0",
                    "--epochs", "0.001", "--json", os.devnull])
    with pytest.raises(SystemExit):
        bench.parse_args(["--methods", "gan+ema", "--ema-decay", "1.5"])


def test_a_moving_average_started_after_some_epochs(bench, monkeypatch):
    tiny = dict(bench.PACGAN, num_examples=1000, iterations_per_epoch=4, packs_per_batch=8,
                generator_units=16, discriminator_units=8, eval_samples=200, ema_start_epochs=1)
    # Built without the average; `run_one` starts it from G's weights after epoch 1.
    assert bench.build_model("gan+ema", 0, tiny).generator_ema is None
    from keras import ops

    from kerasgan.engine.latent_gan import LatentGAN

    started, original = [], LatentGAN.start_generator_ema

    def spy(self, decay):  # when (in training iterations) and with what decay
        started.append((int(ops.convert_to_numpy(self.optimizer.iterations)), decay))
        return original(self, decay)

    monkeypatch.setattr(LatentGAN, "start_generator_ema", spy)
    result = bench.run_one("gan+ema", "ring", seed=0, protocol=dict(tiny, ema_decay=0.99), epochs=2)
    assert started == [(4, 0.99)] and result["ema_start_iterations"] == 4
    before, after = result["curve"]
    # Before the start, G itself is both samplers; after it, both are evaluated.
    assert before["generator_modes_covered"] == before["modes_covered"]
    assert before["generator_high_quality_fraction"] == before["high_quality_fraction"]
    assert after["high_quality_fraction"] == result["high_quality_fraction"]
    assert {"generator_modes_covered", "generator_high_quality_fraction"} <= set(after)
    common = ["--datasets", "ring", "--seeds", "0", "--epochs", "2", "--json", os.devnull]
    with pytest.raises(SystemExit, match="--ema-start applies to the \\+ema methods only"):
        bench.main(["--methods", "gan", "--ema-start", "1", *common])
    with pytest.raises(SystemExit, match="must be below --epochs"):
        bench.main(["--methods", "gan+ema", "--ema-start", "2", *common])
    with pytest.raises(SystemExit):
        bench.parse_args(["--methods", "gan+ema", "--ema-start", "-1"])


def test_a_short_run_with_discriminator_rejection_sampling(bench, capsys):
    tiny = dict(bench.PACGAN, num_examples=1000, iterations_per_epoch=4, packs_per_batch=8,
                generator_units=16, discriminator_units=8, eval_samples=200, drs_burn_in=400,
                progress=True, drs_fit=dict(bench.PACGAN["drs_fit"], features=8, hidden=(8,), epochs=1))
    for method in ("gan+ema+drs", "pacgan4+drs", "pacgan4+drs-mates", "pacgan4+ema+drs-fit"):
        result = bench.run_one(method, "ring", seed=0, protocol=tiny, epochs=1)
        point = result["curve"][-1]
        # The run's figures are the rejection sampler's; the same sampler
        # without rejection is recorded beside them, with the acceptance rate.
        assert point["high_quality_fraction"] == result["high_quality_fraction"]
        assert {"plain_modes_covered", "plain_high_quality_fraction"} <= set(point)
        assert 0.0 < point["acceptance_rate"] <= 1.0
        averaged = method in ("gan+ema+drs", "pacgan4+ema+drs-fit")
        assert ("generator_drs_acceptance_rate" in point) == averaged
        assert ("generator_modes_covered" in point) == averaged
        assert f"ring {method} seed 0, 4 iterations" in capsys.readouterr().err  # --progress
    # Training is the base method's: the same networks and options; a fitted
    # discriminator changes neither the trained model nor the training's randomness.
    model = bench.build_model("pacgan4+ema+drs", 0, tiny)
    assert model.packing == 4 and model.generator_ema == 0.999
    plain = bench.run_one("pacgan4+ema", "ring", seed=0, protocol=dict(tiny, eval_every=1), epochs=2)
    fitted = bench.run_one("pacgan4+ema+drs-fit", "ring", seed=0, protocol=dict(tiny, eval_every=1), epochs=2)
    assert [p["high_quality_fraction"] for p in plain["curve"]] == [
        p["plain_high_quality_fraction"] for p in fitted["curve"]]
    assert plain["final_logs"] == fitted["final_logs"]
    network = bench.rejection_network(tiny, 0)
    assert isinstance(network.layers[0], kerasgan.layers.RandomFourierFeatures)


def test_evaluations_every_few_epochs_and_after_the_last(bench):
    tiny = dict(bench.PACGAN, num_examples=1000, iterations_per_epoch=4, packs_per_batch=8,
                generator_units=16, discriminator_units=8, eval_samples=200, eval_every=2)
    result = bench.run_one("gan", "ring", seed=0, protocol=tiny, epochs=3)
    assert [point["iterations"] for point in result["curve"]] == [8, 12]
    assert result["high_quality_fraction"] == result["curve"][-1]["high_quality_fraction"]
    with pytest.raises(SystemExit):
        bench.parse_args(["--eval-every", "0"])


def test_figures_show_each_sampler_of_the_first_seed(bench, tmp_path):
    bench.main(["--methods", "gan+drs", "--datasets", "ring", "--seeds", "0", "--epochs", "0.01",
                "--images", str(tmp_path), "--image-prefix", "drs", "--json", os.devnull])
    from PIL import Image

    # Real data, the rejection sampler and the same G without rejection: three panels.
    assert Image.open(tmp_path / "drs_ring.png").size[0] > Image.open(tmp_path / "drs_ring.png").size[1] * 2
    assert Image.open(tmp_path / "drs_curves.png").format == "PNG"
