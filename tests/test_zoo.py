"""The zoo: loading by name, hash verification, the published DCGAN."""

import os
import shutil

import numpy as np
import pytest

import kerasgan
from kerasgan import cli
from kerasgan import zoo


@pytest.fixture
def tiny_zoo(tmp_path):
    run = tmp_path / "run"
    assert cli.main(["train", "--dataset", "digits", "--limit", "128", "--epochs", "1",
                     "--filters", "8", "--latent-dim", "8", "--verbose", "0", "--out", str(run)]) == 0
    directory = tmp_path / "zoo"
    zoo.publish(str(run), "tiny_digits", "a test model", zoo_dir=str(directory))
    return directory, run


def test_publish_then_load_gives_the_trained_generator(tiny_zoo):
    directory, run = tiny_zoo
    import keras

    trained = keras.saving.load_model(run / "model.keras")
    model = zoo.load("tiny_digits", directory=str(directory))
    np.testing.assert_allclose(model.generate(8, seed=0), trained.generate(8, seed=0), atol=1e-6)
    assert (directory / "tiny_digits" / "README.md").read_text().count("kerasgan train") == 1
    assert zoo.entry("tiny_digits", str(directory))["sha256"] == zoo.sha256(
        directory / "tiny_digits" / "model.weights.h5")


def test_fold_ema_publishes_the_moving_average_as_the_generator(tmp_path):
    """`publish(..., fold_ema=True)`: the published model samples as the trained
    one (from its moving average) with one generator's weights, keeps D;
    `drop_ema=True` publishes the raw generator instead; a run without a
    moving average is refused before anything is written."""
    import keras

    run = tmp_path / "run"
    assert cli.main(["train", "--dataset", "digits", "--limit", "128", "--epochs", "1", "--filters", "8",
                     "--latent-dim", "8", "--generator-ema", "0.5", "--verbose", "0", "--out", str(run)]) == 0
    trained = keras.saving.load_model(run / "model.keras")
    # The average has moved away from the raw generator, so folding the wrong one would show.
    raw, average = trained.generator.get_weights(), trained.ema_generator.get_weights()
    assert max(np.abs(a - b).max() for a, b in zip(raw, average)) > 1e-4
    whole, folded = tmp_path / "whole", tmp_path / "folded"
    zoo.publish(str(run), "tiny", "a test model", zoo_dir=str(whole))
    entry = zoo.publish(str(run), "tiny", "a test model", zoo_dir=str(folded), fold_ema=True)
    assert entry["config"]["generator_ema"] is None and entry["sha256"] == zoo.sha256(
        folded / "tiny" / "model.weights.h5")
    model = zoo.load("tiny", directory=str(folded))
    assert model.ema_generator is None
    for published, averaged in zip(model.generator.get_weights(), average, strict=True):
        np.testing.assert_array_equal(published, averaged)
    np.testing.assert_allclose(model.generate(8, seed=0), trained.generate(8, seed=0), rtol=1e-5, atol=1e-8)
    images = trained.generate(8, seed=1)
    np.testing.assert_allclose(keras.ops.convert_to_numpy(model.discriminator(images)),
                               keras.ops.convert_to_numpy(trained.discriminator(images)), atol=1e-6)
    generator_bytes = sum(np.asarray(w).nbytes for w in trained.generator.get_weights())
    size = lambda zoo_dir: (zoo_dir / "tiny" / "model.weights.h5").stat().st_size  # noqa: E731
    assert size(whole) - size(folded) > 0.9 * generator_bytes

    # drop_ema: the raw generator, sampled as the trained model's generate(ema=False).
    dropped = tmp_path / "dropped"
    assert cli.main(["zoo", "publish", str(run), "--name", "tiny", "--summary", "a test model",
                     "--zoo-dir", str(dropped), "--drop-ema"]) == 0
    assert zoo.entry("tiny", str(dropped))["config"]["generator_ema"] is None
    model = zoo.load("tiny", directory=str(dropped))
    assert model.ema_generator is None
    for published, trained_raw in zip(model.generator.get_weights(), raw, strict=True):
        np.testing.assert_array_equal(published, trained_raw)
    np.testing.assert_allclose(model.generate(8, seed=0), trained.generate(8, seed=0, ema=False),
                               rtol=1e-5, atol=1e-8)
    assert size(dropped) == size(folded)
    # Its sample grid is redrawn from the published generator (the run's shows the average).
    from PIL import Image

    from kerasgan.utils.images import save_image_grid

    save_image_grid(trained.generate(64, seed=0, ema=False), tmp_path / "raw.png", scale=2)
    redrawn = np.asarray(Image.open(dropped / "tiny" / "samples.png"))
    np.testing.assert_array_equal(redrawn, np.asarray(Image.open(tmp_path / "raw.png")))
    assert not np.array_equal(redrawn, np.asarray(Image.open(run / "samples.png")))
    with pytest.raises(ValueError, match="choose one"):
        zoo.publish(str(run), "tiny", "a test model", zoo_dir=str(tmp_path / "both"), fold_ema=True,
                    drop_ema=True)
    assert not (tmp_path / "both").exists()

    plain = tmp_path / "plain"
    assert cli.main(["train", "--dataset", "digits", "--limit", "64", "--epochs", "1", "--filters", "8",
                     "--latent-dim", "8", "--verbose", "0", "--out", str(plain)]) == 0
    with pytest.raises(ValueError, match="keeps no average"):
        zoo.publish(str(plain), "tiny_plain", "a test model", zoo_dir=str(tmp_path / "refused"), fold_ema=True)
    assert not (tmp_path / "refused").exists()


def test_a_grown_progan_publishes_and_loads_at_its_stage(tmp_path):
    """ProGAN's config holds its growth schedule; the published weights hold
    the images seen, so the loaded model samples at the run's resolution."""
    import keras

    run = tmp_path / "run"
    assert cli.main(["train", "--model", "progan", "--dataset", "digits", "--limit", "8", "--batch-size", "4",
                     "--schedule", "8,8", "--epochs", "2", "--filter-base", "32", "--filters", "8",
                     "--latent-dim", "4", "--verbose", "0", "--out", str(run)]) == 0
    directory = tmp_path / "zoo"
    entry = zoo.publish(str(run), "tiny_progan", "a test ProGAN", zoo_dir=str(directory))
    assert entry["config"]["schedule"] == {"stages": 2, "stabilise_images": 8, "fade_images": 8}
    trained = keras.saving.load_model(run / "model.keras")
    model = zoo.load("tiny_progan", directory=str(directory))
    assert model.growth() == trained.growth() and model.current_resolution == 8
    np.testing.assert_allclose(model.generate(4, seed=0), trained.generate(4, seed=0), atol=1e-6)


def test_corrupt_weights_are_refused(tiny_zoo, monkeypatch, capsys, tmp_path):
    directory, _ = tiny_zoo
    weights = directory / "tiny_digits" / "model.weights.h5"
    data = bytearray(weights.read_bytes())
    data[-100] ^= 0xFF
    weights.write_bytes(bytes(data))
    with pytest.raises(zoo.WeightsIntegrityError, match="SHA-256.*restore the file in that zoo directory"):
        zoo.load("tiny_digits", directory=str(directory))
    # From the command line: the same message, no traceback, nothing written.
    monkeypatch.setenv(zoo.ZOO_DIR_ENV, str(directory))
    capsys.readouterr()
    assert cli.main(["sample", "tiny_digits", "--out", str(tmp_path / "s.png")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("kerasgan sample: error: ") and "SHA-256" in err and "Traceback" not in err
    assert not (tmp_path / "s.png").exists()
    weights.unlink()
    with pytest.raises(FileNotFoundError, match="weights of zoo model 'tiny_digits' are missing"):
        zoo.load("tiny_digits", directory=str(directory))


def test_unknown_name_lists_models_and_closest_match():
    with pytest.raises(ValueError, match=r"Unknown zoo model 'dcgan_fashion'.*Available: .*dcgan_fashion_mnist.*Closest match: 'dcgan_fashion_mnist'"):
        zoo.load("dcgan_fashion")


def test_published_dcgan_fashion_mnist_makes_varied_garments():
    """The zoo model's samples look like real garments of many classes.

    Judged by 1-nearest-neighbour in pixel space against 6,000 labelled real
    training images. Measured when publishing (500 samples, seed 0): median
    nearest-neighbour distance 10.4 against 8.1 for 500 real test images;
    all 10 classes present, shares 4%-14%; per-pixel spread across samples
    0.53 against 0.55 for real images.
    """
    model = zoo.load("dcgan_fashion_mnist")
    assert isinstance(model, kerasgan.models.DCGAN)
    samples = model.generate(500, seed=0).reshape(500, -1)
    try:
        images, labels = kerasgan.data.load_fashion_mnist(with_labels=True, download=False)
        test = kerasgan.data.load_fashion_mnist(split="test", download=False)[:500].reshape(500, -1)
    except kerasgan.data.DatasetNotFoundError as error:
        pytest.skip(str(error))
    reference = images[:6000].reshape(6000, -1)
    ref_labels = labels[:6000]

    def nearest(x):
        d = (x**2).sum(1)[:, None] - 2 * x @ reference.T + (reference**2).sum(1)[None]
        return np.sqrt(np.maximum(d.min(1), 0)), ref_labels[d.argmin(1)]

    sample_dist, sample_classes = nearest(samples)
    real_dist, _ = nearest(test)
    # As close to real training images as real test images are, within 50%.
    assert np.median(sample_dist) < 1.5 * np.median(real_dist), (np.median(sample_dist), np.median(real_dist))
    counts = np.bincount(sample_classes, minlength=10) / len(sample_classes)
    assert (counts > 0.02).sum() >= 8, counts  # at least 8 of the 10 classes
    assert counts.max() < 0.35, counts  # no class dominates
    # Varied images, not one repeated image: per-pixel spread near the data's.
    assert np.std(samples, axis=0).mean() > 0.8 * np.std(test, axis=0).mean()


def test_dcgan_celeba_is_registered_and_says_how_to_make_its_weights(capsys, tmp_path):
    """Registered before CelebA could be trained on: its architecture is fixed,
    and loading it names the one command that trains and publishes it."""
    assert not zoo.published("dcgan_celeba") and zoo.published("dcgan_fashion_mnist")
    command = "bash scripts/train_zoo_dcgan_celeba.sh"
    with pytest.raises(zoo.WeightsNotPublishedError, match=f"no published weights yet: CelebA.*{command}"):
        zoo.load("dcgan_celeba")
    info = zoo.entry("dcgan_celeba")
    model = getattr(kerasgan.models, info["class"]).from_config(info["config"])
    assert model.generate(2, seed=0).shape == (2, 64, 64, 3)

    capsys.readouterr()
    assert cli.main(["sample", "dcgan_celeba", "--out", str(tmp_path / "faces.png")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("kerasgan sample: error: ") and command in err and "Traceback" not in err
    assert not (tmp_path / "faces.png").exists()
    # `zoo list`: name, what it is, headline metric (or the command, unpublished).
    assert cli.main(["zoo", "list"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split() == ["name", "what", "it", "is", "headline", "metric"]
    row = {line.split()[0]: line for line in lines[1:]}
    assert set(row) == set(zoo.names())
    assert row["dcgan_fashion_mnist"].endswith(zoo.entry("dcgan_fashion_mnist")["headline"])
    assert row["dcgan_celeba"].endswith(f"not published yet: {command}")
    assert cli.main(["zoo", "info", "dcgan_celeba"]) == 0
    card = capsys.readouterr().out
    assert "Not published yet" in card and "On a GPU machine" in card and "--dataset celeb_a" in card


@pytest.mark.once
def test_the_dcgan_celeba_script_trains_and_publishes_from_a_celeba_folder(tmp_path):
    """scripts/train_zoo_dcgan_celeba.sh end to end on 64 made 178×218 "faces"
    in a CelebA folder, into a zoo directory of the test's: the published
    model loads, hash-checked, and makes 64×64 colour images; the card's
    hand-written part (the GPU instructions) survives, the "not published"
    part is replaced by the run's record."""
    import subprocess
    import sys

    from PIL import Image

    from conftest import subprocess_env

    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    faces = tmp_path / "data" / "img_align_celeba"
    faces.mkdir(parents=True)
    rng = np.random.default_rng(0)
    for i in range(64):
        pixels = np.clip(rng.normal(128, 40, (218, 178, 3)), 0, 255).astype("uint8")
        Image.fromarray(pixels).save(faces / f"{i + 1:06d}.jpg")
    directory = tmp_path / "zoo"
    (directory / "dcgan_celeba").mkdir(parents=True)
    shutil.copyfile(os.path.join(root, "kerasgan", "zoo", "dcgan_celeba", "README.md"),
                    directory / "dcgan_celeba" / "README.md")
    backend = os.environ.get("KERAS_BACKEND", "torch")
    env = subprocess_env(
        backend,
        KERASGAN_SETUP="0", KERASGAN_DATA_DIR=str(tmp_path / "data"), LIMIT="64", EPOCHS="1",
        BATCH_SIZE="32", OUT=str(tmp_path / "run"), ZOO_DIR=str(directory),
        PATH=os.path.dirname(sys.executable) + os.pathsep + os.environ["PATH"],
    )
    done = subprocess.run(["bash", os.path.join(root, "scripts", "train_zoo_dcgan_celeba.sh")], env=env,
                          capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stderr[-3000:]
    assert "published dcgan_celeba" in done.stdout

    assert zoo.published("dcgan_celeba", str(directory))
    model = zoo.load("dcgan_celeba", directory=str(directory))
    images = model.generate(4, seed=0)
    assert images.shape == (4, 64, 64, 3) and np.isfinite(images).all() and np.abs(images).max() <= 1.0
    card = (directory / "dcgan_celeba" / "README.md").read_text()
    assert "--dataset celeb_a --image-size 64" in card and f"| backend | {backend}" in card
    assert "On a GPU machine" in card and "Not published yet" not in card


def _zoo_with_the_classifier(tmp_path):
    """(repository root, a zoo directory of the test's holding only the
    evaluation classifier); skips without the Fashion-MNIST files."""
    import json

    if not os.path.exists("/usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz"):
        pytest.skip("needs Debian's dataset-fashion-mnist")
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    directory = tmp_path / "zoo"
    shutil.copytree(os.path.join(root, "kerasgan", "zoo", "fashion_mnist_classifier"),
                    directory / "fashion_mnist_classifier")
    (directory / "registry.json").write_text(json.dumps(
        {"fashion_mnist_classifier": zoo.entry("fashion_mnist_classifier")}))
    return root, directory


@pytest.mark.once
def test_the_fashion_mnist_zoo_script_trains_publishes_and_evaluates(tmp_path, monkeypatch):
    """scripts/train_zoo_fashion_mnist.sh on a small run, into a zoo directory
    of the test's (holding the evaluation classifier): the model (a class-
    conditional one, the evaluation's fuller path) is published with its card,
    and the evaluation lands in evaluation.json, in the card (replaced, not
    appended, by a later evaluation) and as the registry headline."""
    import json
    import subprocess
    import sys

    from conftest import subprocess_env

    root, directory = _zoo_with_the_classifier(tmp_path)
    evaluation = (f"--num 300 --num-real 300 --kid-subsets 5 --kid-subset-size 100 "
                  f"--stats-cache {tmp_path / 'stats.npz'}")
    env = subprocess_env(
        os.environ.get("KERAS_BACKEND", "torch"), KERASGAN_SETUP="0", KERASGAN_ZOO_DIR=str(directory),
        OUT=str(tmp_path / "run"), EVAL_ARGS=evaluation,
        PATH=os.path.dirname(sys.executable) + os.pathsep + os.environ["PATH"],
    )
    command = ["bash", os.path.join(root, "scripts", "train_zoo_fashion_mnist.sh"), "acgan", "A test AC-GAN",
               "--limit", "256", "--epochs", "1", "--latent-dim", "8", "--filters", "8"]
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stderr[-3000:]
    record = json.loads((directory / "acgan_fashion_mnist" / "evaluation.json").read_text())
    assert record["num_generated"] == 300 and record["model_sha256"] == zoo.entry("acgan_fashion_mnist", str(directory))["sha256"]
    fid = record["generated"]["fid"]
    assert fid > record["real_floor"]["fid"] > 0
    agreement = record["generated"]["class_agreement"]
    assert zoo.entry("acgan_fashion_mnist", str(directory))["headline"] == (
        f"FMNIST-FID {fid:.2f}, class agreement {100 * agreement:.1f}%")
    card = (directory / "acgan_fashion_mnist" / "README.md").read_text()
    assert card.count("## Evaluation") == 1 and f"**{fid:.3f}**" in card
    assert "--model acgan --dataset fashion_mnist" in card and "real-data floor" in card
    assert "labels=np.arange(64) % 10" in card and "Per class:" in card
    # The class agreement: the classifier's classes of the same 300 samples, one class after another.
    from kerasgan.extractors import FashionMNISTFeatureExtractor

    model = zoo.load("acgan_fashion_mnist", directory=str(directory))
    labels = np.arange(300) % 10
    classes = FashionMNISTFeatureExtractor().predict_classes(model.generate(300, seed=0, labels=labels))
    assert abs(np.mean(classes == labels) - agreement) < 1e-9
    assert 0.9 < record["real_floor"]["classifier_test_accuracy"] < 0.95

    # A later evaluation replaces the card's section and the headline.
    from conftest import load_script

    evaluate = load_script(os.path.join(root, "scripts", "evaluate_zoo_model.py"), "evaluate_zoo_model")
    monkeypatch.setenv(zoo.ZOO_DIR_ENV, str(directory))
    section = f"{evaluate.EVALUATION_BEGIN}\n## Evaluation\n\nagain\n{evaluate.EVALUATION_END}\n"
    evaluate.write_card("acgan_fashion_mnist", section, "FMNIST-FID 1.00")
    card = (directory / "acgan_fashion_mnist" / "README.md").read_text()
    assert card.count("## Evaluation") == 1 and "again" in card and f"**{fid:.3f}**" not in card
    assert "--model acgan --dataset fashion_mnist" in card  # the generated part is kept
    assert zoo.entry("acgan_fashion_mnist", str(directory))["headline"] == "FMNIST-FID 1.00"


@pytest.mark.once  # backend-independent plumbing; the models' steps are tested per backend
@pytest.mark.parametrize("kind", ["CycleGAN", "StarGAN", "CoGAN"])
def test_multi_domain_models_publish_and_evaluate_on_their_task(tmp_path, monkeypatch, kind):
    """A CycleGAN and a StarGAN (translation) and a CoGAN (pairs) go through
    `zoo.publish` and `scripts/evaluate_zoo_model.py --card`: the card shows
    how to use them, the evaluation holds their task's metrics, recomputed here."""
    import json

    from PIL import Image

    from conftest import load_script
    from kerasgan import data

    root, directory = _zoo_with_the_classifier(tmp_path)
    monkeypatch.setenv(zoo.ZOO_DIR_ENV, str(directory))
    if kind == "CycleGAN":
        model = kerasgan.models.CycleGAN(image_shape=(28, 28, 1), generator_filters=4, residual_blocks=1,
                                         discriminator_filters=4, discriminator_layers=1, seed=0)
    elif kind == "StarGAN":
        model = kerasgan.models.StarGAN(image_shape=(28, 28, 1), num_domains=4, generator_filters=4,
                                        residual_blocks=1, discriminator_filters=4, seed=0)
        # The evaluation's domain classifier, on fewer real images than the card's 4,000 a domain.
        from kerasgan.metrics import domain_translation

        monkeypatch.setattr(domain_translation, "DOMAIN_CLASSIFIER_IMAGES", 200)
    else:
        model = kerasgan.models.CoGAN(image_shape=(28, 28, 1), seed=0, latent_dim=8,
                                      generator_filters=(16, 8, 8, 4), discriminator_filters=(4, 4, 8))
    task = "fashion_mnist_domains" if kind == "StarGAN" else "fashion_mnist_edges"
    run = tmp_path / "run"
    run.mkdir()
    model.save(run / "model.keras")
    for png in ("samples.png", "losses.png"):
        Image.new("L", (4, 4)).save(run / png)
    (run / "run.json").write_text(json.dumps({"dataset": task, "command": "made by a test"}))
    name = f"{kind.lower()}_fashion_mnist"
    zoo.publish(str(run), name, f"a test {kind}")
    card = (directory / name / "README.md").read_text()
    assert ("model.translate(x" in card) == (kind != "CoGAN") and ("a, b = model.generate" in card) == (kind == "CoGAN")
    assert zoo.entry(name)["dataset"] == task

    evaluate = load_script(os.path.join(root, "scripts", "evaluate_zoo_model.py"), "evaluate_zoo_model")
    stats = str(tmp_path / "stats.npz")
    assert evaluate.main(["--model", name, "--card", "--num", "40", "--num-real", "40", "--kid-subsets", "2",
                          "--kid-subset-size", "20", "--stats-cache", stats]) == 0
    record = json.loads((directory / name / "evaluation.json").read_text())
    loaded = zoo.load(name)
    x = data.load_fashion_mnist("test")[:40]
    edges = data.apply_transform("edges", x)
    if kind == "CycleGAN":
        assert record["images"] == 40 and record["task"] == "fashion_mnist_edges"
        np.testing.assert_allclose(record["mae_a_to_b"], np.abs(loaded.translate(x, "a_to_b") - edges).mean(),
                                   rtol=1e-5)
        assert zoo.entry(name)["headline"].startswith("cycled class agreement ")
    elif kind == "StarGAN":
        from kerasgan.metrics import domain_translation

        assert record["images"] == 40 and record["task"] == task
        assert record["domain_classifier_images_per_domain"] == 200
        # The garment figures do not depend on the domain classifier: a direct call with a
        # stand-in one (the same seed, so the same images and sources) gives them again.
        class Domain0:
            def predict_classes(self, images):
                return np.zeros(len(images), "int64")

            def accuracy(self, images, domain):
                return float(np.mean(domain == 0))

        x, y = data.load_fashion_mnist("test", with_labels=True)
        again = domain_translation.evaluate_domain_translation(loaded.translate, x, y, domain_classifier=Domain0(),
                                                               num_images=40, seed=0)
        assert record["garment_agreement"] == again["garment_agreement"]
        assert record["garment_agreement_per_source"] == again["garment_agreement_per_source"]
        for source, row in again["mae_per_source_and_target"].items():
            assert record["mae_per_source_and_target"][source] == pytest.approx(row, abs=1e-6), source
        assert zoo.entry(name)["headline"] == (f"domain found {100 * record['domain_accuracy']:.1f}%, garment "
                                               f"kept {100 * record['garment_agreement']:.1f}%")
        line = next(line for line in (directory / name / "README.md").read_text().splitlines()
                    if line.startswith("Garment class kept, by the domain"))
        assert f"negative {100 * record['garment_agreement_per_source']['negative']:.1f}%" in line
    else:
        a, b = loaded.generate(40, seed=0)
        agree = np.mean((data.apply_transform("edges", a) > 0) == (b > 0))
        np.testing.assert_allclose(record["generated"]["pixel_agreement"], agree, rtol=1e-6)
        assert zoo.entry(name)["headline"] == (f"pixel agreement {agree:.3f}, FMNIST-FID "
                                               f"{record['generated']['fid']:.2f} (domain A)")
    card = (directory / name / "README.md").read_text()
    assert card.count("## Evaluation") == 1


def test_the_evaluation_takes_the_centre_of_padded_samples():
    from conftest import load_script

    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    evaluate = load_script(os.path.join(root, "scripts", "evaluate_zoo_model.py"), "evaluate_zoo_model")
    images = np.random.default_rng(0).uniform(-1, 1, (3, 28, 28, 1)).astype("float32")
    padded = kerasgan.data.pad_images(images, 32)  # ProGAN's Fashion-MNIST: 32x32, black border
    np.testing.assert_array_equal(evaluate.fashion_mnist_size(padded), images)
    assert evaluate.fashion_mnist_size(images) is images
    with pytest.raises(ValueError, match="29, 29, 1"):
        evaluate.fashion_mnist_size(np.zeros((1, 29, 29, 1), "float32"))
