"""Saving: `.keras` round trips, resuming, and weights across backends."""

import json
import os
import subprocess
import sys

import keras
import numpy as np
import pytest

import kerasgan
from conftest import random_images
from conftest import small_dcgan

BACKENDS = ("tensorflow", "jax", "torch")


def _trained(model_factory=small_dcgan, epochs=1):
    model = model_factory()
    model.compile(loss="minimax", label_smoothing=0.1)
    model.fit(random_images(64), batch_size=32, epochs=epochs, verbose=0, shuffle=False)
    return model


def _assert_same_variables(a, b):
    assert len(a) == len(b)
    for x, y in zip(a, b):
        np.testing.assert_array_equal(x.numpy(), y.numpy(), err_msg=x.path)


def test_keras_round_trip_keeps_both_networks_and_both_optimizers(tmp_path):
    model = _trained()
    path = tmp_path / "model.keras"
    model.save(path)
    loaded = keras.saving.load_model(path)
    assert type(loaded) is kerasgan.models.DCGAN
    _assert_same_variables(model.generator.variables, loaded.generator.variables)
    _assert_same_variables(model.discriminator.variables, loaded.discriminator.variables)
    for player in ("generator", "discriminator"):
        _assert_same_variables(
            model.player_optimizer(player).variables, loaded.player_optimizer(player).variables
        )
        assert int(loaded.player_optimizer(player).iterations.numpy()) == 2
    assert isinstance(loaded.adversarial_loss, kerasgan.losses.MinimaxLoss)
    # The backend's own "auto" choice is not frozen into the file.
    assert "jit_compile" not in model.get_compile_config()
    assert loaded.adversarial_loss.label_smoothing == 0.1
    np.testing.assert_array_equal(model.generate(4, seed=0), loaded.generate(4, seed=0))


def test_resumed_training_continues_exactly(tmp_path):
    """Training after save + load equals training straight on (same backend)."""
    model = _trained()
    path = tmp_path / "model.keras"
    model.save(path)
    loaded = keras.saving.load_model(path)
    x = random_images(64, seed=1)
    model.fit(x, batch_size=32, epochs=1, verbose=0, shuffle=False)
    loaded.fit(x, batch_size=32, epochs=1, verbose=0, shuffle=False)
    for a, b in zip(model.generator.trainable_variables, loaded.generator.trainable_variables):
        np.testing.assert_allclose(a.numpy(), b.numpy(), atol=1e-6, err_msg=a.path)
    assert int(loaded.player_optimizer("generator").iterations.numpy()) == 4


def test_base_adversarial_model_round_trip(tmp_path):
    """A model built from user networks serializes the networks themselves."""
    generator = kerasgan.nets.mlp_generator((2,), latent_dim=3, units=(8,), output_activation=None)
    discriminator = kerasgan.nets.mlp_discriminator((2,), units=(8,), pieces=2, input_dropout=0, dropout=0)
    model = kerasgan.models.AdversarialModel(generator, discriminator, data_range=None, seed=3)
    model.compile(generator_optimizer="sgd")
    model.fit(np.random.default_rng(0).standard_normal((32, 2)).astype("float32"), batch_size=16, verbose=0)
    model.save(tmp_path / "m.keras")
    loaded = keras.saving.load_model(tmp_path / "m.keras")
    assert loaded.latent_dim == 3 and loaded.data_range is None
    assert isinstance(loaded.player_optimizer("generator"), keras.optimizers.SGD)
    np.testing.assert_array_equal(model.generate(5, seed=1), loaded.generate(5, seed=1))


@pytest.mark.parametrize("factory", ["dcgan", "gan"])
def test_weights_saved_here_give_the_same_samples_under_the_other_backends(tmp_path, factory):
    """Max abs difference <= 1e-4 on fixed noise, loading `.keras` and `.weights.h5`."""
    if factory == "dcgan":
        model = _trained()
    else:
        model = _trained(lambda: kerasgan.models.GAN(
            data_shape=(28, 28, 1), latent_dim=16, generator_units=(64,), discriminator_units=(32,), seed=0))
    model_path, weights_path = tmp_path / "m.keras", tmp_path / "m.weights.h5"
    model.save(model_path)
    model.save_weights(weights_path)
    spec = {"class": type(model).__name__, "config": model.get_config()}
    (tmp_path / "spec.json").write_text(json.dumps(spec))
    z = model.latent_noise(16, seed=5)
    np.save(tmp_path / "spec_latent.npy", z)
    expected = model.generate(latent=z)
    expected_d = keras.ops.convert_to_numpy(model.discriminator(expected))
    worker = os.path.join(os.path.dirname(__file__), "cross_backend_worker.py")
    for other in BACKENDS:
        if other == keras.backend.backend():
            continue
        out = tmp_path / f"{other}.npz"
        env = {**os.environ, "KERAS_BACKEND": other}
        result = subprocess.run(
            [sys.executable, worker, str(model_path), str(weights_path), str(tmp_path / "spec.json"), str(out)],
            env=env, capture_output=True, text=True, timeout=300,
        )
        assert result.returncode == 0, result.stderr[-3000:]
        got = np.load(out)
        assert str(got["backend"]) == other
        for key in ("from_keras", "from_weights"):
            assert np.abs(got[key] - expected).max() <= 1e-4, (other, key)
        assert np.abs(got["discriminator"] - expected_d).max() <= 1e-4, other
