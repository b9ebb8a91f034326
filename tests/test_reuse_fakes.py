"""`reuse_fakes`: the generator step reuses the last discriminator step's fakes.

The fast path (one forward pass of G per iteration, its backward through the
kept pass) is checked against the straightforward computation: a fresh
forward pass of G on the same latent vectors.
"""

import keras
import numpy as np
import pytest
from keras import ops

import kerasgan
from conftest import random_images

LATENT_DIM = 16


class FixedLatentDCGAN(kerasgan.models.DCGAN):
    """Draws the same latent vectors every time, so that a fresh G pass and
    the reused one see the same z."""

    def sample_latent(self, batch_size):
        z = np.random.default_rng(7).standard_normal((64, LATENT_DIM)).astype("float32")
        return ops.convert_to_tensor(z[:batch_size])


def build(reuse_fakes, **kwargs):
    model = FixedLatentDCGAN(
        image_shape=(16, 16, 1), latent_dim=LATENT_DIM, generator_filters=8,
        discriminator_filters=8, seed=1, reuse_fakes=reuse_fakes, **kwargs,
    )
    model.compile()
    return model


def values(variables):
    return {v.path: v.numpy().copy() for v in variables}


@pytest.mark.parametrize(
    "options",
    [{}, {"discriminator_steps": 2, "gradient_penalty": 10.0}, {"feature_matching": True}],
    ids=["dcgan", "k2-gradient-penalty", "feature-matching"],
)
def test_reused_fakes_give_the_updates_of_a_fresh_pass_on_the_same_latents(options):
    fresh, reused = build(False, **options), build(True, **options)
    reused.set_weights(fresh.get_weights())
    initial = values(fresh.trainable_variables)
    x = random_images(32, shape=(16, 16, 1))
    for model in (fresh, reused):
        model.fit(x, batch_size=32, epochs=2, shuffle=False, verbose=0)  # 2 iterations

    for net in ("generator", "discriminator"):
        expected = values(getattr(fresh, net).trainable_variables)
        got = values(getattr(reused, net).trainable_variables)
        assert expected.keys() == got.keys()
        for path in expected:
            np.testing.assert_allclose(got[path], expected[path], rtol=2e-4, atol=2e-5, err_msg=path)
        assert any(not np.allclose(got[p], initial[p]) for p in got), f"{net} did not train"
    # D's batch-norm statistics see the same batches either way.
    got = values(reused.discriminator.non_trainable_variables)
    for path, value in values(fresh.discriminator.non_trainable_variables).items():
        np.testing.assert_allclose(got[path], value, rtol=2e-4, atol=2e-5, err_msg=path)
    # G's moving statistics: two updates per iteration when fresh, one when reused.
    got = values(reused.generator.non_trainable_variables)
    assert any(
        not np.allclose(got[p], v) for p, v in values(fresh.generator.non_trainable_variables).items()
    )
    np.testing.assert_array_equal(
        [int(m.player_optimizer(p).iterations.numpy()) for m in (fresh, reused)
         for p in ("generator", "discriminator")],
        [2, 2 * fresh.discriminator_steps] * 2,
    )


def test_reused_fakes_update_the_generators_batch_norm_statistics_once_per_iteration():
    model = build(True)
    reference = build(True)
    reference.set_weights(model.get_weights())
    x = random_images(32, shape=(16, 16, 1))
    model.fit(x, batch_size=32, epochs=1, shuffle=False, verbose=0)  # 1 iteration
    # One training-mode pass of the initial G on the same latent vectors.
    reference.generator(reference.sample_latent(32), training=True)
    got = values(model.generator.non_trainable_variables)
    for path, value in values(reference.generator.non_trainable_variables).items():
        np.testing.assert_allclose(got[path], value, rtol=1e-5, atol=1e-6, err_msg=path)


def test_reuse_fakes_is_saved_in_the_config_and_refuses_historical_averaging():
    model = kerasgan.models.DCGAN(
        image_shape=(16, 16, 1), latent_dim=8, generator_filters=4,
        discriminator_filters=4, reuse_fakes=True,
    )
    assert model.get_config()["reuse_fakes"] is True
    assert kerasgan.models.DCGAN.from_config(model.get_config()).reuse_fakes is True
    with pytest.raises(ValueError, match="historical_averaging"):
        kerasgan.models.DCGAN(image_shape=(16, 16, 1), reuse_fakes=True, historical_averaging=0.1)


def test_began_trains_with_reused_fakes():
    model = kerasgan.models.BEGAN(
        data_shape=(16, 16, 1), latent_dim=8, generator_width=8, discriminator_width=8,
        reuse_fakes=True,
    )
    model.compile()
    before = values(model.generator.trainable_variables)
    history = model.fit(random_images(32, shape=(16, 16, 1)), batch_size=16, epochs=1, verbose=0)
    assert all(np.isfinite(v).all() for v in history.history.values())
    after = values(model.generator.trainable_variables)
    assert all(not np.array_equal(before[p], after[p]) for p in before)
    assert 0.0 <= float(ops.convert_to_numpy(model.k)) <= 1.0
