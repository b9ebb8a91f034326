"""benchmarks/mixed_precision_fashion_mnist.py: trains under both policies and scores the samples."""

import json
import os

import keras
import numpy as np
import pytest

from conftest import load_script

# The benchmark script's plumbing: run once (scripts/test.sh).
pytestmark = pytest.mark.once

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SCRIPT = os.path.join(ROOT, "benchmarks", "mixed_precision_fashion_mnist.py")


def test_table_gives_each_seed_and_the_mean_per_policy():
    bench = load_script(SCRIPT, "mixed_precision_benchmark")
    runs = [
        dict(policy=p, seed=s, fid=f, kid=0.1, precision=0.5, recall=0.4, images_per_second=100.0)
        for p, s, f in [("float32", 0, 20.0), ("float32", 1, 22.0), ("mixed_bfloat16", 0, 21.0)]
    ]
    text = bench.table(runs, ("float32", "mixed_bfloat16"))
    assert "| **float32 mean** | | **21.00** (sd 1.41) |" in text
    assert "| mixed_bfloat16 | 0 | 21.00 |" in text
    assert "mixed_bfloat16 mean" not in text  # one seed: no mean row


def test_short_run_trains_both_policies_on_the_current_backend(tmp_path):
    kerasgan = pytest.importorskip("kerasgan")
    try:
        kerasgan.data.load_fashion_mnist("test")
    except kerasgan.data.DatasetNotFoundError as error:
        pytest.skip(f"Fashion-MNIST is not installed: {error}")
    bench = load_script(SCRIPT, "mixed_precision_benchmark")
    out = tmp_path / "mp.json"
    backend = keras.backend.backend()
    args = bench.parse_args(["--backend", backend, "--limit", "128", "--num", "200",
                             "--seeds", "0", "--json", str(out)])
    previous = os.environ.get("KERAS_BACKEND")
    try:
        assert bench.main(args) == 0
    finally:  # main() sets it for its workers
        if previous is None:
            os.environ.pop("KERAS_BACKEND", None)
        else:
            os.environ["KERAS_BACKEND"] = previous
    result = json.loads(out.read_text())
    assert result["backend"] == backend and result["training_images"] == 128
    runs = {r["policy"]: r for r in result["runs"]}
    assert runs["float32"]["compute_dtype"] == "float32"
    assert runs["mixed_bfloat16"]["compute_dtype"] == "bfloat16"
    assert runs["mixed_bfloat16"]["variable_dtype"] == "float32"
    for r in runs.values():
        assert r["finite"] and np.isfinite([r["fid"], r["kid"], r["precision"], r["recall"]]).all()
        assert r["fid"] > 0 and np.isfinite(list(r["final_logs"].values())).all()
