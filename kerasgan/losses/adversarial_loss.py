"""Adversarial losses: how a player's loss is made from discriminator outputs."""

import keras
from keras import ops


class AdversarialLoss:
    """Base class: the two players' losses from discriminator outputs.

    Subclasses implement `discriminator_loss(real_outputs, fake_outputs,
    real_weights=None)` and `generator_loss(fake_outputs)`, each a scalar to
    minimize, with `keras.ops` only. `real_weights` (one per real example,
    or `None` for equal weights) weighs the real examples' terms, e.g. to
    count only the unlabelled ones of a semi-supervised batch; the real
    expectation is then `mean(values, real_weights)`. `score(outputs)` maps
    raw outputs to what is logged as D(x) (a probability for the
    log-likelihood losses).
    """

    name = None

    def discriminator_loss(self, real_outputs, fake_outputs, real_weights=None):
        raise NotImplementedError

    @staticmethod
    def mean(values, weights=None):
        """The mean of `values` over the batch, weighted by `weights` (one
        per example) when given: Σ wᵢ vᵢ / Σ wᵢ, vᵢ the mean of example i."""
        if weights is None:
            return ops.mean(values)
        values = ops.reshape(values, (ops.shape(values)[0], -1))
        values = ops.mean(values, axis=1)
        weights = ops.cast(ops.reshape(weights, (-1,)), values.dtype)
        return ops.sum(values * weights) / ops.maximum(ops.sum(weights), 1e-12)

    def generator_loss(self, fake_outputs):
        raise NotImplementedError

    def score(self, outputs):
        return outputs

    def get_config(self):
        return {}

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    def __repr__(self):
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_config().items())
        return f"{type(self).__name__}({args})"


class _LogLikelihoodLoss(AdversarialLoss):
    """Shared part of the losses of Goodfellow et al. (2014).

    The discriminator outputs logits; D(x) = sigmoid(logit). The discriminator
    ascends V = E log D(x) + E log(1 - D(G(z))), i.e. minimizes the binary
    cross-entropy with targets 1 for real and 0 for fake. One-sided label
    smoothing (Salimans et al. 2016, §3.4) replaces the real target 1 by
    1 - label_smoothing and leaves the fake target at 0.
    """

    def __init__(self, label_smoothing=0.0):
        label_smoothing = float(label_smoothing)
        if not 0.0 <= label_smoothing < 1.0:
            raise ValueError(
                "label_smoothing must be in [0, 1) (the real target becomes "
                f"1 - label_smoothing); got {label_smoothing}."
            )
        self.label_smoothing = label_smoothing

    def discriminator_loss(self, real_outputs, fake_outputs, real_weights=None):
        real_target = 1.0 - self.label_smoothing
        # -[t log σ(l) + (1 - t) log(1 - σ(l))] = t·softplus(-l) + (1 - t)·softplus(l)
        real_loss = real_target * ops.softplus(-real_outputs) + (
            1.0 - real_target
        ) * ops.softplus(real_outputs)
        fake_loss = ops.softplus(fake_outputs)  # -log(1 - σ(l))
        return self.mean(real_loss, real_weights) + ops.mean(fake_loss)

    def score(self, outputs):
        return ops.sigmoid(outputs)

    def get_config(self):
        return {"label_smoothing": self.label_smoothing}


@keras.saving.register_keras_serializable(package="kerasgan")
class MinimaxLoss(_LogLikelihoodLoss):
    """The saturating minimax game of Goodfellow et al. (2014), eq. 1.

    The generator minimizes E log(1 - D(G(z))) = -E softplus(logit), whose
    gradient vanishes when D confidently rejects samples early in training.

    Example: `model.compile(loss="minimax")`.
    """

    name = "minimax"

    def generator_loss(self, fake_outputs):
        return -ops.mean(ops.softplus(fake_outputs))


@keras.saving.register_keras_serializable(package="kerasgan")
class NonSaturatingLoss(_LogLikelihoodLoss):
    """The non-saturating generator loss of Goodfellow et al. (2014), §3.

    The generator maximizes E log D(G(z)), i.e. minimizes E softplus(-logit):
    the same fixed point as the minimax game, with strong gradients early on.

    Example: `model.compile(loss="non_saturating", label_smoothing=0.1)`.
    """

    name = "non_saturating"

    def generator_loss(self, fake_outputs):
        return ops.mean(ops.softplus(-fake_outputs))
