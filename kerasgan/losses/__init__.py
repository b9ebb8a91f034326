"""Adversarial losses, by name or as objects."""

import difflib

import keras

from kerasgan.losses.adversarial_loss import AdversarialLoss
from kerasgan.losses.adversarial_loss import MinimaxLoss
from kerasgan.losses.adversarial_loss import NonSaturatingLoss
from kerasgan.losses.feature_matching import feature_matching_loss
from kerasgan.losses.gradient_penalty import gradient_penalty
from kerasgan.losses.gradient_penalty import random_interpolates
from kerasgan.losses.hinge import HingeLoss
from kerasgan.losses.least_squares import LeastSquaresLoss
from kerasgan.losses.wasserstein import WassersteinLoss

_LOSSES = {
    cls.name: cls
    for cls in (MinimaxLoss, NonSaturatingLoss, WassersteinLoss, HingeLoss, LeastSquaresLoss)
}


def names():
    """Names accepted by `get` and by `compile(loss=...)`."""
    return sorted(_LOSSES)


def get(identifier, **kwargs):
    """Returns an `AdversarialLoss` from a name, a config dict or an instance.

    Args:
        identifier: a name such as `"non_saturating"`, an `AdversarialLoss`
            instance, or a serialized config.
        **kwargs: options for a named loss (e.g. `label_smoothing=0.1`).
    """
    if isinstance(identifier, AdversarialLoss):
        if kwargs:
            raise ValueError(
                f"Options {sorted(kwargs)} apply to a loss given by name; set "
                f"them on the {type(identifier).__name__} object instead."
            )
        return identifier
    if isinstance(identifier, dict):
        loss = keras.saving.deserialize_keras_object(identifier)
        if not isinstance(loss, AdversarialLoss):
            raise ValueError(f"Config {identifier} is not an adversarial loss.")
        return loss
    if isinstance(identifier, str):
        if identifier not in _LOSSES:
            close = difflib.get_close_matches(identifier, names(), n=1)
            hint = f" Did you mean '{close[0]}'?" if close else ""
            raise ValueError(
                f"Unknown adversarial loss '{identifier}'. Available: "
                f"{', '.join(names())}.{hint}"
            )
        try:
            return _LOSSES[identifier](**kwargs)
        except TypeError:
            raise ValueError(
                f"The '{identifier}' loss does not take options {sorted(kwargs)}"
                " (label_smoothing applies to 'minimax' and 'non_saturating')."
            ) from None
    raise ValueError(
        "loss must be a name, an AdversarialLoss or a config dict; got "
        f"{identifier!r} of type {type(identifier).__name__}."
    )


def serialize(loss):
    return keras.saving.serialize_keras_object(loss)


__all__ = [
    "AdversarialLoss",
    "HingeLoss",
    "LeastSquaresLoss",
    "MinimaxLoss",
    "NonSaturatingLoss",
    "WassersteinLoss",
    "get",
    "gradient_penalty",
    "names",
    "random_interpolates",
    "serialize",
]
