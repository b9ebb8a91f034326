"""benchmarks/semi_supervised_fashion_mnist.py: the reference code's MNIST
networks, the averaging of D's weights, and one short run of each method."""

import argparse
import os

import keras
import numpy as np
import pytest

from conftest import load_script

# The benchmark script's plumbing: run once (scripts/test.sh).
pytestmark = pytest.mark.once

SCRIPT = os.path.join(
    os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
    "benchmarks", "semi_supervised_fashion_mnist.py",
)


@pytest.fixture(scope="module")
def bench():
    return load_script(SCRIPT, "semi_supervised_benchmark")


def made_images(n, seed=0):
    rng = np.random.default_rng(seed)
    y = np.arange(n) % 10
    x = np.tanh(0.3 * rng.standard_normal((n, 28, 28, 1)) + (y[:, None, None, None] - 4.5) / 5)
    return x.astype("float32"), y.astype("int32")


def test_mlp_networks_are_the_reference_codes(bench):
    x, _ = made_images(500)
    args = argparse.Namespace(networks="mlp", input_noise=0.6, latent_dim=100, width=32)
    generator, discriminator, features = bench.build_networks(args, x)
    assert features == "features" and discriminator.get_layer("features").units == 250
    # Weight-normalized dense layers: direction (in × out), scale and bias per unit.
    sizes = [784, 1000, 500, 250, 250, 250, 10]
    assert discriminator.count_params() == sum(a * b + 2 * b for a, b in zip(sizes, sizes[1:]))
    trainable = sum(int(np.prod(w.shape)) for w in discriminator.trainable_weights)
    assert trainable == discriminator.count_params() - sum(sizes[1:-1])  # hidden scales fixed
    noise = [l.stddev for l in discriminator.layers if isinstance(l, keras.layers.GaussianNoise)]
    assert noise == [0.6] + [0.5] * 5
    # Initialised from the data: the first layer's pre-activations are standardised.
    layer = discriminator.get_layer("dense_0")
    pre = x.reshape(500, -1) @ keras.ops.convert_to_numpy(layer.effective_kernel())
    pre = pre + keras.ops.convert_to_numpy(layer.bias)
    np.testing.assert_allclose(pre.std(axis=0), 1.0, rtol=1e-3)
    # G: 100 → 500 → 500 (batch norm, softplus) → 784, tanh.
    assert generator.count_params() == 100 * 500 + 4 * 500 + 500 * 500 + 4 * 500 + 500 * 784 + 784
    assert generator.output_shape == (None, 28, 28, 1)


def test_weight_average_is_a_running_mean_then_an_exponential_average(bench):
    network = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
    average = bench.WeightAverage(network, every=2, horizon=3)
    average.set_model(network)
    snapshots = []
    for step in range(12):
        value = np.float32(step)
        network.set_weights([np.full((2, 1), value), np.full((1,), -value)])
        average.on_train_batch_end(step)
        if (step + 1) % 2 == 0:
            snapshots.append(value)
    expected = snapshots[0]
    for k, value in enumerate(snapshots[1:], start=2):
        expected += max(1 / 3, 1 / k) * (value - expected)
    np.testing.assert_allclose(average.average[0], np.full((2, 1), expected), rtol=1e-6)
    assert average.evaluate(lambda: float(network.get_weights()[1][0])) == pytest.approx(-expected)
    assert float(network.get_weights()[1][0]) == -11.0  # put back


@pytest.mark.parametrize("networks", ["mlp", "dcgan-dropout"])
def test_a_short_run_of_each_method(bench, networks):
    x, y = made_images(600)
    x_test, y_test = made_images(200, seed=1)
    args = bench.parse_args(["--quick", "--networks", networks, "--width", "8", "--iterations", "8",
                             "--checkpoints", "2", "--batch-size", "40", "--average-every", "2",
                             "--entropy-weight", "0.5"])
    args.current_labels = 100
    from kerasgan.models import SemiSupervisedGAN

    xs, ys, labelled = SemiSupervisedGAN.training_arrays(x, y, 10, seed=0)
    ssgan = bench.run_ssgan(args, 0, xs, ys, x_test, y_test, x[:200], x[:100])
    assert [p["iterations"] for p in ssgan["curve"]] == [4, 8]
    assert "conditional_entropy" in ssgan["curve"][-1]["logs"]  # --entropy-weight reached the model
    assert 0.0 <= ssgan["test_error"] <= 1.0 and ssgan["test_error"] == ssgan["test_error_averaged"]
    # Only a D with batch norm has the evaluation choice to report.
    assert ("test_error_last_real_bn_stats" in ssgan) == (networks != "mlp")
    # The confusion matrix (rows: true class) agrees with the test error.
    matrix = np.array(ssgan["confusion"])
    assert matrix.shape == (10, 10) and matrix.sum() == len(y_test)
    np.testing.assert_array_equal(matrix.sum(1), np.bincount(y_test, minlength=10))
    assert 1 - np.trace(matrix) / len(y_test) == pytest.approx(ssgan["test_error"])
    baseline = bench.run_baseline(args, 0, x[labelled], y[labelled], x_test, y_test, x[:200])
    assert 1 <= baseline["epochs"] <= 6 and 0.0 <= baseline["test_error"] <= 1.0
    matrix = np.array(baseline["confusion_max_epochs"])
    assert 1 - np.trace(matrix) / len(y_test) == pytest.approx(baseline["test_error_max_epochs"])
    np.testing.assert_array_equal(
        bench.confusion([0, 2, 2, 1], [0, 2, 1, 1]),
        np.diag([1, 1, 1] + [0] * 7) + np.eye(10, dtype=int)[[1]].T @ np.eye(10, dtype=int)[[2]])
    with pytest.raises(SystemExit):
        bench.parse_args(["--labels", "105"])


def test_label_structure_nearest_neighbour_matches_numpy_and_the_all_labels_run(bench):
    x, y = made_images(300)
    x_test, y_test = made_images(70, seed=1)
    x_test = x_test + np.random.default_rng(2).normal(0, 3.0, x_test.shape).astype("float32")
    predictions = bench.nearest_neighbour_predictions(x, y, x_test, chunk=32)
    distances = np.linalg.norm(
        x_test.reshape(70, 1, -1).astype("float64") - x.reshape(1, 300, -1).astype("float64"), axis=-1)
    np.testing.assert_array_equal(predictions, y[distances.argmin(1)])
    errors = bench.per_class_error(predictions, y_test)
    wrong = predictions != y_test
    assert 0 < wrong.sum() < len(wrong)  # the noise makes some errors, not all
    assert errors == pytest.approx([wrong[y_test == c].mean() for c in range(10)])
    args = bench.parse_args(["--label-structure", "--all-labels-epochs", "2", "--quick"])
    result = bench.run_label_structure(args, x, y, x_test, y_test)
    assert result["nearest_neighbour"]["test_error"] == pytest.approx(wrong.mean())
    run = result["all_labels"]
    assert len(run["curve"]) == 2 and run["test_error"] == run["curve"][-1]
    assert run["best_test_error"] == min(run["curve"]) and len(run["per_class_error"]) == 10
