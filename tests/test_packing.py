"""Packing (PacGAN, Lin et al. 2018): D judges m samples concatenated."""

import numpy as np
import pytest
import keras
from keras import ops

import kerasgan
from kerasgan import models
from kerasgan.engine.packing import pack_samples
from kerasgan.engine.packing import packed_shape
from test_techniques import small  # a small 2-D NetworkGAN


def numpy_pack(x, m):
    """The reference: pack i = samples i·m … i·m + m − 1, joined on the last axis."""
    n = (len(x) // m) * m
    return np.concatenate([x[j:n:m] for j in range(m)], axis=-1)


def test_pack_samples_matches_numpy():
    rng = np.random.default_rng(0)
    vectors = rng.standard_normal((7, 2)).astype("float32")  # 7 = 2·3 + 1 left over
    got = ops.convert_to_numpy(pack_samples(ops.convert_to_tensor(vectors), 3))
    np.testing.assert_array_equal(got, numpy_pack(vectors, 3))
    np.testing.assert_array_equal(got[0], vectors[:3].reshape(-1))  # PacGAN's concatenation
    images = rng.standard_normal((6, 4, 3, 2)).astype("float32")
    got = ops.convert_to_numpy(pack_samples(ops.convert_to_tensor(images), 2))
    assert got.shape == (3, 4, 3, 4)
    np.testing.assert_array_equal(got, numpy_pack(images, 2))
    assert pack_samples(images, 1) is images
    assert packed_shape((28, 28, 1), 4) == (28, 28, 4) and packed_shape((2,), None) == (2,)
    with pytest.raises(ValueError, match="A batch of 2 samples cannot make one pack of packing=3"):
        pack_samples(ops.convert_to_tensor(vectors[:2]), 3)
    with pytest.raises(ValueError, match="packing must be a positive integer; got 0"):
        pack_samples(vectors, 0)




def test_the_discriminator_scores_packs_and_the_model_round_trips(tmp_path):
    model = small(packing=3)
    assert model.discriminator.input_shape == (None, 6) and model.data_shape == (2,)
    x = np.random.default_rng(0).standard_normal((96, 2)).astype("float32")
    got = ops.convert_to_numpy(model.discriminate(ops.convert_to_tensor(x[:9]), training=False))
    want = ops.convert_to_numpy(model.discriminator(numpy_pack(x[:9], 3), training=False))
    assert got.shape == (3, 1)
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)
    model.compile()
    history = model.fit(x, batch_size=48, epochs=1, verbose=0).history
    assert np.isfinite(history["d_loss"][-1])
    assert model.get_config()["packing"] == 3
    model.save(tmp_path / "packed.keras")
    loaded = keras.saving.load_model(tmp_path / "packed.keras")
    assert loaded.packing == 3
    np.testing.assert_allclose(
        ops.convert_to_numpy(loaded.discriminate(ops.convert_to_tensor(x[:9]), training=False)),
        ops.convert_to_numpy(model.discriminate(ops.convert_to_tensor(x[:9]), training=False)),
        rtol=1e-5, atol=1e-6,
    )


def test_the_gradient_penalty_is_taken_at_whole_packs():
    # A linear critic D(p) = w·p on packs of two 2-D samples: its gradient at
    # any pack is w, so ‖∇D‖ = ‖w‖ (at each sample alone it would be the
    # norm of w's half for that sample: 0.5 and 1.3).
    w = np.array([[0.3], [-0.4], [1.2], [0.5]], dtype="float32")
    critic = keras.Sequential([keras.Input((4,)), keras.layers.Dense(1, use_bias=False)])
    critic.set_weights([w])
    generator = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2)])
    model = models.WGANGP(
        data_shape=(2,), generator=generator, discriminator=critic, packing=2,
        data_range=None, seed=0,
    )
    model.compile()
    real = ops.convert_to_tensor(np.random.default_rng(1).standard_normal((8, 2)).astype("float32"))
    _, logs = model.discriminator_objective(real)
    norm = np.linalg.norm(w)
    np.testing.assert_allclose(float(logs["gradient_norm"]), norm, rtol=1e-5)
    np.testing.assert_allclose(float(logs["gradient_penalty"]), (norm - 1.0) ** 2, rtol=1e-4)


def test_every_unconditional_latent_variant_packs():
    x = np.random.default_rng(0).uniform(-1, 1, (16, 8, 8, 1)).astype("float32")
    x16 = np.random.default_rng(1).uniform(-1, 1, (16, 16, 16, 1)).astype("float32")
    built = {
        "GAN": models.GAN(data_shape=(2,), latent_dim=2, generator_units=(8,),
                          discriminator_units=(8,), packing=4),
        "DCGAN": models.DCGAN(image_shape=(16, 16, 3), latent_dim=4, generator_filters=4,
                              discriminator_filters=4, packing=4),
        "LSGAN": models.LSGAN(data_shape=(2,), packing=4, data_range=None),
        "WGAN": models.WGAN(data_shape=(2,), packing=4, data_range=None),
        "WGANGP": models.WGANGP(data_shape=(2,), packing=4, data_range=None),
        "SNGAN": models.SNGAN(data_shape=(2,), packing=4, data_range=None),
    }
    for name, model in built.items():
        assert model.discriminator.input_shape[-1] == 4 * model.data_shape[-1], name
    # BEGAN's autoencoder reconstructs packs; ProGAN's critic and CoGAN's
    # two discriminators take packed images: one training step each.
    began = models.BEGAN(data_shape=(8, 8, 1), latent_dim=4, generator_width=4,
                         discriminator_width=4, embedding_dim=4, packing=2, seed=0)
    progan = models.ProGAN(image_shape=(8, 8, 1), latent_dim=8, filter_base=32, max_filters=8,
                           schedule=(8, 8), packing=2, seed=0)
    cogan = models.CoGAN(image_shape=(16, 16, 1), latent_dim=4, generator_filters=(8, 8, 4, 4),
                         discriminator_filters=(4, 4, 4), packing=2, seed=0)
    assert began.discriminator.output_shape == (None, 8, 8, 2)
    assert cogan.discriminator_a.input_shape == (None, 16, 16, 2)
    for model, data in ((began, x), (progan, x), (cogan, kerasgan.data.UnpairedBatches(x16, -x16, batch_size=8))):
        model.compile()
        kwargs = {} if model is cogan else {"batch_size": 8}
        history = model.fit(data, epochs=1, verbose=0, **kwargs).history
        assert all(np.isfinite(v[-1]) for v in history.values()), type(model).__name__


def test_an_option_a_variant_cannot_honour_raises():
    message = "cannot apply packing=2: it needs an unconditional discriminator"
    with pytest.raises(ValueError, match="ConditionalGAN " + message):
        models.ConditionalGAN(data_shape=(2,), num_classes=3, packing=2, data_range=None)
    with pytest.raises(ValueError, match="ACGAN " + message):
        models.ACGAN(data_shape=(2,), num_classes=3, packing=2, data_range=None)
    with pytest.raises(ValueError, match="SemiSupervisedGAN " + message):
        models.SemiSupervisedGAN(data_shape=(2,), num_classes=3, packing=2, data_range=None)
    with pytest.raises(ValueError, match="CycleGAN " + message):
        models.CycleGAN(image_shape=(32, 32, 1), packing=2)
    with pytest.raises(ValueError, match="packing must be a positive integer; got 0"):
        small(packing=0)
    # A discriminator not built for packs.
    generator = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2)])
    critic = keras.Sequential([keras.Input((5,)), keras.layers.Dense(1)])
    with pytest.raises(ValueError, match=r"inputs of shape \(5,\); with packing=2"):
        models.NetworkGAN(data_shape=(2,), generator=generator, discriminator=critic, packing=2)
    critic = keras.Sequential([keras.Input((6,)), keras.layers.Dense(1)])
    with pytest.raises(ValueError, match=r"expects \(3,\) \(packs of 2: \(6,\)\)"):
        models.NetworkGAN(data_shape=(2,), generator=generator, discriminator=critic, packing=2)
