"""CoGAN: Liu & Tuzel (2016), "Coupled Generative Adversarial Networks"."""

import numpy as np
import keras
from keras import ops

from kerasgan import losses as losses_module
from kerasgan.engine import distribution
from kerasgan.engine.adversarial_model import AdversarialModel
from kerasgan.engine.latent_gan import resolve_latent
from kerasgan.engine.packing import check_packing
from kerasgan.engine.packing import pack_samples
from kerasgan.engine.packing import packed_shape
from kerasgan.nets.cogan import DISCRIMINATOR_FILTERS
from kerasgan.nets.cogan import GENERATOR_FILTERS
from kerasgan.nets.cogan import check_image_shape
from kerasgan.nets.cogan import cogan_discriminators
from kerasgan.nets.cogan import cogan_generators


def default_optimizer():
    """Adam(2e-4, β = (0.5, 0.999)), the official CoGAN setting.

    The official code (`cogan_pytorch`, `trainer_cogan_mnistedge.py`) also
    passes `weight_decay=5e-4` to PyTorch's Adam, an L2 term added to the
    gradient before Adam's normalisation. Keras's `Adam(weight_decay=...)`
    is the decoupled (AdamW) form, a different update, so it is not used
    here: the default has no weight decay.
    """
    return keras.optimizers.Adam(learning_rate=2e-4, beta_1=0.5, beta_2=0.999)


@keras.saving.register_keras_serializable(package="kerasgan")
class CoGAN(AdversarialModel):
    """Coupled GAN: the joint distribution of two image domains learned from
    unpaired images (Liu & Tuzel 2016).

    Two GANs, one per domain, whose generators share their first layers and
    whose discriminators share their last layers (`kerasgan.nets.cogan`).
    Both generators decode the same latent vector z, so that
    `(generator_a(z), generator_b(z))` is a pair of corresponding images
    (e.g. a garment and its edge map) although no pair was ever seen.

    Each iteration (the official training loop) takes one batch of domain-A
    and one of domain-B images, unpaired, and

    1. updates both discriminators (player `"discriminators"`) on the real
       images and on `G_a(z), G_b(z)` for fresh z, one z per pair;
    2. updates both generators (player `"generators"`) on fresh z.

    The adversarial loss (by name, default `"non_saturating"`) is applied to
    each domain and the two are summed. (The official code averages them, a
    scaling that Adam's update ignores up to its ε.) A tied weight is one
    variable, updated once per step with the gradient of the summed loss.

    Logs: `d_loss`, `g_loss`, and the discriminators' mean scores (e.g.
    probabilities for the log-likelihood losses) `d_real_a`, `d_fake_a`,
    `d_real_b`, `d_fake_b`.

    Args:
        image_shape: `(height, width, channels)` of both domains' images:
            28×28×c (the official MNIST network) or a square multiple of 8
            (e.g. 32×32×c).
        latent_dim: size of z (100 in the paper).
        generator_filters: the generators' four hidden widths (official
            `(1024, 512, 256, 128)`).
        discriminator_filters: the discriminators' three conv widths
            (official `(20, 50, 500)`).
        share: `True` ties the layers as in the paper; `False` trains two
            independent GANs on the same z (the paper's baseline).
        generator_shared_layers: how many of the generators' four hidden
            blocks are tied, from the input (`None`: all four); the paper's
            Fig. 3 varies it.
        discriminator_shared_layers: how many of the discriminators' three
            later blocks are tied, from the output (`None`: all three).
        seed: seed of the model's `SeedGenerator` (latent draws in training).
        data_range: `(low, high)` of the images, checked by `fit`.
        historical_averaging: weight of Salimans et al.'s historical
            averaging cost for both players.
        packing: m, images each discriminator judges together (PacGAN,
            Lin et al. 2018; `kerasgan.engine.packing`): its input holds m
            images' channels. `None` or 1: no packing.

    Example:

    ```python
    a, b = kerasgan.data.load_domain_task("fashion_mnist_edges")
    model = kerasgan.models.CoGAN(image_shape=(28, 28, 1), seed=0)
    model.compile()
    model.fit(kerasgan.data.UnpairedBatches(a, b, batch_size=64), epochs=1)
    images_a, images_b = model.generate(16, seed=0)
    model.pixel_agreement("edges")     # edges(images_a) vs images_b
    ```
    """

    players = {
        "discriminators": ("discriminator_a", "discriminator_b"),
        "generators": ("generator_a", "generator_b"),
    }
    metric_names = ("d_loss", "g_loss", "d_real_a", "d_fake_a", "d_real_b", "d_fake_b")
    loss_logs = {"discriminators": "d_loss", "generators": "g_loss"}
    techniques = ("historical_averaging", "packing")
    default_loss = "non_saturating"

    def __init__(
        self,
        image_shape=(28, 28, 1),
        latent_dim=100,
        generator_filters=GENERATOR_FILTERS,
        discriminator_filters=DISCRIMINATOR_FILTERS,
        share=True,
        generator_shared_layers=None,
        discriminator_shared_layers=None,
        seed=None,
        data_range=(-1.0, 1.0),
        historical_averaging=None,
        packing=None,
        **kwargs,
    ):
        image_shape = check_image_shape(image_shape)
        self.packing = check_packing(packing)
        if not isinstance(share, (bool, np.bool_)):
            raise ValueError(f"share must be True or False; got {share!r}.")
        generator_a, generator_b = cogan_generators(
            image_shape, latent_dim, generator_filters, generator_shared_layers, bool(share)
        )
        discriminator_a, discriminator_b = cogan_discriminators(
            packed_shape(image_shape, self.packing), discriminator_filters, discriminator_shared_layers, bool(share)
        )
        self.hyperparameters = {
            "image_shape": image_shape,
            "latent_dim": int(latent_dim),
            "generator_filters": tuple(int(f) for f in generator_filters),
            "discriminator_filters": tuple(int(f) for f in discriminator_filters),
            "share": bool(share),
            "generator_shared_layers": generator_shared_layers,
            "discriminator_shared_layers": discriminator_shared_layers,
        }
        super().__init__(
            {
                "generator_a": generator_a,
                "generator_b": generator_b,
                "discriminator_a": discriminator_a,
                "discriminator_b": discriminator_b,
            },
            seed=seed,
            data_range=data_range,
            historical_averaging=historical_averaging,
            packing=packing,
            **kwargs,
        )
        self.image_shape = image_shape
        self.latent_dim = int(latent_dim)
        self.share = bool(share)
        # Both images from one pass through the tied layers (the generators
        # are built on the same input tensor). Not tracked: its layers are
        # the generators', saved with them.
        object.__setattr__(
            self,
            "coupled_generator",
            keras.Model(
                generator_a.input,
                [generator_a.output, generator_b.output],
                name="coupled_generator",
            ),
        )
        self.adversarial_loss = None

    # ---------------------------------------------------------------- sharing
    def shared_variables(self, player):
        """The trainable variables that `player`'s two networks have in common."""
        first, second = self.player_networks(player)
        theirs = {id(v) for v in second.trainable_variables}
        return [v for v in first.trainable_variables if id(v) in theirs]

    # ---------------------------------------------------------------- compile
    def default_optimizer(self, player):
        return default_optimizer()

    def compile(self, optimizers=None, loss=None, **kwargs):
        """Configures the players' optimizers and the adversarial loss.

        Args:
            optimizers: `{"discriminators": ..., "generators": ...}`
                (instances, names or configs); default for each:
                Adam(2e-4, β = (0.5, 0.999)).
            loss: adversarial loss name (`kerasgan.losses.names()`) or an
                `AdversarialLoss`; default `"non_saturating"`.
            **kwargs: `keras.Model.compile` options (`jit_compile`,
                `run_eagerly`, `steps_per_execution`).
        """
        adversarial_loss = losses_module.get(loss or self.default_loss)
        super().compile(optimizers=optimizers, **kwargs)
        self.adversarial_loss = adversarial_loss
        self._adversarial_compile_config["loss"] = losses_module.serialize(adversarial_loss)

    def compile_from_config(self, config):
        config = dict(config)
        if "loss" in config:
            config["loss"] = losses_module.get(config["loss"])
        super().compile_from_config(config)

    # ---------------------------------------------------------------- sampling
    def sample_latent(self, batch_size):
        """N(0, 1) latent vectors from the model's `SeedGenerator` (traceable)."""
        return distribution.draw_batch(
            lambda n: keras.random.normal((n, self.latent_dim), seed=self.seed_generator),
            batch_size,
        )

    def latent_noise(self, n, seed=0):
        """Fixed N(0, 1) latent vectors as a numpy array, identical on every backend."""
        rng = np.random.default_rng(seed)
        return rng.standard_normal((n, self.latent_dim)).astype("float32")

    def call(self, latent, training=False):
        """`(G_a(z), G_b(z))` for latent vectors z."""
        return tuple(self.coupled_generator(latent, training=training))

    def generate(self, n=None, latent=None, seed=None, batch_size=256):
        """Pairs of images from shared latent vectors, as numpy arrays.

        Args:
            n: number of pairs (ignored when `latent` is given).
            latent: optional latent vectors `(n, latent_dim)`.
            seed: with `n`, draw the latent vectors from this numpy seed (the
                same pairs on every backend); `None` uses the model's
                `SeedGenerator`.
            batch_size: pairs generated per call of the generators.

        Returns:
            `(images_a, images_b)`, two float32 arrays `(n, *image_shape)`.
        """
        latent = resolve_latent(self, n, latent, seed, unit="pairs")
        images_a, images_b = [], []
        for i in range(0, len(latent), batch_size):
            chunk = ops.convert_to_tensor(latent[i : i + batch_size])
            a, b = self.coupled_generator(chunk, training=False)
            images_a.append(ops.convert_to_numpy(ops.cast(a, "float32")))
            images_b.append(ops.convert_to_numpy(ops.cast(b, "float32")))
        return np.concatenate(images_a), np.concatenate(images_b)

    def preview(self, seed=0, n=8):
        """Pairs from `n` fixed latent vectors: domain A's row over domain B's
        (`kerasgan.callbacks.PreviewGrid`); returns `(images, rows)`."""
        images_a, images_b = self.generate(n, seed=seed)
        return np.concatenate([images_a, images_b], axis=0), 2

    def pixel_agreement(self, transform, n=2000, seed=0, threshold=0.0, batch_size=256):
        """CoGAN's pixel agreement ratio of generated pairs (paper, Table 1).

        Generates `n` pairs from numpy seed `seed`, applies the deterministic
        `transform` (a name of `kerasgan.data.TRANSFORMS`, e.g. `"edges"` or
        `"negative"`, or a function) to the domain-A images and returns
        `kerasgan.data.pixel_agreement` with the domain-B images: the
        fraction of pixels on which both agree after binarising at
        `threshold`.
        """
        from kerasgan.data.domains import pixel_agreement

        images_a, images_b = self.generate(n, seed=seed, batch_size=batch_size)
        return pixel_agreement(images_a, images_b, threshold=threshold, transform=transform)

    # ---------------------------------------------------------------- training
    def check_data(self, x, y=None):
        """Raises a ValueError unless `fit` is given pairs of unpaired image
        batches `(a_batch, b_batch)` of this model's image shape."""
        shape = ", ".join(str(s) for s in self.image_shape)
        how = (
            "give the two domains as fit(x=(images_a, images_b)) (two arrays of the "
            "same length) or fit(kerasgan.data.UnpairedBatches(images_a, images_b, "
            "batch_size=64))"
        )
        if y is not None:
            raise ValueError(
                f"CoGAN takes no labels (y): {how}, each of shape (n, {shape})."
            )
        batch = _first_batch(x)
        if batch is _UNKNOWN:
            return
        if not isinstance(batch, (tuple, list)) or len(batch) != 2:
            got = (
                f"an array of shape {tuple(np.shape(batch))}"
                if hasattr(batch, "shape")
                else f"{type(batch).__name__}"
                + (f" of {len(batch)} items" if isinstance(batch, (tuple, list)) else "")
            )
            raise ValueError(
                "CoGAN trains on pairs of batches (a_batch, b_batch) of unpaired images "
                f"from two domains, each of shape (n, {shape}); got {got}: {how}."
            )
        a, b = (np.asarray(part.cpu() if hasattr(part, "cpu") else part) for part in batch)
        for name, part in (("domain A", a), ("domain B", b)):
            if part.ndim < 1 or tuple(part.shape[1:]) != self.image_shape:
                raise ValueError(
                    f"CoGAN expects both domains' images of shape ({shape}) (batches "
                    f"(n, {shape})); {name} has shape {tuple(part.shape)} (domain A "
                    f"{tuple(a.shape)}, domain B {tuple(b.shape)})."
                )
        if isinstance(x, (tuple, list)) and len(a) != len(b):
            raise ValueError(
                f"fit(x=(a, b)) needs two arrays of the same length (got {len(a)} and "
                f"{len(b)}); for domains of different sizes use "
                "kerasgan.data.UnpairedBatches(a, b, batch_size)."
            )
        from kerasgan.engine import validation

        for name, part in (("domain A", a), ("domain B", b)):
            try:
                validation.check_training_data(part, self.image_shape, self.data_range)
            except ValueError as error:
                raise ValueError(f"CoGAN, {name}: {error}") from None

    def unpack_batch(self, data):
        """`(a_batch, b_batch)` from what the trainer passes to the step."""
        if isinstance(data, (tuple, list)) and len(data) == 1:  # fit(x=(a, b))
            data = data[0]
        if not isinstance(data, (tuple, list)) or len(data) != 2:
            raise ValueError(
                "CoGAN's training step expects (a_batch, b_batch); got "
                f"{type(data).__name__}."
            )
        a, b = data
        return ops.cast(a, self.compute_dtype), ops.cast(b, self.compute_dtype)

    def fake_pairs(self, batch_size, training=True):
        """`(G_a(z), G_b(z))` for `batch_size` fresh latent vectors, one per pair."""
        return self.coupled_generator(self.sample_latent(batch_size), training=training)

    def scores(self, discriminator, images):
        """A discriminator's logits as float32 (one per pack with packing)."""
        images = pack_samples(images, self.packing)
        return ops.cast(discriminator(images, training=True), "float32")

    def discriminator_loss(self, real_a, real_b):
        """Both domains' discriminator losses, summed, and their logs."""
        fake_a, fake_b = self.fake_pairs(ops.shape(real_a)[0])
        fake_a, fake_b = ops.stop_gradient(fake_a), ops.stop_gradient(fake_b)
        loss, logs = 0.0, {}
        for domain, d, real, fake in (
            ("a", self.discriminator_a, real_a, fake_a),
            ("b", self.discriminator_b, real_b, fake_b),
        ):
            real_scores = self.scores(d, real)
            fake_scores = self.scores(d, fake)
            loss = loss + self.adversarial_loss.discriminator_loss(real_scores, fake_scores)
            logs[f"d_real_{domain}"] = ops.mean(self.adversarial_loss.score(real_scores))
            logs[f"d_fake_{domain}"] = ops.mean(self.adversarial_loss.score(fake_scores))
        return loss, logs

    def generator_loss(self, batch_size):
        """Both domains' generator losses on one batch of coupled fakes, summed."""
        fake_a, fake_b = self.fake_pairs(batch_size)
        loss = self.adversarial_loss.generator_loss(
            self.scores(self.discriminator_a, fake_a)
        ) + self.adversarial_loss.generator_loss(self.scores(self.discriminator_b, fake_b))
        return loss, {}

    def adversarial_step(self, data):
        """One iteration: a discriminators' step, then a generators' step."""
        if self.adversarial_loss is None:
            raise RuntimeError("Call CoGAN.compile() before training.")
        real_a, real_b = self.unpack_batch(data)
        batch_size = ops.shape(real_a)[0]
        self.take_step("discriminators", lambda: self.discriminator_loss(real_a, real_b))
        self.take_step("generators", lambda: self.generator_loss(batch_size))
        return self.metrics_result()

    # ---------------------------------------------------------------- config
    def network_config(self):
        return dict(self.hyperparameters)


_UNKNOWN = object()


def _first_batch(x):
    """The first element `fit` would get (for checks), or `_UNKNOWN`."""
    if x is None:
        return None
    if isinstance(x, (tuple, list)):
        return x
    if isinstance(x, np.ndarray):
        return x
    module = type(x).__module__
    if module.startswith("tensorflow") and hasattr(x, "take") and hasattr(x, "element_spec"):
        for batch in x.take(1):
            return batch
        return _UNKNOWN
    if isinstance(x, keras.utils.PyDataset):
        return x[0]
    if hasattr(x, "shape"):  # a backend tensor: a single array
        return x
    return _UNKNOWN
