"""Semi-supervised GAN: Salimans et al. (2016), "Improved Techniques for
Training GANs", §5."""

import numpy as np
import keras
from keras import ops

from kerasgan.losses.adversarial_loss import AdversarialLoss
from kerasgan.models.network_gan import NetworkGAN


@keras.saving.register_keras_serializable(package="kerasgan")
class SemiSupervisedGAN(NetworkGAN):
    """A discriminator that is also a K-class classifier.

    D outputs K logits l(x). Its probability that x is real is
    D(x) = Z(x) / (Z(x) + 1) with Z(x) = Σₖ exp lₖ(x) (the (K+1)-th class,
    "generated", has its logit fixed at 0, §5), i.e. the real/fake logit is
    logsumexp(l(x)); the adversarial loss sees that logit. D also minimizes
    the cross-entropy of the labelled examples. The adversarial loss's real
    term and the real statistics of feature matching count only the
    unlabelled examples of a batch (all of them in a batch without any): the
    reference code feeds them a batch of unlabelled data of their own. The
    generator uses feature matching by default (§3.1; the setting of the
    paper's semi-supervised results).

    `fit(x, y)` with y = −1 for unlabelled examples;
    `SemiSupervisedGAN.training_arrays` builds such arrays with the few
    labelled examples repeated so that every batch holds some.

    Args:
        supervised_weight: weight of the supervised cross-entropy.
        entropy_weight: weight of the conditional entropy of D's class
            probabilities p(k | x, k ≤ K) on the unlabelled real examples,
            added to D's loss (Dai et al. 2017, "Good Semi-supervised
            Learning That Requires a Bad GAN", §4: it pushes D's decision
            boundaries away from dense regions of the unlabelled data).
            Default 0: Salimans et al.'s loss.
        feature_matching: as for `LatentGAN` (default: the layer
            before D's output).
        **kwargs: `NetworkGAN` arguments; `num_classes` is required.

    Example:

    ```python
    x, y = kerasgan.data.load_fashion_mnist(with_labels=True)
    xs, ys, _ = SemiSupervisedGAN.training_arrays(x, y, labelled_per_class=100)
    model = kerasgan.models.SemiSupervisedGAN(data_shape=(28, 28, 1), num_classes=10)
    model.compile()
    model.fit(xs, ys, batch_size=100, epochs=5)
    predictions = model.classify(x_test)
    ```
    """

    metric_names = ("d_loss", "g_loss", "d_real", "d_fake", "supervised_loss", "labelled_accuracy")
    requires_classes = True
    techniques = NetworkGAN.per_sample_techniques  # D judges (x, y) per sample
    allows_unlabelled = True

    def __init__(self, supervised_weight=1.0, entropy_weight=0.0, feature_matching=True, **kwargs):
        self.supervised_weight = float(supervised_weight)
        self.entropy_weight = float(entropy_weight)
        if self.entropy_weight < 0:
            raise ValueError(
                f"entropy_weight must be >= 0 (a weight on the conditional entropy D "
                f"minimizes); got {entropy_weight}."
            )
        super().__init__(feature_matching=feature_matching, **kwargs)

    def log_names(self):
        names = super().log_names()
        return names + ("conditional_entropy",) if self.entropy_weight else names

    def discriminator_options(self):
        return {"outputs": self.num_classes}

    def adversarial_output(self, outputs):
        return ops.logsumexp(outputs, axis=-1, keepdims=True)

    @property
    def generates_by_class(self):
        return False  # only D knows the classes: G is unconditional (§5)

    def real_weights(self, labels):
        # §5: the unsupervised loss is over unlabelled data. `training_arrays`
        # repeats the few labelled examples so that every batch holds some;
        # counted as real data too, they would weigh each labelled example
        # hundreds of times in D's real term and in the statistics feature
        # matching aims at. A batch with no unlabelled example counts all.
        unlabelled = ops.cast(ops.reshape(labels, (-1,)) < 0, "float32")
        return ops.where(ops.sum(unlabelled) > 0, unlabelled, ops.ones_like(unlabelled))

    def auxiliary_loss(self, player, real_outputs, fake_outputs, labels):
        if player == "generator":
            return 0.0, {}
        labels = ops.reshape(ops.cast(labels, "int32"), (-1,))
        labelled = ops.cast(labels >= 0, real_outputs.dtype)
        count = ops.maximum(ops.sum(labelled), 1.0)
        cross_entropy = ops.sparse_categorical_crossentropy(
            ops.maximum(labels, 0), real_outputs, from_logits=True
        )
        loss = ops.sum(cross_entropy * labelled) / count
        correct = ops.cast(ops.argmax(real_outputs, axis=-1) == labels, real_outputs.dtype)
        accuracy = ops.sum(correct * labelled) / count
        logs = {"supervised_loss": loss, "labelled_accuracy": accuracy}
        loss = self.supervised_weight * loss
        if self.entropy_weight:
            # Dai et al. 2017, §4: H(p(k | x)) = logsumexp(l) − Σₖ pₖ lₖ over
            # the unlabelled examples (the weights of D's real term).
            probabilities = ops.softmax(real_outputs, axis=-1)
            entropy = ops.logsumexp(real_outputs, axis=-1) - ops.sum(
                probabilities * real_outputs, axis=-1
            )
            entropy = AdversarialLoss.mean(entropy, self.real_weights(labels))
            loss = loss + self.entropy_weight * entropy
            logs["conditional_entropy"] = entropy
        return loss, logs

    def classify(self, x, batch_size=256):
        """Class predictions of the discriminator for samples `x`."""
        return self.discriminator.predict(x, batch_size=batch_size, verbose=0).argmax(axis=-1)

    def calibrate_batch_norm(self, x, batch_size=500):
        """Sets the moving mean and variance of D's batch-norm layers to the
        statistics of their inputs on real samples `x`.

        During `fit` they average over real *and* generated batches, which
        `classify` then uses. Layers are set in order, each on its inputs in
        inference mode with the earlier ones already set. Returns the
        previous statistics, `[(layer, mean, variance), ...]`, for
        `restore_batch_norm`. D's top-level layers are searched; a D without
        batch normalization is an error.
        """
        layers = [
            layer for layer in self.discriminator.layers
            if isinstance(layer, keras.layers.BatchNormalization)
        ]
        if not layers:
            raise ValueError(
                f"The discriminator '{self.discriminator.name}' has no BatchNormalization "
                "layer (among its top-level layers) to calibrate."
            )
        saved = []
        for layer in layers:
            saved.append((layer, ops.convert_to_numpy(layer.moving_mean),
                          ops.convert_to_numpy(layer.moving_variance)))
            inputs = keras.Model(self.discriminator.inputs, layer.input).predict(
                x, batch_size=batch_size, verbose=0
            )
            axes = tuple(range(inputs.ndim - 1))
            layer.moving_mean.assign(inputs.mean(axis=axes))
            layer.moving_variance.assign(inputs.var(axis=axes))
        return saved

    @staticmethod
    def restore_batch_norm(saved):
        """Puts back the statistics `calibrate_batch_norm` returned."""
        for layer, mean, variance in saved:
            layer.moving_mean.assign(mean)
            layer.moving_variance.assign(variance)

    @staticmethod
    def training_arrays(x, y, labelled_per_class=100, seed=0):
        """Training arrays with `labelled_per_class` labels per class kept.

        Returns `(x_train, y_train, labelled_indices)`: every example of `x`
        unlabelled (y = −1), followed by as many draws from the labelled
        subset (the examples `x[labelled_indices]`), so that about half of
        every shuffled batch carries a label (Salimans et al. cycle their
        100 labels per class through training the same way).
        """
        x = np.asarray(x)
        y = np.asarray(y).reshape(-1)
        rng = np.random.default_rng(seed)
        chosen = []
        for c in np.unique(y):
            members = np.flatnonzero(y == c)
            if len(members) < labelled_per_class:
                raise ValueError(
                    f"Class {c} has {len(members)} examples; labelled_per_class="
                    f"{labelled_per_class} needs at least that many."
                )
            chosen.append(rng.choice(members, labelled_per_class, replace=False))
        chosen = np.concatenate(chosen)
        repeats = rng.choice(chosen, len(x), replace=True)
        x_train = np.concatenate([x, x[repeats]])
        y_train = np.concatenate([np.full(len(x), -1, dtype="int32"), y[repeats].astype("int32")])
        return x_train, y_train, chosen

    def get_config(self):
        return {
            **super().get_config(),
            "supervised_weight": self.supervised_weight,
            "entropy_weight": self.entropy_weight,
        }
