"""Datasets for GAN training, as backend-agnostic numpy arrays.

Image loaders return float32 NHWC arrays with values in `[-1, 1]` (the
range of a `tanh` generator) and, on request, int64 labels. Local files
are always preferred; downloads and TensorFlow Datasets are fallbacks,
and when everything fails the error says where it looked and how to fix
it. Importing this package does not import TensorFlow, Keras or
`tensorflow_datasets`.

Example:

```python
from kerasgan import data

x = data.load("fashion_mnist")           # (60000, 28, 28, 1) in [-1, 1]
x = data.load("digits")                  # (1797, 8, 8, 1), bundled offline
ring = data.load("ring", n=2500, seed=0)  # (2500, 2)
faces = data.load("folder:my_faces", image_size=64)  # your own PNG/JPEG files
a, b = data.load("fashion_mnist_edges")  # two unpaired domains (CoGAN, CycleGAN)
```

`kerasgan.data.UnpairedBatches` (a `keras.utils.PyDataset`) is the one name
that needs Keras: it is imported on first use.
"""

import functools

from kerasgan.data.digits import load_digits
from kerasgan.data.domains import DOMAIN_TASKS
from kerasgan.data.domains import TRANSFORMS
from kerasgan.data.domains import apply_transform
from kerasgan.data.domains import dilate
from kerasgan.data.domains import edges
from kerasgan.data.domains import load_domain_task
from kerasgan.data.domains import negative
from kerasgan.data.domains import pixel_agreement
from kerasgan.data.domains import unpaired_domains
from kerasgan.data.errors import DATA_DIR_ENV
from kerasgan.data.errors import DatasetNotFoundError
from kerasgan.data.errors import IDXFormatError
from kerasgan.data.errors import MissingDependencyError
from kerasgan.data.errors import UnknownDatasetError
from kerasgan.data.fashion_mnist import FASHION_MNIST_CLASSES
from kerasgan.data.fashion_mnist import load_fashion_mnist
from kerasgan.data.idx import read_idx
from kerasgan.data.idx import read_idx_images
from kerasgan.data.idx import write_idx
from kerasgan.data.images import check_images
from kerasgan.data.images import from_unit_range
from kerasgan.data.images import load_image_folder
from kerasgan.data.images import pad_images
from kerasgan.data.images import resize_images
from kerasgan.data.images import to_unit_range
from kerasgan.data.tfds import load_celeba
from kerasgan.data.tfds import load_cifar10
from kerasgan.data.tfds import load_mnist
from kerasgan.data.tfds import load_tfds_images
from kerasgan.data.tfds import read_cifar_batch
from kerasgan.data.toy import gaussian_1d
from kerasgan.data.toy import grid_modes
from kerasgan.data.toy import grid_of_gaussians
from kerasgan.data.toy import nearest_mode
from kerasgan.data.toy import ring_modes
from kerasgan.data.toy import ring_of_gaussians
from kerasgan.data.unpaired import CYCLE_GAN_DATASETS
from kerasgan.data.unpaired import default_load_size
from kerasgan.data.unpaired import load_tfds_cycle_gan
from kerasgan.data.unpaired import load_unpaired_folders
from kerasgan.data.unpaired import random_crop_and_flip
from kerasgan.data.unpaired import unpaired_indices

# `kerasgan.data.image_folder(path, image_size)`: the users' own images.
image_folder = load_image_folder

_LOADERS = {
    "fashion_mnist": load_fashion_mnist,
    "digits": load_digits,
    "ring": ring_of_gaussians,
    "grid": grid_of_gaussians,
    "mnist": load_mnist,
    "cifar10": load_cifar10,
    "celeb_a": load_celeba,
    # Multi-domain tasks: load() returns a list of arrays, one per domain.
    **{task: functools.partial(load_domain_task, task) for task in DOMAIN_TASKS},
}
_ALIASES = {"celeba": "celeb_a", "cifar_10": "cifar10", "fashionmnist": "fashion_mnist"}

#: Names `load()` handles itself; other names go to TensorFlow Datasets.
BUILTIN_DATASETS = tuple(sorted(_LOADERS))


def load(name, **kwargs):
    """Loads a dataset by name.

    Built-in names: `"fashion_mnist"`, `"digits"`, `"ring"`, `"grid"`,
    `"mnist"`, `"cifar10"`, `"celeb_a"` (alias `"celeba"`), and the
    multi-domain tasks `"fashion_mnist_edges"`, `"fashion_mnist_negative"`
    and `"fashion_mnist_domains"` (`load_domain_task`), which return a list
    of arrays, one per domain (unpaired for `split="train"`, paired for
    `split="test"`). Any other name is passed to `load_tfds_images`
    (TensorFlow Datasets). Names are case-insensitive and `-` is treated
    as `_`.

    Args:
        name: Dataset name.
        **kwargs: Passed to the loader, e.g. `split="test"`,
            `with_labels=True`, or `n=2500, seed=0` for the toy mixtures.

    Raises:
        UnknownDatasetError: if the name is not built in and TensorFlow
            Datasets does not know it either (or is not installed); the
            message lists the built-in names.

    Example:

    ```python
    x, y = load("mnist", split="test", with_labels=True)
    x = load("grid", n=2500, seed=0)
    a, b = load("fashion_mnist_negative", seed=0)
    ```
    """
    if str(name).startswith("folder:"):
        # A folder of the user's own images: "folder:PATH".
        return image_folder(str(name)[len("folder:"):], **kwargs)
    key = str(name).strip().lower().replace("-", "_")
    key = _ALIASES.get(key, key)
    if key in _LOADERS:
        return _LOADERS[key](**kwargs)
    try:
        return load_tfds_images(name, **kwargs)
    except MissingDependencyError as e:
        raise UnknownDatasetError(
            f"Unknown dataset {name!r}. {_builtin_names()} Other names are "
            "loaded from TensorFlow Datasets, which is not installed: "
            "pip install tensorflow-datasets"
        ) from e
    except UnknownDatasetError as e:
        raise UnknownDatasetError(
            f"Unknown dataset {name!r}. {_builtin_names()} TensorFlow "
            f"Datasets does not know it either: {e}"
        ) from e


def __getattr__(name):
    # `UnpairedBatches` subclasses keras.utils.PyDataset: import Keras only
    # when it is used, so that `import kerasgan.data` stays Keras-free.
    if name == "UnpairedBatches":
        from kerasgan.data.unpaired_batches import UnpairedBatches

        return UnpairedBatches
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def _builtin_names():
    aliases = ", ".join(f"{a!r} for {t!r}" for a, t in sorted(_ALIASES.items()))
    return f"Built-in names: {', '.join(BUILTIN_DATASETS)} (aliases: {aliases})."


__all__ = [
    "BUILTIN_DATASETS",
    "CYCLE_GAN_DATASETS",
    "DATA_DIR_ENV",
    "DOMAIN_TASKS",
    "DatasetNotFoundError",
    "FASHION_MNIST_CLASSES",
    "IDXFormatError",
    "MissingDependencyError",
    "TRANSFORMS",
    "UnknownDatasetError",
    "UnpairedBatches",
    "apply_transform",
    "check_images",
    "default_load_size",
    "dilate",
    "edges",
    "from_unit_range",
    "gaussian_1d",
    "grid_modes",
    "grid_of_gaussians",
    "image_folder",
    "load",
    "load_celeba",
    "load_cifar10",
    "load_digits",
    "load_domain_task",
    "load_fashion_mnist",
    "load_image_folder",
    "pad_images",
    "load_mnist",
    "load_tfds_cycle_gan",
    "load_tfds_images",
    "load_unpaired_folders",
    "nearest_mode",
    "negative",
    "pixel_agreement",
    "random_crop_and_flip",
    "read_cifar_batch",
    "read_idx",
    "read_idx_images",
    "resize_images",
    "ring_modes",
    "ring_of_gaussians",
    "to_unit_range",
    "unpaired_domains",
    "unpaired_indices",
    "write_idx",
]
