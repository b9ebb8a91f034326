"""Every python code block of the executable docs runs on every backend.

docs/variants.md's blocks each run after the page's first block (imports, data).
"""

import os
import re

import pytest

# The docs' examples are backend-independent: run once (scripts/test.sh).
pytestmark = pytest.mark.once

DOCS = os.path.join(os.path.dirname(__file__), "..", "docs")


def code_blocks(name):
    with open(os.path.join(DOCS, name), encoding="utf-8") as f:
        return re.findall(r"```python\n(.*?)```", f.read(), flags=re.S)


def run_blocks(name, minimum, only=None):
    """Runs the blocks of docs/`name` in order, into one namespace.

    only=i runs block 0 (the page's imports and data) and then block i alone.
    """
    kerasgan = pytest.importorskip("kerasgan")
    try:
        kerasgan.data.load_fashion_mnist()
    except kerasgan.data.DatasetNotFoundError as error:
        pytest.skip(f"Fashion-MNIST is not installed: {error}")
    blocks = code_blocks(name)
    assert len(blocks) >= minimum
    indices = range(len(blocks)) if only is None else (0, only)
    namespace = {}
    for i in indices:
        try:
            exec(compile(blocks[i], f"docs/{name} block {i}", "exec"), namespace)
        except Exception as error:  # name the block that failed
            raise AssertionError(f"docs/{name} code block {i} failed:\n{blocks[i]}") from error
    return namespace


# docs/variants.md: block 0 imports and loads the data; each later block shows
# one variant and needs only block 0, so each is a test of its own (they then
# spread over pytest-xdist's workers).
VARIANT_BLOCKS = len(code_blocks("variants.md"))


def test_variants_page_has_its_examples():
    assert VARIANT_BLOCKS >= 10


@pytest.mark.slow
@pytest.mark.parametrize("block", range(1, VARIANT_BLOCKS))
def test_variant_example_runs(block):
    run_blocks("variants.md", minimum=10, only=block)


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


def test_readme_zoo_table_lists_every_entry_with_its_headline_and_samples():
    """The README's zoo table has a row per registry entry, with the headline
    `kerasgan zoo list` prints and, for a published generative model, the
    thumbnail of its samples (a file that exists)."""
    import json

    root = os.path.join(os.path.dirname(__file__), "..")
    with open(os.path.join(root, "kerasgan", "zoo", "registry.json"), encoding="utf-8") as f:
        registry = json.load(f)
    with open(os.path.join(root, "README.md"), encoding="utf-8") as f:
        rows = {m.group(1): line for line in f for m in [re.match(r"\| \[`([a-z0-9_]+)`\]\(kerasgan/zoo/", line)] if m}
    assert sorted(rows) == sorted(registry)
    for name, entry in registry.items():
        cells = [cell.strip() for cell in rows[name].strip().strip("|").split("|")]
        if entry.get("weights") is None:
            assert cells[2].startswith("not published yet"), (name, cells[2])
            continue
        assert cells[2] == entry["headline"], (name, cells[2], entry["headline"])
        if entry.get("samples"):
            thumbnail = f'<img src="kerasgan/zoo/{entry["samples"]}" width="96">'
            assert cells[3] == thumbnail and os.path.exists(os.path.join(root, "kerasgan", "zoo", entry["samples"]))
