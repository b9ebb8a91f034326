"""ProGAN (Karras et al. 2018): the growth schedule, the fade-in of both
networks and of the real images against plain numpy, the stage switch of the
train step against direct calls of each stage, training through the stages
with the counter, the optimizer resets and the EMA, a `.keras` round trip
mid-fade that resumes exactly, the `kerasgan train --model progan` run killed
mid-fade that resumes to the unbroken run's state, and the argument errors.
Runs under whichever backend KERAS_BACKEND selects (tensorflow, jax, torch).
"""

import json
import os
import signal
import subprocess
import sys

import keras
import numpy as np
import pytest
from keras import ops

from kerasgan import cli, layers
from kerasgan.models import ProGAN
from kerasgan.models.progan import fade_real
from kerasgan.schedules import GrowthSchedule

KILL_WORKER = os.path.join(os.path.dirname(os.path.abspath(__file__)), "cli_kill_worker.py")


def _np(x):
    return np.asarray(ops.convert_to_numpy(x))


def _tiny(schedule=(16, 16), **kwargs):
    return ProGAN(image_shape=(16, 16, 1), latent_dim=8, filter_base=32, max_filters=8,
                  schedule=schedule, seed=3, **kwargs)


def _images(n, size=16, seed=0):
    return np.random.default_rng(seed).uniform(-1, 1, (n, size, size, 1)).astype("float32")


def _state(model):
    return [*model.variables, *model.optimizer.variables, model.seed_generator.state]


# ---------------------------------------------------------------- schedule
def _reference_schedule(t, stages, stabilise, fade):
    """Walks the phases one by one: stabilise stage 0; then per new stage a
    fade (α from 0 to 1) and a stabilisation; the last stage trains on."""
    start, phase = 0, 0
    for stage in range(stages):
        if stage > 0:
            if t < start + fade:
                return stage, (t - start) / fade if t > start else 0.0, phase
            start, phase = start + fade, phase + 1
        if t < start + stabilise or stage == stages - 1:
            return stage, 1.0, phase
        start, phase = start + stabilise, phase + 1


def test_growth_schedule_matches_a_phase_by_phase_reference():
    schedule = GrowthSchedule(stages=4, stabilise_images=96, fade_images=64)
    seen = np.array(sorted({*range(0, 1200, 8), 95, 96, 97, 159, 160, 161, 479, 480, 481, 10**7}))
    stage, alpha, phase = (_np(v) for v in schedule(ops.convert_to_tensor(seen, "int32")))
    for i, t in enumerate(seen):
        want_stage, want_alpha, want_phase = _reference_schedule(int(t), 4, 96, 64)
        got_stage, got_alpha, got_phase = schedule.at(t)
        # At the first image of a fade α = 0 at stage s equals stage s − 1 at α = 1.
        if want_alpha == 0.0:
            want_stage, want_alpha = want_stage - 1, 1.0
        assert (got_stage, got_phase) == (want_stage, want_phase), t
        assert got_alpha == pytest.approx(want_alpha, abs=1e-6), t
        assert (int(stage[i]), int(phase[i])) == (want_stage, want_phase), t
        assert float(alpha[i]) == pytest.approx(want_alpha, abs=1e-6), t
    assert schedule.total_images == 3 * (96 + 64) + 96
    assert schedule.at(schedule.total_images) == (3, 1.0, 6)


@pytest.mark.parametrize("bad", [0, -5, 1.5, True, None])
def test_growth_schedule_rejects_phases_without_images(bad):
    with pytest.raises(ValueError, match="whole number >= 1"):
        GrowthSchedule(3, bad, 10)
    with pytest.raises(ValueError, match="fade_images"):
        GrowthSchedule(3, 10, bad)


# ---------------------------------------------------------------- fade-in
def _avgpool(x, f):
    n, h, w, c = x.shape
    return x.reshape(n, h // f, f, w // f, f, c).mean(axis=(2, 4))


def _up(x):
    return x.repeat(2, axis=1).repeat(2, axis=2)


def test_real_images_fade_between_resolutions_as_numpy():
    x = _images(4)
    for stage, alpha in ((0, 1.0), (1, 0.25), (2, 0.6), (2, 1.0)):
        got = _np(fade_real(ops.convert_to_tensor(x), stage, alpha, stages=3))
        high = _avgpool(x, 2 ** (2 - stage))
        want = high if stage == 0 else (1 - alpha) * _up(_avgpool(high, 2)) + alpha * high
        np.testing.assert_allclose(got, want, atol=1e-6)


def test_networks_fade_new_blocks_in_over_the_previous_stage():
    model = _tiny()
    g, d = model.generator, model.discriminator
    weights = [w.path for w in g.weights + d.weights]
    z = ops.convert_to_tensor(np.random.default_rng(1).standard_normal((8, 8)).astype("float32"))
    for stage in range(3):
        size = 4 * 2**stage
        assert tuple(g(z, stage=stage).shape) == (8, size, size, 1)
    for stage in (1, 2):
        old = _np(g(z, stage=stage - 1))
        at0, at1 = _np(g(z, stage=stage, alpha=0.0)), _np(g(z, stage=stage, alpha=1.0))
        # α = 0: the previous stage's output, upsampled; α: linear in between.
        np.testing.assert_allclose(at0, _up(old), atol=1e-5)
        np.testing.assert_allclose(_np(g(z, stage=stage, alpha=0.3)), 0.7 * at0 + 0.3 * at1, atol=1e-5)
        x = _images(8, 4 * 2**stage, seed=stage)
        np.testing.assert_allclose(
            _np(d(ops.convert_to_tensor(x), stage=stage, alpha=0.0)),
            _np(d(ops.convert_to_tensor(_avgpool(x, 2)), stage=stage - 1)), atol=1e-5)
    # Every block existed from the start: calls add no variables.
    assert [w.path for w in g.weights + d.weights] == weights
    with pytest.raises(ValueError, match="stages 0"):
        g(z, stage=3)


# ---------------------------------------------------------------- training
def test_the_stage_switch_trains_as_direct_calls_of_each_stage():
    """Four steps through stage 0 and the fade of stage 1 with the compiled step (through
    `keras.ops.switch`; on JAX, one program per stage) give the weights of an eager run that
    calls each stage's losses directly."""
    x = _images(32)
    models, traced = [], []
    for direct in (False, True):
        keras.utils.set_random_seed(0)  # the same initial weights
        model = _tiny(schedule=(16, 16))
        if direct:
            model._at_stage = lambda stage, loss_at, *operands, m=model: loss_at(
                int(_np(stage)), *operands)
        else:
            def spy(stage, loss_at, *operands, m=model, at_stage=model._at_stage):
                traced.append(m.static_step)
                return at_stage(stage, loss_at, *operands)

            model._at_stage = spy
        model.compile(run_eagerly=direct)
        model.fit(x, batch_size=8, epochs=1, shuffle=False, verbose=0)
        models.append(model)
    switched, direct = models
    assert int(_np(switched.images_seen)) == 32 and switched.growth() == direct.growth() == (1, 1.0, 2)
    # JAX traced stage 0's and stage 1's own programs; the others switch (static_step None).
    assert set(traced) == ({0, 1} if keras.backend.backend() == "jax" else {None})
    for a, b in zip(_state(switched), _state(direct)):
        np.testing.assert_allclose(_np(a.value), _np(b.value), rtol=2e-4, atol=2e-5, err_msg=a.path)


def test_training_grows_counts_images_resets_adam_and_resumes_mid_fade(tmp_path):
    x = _images(48)
    model = _tiny(schedule=(16, 32))
    model.compile()
    model.fit(x, batch_size=8, epochs=1, shuffle=False, verbose=0)
    # 48 images: stage 0 for 16, then 32 fading stage 1 in; next, its stabilisation.
    assert int(_np(model.images_seen)) == 48
    assert model.growth() == (1, 1.0, 2) and model.current_resolution == 8
    assert int(_np(model.optimizer.iterations)) == 6
    # Adam was reset when the fade began, 4 steps ago (its step count restarted).
    for player in model.players:
        assert int(_np(model.player_optimizer(player).iterations)) == 4
    assert model.generate(4, seed=0).shape == (4, 8, 8, 1)
    ema = model.generate(4, seed=0)
    assert not np.allclose(ema, model.generate(4, seed=0, ema=False))

    model.fit(x[:24], batch_size=8, epochs=1, shuffle=False, verbose=0)  # mid-fade of stage 2
    stage, alpha, phase = model.growth()
    assert (stage, phase) == (2, 3) and alpha == pytest.approx(8 / 32)
    path = tmp_path / "mid_fade.keras"
    model.save(path)
    loaded = keras.saving.load_model(path)
    assert loaded.growth() == model.growth() and isinstance(loaded, ProGAN)
    np.testing.assert_allclose(loaded.generate(4, seed=1), model.generate(4, seed=1), atol=1e-6)
    # The loaded model continues exactly as the original (weights, Adam, EMA, RNG, counter).
    for m in (model, loaded):
        m.fit(x[:16], batch_size=8, epochs=1, shuffle=False, verbose=0)
    for a, b in zip(_state(model), _state(loaded)):
        np.testing.assert_allclose(_np(a.value), _np(b.value), rtol=1e-5, atol=1e-6, err_msg=a.path)


def test_generate_clips_the_linear_output_to_the_data_range():
    """toRGB is linear; `generate` gives images, the raw output clipped to data_range."""
    model = _tiny()
    model.compile()
    model.fit(_images(16), batch_size=8, epochs=1, verbose=0)
    for variable in model.ema_generator.weights:  # outputs far past [-1, 1]
        variable.assign(variable * 10.0)
    z = np.random.default_rng(0).standard_normal((8, 8)).astype("float32")
    stage, alpha, _ = model.growth()
    raw = _np(model.ema_generator(z, stage=stage, alpha=alpha, training=False))
    assert np.abs(raw).max() > 1.5
    np.testing.assert_allclose(model.generate(latent=z), np.clip(raw, -1.0, 1.0), atol=1e-6)


def test_bad_arguments_raise_clear_errors():
    with pytest.raises(ValueError, match="power of two"):
        ProGAN(image_shape=(24, 24, 1))
    with pytest.raises(ValueError, match="power of two"):
        ProGAN(image_shape=(2, 2, 1))
    with pytest.raises(ValueError, match="square"):
        ProGAN(image_shape=(16, 32, 1))
    with pytest.raises(ValueError, match="whole number >= 1"):
        _tiny(schedule=(0, 100))
    with pytest.raises(ValueError, match="STABILISE|stabilise_images, fade_images"):
        _tiny(schedule=5)
    with pytest.raises(ValueError, match="discriminator_steps"):
        _tiny(discriminator_steps=2)
    with pytest.raises(ValueError, match="historical_averaging"):
        _tiny(historical_averaging=0.1)
    model = _tiny()
    with pytest.raises(ValueError, match="WGAN-GP"):
        model.compile(loss="hinge")
    model.compile()
    with pytest.raises(ValueError, match="last batch of 6"):
        model.fit(_images(14), batch_size=8, verbose=0)
    assert int(_np(model.images_seen)) == 0  # nothing trained


# ---------------------------------------------------------------- CLI
@pytest.mark.slow
def test_a_progan_run_killed_mid_fade_resumes_to_the_unbroken_runs_state(tmp_path):
    """`kerasgan train --model progan` on 8×8 digits (4×4 → 8×8), SIGKILL in
    the middle of the fade of 8×8 (epoch 2 of 3), then --resume: the same
    stage, α, weights, Adam and EMA state as an unbroken run."""
    args = ["--model", "progan", "--dataset", "digits", "--limit", "64", "--batch-size", "16",
            "--schedule", "64,64", "--epochs", "3", "--filters", "8", "--latent-dim", "8", "--seed", "1",
            "--verbose", "0"]
    unbroken, broken = tmp_path / "unbroken", tmp_path / "broken"
    assert cli.main(["train", *args, "--out", str(unbroken)]) == 0
    killed = subprocess.run([sys.executable, KILL_WORKER, "1", "1", *args, "--out", str(broken)],
                            capture_output=True, text=True, timeout=600)
    assert killed.returncode == -signal.SIGKILL, killed.stderr[-3000:]
    assert json.loads((broken / "run.json").read_text())["epochs_completed"] == 1
    assert cli.main(["train", "--out", str(broken), "--resume", "--verbose", "0"]) == 0

    a = keras.saving.load_model(unbroken / "model.keras")
    b = keras.saving.load_model(broken / "model.keras")
    assert a.growth() == b.growth() == (1, 1.0, 2)
    for x, y in zip(_state(a), _state(b)):
        np.testing.assert_allclose(_np(x.value), _np(y.value), rtol=1e-6, atol=1e-7, err_msg=x.path)
    history = json.loads((broken / "history.json").read_text())
    assert history == json.loads((unbroken / "history.json").read_text())
    assert history["epochs"]["alpha"][1] == pytest.approx((1 + 0.25 + 0.5 + 0.75) / 4)
    assert sorted(os.listdir(broken / "samples")) == [
        "samples_epoch_001.png", "samples_epoch_002.png", "samples_epoch_003.png",
        "stage_0_4x4.png", "stage_1_8x8.png"]


def test_cli_progan_options_are_checked(tmp_path):
    out = tmp_path / "x"
    assert cli.main(["train", "--model", "dcgan", "--resolution", "32", "--out", str(out)]) == 2
    assert cli.main(["train", "--model", "dcgan", "--filter-base", "512", "--out", str(out)]) == 2
    assert cli.main(["train", "--model", "progan", "--dataset", "digits", "--resolution", "12",
                     "--out", str(out)]) == 2
    assert cli.main(["train", "--model", "progan", "--dataset", "digits", "--loss", "hinge",
                     "--out", str(out)]) == 2
    with pytest.raises(SystemExit):
        cli.main(["train", "--model", "progan", "--schedule", "0,10", "--out", str(out)])
    assert not out.exists()


def test_cli_progan_filter_base_and_filters_set_the_widths(tmp_path):
    """--filter-base B --filters M: min(B / 2^k, M) feature maps at 2^(k+1)."""
    out = tmp_path / "run"
    assert cli.main(["train", "--model", "progan", "--dataset", "digits", "--limit", "8", "--batch-size", "4",
                     "--schedule", "8,8", "--epochs", "1", "--filter-base", "32", "--filters", "16",
                     "--latent-dim", "4", "--verbose", "0", "--out", str(out)]) == 0
    model = keras.saving.load_model(out / "model.keras")
    config = model.get_config()
    assert (config["filter_base"], config["max_filters"]) == (32, 16)
    widths = sorted({layer.filters for layer in model.generator._flatten_layers()
                     if isinstance(layer, layers.EqualizedConv2D)})
    assert widths == [1, 8, 16]  # 4x4: min(32 / 2, 16); 8x8 (digits' size): min(32 / 4, 16); toRGB: 1


@pytest.mark.slow
@pytest.mark.parametrize("resolution, dataset", [
    # CelebA's folder differs from any folder in the data loading only (numpy and PIL): once.
    pytest.param(64, "celeb_a", marks=pytest.mark.once),
    (128, "folder"),
])
def test_the_faces_path_grows_to_64_and_128_from_made_celeba_and_folder_images(tmp_path, resolution, dataset):
    """Made JPEG faces (CelebA's aligned-image folder, or any image folder),
    center-cropped and resized to --resolution; a short run through the
    first stages writes its model, grids and history."""
    from PIL import Image

    folder = tmp_path / "img_align_celeba"
    folder.mkdir()
    rng = np.random.default_rng(0)
    for i in range(1, 9):
        pixels = rng.integers(0, 256, (109, 89, 3), dtype=np.uint8)  # CelebA's aspect ratio
        Image.fromarray(pixels).save(folder / f"{i:06d}.jpg")
    source = (["--dataset", "celeb_a", "--data-dir", str(tmp_path)] if dataset == "celeb_a"
              else ["--dataset", f"folder:{folder}"])
    out = tmp_path / "run"
    assert cli.main(["train", "--model", "progan", *source, "--resolution", str(resolution),
                     "--batch-size", "4", "--schedule", "4,4", "--epochs", "1", "--filters", "4",
                     "--latent-dim", "8", "--verbose", "0", "--out", str(out)]) == 0
    run = json.loads((out / "run.json").read_text())
    assert run["config"]["image_shape"] == [resolution, resolution, 3]
    assert run["samples"] == 8
    model = keras.saving.load_model(out / "model.keras")
    assert model.growth() == (1, 1.0, 2) and model.generate(2, seed=0).shape == (2, 8, 8, 3)
    assert Image.open(out / "samples.png").size[0] > resolution  # grids at the full resolution
