"""Tests for kerasgan.data.domains, kerasgan.data.unpaired and UnpairedBatches.

Plain numpy (and one TFDS path through tf.data): backend-independent, so
they run once (docs/testing.md).
"""

import os
import subprocess
import sys
import types

import numpy as np
import pytest

from kerasgan import data
from kerasgan.data import domains
from kerasgan.data import errors
from kerasgan.data import idx

pytestmark = pytest.mark.once

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DEBIAN_FASHION = "/usr/share/datasets/fashion-mnist"


@pytest.fixture(autouse=True)
def _seed():
    """Overrides conftest's Keras seeding: these tests use numpy generators."""
    yield


@pytest.fixture(autouse=True)
def isolated_locations(tmp_path_factory, monkeypatch):
    """Keeps the user's env var and Keras cache out of every test."""
    monkeypatch.delenv(errors.DATA_DIR_ENV, raising=False)
    monkeypatch.setenv("KERAS_HOME", str(tmp_path_factory.mktemp("keras_home")))


def _random_images(shape, seed=0):
    return np.random.default_rng(seed).uniform(-1, 1, shape).astype(np.float32)


def _naive_dilate(x, size):
    """Max over the size x size window (anchor size // 2), inside the image only."""
    n, height, width, channels = x.shape
    out = np.empty_like(x)
    for k in range(n):
        for i in range(height):
            for j in range(width):
                for c in range(channels):
                    top, left = i - size // 2, j - size // 2
                    window = x[
                        k,
                        max(top, 0) : min(top + size, height),
                        max(left, 0) : min(left + size, width),
                        c,
                    ]
                    out[k, i, j, c] = window.max()
    return out


# --- transforms ------------------------------------------------------------------


@pytest.mark.parametrize("size", [1, 2, 3, 4, 5])
@pytest.mark.parametrize("shape", [(3, 5, 6, 2), (2, 1, 4, 1), (2, 7, 2, 3)])
def test_dilate_matches_naive_loop(size, shape):
    x = _random_images(shape, seed=size)
    out = data.dilate(x, size)
    assert out.dtype == np.float32 and out.shape == x.shape
    np.testing.assert_array_equal(out, _naive_dilate(x, size))
    assert data.dilate(x, size) is not x


def test_dilate_blocks_and_dtypes(monkeypatch):
    monkeypatch.setattr(domains, "_CHUNK", 2)  # several blocks, one partial
    x = _random_images((5, 6, 6, 1), seed=3)
    np.testing.assert_array_equal(data.dilate(x.astype(np.float64)), _naive_dilate(x, 3))


def test_dilate_errors():
    x = np.zeros((1, 4, 4, 1), np.float32)
    for size in (0, -1, 2.5, "3", True):
        with pytest.raises(ValueError, match="positive int"):
            data.dilate(x, size)
    with pytest.raises(ValueError, match=r"x\[\.\.\., None\]"):
        data.dilate(np.zeros((2, 4, 4)))


def test_edges_of_hand_made_image():
    x = np.full((1, 5, 5, 1), -1.0, np.float32)
    x[0, 2, 2, 0] = 1.0  # one white pixel
    expected = np.full((5, 5), -1.0, np.float32)
    expected[1:4, 1:4] = 1.0  # the ring around it is fully on ...
    expected[2, 2] = -1.0  # ... the pixel itself is not an edge
    np.testing.assert_array_equal(data.edges(x)[0, ..., 0], expected)
    x[0, 0, 0, 0] = 0.0  # grey (0.5) in the corner: its neighbours become grey
    out = data.edges(x)[0, ..., 0]
    assert out[0, 1] == 0.0 and out[1, 0] == 0.0
    assert out[0, 0] == -1.0 and out[1, 1] == 1.0


def test_edges_on_unit_scale_and_like_uint8_reference():
    x = _random_images((2, 6, 7, 3), seed=4)
    unit = (x + 1) / 2
    expected = 2 * (_naive_dilate(unit, 3) - unit) - 1
    np.testing.assert_allclose(data.edges(x), expected, atol=1e-6)
    # The official code: cv2.dilate(uint8 image, 3x3 ones) - image.
    pixels = np.random.default_rng(5).integers(0, 256, (2, 6, 7, 1), dtype=np.uint8)
    reference = _naive_dilate(pixels, 3) - pixels
    np.testing.assert_allclose(
        data.edges(data.to_unit_range(pixels)), data.to_unit_range(reference), atol=1e-6
    )
    black = np.full((1, 4, 4, 1), -1.0, np.float32)
    np.testing.assert_array_equal(data.edges(black), black)


def test_negative():
    x = _random_images((3, 4, 5, 2), seed=6)
    np.testing.assert_array_equal(data.negative(x), -x)
    np.testing.assert_allclose((data.negative(x) + 1) / 2, 1 - (x + 1) / 2, atol=1e-6)
    np.testing.assert_array_equal(data.negative(data.negative(x)), x)
    assert data.negative(x).dtype == np.float32


def test_transforms_reject_uint8_range():
    with pytest.raises(ValueError, match="to_unit_range"):
        data.edges(np.full((1, 3, 3, 1), 255.0))
    with pytest.raises(ValueError, match="to_unit_range"):
        data.negative(np.full((1, 3, 3, 1), 255.0))


def test_apply_transform():
    x = _random_images((2, 5, 5, 1), seed=7)
    assert set(data.TRANSFORMS) == {"original", "edges", "negative", "dilated"}
    np.testing.assert_array_equal(data.apply_transform("edges", x), data.edges(x))
    np.testing.assert_array_equal(data.apply_transform("Dilated", x), data.dilate(x))
    original = data.apply_transform("original", x)
    np.testing.assert_array_equal(original, x)
    assert original is not x
    np.testing.assert_array_equal(data.apply_transform(lambda v: v * 0, x), 0 * x)
    with pytest.raises(ValueError) as info:
        data.apply_transform("edge", x)
    message = str(info.value)
    assert "'edge'" in message
    for name in ("'dilated'", "'edges'", "'negative'", "'original'"):
        assert name in message


# --- unpaired_domains --------------------------------------------------------------


def test_unpaired_domains_are_disjoint_and_equal():
    x = _random_images((103, 4, 4, 1), seed=8)
    y = np.arange(103) % 10
    (parts, labels, indices) = data.unpaired_domains(
        x, ["original", "edges", "negative"], labels=y, seed=1, return_indices=True
    )
    assert [len(p) for p in parts] == [34, 34, 34]
    assert [len(i) for i in indices] == [34, 34, 34]
    everything = np.concatenate(indices)
    assert len(np.unique(everything)) == 102  # no image in two domains
    assert everything.min() >= 0 and everything.max() < 103
    for index in indices:
        assert np.all(np.diff(index) > 0)  # dataset order kept
    np.testing.assert_array_equal(parts[0], x[indices[0]])
    np.testing.assert_array_equal(parts[1], data.edges(x[indices[1]]))
    np.testing.assert_array_equal(parts[2], -x[indices[2]])
    for label, index in zip(labels, indices):
        np.testing.assert_array_equal(label, y[index])
    # By content too: domain A holds none of the images behind B or C.
    a_rows = {row.tobytes() for row in parts[0]}
    assert not a_rows & {row.tobytes() for row in x[indices[1]]}
    assert not a_rows & {row.tobytes() for row in x[indices[2]]}


def test_unpaired_domains_seeded():
    x = _random_images((20, 3, 3, 1), seed=9)
    a1, b1 = data.unpaired_domains(x, ["original", "negative"], seed=5)
    a2, b2 = data.unpaired_domains(x, ["original", "negative"], seed=5)
    a3, _ = data.unpaired_domains(x, ["original", "negative"], seed=6)
    np.testing.assert_array_equal(a1, a2)
    np.testing.assert_array_equal(b1, b2)
    assert not np.array_equal(a1, a3)
    parts, index = data.unpaired_domains(x, ["original"], return_indices=True)
    assert len(parts) == 1 and len(index[0]) == 20


def test_unpaired_domains_errors():
    x = _random_images((3, 3, 3, 1))
    with pytest.raises(TypeError, match="one transform per domain"):
        data.unpaired_domains(x, "edges")
    with pytest.raises(ValueError, match="empty"):
        data.unpaired_domains(x, [])
    with pytest.raises(ValueError, match="Unknown transform 'blur'"):
        data.unpaired_domains(x, ["original", "blur"])
    with pytest.raises(ValueError, match="Cannot split 3 images into 4"):
        data.unpaired_domains(x, ["original"] * 4)
    with pytest.raises(ValueError, match="2 labels for 3 images"):
        data.unpaired_domains(x, ["original"], labels=[0, 1])


# --- load_domain_task ----------------------------------------------------------------


@pytest.fixture
def fashion_dir(tmp_path):
    """Ten training and six test images in Fashion-MNIST's IDX files."""
    rng = np.random.default_rng(0)
    for prefix, n in (("train", 10), ("t10k", 6)):
        images = rng.integers(0, 256, size=(n, 28, 28), dtype=np.uint8)
        idx.write_idx(tmp_path / f"{prefix}-images-idx3-ubyte.gz", images)
        idx.write_idx(
            tmp_path / f"{prefix}-labels-idx1-ubyte.gz", (np.arange(n) % 10).astype(np.uint8)
        )
    return tmp_path


def _rows(x):
    return [row.tobytes() for row in x]


def test_domain_task_train_is_unpaired(fashion_dir):
    x, y = data.load_fashion_mnist(data_dir=fashion_dir, with_labels=True, download=False)
    (a, b), (ya, yb) = data.load_domain_task(
        "fashion_mnist_edges", data_dir=fashion_dir, with_labels=True, download=False
    )
    assert a.shape == b.shape == (5, 28, 28, 1) and a.dtype == np.float32
    originals, edge_maps = _rows(x), _rows(data.edges(x))
    where_a = [originals.index(row) for row in _rows(a)]
    where_b = [edge_maps.index(row) for row in _rows(b)]
    assert not set(where_a) & set(where_b)  # disjoint halves
    np.testing.assert_array_equal(ya, y[where_a])
    np.testing.assert_array_equal(yb, y[where_b])
    again = data.load("fashion-mnist-edges", data_dir=fashion_dir, download=False)
    np.testing.assert_array_equal(again[0], a)
    other = data.load_domain_task(
        "fashion_mnist_edges", seed=1, data_dir=fashion_dir, download=False
    )
    assert not np.array_equal(other[0], a)


def test_domain_task_test_split_is_paired(fashion_dir):
    x, y = data.load_fashion_mnist("test", data_dir=fashion_dir, with_labels=True)
    doms, labels = data.load_domain_task(
        "fashion_mnist_domains", split="test", with_labels=True, data_dir=fashion_dir
    )
    assert len(doms) == 4 and all(d.shape == (6, 28, 28, 1) for d in doms)
    np.testing.assert_array_equal(doms[0], x)
    np.testing.assert_array_equal(doms[1], data.edges(x))
    np.testing.assert_array_equal(doms[2], -x)
    np.testing.assert_array_equal(doms[3], data.dilate(x))
    for label in labels:
        np.testing.assert_array_equal(label, y)
    a, b = data.load("fashion_mnist_negative", split="test", data_dir=fashion_dir)
    assert data.pixel_agreement(a, b, transform="negative") == 1.0


def test_domain_task_padding(fashion_dir):
    doms = data.load_domain_task(
        "fashion_mnist_domains", split="test", image_size=32, data_dir=fashion_dir
    )
    x = data.load_fashion_mnist("test", data_dir=fashion_dir)
    original, edge, neg, _ = doms
    assert original.shape == (6, 32, 32, 1)
    np.testing.assert_array_equal(original[:, 2:30, 2:30], x)
    border = np.ones((32, 32), bool)
    border[2:30, 2:30] = False
    assert np.all(original[:, border] == -1.0) and np.all(neg[:, border] == 1.0)
    np.testing.assert_array_equal(edge, data.edges(original))  # padded, then transformed
    train = data.load_domain_task(
        "fashion_mnist_edges", image_size=(28, 31), data_dir=fashion_dir
    )
    assert train[0].shape == (5, 28, 31, 1)
    with pytest.raises(ValueError, match="pads, it does not shrink"):
        data.load_domain_task("fashion_mnist_edges", image_size=24, data_dir=fashion_dir)


def test_domain_task_errors(fashion_dir):
    with pytest.raises(data.UnknownDatasetError) as info:
        data.load_domain_task("fashion_mnist_edge")
    for name in data.DOMAIN_TASKS:
        assert name in str(info.value)
    with pytest.raises(ValueError, match="'train' or 'test'"):
        data.load_domain_task("fashion_mnist_edges", split="validation")
    assert "fashion_mnist_domains" in data.BUILTIN_DATASETS


@pytest.mark.skipif(
    not os.path.isfile(os.path.join(DEBIAN_FASHION, "t10k-images-idx3-ubyte.gz")),
    reason="Debian package dataset-fashion-mnist not installed",
)
def test_domain_task_real_fashion_mnist():
    # The test split only: reading the 60,000 training images alone takes seconds.
    a_test, b_test = data.load("fashion_mnist_edges", split="test", download=False)
    assert a_test.shape == b_test.shape == (10000, 28, 28, 1)
    assert b_test.min() == -1.0 and b_test.max() <= 1.0
    assert data.pixel_agreement(a_test, b_test, transform="edges") == 1.0
    on = float(np.mean(b_test > 0))
    assert 0.05 < on < 0.2  # edges are a thin fraction of the image


# --- pixel_agreement --------------------------------------------------------------------


def test_pixel_agreement_hand_made():
    x = np.where(_random_images((4, 6, 6, 1), seed=10) > 0, 1.0, -1.0)
    assert data.pixel_agreement(x, x) == 1.0
    assert data.pixel_agreement(x, -x) == 0.0
    half = x.copy()
    half[:, :3] *= -1  # the top half inverted
    assert data.pixel_agreement(x, half) == 0.5
    np.testing.assert_array_equal(
        data.pixel_agreement(x, np.stack([x[0], -x[1], x[2], half[3]]), reduce=False),
        [1.0, 0.0, 1.0, 0.5],
    )
    grey = np.full((1, 2, 2, 1), 0.2, np.float32)
    assert data.pixel_agreement(grey, -grey) == 0.0
    assert data.pixel_agreement(grey, -grey, threshold=0.5) == 1.0
    assert data.pixel_agreement(grey, grey * 0) == 0.0  # 0 is "off" at threshold 0
    assert isinstance(data.pixel_agreement(x, x), float)


def test_pixel_agreement_with_transform_and_errors():
    x = _random_images((3, 5, 5, 1), seed=11)
    assert data.pixel_agreement(x, data.edges(x), transform="edges") == 1.0
    assert data.pixel_agreement(x, -x, transform="negative") == 1.0
    with pytest.raises(ValueError, match="same shape"):
        data.pixel_agreement(x, x[:2])
    with pytest.raises(ValueError, match="non-empty"):
        data.pixel_agreement(x[:0], x[:0])


# --- folders ------------------------------------------------------------------------------


def _save(path, array):
    from PIL import Image

    Image.fromarray(array).save(path)


@pytest.fixture
def domain_dirs(tmp_path):
    a, b = tmp_path / "trainA", tmp_path / "trainB"
    a.mkdir()
    b.mkdir()
    for i in range(3):
        _save(a / f"{i}.png", np.full((20, 30, 3), 40 * i, np.uint8))
    for i in range(2):
        _save(b / f"{i}.jpg", np.full((16, 16, 3), 255, np.uint8))
    (b / "notes.txt").write_text("ignored")
    return a, b


def test_load_unpaired_folders(domain_dirs):
    dir_a, dir_b = domain_dirs
    assert data.default_load_size(256) == 286 and data.default_load_size(128) == 143
    a, b = data.load_unpaired_folders(dir_a, dir_b, image_size=8)
    assert a.shape == (3, 9, 9, 3) and b.shape == (2, 9, 9, 3)  # round(8 * 286 / 256)
    assert a.dtype == np.float32 and a.min() == -1.0 and b.min() > 0.98
    np.testing.assert_allclose(a[1], 40 / 127.5 - 1, atol=1e-6)
    a, b = data.load_unpaired_folders(str(dir_a), str(dir_b), 8, load_size=8, limit=2)
    assert a.shape == (2, 8, 8, 3) and b.shape == (2, 8, 8, 3)
    grey_a, _ = data.load_unpaired_folders(dir_a, dir_b, image_size=(4, 6), channels=1)
    assert grey_a.shape == (3, 4, 7, 1)  # (round(4.47), round(6.70))
    with pytest.raises(ValueError, match="smaller than image_size"):
        data.load_unpaired_folders(dir_a, dir_b, image_size=8, load_size=6)


def test_load_unpaired_folders_errors(domain_dirs, tmp_path):
    dir_a, dir_b = domain_dirs
    with pytest.raises(data.DatasetNotFoundError) as info:
        data.load_unpaired_folders(dir_a, tmp_path / "missingB")
    message = str(info.value)
    assert "Domain B image folder not found" in message
    assert str(tmp_path / "missingB") in message and "horse2zebra.zip" in message
    assert isinstance(info.value, FileNotFoundError)
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(data.DatasetNotFoundError, match=r"Domain A image folder .*empty has no"):
        data.load_unpaired_folders(empty, dir_b)
    # Same native size, different modes: grey A, RGB B, kept as stored.
    grey = tmp_path / "grey"
    grey.mkdir()
    _save(grey / "g.png", np.zeros((16, 16), np.uint8))
    with pytest.raises(ValueError) as info:
        data.load_unpaired_folders(grey, dir_b, image_size=None, channels=None)
    message = str(info.value)
    assert "(16, 16, 1)" in message and "(16, 16, 3)" in message
    assert "channels=3" in message and str(grey) in message
    a, b = data.load_unpaired_folders(grey, dir_b, image_size=None)  # both RGB
    assert a.shape == (1, 16, 16, 3) and b.shape == (2, 16, 16, 3)
    with pytest.raises(ValueError, match="image_size="):
        data.load_unpaired_folders(dir_a, dir_b, image_size=None)  # 20x30 vs 16x16


def test_random_crop_and_flip():
    x = np.arange(2 * 6 * 7 * 2, dtype=np.float32).reshape(2, 6, 7, 2)
    out = data.random_crop_and_flip(x, 4, np.random.default_rng(0))
    assert out.shape == (2, 4, 4, 2) and out.dtype == np.float32
    np.testing.assert_array_equal(out, data.random_crop_and_flip(x, 4, 0))
    flipped = set()
    for seed in range(20):
        for i, crop in enumerate(data.random_crop_and_flip(x, (3, 5), seed)):
            windows = [
                (flip, x[i, top : top + 3, left : left + 5])
                for top in range(4)
                for left in range(3)
                for flip in (False, True)
            ]
            matches = [
                flip
                for flip, window in windows
                if np.array_equal(crop, window[:, ::-1] if flip else window)
            ]
            assert len(matches) == 1  # exactly one crop position, maybe flipped
            flipped.add(matches[0])
    assert flipped == {False, True}
    plain = data.random_crop_and_flip(x[0], (6, 7), 1, flip=False)
    np.testing.assert_array_equal(plain, x[0])
    with pytest.raises(ValueError, match="larger than the images"):
        data.random_crop_and_flip(x, 7, 0)


# --- TFDS ------------------------------------------------------------------------------------


class _FakeImageFeature:
    pass


def _fake_tfds(monkeypatch, splits=None, error=None):
    """A stand-in `tensorflow_datasets` whose `load` serves `splits` (name -> images)."""
    module = types.ModuleType("tensorflow_datasets")
    module.features = types.SimpleNamespace(Image=_FakeImageFeature)
    module.calls = []

    def load(name, split, data_dir=None, download=True, with_info=False, **kwargs):
        module.calls.append((name, split, download))
        if error is not None:
            raise error
        import tensorflow as tf

        images = splits[split]
        labels = np.zeros(len(images), np.int64)
        ds = tf.data.Dataset.from_tensor_slices({"image": images, "label": labels})
        features = {"image": _FakeImageFeature(), "label": object()}
        return ds, types.SimpleNamespace(features=features)

    module.load = load
    monkeypatch.setitem(sys.modules, "tensorflow_datasets", module)
    return module


def test_load_tfds_cycle_gan_with_fake_tfds(monkeypatch):
    pytest.importorskip("tensorflow")
    splits = {
        "trainA": np.zeros((3, 12, 12, 3), np.uint8),
        "trainB": np.full((2, 12, 12, 3), 255, np.uint8),
        "testA": np.zeros((1, 12, 12, 3), np.uint8),
        "testB": np.full((4, 12, 12, 3), 255, np.uint8),
    }
    module = _fake_tfds(monkeypatch, splits)
    a, b = data.load_tfds_cycle_gan("horse2zebra", image_size=8)
    assert a.shape == (3, 9, 9, 3) and b.shape == (2, 9, 9, 3)
    assert np.all(a == -1.0) and np.allclose(b, 1.0)
    assert module.calls == [
        ("cycle_gan/horse2zebra", "trainA", True),
        ("cycle_gan/horse2zebra", "trainB", True),
    ]
    a, b = data.load_tfds_cycle_gan("horse2zebra", "test", image_size=8, download=False)
    assert a.shape == (1, 8, 8, 3) and b.shape == (4, 8, 8, 3)
    assert module.calls[-1] == ("cycle_gan/horse2zebra", "testB", False)
    a, _ = data.load_tfds_cycle_gan("horse2zebra", image_size=None, limit=2)
    assert a.shape == (2, 12, 12, 3)


def test_load_tfds_cycle_gan_errors(monkeypatch):
    _fake_tfds(monkeypatch, error=AssertionError("Dataset cycle_gan not found in /x"))
    with pytest.raises(data.DatasetNotFoundError) as info:
        data.load_tfds_cycle_gan("horse2zebra", download=False)
    message = str(info.value)
    assert "tfds build cycle_gan/horse2zebra" in message
    assert "https://efrosgans.eecs.berkeley.edu/cyclegan/datasets/horse2zebra.zip" in message
    assert "load_unpaired_folders('DIR/horse2zebra/trainA'" in message
    assert "not one of" not in message
    with pytest.raises(data.DatasetNotFoundError, match="not one of TFDS's cycle_gan names"):
        data.load_tfds_cycle_gan("horse2unicorn")
    with pytest.raises(ValueError, match="'train' or 'test'"):
        data.load_tfds_cycle_gan("horse2zebra", split="trainA")
    monkeypatch.setitem(sys.modules, "tensorflow_datasets", None)
    with pytest.raises(data.MissingDependencyError) as info:
        data.load_tfds_cycle_gan("horse2zebra", split="test")
    message = str(info.value)
    assert "pip install tensorflow-datasets" in message and "horse2zebra/testB" in message


# --- UnpairedBatches -----------------------------------------------------------------------


def _numbered(n, shape=(2, 2, 1)):
    """Images whose every pixel is the image's index."""
    return np.broadcast_to(np.arange(n, dtype=np.float32)[:, None, None, None], (n, *shape)).copy()


def _ids(batch):
    return [int(v) for v in batch[:, 0, 0, 0]]


def _epoch(batches):
    pairs = [batches[i] for i in range(len(batches))]
    return [i for a, _ in pairs for i in _ids(a)], [i for _, b in pairs for i in _ids(b)]


def test_unpaired_batches_coverage_and_determinism():
    a, b = _numbered(12), _numbered(5) + 100
    batches = data.UnpairedBatches(a, b, batch_size=4, seed=3)
    assert len(batches) == 3 and batches.num_batches == 3
    first_a, first_b = _epoch(batches)
    assert sorted(first_a) == list(range(12))  # every A image exactly once
    counts = np.bincount(np.array(first_b) - 100, minlength=5)
    assert sorted(counts) == [2, 2, 2, 3, 3]  # B, the shorter, used as evenly as possible
    same = data.UnpairedBatches(a, b, batch_size=4, seed=3)
    assert _epoch(same) == (first_a, first_b)
    batches.set_epoch(0)
    batches.on_epoch_end()  # Keras's reset before the first epoch: nothing served
    batches.on_epoch_begin()
    batches[0]  # the batch Keras fetches to build a model
    batches.on_epoch_end()
    assert batches.epoch == 0
    batches.on_epoch_begin()
    assert _epoch(batches) == (first_a, first_b)
    batches.on_epoch_end()  # every batch served: the next epoch
    assert batches.epoch == 1
    second = _epoch(batches)
    assert sorted(second[0]) == list(range(12)) and second != (first_a, first_b)
    batches.set_epoch(0)
    assert _epoch(batches) == (first_a, first_b)
    assert _epoch(data.UnpairedBatches(a, b, 4, seed=4)) != (first_a, first_b)
    with pytest.raises(IndexError):
        batches[3]


def test_unpaired_batches_longer_b_and_remainder():
    a, b = _numbered(3), _numbered(14) + 100
    batches = data.UnpairedBatches(a, b, batch_size=4, seed=0)
    assert len(batches) == 3  # 14 // 4
    ids_a, ids_b = _epoch(batches)
    assert len(ids_b) == len(set(ids_b)) == 12  # at most once; 2 left for later epochs
    assert set(ids_a) == {0, 1, 2} and len(ids_a) == 12
    ia, ib = data.unpaired_indices(3, 14, 4, seed=0, epoch=0)
    assert list(ia) == ids_a and [i + 100 for i in ib] == ids_b
    with pytest.raises(ValueError, match="larger than both domains"):
        data.UnpairedBatches(a, b, batch_size=15)
    with pytest.raises(ValueError, match="non-empty"):
        data.UnpairedBatches(a[:0], b, batch_size=1)


def test_unpaired_batches_augment():
    rng = np.random.default_rng(0)
    a, b = rng.uniform(-1, 1, (8, 10, 10, 3)), rng.uniform(-1, 1, (6, 10, 10, 3))
    batches = data.UnpairedBatches(a, b, batch_size=2, seed=1, augment=8)
    late = batches[3]  # asked first: augmentation must not depend on call order
    a0, b0 = batches[0]
    assert a0.shape == b0.shape == (2, 8, 8, 3) and a0.dtype == np.float32
    again = data.UnpairedBatches(a, b, batch_size=2, seed=1, augment=8)
    np.testing.assert_array_equal(again[0][0], a0)
    np.testing.assert_array_equal(again[3][1], late[1])
    seen = []

    def record(batch, rng):
        seen.append(rng.integers(1000))
        return batch * 0

    zeros = data.UnpairedBatches(a, b, batch_size=2, augment=record)
    assert np.all(zeros[1][0] == 0) and len(seen) == 2
    with pytest.raises(TypeError, match="augment must be"):
        data.UnpairedBatches(a, b, batch_size=2, augment="flip")


def test_unpaired_batches_in_fit():
    import keras

    a, b = _numbered(6, (4, 4, 1)) / 6, _numbered(4, (4, 4, 1)) / 4
    model = keras.Sequential(
        [keras.Input((4, 4, 1)), keras.layers.Flatten(), keras.layers.Dense(16),
         keras.layers.Reshape((4, 4, 1))]
    )
    model.compile("sgd", "mse")
    batches = data.UnpairedBatches(a, b, batch_size=2, seed=0)
    history = model.fit(batches, epochs=2, verbose=0)
    assert len(history.history["loss"]) == 2
    assert batches.epoch == 2  # epochs 0 and 1 were served; 2 is next


def test_imports_stay_keras_free():
    """`kerasgan.data` and the new modules import no framework; UnpairedBatches is lazy."""
    code = (
        "import sys, types\n"
        "pkg = types.ModuleType('kerasgan')\n"
        f"pkg.__path__ = [{os.path.join(REPO_ROOT, 'kerasgan')!r}]\n"
        "sys.modules['kerasgan'] = pkg\n"
        "import kerasgan.data, kerasgan.data.domains, kerasgan.data.unpaired\n"
        "frameworks = {'tensorflow', 'tensorflow_datasets', 'keras', 'jax', 'torch'}\n"
        "bad = sorted({m.split('.')[0] for m in sys.modules} & frameworks)\n"
        "assert not bad, bad\n"
        "assert 'UnpairedBatches' in kerasgan.data.__all__\n"
        "try:\n"
        "    kerasgan.data.NoSuchThing\n"
        "except AttributeError as e:\n"
        "    assert 'NoSuchThing' in str(e)\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, cwd=REPO_ROOT)
