"""Mixed precision: bfloat16 compute with float32 weights, losses and penalties."""

import warnings

import numpy as np
import pytest
import keras
from keras import ops

import kerasgan
from kerasgan.engine import backend as backend_steps
from kerasgan.losses import gradient_penalty


@pytest.fixture
def mixed_bfloat16():
    previous = keras.config.dtype_policy()
    keras.config.set_dtype_policy("mixed_bfloat16")
    try:
        yield
    finally:
        keras.config.set_dtype_policy(previous)


def small_dcgan(**kwargs):
    return kerasgan.models.DCGAN(
        image_shape=(16, 16, 1), latent_dim=8, generator_filters=8, discriminator_filters=8, seed=0,
        **kwargs,
    )


def images(n=32, seed=0):
    return np.tanh(np.random.default_rng(seed).standard_normal((n, 16, 16, 1))).astype("float32")


@pytest.mark.parametrize("reuse_fakes", [False, True])
def test_bfloat16_training_keeps_float32_weights_losses_and_samples(mixed_bfloat16, reuse_fakes):
    model = small_dcgan(reuse_fakes=reuse_fakes)
    assert model.generator.compute_dtype == "bfloat16"
    assert model.discriminator.compute_dtype == "bfloat16"
    model.compile()
    history = model.fit(images(), batch_size=16, epochs=2, verbose=0)
    # Every weight (BN statistics included) stays float32: updates are not rounded to bf16.
    assert {v.dtype for v in model.weights} == {"float32"}
    for name, values in history.history.items():
        assert np.all(np.isfinite(values)), name
    # The discriminator's outputs reach the loss as float32.
    outputs = model.discriminate(ops.convert_to_tensor(images(4)))
    assert keras.backend.standardize_dtype(outputs.dtype) == "float32"
    samples = model.generate(4, seed=0)
    assert samples.dtype == np.float32 and np.all(np.abs(samples) <= 1.0)


def test_bfloat16_discriminator_loss_matches_float32_within_bf16_precision(mixed_bfloat16):
    mixed = small_dcgan()
    mixed.compile()
    keras.config.set_dtype_policy("float32")
    full = small_dcgan()
    full.compile()
    full.set_weights(mixed.get_weights())
    real = ops.convert_to_tensor(images(16))
    fake = ops.convert_to_tensor(images(16, seed=1))
    losses = []
    for model in (mixed, full):
        r = model.discriminate(ops.cast(real, model.compute_dtype))
        f = model.discriminate(ops.cast(fake, model.compute_dtype))
        losses.append(float(model.adversarial_loss.discriminator_loss(r, f)))
    # bf16 keeps 8 bits of mantissa (relative step 2^-8 = 0.4%) per operation.
    assert losses[0] == pytest.approx(losses[1], rel=0.02)


def test_gradient_penalty_is_computed_in_float32(mixed_bfloat16):
    # A linear critic whose input gradient is the constant c everywhere, so
    # ‖∇‖ = c·√d. With c = 0.0181 (bf16: 0.018066...) and d = 3072 the norm
    # is 1.00134: in bf16 it would round to exactly 1 (spacing 2^-7 there) and
    # the penalty (‖∇‖ − 1)² = 1.8e-6 would vanish, the gradient pulling the
    # norm to 1 with it. The penalty casts the gradients to float32 first.
    d = 3072
    critic = keras.Sequential([
        keras.Input((d,)),
        keras.layers.Dense(1, use_bias=False, kernel_initializer=keras.initializers.Constant(0.0181)),
    ])
    assert critic.compute_dtype == "bfloat16"
    # In training the interpolates are bf16 (real data is cast to the compute
    # dtype, fakes come out of a bf16 generator), so are their gradients.
    x = ops.cast(np.random.default_rng(0).standard_normal((8, d)).astype("float32"), "bfloat16")
    penalty, norm = gradient_penalty(lambda v: critic(v), x, -x, seed=0)
    c = float(ops.convert_to_numpy(ops.cast(ops.cast(0.0181, "bfloat16"), "float32")))
    expected_norm = c * np.sqrt(d)
    assert 1.001 < expected_norm < 1.002
    assert float(norm) == pytest.approx(expected_norm, rel=1e-5)
    assert float(penalty) == pytest.approx((expected_norm - 1.0) ** 2, rel=1e-2)


def test_wgan_gp_trains_under_bfloat16(mixed_bfloat16):
    model = kerasgan.models.WGANGP(
        data_shape=(16, 16, 1), latent_dim=8, generator_width=8, discriminator_width=8,
        discriminator_steps=2, seed=0,
    )
    model.compile()
    history = model.fit(images(), batch_size=16, epochs=1, verbose=0)
    assert np.isfinite(history.history["gradient_penalty"][-1])
    assert np.isfinite(history.history["d_loss"][-1])
    assert {v.dtype for v in model.weights} == {"float32"}


def _precision_warnings(record):
    return [w for w in record if "networks compute in" in str(w.message)]


def test_fit_warns_when_this_backend_computes_the_policy_slowly(mixed_bfloat16, monkeypatch):
    # PyTorch's CPU convolutions fall back to reference kernels for bf16 without
    # AVX-512 BF16 / AMX (26x slower on DCGAN-64); TensorFlow and JAX cost ~5%.
    steps = backend_steps.get()
    model = small_dcgan()
    model.compile()
    if keras.backend.backend() == "torch":
        monkeypatch.setattr(steps, "_on_cpu", lambda: True)  # also on a GPU machine
        monkeypatch.setattr(steps, "_cpu_supports", lambda dtype: False)
        with pytest.warns(UserWarning, match="compute in bfloat16. .*no bfloat16 support") as record:
            model.fit(images(), batch_size=16, epochs=1, verbose=0)
        assert len(_precision_warnings(record)) == 1  # one dtype, both networks
        monkeypatch.setattr(steps, "_on_cpu", lambda: False)
        assert steps.slow_precision("bfloat16") is None  # a GPU: not this CPU's kernels
        # A CPU with bf16 convolutions: the fit below must not warn either.
        monkeypatch.setattr(steps, "_on_cpu", lambda: True)
        monkeypatch.setattr(steps, "_cpu_supports", lambda dtype: True)
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        model.fit(images(), batch_size=16, epochs=1, verbose=0)
    assert _precision_warnings(record) == []


def test_float32_never_gets_the_precision_warning(monkeypatch):
    steps = backend_steps.get()
    if keras.backend.backend() == "torch":
        monkeypatch.setattr(steps, "_on_cpu", lambda: True)
        monkeypatch.setattr(steps, "_cpu_supports", lambda dtype: False)
        assert steps.slow_precision("float16") is not None
    assert getattr(steps, "slow_precision", lambda dtype: None)("float32") is None
    model = small_dcgan()
    model.compile()
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        model.fit(images(), batch_size=16, epochs=1, verbose=0)
    assert _precision_warnings(record) == []
