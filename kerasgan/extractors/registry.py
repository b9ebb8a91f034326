"""Feature extractors for GAN metrics, by name.

Example:

```python
from kerasgan.extractors import registry

extractor = registry.get("fashion_mnist")           # FashionMNISTFeatureExtractor()
extractor = registry.get("inception", batch_size=50)  # InceptionFeatureExtractor(...)
```
"""

import difflib


def _fashion_mnist(**kwargs):
    from kerasgan.extractors.fashion_mnist_classifier import FashionMNISTFeatureExtractor

    return FashionMNISTFeatureExtractor(**kwargs)


def _inception(**kwargs):
    from kerasgan.extractors.fid_inception import InceptionFeatureExtractor

    return InceptionFeatureExtractor(**kwargs)


_EXTRACTORS = {
    "fashion_mnist": _fashion_mnist,
    "inception": _inception,
}


def names():
    """The names `get` accepts."""
    return sorted(_EXTRACTORS)


def get(name, **kwargs):
    """The feature extractor `name`, built with `kwargs`.

    "fashion_mnist": `FashionMNISTFeatureExtractor(**kwargs)` (the zoo
    classifier, 28x28x1 images); "inception": `InceptionFeatureExtractor(**kwargs)`
    (the FID Inception network). Raises ValueError for another name, listing
    the names and the closest match.
    """
    if not isinstance(name, str) or name not in _EXTRACTORS:
        close = difflib.get_close_matches(str(name), names(), n=1, cutoff=0.5)
        hint = f" Did you mean {close[0]!r}?" if close else ""
        raise ValueError(
            f"Unknown feature extractor {name!r}. Available: {', '.join(names())}.{hint}"
        )
    return _EXTRACTORS[name](**kwargs)
