"""Every python code block of the executable docs runs, in order, on every backend."""

import os
import re

import pytest

DOCS = os.path.join(os.path.dirname(__file__), "..", "docs")


def code_blocks(name):
    with open(os.path.join(DOCS, name), encoding="utf-8") as f:
        return re.findall(r"```python\n(.*?)```", f.read(), flags=re.S)


def run_blocks(name, minimum):
    kerasgan = pytest.importorskip("kerasgan")
    try:
        kerasgan.data.load_fashion_mnist()
    except kerasgan.data.DatasetNotFoundError as error:
        pytest.skip(f"Fashion-MNIST is not installed: {error}")
    blocks = code_blocks(name)
    assert len(blocks) >= minimum
    namespace = {}
    for i, block in enumerate(blocks):
        try:
            exec(compile(block, f"docs/{name} block {i}", "exec"), namespace)
        except Exception as error:  # name the block that failed
            raise AssertionError(f"docs/{name} code block {i} failed:\n{block}") from error
    return namespace


@pytest.mark.slow
def test_variant_examples_run():
    run_blocks("variants.md", minimum=10)


def test_performance_examples_run():
    import keras

    try:
        namespace = run_blocks("performance.md", minimum=2)
    finally:
        keras.config.set_dtype_policy("float32")
    assert str(namespace["samples"].dtype) == "float32"
    assert namespace["model"].generator.compute_dtype == "bfloat16"
    assert namespace["fast"].reuse_fakes
    assert int(namespace["fast"].player_optimizer("generator").iterations.numpy()) == 4
