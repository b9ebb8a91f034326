"""Weight constraints used by kerasgan."""

from kerasgan.constraints.clip_weights import ClipWeights  # noqa: F401
