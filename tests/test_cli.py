"""The `kerasgan` command line."""

import json
import os

import numpy as np
import pytest
from PIL import Image

from kerasgan import cli


def _train(out, *extra):
    return cli.main([
        "train", "--dataset", "digits", "--limit", "256", "--epochs", "2", "--batch-size", "64",
        "--filters", "8", "--latent-dim", "8", "--verbose", "0", "--out", str(out), *extra,
    ])


def test_train_writes_weights_samples_and_history_then_resumes(tmp_path, capsys):
    out = tmp_path / "run"
    assert _train(out) == 0
    for name in ("model.keras", "samples.png", "history.json", "losses.png", "run.json"):
        assert (out / name).exists(), name
    assert Image.open(out / "samples.png").size == (2 * (8 * 10 + 2), 2 * (8 * 10 + 2))
    history = json.loads((out / "history.json").read_text())
    assert len(history["steps"]["d_loss"]) == 2 * 4 and len(history["epochs"]["g_loss"]) == 2
    run = json.loads((out / "run.json").read_text())
    assert run["epochs_completed"] == 2 and run["samples"] == 256
    assert not run["stopped_on_nonfinite_loss"]
    assert run["config"]["image_shape"] == [8, 8, 1]
    assert _train(out, "--resume", "--epochs", "1") == 0
    assert json.loads((out / "run.json").read_text())["epochs_completed"] == 3

    assert cli.main(["sample", str(out / "model.keras"), "--num", "5", "--out", str(tmp_path / "s.npy")]) == 0
    samples = np.load(tmp_path / "s.npy")
    assert samples.shape == (5, 8, 8, 1) and np.abs(samples).max() <= 1.0
    assert cli.main(["sample", str(out / "model.keras"), "--out", str(tmp_path / "s.png")]) == 0
    assert Image.open(tmp_path / "s.png").format == "PNG"


def test_cli_errors_are_clear(tmp_path, capsys):
    assert cli.main(["sample", "no_such_model"]) == 2
    assert "Unknown zoo model 'no_such_model'" in capsys.readouterr().err
    assert cli.main(["train", "--loss", "minimx", "--dataset", "digits", "--out", str(tmp_path)]) == 2
    assert "Did you mean 'minimax'" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        cli.main(["train", "--epochs", "0"])
    for rate in ("-1", "0", "nan", "x"):
        with pytest.raises(SystemExit):
            cli.main(["train", "--lr", rate, "--out", str(tmp_path / "lr")])
        assert "--lr" in capsys.readouterr().err
    assert not (tmp_path / "lr").exists()
    with pytest.raises(SystemExit):
        cli.main(["train", "--out", str(tmp_path / "none"), "--resume", "--dataset", "digits"])


def test_zoo_list_and_info(capsys):
    assert cli.main(["zoo", "list"]) == 0
    assert "dcgan_fashion_mnist" in capsys.readouterr().out
    assert cli.main(["zoo", "info", "dcgan_fashion_mnist"]) == 0
    card = capsys.readouterr().out
    assert "kerasgan.zoo.load" in card and "training time" in card


@pytest.mark.parametrize("model", ["wgan_gp", "began"])
def test_train_builds_the_family_variants(tmp_path, model):
    out = tmp_path / model
    extra = ["--reuse-fakes"] if model == "began" else []
    assert cli.main([
        "train", "--model", model, "--dataset", "digits", "--limit", "40", "--epochs", "1",
        "--batch-size", "20", "--filters", "4", "--latent-dim", "4", "--verbose", "0", "--out", str(out),
        *extra,
    ]) == 0
    run = json.loads((out / "run.json").read_text())
    assert run["config"]["data_shape"] == [8, 8, 1]
    assert run["config"]["reuse_fakes"] is bool(extra)
    history = json.loads((out / "history.json").read_text())
    key = "gradient_norm" if model == "wgan_gp" else "k"
    assert len(history["epochs"][key]) == 1
