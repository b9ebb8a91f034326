"""Pretrained feature extractors for GAN evaluation metrics (FID, Inception Score)."""

from kerasgan.extractors.average_pooling_exclude_pad import (  # noqa: F401
    AveragePooling2DExcludePad,
)
from kerasgan.extractors.fid_inception import FID_WEIGHTS_URL  # noqa: F401
from kerasgan.extractors.fid_inception import WEIGHTS_ENV_VAR  # noqa: F401
from kerasgan.extractors.fid_inception import InceptionFeatureExtractor  # noqa: F401
from kerasgan.extractors.fid_inception import InceptionWeightsNotFoundError  # noqa: F401
from kerasgan.extractors.fid_inception import convert_state_dict  # noqa: F401
from kerasgan.extractors.fid_inception import default_weights_path  # noqa: F401
from kerasgan.extractors.fid_inception import fid_inception_v3  # noqa: F401
from kerasgan.extractors.fid_inception import load_pytorch_state_dict  # noqa: F401
from kerasgan.extractors.fid_inception import resolve_weights_path  # noqa: F401
from kerasgan.extractors.fashion_mnist_classifier import (  # noqa: F401
    FashionMNISTFeatureExtractor,
    fashion_mnist_classifier,
)
from kerasgan.extractors.registry import get  # noqa: F401
