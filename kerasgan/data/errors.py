"""Errors raised by `kerasgan.data`, and the bookkeeping behind them.

Every loader in `kerasgan.data` looks for its files in several places
(an explicit `data_dir`, the `KERASGAN_DATA_DIR` environment variable,
system packages, the Keras cache, a download, TensorFlow Datasets).
When all of them fail, the loader raises a `DatasetNotFoundError` whose
message lists every place it looked, what went wrong there, and the
commands that fix it. `SearchLog` collects that list; the small helpers
below resolve the shared search locations and run downloads with a
timeout, so that every loader behaves the same way offline.

Nothing in this module imports Keras or TensorFlow at import time.
"""

import contextlib
import os
import socket

#: Environment variable naming a directory that holds local dataset files.
DATA_DIR_ENV = "KERASGAN_DATA_DIR"

#: Seconds a download may stall before it is abandoned.
DOWNLOAD_TIMEOUT = 30.0


class DatasetNotFoundError(FileNotFoundError):
    """A dataset could not be found locally, downloaded or built.

    The message names every place that was searched and how to fix it.

    Attributes:
        dataset: Human-readable dataset name, e.g. `"Fashion-MNIST"`.
        searched: List of `(place, outcome)` string pairs, in search order.
        fixes: List of suggested fixes (shell commands or instructions).
    """

    def __init__(self, message, dataset=None, searched=(), fixes=()):
        super().__init__(message)
        self.dataset = dataset
        self.searched = list(searched)
        self.fixes = list(fixes)

    def __str__(self):
        return self.args[0] if self.args else ""


class IDXFormatError(ValueError):
    """A file is not a valid IDX file (the MNIST file format)."""


class MissingDependencyError(ImportError):
    """An optional package that a loader needs is not installed."""


class UnknownDatasetError(ValueError):
    """`kerasgan.data.load()` got a name it cannot resolve."""


class SearchLog:
    """Records where a loader looked, to build a `DatasetNotFoundError`.

    Args:
        dataset: Human-readable dataset name used in the message.
        wanted: Optional description of the files that were looked for.

    Example:

    ```python
    log = SearchLog("Fashion-MNIST", wanted="train-images-idx3-ubyte.gz")
    log.add("KERASGAN_DATA_DIR", "not set")
    raise log.error(["apt-get install -y dataset-fashion-mnist"])
    ```
    """

    def __init__(self, dataset, wanted=None):
        self.dataset = dataset
        self.wanted = wanted
        self.entries = []

    def add(self, place, outcome):
        """Records that `place` was tried and what happened there."""
        self.entries.append((str(place), str(outcome)))

    def message(self, fixes):
        """Returns the full multi-line error message."""
        lines = [f"{self.dataset} was not found."]
        if self.wanted:
            lines.append(f"Looked for: {self.wanted}")
        lines.append("Places tried, in order:")
        lines += [f"  - {place}: {outcome}" for place, outcome in self.entries]
        if fixes:
            lines.append("To fix it, do one of:")
            lines += [f"  - {fix}" for fix in fixes]
        return "\n".join(lines)

    def error(self, fixes=()):
        """Returns (does not raise) the `DatasetNotFoundError`."""
        return DatasetNotFoundError(
            self.message(fixes),
            dataset=self.dataset,
            searched=self.entries,
            fixes=fixes,
        )


def keras_home():
    """Returns the Keras cache root (`$KERAS_HOME` or `~/.keras`)."""
    home = os.environ.get("KERAS_HOME")
    if home:
        return os.path.expanduser(home)
    return os.path.join(os.path.expanduser("~"), ".keras")


def keras_datasets_dir():
    """Returns the directory where `keras.utils.get_file` caches datasets."""
    return os.path.join(keras_home(), "datasets")


def user_dirs(data_dir, subdirs):
    """Lists the user-provided directories to search, in order.

    Args:
        data_dir: Explicit directory passed by the caller, or `None`.
        subdirs: Sub-directory names that may hold the dataset inside a
            data directory (e.g. `["fashion-mnist", "fashion_mnist"]`).

    Returns:
        A list of `(place, directory_or_None, reason)` triples. A `None`
        directory means the place was not configured (the reason says why).
    """
    found = []
    sources = (
        ("data_dir argument", data_dir, "not given"),
        (f"${DATA_DIR_ENV}", os.environ.get(DATA_DIR_ENV) or None, "not set"),
    )
    for place, root, reason in sources:
        if root is None:
            found.append((place, None, reason))
            continue
        root = os.path.expanduser(os.fspath(root))
        found.append((place, root, ""))
        found += [(place, os.path.join(root, sub), "") for sub in subdirs]
    return found


def describe_dir(directory, missing):
    """Returns a short outcome string for a directory that did not match."""
    if not os.path.isdir(directory):
        return f"{directory} (no such directory)"
    return f"{directory} (missing {', '.join(missing)})"


def download(fname, origin, cache_subdir, file_hash=None, extract=False):
    """Downloads `origin` with `keras.utils.get_file`, failing fast.

    The download runs with a socket timeout of `DOWNLOAD_TIMEOUT` seconds
    so that an offline machine fails promptly instead of hanging. Keras is
    imported only here, when a download is actually attempted.

    Returns:
        The local path returned by `keras.utils.get_file`.
    """
    from keras.utils import get_file

    with _socket_timeout(DOWNLOAD_TIMEOUT):
        return get_file(
            fname,
            origin=origin,
            cache_subdir=cache_subdir,
            cache_dir=keras_home(),
            file_hash=file_hash,
            extract=extract,
        )


def describe_exception(exc):
    """Formats an exception as `TypeName: message` on one line."""
    text = " ".join(str(exc).split())
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


@contextlib.contextmanager
def _socket_timeout(seconds):
    previous = socket.getdefaulttimeout()
    socket.setdefaulttimeout(seconds)
    try:
        yield
    finally:
        socket.setdefaulttimeout(previous)
