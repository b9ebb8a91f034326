"""StarGAN: Choi, Choi, Kim, Ha, Kim & Choo (2018), "StarGAN: Unified
Generative Adversarial Networks for Multi-Domain Image-to-Image Translation"."""

import numpy as np
import keras
from keras import ops

from kerasgan.engine import distribution
from kerasgan.engine import validation
from kerasgan.engine.adversarial_model import AdversarialModel
from kerasgan.engine.minibatches import split_batch
from kerasgan.losses.gradient_penalty import gradient_penalty
from kerasgan.nets.patchgan import stargan_discriminator
from kerasgan.nets.resnet import resnet_generator
from kerasgan.schedules.linear_decay import LinearDecay

DOMAIN_TYPES = ("single", "multi")


def classification_loss(logits, labels, domain_type="single"):
    """StarGAN's domain classification loss (§3, eq. 2 and 3).

    `"single"`: cross-entropy of the logits `(n, num_domains)` against int
    domain indices `(n,)`, averaged over the batch (the official code's
    `F.cross_entropy`, RaFD). `"multi"`: sigmoid binary cross-entropy of each
    attribute against 0/1 vectors `(n, num_domains)`, summed over the
    attributes and averaged over the batch (the official CelebA setting,
    `binary_cross_entropy_with_logits(..., reduction='sum') / n`).

    Example:

    ```python
    loss = classification_loss(domain_logits, labels)           # single
    loss = classification_loss(attribute_logits, attributes, "multi")
    ```
    """
    logits = ops.cast(logits, "float32")
    if domain_type == "multi":
        labels = ops.cast(labels, "float32")
        per_value = ops.binary_crossentropy(labels, logits, from_logits=True)
        return ops.mean(ops.sum(per_value, axis=-1))
    labels = ops.cast(labels, "int32")
    return ops.mean(ops.sparse_categorical_crossentropy(labels, logits, from_logits=True))


def content_loss(classifier, real, fake):
    """CyCADA's semantic-consistency loss, one direction (Hoffman et al.
    2018, §3, eq. 4): the mean cross-entropy of a fixed classifier's logits
    on the translations `fake` against the class it finds most likely in the
    sources `real` (a pseudo-label, without gradient)."""
    pseudo = ops.stop_gradient(ops.argmax(classifier(real, training=False), axis=-1))
    logits = ops.cast(classifier(fake, training=False), "float32")
    return ops.mean(ops.sparse_categorical_crossentropy(pseudo, logits, from_logits=True))


def reconstruction_loss(real, reconstructed):
    """mean |x − G(G(x, c_trg), c_org)| (§3, eq. 4)."""
    return ops.mean(ops.abs(ops.cast(real, "float32") - ops.cast(reconstructed, "float32")))


@keras.saving.register_keras_serializable(package="kerasgan")
class StarGAN(AdversarialModel):
    """One generator that translates images into any of several domains,
    trained with a critic that also classifies the domain of an image.

    G takes an image x and a target-domain label c and makes G(x, c); D has
    two heads on shared convolutions, a critic map D_src and domain logits
    D_cls (`kerasgan.nets.stargan_discriminator`). The objective (§3, eq. 5
    to 7, with WGAN-GP as in §4 and the official code):

        L_D = −E[D_src(x)] + E[D_src(G(x, c_trg))] + λ_cls·cls(D_cls(x), c_org)
              + λ_gp·E[(‖∇_x̂ D_src(x̂)‖₂ − 1)²]
        L_G = −E[D_src(G(x, c_trg))] + λ_cls·cls(D_cls(G(x, c_trg)), c_trg)
              + λ_rec·E|x − G(G(x, c_trg), c_org)|

    where E[D_src] is the mean over the batch and the critic map, x̂ = εx +
    (1 − ε)G(x, c_trg) with one ε ~ U[0, 1] per sample, and the gradient is
    that of the summed map (the official `grad_outputs=ones`). The target
    labels c_trg are a random permutation of the minibatch's own labels c_org
    (the official `torch.randperm`), drawn from the model's `SeedGenerator`.
    `cls` is the cross-entropy over the domains (`domain_type="single"`,
    labels are domain indices) or the sigmoid binary cross-entropy summed
    over attributes (`"multi"`, labels are 0/1 vectors; CelebA).

    Training schedule: the official code updates D every iteration and G
    every `n_critic` = 5th. Here one train step (one `fit` batch, counted in
    `model.optimizer.iterations`) splits its batch into `discriminator_steps`
    minibatches, takes one critic update on each, then one generator update
    on the last minibatch and its target labels: the same 5 : 1 ratio, in one
    traced step. So a `fit` batch of 5·16 = 80 images reproduces the official
    batch size of 16 per update, and N train steps are 5·N official
    iterations. The discriminator's optimizer counts critic updates
    (`discriminator_steps` per train step), the generator's counts generator
    updates.

    Networks: `kerasgan.nets.resnet_generator` conditioned on the tiled
    label (affine instance normalization, bias-free convolutions, as the
    official generator; its down- and upsampling convolutions are CycleGAN's
    3×3 ones where the official code has 4×4) and
    `kerasgan.nets.stargan_discriminator` (LeakyReLU 0.01, no normalization).
    Optimizers: Adam(1e-4, β = (0.5, 0.999)) for both players;
    `reference_optimizers(steps)` adds the paper's linear decay to zero over
    the second half of training. The gradient penalty is part of StarGAN's
    own loss (always on, λ_gp); of the engine's techniques only
    `historical_averaging` applies.

    Train with `fit(images, labels)`: int domain indices `(n,)` for
    `"single"` or 0/1 vectors `(n, num_domains)` for `"multi"`, or a dataset
    of `(images, labels)` batches. Use `translate(images, target)` after.

    Args:
        image_shape: `(height, width, channels)` (height and width divisible
            by 2**generator_downsamplings and at least 4·2**generator_downsamplings:
            4 and 16 at the default 2; 28×28 works).
        num_domains: domains (single) or attributes (multi); the official
            `c_dim`.
        domain_type: `"single"` (one domain per image) or `"multi"`
            (several binary attributes per image).
        generator_filters: base filters of the generator (64).
        residual_blocks: residual blocks of the generator (6).
        discriminator_filters: filters of D's first conv (64).
        discriminator_layers: D's stride-2 convs; None: 6 or fewer so the
            final map keeps a pixel (`kerasgan.nets.stargan_default_layers`).
        generator_downsamplings: the generator's stride-2 convolutions, and
            as many transposed ones back (2, the paper's). Fewer keep a
            larger map for the residual blocks (`resnet_generator`'s
            `downsamplings`).
        lambda_cls, lambda_rec, lambda_gp: the loss weights (1, 10, 10).
        lambda_identity: weight of an identity-mapping term
            λ_id·E|x − G(x, c_org)| in L_G (default 0: the paper's
            objective). Not in StarGAN: it is CycleGAN's identity loss (Zhu
            et al. 2017, §5.2, after Taigman et al. 2017). The paper's
            reconstruction term only asks G(·, c_org) to undo G(·, c_trg), so
            when c_trg = c_org any involution satisfies it, and G may swap
            content inside a domain; this term asks G to leave an image in
            its own domain unchanged. Logged as `identity` when > 0.
        content_classifier, lambda_content: a content-preserving term
            λ_content·CE(f(G(x, c_trg)), argmax f(x)) in L_G (default: none,
            the paper's objective), CyCADA's semantic-consistency loss
            (Hoffman et al. 2018, §3, eq. 4; `content_loss`). f is
            `content_classifier`, a Keras model from images to logits over
            content classes that every domain shares (e.g. the garment,
            whatever the domain; `kerasgan.metrics.domain_translation.
            train_content_classifier` trains one). StarGAN freezes it: no
            player trains it; it is saved with the model. Not in StarGAN,
            and f needs labels of the images' content: the paper's
            objective lets G swap contents as long as it can swap them back
            (docs/cogan_stargan.md), and this term tells contents apart.
            Logged as `content`. Each needs the other.
        discriminator_steps: critic updates per generator update (the
            paper's n_critic; None: 5; the name every kerasgan model uses
            for k).
            `critic_steps`, its earlier name, is still read from configs
            saved before.
        seed: seed of the target-label permutations and interpolations.
        data_range, historical_averaging: as `AdversarialModel`.

    Example:

    ```python
    domains, _ = kerasgan.data.load_domain_task("fashion_mnist_domains", with_labels=True)
    x = np.concatenate(domains)
    y = np.repeat(np.arange(4), [len(d) for d in domains])
    model = kerasgan.models.StarGAN(image_shape=(28, 28, 1), num_domains=4,
                                    generator_filters=16, residual_blocks=3)
    model.compile(optimizers=model.reference_optimizers(steps=2000))
    model.fit(x, y, batch_size=80, epochs=1)     # 80 = 5 critic minibatches of 16
    edges = model.translate(x[:8], target=1)
    ```
    """

    players = {"discriminator": ("discriminator",), "generator": ("generator",)}
    metric_names = (
        "d_loss", "g_loss", "d_real", "d_fake", "d_cls", "g_cls", "reconstruction",
        "gradient_penalty",
    )
    loss_logs = {"discriminator": "d_loss", "generator": "g_loss"}
    techniques = ("historical_averaging",)
    network_keys = ("content_classifier",)

    def __init__(
        self,
        image_shape=(128, 128, 3),
        num_domains=5,
        domain_type="single",
        generator_filters=64,
        residual_blocks=6,
        discriminator_filters=64,
        discriminator_layers=None,
        generator_downsamplings=2,
        lambda_cls=1.0,
        lambda_rec=10.0,
        lambda_gp=10.0,
        discriminator_steps=None,
        lambda_identity=0.0,
        content_classifier=None,
        lambda_content=0.0,
        seed=None,
        data_range=(-1.0, 1.0),
        historical_averaging=None,
        **kwargs,
    ):
        if "critic_steps" in kwargs:  # its name in configs saved before
            if discriminator_steps is not None:
                raise ValueError(
                    "critic_steps is the earlier name of discriminator_steps; give one of "
                    f"them, not both (got critic_steps={kwargs['critic_steps']!r} and "
                    f"discriminator_steps={discriminator_steps!r})."
                )
            discriminator_steps = kwargs.pop("critic_steps")
        if discriminator_steps is None:
            discriminator_steps = 5
        image_shape = validation.image_shape(image_shape, "StarGAN", "(128, 128, 3)")
        if domain_type not in DOMAIN_TYPES:
            raise ValueError(
                "domain_type must be 'single' (one domain index per image) or 'multi' "
                f"(a 0/1 attribute vector per image); got {domain_type!r}."
            )
        minimum = 2 if domain_type == "single" else 1
        if (
            isinstance(num_domains, bool)
            or not isinstance(num_domains, (int, np.integer))
            or num_domains < minimum
        ):
            raise ValueError(
                f"num_domains must be an integer >= {minimum} for domain_type="
                f"{domain_type!r}; got {num_domains!r}."
            )
        self.image_shape = image_shape
        self.num_domains = int(num_domains)
        self.domain_type = domain_type
        self.lambda_cls = validation.non_negative(lambda_cls, "lambda_cls") or 0.0
        self.lambda_rec = validation.non_negative(lambda_rec, "lambda_rec") or 0.0
        self.lambda_gp = validation.non_negative(lambda_gp, "lambda_gp") or 0.0
        self.discriminator_steps = validation.positive_int(discriminator_steps, "discriminator_steps")
        self.lambda_identity = validation.non_negative(lambda_identity, "lambda_identity") or 0.0
        self.lambda_content = validation.non_negative(lambda_content, "lambda_content") or 0.0
        self._check_content_classifier(content_classifier, image_shape)
        self.hyperparameters = {
            "image_shape": image_shape,
            "num_domains": self.num_domains,
            "domain_type": domain_type,
            "generator_filters": int(generator_filters),
            "residual_blocks": int(residual_blocks),
            "generator_downsamplings": int(generator_downsamplings),
            "discriminator_filters": int(discriminator_filters),
            "discriminator_layers": (
                None if discriminator_layers is None else int(discriminator_layers)
            ),
            "lambda_cls": self.lambda_cls,
            "lambda_rec": self.lambda_rec,
            "lambda_gp": self.lambda_gp,
            "discriminator_steps": self.discriminator_steps,
            "lambda_identity": self.lambda_identity,
            "lambda_content": self.lambda_content,
        }
        generator = resnet_generator(
            image_shape, generator_filters, residual_blocks, condition_dim=self.num_domains,
            normalization="instance_affine", downsamplings=generator_downsamplings,
            name="generator",
        )
        discriminator = stargan_discriminator(
            image_shape, self.num_domains, discriminator_filters, discriminator_layers,
            name="discriminator",
        )
        networks = {"generator": generator, "discriminator": discriminator}
        if content_classifier is not None:  # no player's: frozen
            content_classifier.trainable = False
            networks["content_classifier"] = content_classifier
        super().__init__(
            networks,
            seed=seed,
            data_range=data_range,
            historical_averaging=historical_averaging,
            **kwargs,
        )
        if content_classifier is None:
            self.content_classifier = None

    def _check_content_classifier(self, classifier, image_shape):
        if classifier is None:
            if self.lambda_content:
                raise ValueError(
                    f"lambda_content={self.lambda_content} weighs a content term that needs "
                    "content_classifier: a Keras model from images of shape "
                    f"{image_shape} to logits over content classes (e.g. kerasgan.metrics."
                    "domain_translation.train_content_classifier)."
                )
            return
        if not isinstance(classifier, keras.Model):
            raise ValueError(
                "content_classifier must be a keras.Model from images to class logits; got "
                f"{type(classifier).__name__}."
            )
        if not self.lambda_content:
            raise ValueError(
                "content_classifier is read only by the content term: give lambda_content > 0 "
                "(e.g. 1.0) with it, or leave it out."
            )
        inputs = getattr(classifier, "inputs", None)
        outputs = getattr(classifier, "outputs", None)
        if inputs and (len(inputs) != 1 or tuple(inputs[0].shape[1:]) != tuple(image_shape)):
            raise ValueError(
                f"content_classifier must take one input of shape (n, {', '.join(map(str, image_shape))}), "
                f"this StarGAN's images; its inputs have shapes {[tuple(t.shape) for t in inputs]}."
            )
        if outputs and (len(outputs) != 1 or len(outputs[0].shape) != 2 or (outputs[0].shape[1] or 2) < 2):
            raise ValueError(
                "content_classifier must give one output of logits (n, classes) with at least 2 "
                f"classes; its outputs have shapes {[tuple(t.shape) for t in outputs]}."
            )

    # ---------------------------------------------------------------- compile
    def default_optimizer(self, player):
        """Adam(1e-4, β = (0.5, 0.999)) for both players (§4, official main.py)."""
        return keras.optimizers.Adam(learning_rate=1e-4, beta_1=0.5, beta_2=0.999)

    def reference_optimizers(self, steps, learning_rate=1e-4):
        """The official optimizers for a run of `steps` train steps: Adam(lr,
        β = (0.5, 0.999)), lr constant for the first half of the run and
        decaying linearly to zero over the second (the official 200k
        iterations, decay over the last 100k; `kerasgan.schedules.LinearDecay`).
        Each schedule counts its own player's updates: the discriminator's
        over `discriminator_steps·steps` updates, the generator's over `steps`."""
        steps = validation.positive_int(steps, "steps")

        def adam(updates):
            decay = updates // 2
            return keras.optimizers.Adam(
                LinearDecay(learning_rate, updates - decay, decay), beta_1=0.5, beta_2=0.999
            )

        return {
            "discriminator": adam(steps * self.discriminator_steps),
            "generator": adam(steps),
        }

    # ---------------------------------------------------------------- labels
    def condition(self, labels):
        """The generator's condition vector: one-hot domains or the attributes."""
        if self.domain_type == "single":
            return ops.one_hot(ops.cast(labels, "int32"), self.num_domains, dtype=self.compute_dtype)
        return ops.cast(labels, self.compute_dtype)

    def target_labels(self, labels):
        """c_trg: the minibatch's labels in a random order (traceable)."""
        n = ops.shape(labels)[0]
        keys = keras.random.uniform((n,), seed=self.seed_generator)
        return ops.take(labels, ops.argsort(keys), axis=0)

    def classification_loss(self, logits, labels):
        return classification_loss(logits, labels, self.domain_type)

    # ---------------------------------------------------------------- data
    def check_data(self, x, y=None):
        validation.check_training_data(x, self.image_shape, self.data_range)
        labels = validation.first_labels(x, y)
        if labels is None:
            raise ValueError(
                "StarGAN trains on images and their domain labels: fit(images, labels) "
                "or a dataset of (images, labels) batches, labels "
                + self._label_description()
                + "."
            )
        images = validation.first_batch(x)
        expected = len(images) if images is not None and images.ndim else None
        self.domain_labels(labels, expected_length=expected, name="Training labels")

    def _label_description(self):
        if self.domain_type == "single":
            return f"being int domain indices in [0, {self.num_domains}), shape (n,)"
        return f"being 0/1 attribute vectors of shape (n, {self.num_domains})"

    def domain_labels(self, labels, expected_length=None, name="labels", soft=False):
        """`labels` checked as this model's labels, as numpy: int32 domain
        indices `(n,)` (single) or float32 vectors `(n, num_domains)` (multi;
        values 0 or 1, or in [0, 1] with `soft`)."""
        labels = np.asarray(labels)
        if self.domain_type == "single":
            if labels.ndim == 2 and labels.shape[1] == 1:
                labels = labels[:, 0]
            if labels.ndim != 1:
                raise ValueError(
                    f"{name} must be int domain indices in [0, {self.num_domains}), one per "
                    f"image (shape (n,)); got shape {labels.shape}. This StarGAN has "
                    "domain_type='single'; 0/1 vectors are for domain_type='multi'."
                )
            if labels.size and not np.issubdtype(labels.dtype, np.integer):
                if labels.dtype == bool or not np.all(np.mod(labels, 1) == 0):
                    raise ValueError(
                        f"{name} must be int domain indices; got {labels[:5]}..."
                    )
            if labels.size and (labels.min() < 0 or labels.max() >= self.num_domains):
                bad = labels[(labels < 0) | (labels >= self.num_domains)][0]
                raise ValueError(
                    f"Domain index {bad} is out of range: this StarGAN has "
                    f"{self.num_domains} domains, indices 0 to {self.num_domains - 1}."
                )
            labels = labels.astype("int32")
        else:
            if labels.ndim != 2 or labels.shape[1] != self.num_domains:
                raise ValueError(
                    f"{name} must be attribute vectors of width num_domains="
                    f"{self.num_domains}, shape (n, {self.num_domains}); got shape "
                    f"{labels.shape}."
                )
            labels = labels.astype("float32")
            if not np.all(np.isfinite(labels)):
                raise ValueError(f"{name} contain NaN or infinite values.")
            valid = (labels >= 0) & (labels <= 1) if soft else (labels == 0) | (labels == 1)
            if not valid.all():
                raise ValueError(
                    f"{name} must hold 0/1 attribute values"
                    + (" (or values in [0, 1])" if soft else "")
                    + f"; got {labels[~valid][0]:g}."
                )
        if expected_length is not None and len(labels) != expected_length:
            raise ValueError(
                f"Got {len(labels)} {name.lower()} for {expected_length} images; give one "
                "label per image."
            )
        return labels

    def unpack_batch(self, data):
        x, y, _ = keras.utils.unpack_x_y_sample_weight(data)
        if y is None and isinstance(x, (tuple, list)):
            x, y = x
        if self.domain_type == "single":
            y = ops.reshape(ops.cast(y, "int32"), (-1,))
        else:
            y = ops.cast(y, "float32")
        return ops.cast(x, self.compute_dtype), y

    # ---------------------------------------------------------------- training
    def adversarial_step(self, data):
        """`discriminator_steps` critic updates, each on its own minibatch and its own
        target labels, then one generator update on the last minibatch."""
        images, labels = self.unpack_batch(data)
        k = self.discriminator_steps
        image_batches = distribution.split_batch(images, k, split_batch)
        label_batches = distribution.split_batch(labels, k, split_batch)
        for real, original in zip(image_batches, label_batches):
            target = self.target_labels(original)
            self.take_step(
                "discriminator",
                lambda: self.discriminator_loss(real, original, target),
            )
        self.take_step("generator", lambda: self.generator_loss(real, original, target))
        return self.metrics_result()

    def translate_batch(self, images, labels, training=True):
        """G(images, c(labels)) on tensors."""
        return self.generator([images, self.condition(labels)], training=training)

    def discriminate(self, images):
        """D's `(source_map, domain_logits)`, as float32."""
        source, logits = self.discriminator(images, training=True)
        return ops.cast(source, "float32"), ops.cast(logits, "float32")

    def discriminator_loss(self, real, original, target):
        """L_D on a minibatch of real images, their labels and target labels."""
        fake = ops.stop_gradient(self.translate_batch(real, target))
        real_source, real_logits = self.discriminate(real)
        fake_source, _ = self.discriminate(fake)
        d_real, d_fake = ops.mean(real_source), ops.mean(fake_source)
        d_cls = self.classification_loss(real_logits, original)
        loss = -d_real + d_fake + self.lambda_cls * d_cls
        if self.lambda_gp:
            penalty, _ = gradient_penalty(
                lambda x: self.discriminate(x)[0], real, fake, seed=self.seed_generator
            )
            loss = loss + self.lambda_gp * penalty
        else:
            penalty = ops.zeros((), "float32")
        logs = {"d_real": d_real, "d_fake": d_fake, "d_cls": d_cls, "gradient_penalty": penalty}
        return loss, logs

    def generator_loss(self, real, original, target):
        """L_G on a minibatch of real images, their labels and target labels."""
        fake = self.translate_batch(real, target)
        fake_source, fake_logits = self.discriminate(fake)
        g_cls = self.classification_loss(fake_logits, target)
        reconstruction = reconstruction_loss(real, self.translate_batch(fake, original))
        loss = (
            -ops.mean(fake_source)
            + self.lambda_cls * g_cls
            + self.lambda_rec * reconstruction
        )
        logs = {"g_cls": g_cls, "reconstruction": reconstruction}
        if self.lambda_identity:  # not in the paper: see `lambda_identity`
            identity = reconstruction_loss(real, self.translate_batch(real, original))
            loss = loss + self.lambda_identity * identity
            logs["identity"] = identity
        if self.lambda_content:  # not in the paper: see `lambda_content`
            content = content_loss(self.content_classifier, real, fake)
            loss = loss + self.lambda_content * content
            logs["content"] = content
        return loss, logs

    def log_names(self):
        names = tuple(self.metric_names)
        names += ("identity",) if self.lambda_identity else ()
        return names + ("content",) if self.lambda_content else names

    # ---------------------------------------------------------------- use
    def call(self, inputs, training=False):
        """G([images, condition vectors])."""
        return self.generator(inputs, training=training)

    def _check_images(self, images):
        return validation.image_batch(images, self.image_shape)

    def target_vectors(self, target, n):
        """The condition vectors `(n, num_domains)` for `translate`'s target."""
        target = np.asarray(target)
        if self.domain_type == "single":
            if target.ndim == 0:
                target = np.full((n,), target)
            labels = self.domain_labels(target, expected_length=n, name="Target domains")
            return np.eye(self.num_domains, dtype="float32")[labels]
        if target.ndim == 1:
            if target.shape[0] != self.num_domains:
                raise ValueError(
                    f"A target attribute vector must have width num_domains="
                    f"{self.num_domains}; got width {target.shape[0]}."
                )
            target = np.broadcast_to(target, (n, self.num_domains))
        return self.domain_labels(target, expected_length=n, name="Target vectors", soft=True)

    def translate(self, images, target, batch_size=64):
        """G(images, target) as a float32 numpy array.

        Args:
            images: `(n, *image_shape)` (or one image).
            target: single: a domain index (all images) or one per image;
                multi: one 0/1 attribute vector of width `num_domains` (all
                images) or `(n, num_domains)` (values in [0, 1] interpolate).
            batch_size: images per generator call.
        """
        images = self._check_images(images)
        conditions = self.target_vectors(target, len(images))
        batch_size = validation.positive_int(batch_size, "batch_size")
        outputs = [
            ops.convert_to_numpy(
                ops.cast(
                    self.generator(
                        [images[i : i + batch_size], conditions[i : i + batch_size]],
                        training=False,
                    ),
                    "float32",
                )
            )
            for i in range(0, len(images), batch_size)
        ]
        if not outputs:
            return np.zeros((0, *self.image_shape), "float32")
        return np.concatenate(outputs, axis=0)

    def preview_targets(self, n, labels=None):
        """The targets of `preview`'s rows: every domain index (single); for
        multi, each attribute flipped in the examples' labels (the official
        sample grid) or, without labels, each attribute alone."""
        if self.domain_type == "single":
            return list(range(self.num_domains))
        if labels is None:
            return list(np.eye(self.num_domains, dtype="float32"))
        labels = self.domain_labels(labels, expected_length=n, name="Preview labels")
        targets = []
        for d in range(self.num_domains):
            flipped = labels.copy()
            flipped[:, d] = 1.0 - flipped[:, d]
            targets.append(flipped)
        return targets

    def preview(self, examples):
        """Each example image (first row) and its translation into every
        domain (one row per domain) for `kerasgan.callbacks.PreviewGrid`;
        `examples` are images or `(images, labels)`. Returns `(images, rows)`."""
        labels = None
        if (
            isinstance(examples, (tuple, list))
            and len(examples) == 2
            and np.ndim(examples[0]) == 4
            and np.ndim(examples[1]) <= 2
        ):
            examples, labels = examples
        images = self._check_images(examples)
        rows = [images] + [
            self.translate(images, target) for target in self.preview_targets(len(images), labels)
        ]
        return np.concatenate(rows, axis=0), len(rows)

    # ---------------------------------------------------------------- config
    def get_config(self):
        return {**super().get_config(), **self.hyperparameters}
