"""Zoo weights fetched by URL: download, cache, hash check, and clear errors.

A local HTTP server on 127.0.0.1 (a port the OS picks), started by the test
and stopped with it, serves the weights of a tiny model whose registry entry
gives their URL. Downloads go to $KERAS_HOME/kerasgan (here a temporary
folder). Backend-independent (the weights' loading is tested on every
backend in test_zoo.py): run once.
"""

import functools
import http.server
import json
import os
import threading

import numpy as np
import pytest

import kerasgan
from kerasgan import zoo

pytestmark = pytest.mark.once


class _Server:
    """Serves `directory` on 127.0.0.1 in a daemon thread until `stop()`."""

    def __init__(self, directory):
        handler = functools.partial(_QuietHandler, directory=str(directory))
        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.port = self.httpd.server_address[1]
        self.thread = threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05},
                                       daemon=True)
        self.thread.start()

    def url(self, name):
        return f"http://127.0.0.1:{self.port}/{name}"

    def stop(self):
        if self.thread.is_alive():
            self.httpd.shutdown()
            self.httpd.server_close()
            self.thread.join(timeout=10)


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


def _tiny_model():
    return kerasgan.models.GAN(data_shape=(2,), latent_dim=2, generator_units=(4,), discriminator_units=(4,),
                               data_range=None, output_activation=None, seed=0)


@pytest.fixture
def served(tmp_path, monkeypatch):
    """(zoo directory, server, model): a registry whose entry 'tiny' has URL weights."""
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras_home"))
    monkeypatch.delenv(zoo.ZOO_DIR_ENV, raising=False)
    for proxy in ("http_proxy", "HTTP_PROXY", "https_proxy", "HTTPS_PROXY", "all_proxy", "ALL_PROXY"):
        monkeypatch.delenv(proxy, raising=False)  # the server is on this machine
    files = tmp_path / "files"
    files.mkdir()
    model = _tiny_model()
    model.save_weights(str(files / "tiny.weights.h5"))
    server = _Server(files)
    directory = tmp_path / "zoo"
    directory.mkdir()
    entry = {"summary": "a tiny test model", "class": "GAN", "config": model.get_config(),
             "weights": server.url("tiny.weights.h5"), "sha256": zoo.sha256(files / "tiny.weights.h5")}
    (directory / "registry.json").write_text(json.dumps({"tiny": entry}))
    yield directory, server, model
    server.stop()


def _cache(tmp_path):
    return tmp_path / "keras_home" / "kerasgan"


def test_download_then_cache_hit_with_the_server_stopped(served, tmp_path):
    directory, server, model = served
    loaded = zoo.load("tiny", directory=str(directory))
    np.testing.assert_allclose(loaded.generate(8, seed=1), model.generate(8, seed=1), atol=1e-6)
    (cached,) = _cache(tmp_path).iterdir()  # $KERAS_HOME/kerasgan, nothing else left there
    assert cached.name.startswith("tiny-") and cached.name.endswith(".weights.h5")
    server.stop()
    again = zoo.load("tiny", directory=str(directory))  # no network needed
    np.testing.assert_allclose(again.generate(8, seed=1), model.generate(8, seed=1), atol=1e-6)
    # force_download must fetch, and cannot: a clear error, and the verified copy stays.
    with pytest.raises(zoo.WeightsDownloadError, match=r"Could not download .*'tiny'.*A verified copy stays"):
        zoo.load("tiny", directory=str(directory), force_download=True)
    assert [p.name for p in _cache(tmp_path).iterdir()] == [cached.name]
    assert zoo.sha256(cached) == zoo.entry("tiny", str(directory))["sha256"]


def test_force_download_replaces_a_cached_copy(served, tmp_path):
    directory, server, model = served
    zoo.weights_path("tiny", str(directory))
    (cached,) = _cache(tmp_path).iterdir()
    before = cached.stat().st_mtime_ns
    os.utime(cached, ns=(before - 10**9, before - 10**9))
    path = zoo.weights_path("tiny", str(directory), force_download=True)
    assert path == str(cached) and cached.stat().st_mtime_ns > before - 10**9


def test_a_corrupt_cached_copy_is_downloaded_again(served, tmp_path):
    directory, server, model = served
    path = zoo.weights_path("tiny", str(directory))
    data = bytearray(open(path, "rb").read())
    data[-50:] = bytes(b ^ 0xFF for b in data[-50:])
    open(path, "wb").write(bytes(data))
    assert zoo.sha256(path) != zoo.entry("tiny", str(directory))["sha256"]
    assert zoo.weights_path("tiny", str(directory)) == path
    assert zoo.sha256(path) == zoo.entry("tiny", str(directory))["sha256"]


def test_hash_mismatch_is_refused_and_nothing_is_kept(served, tmp_path):
    directory, server, model = served
    other = _tiny_model()
    other.generator.set_weights([w + 1.0 for w in other.generator.get_weights()])
    os.remove(tmp_path / "files" / "tiny.weights.h5")
    other.save_weights(str(tmp_path / "files" / "tiny.weights.h5"))  # the server now holds another file
    with pytest.raises(zoo.WeightsIntegrityError, match=r"downloaded from http://127\.0\.0\.1.*published SHA-256"):
        zoo.load("tiny", directory=str(directory))
    assert not _cache(tmp_path).exists() or not any(_cache(tmp_path).iterdir())


def test_unreachable_server_is_a_clear_error(served, tmp_path):
    directory, server, model = served
    server.stop()  # nothing listens on that port any more
    with pytest.raises(zoo.WeightsDownloadError, match=r"Could not download .*No verified copy is cached"):
        zoo.load("tiny", directory=str(directory))
    assert not _cache(tmp_path).exists() or not any(_cache(tmp_path).iterdir())


def test_a_missing_local_file_falls_back_to_the_entrys_url(served, tmp_path):
    directory, server, model = served
    registry = json.loads((directory / "registry.json").read_text())
    registry["tiny"]["url"] = registry["tiny"]["weights"]
    registry["tiny"]["weights"] = "tiny/model.weights.h5"  # not in the zoo directory
    (directory / "registry.json").write_text(json.dumps(registry))
    loaded = zoo.load("tiny", directory=str(directory))
    np.testing.assert_allclose(loaded.generate(4, seed=2), model.generate(4, seed=2), atol=1e-6)
    # The local file, once there, is used without the network.
    (directory / "tiny").mkdir()
    (directory / "tiny" / "model.weights.h5").write_bytes((tmp_path / "files" / "tiny.weights.h5").read_bytes())
    server.stop()
    assert zoo.weights_path("tiny", str(directory)) == str(directory / "tiny" / "model.weights.h5")


def test_zoo_dir_environment_variable_is_the_local_override(served, monkeypatch):
    directory, server, model = served
    monkeypatch.setenv(zoo.ZOO_DIR_ENV, str(directory))
    assert zoo.names() == ["tiny"]
    np.testing.assert_allclose(zoo.load("tiny").generate(4, seed=0), model.generate(4, seed=0), atol=1e-6)
