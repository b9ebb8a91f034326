"""What a data-parallel run is compared by (tests/test_distributed.py,
tests/test_multihost.py): the whole training state as arrays, and its
comparison with the state of another run."""

import numpy as np


def model_state(model, numpy_of):
    """{name: array} of everything a train step changes: both networks' weights,
    their non-trainable variables (batch-norm moving statistics), every
    optimizer variable (moments, counters) and the latent `SeedGenerator` state.
    `numpy_of(variable)` gives a variable's value as a numpy array."""
    state = {}
    groups = {
        "trainable": model.trainable_variables,
        "non_trainable": model.non_trainable_variables,
        "optimizer": model.optimizer.variables,
    }
    for group, variables in groups.items():
        for i, variable in enumerate(variables):
            # Index and name: paths get suffixes in the second model of a process.
            state[f"{group}/{i:03d}:{variable.name}"] = numpy_of(variable)
    state["seed_generator_state"] = numpy_of(model.seed_generator.state)
    return state


def assert_same_state(one, two, rtol=1e-4, atol_scale=1e-5):
    """`two` equals `one` to float32 rounding: integer arrays (iteration
    counters, seed state) exactly, the others within `rtol` and
    `atol_scale` × the array's largest magnitude (by default 1e-4 and 1e-5).
    Returns how many batch-norm statistics (`bn`), optimizer variables and
    trainable weights were compared."""
    assert sorted(one) == sorted(two)
    kinds = {"bn": 0, "optimizer": 0, "trainable": 0}
    for name in sorted(one):
        a, b = one[name], two[name]
        if a.dtype.kind in "iu":  # iteration counters, seed state: exact
            np.testing.assert_array_equal(b, a, err_msg=name)
            continue
        scale = float(np.max(np.abs(a))) if a.size else 0.0
        np.testing.assert_allclose(b, a, rtol=rtol, atol=atol_scale * scale, err_msg=name)
        if "moving_" in name:
            kinds["bn"] += 1
        elif name.startswith("optimizer/"):
            kinds["optimizer"] += 1
        elif name.startswith("trainable/"):
            kinds["trainable"] += 1
    return kinds
