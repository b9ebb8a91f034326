"""Tests for kerasgan.data (run under every KERAS_BACKEND)."""

import gzip
import os
import pickle
import struct
import subprocess
import sys
import types

import numpy as np
import pytest

from kerasgan import data
from kerasgan.data import errors
from kerasgan.data import fashion_mnist
from kerasgan.data import idx
from kerasgan.data import tfds as tfds_module

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DEBIAN_FASHION = "/usr/share/datasets/fashion-mnist"


@pytest.fixture(autouse=True)
def _seed_and_clear():
    """Overrides conftest's per-test `clear_session()`: these tests build no
    Keras models, and the garbage collection it triggers costs ~0.5 s per
    test under the torch backend."""
    yield


@pytest.fixture(autouse=True)
def isolated_locations(tmp_path_factory, monkeypatch):
    """Keeps the user's env var and Keras cache out of every test."""
    monkeypatch.delenv(errors.DATA_DIR_ENV, raising=False)
    monkeypatch.setenv("KERAS_HOME", str(tmp_path_factory.mktemp("keras_home")))


@pytest.fixture
def no_tfds(monkeypatch):
    """Makes `import tensorflow_datasets` fail, installed or not."""
    monkeypatch.setitem(sys.modules, "tensorflow_datasets", None)


def _raw_idx(type_code, shape, payload):
    header = bytes([0, 0, type_code, len(shape)]) + struct.pack(
        f">{len(shape)}I", *shape
    )
    return header + payload


def _write_fashion_files(directory, n_train=6, n_test=4, prefix_dir=None):
    directory = directory if prefix_dir is None else directory / prefix_dir
    directory.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(0)
    arrays = {}
    for prefix, n in (("train", n_train), ("t10k", n_test)):
        images = rng.integers(0, 256, size=(n, 28, 28), dtype=np.uint8)
        images[0, 0, 0], images[0, 0, 1] = 0, 255
        labels = (np.arange(n) % 10).astype(np.uint8)
        idx.write_idx(directory / f"{prefix}-images-idx3-ubyte.gz", images)
        idx.write_idx(directory / f"{prefix}-labels-idx1-ubyte.gz", labels)
        arrays[prefix] = (images, labels)
    return arrays


# --- IDX ---------------------------------------------------------------------


@pytest.mark.parametrize("compressed", [True, False])
def test_read_idx_hand_written_file(tmp_path, compressed):
    images = np.arange(2 * 3 * 4, dtype=np.uint8).reshape(2, 3, 4)
    raw = _raw_idx(0x08, images.shape, images.tobytes())
    path = tmp_path / ("x.gz" if compressed else "x")
    path.write_bytes(gzip.compress(raw) if compressed else raw)
    out = data.read_idx(path, expected_ndim=3)
    assert out.dtype == np.uint8
    np.testing.assert_array_equal(out, images)
    out[0, 0, 0] = 7  # writable


def test_read_idx_big_endian_types(tmp_path):
    values = np.array([[-2, 300], [7, -40000]], dtype=np.int32)
    path = tmp_path / "x"
    path.write_bytes(_raw_idx(0x0C, values.shape, values.astype(">i4").tobytes()))
    np.testing.assert_array_equal(data.read_idx(path), values)


@pytest.mark.parametrize(
    "dtype", ["uint8", "int8", "int16", "int32", "float32", "float64"]
)
def test_write_read_idx_round_trip(tmp_path, dtype):
    array = (np.arange(24).reshape(2, 3, 4) - 5).astype(dtype)
    if dtype == "uint8":
        array = np.arange(24, dtype=dtype).reshape(2, 3, 4)
    data.write_idx(tmp_path / "a.gz", array)
    out = data.read_idx(tmp_path / "a.gz")
    assert out.dtype == np.dtype(dtype)
    np.testing.assert_array_equal(out, array)


def test_read_idx_bad_magic(tmp_path):
    path = tmp_path / "bad-idx3-ubyte"
    path.write_bytes(b"\x12\x34\x08\x03" + b"\x00" * 20)
    with pytest.raises(data.IDXFormatError, match=r"bad IDX magic number 0x12340803"):
        data.read_idx(path)


def test_read_idx_not_idx_at_all(tmp_path):
    path = tmp_path / "notes.txt"
    path.write_text("hello world, not an IDX file")
    with pytest.raises(data.IDXFormatError, match="magic number"):
        data.read_idx(path)


def test_read_idx_truncated_and_trailing(tmp_path):
    path = tmp_path / "x"
    path.write_bytes(_raw_idx(0x08, (2, 3), b"\x00" * 5))
    with pytest.raises(data.IDXFormatError, match=r"truncated.*\(2, 3\)"):
        data.read_idx(path)
    path.write_bytes(_raw_idx(0x08, (2, 3), b"\x00" * 7))
    with pytest.raises(data.IDXFormatError, match="trailing"):
        data.read_idx(path)
    path.write_bytes(b"\x00\x00\x08\x03\x00")
    with pytest.raises(data.IDXFormatError, match="header"):
        data.read_idx(path)


def test_read_idx_wrong_ndim_and_bad_gzip(tmp_path):
    data.write_idx(tmp_path / "labels", np.zeros(5, np.uint8))
    with pytest.raises(data.IDXFormatError, match="expected an IDX file with 3"):
        data.read_idx(tmp_path / "labels", expected_ndim=3)
    (tmp_path / "broken.gz").write_bytes(b"\x1f\x8b" + b"garbage" * 4)
    with pytest.raises(data.IDXFormatError, match="corrupt gzip"):
        data.read_idx(tmp_path / "broken.gz")


def test_read_idx_images_label_count_mismatch(tmp_path):
    data.write_idx(tmp_path / "i", np.zeros((3, 28, 28), np.uint8))
    data.write_idx(tmp_path / "l", np.zeros(2, np.uint8))
    with pytest.raises(data.IDXFormatError, match="2 labels for 3 images"):
        data.read_idx_images(tmp_path / "i", tmp_path / "l")
    with pytest.raises(
        data.IDXFormatError, match=r"expected images of shape \(32, 32\)"
    ):
        data.read_idx_images(tmp_path / "i", image_shape=(32, 32))


# --- Fashion-MNIST ---------------------------------------------------------------


def test_fashion_mnist_from_data_dir(tmp_path):
    arrays = _write_fashion_files(tmp_path)
    x, y = data.load_fashion_mnist("train", data_dir=tmp_path, with_labels=True)
    assert x.shape == (6, 28, 28, 1) and x.dtype == np.float32
    assert y.shape == (6,) and y.dtype == np.int64
    assert x.min() == -1.0 and x.max() == 1.0
    assert x[0, 0, 0, 0] == -1.0 and x[0, 0, 1, 0] == 1.0
    np.testing.assert_allclose(x[..., 0], arrays["train"][0] / 127.5 - 1, atol=1e-6)
    np.testing.assert_array_equal(y, arrays["train"][1])
    x_test = data.load_fashion_mnist("test", data_dir=str(tmp_path))
    assert x_test.shape == (4, 28, 28, 1)


def test_fashion_mnist_from_env_subdir(tmp_path, monkeypatch):
    _write_fashion_files(tmp_path, prefix_dir="fashion-mnist")
    monkeypatch.setenv(errors.DATA_DIR_ENV, str(tmp_path))
    x, y = data.load("fashion_mnist", split="test", with_labels=True, download=False)
    assert x.shape == (4, 28, 28, 1) and y.shape == (4,)


def test_fashion_mnist_plain_uncompressed_files(tmp_path):
    images = np.full((2, 28, 28), 255, np.uint8)
    data.write_idx(tmp_path / "t10k-images-idx3-ubyte", images)
    x = data.load_fashion_mnist("test", data_dir=tmp_path, download=False)
    assert x.shape == (2, 28, 28, 1) and np.all(x == 1.0)


def test_fashion_mnist_bad_split():
    with pytest.raises(ValueError, match="'train' or 'test'"):
        data.load_fashion_mnist("validation")


def test_fashion_mnist_classes():
    assert len(data.FASHION_MNIST_CLASSES) == 10
    assert data.FASHION_MNIST_CLASSES[0] == "T-shirt/top"
    assert data.FASHION_MNIST_CLASSES[9] == "Ankle boot"


@pytest.mark.skipif(
    not os.path.isfile(os.path.join(DEBIAN_FASHION, "t10k-images-idx3-ubyte.gz")),
    reason="Debian package dataset-fashion-mnist not installed",
)
def test_fashion_mnist_real_debian_files():
    x = data.load_fashion_mnist("train", download=False)
    assert x.shape == (60000, 28, 28, 1) and x.dtype == np.float32
    assert x.min() == -1.0 and x.max() == 1.0
    x, y = data.load_fashion_mnist("test", with_labels=True, download=False)
    assert x.shape == (10000, 28, 28, 1)
    assert y.shape == (10000,) and y.dtype == np.int64
    np.testing.assert_array_equal(np.bincount(y), np.full(10, 1000))


@pytest.fixture
def nowhere(tmp_path, monkeypatch):
    """Points every Fashion-MNIST location at empty directories."""
    places = {k: tmp_path / k for k in ("arg", "env", "debian")}
    for p in places.values():
        p.mkdir()
    monkeypatch.setenv(errors.DATA_DIR_ENV, str(places["env"]))
    monkeypatch.setattr(fashion_mnist, "DEBIAN_DIR", str(places["debian"]))
    return places


def test_fashion_mnist_missing_error(nowhere, no_tfds):
    with pytest.raises(data.DatasetNotFoundError) as info:
        data.load_fashion_mnist(data_dir=nowhere["arg"], download=False)
    assert isinstance(info.value, FileNotFoundError)
    message = str(info.value)
    assert "apt-get install -y dataset-fashion-mnist" in message
    assert "export KERASGAN_DATA_DIR=DIR" in message
    assert "pip install tensorflow-datasets" in message
    for place in nowhere.values():
        assert str(place) in message
    assert (
        os.path.join(os.environ["KERAS_HOME"], "datasets", "fashion-mnist") in message
    )
    assert "download=False" in message
    assert "tensorflow_datasets is not installed" in message
    assert len(info.value.searched) >= 5


def test_fashion_mnist_download_failure_is_reported(nowhere, no_tfds, monkeypatch):
    origins = []

    def offline(fname, origin, **kwargs):
        origins.append(origin)
        raise Exception(
            f"URL fetch failure on {origin}: None -- Name or service not known"
        )

    monkeypatch.setattr(errors, "download", offline)
    with pytest.raises(data.DatasetNotFoundError, match="Name or service not known"):
        data.load_fashion_mnist()
    assert origins == [fashion_mnist.DOWNLOAD_BASE_URL + "train-images-idx3-ubyte.gz"]


def test_fashion_mnist_uses_download(nowhere, tmp_path, monkeypatch):
    _write_fashion_files(tmp_path / "fetched")
    monkeypatch.setattr(
        errors,
        "download",
        lambda fname, origin, **kw: str(tmp_path / "fetched" / fname),
    )
    x, y = data.load_fashion_mnist("test", with_labels=True)
    assert x.shape == (4, 28, 28, 1) and y.shape == (4,)


# --- digits --------------------------------------------------------------------


def test_digits():
    pytest.importorskip("sklearn")
    x, y = data.load_digits(with_labels=True)
    assert x.shape == (1797, 8, 8, 1) and x.dtype == np.float32
    assert x.min() == -1.0 and x.max() == 1.0
    assert y.dtype == np.int64 and set(np.unique(y)) == set(range(10))
    big = data.load("digits", image_size=16)
    assert big.shape == (1797, 16, 16, 1)
    assert big.min() >= -1.0 and big.max() <= 1.0


def test_digits_without_sklearn(monkeypatch):
    monkeypatch.setitem(sys.modules, "sklearn.datasets", None)
    with pytest.raises(ImportError, match="pip install scikit-learn"):
        data.load_digits()


# --- toy mixtures --------------------------------------------------------------


@pytest.mark.parametrize(
    "sampler, n_modes, std",
    [(data.ring_of_gaussians, 8, 0.02), (data.grid_of_gaussians, 25, 0.05)],
)
def test_toy_mixture_statistics(sampler, n_modes, std):
    x, modes = sampler(10000, seed=1, return_modes=True)
    assert x.shape == (10000, 2) and x.dtype == np.float32
    assert modes.shape == (n_modes, 2)
    nearest, distance = data.nearest_mode(x, modes)
    assert np.all(distance < 6 * std)
    assert set(np.unique(nearest)) == set(range(n_modes))
    for k in range(n_modes):
        members = x[nearest == k]
        tolerance = 5 * std / np.sqrt(len(members))
        np.testing.assert_allclose(members.mean(axis=0), modes[k], atol=tolerance)
        np.testing.assert_allclose(members.std(axis=0), std, rtol=0.2)


def test_toy_modes():
    ring = data.ring_modes()
    assert ring.shape == (8, 2)
    np.testing.assert_allclose(np.linalg.norm(ring, axis=1), 2.0, rtol=1e-6)
    np.testing.assert_allclose(ring[0], [2.0, 0.0], atol=1e-6)
    grid = data.grid_modes()
    assert grid.shape == (25, 2)
    expected = {(a, b) for a in (-4, -2, 0, 2, 4) for b in (-4, -2, 0, 2, 4)}
    assert {tuple(int(v) for v in row) for row in grid} == expected
    assert data.ring_modes(num_modes=3, radius=1.0).shape == (3, 2)


def test_toy_reproducible():
    np.testing.assert_array_equal(
        data.ring_of_gaussians(100, seed=3), data.ring_of_gaussians(100, seed=3)
    )
    assert not np.array_equal(
        data.grid_of_gaussians(100, seed=3), data.grid_of_gaussians(100, seed=4)
    )
    np.testing.assert_array_equal(
        data.load("ring", n=50, seed=0), data.ring_of_gaussians(50, seed=0)
    )
    np.testing.assert_array_equal(
        data.load("grid", n=50, seed=0), data.grid_of_gaussians(50, seed=0)
    )


def test_gaussian_1d():
    x = data.gaussian_1d(20000, mean=4.0, std=0.5, seed=0)
    assert x.shape == (20000, 1) and x.dtype == np.float32
    assert abs(x.mean() - 4.0) < 0.02 and abs(x.std() - 0.5) < 0.02
    np.testing.assert_array_equal(x, data.gaussian_1d(20000, 4.0, 0.5, 0))


# --- MNIST / CIFAR-10 / CelebA from local files -----------------------------------


def test_mnist_from_idx_files(tmp_path):
    folder = tmp_path / "mnist"
    folder.mkdir()
    images = np.zeros((3, 28, 28), np.uint8)
    images[:, 0, 0] = 255
    data.write_idx(folder / "t10k-images-idx3-ubyte.gz", images)
    data.write_idx(folder / "t10k-labels-idx1-ubyte.gz", np.array([7, 2, 1], np.uint8))
    x, y = data.load_mnist("test", data_dir=tmp_path, with_labels=True, download=False)
    assert x.shape == (3, 28, 28, 1) and x.dtype == np.float32
    assert x[0, 0, 0, 0] == 1.0 and x[0, 1, 1, 0] == -1.0
    np.testing.assert_array_equal(y, [7, 2, 1])


def test_mnist_from_keras_npz(monkeypatch, tmp_path):
    cache = tmp_path / "keras" / "datasets"
    cache.mkdir(parents=True)
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras"))
    np.savez(
        cache / "mnist.npz",
        x_train=np.full((5, 28, 28), 255, np.uint8),
        y_train=np.arange(5, dtype=np.uint8),
        x_test=np.zeros((2, 28, 28), np.uint8),
        y_test=np.array([3, 4], np.uint8),
    )
    x, y = data.load("mnist", with_labels=True, download=False)
    assert x.shape == (5, 28, 28, 1) and np.all(x == 1.0)
    assert y.dtype == np.int64
    assert np.all(data.load_mnist("test", download=False) == -1.0)


def test_mnist_missing_error(tmp_path, no_tfds):
    with pytest.raises(data.DatasetNotFoundError) as info:
        data.load_mnist(data_dir=tmp_path, download=False)
    message = str(info.value)
    assert str(tmp_path) in message and "mnist.npz" in message
    assert (
        "pip install tensorflow-datasets" in message and "tfds build mnist" in message
    )


def _write_cifar_batch(path, n, label_offset=0):
    planes = np.zeros((n, 3, 32, 32), np.uint8)
    planes[:, 0] = 255  # red
    planes[:, 2] = 128  # blue
    batch = {
        b"batch_label": b"synthetic",
        b"labels": [(i + label_offset) % 10 for i in range(n)],
        b"data": planes.reshape(n, 3072),
        b"filenames": [b"x.png"] * n,
    }
    with open(path, "wb") as f:
        pickle.dump(batch, f, protocol=4)


def test_cifar10_from_pickle_batches(tmp_path):
    folder = tmp_path / "cifar-10-batches-py"
    folder.mkdir()
    for i in range(1, 6):
        _write_cifar_batch(folder / f"data_batch_{i}", 2, label_offset=i)
    _write_cifar_batch(folder / "test_batch", 3)
    x, y = data.load_cifar10(data_dir=tmp_path, with_labels=True, download=False)
    assert x.shape == (10, 32, 32, 3) and x.dtype == np.float32
    assert y.shape == (10,) and y.dtype == np.int64
    assert np.all(x[..., 0] == 1.0) and np.all(x[..., 1] == -1.0)
    np.testing.assert_allclose(x[..., 2], 128 / 127.5 - 1, atol=1e-6)
    np.testing.assert_array_equal(y[:2], [1, 2])
    assert data.load(
        "cifar10", split="test", data_dir=folder, download=False
    ).shape == (3, 32, 32, 3)


def test_cifar_batch_refuses_code(tmp_path):
    path = tmp_path / "evil"
    with open(path, "wb") as f:
        pickle.dump({"data": os.getcwd}, f)
    with pytest.raises(pickle.UnpicklingError, match="refusing"):
        data.read_cifar_batch(path)


def test_cifar10_missing_error(tmp_path, no_tfds):
    with pytest.raises(data.DatasetNotFoundError, match="cifar-10-batches-py"):
        data.load_cifar10(data_dir=tmp_path, download=False)


def _save_image(path, array):
    from PIL import Image

    Image.fromarray(array).save(path)


def test_load_image_folder(tmp_path):
    stripes = np.zeros((10, 30, 3), np.uint8)  # height 10, width 30
    stripes[:, :10, 0] = 255
    stripes[:, 10:20, 1] = 255
    stripes[:, 20:, 2] = 255
    _save_image(tmp_path / "a.png", stripes)
    _save_image(tmp_path / "b.png", np.full((12, 12, 3), 255, np.uint8))
    (tmp_path / "notes.txt").write_text("ignored")
    x = data.load_image_folder(tmp_path, image_size=8)
    assert x.shape == (2, 8, 8, 3) and x.dtype == np.float32
    assert x.min() >= -1.0 and x.max() <= 1.0
    np.testing.assert_allclose(x[0, ..., 1], 1.0, atol=0.02)  # central green stripe
    np.testing.assert_allclose(x[0, ..., 0], -1.0, atol=0.02)
    assert np.all(x[1] == 1.0)
    gray = data.load_image_folder(tmp_path, image_size=(4, 6), channels=1, limit=1)
    assert gray.shape == (1, 4, 6, 1)
    with pytest.raises(ValueError, match="different sizes"):
        data.load_image_folder(tmp_path)


def test_load_image_folder_errors(tmp_path):
    with pytest.raises(FileNotFoundError, match="not found"):
        data.load_image_folder(tmp_path / "missing")
    with pytest.raises(FileNotFoundError, match="No .png/.jpg/.jpeg images"):
        data.load_image_folder(tmp_path)


def test_celeba_from_local_folder(tmp_path):
    folder = tmp_path / "img_align_celeba"
    folder.mkdir()
    rng = np.random.default_rng(0)
    for i in range(1, 5):
        _save_image(
            folder / f"{i:06d}.jpg", rng.integers(0, 256, (22, 18, 3), dtype=np.uint8)
        )
    (tmp_path / "list_eval_partition.txt").write_text(
        "000001.jpg 0\n000002.jpg 0\n000003.jpg 1\n000004.jpg 2\n"
    )
    x = data.load("celeba", image_size=8, data_dir=tmp_path, download=False)
    assert x.shape == (4, 8, 8, 3) and x.dtype == np.float32
    assert x.min() >= -1.0 and x.max() <= 1.0
    train = data.load_celeba(
        image_size=8, split="train", data_dir=tmp_path, download=False
    )
    assert train.shape == (2, 8, 8, 3)
    assert data.load_celeba(16, data_dir=folder, download=False, limit=3).shape == (
        3,
        16,
        16,
        3,
    )


def test_celeba_missing_error(tmp_path, no_tfds):
    with pytest.raises(data.DatasetNotFoundError) as info:
        data.load_celeba(data_dir=tmp_path, download=False)
    message = str(info.value)
    assert "img_align_celeba" in message and "tfds build celeb_a" in message


# --- image helpers -----------------------------------------------------------------


def test_unit_range_conversions():
    x = data.to_unit_range(np.array([0, 255, 128], np.uint8))
    assert x.dtype == np.float32
    assert x[0] == -1.0 and x[1] == 1.0
    np.testing.assert_array_equal(data.from_unit_range(x), [0, 255, 128])
    np.testing.assert_array_equal(data.from_unit_range(np.array([-3.0, 5.0])), [0, 255])
    with pytest.raises(ValueError, match=r"\[0, 255\]"):
        data.to_unit_range(np.array([-1.0, 300.0]))


def test_check_images_shape_errors():
    x = np.zeros((4, 32, 32, 3), np.float32)
    assert data.check_images(x, expected_shape=(32, 32, 3)) is x
    with pytest.raises(ValueError) as info:
        data.check_images(x, expected_shape=(28, 28, 1))
    assert str(info.value) == (
        "expected images of shape (28, 28, 1) in [-1, 1]; got shape (32, 32, 3)"
    )
    with pytest.raises(ValueError, match=r"x\[\.\.\., None\]"):
        data.check_images(np.zeros((4, 28, 28)), expected_shape=(28, 28, 1))
    with pytest.raises(ValueError, match="channels-first"):
        data.check_images(np.zeros((4, 1, 28, 28)), expected_shape=(28, 28, 1))
    data.check_images(x, expected_shape=(None, 32, 32, 3))


def test_check_images_value_errors():
    x = np.zeros((2, 4, 4, 1), np.float32)
    x[0, 0, 0, 0], x[1, 1, 1, 0] = -3.1, 250.0
    with pytest.raises(ValueError) as info:
        data.check_images(x)
    assert str(info.value) == (
        "values outside [-1, 1]: min -3.1, max 250.0; "
        "scale uint8 images with kerasgan.data.to_unit_range(x)"
    )
    x[0, 0, 0, 0] = np.nan
    with pytest.raises(ValueError, match="images contain NaN: 1 of 32 values"):
        data.check_images(x)
    data.check_images(np.full((1, 2, 2, 1), 1.0 + 1e-7))
    data.check_images(np.full((1, 2, 2, 1), 5.0), value_range=None)
    with pytest.raises(ValueError, match=r"values outside \[0, 1\]"):
        data.check_images(np.full((1, 2, 2, 1), -0.5), value_range=(0, 1))


def test_check_images_backend_tensor():
    from keras import ops

    x = data.check_images(ops.zeros((2, 4, 4, 1)), expected_shape=(4, 4, 1))
    assert isinstance(x, np.ndarray) and x.shape == (2, 4, 4, 1)


# --- load() and TFDS ----------------------------------------------------------------


def test_load_unknown_name_without_tfds(no_tfds):
    with pytest.raises(data.UnknownDatasetError) as info:
        data.load("fashion_mnsit")
    message = str(info.value)
    for name in (
        "fashion_mnist",
        "digits",
        "ring",
        "grid",
        "mnist",
        "cifar10",
        "celeb_a",
    ):
        assert name in message
    assert "pip install tensorflow-datasets" in message


def test_tfds_not_installed_error(no_tfds):
    with pytest.raises(ImportError, match="pip install tensorflow-datasets"):
        data.load_tfds_images("mnist")


def test_import_does_not_load_tensorflow():
    """`kerasgan.data` itself must import neither TensorFlow nor Keras."""
    code = (
        "import sys, types\n"
        "pkg = types.ModuleType('kerasgan')\n"
        f"pkg.__path__ = [{os.path.join(REPO_ROOT, 'kerasgan')!r}]\n"
        "sys.modules['kerasgan'] = pkg\n"
        "import kerasgan.data\n"
        "bad = sorted({m.split('.')[0] for m in sys.modules} & "
        "{'tensorflow', 'tensorflow_datasets', 'keras', 'jax', 'torch'})\n"
        "assert not bad, bad\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, cwd=REPO_ROOT)


class _FakeImageFeature:
    pass


class DatasetNotFoundError(ValueError):
    """Same name as TFDS's error for unknown dataset names."""


def _fake_tfds(monkeypatch, images=None, labels=None, error=None, image_key="img"):
    module = types.ModuleType("tensorflow_datasets")
    module.features = types.SimpleNamespace(Image=_FakeImageFeature)
    module.calls = []

    def load(name, split, data_dir=None, download=True, with_info=False, **kwargs):
        module.calls.append(
            dict(name=name, split=split, data_dir=data_dir, download=download)
        )
        if error is not None:
            raise error
        import tensorflow as tf

        ds = tf.data.Dataset.from_tensor_slices({image_key: images, "label": labels})
        features = {image_key: _FakeImageFeature(), "label": object()}
        return ds, types.SimpleNamespace(features=features)

    module.load = load
    monkeypatch.setitem(sys.modules, "tensorflow_datasets", module)
    return module


@pytest.fixture
def fake_images():
    images = np.zeros((5, 6, 10, 3), np.uint8)
    images[:, :, 3:7] = 255  # central columns white, edges black
    return images, np.arange(5, dtype=np.int64)


def test_load_tfds_images_with_fake_tfds(monkeypatch, fake_images):
    pytest.importorskip("tensorflow")
    images, labels = fake_images
    module = _fake_tfds(monkeypatch, images, labels)
    x, y = data.load_tfds_images("fake", split="test", with_labels=True, batch_size=2)
    assert x.shape == (5, 6, 10, 3) and x.dtype == np.float32
    assert x.min() == -1.0 and x.max() == 1.0
    np.testing.assert_array_equal(y, labels)
    assert module.calls[-1]["split"] == "test"

    small = data.load_tfds_images("fake", image_size=4, limit=3)
    assert small.shape == (3, 4, 4, 3)
    assert small.min() >= -1.0 and small.max() <= 1.0
    np.testing.assert_allclose(small[:, :, 1:3], 1.0, atol=1e-5)  # centre crop kept

    ds = data.load_tfds_images("fake", as_numpy=False, batch_size=2, with_labels=True)
    first_images, first_labels = next(iter(ds))
    assert tuple(first_images.shape) == (2, 6, 10, 3)
    assert list(np.asarray(first_labels)) == [0, 1]


def test_tfds_failures_with_fake_tfds(monkeypatch):
    _fake_tfds(
        monkeypatch,
        error=AssertionError("Dataset fake not found in /x; download=False"),
    )
    with pytest.raises(data.DatasetNotFoundError) as info:
        data.load_tfds_images("fake", download=False)
    message = str(info.value)
    assert "tfds build fake --data_dir DIR" in message
    assert "Dataset fake not found in /x" in message

    _fake_tfds(monkeypatch, error=DatasetNotFoundError("Dataset nosuch not found."))
    with pytest.raises(data.UnknownDatasetError) as info:
        data.load("nosuch")
    assert "fashion_mnist" in str(info.value) and "nosuch" in str(info.value)


def test_tfds_fallback_is_used(tmp_path, monkeypatch, fake_images):
    pytest.importorskip("tensorflow")
    images, labels = fake_images
    module = _fake_tfds(monkeypatch, images, labels)
    x = data.load_cifar10(split="test", data_dir=tmp_path, download=False)
    assert x.shape == (5, 6, 10, 3)
    assert module.calls[-1] == dict(
        name="cifar10", split="test", data_dir=None, download=False
    )


def test_real_tfds_if_installed():
    pytest.importorskip("tensorflow_datasets")
    try:
        x = data.load_tfds_images("mnist", split="test[:8]", download=False)
    except data.DatasetNotFoundError as e:
        assert "tfds build mnist" in str(e)
    else:
        assert x.shape == (8, 28, 28, 1)
        assert x.min() >= -1.0 and x.max() <= 1.0
