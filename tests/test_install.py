"""kerasgan as users install it: a wheel built from the repository, used from elsewhere.

The wheel must carry the zoo (registry, cards, samples, weights) and the
shipped commands, and, installed into a folder of its own and imported from
a directory outside the repository with no kerasgan environment variables,
load every zoo entry and run the CLI's zoo, sample, eval and
convert-inception-weights commands offline. Packaging is backend-independent:
run once (scripts/test.sh), under the backend of that invocation.
"""

import json
import os
import shutil
import subprocess
import sys
import zipfile

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

pytestmark = [pytest.mark.once, pytest.mark.slow]

PYPI_FILE_LIMIT = 100 * 1000 * 1000  # bytes (PyPI's default upload limit per file)

USER_SCRIPT = r"""
import json, os, sys
import numpy as np
import kerasgan
from kerasgan import cli, zoo

site = sys.argv[1]
assert kerasgan.__file__.startswith(site), kerasgan.__file__  # the installed copy, not the checkout
report = {"zoo_dir": zoo.zoo_dir(), "entries": {}}
for name in zoo.names():
    entry = zoo.entry(name)
    if not zoo.published(name):  # registered before its weights exist: a clear error
        try:
            zoo.load(name)
        except zoo.WeightsNotPublishedError as error:
            report["entries"][name] = str(error)
    elif "class" in entry:
        model = zoo.load(name)
        if entry["class"] in ("CycleGAN", "StarGAN"):  # translators: made images into the other domain
            images = np.tanh(np.random.default_rng(0).standard_normal((4, *model.image_shape))).astype("float32")
            samples = model.translate(images, "a_to_b" if entry["class"] == "CycleGAN" else 1)
        else:  # conditional models get a class per sample; CoGAN returns pairs
            by_class = getattr(model, "generates_by_class", False)
            samples = model.generate(16, seed=0, **({"labels": np.arange(16) % model.num_classes} if by_class else {}))
        samples = np.asarray(samples)
        assert np.isfinite(samples).all() and -1.0 <= samples.min() and samples.max() <= 1.0
        report["entries"][name] = float(samples.std())
    else:
        extractor = kerasgan.extractors.get("fashion_mnist")
        features = extractor.features(np.zeros((2, 28, 28, 1), "float32"))
        report["entries"][name] = list(features.shape)
codes = {
    "zoo list": cli.main(["zoo", "list"]),
    "zoo info": cli.main(["zoo", "info", "dcgan_fashion_mnist"]),
    "sample": cli.main(["sample", "dcgan_fashion_mnist", "--num", "16", "--out", "samples.png"]),
    "sample unpublished": cli.main(["sample", "dcgan_celeba", "--num", "16", "--out", "faces.png"]),
    "convert missing": cli.main(["convert-inception-weights", "missing.pth"]),
}
if os.environ.get("KERASGAN_TEST_EVAL") == "1":
    codes["eval"] = cli.main(["eval", "dcgan_fashion_mnist", "--metrics", "fid", "--num-samples", "200",
                              "--json", "eval.json"])
report["codes"] = codes
report["samples_png"] = os.path.getsize("samples.png")
print("REPORT " + json.dumps(report))
"""


def _checkout_copy(destination):
    """The repository's files (tracked, or untracked and not ignored), without build/ leftovers."""
    listed = subprocess.run(["git", "ls-files", "--cached", "--others", "--exclude-standard", "-z"],
                            cwd=ROOT, capture_output=True, text=True)
    if listed.returncode != 0:
        pytest.skip("not a git checkout: cannot tell the repository's files from build leftovers")
    for name in filter(None, listed.stdout.split("\0")):
        source = os.path.join(ROOT, name)
        if os.path.isfile(source):
            os.makedirs(os.path.dirname(os.path.join(destination, name)), exist_ok=True)
            shutil.copy2(source, os.path.join(destination, name))
    return destination


def test_wheel_carries_the_zoo_and_works_outside_the_repository(tmp_path):
    dist = tmp_path / "dist"
    source = _checkout_copy(str(tmp_path / "source"))
    build = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w", str(dist), source],
        capture_output=True, text=True, timeout=600,
    )
    assert build.returncode == 0, build.stderr[-3000:]
    (wheel,) = dist.glob("kerasgan-*.whl")
    # PyPI refuses files over 100 MB unless the project is granted more: past
    # that, an entry's weights must move to a `url` (see kerasgan.zoo).
    assert wheel.stat().st_size < PYPI_FILE_LIMIT, (
        f"the wheel is {wheel.stat().st_size / 1e6:.1f} MB, over PyPI's {PYPI_FILE_LIMIT / 1e6:.0f} MB limit")
    names = set(zipfile.ZipFile(wheel).namelist())
    registry = json.loads((zipfile.ZipFile(wheel).read("kerasgan/zoo/registry.json")))
    assert "dcgan_fashion_mnist" in registry and "fashion_mnist_classifier" in registry
    for name, entry in registry.items():
        for key in ("weights", "card", "samples"):
            if entry.get(key):
                assert f"kerasgan/zoo/{entry[key]}" in names, (name, key)
    assert "kerasgan/extractors/convert_fid_inception_weights.py" in names
    assert not any(n.startswith(("tests/", "scripts/", "benchmarks/", "zoo/")) for n in names)

    site = tmp_path / "site"
    install = subprocess.run(
        [sys.executable, "-m", "pip", "install", "--no-deps", "--no-index", "-q", "--target", str(site), str(wheel)],
        capture_output=True, text=True, timeout=600,
    )
    assert install.returncode == 0, install.stderr[-3000:]
    user = tmp_path / "user"  # a working directory outside the repository
    user.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith("KERASGAN_")}
    env["PYTHONPATH"] = str(site)
    env["KERAS_HOME"] = str(tmp_path / "keras_home")
    fashion_mnist = os.path.exists("/usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz")
    env["KERASGAN_TEST_EVAL"] = "1" if fashion_mnist else "0"
    run = subprocess.run(
        [sys.executable, "-c", USER_SCRIPT, str(site)], cwd=user, env=env,
        capture_output=True, text=True, timeout=600,
    )
    assert run.returncode == 0, run.stderr[-4000:]
    (line,) = [line for line in run.stdout.splitlines() if line.startswith("REPORT ")]
    report = json.loads(line[len("REPORT "):])
    assert report["zoo_dir"].startswith(str(site))
    assert set(report["entries"]) == set(registry)
    assert report["entries"]["dcgan_fashion_mnist"] > 0.1  # varied samples
    rows, width = report["entries"]["fashion_mnist_classifier"]  # features of 2 images
    assert rows == 2 and width > 0
    codes = report["codes"]
    assert codes["zoo list"] == 0 and codes["zoo info"] == 0 and codes["sample"] == 0
    assert codes["convert missing"] == 2  # a clear error, no traceback
    # dcgan_celeba is registered before its weights exist: the error gives the command.
    assert "scripts/train_zoo_dcgan_celeba.sh" in report["entries"]["dcgan_celeba"]
    assert codes["sample unpublished"] == 2 and "scripts/train_zoo_dcgan_celeba.sh" in run.stderr
    assert "Traceback" not in run.stderr
    assert report["samples_png"] > 0
    if fashion_mnist:
        assert codes["eval"] == 0 and json.loads((user / "eval.json").read_text())
    assert "dcgan_fashion_mnist" in run.stdout  # zoo list printed it
