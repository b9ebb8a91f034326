"""The JAX backend's XLA-CPU options for the train step.

kerasgan compiles the JAX train step with `CPU_COMPILER_OPTIONS`, which keep
XLA-CPU from handing convolutions to YNNPACK (slow kernel gradients for
strided convolutions; benchmarks/README.md). These tests check that the
options reach the compiler, change how convolutions are computed and not what
is computed, and give way to the user's XLA_FLAGS. JAX only: the other
backends have no such options (their step modules have no
`train_function_scope`, which the last test checks).
"""

import contextlib
import pathlib

import keras
import numpy as np
import pytest

import kerasgan
from kerasgan.engine import backend as backend_steps

ROOT = pathlib.Path(__file__).resolve().parents[1]
jax_only = pytest.mark.skipif(keras.backend.backend() != "jax", reason="JAX's XLA options")


def _strided_conv_kernel_gradient_hlo(jit):
    """Optimized HLO of d/dw of a 4x4 stride-2 convolution, compiled by `jit`."""
    import jax
    import jax.numpy as jnp

    def loss(x, w):
        y = jax.lax.conv_general_dilated(
            x, w, (2, 2), "SAME", dimension_numbers=("NHWC", "HWIO", "NHWC")
        )
        return jnp.sum(y * y)

    x = np.ones((16, 32, 32, 64), "float32")  # a DCGAN layer's shapes
    w = np.ones((4, 4, 64, 128), "float32")
    return jit(jax.grad(loss, 1)).lower(x, w).compile().as_text()


def _ynn_fused_convolution(hlo):
    """Whether a YNNPACK fusion in `hlo` contains a convolution."""
    in_ynn = {
        line.split("calls=")[1].split(",")[0].strip("%")
        for line in hlo.splitlines() if "__ynn_fusion" in line and "calls=" in line
    }
    for computation in hlo.split("\n\n"):
        header = computation.strip().split("\n")[0].replace("ENTRY ", "").split()
        if header and header[0].lstrip("%") in in_ynn and " convolution(" in computation:
            return True
    return False


@jax_only
def test_this_jaxlib_accepts_the_options():
    from kerasgan.engine.backend import jax as jax_steps

    assert jax_steps.compiler_options() == jax_steps.CPU_COMPILER_OPTIONS


@jax_only
def test_the_trainer_compiles_with_the_options_inside_the_scope_only():
    from keras.src.backend.jax import trainer as keras_jax_trainer

    from kerasgan.engine.backend import jax as jax_steps

    stock = keras_jax_trainer.jit
    with jax_steps.train_function_scope(_small_dcgan()):
        inside = _strided_conv_kernel_gradient_hlo(keras_jax_trainer.jit)
    assert keras_jax_trainer.jit is stock  # put back
    outside = _strided_conv_kernel_gradient_hlo(keras_jax_trainer.jit)
    assert " convolution(" in inside and not _ynn_fused_convolution(inside)
    if not _ynn_fused_convolution(outside):
        pytest.skip("this jaxlib's XLA-CPU does not hand convolutions to YNNPACK by default")


@jax_only
def test_user_xla_flags_win_and_unknown_options_are_dropped(monkeypatch):
    from kerasgan.engine.backend import jax as jax_steps

    name = next(iter(jax_steps.CPU_COMPILER_OPTIONS))
    monkeypatch.setenv("XLA_FLAGS", f"--{name}=")
    assert jax_steps.compiler_options() == {}
    monkeypatch.delenv("XLA_FLAGS")
    monkeypatch.setattr(jax_steps, "CPU_COMPILER_OPTIONS", {"xla_cpu_no_such_option": "1"})
    assert jax_steps.compiler_options() == {}
    with jax_steps.train_function_scope(_small_dcgan()):  # nothing to apply: still trains
        _trained_weights()


def _small_dcgan():
    keras.utils.set_random_seed(0)  # the same initial weights every call
    return kerasgan.models.DCGAN(
        image_shape=(16, 16, 1), latent_dim=8, generator_filters=8,
        discriminator_filters=8, seed=3, reuse_fakes=True,
    )


def _weights(model):
    return [keras.ops.convert_to_numpy(v.value) for v in model.generator.weights + model.discriminator.weights]


def _trained_weights():
    x = np.random.default_rng(0).uniform(-1, 1, (32, 16, 16, 1)).astype("float32")
    model = _small_dcgan()
    model.compile()
    model.fit(x, batch_size=16, epochs=1, verbose=0, shuffle=False)
    return _weights(model)


@jax_only
def test_options_change_how_not_what_the_step_computes(monkeypatch):
    from kerasgan.engine.backend import jax as jax_steps

    fast = _trained_weights()
    monkeypatch.setattr(jax_steps, "CPU_COMPILER_OPTIONS", {})  # XLA's defaults
    plain = _trained_weights()
    for a, b in zip(fast, plain):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-6)
    assert any(np.abs(a).sum() > 0 for a in fast)


@jax_only
def test_fit_builds_its_train_function_inside_the_scope(monkeypatch):
    from keras.src.backend.jax import trainer as keras_jax_trainer

    from kerasgan.engine.backend import jax as jax_steps

    scope, seen = jax_steps.train_function_scope, []

    @contextlib.contextmanager
    def spy(model):
        with scope(model):
            seen.append(keras_jax_trainer.jit.keywords["compiler_options"])
            yield

    monkeypatch.setattr(jax_steps, "train_function_scope", spy)
    _trained_weights()
    assert seen == [jax_steps.CPU_COMPILER_OPTIONS]


@pytest.mark.skipif(keras.backend.backend() == "jax", reason="the other backends")
def test_other_backends_build_the_stock_train_function():
    assert not hasattr(backend_steps.get(), "train_function_scope")
    before = _weights(_small_dcgan())
    after = _trained_weights()
    assert any(not np.allclose(a, b) for a, b in zip(before, after))


@jax_only
def test_convolution_benchmark_times_every_layer_and_op(capsys):
    from conftest import load_script

    bench = load_script(ROOT / "benchmarks" / "xla_cpu_convolutions.py", "xla_cpu_convolutions")
    bench.main(["--batch", "2", "--repeats", "1"])
    rows = [line for line in capsys.readouterr().out.splitlines() if line.startswith("| ")]
    assert len(rows) == 1 + 3 * len(bench.LAYERS) + 1  # header, layers × ops, total
    for row in rows[1:]:
        defaults, ours, ratio = (cell.strip() for cell in row.split("|")[3:6])
        assert float(defaults) > 0 and float(ours) > 0 and float(ratio.rstrip("×")) > 0
