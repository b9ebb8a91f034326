"""Callbacks for adversarial training."""

from kerasgan.callbacks.evaluation import GANEvaluation
from kerasgan.callbacks.growth_grid import GrowthGrid
from kerasgan.callbacks.loss_history import LossHistory
from kerasgan.callbacks.model_checkpoint import AtomicModelCheckpoint
from kerasgan.callbacks.nan_guard import NaNGuard
from kerasgan.callbacks.sample_grid import SampleGrid
from kerasgan.callbacks.sample_scatter import SampleScatter
from kerasgan.callbacks.training_report import TrainingReport
from kerasgan.callbacks.preview_grid import PreviewGrid
