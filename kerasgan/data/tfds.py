"""Image datasets from TensorFlow Datasets, and MNIST / CIFAR-10 / CelebA.

`load_tfds_images` loads any TFDS image dataset by name. The named helpers
`load_mnist`, `load_cifar10` and `load_celeba` read local files first
(`data_dir`, then `$KERASGAN_DATA_DIR`, then the Keras cache
`~/.keras/datasets`), then try `keras.utils.get_file` (MNIST, CIFAR-10),
then TFDS, and otherwise raise a `DatasetNotFoundError` that says where
they looked and how to fix it.

`tensorflow_datasets` and `tensorflow` are imported only when a TFDS
path is actually taken.
"""

import os
import pickle

import numpy as np

from kerasgan.data import errors
from kerasgan.data.idx import find_idx_file
from kerasgan.data.idx import read_idx_images
from kerasgan.data.images import _size_pair
from kerasgan.data.images import list_image_files
from kerasgan.data.images import load_image_files
from kerasgan.data.images import to_unit_range

#: Where `keras.datasets.mnist.load_data()` downloads MNIST from.
MNIST_URL = "https://storage.googleapis.com/tensorflow/tf-keras-datasets/mnist.npz"
MNIST_SHA256 = "731c5ac602752760c8e48fbffcf8c3b850d9dc2a2aedcf2cc48468fc17b673d1"

#: Where `keras.datasets.cifar10.load_data()` downloads CIFAR-10 from.
CIFAR10_URL = "https://www.cs.toronto.edu/~kriz/cifar-10-python.tar.gz"
CIFAR10_SHA256 = "6d958be074577803d12ecdefd02955f39262c83c16fe9348329d7fe0b5c001ce"

#: Official CelebA page (the aligned images must be downloaded by hand).
CELEBA_URL = "https://mmlab.ie.cuhk.edu.hk/projects/CelebA.html"

_PIP_TFDS = "pip install tensorflow-datasets"
_IDX_SPLITS = {"train": "train", "test": "t10k"}
_CELEBA_SPLITS = {"train": "0", "validation": "1", "test": "2"}


def load_tfds_images(
    name,
    split="train",
    image_size=None,
    data_dir=None,
    with_labels=False,
    as_numpy=True,
    batch_size=128,
    download=True,
    crop_size=None,
    limit=None,
    shuffle_buffer=None,
    seed=None,
):
    """Loads any TensorFlow Datasets image dataset in `[-1, 1]`.

    The image feature is `"image"` when the dataset has one (MNIST, CIFAR,
    CelebA, ...), otherwise its first `tfds.features.Image` feature.
    Images are cast to float32, optionally center-cropped to `crop_size`,
    then, if `image_size` is given, center-cropped to its aspect ratio and
    resized to it (bilinear, antialiased), and scaled to `[-1, 1]`.

    Args:
        name: TFDS name, e.g. `"mnist"`, `"cifar10"`, `"celeb_a"`.
        split: TFDS split string, e.g. `"train"`, `"test"`, `"train[:10%]"`.
        image_size: Optional output size, int or `(height, width)`.
        data_dir: TFDS data directory (default: TFDS's own, usually
            `~/tensorflow_datasets` or `$TFDS_DATA_DIR`).
        with_labels: Whether to also return the `"label"` feature (int64).
        as_numpy: If `True`, return numpy arrays; if `False`, return a
            `tf.data.Dataset` yielding batches.
        batch_size: Batch size of the returned dataset (also the chunk
            size used when converting to numpy).
        download: Whether TFDS may download and prepare the dataset.
        crop_size: Optional central crop before resizing (int or pair);
            108 reproduces DCGAN's CelebA preprocessing.
        limit: Optional maximum number of examples.
        shuffle_buffer: If set, shuffle examples with this buffer size.
        seed: Shuffle seed.

    Returns:
        `images` (float32 `(N, H, W, C)`) or `(images, labels)` if
        `as_numpy=True`; otherwise a `tf.data.Dataset` of such batches.

    Raises:
        MissingDependencyError: if `tensorflow_datasets` is not installed.
        UnknownDatasetError: if TFDS has no dataset called `name`.
        DatasetNotFoundError: if TFDS cannot download or prepare it.

    Example:

    ```python
    x = load_tfds_images("mnist", split="test")        # (10000, 28, 28, 1)
    ds = load_tfds_images("celeb_a", image_size=64, as_numpy=False)
    ```
    """
    tfds = _import_tfds()
    ds, info = _tfds_load(tfds, name, split, data_dir, download)
    image_key, label_key = _feature_keys(tfds, info, name, with_labels)
    ds = _prepare(
        ds,
        image_key,
        label_key,
        image_size,
        crop_size,
        limit,
        batch_size,
        shuffle_buffer,
        seed,
    )
    return _to_numpy(ds, with_labels, name, split) if as_numpy else ds


def try_tfds(name, split, log, with_labels=False, download=True, **kwargs):
    """Loads `name` with `load_tfds_images`, or logs why it failed.

    Used as the last fallback of the file-based loaders.

    Returns:
        The numpy result of `load_tfds_images`, or `None` on failure (the
        reason is added to `log`).
    """
    place = f"TensorFlow Datasets {name!r}"
    try:
        return load_tfds_images(
            name,
            split=split,
            with_labels=with_labels,
            download=download,
            **kwargs,
        )
    except errors.MissingDependencyError:
        log.add(place, f"tensorflow_datasets is not installed ({_PIP_TFDS})")
    except Exception as e:
        log.add(place, f"failed: {errors.describe_exception(e)}")
    return None


def load_mnist(split="train", data_dir=None, with_labels=False, download=True):
    """Loads MNIST as `[-1, 1]` float32 images of shape `(N, 28, 28, 1)`.

    Looks for the IDX files (`train-images-idx3-ubyte.gz`, ...) or Keras's
    `mnist.npz` in `data_dir`, `$KERASGAN_DATA_DIR` (and their `mnist/`
    sub-folders) and `~/.keras/datasets`; then downloads `mnist.npz` like
    `keras.datasets.mnist`; then tries TFDS `"mnist"`.

    Args:
        split: `"train"` (60,000) or `"test"` (10,000).
        data_dir: Optional directory searched first.
        with_labels: Whether to also return int64 labels `(N,)`.
        download: Whether to try downloads (Keras URL, TFDS).

    Example:

    ```python
    x, y = load_mnist("test", with_labels=True)
    ```
    """
    stems = _idx_stems(split, with_labels)
    log = errors.SearchLog(
        f"MNIST (split {split!r})",
        wanted=", ".join(f"{s}.gz" for s in stems) + " or mnist.npz",
    )
    for place, directory in _local_dirs(data_dir, ("mnist",), log, ("", "mnist")):
        result = _mnist_from_dir(directory, stems, split, with_labels)
        if result is not None:
            return result
        log.add(place, errors.describe_dir(directory, _missing_mnist(directory, stems)))
    path = _try_download(log, download, MNIST_URL, "mnist.npz", MNIST_SHA256)
    if path:
        return _read_mnist_npz(path, split, with_labels)
    result = try_tfds("mnist", split, log, with_labels, download)
    if result is not None:
        return result
    raise log.error(_fixes("mnist", "the MNIST IDX files or mnist.npz"))


def load_cifar10(split="train", data_dir=None, with_labels=False, download=True):
    """Loads CIFAR-10 as `[-1, 1]` float32 images of shape `(N, 32, 32, 3)`.

    Looks for the python-pickle batches (`cifar-10-batches-py/data_batch_1`
    ... `test_batch`) in `data_dir`, `$KERASGAN_DATA_DIR` (or their
    `cifar-10-batches-py/` sub-folder) and the Keras cache; then downloads
    them like `keras.datasets.cifar10`; then tries TFDS `"cifar10"`.

    Args:
        split: `"train"` (50,000) or `"test"` (10,000).
        data_dir: Optional directory searched first.
        with_labels: Whether to also return int64 labels `(N,)`.
        download: Whether to try downloads (Keras URL, TFDS).

    Example:

    ```python
    x = load_cifar10()  # (50000, 32, 32, 3)
    ```
    """
    batches = _cifar_batches(split)
    log = errors.SearchLog(
        f"CIFAR-10 (split {split!r})",
        wanted="cifar-10-batches-py/" + ", ".join(batches),
    )
    subdirs = ("cifar-10-batches-py",)
    cache_subdirs = (
        "cifar-10-batches-py",
        "cifar-10-batches-py-target/cifar-10-batches-py",
    )
    for place, directory in _local_dirs(data_dir, subdirs, log, cache_subdirs):
        paths = [os.path.join(directory, b) for b in batches]
        if all(os.path.isfile(p) for p in paths):
            return _read_cifar(paths, with_labels)
        missing = [b for b, p in zip(batches, paths) if not os.path.isfile(p)]
        log.add(place, errors.describe_dir(directory, missing))
    path = _try_download(
        log,
        download,
        CIFAR10_URL,
        "cifar-10-batches-py-target",
        CIFAR10_SHA256,
        extract=True,
    )
    if path:
        folder = os.path.join(path, "cifar-10-batches-py")
        return _read_cifar([os.path.join(folder, b) for b in batches], with_labels)
    result = try_tfds("cifar10", split, log, with_labels, download)
    if result is not None:
        return result
    raise log.error(_fixes("cifar10", "the extracted cifar-10-batches-py folder"))


def load_celeba(
    image_size=64, split="all", data_dir=None, download=True, crop_size=None, limit=None
):
    """Loads aligned CelebA faces as `[-1, 1]` float32 images.

    Looks for a folder `img_align_celeba/` of JPEGs in `data_dir`,
    `$KERASGAN_DATA_DIR` (or their `celeba/` sub-folder) and
    `~/.keras/datasets/celeba`; then tries TFDS `"celeb_a"` (CelebA has no
    stable direct-download URL, so there is no `get_file` step). Images are
    center-cropped (to `crop_size` if given, then to a square) and resized
    to `image_size`, as in DCGAN.

    Args:
        image_size: Output size, int or `(height, width)` (64 as in DCGAN).
        split: `"all"` (202,599 images), or `"train"`, `"validation"`,
            `"test"` (local folders need `list_eval_partition.txt` next to
            `img_align_celeba/` or in an `Eval/` folder beside it).
        data_dir: Optional directory searched first.
        download: Whether TFDS may download the dataset.
        crop_size: Optional central crop before resizing (108 in DCGAN).
        limit: Optional maximum number of images (all of CelebA at 64x64
            takes about 10 GB as float32).

    Returns:
        A float32 array of shape `(N, height, width, 3)`.

    Example:

    ```python
    x = load_celeba(image_size=64, limit=10000)
    ```
    """
    if split not in ("all",) + tuple(_CELEBA_SPLITS):
        raise ValueError(
            f"split must be 'all', 'train', 'validation' or 'test'; got {split!r}."
        )
    log = errors.SearchLog(f"CelebA (split {split!r})", wanted="img_align_celeba/*.jpg")
    subdirs = ("img_align_celeba", "celeba/img_align_celeba")
    cache_subdirs = ("celeba/img_align_celeba", "img_align_celeba")
    for place, directory in _local_dirs(data_dir, subdirs, log, cache_subdirs):
        files = _celeba_files(directory, split, log, place)
        if files:
            return load_image_files(files[:limit], image_size, 3, crop_size)
    result = try_tfds(
        "celeb_a",
        split,
        log,
        download=download,
        image_size=image_size,
        crop_size=crop_size,
        limit=limit,
    )
    if result is not None:
        return result
    raise log.error(
        [
            f"download img_align_celeba.zip from {CELEBA_URL}, unzip it into "
            f"DIR and run `export {errors.DATA_DIR_ENV}=DIR` (or pass "
            "data_dir=DIR)",
        ]
        + _tfds_fixes("celeb_a")
    )


def read_cifar_batch(path):
    """Reads one CIFAR python-pickle batch file.

    Only numpy array reconstruction is allowed while unpickling, so a
    tampered file cannot run code.

    Returns:
        `(images, labels)`: uint8 `(N, 32, 32, 3)` and int64 `(N,)`.
    """
    with open(path, "rb") as f:
        batch = _RestrictedUnpickler(f, encoding="bytes").load()
    batch = {k.decode() if isinstance(k, bytes) else k: v for k, v in batch.items()}
    if "data" not in batch or "labels" not in batch:
        raise ValueError(
            f"{path}: not a CIFAR-10 batch (keys {sorted(batch)}; expected "
            "'data' and 'labels')."
        )
    data = np.asarray(batch["data"], dtype=np.uint8)
    if data.ndim != 2 or data.shape[1] != 3 * 32 * 32:
        raise ValueError(f"{path}: expected data of shape (N, 3072); got {data.shape}.")
    images = data.reshape(-1, 3, 32, 32).transpose(0, 2, 3, 1)
    return images, np.asarray(batch["labels"], dtype=np.int64)


class _RestrictedUnpickler(pickle.Unpickler):
    _ALLOWED = {
        ("numpy", "ndarray"),
        ("numpy", "dtype"),
        ("numpy._core.multiarray", "_reconstruct"),
        ("numpy._core.multiarray", "scalar"),
    }

    def find_class(self, module, name):
        if module.startswith("numpy.core"):  # pickles written by numpy < 2
            module = "numpy._core" + module[len("numpy.core") :]
        if (module, name) in self._ALLOWED:
            return super().find_class(module, name)
        raise pickle.UnpicklingError(
            f"refusing to unpickle {module}.{name} from a dataset file."
        )


# --- TFDS internals ---------------------------------------------------------


def _import_tfds():
    try:
        import tensorflow_datasets as tfds
    except ImportError as e:
        raise errors.MissingDependencyError(
            f"TensorFlow Datasets is not installed ({e}). Install it with: "
            f"{_PIP_TFDS}"
        ) from e
    return tfds


def _tfds_load(tfds, name, split, data_dir, download):
    try:
        return tfds.load(
            name,
            split=split,
            data_dir=data_dir,
            download=download,
            with_info=True,
            shuffle_files=False,
        )
    except Exception as e:
        if type(e).__name__ == "DatasetNotFoundError":
            raise errors.UnknownDatasetError(
                f"TensorFlow Datasets has no dataset named {name!r}: "
                f"{errors.describe_exception(e)}"
            ) from e
        raise errors.DatasetNotFoundError(
            f"Could not load TFDS dataset {name!r} (split {split!r}, data_dir "
            f"{data_dir or 'TFDS default'}, download={download}): "
            f"{errors.describe_exception(e)}\nTo fix it:\n"
            + "\n".join(f"  - {fix}" for fix in _tfds_fixes(name)),
            dataset=name,
        ) from e


def _feature_keys(tfds, info, name, with_labels):
    features = info.features
    keys = list(features.keys())
    if "image" in keys:
        image_key = "image"
    else:
        image_types = (tfds.features.Image,)
        candidates = [k for k in keys if isinstance(features[k], image_types)]
        if not candidates:
            raise ValueError(
                f"TFDS dataset {name!r} has no image feature; features: {keys}."
            )
        image_key = candidates[0]
    if not with_labels:
        return image_key, None
    if "label" not in keys:
        raise ValueError(
            f"TFDS dataset {name!r} has no 'label' feature (features: {keys}); "
            "use with_labels=False."
        )
    return image_key, "label"


def _prepare(
    ds,
    image_key,
    label_key,
    image_size,
    crop_size,
    limit,
    batch_size,
    shuffle_buffer,
    seed,
):
    import tensorflow as tf

    if limit is not None:
        ds = ds.take(limit)
    if shuffle_buffer:
        ds = ds.shuffle(shuffle_buffer, seed=seed)

    def convert(example):
        image = _tf_preprocess(example[image_key], image_size, crop_size)
        if label_key is None:
            return image
        return image, tf.cast(example[label_key], tf.int64)

    ds = ds.map(convert, num_parallel_calls=tf.data.AUTOTUNE)
    return ds.batch(batch_size).prefetch(tf.data.AUTOTUNE)


def _tf_preprocess(image, image_size, crop_size):
    import tensorflow as tf

    image = tf.cast(image, tf.float32)
    if crop_size is not None:
        image = _tf_center_crop(image, *_size_pair(crop_size))
    if image_size is not None:
        height, width = _size_pair(image_size)
        shape = tf.shape(image)
        crop_h = tf.minimum(shape[0], shape[1] * height // width)
        crop_w = tf.minimum(shape[1], shape[0] * width // height)
        image = _tf_center_crop(image, crop_h, crop_w)
        image = tf.image.resize(image, (height, width), antialias=True)
    return tf.clip_by_value(image / 127.5 - 1.0, -1.0, 1.0)


def _tf_center_crop(image, crop_h, crop_w):
    import tensorflow as tf

    shape = tf.shape(image)
    crop_h = tf.minimum(crop_h, shape[0])
    crop_w = tf.minimum(crop_w, shape[1])
    top = (shape[0] - crop_h) // 2
    left = (shape[1] - crop_w) // 2
    return image[top : top + crop_h, left : left + crop_w, :]


def _to_numpy(ds, with_labels, name, split):
    batches = list(ds.as_numpy_iterator())
    if not batches:
        raise ValueError(f"TFDS dataset {name!r} split {split!r} is empty.")
    if not with_labels:
        return np.concatenate(batches).astype(np.float32)
    images = np.concatenate([b[0] for b in batches]).astype(np.float32)
    labels = np.concatenate([b[1] for b in batches]).astype(np.int64)
    return images, labels


def _fixes(name, files):
    """Fix suggestions for a named loader: local files first, then TFDS."""
    return [
        f"put {files} in a directory DIR and run "
        f"`export {errors.DATA_DIR_ENV}=DIR` (or pass data_dir=DIR)"
    ] + _tfds_fixes(name)


def _tfds_fixes(name):
    return [
        f"{_PIP_TFDS}; then, where there is network access, run "
        f"`tfds build {name} --data_dir DIR`, copy DIR to this machine and "
        "set TFDS_DATA_DIR=DIR (or pass data_dir=DIR to load_tfds_images)",
        "for datasets that need a manual download, place the downloaded "
        "files in DIR/downloads/manual/ (or pass `--manual_dir` to "
        f"`tfds build {name}`)",
    ]


# --- local-file internals ---------------------------------------------------


def _local_dirs(data_dir, subdirs, log, cache_subdirs):
    """Yields `(place, directory)` to search; logs unconfigured places."""
    for place, directory, reason in errors.user_dirs(data_dir, subdirs):
        if directory is None:
            log.add(place, reason)
        else:
            yield place, directory
    cache = errors.keras_datasets_dir()
    for sub in cache_subdirs:
        yield "Keras cache", os.path.join(cache, sub) if sub else cache


def _try_download(log, download, url, fname, file_hash, extract=False):
    place = f"download from {url}"
    if not download:
        log.add(place, "skipped (download=False)")
        return None
    try:
        return errors.download(
            fname,
            origin=url,
            cache_subdir="datasets",
            file_hash=file_hash,
            extract=extract,
        )
    except Exception as e:  # offline, DNS failure, HTTP error, bad hash ...
        log.add(place, f"failed: {errors.describe_exception(e)}")
        return None


def _idx_stems(split, with_labels):
    if split not in _IDX_SPLITS:
        raise ValueError(f"split must be 'train' or 'test'; got {split!r}.")
    prefix = _IDX_SPLITS[split]
    stems = [f"{prefix}-images-idx3-ubyte"]
    return stems + [f"{prefix}-labels-idx1-ubyte"] if with_labels else stems


def _mnist_from_dir(directory, stems, split, with_labels):
    paths = [find_idx_file(directory, s) for s in stems]
    if all(paths):
        labels_path = paths[1] if with_labels else None
        images, labels = read_idx_images(paths[0], labels_path, (28, 28))
        images = to_unit_range(images)[..., None]
        return (images, labels) if with_labels else images
    npz = os.path.join(directory, "mnist.npz")
    if os.path.isfile(npz):
        return _read_mnist_npz(npz, split, with_labels)
    return None


def _missing_mnist(directory, stems):
    missing = [f"{s}.gz" for s in stems if find_idx_file(directory, s) is None]
    return missing + ["mnist.npz"]


def _read_mnist_npz(path, split, with_labels):
    suffix = "train" if split == "train" else "test"
    with np.load(path, allow_pickle=False) as f:
        images = to_unit_range(f[f"x_{suffix}"])[..., None]
        labels = f[f"y_{suffix}"].astype(np.int64)
    return (images, labels) if with_labels else images


def _cifar_batches(split):
    if split == "train":
        return [f"data_batch_{i}" for i in range(1, 6)]
    if split == "test":
        return ["test_batch"]
    raise ValueError(f"split must be 'train' or 'test'; got {split!r}.")


def _read_cifar(paths, with_labels):
    parts = [read_cifar_batch(p) for p in paths]
    images = to_unit_range(np.concatenate([p[0] for p in parts]))
    if not with_labels:
        return images
    return images, np.concatenate([p[1] for p in parts])


def _celeba_files(directory, split, log, place):
    """Returns the CelebA image files of `split` in `directory`, or logs."""
    if not os.path.isdir(directory):
        log.add(place, f"{directory} (no such directory)")
        return None
    files = list_image_files(directory)
    if not files:
        log.add(place, f"{directory} (no .jpg/.png images)")
        return None
    if split == "all":
        return files
    partition = _find_partition_file(directory)
    if partition is None:
        log.add(
            place,
            f"{directory} has images but no list_eval_partition.txt for "
            f"split {split!r} (use split='all')",
        )
        return None
    wanted = _read_partition(partition, _CELEBA_SPLITS[split])
    return [f for f in files if os.path.basename(f) in wanted]


def _find_partition_file(directory):
    parent = os.path.dirname(os.path.abspath(directory))
    for folder in (
        parent,
        os.path.join(parent, "Eval"),
        os.path.join(os.path.dirname(parent), "Eval"),
        directory,
    ):
        candidate = os.path.join(folder, "list_eval_partition.txt")
        if os.path.isfile(candidate):
            return candidate
    return None


def _read_partition(path, code):
    with open(path) as f:
        rows = (line.split() for line in f)
        return {row[0] for row in rows if len(row) == 2 and row[1] == code}
