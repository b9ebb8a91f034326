"""The history of generated images (Shrivastava et al., 2017, "Learning from
Simulated and Unsupervised Images through Adversarial Training", §2.3), as
used by CycleGAN (Zhu et al., 2017, §4 "Training details": "we update the
discriminators using a history of generated images rather than the ones
produced by the latest generators. We keep an image buffer that stores the 50
previously created images")."""

import numbers

import keras
from keras import ops


def _check_pool_size(pool_size):
    if (
        isinstance(pool_size, bool)
        or not isinstance(pool_size, numbers.Integral)
        or int(pool_size) < 1
    ):
        raise ValueError(
            f"ImagePool needs an integer pool_size >= 1; got {pool_size!r}. "
            "(To train without a history, leave the layer out.)"
        )
    return int(pool_size)


def pool_step(images, count, fakes, uniforms, indices, pool_size):
    """One query of the image pool, as a pure function of its state and draws.

    The algorithm of the official CycleGAN code (util/image_pool.py,
    `ImagePool.query`), image by image in batch order: while the pool holds
    fewer than `pool_size` images, the incoming image is stored in the next
    free slot and returned; once it is full, if `uniforms[i] > 0.5` the
    stored image in slot `indices[i]` is returned and the incoming image
    takes its place, else the incoming image is returned. Later images of a
    batch see the changes made by earlier ones (a slot picked twice returns
    the first image to the second).

    Traceable (XLA, `tf.function`, `jax.jit`): a `fori_loop` over the batch
    with `where` / `slice_update`, no Python branching on values; the batch
    size may be dynamic.

    Args:
        images: the stored images, `(pool_size, *image_shape)`.
        count: how many slots are filled (int scalar, 0 to `pool_size`);
            the filled slots are `0 .. count - 1`.
        fakes: the incoming images, `(batch, *image_shape)`.
        uniforms: one draw from U[0, 1) per incoming image, `(batch,)`.
        indices: one slot in `[0, pool_size)` per incoming image, `(batch,)`.
        pool_size: the number of slots.

    Returns:
        `(returned, new_images, new_count)`: the images to give the
        discriminator `(batch, *image_shape)`, and the new state.

    Example:

    ```python
    returned, images, count = pool_step(images, count, fakes, u, idx, 50)
    ```
    """
    pool_size = int(pool_size)
    images = ops.convert_to_tensor(images)
    if images.shape[0] is not None and images.shape[0] != pool_size:
        raise ValueError(
            f"pool_step: images hold {images.shape[0]} slots but pool_size is {pool_size}."
        )
    fakes = ops.cast(fakes, images.dtype)
    count = ops.cast(count, "int32")
    uniforms = ops.convert_to_tensor(uniforms)
    indices = ops.cast(indices, "int32")
    image_zeros = [0] * (len(images.shape) - 1)  # start indices of the image axes

    def body(i, state):
        images, count, returned = state
        image = ops.expand_dims(ops.take(fakes, i, axis=0), 0)
        not_full = ops.less(count, pool_size)
        # Full pool: a coin flip (p > 0.5 in the reference) swaps with a random slot.
        swap = ops.logical_and(
            ops.logical_not(not_full), ops.greater(ops.take(uniforms, i), 0.5)
        )
        slot = ops.where(not_full, count, ops.take(indices, i))
        stored = ops.expand_dims(ops.take(images, slot, axis=0), 0)
        keep = ops.logical_or(not_full, swap)  # the incoming image goes into `slot`
        images = ops.slice_update(images, [slot, *image_zeros], ops.where(keep, image, stored))
        returned = ops.slice_update(
            returned, [i, *image_zeros], ops.where(swap, stored, image)
        )
        return images, count + ops.cast(not_full, "int32"), returned

    batch = ops.shape(fakes)[0]
    images, count, returned = ops.fori_loop(0, batch, body, (images, count, fakes))
    return returned, images, count


@keras.saving.register_keras_serializable(package="kerasgan")
class ImagePool(keras.layers.Layer):
    """A buffer of past generated images for the discriminator's update.

    In training, `call(fakes)` returns a batch of the same shape in which,
    once the pool is full, each image is with probability 0.5 replaced by a
    random earlier one (which the new image replaces in the pool); see
    `pool_step` for the exact algorithm (the official CycleGAN code's). With
    `training=False` the fakes pass through unchanged. The returned images
    are constants for differentiation (`stop_gradient`): the pool feeds the
    discriminator's step only.

    The state is in non-trainable variables, so the JAX trainer carries it
    and `.keras` / `.weights.h5` files save it: `images`
    `(pool_size, *image_shape)`, `count` (filled slots) and the state of the
    layer's `SeedGenerator` (which Keras does not save by itself; saved
    here so a loaded pool continues the same random draws).

    Args:
        pool_size: the number of stored images (CycleGAN: 50).
        seed: seed of the layer's `keras.random.SeedGenerator`.

    Example:

    ```python
    pool = ImagePool(pool_size=50)
    d_fake = discriminator(pool(ops.stop_gradient(fake_b)))
    ```
    """

    def __init__(self, pool_size=50, seed=None, **kwargs):
        super().__init__(**kwargs)
        self.pool_size = _check_pool_size(pool_size)
        self.seed = seed
        self.seed_generator = keras.random.SeedGenerator(seed)

    def build(self, input_shape):
        image_shape = tuple(input_shape[1:])
        if not image_shape or any(d is None for d in image_shape):
            raise ValueError(
                "ImagePool needs inputs (batch, *image_shape) with a known image shape; "
                f"got {tuple(input_shape)}."
            )
        self.images = self.add_weight(
            shape=(self.pool_size, *image_shape),
            initializer="zeros",
            trainable=False,
            autocast=False,
            name="images",
        )
        self.count = self.add_weight(
            shape=(), initializer="zeros", dtype="int32", trainable=False, name="count"
        )

    def call(self, fakes, training=True):
        if not training:
            return fakes
        fakes = ops.stop_gradient(fakes)
        batch = ops.shape(fakes)[0]
        uniforms = keras.random.uniform((batch,), seed=self.seed_generator)
        indices = keras.random.randint(
            (batch,), 0, self.pool_size, dtype="int32", seed=self.seed_generator
        )
        returned, images, count = pool_step(
            self.images.value, self.count.value, fakes, uniforms, indices, self.pool_size
        )
        self.images.assign(images)
        self.count.assign(count)
        return ops.stop_gradient(ops.cast(returned, fakes.dtype))

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def save_own_variables(self, store):
        super().save_own_variables(store)  # "0": images, "1": count
        if self.built:
            store["2"] = self.seed_generator.state

    def load_own_variables(self, store):
        if "2" in store.keys():  # files saved without it load too
            self.seed_generator.state.assign(store["2"])
            store = {key: store[key] for key in ("0", "1")}
        super().load_own_variables(store)

    def get_config(self):
        return {**super().get_config(), "pool_size": self.pool_size, "seed": self.seed}
