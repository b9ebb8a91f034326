"""The generic engine: players mapped to networks, optimizers by player,
iterations counted, techniques applied around a variant's losses or refused."""

import pathlib

import keras
import numpy as np
import pytest
from keras import ops

import kerasgan
from kerasgan.engine import AdversarialModel
from kerasgan.engine import LatentGAN

DATA = pathlib.Path(__file__).parent / "data"


class SharedLayers(AdversarialModel):
    """One player, "coupled", owns two networks that share a layer; its loss is
    mean(a(x)) + mean(b(x)) with a = shared, b = scale ∘ shared."""

    players = {"coupled": ("net_a", "net_b")}
    metric_names = ("loss",)
    loss_logs = {"coupled": "loss"}

    def __init__(self, **kwargs):
        shared = keras.layers.Dense(1, use_bias=False, name="shared")
        net_a = keras.Sequential([keras.Input((2,)), shared], name="net_a")
        net_b = keras.Sequential(
            [keras.Input((2,)), shared, keras.layers.Dense(1, use_bias=False, name="scale")],
            name="net_b",
        )
        super().__init__({"net_a": net_a, "net_b": net_b}, data_range=None, **kwargs)

    def default_optimizer(self, player):
        return keras.optimizers.SGD(0.1)

    def adversarial_step(self, data):
        x = ops.convert_to_tensor(data)
        self.take_step(
            "coupled", lambda: (ops.mean(self.net_a(x)) + ops.mean(self.net_b(x)), {})
        )
        return self.metrics_result()


def test_a_layer_shared_by_two_networks_is_one_variable_trained_once():
    model = SharedLayers()
    variables = model.player_variables("coupled")
    assert len(variables) == 2  # the shared kernel once, and the scale
    assert model.net_a.layers[0].kernel is model.net_b.layers[0].kernel
    model.compile()
    # SGD keeps no slots; its one variable per player optimizer is `iterations`.
    w = model.net_a.layers[0].kernel.numpy().copy()
    v = model.net_b.layers[1].kernel.numpy().copy()
    x = np.random.default_rng(0).normal(size=(8, 2)).astype("float32")
    model.fit(x, batch_size=8, epochs=1, shuffle=False, verbose=0)
    # d/dw [mean(x w) + mean(x w v)] = mean(x)·(1 + v): one update of 0.1 times it.
    expected = w - 0.1 * x.mean(0)[:, None] * (1.0 + v[0, 0])
    np.testing.assert_allclose(model.net_a.layers[0].kernel.numpy(), expected, rtol=1e-5, atol=1e-6)
    assert int(model.player_optimizer("coupled").iterations.numpy()) == 1
    assert int(model.optimizer.iterations.numpy()) == 1


def test_optimizers_by_player_and_their_errors():
    model = SharedLayers()
    with pytest.raises(ValueError, match=r"optimizers names players \['generator'\].*players are: coupled"):
        model.compile(optimizers={"generator": "adam"})
    with pytest.raises(ValueError, match="does not take 'optimizer': give optimizers="):
        model.compile(optimizer="adam")
    model.compile(optimizers={"coupled": keras.optimizers.Adam(1e-3)})
    assert isinstance(model.player_optimizer("coupled"), keras.optimizers.Adam)
    config = model.get_compile_config()
    assert set(config["optimizers"]) == {"coupled"}


def _latent_gan(**kwargs):
    g = keras.Sequential([keras.Input((2,)), keras.layers.Dense(2)])
    d = keras.Sequential([keras.Input((2,)), keras.layers.Dense(4, activation="relu"), keras.layers.Dense(1)])
    return AdversarialModel(g, d, data_range=None, **kwargs)


def test_adversarial_model_of_two_networks_is_a_latent_gan_and_counts_iterations():
    model = _latent_gan(discriminator_steps=2)
    assert type(model) is LatentGAN
    with pytest.raises(ValueError, match="optimizer was given twice"):
        model.compile(generator_optimizer="adam", optimizers={"generator": "sgd"})
    model.compile(optimizers={"discriminator": keras.optimizers.SGD(1e-2)}, generator_optimizer="adam")
    assert isinstance(model.player_optimizer("discriminator"), keras.optimizers.SGD)
    x = np.random.default_rng(0).normal(size=(24, 2)).astype("float32")
    model.fit(x, batch_size=8, epochs=1, verbose=0)
    # 3 iterations of Algorithm 1, each with k = 2 discriminator steps.
    assert int(model.optimizer.iterations.numpy()) == 3
    assert int(model.player_optimizer("discriminator").iterations.numpy()) == 6
    assert int(model.player_optimizer("generator").iterations.numpy()) == 3


@pytest.mark.parametrize("option", [{"gradient_penalty": 10.0}, {"feature_matching": True}])
def test_a_technique_a_variant_cannot_apply_raises(option):
    name = next(iter(option))
    with pytest.raises(ValueError, match=f"BEGAN cannot apply {name}=.*BEGAN supports: historical_averaging, generator_ema"):
        kerasgan.models.BEGAN(data_shape=(8, 8, 1), latent_dim=4, **option)
    with pytest.raises(ValueError, match=f"SharedLayers cannot apply {name}="):
        SharedLayers(**option)


def test_techniques_apply_around_an_overridden_loss():
    """A variant that overrides discriminator_loss keeps the gradient penalty
    and historical averaging: the engine adds them to its loss."""

    class PlainLoss(LatentGAN):
        def discriminator_loss(self, real, labels=None, fake=None):
            loss = ops.mean(self.discriminate(fake)) - ops.mean(self.discriminate(real))
            return loss, {}

    g = keras.Sequential([keras.Input((2,)), keras.layers.Dense(2)])
    d = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
    model = PlainLoss(g, d, data_range=None, gradient_penalty=10.0, historical_averaging=1.0)
    model.compile()
    real = ops.convert_to_tensor(np.ones((4, 2), "float32"))
    fake = ops.convert_to_tensor(np.zeros((4, 2), "float32"))
    objective = model._objective("discriminator", lambda: model.discriminator_objective(real, None, fake))
    loss, logs = objective()
    # A linear critic: ‖∇D‖ = ‖kernel‖ everywhere, so the penalty is (‖k‖ − 1)²;
    # its parameters equal their average so far, so that cost is 0.
    kernel = model.discriminator.layers[0].kernel.numpy()
    penalty = (np.linalg.norm(kernel) - 1.0) ** 2
    plain = float(ops.convert_to_numpy(model.discriminator_loss(real, None, fake)[0]))
    np.testing.assert_allclose(float(ops.convert_to_numpy(loss)), plain + 10.0 * penalty, rtol=1e-5)
    np.testing.assert_allclose(float(ops.convert_to_numpy(logs["gradient_penalty"])), penalty, rtol=1e-5)
    assert "d_loss" in logs


def test_published_dcgan_fashion_mnist_gives_the_samples_it_gave_before_the_engine_change():
    # Generated by the zoo model with the engine of 392a207 (before players
    # were generic), seed 0, torch backend; the other backends agreed to 1.5e-6.
    # Those weights (the zoo's dcgan_fashion_mnist until its 30-epoch EMA
    # successor) are kept in tests/data, their SHA-256 checked.
    import json

    expected = np.load(DATA / "dcgan_fashion_mnist_seed0_samples.npy")
    entry = json.loads((DATA / "dcgan_fashion_mnist_8_epochs.json").read_text())
    weights = DATA / "dcgan_fashion_mnist_8_epochs.weights.h5"
    assert kerasgan.zoo.sha256(str(weights)) == entry["sha256"]
    model = getattr(kerasgan.models, entry["class"]).from_config(entry["config"])
    model.load_weights(weights)
    np.testing.assert_allclose(model.generate(8, seed=0), expected, atol=2e-5)
