"""Callbacks: atomic checkpoints, sample grids, loss history."""

import json
import os

import numpy as np
import pytest
from PIL import Image

import kerasgan
from conftest import random_images
from conftest import small_dcgan


def test_checkpoint_write_is_atomic(tmp_path, monkeypatch):
    model = small_dcgan()
    model.compile()
    path = tmp_path / "ckpt.keras"
    checkpoint = kerasgan.callbacks.AtomicModelCheckpoint(path)
    checkpoint.set_model(model)
    checkpoint.on_epoch_end(0, {"d_loss": 1.0})
    good = path.read_bytes()

    def crash(filepath, *args, **kwargs):
        with open(filepath, "wb") as f:
            f.write(b"half a file")
        raise OSError("disk full")

    monkeypatch.setattr(model, "save", crash)
    with pytest.raises(OSError, match="disk full"):
        checkpoint.on_epoch_end(1, {"d_loss": 1.0})
    assert path.read_bytes() == good
    assert os.listdir(tmp_path) == ["ckpt.keras"]  # no temporary file left behind
    checkpoint.on_epoch_end(2, {"d_loss": float("nan")})  # not saved, no error
    assert path.read_bytes() == good
    # Finite logs, but the epoch's last update left a NaN weight: not saved either.
    kernel = model.generator.trainable_variables[0]
    kernel.assign(np.full(kernel.shape, np.nan, "float32"))
    checkpoint.on_epoch_end(3, {"d_loss": 1.0})
    assert path.read_bytes() == good and checkpoint.last_saved_epoch == 0


def test_loss_history_recovers_per_step_values(tmp_path):
    history = kerasgan.callbacks.LossHistory(tmp_path / "h.json", tmp_path / "h.png")
    history.on_epoch_begin(0)
    raw = [1.0, 3.0, 5.0, 2.0]
    for t, _ in enumerate(raw):
        history.on_train_batch_end(t, {"d_loss": np.mean(raw[: t + 1]), "d_real": 0.5})
    history.on_epoch_end(0, {"d_loss": np.mean(raw), "d_real": 0.5})
    np.testing.assert_allclose(history.steps["d_loss"], raw, atol=1e-9)
    saved = json.loads((tmp_path / "h.json").read_text())
    assert saved["epochs"]["d_loss"] == [2.75]
    assert Image.open(tmp_path / "h.png").format == "PNG"


def test_sample_grid_and_history_during_fit(tmp_path):
    model = small_dcgan()
    model.compile()
    grid = kerasgan.callbacks.SampleGrid(tmp_path / "samples", num_samples=16, scale=1)
    history = kerasgan.callbacks.LossHistory(tmp_path / "history.json")
    model.fit(random_images(64), batch_size=32, epochs=2, verbose=0, callbacks=[grid, history])
    assert [os.path.basename(p) for p in grid.paths] == ["samples_epoch_001.png", "samples_epoch_002.png"]
    image = Image.open(grid.paths[0])
    assert image.size == (4 * 30 + 2, 4 * 30 + 2)  # 4×4 tiles of 28 px with 2 px padding
    assert len(history.steps["g_loss"]) == 4 and len(history.epochs["g_loss"]) == 2
    # An epoch that ended on a non-finite loss gets no grid.
    grid.on_epoch_end(2, {"d_loss": float("nan"), "g_loss": 1.0})
    assert len(grid.paths) == 2 and not (tmp_path / "samples" / "samples_epoch_003.png").exists()


def test_sample_grid_of_a_conditional_model_has_the_requested_labels(tmp_path):
    with pytest.raises(ValueError, match="one label per image"):
        kerasgan.callbacks.SampleGrid(tmp_path, num_samples=8, labels=np.arange(6))
    model = kerasgan.models.ConditionalGAN(data_shape=(8, 8, 1), num_classes=3, latent_dim=4,
                                           generator_width=4, discriminator_width=4, seed=0)
    labels = np.arange(6) % 3
    grid = kerasgan.callbacks.SampleGrid(tmp_path, labels=labels, rows=2, scale=1)
    grid.set_model(model)
    grid.on_epoch_end(0, {"d_loss": 1.0})
    image = np.asarray(Image.open(grid.paths[0]))
    assert image.shape == (2 * 10 + 2, 3 * 10 + 2)  # 2 rows of the 3 classes, 8 px with 2 px padding
    expected = kerasgan.utils.images.image_grid(model.generate(6, seed=0, labels=labels), rows=2)[..., 0]
    assert np.abs(image.astype(int) - expected.astype(int)).max() <= 1


def test_loss_history_resumes_up_to_the_finished_epochs_and_writes_valid_json(tmp_path):
    path = tmp_path / "h.json"
    history = kerasgan.callbacks.LossHistory(path)
    for epoch, steps in enumerate((3, 2, 4)):  # the third epoch: written, but its checkpoint was not
        history.on_epoch_begin(epoch)
        for t in range(steps):
            history.on_train_batch_end(t, {"d_loss": float(epoch)})
        history.on_epoch_end(epoch, {"d_loss": float(epoch), "g_loss": float("nan") if epoch == 2 else 1.0})
    saved = json.loads(path.read_text())  # NaN is written as null: valid JSON
    assert saved["epochs"]["g_loss"] == [1.0, 1.0, None] and saved["epoch_steps"] == [3, 2, 4]
    resumed = kerasgan.callbacks.LossHistory(path, initial_epoch=2)
    assert resumed.epochs == {"d_loss": [0.0, 1.0], "g_loss": [1.0, 1.0]}
    assert resumed.steps["d_loss"] == [0.0] * 3 + [1.0] * 2 and resumed.epoch_steps == [3, 2]


def test_image_grid_layout_and_range():
    images = np.stack([np.full((2, 3, 1), v, "float32") for v in (-1.0, 0.0, 1.0)])
    grid = kerasgan.utils.image_grid(images, rows=1, padding=1)
    assert grid.shape == (4, 1 + 3 * 4, 1) and grid.dtype == np.uint8
    assert grid[1, 1, 0] == 0 and grid[1, 5, 0] == 128 and grid[1, 9, 0] == 255
    with pytest.raises(ValueError, match="NHWC images with 1 or 3 channels"):
        kerasgan.utils.image_grid(np.zeros((2, 8, 8, 2)))
