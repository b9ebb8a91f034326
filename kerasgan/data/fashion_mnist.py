"""Fashion-MNIST (Xiao et al., 2017), loaded from local files first.

The loader looks for the four original IDX files

    train-images-idx3-ubyte.gz  train-labels-idx1-ubyte.gz
    t10k-images-idx3-ubyte.gz   t10k-labels-idx1-ubyte.gz

in these places, in order:

1. the `data_dir` argument (and its `fashion-mnist/` sub-folder);
2. `$KERASGAN_DATA_DIR` (and its `fashion-mnist/` sub-folder);
3. `/usr/share/datasets/fashion-mnist`, installed on Debian/Ubuntu by
   `apt-get install -y dataset-fashion-mnist`;
4. the Keras cache `~/.keras/datasets/fashion-mnist` (where
   `keras.datasets.fashion_mnist.load_data()` puts them);
5. a download with `keras.utils.get_file` from the URLs that
   `keras.datasets.fashion_mnist` uses (skipped with `download=False`);
6. TensorFlow Datasets (`tensorflow_datasets.load("fashion_mnist")`),
   if that package is installed.
"""

import os

from kerasgan.data import errors
from kerasgan.data.idx import find_idx_file
from kerasgan.data.idx import read_idx_images
from kerasgan.data.images import to_unit_range

#: Class names, indexed by label.
FASHION_MNIST_CLASSES = (
    "T-shirt/top",
    "Trouser",
    "Pullover",
    "Dress",
    "Coat",
    "Sandal",
    "Shirt",
    "Sneaker",
    "Bag",
    "Ankle boot",
)

#: Where the Debian package `dataset-fashion-mnist` installs the files.
DEBIAN_DIR = "/usr/share/datasets/fashion-mnist"

#: Base URL used by `keras.datasets.fashion_mnist.load_data()`.
DOWNLOAD_BASE_URL = "https://storage.googleapis.com/tensorflow/tf-keras-datasets/"

_SUBDIRS = ("fashion-mnist", "fashion_mnist")
_SPLITS = {"train": "train", "test": "t10k"}
_FIXES = (
    "Debian/Ubuntu: apt-get install -y dataset-fashion-mnist",
    "copy the four *-ubyte.gz files into a directory DIR and run "
    f"`export {errors.DATA_DIR_ENV}=DIR` (or pass data_dir=DIR)",
    "pip install tensorflow-datasets",
)


def load_fashion_mnist(split="train", data_dir=None, with_labels=False, download=True):
    """Loads Fashion-MNIST as `[-1, 1]` float32 images.

    Args:
        split: `"train"` (60,000 images) or `"test"` (10,000 images).
        data_dir: Optional directory holding the IDX files, searched first.
        with_labels: Whether to also return the labels.
        download: Whether to try downloading (Keras URL, then TFDS) when
            no local copy is found.

    Returns:
        `images` of shape `(N, 28, 28, 1)`, float32 in `[-1, 1]`; or
        `(images, labels)` with int64 labels of shape `(N,)` (indices into
        `FASHION_MNIST_CLASSES`) if `with_labels=True`.

    Raises:
        DatasetNotFoundError: if no copy can be found or fetched; the
            message lists every place tried and how to fix it.

    Example:

    ```python
    x = load_fashion_mnist()  # (60000, 28, 28, 1), values in [-1, 1]
    x, y = load_fashion_mnist("test", with_labels=True)
    ```
    """
    stems = _stems(split, with_labels)
    log = errors.SearchLog(
        f"Fashion-MNIST (split {split!r})", wanted=", ".join(f"{s}.gz" for s in stems)
    )
    for place, directory in _local_dirs(data_dir, log):
        paths = [find_idx_file(directory, stem) for stem in stems]
        if all(paths):
            return _read(paths, with_labels)
        missing = [f"{s}.gz" for s, p in zip(stems, paths) if p is None]
        log.add(place, errors.describe_dir(directory, missing))
    paths = _try_download(stems, download, log)
    if paths:
        return _read(paths, with_labels)
    result = _try_tfds(split, with_labels, download, log)
    if result is not None:
        return result
    raise log.error(_FIXES)


def _stems(split, with_labels):
    if split not in _SPLITS:
        raise ValueError(f"split must be 'train' or 'test'; got {split!r}.")
    prefix = _SPLITS[split]
    stems = [f"{prefix}-images-idx3-ubyte"]
    if with_labels:
        stems.append(f"{prefix}-labels-idx1-ubyte")
    return stems


def _local_dirs(data_dir, log):
    """Yields `(place, directory)` to search; logs unconfigured places."""
    for place, directory, reason in errors.user_dirs(data_dir, _SUBDIRS):
        if directory is None:
            log.add(place, reason)
        else:
            yield place, directory
    yield "Debian package dataset-fashion-mnist", DEBIAN_DIR
    cache = errors.keras_datasets_dir()
    yield "Keras cache", os.path.join(cache, "fashion-mnist")


def _try_download(stems, download, log):
    place = f"download from {DOWNLOAD_BASE_URL}"
    if not download:
        log.add(place, "skipped (download=False)")
        return None
    paths = []
    for stem in stems:
        fname = f"{stem}.gz"
        try:
            paths.append(
                errors.download(
                    fname,
                    origin=DOWNLOAD_BASE_URL + fname,
                    cache_subdir=os.path.join("datasets", "fashion-mnist"),
                )
            )
        except Exception as e:  # offline, DNS failure, HTTP error, ...
            log.add(place, f"failed: {errors.describe_exception(e)}")
            return None
    return paths


def _try_tfds(split, with_labels, download, log):
    from kerasgan.data.tfds import try_tfds

    return try_tfds(
        "fashion_mnist", split, log, with_labels=with_labels, download=download
    )


def _read(paths, with_labels):
    labels_path = paths[1] if with_labels else None
    images, labels = read_idx_images(paths[0], labels_path, image_shape=(28, 28))
    images = to_unit_range(images)[..., None]
    return (images, labels) if with_labels else images
