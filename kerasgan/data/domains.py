"""Image transforms and unpaired multi-domain tasks made from one dataset.

Multi-domain GANs learn from image sets that share content but differ in
appearance: CoGAN (Liu & Tuzel, 2016) learns a joint distribution of two
domains, CycleGAN (Zhu et al., 2017) and StarGAN (Choi et al., 2018) learn
to translate between domains. With a known, deterministic transform of a
labelled dataset, such tasks can be built offline and evaluated exactly,
since the true correspondence between the domains is known. CoGAN's digit
experiments use MNIST and its edge maps, or its negatives.

This module provides

- deterministic transforms of `[-1, 1]` NHWC images: `dilate`, `edges`,
  `negative` (and `original`, the identity), collected in `TRANSFORMS`;
- `unpaired_domains`, which applies transform `i` to part `i` of a seeded,
  disjoint split of a dataset, so that no image appears in two domains;
- `load_domain_task`, the built-in Fashion-MNIST tasks
  (`DOMAIN_TASKS`), unpaired for training and paired for evaluation;
- `pixel_agreement`, CoGAN's pixel agreement ratio.

Everything is plain numpy; importing this module imports neither
TensorFlow nor Keras.

Example:

```python
from kerasgan import data

a, b = data.load_domain_task("fashion_mnist_edges")   # 2 x (30000, 28, 28, 1)
a_test, b_test = data.load_domain_task("fashion_mnist_edges", split="test")
# b_test == data.edges(a_test): the pairs are known for evaluation.
```
"""

import numpy as np

from kerasgan.data.errors import UnknownDatasetError
from kerasgan.data.images import _as_numpy
from kerasgan.data.images import pad_images
from kerasgan.data.images import check_images

# Images per block in `dilate`: bounds its temporary memory on large datasets.
_CHUNK = 4096


# --- transforms -----------------------------------------------------------------


def original(images):
    """The identity transform: the images as a new float32 array.

    Example:

    ```python
    x = original(load_fashion_mnist())
    ```
    """
    return np.array(_images(images), dtype=np.float32, copy=True)


def dilate(images, size=3):
    """Grey-scale morphological dilation: the maximum over a `size x size` window.

    Each channel is dilated on its own. At the image border only the pixels
    inside the image count, which is the same as padding with the minimum
    value (or replicating the border pixels), as OpenCV's `cv2.dilate` does
    by default. The window is centred; for an even `size` it covers
    `size // 2` pixels before and `size // 2 - 1` after each pixel (OpenCV's
    default anchor). Dilation commutes with increasing affine maps, so
    dilating `[-1, 1]` images gives the dilation of the `[0, 1]` or
    `[0, 255]` images, rescaled.

    Args:
        images: Float array-like of shape `(N, H, W, C)`, usually in
            `[-1, 1]` (any values work).
        size: Window side, a positive int (3 in CoGAN's edge set).

    Returns:
        A float32 array of the same shape.

    Example:

    ```python
    x = load_fashion_mnist()          # (60000, 28, 28, 1)
    thick = dilate(x, size=3)         # strokes grow by one pixel each side
    ```
    """
    x = _images(images)
    if isinstance(size, bool) or not isinstance(size, (int, np.integer)) or size < 1:
        raise ValueError(f"dilate: size must be a positive int; got {size!r}.")
    out = np.empty_like(x)
    for start in range(0, len(x), _CHUNK):
        out[start : start + _CHUNK] = _dilate_block(x[start : start + _CHUNK], int(size))
    return out


def _dilate_block(block, size):
    """Dilates a block of images with two 1-D passes over flat, contiguous rows.

    Each image row is followed by `pad` columns of `-inf`, so that a shift
    along the width never reaches another row's pixels; shifts along the
    height then move by whole (padded) rows.
    """
    n, height, width, channels = block.shape
    offsets = [d for d in range(-(size // 2), size - size // 2) if d != 0]
    pad = max([abs(d) for d in offsets], default=0)
    buffer = np.full((n, height, width + pad, channels), -np.inf, np.float32)
    buffer[:, :, :width] = block
    flat = buffer.reshape(n, -1)
    for step, length in ((channels, width), ((width + pad) * channels, height)):
        source = flat.copy()
        for d in offsets:
            if abs(d) < length:
                _max_shifted(flat, source, d * step)
    return buffer[:, :, :width]


def _max_shifted(out, source, shift):
    """`out[:, j] = max(out[:, j], source[:, j + shift])` where `j + shift` is inside."""
    size = source.shape[1]
    if shift > 0:
        view, moved = out[:, : size - shift], source[:, shift:]
    else:
        view, moved = out[:, -shift:], source[:, : size + shift]
    np.maximum(view, moved, out=view)


def edges(images):
    """The edge maps of CoGAN's MNIST-edge domain: `dilate(image, 3) - image`.

    The official CoGAN code builds its second digit domain by dilating each
    `[0, 255]` image with a 3x3 square of ones (`cv2.dilate`) and
    subtracting the image. The result is bright on the outer rim of every
    stroke and dark inside strokes and on the background. This function
    computes the same map on the `[0, 1]` scale, `e = dilate(u) - u` with
    `u = (x + 1) / 2`, and returns it on `[-1, 1]` as `2 e - 1`, which is
    `dilate(x) - x - 1` in terms of the input `x`: a black background stays
    `-1`, and a pixel next to a white one becomes `+1`.

    Args:
        images: Float array-like of shape `(N, H, W, C)` in `[-1, 1]`; each
            channel is treated on its own.

    Returns:
        A float32 array of the same shape in `[-1, 1]`.

    Example:

    ```python
    x = load_fashion_mnist("test")
    e = edges(x)   # outlines of the clothes, on a black background
    ```
    """
    x = _images(images, value_range=(-1, 1))
    out = dilate(x, size=3)
    out -= x
    out -= np.float32(1.0)
    return out


def negative(images):
    """The negative image: `1 - u` on the `[0, 1]` scale, i.e. `-x` on `[-1, 1]`.

    Example:

    ```python
    x = load_fashion_mnist("test")
    n = negative(x)   # dark clothes on a white background
    ```
    """
    return np.negative(_images(images, value_range=(-1, 1)), dtype=np.float32)


#: The deterministic transforms by name; each maps an `(N, H, W, C)` batch
#: in `[-1, 1]` to a batch of the same shape in `[-1, 1]`.
TRANSFORMS = {
    "original": original,
    "edges": edges,
    "negative": negative,
    "dilated": dilate,
}


def apply_transform(name, images):
    """Applies the transform called `name` (a key of `TRANSFORMS`).

    Args:
        name: `"original"`, `"edges"`, `"negative"` or `"dilated"`, or a
            callable `images -> images`, which is called as it is.
        images: Float array-like of shape `(N, H, W, C)` in `[-1, 1]`.

    Returns:
        A float32 array of the same shape.

    Raises:
        ValueError: for an unknown name; the message lists the known ones.

    Example:

    ```python
    b = apply_transform("edges", a)
    ```
    """
    return _transform(name)(images)


def _transform(name):
    if callable(name):
        return name
    key = str(name).strip().lower()
    if key not in TRANSFORMS:
        known = ", ".join(repr(k) for k in sorted(TRANSFORMS))
        raise ValueError(
            f"Unknown transform {name!r}; known transforms: {known} "
            "(or pass a function images -> images)."
        )
    return TRANSFORMS[key]


# --- unpaired domains -----------------------------------------------------------


def unpaired_domains(
    images, transforms, labels=None, seed=0, return_indices=False
):
    """Splits a dataset into disjoint parts and transforms each into a domain.

    The images are permuted with `numpy.random.default_rng(seed)` and cut
    into `len(transforms)` parts of equal size `len(images) //
    len(transforms)` (the `len(images) % len(transforms)` images left over
    are not used); transform `i` is applied to part `i`. No image is in
    two domains, so a model sees each content in one appearance only, as
    in CoGAN's "domain A = digits, domain B = edge maps of the other half
    of the training set". Within a part the images keep their order in
    `images`.

    Args:
        images: Float array-like of shape `(N, H, W, C)` in `[-1, 1]`.
        transforms: A list of transform names (keys of `TRANSFORMS`) or
            callables, one per domain, e.g. `["original", "edges"]`.
        labels: Optional labels of shape `(N,)`; if given, the labels of
            each domain are returned too.
        seed: Seed of the split.
        return_indices: Whether to also return each domain's indices into
            `images`.

    Returns:
        A list of float32 arrays, one per domain; with `labels`, a pair
        `(domains, domain_labels)` of lists; with `return_indices=True`,
        the list of index arrays is appended to the returned tuple (or
        returned with the domains as a pair).

    Example:

    ```python
    x, y = load_fashion_mnist(with_labels=True)
    (a, b), (ya, yb) = unpaired_domains(x, ["original", "edges"], labels=y)
    ```
    """
    if isinstance(transforms, str) or callable(transforms):
        raise TypeError(
            "transforms must be a list with one transform per domain, e.g. "
            f"['original', 'edges']; got {transforms!r}."
        )
    functions = [_transform(t) for t in transforms]
    if not functions:
        raise ValueError("transforms is empty; give one transform per domain.")
    x = _images(images)
    if labels is not None:
        labels = np.asarray(labels)
        if len(labels) != len(x):
            raise ValueError(f"Got {len(labels)} labels for {len(x)} images.")
    size = len(x) // len(functions)
    if size == 0:
        raise ValueError(
            f"Cannot split {len(x)} images into {len(functions)} non-empty domains."
        )
    order = np.random.default_rng(seed).permutation(len(x))
    parts = [np.sort(order[i * size : (i + 1) * size]) for i in range(len(functions))]
    domains = [f(x[part]) for f, part in zip(functions, parts)]
    result = [domains]
    if labels is not None:
        result.append([labels[part] for part in parts])
    if return_indices:
        result.append(parts)
    return domains if len(result) == 1 else tuple(result)


#: The built-in offline tasks: their domains' transforms of Fashion-MNIST.
DOMAIN_TASKS = {
    "fashion_mnist_edges": ("original", "edges"),
    "fashion_mnist_negative": ("original", "negative"),
    "fashion_mnist_domains": ("original", "edges", "negative", "dilated"),
}


def load_domain_task(
    name,
    split="train",
    seed=0,
    with_labels=False,
    image_size=None,
    data_dir=None,
    download=True,
):
    """Loads a built-in multi-domain task made from Fashion-MNIST.

    Tasks (`DOMAIN_TASKS`):

    - `"fashion_mnist_edges"`: domain A the images, domain B their edge
      maps (`edges`), as CoGAN's MNIST-edge task;
    - `"fashion_mnist_negative"`: A the images, B their negatives;
    - `"fashion_mnist_domains"`: four domains (original, edges, negative,
      dilated), for StarGAN-style multi-domain translation.

    The two splits differ on purpose:

    - `split="train"` is **unpaired**: the 60,000 training images are split
      into disjoint, equal parts (`unpaired_domains` with `seed`), one per
      domain, 30,000 each for two domains and 15,000 for four. No content
      appears in two domains, so nothing tells a model which images
      correspond.
    - `split="test"` is **paired**, for evaluation: every domain holds the
      same 10,000 test images, in the same order, under its own transform,
      so `domains[k][i]` is the true counterpart of `domains[0][i]` (e.g.
      `edges(domains[0]) == domains[1]`), which metrics such as
      `pixel_agreement` or a translation error need. `seed` is not used.

    Args:
        name: Task name (case-insensitive; `-` is treated as `_`).
        split: `"train"` (unpaired) or `"test"` (paired).
        seed: Seed of the training split into domains.
        with_labels: Whether to also return each domain's int64 labels.
        image_size: `None` keeps 28x28 (already a multiple of 4); an int or
            `(height, width)` of at least 28 pads the images with `-1`
            (black) on all sides, centred, e.g. 32 for networks that want a
            power of two. The padding is done before the transforms, so each
            domain is exactly its transform of the padded image (the
            negative domain gets a white frame).
        data_dir: Optional directory with the Fashion-MNIST files (see
            `load_fashion_mnist`).
        download: Whether `load_fashion_mnist` may download.

    Returns:
        A list of float32 arrays `(N, H, W, 1)` in `[-1, 1]`, one per
        domain in the order above; with `with_labels=True`, a pair
        `(domains, labels)` where `labels` is a list of int64 arrays.

    Raises:
        UnknownDatasetError: for an unknown task name (the message lists
            the known ones).
        DatasetNotFoundError: if Fashion-MNIST cannot be found.

    Example:

    ```python
    a, b = load_domain_task("fashion_mnist_edges")              # unpaired
    domains = load_domain_task("fashion_mnist_domains", image_size=32)
    (a, b), (ya, yb) = load_domain_task("fashion_mnist_negative", with_labels=True)
    a_test, b_test = load_domain_task("fashion_mnist_edges", split="test")
    ```
    """
    from kerasgan.data.fashion_mnist import load_fashion_mnist

    key = str(name).strip().lower().replace("-", "_")
    if key not in DOMAIN_TASKS:
        known = ", ".join(repr(k) for k in sorted(DOMAIN_TASKS))
        raise UnknownDatasetError(f"Unknown domain task {name!r}; known tasks: {known}.")
    if split not in ("train", "test"):
        raise ValueError(f"split must be 'train' or 'test'; got {split!r}.")
    transforms = DOMAIN_TASKS[key]
    x, y = load_fashion_mnist(
        split, data_dir=data_dir, with_labels=True, download=download
    )
    if image_size is not None:
        x = pad_images(x, image_size)
    if split == "train":
        domains, labels = unpaired_domains(x, transforms, labels=y, seed=seed)
    else:
        domains = [apply_transform(t, x) for t in transforms]
        labels = [y.copy() for _ in transforms]
    return (domains, labels) if with_labels else domains


# --- evaluation -------------------------------------------------------------------


def pixel_agreement(a, b, threshold=0.0, reduce=True, transform=None):
    """CoGAN's pixel agreement ratio between two batches of images.

    Liu & Tuzel (2016, Sec. 5, Table 1) measure how well a coupled model
    learned a known correspondence: they transform the generated domain-A
    image (e.g. take its edges) and count the pixels that agree with the
    domain-B image generated from the same noise. Here both images are
    binarised, a pixel being "on" where its value is greater than
    `threshold`, and the ratio is the fraction of pixels whose on/off state
    is the same in both.

    The paper does not state its binarisation (as far as this library's
    authors could check); the default, the midpoint `0` of the `[-1, 1]`
    range (`0.5` on `[0, 1]`), is this library's choice.

    Args:
        a: Images `(N, H, W, C)` in `[-1, 1]`, e.g. the transformed
            generated domain-A images (or the raw ones with `transform`).
        b: Images of the same shape, e.g. the generated domain-B images.
        threshold: Binarisation threshold on the `[-1, 1]` scale.
        reduce: If `True`, return the mean over the `N` pairs (a float);
            if `False`, a float64 array `(N,)` with each pair's ratio.
        transform: Optional transform (a name in `TRANSFORMS` or a
            callable) applied to `a` first.

    Returns:
        A float in `[0, 1]` (1: every pixel agrees), or per-pair ratios.

    Example:

    ```python
    z = keras.random.normal((1000, latent_dim))
    g_a, g_b = generator_a(z), generator_b(z)
    ratio = pixel_agreement(g_a, g_b, transform="edges")
    ```
    """
    a = _as_numpy(a)
    b = _as_numpy(b)
    if transform is not None:
        a = apply_transform(transform, a)
    if a.shape != b.shape:
        raise ValueError(
            f"pixel_agreement: a and b must have the same shape; got {a.shape} "
            f"and {b.shape}."
        )
    if a.ndim < 2 or len(a) == 0:
        raise ValueError(
            "pixel_agreement expects non-empty batches (N, H, W, C) of image "
            f"pairs; got shape {a.shape}."
        )
    same = (a > threshold) == (b > threshold)
    per_pair = same.reshape(len(same), -1).mean(axis=1, dtype=np.float64)
    return float(per_pair.mean()) if reduce else per_pair


def _images(images, value_range=None):
    """`images` as a float32 NHWC numpy array (validated)."""
    x = check_images(images, value_range=value_range)
    if x.dtype != np.float32:
        x = x.astype(np.float32)
    return x
