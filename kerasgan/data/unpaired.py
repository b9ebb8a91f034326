"""Unpaired two-domain image data, as CycleGAN (Zhu et al., 2017) uses it.

CycleGAN learns to translate between two sets of images, domain A and
domain B (horses and zebras, photos and paintings), with no pairs: each
training step takes a batch of A images and an independent random batch
of B images. Its reference training data pipeline resizes every image to
286x286 (`load_size`), then takes a random 256x256 crop (`image_size`) and
flips it horizontally at random; at test time it resizes to 256 and does
neither.

This module reads such data into `[-1, 1]` float32 NHWC numpy arrays:

- `load_unpaired_folders`: two folders of PNG/JPEG files (e.g. the
  `trainA/` and `trainB/` folders of the CycleGAN datasets' zip files);
- `load_tfds_cycle_gan`: TensorFlow Datasets' `cycle_gan/<name>`;
- `random_crop_and_flip`: the reference's training augmentation;
- `unpaired_indices`: the order of an epoch of unpaired batches, which
  `kerasgan.data.UnpairedBatches` (a `keras.utils.PyDataset`) serves.

Importing this module imports neither TensorFlow nor Keras.

Example:

```python
from kerasgan import data

a, b = data.load_unpaired_folders("horse2zebra/trainA", "horse2zebra/trainB",
                                  image_size=256)          # 286x286 arrays
batches = data.UnpairedBatches(a, b, batch_size=1, seed=0, augment=256)
```
"""

import os

import numpy as np

from kerasgan.data import errors
from kerasgan.data.images import _size_pair
from kerasgan.data.images import list_image_files
from kerasgan.data.images import load_image_folder

#: The configurations of TFDS's `cycle_gan` dataset (`cycle_gan/<name>`).
CYCLE_GAN_DATASETS = (
    "apple2orange",
    "summer2winter_yosemite",
    "horse2zebra",
    "monet2photo",
    "cezanne2photo",
    "ukiyoe2photo",
    "vangogh2photo",
    "maps",
    "facades",
    "iphone2dslr_flower",
)

#: Where the CycleGAN authors publish the datasets as `<name>.zip`.
CYCLE_GAN_URL = "https://efrosgans.eecs.berkeley.edu/cyclegan/datasets/"

#: The reference's load size for its 256x256 crops.
REFERENCE_LOAD_SIZE, REFERENCE_CROP_SIZE = 286, 256


def default_load_size(image_size):
    """The resize before random cropping: `round(image_size * 286 / 256)`.

    Args:
        image_size: The crop size, an int or `(height, width)`.

    Returns:
        An int, or a `(height, width)` pair for a pair.

    Example:

    ```python
    default_load_size(256)  # 286
    default_load_size(128)  # 143
    ```
    """
    if isinstance(image_size, (int, np.integer)):
        return round(int(image_size) * REFERENCE_LOAD_SIZE / REFERENCE_CROP_SIZE)
    return tuple(default_load_size(s) for s in _size_pair(image_size))


def load_unpaired_folders(
    dir_a,
    dir_b,
    image_size=256,
    load_size=None,
    limit=None,
    channels=3,
    recursive=False,
):
    """Loads two folders of images as the unpaired domains A and B.

    Every image is read with `load_image_folder`: center-cropped to a
    square (to the aspect of `load_size`) and resized (bicubic) to
    `load_size`, `round(image_size * 286 / 256)` by default (286 for 256),
    the size the CycleGAN reference resizes to before taking random
    `image_size` crops during training (`random_crop_and_flip`, or
    `UnpairedBatches(..., augment=image_size)`). For evaluation, where the
    reference does not crop, pass `load_size=image_size`.

    Args:
        dir_a: Folder of domain A's PNG/JPEG files.
        dir_b: Folder of domain B's PNG/JPEG files.
        image_size: The training crop size (int or `(height, width)`), or
            `None` (with `load_size=None`) to keep the files' size, which
            must then be the same for all images.
        load_size: The size the images are resized to; default from
            `image_size` as above. Must not be smaller than `image_size`.
        limit: Optional maximum number of images per domain (the first
            ones by file name).
        channels: 3 (RGB, as the reference), 1 (grey), or `None` for each
            domain's own: grey if its first file is grey, else RGB.
        recursive: Whether to include images in sub-folders.

    Returns:
        `(domain_a, domain_b)`: float32 arrays `(N_a, H, W, C)` and
        `(N_b, H, W, C)` in `[-1, 1]`; `N_a` and `N_b` may differ.

    Raises:
        DatasetNotFoundError: naming the domain and folder when a folder is
            missing or has no images.
        ValueError: when the two domains' images end up with different
            shapes or channels.

    Example:

    ```python
    a, b = load_unpaired_folders("horse2zebra/trainA", "horse2zebra/trainB")
    a.shape  # (1067, 286, 286, 3)
    a_test, b_test = load_unpaired_folders(
        "horse2zebra/testA", "horse2zebra/testB", load_size=256)
    ```
    """
    if load_size is None and image_size is not None:
        load_size = default_load_size(image_size)
    if load_size is not None and image_size is not None:
        if any(l < s for l, s in zip(_size_pair(load_size), _size_pair(image_size))):
            raise ValueError(
                f"load_size {load_size!r} is smaller than image_size "
                f"{image_size!r}; the images are resized to load_size and then "
                "cropped to image_size."
            )
    if channels not in (1, 3, None):
        raise ValueError(f"channels must be 1, 3 or None; got {channels!r}.")
    domains = []
    for label, folder in (("A", dir_a), ("B", dir_b)):
        files = _domain_files(label, folder, recursive)
        domain_channels = channels or _file_channels(files[0])
        domains.append(
            load_image_folder(
                folder,
                image_size=load_size,
                channels=domain_channels,
                recursive=recursive,
                limit=limit,
            )
        )
    a, b = domains
    if a.shape[1:] != b.shape[1:]:
        hint = (
            "pass channels=3 (or 1) to convert both"
            if a.shape[-1] != b.shape[-1]
            else "pass image_size=... to resize both"
        )
        raise ValueError(
            f"The two domains' images differ: domain A ({dir_a}) has shape "
            f"{a.shape[1:]}, domain B ({dir_b}) has {b.shape[1:]} (height, "
            f"width, channels); {hint}."
        )
    return a, b


def _domain_files(label, folder, recursive):
    folder = os.fspath(folder)
    fix = (
        f"put domain {label}'s .png/.jpg/.jpeg files in {folder}; for a "
        f"CycleGAN dataset, download {CYCLE_GAN_URL}<name>.zip (e.g. "
        "horse2zebra.zip) where there is network access and unzip it: it "
        "holds the folders trainA/, trainB/, testA/ and testB/"
    )
    if not os.path.isdir(folder):
        message = f"Domain {label} image folder not found: {folder}"
    else:
        files = list_image_files(folder, recursive=recursive)
        if files:
            return files
        message = f"Domain {label} image folder {folder} has no .png/.jpg/.jpeg images"
        if not recursive:
            message += " (sub-folders skipped; pass recursive=True)"
    raise errors.DatasetNotFoundError(
        f"{message}.\nTo fix it: {fix}.", dataset=f"domain {label}", fixes=[fix]
    )


def _file_channels(path):
    from PIL import Image

    with Image.open(path) as img:
        return 1 if img.mode in ("1", "L", "LA", "I", "I;16", "F") else 3


def random_crop_and_flip(images, size, rng=None, flip=True):
    """Random crops and horizontal flips: the CycleGAN reference's training augmentation.

    Each image gets its own crop position (uniform over all positions) and,
    with probability 1/2, is flipped left-right.

    Args:
        images: Array `(N, H, W, C)` (or one image `(H, W, C)`).
        size: Crop size, an int or `(height, width)`, at most `(H, W)`.
        rng: A `numpy.random.Generator`, an int seed, or `None` (fresh
            entropy).
        flip: Whether to flip at random.

    Returns:
        A float32 array `(N, height, width, C)` (or `(height, width, C)`).

    Example:

    ```python
    rng = np.random.default_rng(0)
    batch = random_crop_and_flip(a[:8], 256, rng)   # a: (N, 286, 286, 3)
    ```
    """
    x = np.asarray(images, dtype=np.float32)
    single = x.ndim == 3
    if single:
        x = x[None]
    if x.ndim != 4:
        raise ValueError(
            f"random_crop_and_flip expects images (N, H, W, C); got shape {x.shape}."
        )
    height, width = _size_pair(size)
    n, full_height, full_width = x.shape[:3]
    if height > full_height or width > full_width:
        raise ValueError(
            f"Crop size {height}x{width} is larger than the images "
            f"({full_height}x{full_width})."
        )
    rng = rng if isinstance(rng, np.random.Generator) else np.random.default_rng(rng)
    tops = rng.integers(0, full_height - height + 1, size=n)
    lefts = rng.integers(0, full_width - width + 1, size=n)
    flips = rng.random(n) < 0.5 if flip else np.zeros(n, bool)
    out = np.empty((n, height, width, x.shape[3]), np.float32)
    for i in range(n):
        crop = x[i, tops[i] : tops[i] + height, lefts[i] : lefts[i] + width]
        out[i] = crop[:, ::-1] if flips[i] else crop
    return out[0] if single else out


def unpaired_indices(len_a, len_b, batch_size, seed=0, epoch=0):
    """The image indices of one epoch of unpaired batches.

    An epoch has `max(len_a, len_b) // batch_size` batches, as the
    reference's dataset length is the larger domain's. The larger domain is
    visited in a random order, each image at most once per epoch (exactly
    once when its size is a multiple of `batch_size`); the smaller domain
    is drawn independently, by concatenated random permutations, so that
    its images are used as evenly as possible. The order depends only on
    `(seed, epoch)`.

    Returns:
        `(indices_a, indices_b)`: int64 arrays of length
        `num_batches * batch_size`; batch `k` is
        `indices[k * batch_size:(k + 1) * batch_size]`.

    Example:

    ```python
    ia, ib = unpaired_indices(len(a), len(b), batch_size=4, seed=0, epoch=3)
    a_batch, b_batch = a[ia[:4]], b[ib[:4]]
    ```
    """
    if len_a < 1 or len_b < 1:
        raise ValueError(f"Both domains need images; got {len_a} (A) and {len_b} (B).")
    if batch_size < 1:
        raise ValueError(f"batch_size must be positive; got {batch_size}.")
    length = max(len_a, len_b)
    num_batches = length // batch_size
    if num_batches == 0:
        raise ValueError(
            f"batch_size {batch_size} is larger than both domains ({len_a} A "
            f"and {len_b} B images)."
        )
    rng = np.random.default_rng([int(seed), int(epoch)])
    used = num_batches * batch_size

    def order(n):
        reps = -(-used // n)
        return np.concatenate([rng.permutation(n) for _ in range(reps)])[:used]

    return order(len_a), order(len_b)


def load_tfds_cycle_gan(
    name,
    split="train",
    image_size=256,
    load_size=None,
    data_dir=None,
    download=True,
    limit=None,
):
    """Loads a CycleGAN dataset from TensorFlow Datasets (`cycle_gan/<name>`).

    TFDS stores each dataset's domains as the splits `trainA`, `trainB`,
    `testA` and `testB`. With `split="train"` the images are resized to
    `load_size`, by default `round(image_size * 286 / 256)`, for random
    cropping to `image_size` during training (`random_crop_and_flip`, or
    `UnpairedBatches(..., augment=image_size)`); with `split="test"` the
    default `load_size` is `image_size`, as the reference tests without
    cropping.

    Args:
        name: A `cycle_gan` configuration, e.g. `"horse2zebra"` (see
            `CYCLE_GAN_DATASETS`).
        split: `"train"` or `"test"`.
        image_size: Crop size (int or `(height, width)`), or `None` to keep
            the stored size (with `load_size=None`).
        load_size: Size the images are resized to (see above).
        data_dir: TFDS data directory (default: TFDS's own).
        download: Whether TFDS may download and prepare the dataset.
        limit: Optional maximum number of images per domain.

    Returns:
        `(domain_a, domain_b)`: float32 arrays `(N, H, W, 3)` in `[-1, 1]`.

    Raises:
        MissingDependencyError: if `tensorflow_datasets` is not installed.
        DatasetNotFoundError: if TFDS cannot download or prepare it; the
            message says how to get the data (also without TFDS).
        UnknownDatasetError: if TFDS does not know the name.

    Example:

    ```python
    a, b = load_tfds_cycle_gan("horse2zebra")                   # 286x286
    a_test, b_test = load_tfds_cycle_gan("horse2zebra", "test")  # 256x256
    ```
    """
    from kerasgan.data.tfds import load_tfds_images

    if split not in ("train", "test"):
        raise ValueError(
            f"split must be 'train' or 'test' (TFDS splits {split}A and "
            f"{split}B); got {split!r}."
        )
    if load_size is None and image_size is not None:
        load_size = default_load_size(image_size) if split == "train" else image_size
    dataset = f"cycle_gan/{name}"
    domains = []
    for letter in "AB":
        try:
            domains.append(
                load_tfds_images(
                    dataset,
                    split=f"{split}{letter}",
                    image_size=load_size,
                    data_dir=data_dir,
                    download=download,
                    limit=limit,
                )
            )
        except errors.DatasetNotFoundError as e:
            fix = _folder_fix(name, split)
            raise errors.DatasetNotFoundError(
                f"{e}\n  - {fix}{_known_names(name)}",
                dataset=dataset,
                fixes=e.fixes + [fix],
            ) from e
        except (errors.MissingDependencyError, errors.UnknownDatasetError) as e:
            known = _known_names(name)
            raise type(e)(f"{e}{known} Or, {_folder_fix(name, split)}.") from e
    return tuple(domains)


def _known_names(name):
    """A note listing the known names, for a name that is not one of them."""
    if name in CYCLE_GAN_DATASETS:
        return ""
    names = ", ".join(CYCLE_GAN_DATASETS)
    return f"\n{name!r} is not one of TFDS's cycle_gan names: {names}."


def _folder_fix(name, split):
    return (
        f"without TFDS: download {CYCLE_GAN_URL}{name}.zip where there is network "
        f"access, unzip it into DIR and call load_unpaired_folders("
        f"'DIR/{name}/{split}A', 'DIR/{name}/{split}B')"
    )
