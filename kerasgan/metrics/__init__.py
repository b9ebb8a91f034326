"""Evaluation metrics for generative models, computed from numpy arrays.

Every function takes arrays of features, class probabilities, samples or
images (numpy arrays, lists, or backend tensors, which are converted to
numpy) and computes in float64 numpy/scipy, so the results do not depend
on the Keras backend. Pairwise computations run in row blocks of
`batch_size` to bound memory. Feature extraction (e.g. an Inception
network) is left to the caller.

Example:

```python
from kerasgan import metrics

fid = metrics.fid_from_features(real_features, fake_features)
kid, kid_std = metrics.kernel_inception_distance(real_features, fake_features)
is_mean, is_std = metrics.inception_score(class_probabilities)
pr = metrics.precision_recall(real_features, fake_features)
```
"""

from kerasgan.metrics.fid import feature_statistics
from kerasgan.metrics.fid import fid_from_features
from kerasgan.metrics.fid import frechet_distance
from kerasgan.metrics.fid import load_statistics
from kerasgan.metrics.fid import save_statistics
from kerasgan.metrics.isc import inception_score
from kerasgan.metrics.kid import kernel_inception_distance
from kerasgan.metrics.memorization import nearest_neighbours
from kerasgan.metrics.memorization import save_nearest_neighbour_grid
from kerasgan.metrics.modes import mode_coverage
from kerasgan.metrics.parzen import parzen_evaluation
from kerasgan.metrics.parzen import parzen_log_likelihood
from kerasgan.metrics.parzen import select_parzen_sigma
from kerasgan.metrics.prc import precision_recall

__all__ = [
    "feature_statistics",
    "fid_from_features",
    "frechet_distance",
    "inception_score",
    "kernel_inception_distance",
    "load_statistics",
    "mode_coverage",
    "nearest_neighbours",
    "parzen_evaluation",
    "parzen_log_likelihood",
    "precision_recall",
    "save_nearest_neighbour_grid",
    "save_statistics",
    "select_parzen_sigma",
]
