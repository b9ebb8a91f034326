"""Discriminator rejection sampling (Azadi et al. 2019)."""

import numpy as np
from keras import ops

from kerasgan.engine import validation
from kerasgan.engine.latent_gan import LatentGAN
from kerasgan.layers.minibatch_discrimination import MinibatchDiscrimination
from kerasgan.losses.adversarial_loss import _LogLikelihoodLoss


class DiscriminatorRejectionSampler:
    """Filters a trained GAN's samples with its discriminator.

    Azadi et al. (2019), "Discriminator Rejection Sampling", §3. For the
    log-likelihood losses (`"non_saturating"`, `"minimax"`) the optimal
    discriminator's logit is D̃(x) = log p_data(x) / p_G(x) (Goodfellow et
    al. 2014, Proposition 1), so accepting a sample with probability
    exp(D̃(x) − D̃_M), D̃_M the largest logit, is rejection sampling from
    p_data. The practical rule of §3.2 accepts with probability σ(F̂(x)):

        F̂(x) = D̃(x) − D̃_M − log(1 − exp(D̃(x) − D̃_M − ε)) − γ

    With γ = 0 and ε → 0, σ(F̂(x)) = exp(D̃(x) − D̃_M): the exact rule. A
    positive `gamma` accepts fewer samples (those D rates highest), a
    negative one more. D̃_M is first estimated on `burn_in` samples, then
    raised whenever a larger logit appears (the paper's Algorithm 1).

    With packing (PacGAN, `packing=m`) D scores packs of m samples, and its
    logit estimates the ratio of the packs' densities, p_dataᵐ / p_Gᵐ:
    whole packs are accepted or rejected, so the accepted samples follow
    p_data under the same assumption. The sampler reads D's adversarial
    output (`model.adversarial_output`: the semi-supervised GAN's
    logsumexp of its class logits), as trained.

    `discriminator=` replaces D by a network fitted after training to tell
    real samples from this sampler's own, one sample at a time
    (`fit_rejection_discriminator`: the paper's Algorithm 1 keeps training
    D before sampling). Fitted with the sampler's `ema`, its logit
    estimates log p_data/p of the samples actually filtered (the moving
    average's included), whatever the model's loss, packing or layers. It
    must score each sample on its own (no batch statistics).

    `burn_in_quantile` below 1 takes D̃_M as that quantile of the burn-in
    logits, fixed from then on, rather than their maximum: samples above
    it are accepted outright. The exact rule's acceptance rate is the
    ratio's mean over its maximum, which a single outlying logit drives to
    zero; a quantile keeps the rule's ordering (the lower a sample's ratio,
    the likelier its rejection) at a useful rate.

    Example:

    ```python
    sampler = kerasgan.sampling.DiscriminatorRejectionSampler(model, burn_in=10_000)
    images = sampler.sample(64, seed=0)
    print(sampler.acceptance_rate)
    ```

    Args:
        model: a trained latent-vector GAN compiled with a log-likelihood
            loss without label smoothing, not class-conditional.
        gamma: the shift γ of F̂ (0: the exact rule).
        epsilon: ε, which keeps the logarithm finite at the largest logit.
        burn_in: samples drawn first to estimate D̃_M.
        batch_size: candidates generated and scored per call.
        ema: filter the moving-average generator's samples instead of G's.
            D was trained against G, so its logit estimates log p_data/p_G,
            not the average's ratio: a heuristic (default False).
        max_candidates: candidates scored (after the burn-in) before
            `sample` gives up with an error that reports the acceptance rate.
        pack_mates: with packing, judge each sample rather than each pack:
            its logit is the mean of D over packs of it with `pack_mates`
            fixed tuples of m − 1 other generated samples (drawn once, on
            the first `sample`). For the optimal packed D, whose logit is
            the sum of the pack's per-sample log ratios, the mates add a
            constant, so each sample is accepted by its own ratio
            (acceptance about 1/M rather than 1/Mᵐ). Default: whole packs.
        discriminator: a network that maps a batch of samples to one logit
            each, used instead of the model's D (e.g. from
            `fit_rejection_discriminator`). Default: the model's D.
        burn_in_quantile: D̃_M is this quantile of the burn-in logits, in
            (0, 1]; 1 (the default) is their maximum, which later larger
            logits raise.
    """

    def __init__(self, model, gamma=0.0, epsilon=1e-6, burn_in=10_000, batch_size=1000, ema=False,
                 max_candidates=100_000_000, pack_mates=None, discriminator=None, burn_in_quantile=1.0):
        if not isinstance(model, LatentGAN):
            raise ValueError(
                f"Discriminator rejection sampling filters a latent-vector GAN's samples with its "
                f"discriminator; {type(model).__name__} is not one (a kerasgan LatentGAN: GAN, DCGAN, "
                "NetworkGAN, ...)."
            )
        if model.generates_by_class:
            raise ValueError(
                f"{type(model).__name__} is class-conditional; DiscriminatorRejectionSampler "
                "supports unconditional models only."
            )
        if discriminator is not None:
            if not callable(discriminator):
                raise ValueError(f"discriminator must be a network that maps samples to logits (a Keras "
                                 f"model); got {discriminator!r}.")
            if pack_mates is not None:
                raise ValueError("pack_mates scores samples with the model's packed discriminator; a "
                                 "given discriminator scores single samples: leave it out.")
        else:
            self._check_model_discriminator(model)
        burn_in = validation.positive_int(burn_in, "burn_in")
        batch_size = validation.positive_int(batch_size, "batch_size")
        max_candidates = validation.positive_int(max_candidates, "max_candidates")
        if not np.isfinite(gamma):
            raise ValueError(f"gamma must be a finite number; got {gamma!r}.")
        if not 0.0 < epsilon < 1.0:
            raise ValueError(f"epsilon must be in (0, 1); got {epsilon!r}.")
        if isinstance(burn_in_quantile, bool) or not isinstance(burn_in_quantile, (int, float, np.floating)) \
                or not 0.0 < burn_in_quantile <= 1.0:
            raise ValueError(f"burn_in_quantile must be in (0, 1] (1: the burn-in's largest logit); "
                             f"got {burn_in_quantile!r}.")
        if ema and model.ema_generator is None:
            raise ValueError("ema=True needs a model that keeps a moving average of G.")
        self.model = model
        self.discriminator = discriminator
        self.burn_in_quantile = float(burn_in_quantile)
        self.gamma = float(gamma)
        self.epsilon = float(epsilon)
        self.burn_in = burn_in
        # A given discriminator scores single samples.
        self.packing = 1 if discriminator is not None else model.packing
        # Whole packs per call.
        self.batch_size = max(self.packing, batch_size // self.packing * self.packing)
        self.ema = bool(ema)
        if pack_mates is not None:
            if self.packing == 1:
                raise ValueError("pack_mates scores single samples with a packed discriminator; this "
                                 "model has no packing (packing=1): leave it out.")
            pack_mates = validation.positive_int(pack_mates, "pack_mates")
        self.pack_mates = pack_mates
        self.mates = None
        self.max_candidates = max_candidates
        self.max_logit = None
        self.candidates = 0
        self.accepted = 0

    @staticmethod
    def _check_model_discriminator(model):
        """Refuses a model whose own D's logit is no density ratio."""
        if not model.uses_adversarial_loss:
            raise ValueError(
                f"{type(model).__name__}'s discriminator gives no logit (it is scored by its own "
                "losses, not an adversarial loss), so it cannot filter samples."
            )
        loss = getattr(model, "adversarial_loss", None)
        if loss is None:
            raise ValueError(
                "Discriminator rejection sampling needs a compiled model: its adversarial loss "
                "says whether D's logit estimates log p_data/p_G."
            )
        if not isinstance(loss, _LogLikelihoodLoss):
            raise ValueError(
                f"Discriminator rejection sampling needs a discriminator whose logit estimates "
                f"log p_data(x)/p_G(x): the 'non_saturating' or 'minimax' loss; this model's "
                f"loss is {loss!r}, whose optimal discriminator is no density ratio."
            )
        if loss.label_smoothing:
            raise ValueError(
                f"Discriminator rejection sampling needs a discriminator trained without label "
                f"smoothing (got label_smoothing={loss.label_smoothing}): with it the optimal "
                "logit is no longer log p_data/p_G."
            )
        batch_dependent = [layer.name for layer in model.discriminator._flatten_layers(include_self=False)
                           if isinstance(layer, MinibatchDiscrimination)]
        if batch_dependent:
            raise ValueError(
                f"The discriminator's layer {batch_dependent[0]!r} compares each sample with the "
                "others of its batch, so its logit is no density ratio of one sample; discriminator "
                "rejection sampling cannot use it."
            )

    @property
    def acceptance_rate(self):
        """Accepted samples over candidates (burn-in excluded), since the sampler was made."""
        return self.accepted / self.candidates if self.candidates else float("nan")

    def logits(self, samples):
        """D's logit per pack of `samples` (per sample without packing, or
        with `pack_mates`), as numpy."""
        if self.mates is not None:
            # Sample i in a pack with each fixed tuple of mates; the mean over
            # the tuples. For the optimal packed D (a sum of per-sample log
            # ratios) the mates add the same constant to every sample.
            scores = [self._pack_logits(np.concatenate(
                [samples[:, None], np.broadcast_to(mates[None], (len(samples),) + mates.shape)], axis=1
            ).reshape((-1,) + samples.shape[1:])) for mates in self.mates]
            return np.mean(scores, axis=0)
        return self._pack_logits(samples)

    def _pack_logits(self, samples):
        if self.discriminator is not None:
            logits = np.asarray(ops.convert_to_numpy(self.discriminator(ops.convert_to_tensor(samples))),
                                "float64")
        else:
            outputs = self.model.discriminate(ops.convert_to_tensor(samples), training=False)
            logits = np.asarray(ops.convert_to_numpy(self.model.adversarial_output(outputs)), "float64")
        packs = len(samples) // self.packing
        if logits.size != packs:
            raise ValueError(
                f"The discriminator gave {logits.shape} for {packs} packs of samples; discriminator "
                "rejection sampling needs one logit per pack."
            )
        logits = logits.reshape(-1)
        if not np.all(np.isfinite(logits)):
            raise ValueError("The discriminator gave a non-finite logit (NaN or inf); the model cannot be "
                             "sampled by rejection.")
        return logits

    def acceptance_probability(self, logits, max_logit):
        """σ(F̂(x)) for D's logits, given the largest logit D̃_M (§3.2)."""
        delta = np.minimum(np.asarray(logits, "float64") - max_logit, 0.0)
        f = delta - np.log1p(-np.exp(delta - self.epsilon)) - self.gamma
        with np.errstate(over="ignore"):  # exp(-f) = inf for a hopeless sample: probability 0
            return 1.0 / (1.0 + np.exp(-f))

    def _candidates(self, n, rng):
        latent = self.model.latent_noise(n, seed=rng)  # continues `rng`'s stream
        samples = self.model.generate(latent=latent, batch_size=self.batch_size, ema=self.ema)
        return samples, self.logits(samples)

    def sample(self, n, seed=None):
        """`n` accepted samples as a numpy array.

        A new sampler given the same seed returns the same samples. The
        burn-in runs on the first call only, and D̃_M persists (and, with
        `burn_in_quantile=1`, may rise) from call to call, so a second call
        with a seed continues from there."""
        if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
            raise ValueError(f"sample needs n, a whole number of samples >= 1; got {n!r}.")
        rng = np.random.default_rng(seed)
        if self.pack_mates and self.mates is None:  # fixed mates: tuples of generated samples
            drawn = self.model.generate(
                latent=self.model.latent_noise(self.pack_mates * (self.packing - 1), seed=rng), ema=self.ema)
            self.mates = drawn.reshape((self.pack_mates, self.packing - 1) + drawn.shape[1:])
        if self.max_logit is None:  # D̃_M from `burn_in` samples (whole batches)
            scored = []
            while len(scored) * self.batch_size < self.burn_in:
                scored.append(self._candidates(self.batch_size, rng)[1])
            self.max_logit = float(np.quantile(np.concatenate(scored), self.burn_in_quantile))
        kept = []
        count = 0
        while count < n:
            if self.candidates >= self.max_candidates:
                raise RuntimeError(
                    f"Discriminator rejection sampling kept {self.accepted:,} of {self.candidates:,} "
                    f"candidates ({100 * self.acceptance_rate:.4f}%), short of {n:,} samples, at "
                    f"max_candidates={self.max_candidates:,}: D's largest logit ({self.max_logit:.2f}) "
                    "is far above most samples'. Raise max_candidates, or accept more with a negative gamma."
                )
            samples, logits = self._candidates(self.batch_size, rng)
            if self.burn_in_quantile == 1.0:  # the largest logit seen so far
                self.max_logit = max(self.max_logit, float(logits.max()))
            accept = rng.random(len(logits)) < self.acceptance_probability(logits, self.max_logit)
            self.candidates += len(samples)
            if self.mates is None:  # a pack's verdict holds for each of its samples
                accept = np.repeat(accept, self.packing)
            self.accepted += int(accept.sum())
            kept.append(samples[accept])
            count += int(accept.sum())
        return np.concatenate(kept, axis=0)[:n]

    def __repr__(self):
        return (
            f"DiscriminatorRejectionSampler(model={self.model.name!r}, gamma={self.gamma}, "
            f"epsilon={self.epsilon}, burn_in={self.burn_in}, burn_in_quantile={self.burn_in_quantile})"
        )

