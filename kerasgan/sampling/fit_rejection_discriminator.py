"""A discriminator fitted after training, for rejection sampling."""

import keras
import numpy as np

from kerasgan.engine import validation
from kerasgan.engine.latent_gan import LatentGAN


def fit_rejection_discriminator(model, real, network, epochs=5, batch_size=500, ema=False, optimizer=None,
                                seed=None, verbose=0):
    """Trains `network` to tell real samples from `model`'s, one at a time.

    Discriminator rejection sampling (Azadi et al. 2019, Algorithm 1)
    keeps training D before it filters samples, so that its logit is the
    density ratio of the samples it filters. This fits a separate network
    by logistic regression on `real` (label 1) against as many generated
    samples (label 0; a fresh draw every epoch, from G or, with
    `ema=True`, from its moving average). With equal numbers of each, the
    optimal logit is log p_data(x) / p(x) of the generated distribution:
    what `DiscriminatorRejectionSampler(model, discriminator=network,
    ema=ema)` needs. Unlike the model's own D, the network sees single
    samples (whatever the model's packing) and is trained against the
    samples actually filtered (the moving average's included).

    Example:

    ```python
    network = keras.Sequential([
        keras.Input((2,)), kerasgan.layers.RandomFourierFeatures(256, scale=10.0),
        keras.layers.Dense(256, activation="relu"), keras.layers.Dense(1)])
    kerasgan.sampling.fit_rejection_discriminator(model, x_real, network, epochs=5)
    sampler = kerasgan.sampling.DiscriminatorRejectionSampler(
        model, discriminator=network, burn_in_quantile=0.95)
    samples = sampler.sample(1000, seed=0)
    ```

    Args:
        model: a trained, unconditional latent-vector GAN.
        real: real samples, a numpy array of shape `(n, *model.data_shape)`.
        network: a Keras model mapping a batch of samples to one logit
            each, each sample scored on its own (no batch statistics);
            it is compiled here and trained in place.
        epochs: passes over `real` (each with new generated samples).
        batch_size: samples per gradient step (half real on average).
        ema: fit against the moving average's samples rather than G's.
        optimizer: the network's optimizer (default `Adam(1e-3)`).
        seed: seeds the generated samples' latent vectors and the
            shuffling (the network's initial weights are its own).
        verbose: Keras progress output of each epoch's `fit`.

    Returns:
        A dict of per-epoch lists: `"loss"` (binary cross-entropy) and
        `"accuracy"` (the share of samples on the right side of logit 0),
        on the training pairs.
    """
    if not isinstance(model, LatentGAN) or model.generates_by_class:
        raise ValueError(f"fit_rejection_discriminator needs an unconditional latent-vector GAN; got "
                         f"{type(model).__name__}.")
    if ema and model.ema_generator is None:
        raise ValueError("ema=True needs a model that keeps a moving average of G "
                         "(start_generator_ema(DECAY)).")
    real = np.asarray(real, "float32")
    validation.check_training_data(real, model.data_shape, model.data_range)
    if len(real) < 2:
        raise ValueError(f"fit_rejection_discriminator needs at least 2 real samples; got {len(real)}.")
    epochs = validation.positive_int(epochs, "epochs")
    batch_size = validation.positive_int(batch_size, "batch_size")
    probe = keras.ops.convert_to_numpy(network(real[:2]))
    if probe.size != 2:
        raise ValueError(f"network must give one logit per sample; it gave shape {probe.shape} for 2 "
                         "samples.")
    network.compile(optimizer=optimizer or keras.optimizers.Adam(1e-3),
                    loss=keras.losses.BinaryCrossentropy(from_logits=True),
                    metrics=[keras.metrics.BinaryAccuracy(threshold=0.0, name="accuracy")])  # logit > 0
    rng = np.random.default_rng(seed)
    labels = np.concatenate([np.ones(len(real)), np.zeros(len(real))]).astype("float32")
    history = {"loss": [], "accuracy": []}
    for _ in range(epochs):
        fake = model.generate(latent=model.latent_noise(len(real), seed=rng), ema=ema, batch_size=batch_size)
        order = rng.permutation(2 * len(real))
        x = np.concatenate([real, fake.astype("float32")])[order]
        logs = network.fit(x, labels[order], batch_size=batch_size, epochs=1, shuffle=False,
                           verbose=verbose).history
        history["loss"].append(float(logs["loss"][-1]))
        history["accuracy"].append(float(logs["accuracy"][-1]))
    return history
