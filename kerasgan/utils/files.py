"""Atomic file writes: a crash or a NaN never leaves a half-written file."""

import contextlib
import glob
import json
import math
import os
import tempfile


@contextlib.contextmanager
def atomic_path(path):
    """Yields a temporary path beside `path`; renames it onto `path` on success.

    Temporary files left beside `path` by earlier writes that were killed
    are removed first.

    Example:

    ```python
    with atomic_path("model.keras") as tmp:
        model.save(tmp)
    ```
    """
    path = os.fspath(path)
    directory = os.path.dirname(os.path.abspath(path))
    os.makedirs(directory, exist_ok=True)
    base = os.path.basename(path)
    # Keep the suffix: Keras chooses the format from it (.keras, .weights.h5).
    suffix = "".join(base.partition(".")[1:]) if "." in base else ""
    # Temporary files of writes of this path that a kill interrupted.
    for stale in glob.glob(os.path.join(glob.escape(directory), f".{glob.escape(base)}.*{glob.escape(suffix)}")):
        if os.path.isfile(stale):
            os.remove(stale)
    fd, tmp = tempfile.mkstemp(prefix=f".{base}.", suffix=suffix, dir=directory)
    os.close(fd)
    os.remove(tmp)
    try:
        yield tmp
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)


def save_model_atomic(model, path):
    """`model.save(path)` (or `save_weights` for .weights.h5), atomically."""
    with atomic_path(path) as tmp:
        if os.fspath(path).endswith(".weights.h5"):
            model.save_weights(tmp)
        else:
            model.save(tmp)


def write_json_atomic(obj, path):
    """Writes `obj` as JSON, atomically; NaN and infinities become null (valid JSON)."""
    with atomic_path(path) as tmp:
        with open(tmp, "w") as f:
            json.dump(_finite(obj), f, indent=2, allow_nan=False)
            f.write("\n")


def _finite(obj):
    if isinstance(obj, float):
        return obj if math.isfinite(obj) else None
    if isinstance(obj, dict):
        return {key: _finite(value) for key, value in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_finite(value) for value in obj]
    return obj
