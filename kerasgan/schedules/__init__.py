"""Learning-rate schedules of the reference implementations."""

from kerasgan.schedules.linear_decay import LinearDecay
