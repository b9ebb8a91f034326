"""`UnpairedBatches`: unpaired two-domain batches as a `keras.utils.PyDataset`.

This module imports Keras; `kerasgan.data` imports it only when
`kerasgan.data.UnpairedBatches` is first used, so that importing
`kerasgan.data` itself does not load Keras.
"""

import keras
import numpy as np

from kerasgan.data.unpaired import random_crop_and_flip
from kerasgan.data.unpaired import unpaired_indices


class UnpairedBatches(keras.utils.PyDataset):
    """Batches `(a_batch, b_batch)` that pair the two domains at random.

    Each batch holds `batch_size` domain-A images and `batch_size`
    domain-B images drawn independently of each other (unpaired), as
    CycleGAN trains. An epoch has `max(len(a), len(b)) // batch_size`
    batches (the reference's dataset length is the larger domain's): the
    larger domain is visited in a random order, each image at most once
    (exactly once when its size is a multiple of `batch_size`), and the
    smaller one by concatenated random permutations (see
    `kerasgan.data.unpaired_indices`). The order, and any augmentation,
    depend only on `(seed, epoch)`, never on the order in which Keras's
    workers ask for the batches.

    The epoch moves on when all of its batches have been served and Keras
    ends an epoch (`on_epoch_end`), so `fit`'s epoch `k` serves order `k`
    (counting from `set_epoch`'s value, 0 by default; a later `fit`
    continues the count). The batch Keras fetches once to build an unbuilt
    model does not count, unless the epoch has a single batch. With
    `use_multiprocessing=True` the batches are served in other processes,
    so every epoch that Keras starts and ends counts (the building one
    too). Without `fit`, index the batches directly and call `set_epoch`
    to move on. `evaluate` and `predict` also run epochs: give them their
    own `UnpairedBatches`.

    Args:
        domain_a: Array `(N_a, H, W, C)` of domain-A images.
        domain_b: Array `(N_b, H, W, C)` of domain-B images (the same
            per-image shape, or one that `augment` makes the same).
        batch_size: Images per domain in each batch.
        seed: Seed of the order and of the augmentation.
        augment: `None`; a function called as `augment(batch, rng=rng)`
            with a `numpy.random.Generator` and returning the augmented
            batch; or an int or `(height, width)` as a shorthand for
            `random_crop_and_flip` to that size (the reference's training
            augmentation, e.g. 256 on images loaded at 286).
        **kwargs: `workers`, `use_multiprocessing`, `max_queue_size` of
            `keras.utils.PyDataset`.

    Example:

    ```python
    a, b = kerasgan.data.load_unpaired_folders("trainA", "trainB", image_size=256)
    batches = kerasgan.data.UnpairedBatches(a, b, batch_size=1, seed=0, augment=256)
    a_batch, b_batch = batches[0]           # (1, 256, 256, 3) each
    model.fit(batches, epochs=200)
    ```
    """

    def __init__(self, domain_a, domain_b, batch_size, seed=0, augment=None, **kwargs):
        super().__init__(**kwargs)
        self.domain_a = np.asarray(domain_a, dtype=np.float32)
        self.domain_b = np.asarray(domain_b, dtype=np.float32)
        for label, x in (("domain_a", self.domain_a), ("domain_b", self.domain_b)):
            if x.ndim < 2 or len(x) == 0:
                raise ValueError(
                    f"{label} must be a non-empty batch of images (N, H, W, C); "
                    f"got shape {x.shape}."
                )
        self.batch_size = int(batch_size)
        self.seed = int(seed)
        self.augment = _augmentation(augment)
        self.epoch = 0
        self._served = set()  # batch indices served in the current epoch
        self._began = False
        self._cached = None
        # Checks the batch size now rather than at the first batch.
        self._num_batches = len(self.indices(0)[0]) // self.batch_size

    def __len__(self):
        return self._num_batches

    def indices(self, epoch=None):
        """`(indices_a, indices_b)` of an epoch (default: the current one)."""
        epoch = self.epoch if epoch is None else int(epoch)
        cached = self._cached
        if cached is not None and cached[0] == epoch:
            return cached[1]
        order = unpaired_indices(
            len(self.domain_a), len(self.domain_b), self.batch_size, self.seed, epoch
        )
        self._cached = (epoch, order)
        return order

    def __getitem__(self, index):
        if not 0 <= index < len(self):
            raise IndexError(f"batch {index} out of range for {len(self)} batches.")
        indices_a, indices_b = self.indices()
        part = slice(index * self.batch_size, (index + 1) * self.batch_size)
        a = self.domain_a[indices_a[part]]
        b = self.domain_b[indices_b[part]]
        if self.augment is not None:
            rng = np.random.default_rng([self.seed, self.epoch, index])
            a = self.augment(a, rng=rng)
            b = self.augment(b, rng=rng)
        self._served.add(index)
        return a, b

    def set_epoch(self, epoch):
        """Serves epoch `epoch`'s order (and augmentation) from now on."""
        self.epoch = int(epoch)
        self._served = set()

    def on_epoch_begin(self):
        self._began = True

    def on_epoch_end(self):
        complete = len(self._served) == len(self)
        if complete or (self.use_multiprocessing and self._began):
            self.set_epoch(self.epoch + 1)
        self._began = False


def _augmentation(augment):
    if augment is None or callable(augment):
        return augment
    if isinstance(augment, (int, np.integer, tuple, list)) and not isinstance(augment, bool):
        size = augment if isinstance(augment, (int, np.integer)) else tuple(augment)

        def crop_and_flip(batch, rng):
            return random_crop_and_flip(batch, size, rng)

        return crop_and_flip
    raise TypeError(
        "augment must be None, a function augment(batch, rng=rng) or a crop size "
        f"(int or (height, width)); got {augment!r}."
    )
