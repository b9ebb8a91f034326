"""CycleGAN: its losses against numpy, one iteration against a plain
differentiation of the same losses, the pool in the step, saving, errors."""

import keras
import numpy as np
import pytest
from keras import ops

import kerasgan
from kerasgan.models import CycleGAN

SHAPE = (16, 16, 1)


def tiny(**kwargs):
    options = dict(image_shape=SHAPE, generator_filters=4, residual_blocks=1,
                   discriminator_filters=4, discriminator_layers=1, pool_size=3, seed=0)
    options.update(kwargs)
    return CycleGAN(**options)


def domains(n=4, seed=0):
    rng = np.random.default_rng(seed)
    return (rng.uniform(-1, 1, (n, *SHAPE)).astype("float32"),
            rng.uniform(-1, 1, (n, *SHAPE)).astype("float32"))


def numpy_of(t):
    return ops.convert_to_numpy(ops.cast(t, "float32"))


def test_generator_and_discriminator_losses_match_numpy():
    model = tiny()
    a, b = domains()
    run = lambda net, x: numpy_of(net(x, training=True))  # noqa: E731
    fake_b, fake_a = run(model.generator_ab, a), run(model.generator_ba, b)
    cycled_a, cycled_b = run(model.generator_ba, fake_b), run(model.generator_ab, fake_a)
    identity_b, identity_a = run(model.generator_ab, b), run(model.generator_ba, a)
    translations = tuple(ops.convert_to_tensor(t) for t in (fake_b, fake_a, cycled_a, cycled_b, identity_b, identity_a))
    loss, logs = model.generator_loss(ops.convert_to_tensor(a), ops.convert_to_tensor(b), translations)
    d_b_fake, d_a_fake = run(model.discriminator_b, fake_b), run(model.discriminator_a, fake_a)
    # The official code: MSE to the real target 1; λ = 10; identity λ·0.5.
    expected = (np.mean((d_b_fake - 1) ** 2) + np.mean((d_a_fake - 1) ** 2)
                + 10 * (np.abs(cycled_a - a).mean() + np.abs(cycled_b - b).mean())
                + 5 * (np.abs(identity_a - a).mean() + np.abs(identity_b - b).mean()))
    np.testing.assert_allclose(float(numpy_of(loss)), expected, rtol=1e-5)
    np.testing.assert_allclose(float(numpy_of(logs["cycle_a"])), np.abs(cycled_a - a).mean(), rtol=1e-5)
    np.testing.assert_allclose(float(numpy_of(logs["identity_b"])), np.abs(identity_b - b).mean(), rtol=1e-5)
    d_loss, d_logs = model.discriminator_loss(*(ops.convert_to_tensor(t) for t in (a, b, fake_a, fake_b)))
    # ½ (MSE(D(real), 1) + MSE(D(fake), 0)) per discriminator.
    d_a = 0.5 * (np.mean((run(model.discriminator_a, a) - 1) ** 2) + np.mean(d_a_fake ** 2))
    d_b = 0.5 * (np.mean((run(model.discriminator_b, b) - 1) ** 2) + np.mean(d_b_fake ** 2))
    np.testing.assert_allclose(float(numpy_of(d_loss)), d_a + d_b, rtol=1e-5)
    np.testing.assert_allclose(float(numpy_of(d_logs["d_a"])), d_a, rtol=1e-5)


class Recomputed(CycleGAN):
    """The same iteration written the plain way: the generators' loss
    differentiated directly (take_step), the fakes for D recomputed with the
    generators' weights of before their update (kept aside)."""

    def adversarial_step(self, data):
        real_a, real_b = self.unpack_domains(data)
        before = [ops.copy(v.value) for v in self.player_variables("generators")]
        self.take_step("generators", lambda: self.generator_loss(
            real_a, real_b, self.translations(real_a, real_b)))
        after = [ops.copy(v.value) for v in self.player_variables("generators")]
        for v, value in zip(self.player_variables("generators"), before):
            v.assign(value)
        fake_b = self.generator_ab(real_a, training=True)
        fake_a = self.generator_ba(real_b, training=True)
        for v, value in zip(self.player_variables("generators"), after):
            v.assign(value)
        self.take_step("discriminators", lambda: self.discriminator_loss(
            real_a, real_b, self.pool_a(fake_a), self.pool_b(fake_b)))
        return self.metrics_result()


def test_one_iteration_equals_the_plain_differentiation_of_its_losses():
    a, b = domains(6)
    models = []
    for cls in (CycleGAN, Recomputed):
        keras.utils.set_random_seed(0)
        model = tiny() if cls is CycleGAN else Recomputed(
            image_shape=SHAPE, generator_filters=4, residual_blocks=1,
            discriminator_filters=4, discriminator_layers=1, pool_size=3, seed=0)
        if models:
            model.set_weights(models[0].get_weights())
        model.compile(optimizers={p: keras.optimizers.SGD(0.05, momentum=0.5) for p in model.players})
        models.append(model)
    start = [v.numpy().copy() for v in models[0].trainable_variables]
    for model in models:
        model.fit(a, b, batch_size=2, epochs=1, shuffle=False, verbose=0)
    # Within float32 rounding: the two orders differ in the last bits, and the
    # instance norms over the small maps of 16×16 images amplify that (TensorFlow's
    # threaded kernels once left one of 1,152 weights 6.8e-5 apart, 0.09% of
    # it); a step that differs moves weights by whole SGD updates, not by bits.
    for x, y in zip(models[0].variables, models[1].variables):
        np.testing.assert_allclose(x.numpy(), y.numpy(), rtol=1e-3, atol=1e-4, err_msg=x.path)
    # Every kernel moved (a bias just before an affine-free instance norm has
    # no gradient: the norm removes it, as in the official networks).
    moved = {v.path: not np.allclose(v.numpy(), s) for v, s in zip(models[0].trainable_variables, start)}
    assert all(m for path, m in moved.items() if path.endswith("kernel")), moved
    # 3 iterations: each player stepped 3 times, the pools filled (3 slots).
    assert int(models[0].optimizer.iterations.numpy()) == 3
    assert int(models[0].player_optimizer("discriminators").iterations.numpy()) == 3
    assert int(models[0].pool_a.count.numpy()) == 3 and int(models[0].pool_b.count.numpy()) == 3


def test_keras_round_trip_keeps_networks_pools_and_optimizers(tmp_path):
    model = tiny(generator_downsamplings=1)
    model.compile(optimizers=model.reference_optimizers(steps=8))
    a, b = domains(8)
    model.fit(kerasgan.data.UnpairedBatches(a, b, batch_size=2, seed=0), epochs=1, verbose=0)
    path = tmp_path / "cyclegan.keras"
    model.save(path)
    loaded = keras.saving.load_model(path)
    assert type(loaded) is CycleGAN
    assert loaded.get_config()["generator_downsamplings"] == 1
    for name in ("generator_ab", "generator_ba"):  # one downsampling: residual blocks on 8×8
        assert getattr(loaded, name).get_layer("res_0_add").output.shape[1:] == (8, 8, 8)
    for x, y in zip(model.variables + model.optimizer.variables, loaded.variables + loaded.optimizer.variables):
        np.testing.assert_array_equal(x.numpy(), y.numpy(), err_msg=x.path)
    assert int(loaded.pool_b.count.numpy()) == 3
    np.testing.assert_array_equal(model.translate(a, "a_to_b"), loaded.translate(a, "a_to_b"))
    np.testing.assert_array_equal(model.translate(b, "b_to_a"), loaded.translate(b, "b_to_a"))
    schedule = loaded.player_optimizer("generators").learning_rate
    assert float(ops.convert_to_numpy(schedule)) < 2e-4  # 4 of 8 steps taken: decaying


def test_bad_input_gives_clear_errors():
    with pytest.raises(ValueError, match="pool_size >= 1"):
        tiny(pool_size=0)
    with pytest.raises(ValueError, match="image_shape is \\(height, width, channels\\)"):
        CycleGAN(image_shape=(16, 16))
    for technique in ({"gradient_penalty": 10.0}, {"feature_matching": True},
                      {"historical_averaging": 1e-3}, {"generator_ema": 0.999}):
        with pytest.raises(ValueError, match=f"CycleGAN cannot apply {next(iter(technique))}=.*supports: none"):
            tiny(**technique)
    model = tiny()
    model.compile()
    a, b = domains()
    with pytest.raises(ValueError, match="CycleGAN trains on two domains"):
        model.fit(a, epochs=1, verbose=0)
    with pytest.raises(ValueError, match="Domain B: Expected training samples of shape \\(16, 16, 1\\)"):
        model.fit(a, np.zeros((4, 16, 16, 3), "float32"), epochs=1, verbose=0)
    with pytest.raises(ValueError, match="Domain A: Training data must lie in \\[-1, 1\\]"):
        model.fit(a * 255, b, epochs=1, verbose=0)
    with pytest.raises(ValueError, match="direction must be one of"):
        model.translate(a, "a_to_c")
    with pytest.raises(ValueError, match="translate expects images of shape \\(n, 16, 16, 1\\)"):
        model.translate(np.zeros((2, 8, 8, 1)))


@pytest.mark.once
def test_linear_decay_is_the_reference_rule():
    schedule = kerasgan.schedules.LinearDecay(2e-4, constant_steps=3, decay_steps=4, steps_per_period=2)
    for step in range(20):
        epoch = step // 2
        expected = 2e-4 * max(0.0, 1 - max(0, epoch + 1 - 3) / (4 + 1))
        np.testing.assert_allclose(float(ops.convert_to_numpy(schedule(step))), expected, rtol=1e-6, atol=1e-12)
    with pytest.raises(ValueError, match="steps_per_period >= 1"):
        kerasgan.schedules.LinearDecay(1e-3, 1, 1, steps_per_period=0)
