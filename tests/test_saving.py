"""Saving: `.keras` round trips, resuming, and weights across backends."""

import os
import subprocess
import sys

import keras
import numpy as np
import pytest

import kerasgan
import cross_backend_worker
from conftest import random_images
from conftest import CHEAP_XLA_FLAGS
from conftest import DEFAULT_COMPILE
from conftest import subprocess_env
from conftest import small_dcgan

BACKENDS = ("tensorflow", "jax", "torch")
WORKER = os.path.join(os.path.dirname(__file__), "cross_backend_worker.py")


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


@pytest.mark.once
def test_weights_saved_under_each_backend_give_the_same_outputs_under_the_other_two(tmp_path):
    """All six directions, for a DCGAN, an MLP GAN, a CycleGAN, a ProGAN and a
    StarGAN with a content classifier, from `.keras` and from `from_config` +
    `.weights.h5`: samples on fixed noise (CycleGAN: translations of fixed
    images both ways; StarGAN: of fixed images into given domains) and the
    discriminators' outputs on them (StarGAN's: both heads and the content
    classifier's logits) within 1e-4 of the saving backend's.

    This process saves and loads under its own backend; the other two run
    tests/cross_backend_worker.py: the first saves and loads what is there
    (this backend's), the second saves and loads both others', then this
    process and the first worker load the second's.
    """
    here = keras.backend.backend()
    first, second = (b for b in BACKENDS if b != here)

    def worker(backend, *actions):
        result = subprocess.run(
            [sys.executable, WORKER, str(tmp_path), *actions],
            # The suite's cheap compile mode in the workers too (conftest.py): JAX's cheapest XLA
            # options (the worker turns TensorFlow's XLA off itself).
            env=subprocess_env(backend, **({"XLA_FLAGS": CHEAP_XLA_FLAGS} if backend == "jax" and not DEFAULT_COMPILE
                                           else {})),
            capture_output=True, text=True, timeout=600,
        )
        assert result.returncode == 0, result.stderr[-3000:]

    cross_backend_worker.save(str(tmp_path), here)
    worker(first, "save", "load")
    worker(second, "save", "load")
    cross_backend_worker.load(str(tmp_path), here)
    worker(first, "load")
    checked = set()
    for source in BACKENDS:
        for factory in cross_backend_worker.FACTORIES:
            expected = np.load(tmp_path / f"{source}-{factory}.expected.npz")
            for target in BACKENDS:
                if target == source:
                    continue
                got = np.load(tmp_path / f"{source}-{factory}.loaded-by-{target}.npz")
                assert str(got["backend"]) == target
                for key in ("samples", "discriminator"):
                    for how in ("from_keras", "from_weights"):
                        difference = np.abs(got[f"{how}_{key}"] - expected[key]).max()
                        assert difference <= 1e-4, (source, target, factory, how, key, difference)
                checked.add((source, target, factory))
    assert len(checked) == 6 * len(cross_backend_worker.FACTORIES)
