"""Optional faster forms of Keras ops for kerasgan's train steps.

Each backend's train step runs inside `scope()`, which installs this
backend's replacements of Keras's private backend ops (convolutions with
faster gradients, a Winograd form of DCGAN's 4×4 stride-2 convolutions on
torch, batch-norm statistics as dots on JAX and torch's fused batch norm)
and removes them when it closes. Every replacement computes the same linear
map as Keras's op (tests/test_backend_convolutions.py,
tests/test_backend_batch_normalization.py); docs/performance.md has the
figures.

One switch turns all of them off: the environment variable
`KERASGAN_FAST_OPS=0` (read at each step) or `kerasgan.fast_ops.ENABLED =
False`. Each module also has its own `ENABLED` flag. If a module cannot be
imported (a renamed private Keras module), `scope()` warns once and the
steps use Keras's own ops.

Example:

```python
import kerasgan
kerasgan.fast_ops.ENABLED = False      # Keras's own ops in every step
with kerasgan.fast_ops.scope():         # what each train step enters
    ...
```
"""

import contextlib
import importlib
import os
import warnings

ENV = "KERASGAN_FAST_OPS"
ENABLED = True

# The context managers each backend's step enters: (module, function).
_SCOPES = {
    "tensorflow": (("tensorflow_convolutions", "fast_convolutions"),),
    "jax": (
        ("jax_convolutions", "fast_convolutions"),
        ("jax_batch_normalization", "fast_batch_normalization"),
    ),
    "torch": (
        ("torch_convolutions", "fast_convolutions"),
        ("torch_batch_normalization", "fast_batch_normalization"),
    ),
}
_failed = set()


def enabled():
    """False when `ENABLED` is False or `KERASGAN_FAST_OPS` is 0/false/off/no."""
    setting = os.environ.get(ENV, "1").strip().lower()
    return ENABLED and setting not in ("0", "false", "off", "no")


@contextlib.contextmanager
def scope(backend=None):
    """Installs the fast paths of `backend` (default: Keras's active one)
    for the duration of the context; nothing when they are switched off."""
    if not enabled():
        yield
        return
    if backend is None:
        import keras

        backend = keras.backend.backend()
    with contextlib.ExitStack() as stack:
        for module_name, function in _SCOPES.get(backend, ()):
            module = _import(module_name)
            if module is not None:
                stack.enter_context(getattr(module, function)())
        yield


def _import(module_name):
    if module_name in _failed:
        return None
    try:
        return importlib.import_module(f"kerasgan.fast_ops.{module_name}")
    except Exception as error:  # e.g. a private Keras module renamed
        _failed.add(module_name)
        warnings.warn(
            f"kerasgan.fast_ops.{module_name} is unavailable ({type(error).__name__}: "
            f"{error}); kerasgan's steps use Keras's own ops instead.",
            RuntimeWarning,
            stacklevel=3,
        )
        return None
