"""Learning-rate schedules of the reference implementations."""

from kerasgan.schedules.linear_decay import LinearDecay
from kerasgan.schedules.growth_schedule import GrowthSchedule
