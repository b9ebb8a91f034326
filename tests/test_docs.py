"""Every python code block in docs/variants.md runs, in order, on every backend."""

import os
import re

import pytest

DOC = os.path.join(os.path.dirname(__file__), "..", "docs", "variants.md")


def code_blocks():
    with open(DOC, encoding="utf-8") as f:
        return re.findall(r"```python\n(.*?)```", f.read(), flags=re.S)


@pytest.mark.slow
def test_variant_examples_run():
    kerasgan = pytest.importorskip("kerasgan")
    try:
        kerasgan.data.load_fashion_mnist()
    except kerasgan.data.DatasetNotFoundError as error:
        pytest.skip(f"Fashion-MNIST is not installed: {error}")
    blocks = code_blocks()
    assert len(blocks) >= 10
    namespace = {}
    for i, block in enumerate(blocks):
        try:
            exec(compile(block, f"docs/variants.md block {i}", "exec"), namespace)
        except Exception as error:  # name the block that failed
            raise AssertionError(f"docs/variants.md code block {i} failed:\n{block}") from error
