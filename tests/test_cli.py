"""The `kerasgan` command line."""

import json
import os
import re
import signal
import subprocess
import sys

import keras
import numpy as np
import pytest
from PIL import Image

import kerasgan
from kerasgan import cli

KILL_WORKER = os.path.join(os.path.dirname(os.path.abspath(__file__)), "cli_kill_worker.py")


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
    assert sorted(os.listdir(out / "samples")) == ["samples_epoch_001.png", "samples_epoch_002.png"]
    assert run["options"]["limit"] == 256 and run["epochs"] == 2 and len(run["commands"]) == 1

    # --resume restores the data options and continues to the total --epochs.
    capsys.readouterr()
    assert cli.main(["train", "--out", str(out), "--resume", "--epochs", "3", "--verbose", "0"]) == 0
    assert "256 samples" in capsys.readouterr().out  # --limit 256 restored
    run = json.loads((out / "run.json").read_text())
    assert run["epochs_completed"] == 3 and run["epochs"] == 3 and run["samples"] == 256
    assert len(run["commands"]) == 2 and run["command"].endswith("--epochs 2 --batch-size 64 --filters 8 "
                                                                 "--latent-dim 8 --verbose 0 --out " + str(out))
    history = json.loads((out / "history.json").read_text())
    assert len(history["epochs"]["g_loss"]) == 3 and len(history["steps"]["d_loss"]) == 3 * 4
    assert history["epoch_steps"] == [4, 4, 4]
    assert sorted(os.listdir(out / "samples"))[-1] == "samples_epoch_003.png"  # new file, none overwritten
    # A data flag given again overrides the run's, and says so; the total is already reached.
    assert cli.main(["train", "--out", str(out), "--resume", "--epochs", "3", "--batch-size", "32"]) == 0
    captured = capsys.readouterr()
    assert "--batch-size 32 overrides the run's 64" in captured.err and "nothing to train" in captured.out
    # A model flag cannot change on resume.
    assert cli.main(["train", "--out", str(out), "--resume", "--epochs", "4", "--filters", "16"]) == 2
    assert "--filters 16 cannot change on --resume" in capsys.readouterr().err
    assert json.loads((out / "run.json").read_text())["epochs_completed"] == 3
    # The learning rate can (a step decay): the optimizers keep their state.
    assert cli.main(["train", "--out", str(out), "--resume", "--epochs", "4", "--lr", "0.05", "--verbose", "0"]) == 0
    assert "--lr 0.05: every player's learning rate becomes 0.05" in capsys.readouterr().err
    decayed = keras.saving.load_model(out / "model.keras")
    rates = {player: float(keras.ops.convert_to_numpy(optimizer.learning_rate))
             for player, optimizer in decayed.optimizer.optimizers.items()}
    assert rates == pytest.approx({"generator": 0.05, "discriminator": 0.05})
    assert int(decayed.optimizer.iterations.numpy()) == 4 * 4  # counted on from the checkpoint
    run = json.loads((out / "run.json").read_text())
    assert run["options"]["lr"] == 0.05 and run["commands"][-1].endswith("--lr 0.05 --verbose 0")
    # A run.json of an older kerasgan, without the options: model flags cannot be checked.
    run = json.loads((out / "run.json").read_text())
    del run["options"]
    (out / "run.json").write_text(json.dumps(run))
    assert cli.main(["train", "--out", str(out), "--resume", "--epochs", "4", "--filters", "8"]) == 2
    assert "--filters cannot be checked against the run" in capsys.readouterr().err

    assert cli.main(["sample", str(out / "model.keras"), "--num", "5", "--out", str(tmp_path / "s.npy")]) == 0
    samples = np.load(tmp_path / "s.npy")
    assert samples.shape == (5, 8, 8, 1) and np.abs(samples).max() <= 1.0
    assert cli.main(["sample", str(out / "model.keras"), "--out", str(tmp_path / "s.png")]) == 0
    assert Image.open(tmp_path / "s.png").format == "PNG"
    # Discriminator rejection sampling (the model's loss: non_saturating).
    capsys.readouterr()
    assert cli.main(["sample", str(out / "model.keras"), "--num", "6", "--rejection-sampling", "--burn-in", "200",
                     "--out", str(tmp_path / "r.npy")]) == 0
    exact = capsys.readouterr().out
    assert "rejection sampling kept" in exact
    kept = np.load(tmp_path / "r.npy")
    assert kept.shape == (6, 8, 8, 1) and np.abs(kept).max() <= 1.0
    # D's logit bounded at the burn-in's median: at least the half above it is kept.
    assert cli.main(["sample", str(out / "model.keras"), "--num", "6", "--rejection-sampling", "--burn-in", "200",
                     "--burn-in-quantile", "0.5", "--out", str(tmp_path / "r.npy")]) == 0
    rates = [float(re.search(r"kept ([\d.]+)%", text).group(1)) for text in (exact, capsys.readouterr().out)]
    assert rates[1] >= 45.0 and rates[1] >= rates[0]
    assert cli.main(["sample", str(out / "model.keras"), "--rejection-sampling", "--burn-in-quantile", "0"]) == 2
    assert "--burn-in-quantile must be in (0, 1]" in capsys.readouterr().err
    for flag, value in (("--burn-in", "200"), ("--burn-in-quantile", "0.9")):
        assert cli.main(["sample", str(out / "model.keras"), flag, value]) == 2
        assert f"{flag} applies to --rejection-sampling only" in capsys.readouterr().err


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
    assert cli.main(["train", "--out", str(tmp_path / "none"), "--resume", "--dataset", "digits"]) == 2
    assert "--resume: no checkpoint at" in capsys.readouterr().err
    # Unknown names fail before anything is written (the loss before the data loads).
    for flag, value in (("--dataset", "nope"), ("--loss", "nope")):
        assert cli.main(["train", flag, value, "--out", str(tmp_path / "bad")]) == 2
        assert "nope" in capsys.readouterr().err
    assert not (tmp_path / "bad").exists()


def test_zoo_list_and_info(capsys):
    assert cli.main(["zoo", "list"]) == 0
    assert "dcgan_fashion_mnist" in capsys.readouterr().out
    assert cli.main(["zoo", "info", "dcgan_fashion_mnist"]) == 0
    card = capsys.readouterr().out
    assert "kerasgan.zoo.load" in card and "training time" in card


# CLI plumbing: the variants' steps are tested per backend in test_variants.py.
@pytest.mark.once
@pytest.mark.parametrize("model", ["wgan_gp", "began"])
def test_train_builds_the_family_variants(tmp_path, model, capsys):
    out = tmp_path / model
    extra = ["--reuse-fakes"] if model == "began" else []
    assert cli.main([
        "train", "--model", model, "--dataset", "digits", "--limit", "40", "--epochs", "1",
        "--batch-size", "22", "--filters", "4", "--latent-dim", "4", "--verbose", "0", "--out", str(out),
        *extra,
    ]) == 0
    # WGAN-GP's 5 critic steps split each batch of 22: 4 images each, 2 unused, and the run says so.
    printed = capsys.readouterr().out
    said = "5 critic steps per iteration, each on 4 of the 22 images of a batch, then a generator step on 4 " \
           "(2 images of each batch unused: give a multiple of 5)"
    assert (said in printed) is (model == "wgan_gp")
    assert ("critic steps per iteration" in printed) is (model == "wgan_gp")
    run = json.loads((out / "run.json").read_text())
    assert run["config"]["data_shape"] == [8, 8, 1]
    assert run["config"]["reuse_fakes"] is bool(extra)
    history = json.loads((out / "history.json").read_text())
    key = "gradient_norm" if model == "wgan_gp" else "k"
    assert len(history["epochs"][key]) == 1


def test_the_critic_split_message_matches_the_models_split():
    from kerasgan.engine import split_batch

    for batch, k in ((64, 5), (320, 5), (22, 5), (10, 2)):
        m = len(split_batch(np.arange(batch), k)[0])
        unused = batch - k * m
        said = cli._critic_split(batch, k)
        assert said.startswith(f"{k} critic steps per iteration, each on {m} of the {batch} images of a batch")
        assert (f"({unused} images of each batch unused" in said) is (unused > 0)
    # A batch smaller than k is cycled through: one image a step, none unused.
    assert [len(part) for part in split_batch(np.arange(1), 2)] == [1, 1]
    assert cli._critic_split(1, 2) == ("2 critic steps per iteration, each on 1 of the 1 images of a batch, "
                                       "then a generator step on 1")


@pytest.mark.slow
def test_a_run_killed_in_epoch_2_resumes_to_the_state_of_an_unbroken_run(tmp_path):
    """SIGKILL at the 3rd of 6 steps of epoch 2 of 3, then --resume: the same
    weights, batch-norm statistics, optimizer state, latent RNG state, history
    and epoch count as an unbroken run, bit for bit (CPU steps are
    deterministic on every backend; the data order is fixed by seed and epoch)."""
    import keras

    args = ["--dataset", "digits", "--limit", "192", "--epochs", "3", "--batch-size", "32", "--filters", "8",
            "--latent-dim", "8", "--seed", "1", "--verbose", "0"]
    unbroken, broken = tmp_path / "unbroken", tmp_path / "broken"
    assert cli.main(["train", *args, "--out", str(unbroken)]) == 0
    killed = subprocess.run([sys.executable, KILL_WORKER, "1", "2", *args, "--out", str(broken)],
                            capture_output=True, text=True, timeout=600)
    assert killed.returncode == -signal.SIGKILL, killed.stderr[-3000:]
    run = json.loads((broken / "run.json").read_text())
    assert run["epochs_completed"] == 1  # it died in epoch 2
    assert len(json.loads((broken / "history.json").read_text())["epochs"]["d_loss"]) == 1
    # --resume alone continues to the run's total (--epochs 3).
    assert cli.main(["train", "--out", str(broken), "--resume", "--verbose", "0"]) == 0

    a = keras.saving.load_model(unbroken / "model.keras")
    b = keras.saving.load_model(broken / "model.keras")
    state = lambda m: [*m.variables, *m.optimizer.variables, m.seed_generator.state]  # noqa: E731
    assert len(state(a)) == len(state(b))
    for x, y in zip(state(a), state(b)):
        np.testing.assert_array_equal(keras.ops.convert_to_numpy(x.value), keras.ops.convert_to_numpy(y.value),
                                      err_msg=x.path)
    assert int(b.optimizer.iterations.numpy()) == 3 * 6
    history_a, history_b = (json.loads((d / "history.json").read_text()) for d in (unbroken, broken))
    assert history_b == history_a and len(history_b["epochs"]["d_loss"]) == 3
    run_a, run_b = (json.loads((d / "run.json").read_text()) for d in (unbroken, broken))
    assert run_b["epochs_completed"] == run_a["epochs_completed"] == 3
    assert run_b["final_epoch_logs"] == run_a["final_epoch_logs"]
    assert sorted(os.listdir(broken / "samples")) == sorted(os.listdir(unbroken / "samples"))


# CLI plumbing (toy data, plots, mode coverage): backend-independent.
@pytest.mark.once
@pytest.mark.parametrize("dataset, modes", [("ring", 8), ("grid", 25)])
def test_train_on_toy_sets_plots_samples_over_the_data_and_records_mode_coverage(tmp_path, dataset, modes):
    out = tmp_path / dataset
    assert cli.main(["train", "--model", "gan", "--dataset", dataset, "--limit", "512", "--epochs", "2",
                     "--batch-size", "128", "--latent-dim", "4", "--verbose", "0", "--out", str(out)]) == 0
    assert Image.open(out / "samples.png").format == "PNG"
    assert sorted(os.listdir(out / "samples")) == ["samples_epoch_001.png", "samples_epoch_002.png"]
    epochs = json.loads((out / "history.json").read_text())["epochs"]
    assert len(epochs["modes_covered"]) == 2 and all(0 <= m <= modes for m in epochs["modes_covered"])
    assert all(0.0 <= f <= 1.0 for f in epochs["high_quality_fraction"])
    run = json.loads((out / "run.json").read_text())
    assert run["config"]["data_shape"] == [2] and "modes_covered" in run["final_epoch_logs"]
    # DCGAN needs images: a clear error, and nothing written.
    assert cli.main(["train", "--dataset", dataset, "--out", str(tmp_path / "dcgan")]) == 2
    assert not (tmp_path / "dcgan").exists()


@pytest.mark.once  # data loading and epoch bounds: backend-independent
def test_train_on_an_image_folder_with_bounded_epochs(tmp_path):
    folder = tmp_path / "my_images"
    folder.mkdir()
    rng = np.random.default_rng(0)
    for i in range(12):
        Image.fromarray(rng.integers(0, 256, (20, 16, 3), dtype=np.uint8)).save(folder / f"{i:02d}.png")
    out = tmp_path / "run"
    assert cli.main(["train", "--dataset", f"folder:{folder}", "--image-size", "8", "--epochs", "2",
                     "--batch-size", "4", "--steps-per-epoch", "2", "--filters", "4", "--latent-dim", "4",
                     "--verbose", "0", "--out", str(out)]) == 0
    run = json.loads((out / "run.json").read_text())
    assert run["samples"] == 12 and run["config"]["image_shape"] == [8, 8, 3]
    assert json.loads((out / "history.json").read_text())["epoch_steps"] == [2, 2]
    assert cli.main(["train", "--dataset", "digits", "--image-size", "8", "--out", str(tmp_path / "x")]) == 2


def test_unreadable_model_files_and_interrupted_saves(tmp_path, capsys):
    out = tmp_path / "run"
    assert _train(out, "--epochs", "1") == 0
    # A save killed midway leaves a hidden temporary file: the next save of that file removes it.
    stale = out / ".model.keras.x1y2z3.keras"
    stale.write_bytes(b"partial")
    assert _train(out, "--resume", "--epochs", "2") == 0
    assert not stale.exists() and (out / "model.keras").exists()
    # A truncated or corrupt .keras file exists, and says it cannot be read.
    data = (out / "model.keras").read_bytes()
    broken = tmp_path / "broken.keras"
    for content in (data[: len(data) // 2], data[:100] + b"\0" * 1000 + data[1100:]):
        broken.write_bytes(content)
        capsys.readouterr()
        assert cli.main(["sample", str(broken), "--out", str(tmp_path / "s.png")]) == 2
        err = capsys.readouterr().err
        assert "exists but is not a readable .keras model" in err and "Traceback" not in err
    assert not (tmp_path / "s.png").exists()
    assert cli.main(["sample", str(tmp_path / "missing.keras")]) == 2
    assert "No such model file" in capsys.readouterr().err
    (out / "model.keras").write_bytes(data[:1000])
    assert _train(out, "--resume", "--epochs", "3") == 2
    assert "not a readable .keras model" in capsys.readouterr().err
    assert json.loads((out / "run.json").read_text())["epochs_completed"] == 2  # nothing else lost


@pytest.mark.once  # data loading: backend-independent
def test_tfds_datasets_with_tfds_own_mock_data(tmp_path):
    """The TFDS path (a TFDS name kerasgan has no loader of its own for, in `kerasgan.data`
    and `kerasgan train`) on TFDS's mock data: nothing downloads here."""
    tfds = pytest.importorskip("tensorflow_datasets")
    from kerasgan import data

    with tfds.testing.mock_data(num_examples=16, policy=tfds.testing.MockPolicy.USE_CODE):
        x, y = data.load_tfds_images("mnist", with_labels=True)
        assert x.shape == (16, 28, 28, 1) and x.dtype == np.float32 and y.shape == (16,)
        assert -1.0 <= x.min() < 0.0 < x.max() <= 1.0
        assert data.load("svhn_cropped", limit=8).shape == (8, 32, 32, 3)
        out = tmp_path / "svhn"
        assert cli.main(["train", "--dataset", "svhn_cropped", "--limit", "16", "--epochs", "1", "--batch-size",
                         "8", "--filters", "4", "--latent-dim", "4", "--verbose", "0", "--out", str(out)]) == 0
    run = json.loads((out / "run.json").read_text())
    assert run["samples"] == 16 and run["config"]["image_shape"] == [32, 32, 3]


def test_a_run_with_no_finite_epoch_writes_no_model_and_only_valid_json(tmp_path, monkeypatch, capsys):
    from kerasgan.engine.latent_gan import LatentGAN

    finite_loss = LatentGAN.discriminator_loss

    def nan_loss(self, *args, **kwargs):  # NaN losses and gradients from the first step on
        loss, logs = finite_loss(self, *args, **kwargs)
        return loss * float("nan"), logs

    monkeypatch.setattr(LatentGAN, "discriminator_loss", nan_loss)
    out = tmp_path / "run"
    with pytest.warns(RuntimeWarning, match="Non-finite loss"):
        assert _train(out, "--epochs", "1") == 3
    captured = capsys.readouterr()
    assert "no epoch finished with finite losses, so no model or samples were written" in captured.err
    assert "model.keras" not in captured.out and "samples.png" not in captured.out
    assert not (out / "model.keras").exists() and not (out / "samples.png").exists()
    assert not (out / "samples").exists() or not os.listdir(out / "samples")

    def strict(text):  # bare NaN is not JSON
        return json.loads(text, parse_constant=lambda name: pytest.fail(f"{name} in JSON"))

    run = strict((out / "run.json").read_text())
    assert run["epochs_completed"] == 0 and run["stopped_on_nonfinite_loss"] is True
    assert not (out / "history.json").exists() or strict((out / "history.json").read_text())


def _fashion_mnist_or_skip():
    try:
        kerasgan.data.load_fashion_mnist(split="test", download=False)
    except kerasgan.data.DatasetNotFoundError as error:
        pytest.skip(str(error))


@pytest.mark.once  # CLI plumbing; the model's steps are tested per backend in test_cyclegan.py
def test_cyclegan_trains_on_its_built_in_task_reports_and_resumes(tmp_path, capsys):
    _fashion_mnist_or_skip()
    out = tmp_path / "cyclegan"
    args = ["train", "--model", "cyclegan", "--limit", "16", "--batch-size", "4", "--filters", "4",
            "--generator-filters", "6", "--residual-blocks", "1", "--steps-per-epoch", "2", "--eval-images", "64",
            "--verbose", "0", "--out", str(out)]
    assert cli.main([*args, "--epochs", "1"]) == 0
    run = json.loads((out / "run.json").read_text())
    assert run["dataset"] == "fashion_mnist_edges" and run["config"]["image_shape"] == [28, 28, 1]
    # --generator-filters widens the generators alone; --filters stays the discriminators'.
    assert run["config"]["generator_filters"] == 6 and run["config"]["discriminator_filters"] == 4
    report = run["evaluation"]
    assert report["images"] == 64 and 0 <= report["cycled_class_agreement"] <= 1
    assert report["mae_a_to_b"] > 0 and report["classifier_accuracy"] > 0.8
    # Rows A, G(A), F(G(A)), B, F(B), G(F(B)) of 8 images (28 px, 2 px padding, ×2).
    assert Image.open(out / "samples.png").size == (2 * (8 * 30 + 2), 2 * (6 * 30 + 2))
    assert (out / "samples" / "preview_epoch_001.png").exists()
    assert cli.main([*args, "--epochs", "2", "--resume"]) == 0
    resumed = keras.saving.load_model(out / "model.keras")
    assert type(resumed) is kerasgan.models.CycleGAN
    assert int(resumed.optimizer.iterations.numpy()) == 4
    assert json.loads((out / "run.json").read_text())["epochs_completed"] == 2
    capsys.readouterr()
    # Its rate follows the paper's linear decay: --lr cannot replace it on resume.
    assert cli.main([*args, "--epochs", "3", "--resume", "--lr", "1e-3"]) == 2
    assert "follow a learning-rate schedule" in capsys.readouterr().err
    assert json.loads((out / "run.json").read_text())["epochs_completed"] == 2
    assert cli.main(["train", "--model", "cyclegan", "--dataset", "digits", "--out", str(tmp_path / "x"),
                     "--verbose", "0"]) == 2
    assert "--model cyclegan trains on two domains" in capsys.readouterr().err


@pytest.mark.once  # CLI plumbing; the model's steps are tested per backend in test_stargan.py
def test_stargan_trains_on_its_four_domain_task_and_reports(tmp_path, monkeypatch, capsys):
    _fashion_mnist_or_skip()
    from kerasgan.data import domains as domain_data
    from kerasgan.metrics import domain_translation

    # The report's domain classifier learns from the run's own training domains
    # (its --seed's split), which are loaded once.
    loads, given = [], []
    load = domain_data.load_domain_task

    def counted_load(name, split="train", seed=0, **kwargs):
        result = load(name, split=split, seed=seed, **kwargs)
        if split == "train":
            loads.append((seed, result))
        return result

    train_classifier = domain_translation.train_domain_classifier

    def recorded_classifier(domains=None, **kwargs):
        given.append(domains)
        return train_classifier(domains, **kwargs)

    monkeypatch.setattr(domain_data, "load_domain_task", counted_load)
    monkeypatch.setattr(kerasgan.data, "load_domain_task", counted_load)
    monkeypatch.setattr(domain_translation, "train_domain_classifier", recorded_classifier)
    out = tmp_path / "stargan"
    assert cli.main(["train", "--model", "stargan", "--limit", "40", "--batch-size", "10", "--d-steps", "2",
                     "--filters", "4", "--generator-filters", "6", "--residual-blocks", "1", "--steps-per-epoch",
                     "1", "--eval-images", "20", "--lambda-identity", "2.5", "--seed", "3", "--verbose", "0",
                     "--generator-downsamplings", "1",
                     "--out", str(out)]) == 0
    assert "2 critic steps per iteration, each on 5 of the 10 images of a batch, then a generator step on 5\n" \
        in capsys.readouterr().out
    assert [seed for seed, _ in loads] == [3] and len(given) == 1
    for used, loaded in zip(given[0], loads[0][1], strict=True):
        np.testing.assert_array_equal(used, loaded[:40])
    run = json.loads((out / "run.json").read_text())
    assert run["dataset"] == "fashion_mnist_domains" and run["config"]["num_domains"] == 4
    model = keras.saving.load_model(out / "model.keras")
    assert model.lambda_identity == 2.5 and model.discriminator_steps == 2
    # --generator-filters is G's base width (its first convolution), --filters D's.
    assert model.generator.get_layer("in_conv").filters == 6 and run["options"]["generator_filters"] == 6
    assert run["config"]["generator_filters"] == 6 and run["config"]["discriminator_filters"] == 4
    # --generator-downsamplings 1: the residual blocks work on a 14×14 map of the 28×28 images.
    assert run["config"]["generator_downsamplings"] == 1 and run["options"]["generator_downsamplings"] == 1
    assert model.generator.get_layer("res_0_add").output.shape[1:] == (14, 14, 12)
    assert 0 <= run["evaluation"]["domain_accuracy"] <= 1
    # --limit 40 bounds the report's domain classifier to 40 real images of each domain.
    assert run["evaluation"]["domain_classifier_images_per_domain"] == 40
    # Rows: the 8 example images, then their translations into each of the 4 domains.
    assert Image.open(out / "samples.png").size == (2 * (8 * 30 + 2), 2 * (5 * 30 + 2))


@pytest.mark.once  # CLI plumbing; the content term is tested per backend in test_stargan.py
def test_stargan_content_term_trains_f_on_the_runs_own_images_or_loads_one(tmp_path, monkeypatch, capsys):
    _fashion_mnist_or_skip()
    from kerasgan.metrics import domain_translation

    seen = []
    train_content = domain_translation.train_content_classifier

    def recorded(images, labels, **kwargs):
        seen.append((images, labels, kwargs))
        return train_content(images, labels, **kwargs)

    monkeypatch.setattr(domain_translation, "train_content_classifier", recorded)
    loads = []
    load = kerasgan.data.load_domain_task

    def counted_load(*a, **kwargs):
        loads.append(kwargs.get("with_labels"))
        return load(*a, **kwargs)

    monkeypatch.setattr(kerasgan.data, "load_domain_task", counted_load)
    args = ["train", "--model", "stargan", "--limit", "20", "--batch-size", "10", "--d-steps", "2", "--filters", "4",
            "--residual-blocks", "1", "--steps-per-epoch", "1", "--eval-images", "0", "--seed", "2",
            "--verbose", "0"]
    out = tmp_path / "content"
    assert cli.main([*args, "--lambda-content", "0.5", "--content-epochs", "1", "--content-filters", "4,6",
                     "--content-dropout", "0.25", "--out", str(out)]) == 0
    assert loads == [True]  # the training images and their garment labels, loaded once
    # f learns from the run's own training images (its --seed's split, --limit of each domain), garment labels.
    domains, garments = kerasgan.data.load_domain_task("fashion_mnist_domains", seed=2, with_labels=True)
    (images, labels, kwargs), = seen
    np.testing.assert_array_equal(images, np.concatenate([d[:20] for d in domains]))
    np.testing.assert_array_equal(labels, np.concatenate([g[:20] for g in garments]))
    assert kwargs["epochs"] == 1 and kwargs["num_classes"] == 10 and kwargs["seed"] == 2
    assert kwargs["filters"] == (4, 6) and kwargs["dropout"] == 0.25
    model = keras.saving.load_model(out / "model.keras")
    assert model.lambda_content == 0.5 and not model.content_classifier.trainable
    f = model.content_classifier  # the network asked for, saved with the model
    assert [f.get_layer(f"conv_{i}").filters for i in range(2)] == [4, 6]
    assert f.get_layer("dropout").rate == 0.25
    assert "content" in json.loads((out / "history.json").read_text())["epochs"]
    options = json.loads((out / "run.json").read_text())["options"]
    assert options["lambda_content"] == 0.5 and options["content_epochs"] == 1
    assert options["content_filters"] == [4, 6] and options["content_dropout"] == 0.25

    # A saved classifier instead, e.g. for a dataset without content labels.
    path = tmp_path / "f.keras"
    model.content_classifier.save(path)
    given = tmp_path / "given"
    assert cli.main([*args, "--lambda-content", "1", "--content-classifier", str(path), "--out", str(given)]) == 0
    loaded = keras.saving.load_model(given / "model.keras")
    for a, b in zip(loaded.content_classifier.get_weights(), model.content_classifier.get_weights()):
        np.testing.assert_array_equal(a, b)
    assert len(seen) == 1
    capsys.readouterr()
    for flags, message in [
        (["--content-epochs", "2"], "--content-epochs is for the content term: give --lambda-content too"),
        (["--lambda-content", "1", "--content-classifier", str(tmp_path / "none.keras")], "no such file"),
        (["--content-filters", "8"], "--content-filters is for the content term: give --lambda-content too"),
        (["--lambda-content", "1", "--content-classifier", str(path), "--content-epochs", "2"], "Give one of them"),
        (["--lambda-content", "1", "--content-classifier", str(path), "--content-dropout", "0.1"],
         "--content-dropout is for training f on the built-in task"),
    ]:
        assert cli.main([*args, *flags, "--out", str(tmp_path / "refused")]) == 2
        assert message in capsys.readouterr().err
        assert not (tmp_path / "refused").exists()
    for flags, message in [  # refused by the parser
        (["--lambda-content", "1", "--content-filters", "8,0"], "expected positive whole numbers of filters"),
        (["--lambda-content", "1", "--content-dropout", "1"], "expected a rate in [0, 1)"),
    ]:
        with pytest.raises(SystemExit):
            cli.main([*args, *flags, "--out", str(tmp_path / "refused")])
        assert message in capsys.readouterr().err
        assert not (tmp_path / "refused").exists()


@pytest.mark.once  # CLI plumbing; the model's steps are tested per backend in test_cogan.py
def test_cogan_trains_on_its_built_in_task_reports_pixel_agreement_and_samples_pairs(tmp_path):
    _fashion_mnist_or_skip()
    out = tmp_path / "cogan"
    assert cli.main(["train", "--model", "cogan", "--limit", "16", "--batch-size", "8", "--latent-dim", "8",
                     "--filters", "2", "--steps-per-epoch", "1", "--eval-images", "50", "--verbose", "0",
                     "--out", str(out)]) == 0
    run = json.loads((out / "run.json").read_text())
    # --filters F gives the generators the official widths' shape, 16F-8F-4F-2F (1024-512-256-128 at 64).
    assert tuple(run["config"]["generator_filters"]) == (32, 16, 8, 4)
    assert run["dataset"] == "fashion_mnist_edges" and run["evaluation"]["pairs"] == 50
    assert 0 <= run["evaluation"]["pixel_agreement"] <= 1
    assert Image.open(out / "samples.png").size == (2 * (8 * 30 + 2), 2 * (2 * 30 + 2))
    assert cli.main(["sample", str(out / "model.keras"), "--num", "4", "--out", str(tmp_path / "pairs.npy")]) == 0
    assert np.load(tmp_path / "pairs.npy").shape == (2, 4, 28, 28, 1)


@pytest.mark.parametrize("model_name, flags, message", [
    ("dcgan", ["--residual-blocks", "3"], "--residual-blocks applies to --model cyclegan and stargan"),
    ("cogan", ["--residual-blocks", "3"], "--residual-blocks applies to --model cyclegan and stargan"),
    ("cogan", ["--generator-filters", "8"], "--generator-filters applies to --model cyclegan and stargan"),
    ("dcgan", ["--generator-filters", "8"], "--generator-filters applies to --model cyclegan and stargan"),
    ("progan", ["--generator-downsamplings", "1"],
     "--generator-downsamplings applies to --model cyclegan and stargan only (the models with a residual "
     "generator); "
     "not to --model progan"),
    ("cyclegan", ["--lambda-identity", "1"], "--lambda-identity applies to --model stargan only"),
    ("cyclegan", ["--lambda-content", "1"], "--lambda-content applies to --model stargan only"),
    ("dcgan", ["--content-epochs", "2"], "--content-epochs applies to --model stargan only"),
    ("gan", ["--filters", "32"], "--model gan has the paper's fully connected networks"),
    ("dcgan", ["--gamma", "0.7"], "--gamma applies to --model began only"),
    ("wgan", ["--lambda-k", "0.01"], "--lambda-k applies to --model began only"),
])
def test_train_refuses_options_the_model_cannot_honour(tmp_path, capsys, model_name, flags, message):
    out = tmp_path / "run"
    assert cli.main(["train", "--model", model_name, "--dataset", "digits", "--out", str(out), *flags]) == 2
    assert message in capsys.readouterr().err
    assert not out.exists()


@pytest.mark.once  # CLI plumbing; BEGAN's k is tested per backend in test_variants.py
def test_began_gamma_and_lambda_k_reach_the_model_and_are_checked(tmp_path, capsys):
    out = tmp_path / "began"
    assert _train(out, "--model", "began", "--gamma", "0.7", "--lambda-k", "0.01", "--epochs", "1",
                  "--limit", "64") == 0
    model = keras.saving.load_model(out / "model.keras")
    assert type(model) is kerasgan.models.BEGAN and model.gamma == 0.7 and model.lambda_k == 0.01
    config = json.loads((out / "run.json").read_text())["config"]
    assert config["gamma"] == 0.7 and config["lambda_k"] == 0.01
    # k moved by at most λ_k per generator step (one step: 64 images, batch 64).
    assert 0.0 <= float(keras.ops.convert_to_numpy(model.k)) <= 0.01
    # γ and λ_k are model options: a resumed run cannot change them.
    assert _train(out, "--model", "began", "--gamma", "0.5", "--epochs", "2", "--resume") == 2
    assert "--gamma 0.5 cannot change on --resume" in capsys.readouterr().err
    assert _train(out, "--model", "began", "--lambda-k", "0.1", "--epochs", "2", "--resume") == 2
    assert "--lambda-k 0.1 cannot change on --resume" in capsys.readouterr().err
    for flag, value in (("--gamma", "1.5"), ("--lambda-k", "0")):
        with pytest.raises(SystemExit):
            _train(tmp_path / "x", "--model", "began", flag, value)
        assert "expected a number in (0, 1]" in capsys.readouterr().err


@pytest.mark.once  # CLI plumbing; the moving average is tested per backend in test_techniques.py
def test_generator_ema_is_kept_sampled_from_and_refused_where_it_cannot_apply(tmp_path, capsys):
    out = tmp_path / "ema"
    assert _train(out, "--generator-ema", "0.9", "--epochs", "1") == 0
    model = keras.saving.load_model(out / "model.keras")
    assert model.generator_ema == 0.9 and model.ema_generator is not None
    # The moving average lags the trained weights, and generate samples from it by default.
    ema, raw = model.generate(4, seed=0), model.generate(4, seed=0, ema=False)
    np.testing.assert_array_equal(ema, model.generate(4, seed=0, ema=True))
    assert np.abs(ema - raw).max() > 1e-5
    run = json.loads((out / "run.json").read_text())
    assert run["options"]["generator_ema"] == 0.9
    # The decay cannot change on --resume; a run without an average can start one there.
    assert _train(out, "--generator-ema", "0.5", "--epochs", "2", "--resume") == 2
    assert "--generator-ema 0.5 cannot change on --resume" in capsys.readouterr().err
    late = tmp_path / "late"
    assert _train(late, "--epochs", "1") == 0
    before = keras.saving.load_model(late / "model.keras")
    assert before.ema_generator is None
    capsys.readouterr()
    # One generator step (--steps-per-epoch 1): average = 0.9·checkpoint's G + 0.1·G after the step.
    assert _train(late, "--generator-ema", "0.9", "--epochs", "2", "--steps-per-epoch", "1", "--resume") == 0
    assert "moving average of the generator starts from the checkpoint" in capsys.readouterr().err
    model = keras.saving.load_model(late / "model.keras")
    assert model.generator_ema == 0.9
    run = json.loads((late / "run.json").read_text())
    assert run["options"]["generator_ema"] == 0.9 and run["config"]["generator_ema"] == 0.9
    assert run["epochs_completed"] == 2 and "--generator-ema 0.9" in run["commands"][-1]
    start, after = before.generator.get_weights(), model.generator.get_weights()
    assert any(not np.array_equal(a, b) for a, b in zip(start, after))
    for average, a, b in zip(model.ema_generator.get_weights(), start, after):
        np.testing.assert_allclose(average, 0.9 * a + 0.1 * b, rtol=1e-5, atol=1e-6)
    # A run.json that lags its checkpoint (no average recorded, one saved): the decays must agree.
    run["options"]["generator_ema"] = None
    (late / "run.json").write_text(json.dumps(run))
    assert _train(late, "--generator-ema", "0.5", "--epochs", "3", "--resume") == 2
    assert "already keeps a moving average with decay 0.9" in capsys.readouterr().err
    for model_name in ("progan", "cyclegan"):
        assert cli.main(["train", "--model", model_name, "--generator-ema", "0.9", "--dataset", "digits",
                         "--out", str(tmp_path / model_name)]) == 2
        assert "--generator-ema" in capsys.readouterr().err
        assert not (tmp_path / model_name).exists()


@pytest.mark.once  # CLI plumbing: the optimizers each variant is compiled with
def test_each_variant_trains_with_its_own_optimizers_unless_flags_say_otherwise(tmp_path, capsys):
    def optimizers(out):
        config = keras.saving.load_model(out / "model.keras").get_compile_config()["optimizers"]
        return {player: (c["class_name"], round(float(c["config"]["learning_rate"]), 8),
                         c["config"].get("beta_1"), c["config"].get("beta_2"))
                for player, c in config.items()}

    small = ["--limit", "40", "--epochs", "1", "--batch-size", "20", "--filters", "4", "--latent-dim", "4"]
    # WGAN: RMSprop(5e-5) (Arjovsky et al.); WGAN-GP: Adam(1e-4, 0, 0.9) (Gulrajani et al.), --lr applied.
    assert _train(tmp_path / "wgan", "--model", "wgan", *small) == 0
    assert set(optimizers(tmp_path / "wgan").values()) == {("RMSprop", 5e-5, None, None)}
    assert _train(tmp_path / "wgan_gp", "--model", "wgan_gp", "--lr", "3e-4", *small) == 0
    assert set(optimizers(tmp_path / "wgan_gp").values()) == {("Adam", 3e-4, 0.0, 0.9)}
    assert _train(tmp_path / "dcgan", "--beta1", "0.3", "--beta2", "0.99", *small) == 0
    assert set(optimizers(tmp_path / "dcgan").values()) == {("Adam", 2e-4, 0.3, 0.99)}
    assert _train(tmp_path / "bad", "--model", "wgan", "--beta1", "0.5", *small) == 2
    assert "RMSprop, which has no beta_1" in capsys.readouterr().err


# CLI plumbing; the conditional variants are tested per backend in test_variants.py.
@pytest.mark.once
@pytest.mark.parametrize("model", ["cgan", "acgan"])
def test_conditional_variants_train_on_labels_and_grid_a_column_per_class(tmp_path, model, capsys):
    from kerasgan.utils.images import image_grid

    out = tmp_path / model
    args = ["train", "--model", model, "--dataset", "digits", "--limit", "60", "--batch-size", "20",
            "--filters", "4", "--latent-dim", "4", "--verbose", "0", "--out", str(out)]
    assert cli.main([*args, "--epochs", "1"]) == 0
    assert cli.main([*args, "--epochs", "2", "--resume"]) == 0
    run = json.loads((out / "run.json").read_text())
    assert run["epochs_completed"] == 2 and run["config"]["num_classes"] == 10
    model_ = keras.saving.load_model(out / "model.keras")
    assert type(model_).__name__ == cli._VARIANTS[model]
    # The final grid: 10 rows of the 10 classes, sample i of class i % 10 from seed 0.
    labels = np.arange(100) % 10
    expected = image_grid(model_.generate(100, seed=0, labels=labels), rows=10)[..., 0]
    grid = np.asarray(Image.open(out / "samples.png"))[::2, ::2]
    assert grid.shape == expected.shape == (10 * 10 + 2, 10 * 10 + 2)
    assert np.abs(grid.astype(int) - expected.astype(int)).max() <= 1
    assert len(list((out / "samples").glob("samples_epoch_*.png"))) == 2
    # `kerasgan sample`: a class after another by default, or one class for all.
    for extra, wanted in (([], np.arange(20) % 10), (["--label", "3"], np.full(20, 3))):
        npy = tmp_path / f"samples{len(extra)}.npy"
        assert cli.main(["sample", str(out / "model.keras"), "--num", "20", "--out", str(npy), *extra]) == 0
        np.testing.assert_allclose(np.load(npy), model_.generate(20, seed=0, labels=wanted), atol=1e-5)
    assert cli.main(["sample", str(out / "model.keras"), "--label", "10", "--out", str(tmp_path / "x.png")]) == 2
    assert "[0, 10)" in capsys.readouterr().err
    assert cli.main(["sample", "dcgan_fashion_mnist", "--label", "1", "--out", str(tmp_path / "x.png")]) == 2
    assert "DCGAN is not class-conditional" in capsys.readouterr().err
    # Labels are required: a dataset without them is refused before anything is written.
    assert cli.main(["train", "--model", model, "--dataset", "ring", "--out", str(tmp_path / "ring")]) == 2
    err = capsys.readouterr().err
    assert "class-conditional" in err and "fashion_mnist" in err
    assert not (tmp_path / "ring").exists()
