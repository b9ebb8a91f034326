"""Tests for kerasgan.metrics: each metric against an independent computation.

The metrics are numpy/scipy only; the suite still runs under every
KERAS_BACKEND, which also checks that backend tensors are accepted.
"""

import os

import keras
import numpy as np
import pytest
import scipy.special
import scipy.stats
from scipy.spatial.distance import cdist

import kerasgan.metrics
from kerasgan import data
from kerasgan import metrics
from kerasgan.metrics import fid as fid_module


@pytest.fixture(autouse=True)
def _seed():
    """Overrides conftest's Keras seeding: these tests draw from their own
    numpy generators."""
    yield


def _rng(seed=0):
    return np.random.default_rng(seed)


def _random_spd(rng, d):
    a = rng.normal(size=(d, d))
    return a @ a.T / d + 0.1 * np.eye(d)


# --------------------------------------------------------------------- FID


def test_public_api():
    for name in kerasgan.metrics.__all__:
        function = getattr(kerasgan.metrics, name)
        assert callable(function)
        assert "Example" in function.__doc__, name


def test_fid_of_a_set_against_itself_is_zero():
    x = _rng().normal(size=(300, 16))
    assert metrics.fid_from_features(x, x) == pytest.approx(0.0, abs=1e-8)


def test_feature_statistics_are_mean_and_unbiased_covariance():
    x = _rng().normal(size=(50, 4)) * [1.0, 2.0, 3.0, 4.0]
    mu, sigma = metrics.feature_statistics(x)
    centred = x - x.sum(axis=0) / len(x)
    np.testing.assert_allclose(mu, x.sum(axis=0) / len(x), rtol=1e-12)
    np.testing.assert_allclose(sigma, centred.T @ centred / (len(x) - 1), rtol=1e-12)
    assert mu.dtype == sigma.dtype == np.float64


def test_frechet_distance_closed_form_for_diagonal_covariances():
    rng = _rng(1)
    d = 6
    mu1, mu2 = rng.normal(size=d), rng.normal(size=d)
    var1, var2 = rng.uniform(0.1, 3.0, size=d), rng.uniform(0.1, 3.0, size=d)
    expected = sum((mu1 - mu2) ** 2) + sum(var1 + var2 - 2.0 * np.sqrt(var1 * var2))
    value = metrics.frechet_distance(mu1, np.diag(var1), mu2, np.diag(var2))
    assert isinstance(value, float)
    assert value == pytest.approx(expected, rel=1e-10)


def test_frechet_distance_general_covariances_via_symmetric_square_root():
    # Tr sqrt(S1 S2) = Tr sqrt(S1^1/2 S2 S1^1/2): a symmetric PSD matrix, so
    # its square root's trace is the sum of sqrt(eigenvalues) (no sqrtm).
    rng = _rng(2)
    d = 5
    mu1, mu2 = rng.normal(size=d), rng.normal(size=d)
    s1, s2 = _random_spd(rng, d), _random_spd(rng, d)
    w, v = np.linalg.eigh(s1)
    root1 = v @ np.diag(np.sqrt(w)) @ v.T
    inner = np.linalg.eigvalsh(root1 @ s2 @ root1)
    expected = np.sum((mu1 - mu2) ** 2) + np.trace(s1 + s2) - 2 * np.sum(np.sqrt(inner))
    assert metrics.frechet_distance(mu1, s1, mu2, s2) == pytest.approx(expected, rel=1e-9)
    # Symmetric in its arguments.
    assert metrics.frechet_distance(mu2, s2, mu1, s1) == pytest.approx(expected, rel=1e-9)


def test_fid_from_features_matches_statistics_of_two_gaussians():
    rng = _rng(3)
    x = rng.normal(size=(4000, 3))
    y = rng.normal(size=(4000, 3)) * 2.0 + 1.0
    mu1, s1 = x.mean(0), np.cov(x, rowvar=False)
    mu2, s2 = y.mean(0), np.cov(y, rowvar=False)
    direct = metrics.frechet_distance(mu1, s1, mu2, s2)
    assert metrics.fid_from_features(x, y) == pytest.approx(direct, rel=1e-10)
    # Population value: 3 * 1^2 + 3 * (1 + 4 - 2 * 2) = 6.
    assert direct == pytest.approx(6.0, rel=0.1)


def test_fid_is_real_and_finite_for_rank_deficient_covariances():
    rng = _rng(4)
    x, y = rng.normal(size=(10, 32)), rng.normal(size=(12, 32)) + 0.5
    with pytest.warns(UserWarning, match="rank-deficient"):
        value = metrics.fid_from_features(x, y)
    assert isinstance(value, float) and np.isfinite(value) and value > 0


def test_fid_retries_with_eps_when_the_square_root_is_not_finite(monkeypatch):
    calls = []
    real_sqrtm = fid_module._sqrtm

    def flaky_sqrtm(a):
        calls.append(a)
        return np.full_like(a, np.nan) if len(calls) == 1 else real_sqrtm(a)

    monkeypatch.setattr(fid_module, "_sqrtm", flaky_sqrtm)
    s1, s2 = np.diag([1.0, 0.0]), np.diag([0.0, 4.0])
    eps = 1e-6
    value = metrics.frechet_distance(np.zeros(2), s1, np.ones(2), s2, eps=eps)
    assert len(calls) == 2
    np.testing.assert_allclose(calls[1], (s1 + eps * np.eye(2)) @ (s2 + eps * np.eye(2)))
    root = np.sqrt((np.diag(s1) + eps) * (np.diag(s2) + eps))
    assert value == pytest.approx(2.0 + 5.0 - 2.0 * root.sum(), rel=1e-12)


def test_fid_rejects_a_significant_imaginary_square_root():
    # sqrtm(I @ -I) = i I: not covariances, and not round-off.
    with pytest.raises(ValueError, match="imaginary component"):
        metrics.frechet_distance(np.zeros(2), np.eye(2), np.zeros(2), -np.eye(2))


def test_fid_bad_inputs_have_clear_messages():
    x = _rng().normal(size=(20, 3))
    bad = x.copy()
    bad[0, 0], bad[3, 1] = np.nan, np.inf
    with pytest.raises(ValueError, match="`fake_features` contains 2 non-finite"):
        metrics.fid_from_features(x, bad)
    with pytest.raises(ValueError, match="different feature dimensions: 3 vs 4"):
        metrics.fid_from_features(x, np.zeros((20, 4)))
    with pytest.raises(ValueError, match="at least 2 samples"):
        metrics.feature_statistics(x[:1])
    with pytest.raises(ValueError, match="shape \\(n, d\\)"):
        metrics.feature_statistics(np.arange(5.0))
    with pytest.raises(ValueError, match="different dimensions: 3 vs 2"):
        metrics.frechet_distance(np.zeros(3), np.eye(3), np.zeros(2), np.eye(2))
    with pytest.raises(ValueError, match="\\(3, 3\\) covariance"):
        metrics.frechet_distance(np.zeros(3), np.eye(2), np.zeros(3), np.eye(3))
    with pytest.warns(UserWarning, match="only 3 samples for 3-dimensional"):
        metrics.feature_statistics(x[:3])


def test_fid_accepts_backend_tensors():
    rng = _rng(5)
    x, y = rng.normal(size=(40, 3)), rng.normal(size=(30, 3)) + 1.0
    expected = metrics.fid_from_features(x, y)
    tensor = keras.ops.convert_to_tensor(x.astype("float32"))
    variable = keras.Variable(y.astype("float32"))
    assert metrics.fid_from_features(tensor, variable) == pytest.approx(expected, rel=1e-5)


@pytest.mark.skipif(
    keras.backend.backend() != "torch", reason="importing torch costs seconds"
)
def test_tensors_that_numpy_cannot_read_are_converted():
    import torch

    x = _rng(5).normal(size=(40, 3))
    t = torch.tensor(x, requires_grad=True) * 1.0  # np.asarray(t) raises
    assert metrics.fid_from_features(t, x) == pytest.approx(0.0, abs=1e-8)


def test_statistics_round_trip_with_metadata(tmp_path):
    rng = _rng(6)
    mu, sigma = rng.normal(size=4), _random_spd(rng, 4)
    path = tmp_path / "ref.npz"
    metrics.save_statistics(path, mu, sigma, dataset="digits", n=np.int64(1797))
    loaded_mu, loaded_sigma = metrics.load_statistics(path)
    np.testing.assert_array_equal(loaded_mu, mu)
    np.testing.assert_array_equal(loaded_sigma, sigma)
    _, _, meta = metrics.load_statistics(path, with_meta=True)
    assert meta == {"dataset": "digits", "n": 1797}
    # No ".npz" appended to a path without it, and no temporary file left.
    metrics.save_statistics(tmp_path / "plain", mu, sigma)
    assert sorted(os.listdir(tmp_path)) == ["plain", "ref.npz"]
    np.testing.assert_array_equal(metrics.load_statistics(tmp_path / "plain")[0], mu)


def test_statistics_files_of_other_tools_and_bad_files(tmp_path):
    mu, sigma = np.ones(3), np.eye(3)
    np.savez(tmp_path / "ttur.npz", mu=mu, sigma=sigma)  # TTUR/pytorch-fid layout
    assert metrics.load_statistics(tmp_path / "ttur.npz", with_meta=True)[2] == {}
    np.savez(tmp_path / "bad.npz", mean=mu)
    with pytest.raises(KeyError, match="mu"):
        metrics.load_statistics(tmp_path / "bad.npz")
    with pytest.raises(TypeError, match="JSON-serializable"):
        metrics.save_statistics(tmp_path / "x.npz", mu, sigma, model=object())
    assert not (tmp_path / "x.npz").exists()


# ---------------------------------------------------------- Inception Score


def test_inception_score_of_uniform_predictions_is_one():
    mean, std = metrics.inception_score(np.full((100, 10), 0.1))
    assert mean == pytest.approx(1.0, abs=1e-12) and std == pytest.approx(0.0, abs=1e-12)


def test_inception_score_of_confident_balanced_predictions_is_num_classes():
    num_classes, splits = 7, 10
    labels = np.arange(splits * num_classes * 3) % num_classes  # balanced in each split
    probs = np.eye(num_classes)[labels].astype("float32")
    mean, std = metrics.inception_score(probs, splits=splits)
    assert mean == pytest.approx(num_classes, rel=1e-12)
    assert std == pytest.approx(0.0, abs=1e-9)


def test_inception_score_matches_direct_formula():
    rng = _rng(7)
    probs = rng.dirichlet(np.full(5, 0.3), size=60)
    scores = []
    for part in np.split(probs, 4):
        py = part.mean(axis=0)
        kl = [sum(p[j] * np.log(p[j] / py[j]) for j in range(5) if p[j] > 0) for p in part]
        scores.append(np.exp(np.mean(kl)))
    mean, std = metrics.inception_score(probs, splits=4)
    assert mean == pytest.approx(np.mean(scores), rel=1e-10)
    assert std == pytest.approx(np.std(scores), rel=1e-8)


def test_inception_score_from_logits():
    logits = _rng(8).normal(size=(40, 6)) * 5.0 + 100.0  # large: needs a stable softmax
    e = np.exp(logits - logits.max(axis=1, keepdims=True))
    probs = e / e.sum(axis=1, keepdims=True)
    expected = metrics.inception_score(probs, splits=2)
    got = metrics.inception_score(logits, splits=2, from_logits=True)
    np.testing.assert_allclose(got, expected, rtol=1e-10)


def test_inception_score_bad_inputs_have_clear_messages():
    probs = np.full((20, 4), 0.25)
    with pytest.raises(ValueError, match="do not sum to 1"):
        metrics.inception_score(probs * 1.1)
    negative = probs.copy()
    negative[0] = [1.5, -0.5, 0.0, 0.0]
    with pytest.raises(ValueError, match="1 negative value"):
        metrics.inception_score(negative)
    with pytest.raises(ValueError, match="at least `splits`=10 samples; got 5"):
        metrics.inception_score(probs[:5])
    nan = probs.copy()
    nan[2, 2] = np.nan
    with pytest.raises(ValueError, match="1 non-finite"):
        metrics.inception_score(nan)
    with pytest.raises(ValueError, match="num_classes"):
        metrics.inception_score(np.full(10, 0.1))


# --------------------------------------------------------------------- KID


def _cubic_kernel(a, b):
    return (float(np.dot(a, b)) / len(a) + 1.0) ** 3


def test_kid_matches_direct_unbiased_mmd():
    rng = _rng(9)
    x, y = rng.normal(size=(30, 5)), rng.normal(size=(30, 5)) + 0.3
    m = len(x)
    k_xx = sum(_cubic_kernel(x[i], x[j]) for i in range(m) for j in range(m) if i != j)
    k_yy = sum(_cubic_kernel(y[i], y[j]) for i in range(m) for j in range(m) if i != j)
    k_xy = sum(_cubic_kernel(x[i], y[j]) for i in range(m) for j in range(m))
    expected = (k_xx + k_yy) / (m * (m - 1)) - 2.0 * k_xy / m**2
    # A subset of the full size is a permutation: the estimate is exact.
    for batch_size in (7, 1024):
        mean, std = metrics.kernel_inception_distance(
            x, y, num_subsets=3, subset_size=1000, batch_size=batch_size
        )
        assert mean == pytest.approx(expected, rel=1e-10)
        assert std == pytest.approx(0.0, abs=1e-10)


def test_kid_is_unbiased():
    # P and Q are uniform over 5 points each, so the population MMD^2 is an
    # exact finite average; the biased (V-statistic) estimate misses it.
    rng = _rng(1)
    a = rng.normal(size=(5, 3))
    b = a + 0.3 * rng.normal(size=(5, 3))

    def k(u, v):
        return (u @ v.T / 3.0 + 1.0) ** 3

    for p, q in ((a, b), (a, a)):
        exact = k(p, p).mean() + k(q, q).mean() - 2.0 * k(p, q).mean()
        unbiased, biased = [], []
        for trial in range(400):
            x, y = p[rng.integers(5, size=10)], q[rng.integers(5, size=10)]
            unbiased.append(
                metrics.kernel_inception_distance(x, y, num_subsets=1, subset_size=10)[0]
            )
            biased.append(k(x, x).mean() + k(y, y).mean() - 2.0 * k(x, y).mean())
        unbiased, biased = np.array(unbiased), np.array(biased)
        se = unbiased.std(ddof=1) / np.sqrt(len(unbiased))
        assert abs(unbiased.mean() - exact) < 4 * se
        assert biased.mean() - exact > 8 * biased.std(ddof=1) / np.sqrt(len(biased))


def test_kid_same_distribution_is_near_zero_and_shift_is_positive():
    rng = _rng(10)
    x, y = rng.normal(size=(400, 8)), rng.normal(size=(400, 8))
    mean, std = metrics.kernel_inception_distance(x, y, num_subsets=20, subset_size=100)
    assert abs(mean) < 4 * std / np.sqrt(20) + 1e-3
    shifted, _ = metrics.kernel_inception_distance(x, y + 1.0, num_subsets=20, subset_size=100)
    assert shifted > 0.1
    # Reproducible for a seed.
    again = metrics.kernel_inception_distance(x, y, num_subsets=20, subset_size=100)
    assert again == (mean, std)


def test_kid_bad_inputs_have_clear_messages():
    x = _rng().normal(size=(10, 3))
    with pytest.raises(ValueError, match="at least 2 samples per subset"):
        metrics.kernel_inception_distance(x, x[:1])
    with pytest.raises(ValueError, match="different feature dimensions"):
        metrics.kernel_inception_distance(x, x[:, :2])
    bad = x.copy()
    bad[5, 1] = -np.inf
    with pytest.raises(ValueError, match="`real_features` contains 1 non-finite"):
        metrics.kernel_inception_distance(bad, x)


# ---------------------------------------------------------- precision/recall


def _brute_force_precision_recall(real, fake, k):
    def radii(x):
        d = cdist(x, x)
        np.fill_diagonal(d, np.inf)
        return np.sort(d, axis=1)[:, k - 1]

    precision = np.mean((cdist(fake, real) <= radii(real)[None, :]).any(axis=1))
    recall = np.mean((cdist(real, fake) <= radii(fake)[None, :]).any(axis=1))
    return precision, recall


def test_precision_recall_of_identical_sets_is_one():
    x = _rng(11).normal(size=(50, 4))
    assert metrics.precision_recall(x, x.copy()) == {"precision": 1.0, "recall": 1.0}


def test_precision_recall_of_far_apart_sets_is_zero():
    rng = _rng(12)
    real, fake = rng.normal(size=(40, 4)), rng.normal(size=(30, 4)) + 1000.0
    assert metrics.precision_recall(real, fake) == {"precision": 0.0, "recall": 0.0}


def test_precision_recall_matches_brute_force():
    rng = _rng(13)
    real, fake = rng.normal(size=(60, 3)), rng.normal(size=(45, 3)) * 0.7 + 0.8
    for k in (1, 3, 5):
        expected = _brute_force_precision_recall(real, fake, k)
        got = metrics.precision_recall(real, fake, k=k, batch_size=7)
        assert (got["precision"], got["recall"]) == pytest.approx(expected, abs=1e-12)
    assert 0.0 < expected[0] < 1.0 and 0.0 < expected[1] < 1.0


def test_precision_recall_detects_mode_dropping():
    rng = _rng(14)
    real = np.concatenate([rng.normal(size=(100, 2)), rng.normal(size=(100, 2)) + 50.0])
    fake = rng.normal(size=(100, 2))  # only the first mode
    result = metrics.precision_recall(real, fake)
    assert result["precision"] > 0.9
    assert 0.4 < result["recall"] <= 0.5


def test_precision_recall_bad_inputs():
    x = _rng().normal(size=(10, 3))
    with pytest.raises(ValueError, match="more than k=3 samples .*; got 3"):
        metrics.precision_recall(x, x[:3])
    with pytest.raises(ValueError, match="different feature dimensions"):
        metrics.precision_recall(x, x[:, :2])


# ------------------------------------------------------------------ Parzen


def _direct_parzen(samples, test, sigma):
    samples = samples.reshape(len(samples), -1)
    test = test.reshape(len(test), -1)
    cov = sigma**2 * np.eye(samples.shape[1])
    ll = np.array(
        [
            scipy.special.logsumexp(
                [scipy.stats.multivariate_normal(s, cov).logpdf(x) for s in samples]
            )
            - np.log(len(samples))
            for x in test
        ]
    )
    return ll.mean(), ll.std() / np.sqrt(len(ll))


def test_parzen_log_likelihood_matches_scipy():
    rng = _rng(15)
    samples, test = rng.normal(size=(6, 2, 2, 1)), rng.normal(size=(5, 2, 2, 1))
    expected = _direct_parzen(samples, test, 0.7)
    got = metrics.parzen_log_likelihood(samples, test, 0.7, batch_size=2)
    np.testing.assert_allclose(got, expected, rtol=1e-10)


def test_parzen_log_likelihood_is_stable_far_from_the_samples():
    # One sample at 0, one test point at distance 100, sigma 0.1 (d = 1):
    # exp(-500000) underflows; the log-density does not.
    ll, se = metrics.parzen_log_likelihood(np.zeros((1, 1)), np.full((1, 1), 100.0), 0.1)
    assert ll == pytest.approx(-(100.0**2) / (2 * 0.01) - 0.5 * np.log(2 * np.pi * 0.01))
    assert se == 0.0


def test_parzen_sigma_selection_and_evaluation():
    rng = _rng(16)
    samples = rng.normal(size=(40, 3)) * 0.3
    valid, test = rng.normal(size=(20, 3)) * 0.3, rng.normal(size=(25, 3)) * 0.3
    sigmas = np.logspace(-1, 0, 10)
    by_hand = [metrics.parzen_log_likelihood(samples, valid, s)[0] for s in sigmas]
    best = sigmas[int(np.argmax(by_hand))]
    assert 0.1 < best < 1.0  # an interior optimum
    assert metrics.select_parzen_sigma(samples, valid, sigmas, batch_size=3) == best
    result = metrics.parzen_evaluation(samples, valid, test)
    ll, se = metrics.parzen_log_likelihood(samples, test, best)
    assert result == {"sigma": best, "log_likelihood": ll, "standard_error": se}


def test_parzen_bad_inputs():
    x = np.zeros((4, 3))
    with pytest.raises(ValueError, match="must be positive"):
        metrics.parzen_log_likelihood(x, x, 0.0)
    with pytest.raises(ValueError, match="different feature dimensions"):
        metrics.parzen_log_likelihood(x, np.zeros((4, 2)), 0.5)


# ----------------------------------------------------------- mode coverage


def test_mode_coverage_of_exact_mode_samples():
    modes = data.ring_modes()
    result = metrics.mode_coverage(np.repeat(modes, 3, axis=0), modes, std=0.02)
    assert result["modes_covered"] == 8
    assert result["high_quality_fraction"] == 1.0
    np.testing.assert_array_equal(result["per_mode_counts"], np.full(8, 3))


def test_mode_coverage_of_a_collapsed_generator():
    modes = data.grid_modes()
    samples = modes[7] + _rng(17).normal(0.0, 0.01, size=(100, 2))
    result = metrics.mode_coverage(samples, modes, std=0.05)
    assert result["modes_covered"] == 1
    assert result["high_quality_fraction"] == 1.0
    expected = np.zeros(25, dtype=np.int64)
    expected[7] = 100
    np.testing.assert_array_equal(result["per_mode_counts"], expected)


def test_mode_coverage_threshold_and_min_samples():
    modes = data.ring_modes()  # radius 2
    std = 0.02
    near = modes[0] + [2.9 * std, 0.0]
    far = modes[1] + [0.0, 3.1 * std]
    samples = np.stack([near, far, np.zeros(2), modes[2], modes[2]])
    result = metrics.mode_coverage(samples, modes, std=std)
    assert result["modes_covered"] == 2  # modes 0 and 2
    assert result["high_quality_fraction"] == pytest.approx(3 / 5)
    assert result["per_mode_counts"].tolist() == [1, 0, 2, 0, 0, 0, 0, 0]
    assert metrics.mode_coverage(samples, modes, std=std, min_samples=2)["modes_covered"] == 1


def test_mode_coverage_of_the_true_distribution():
    # For a 2-D isotropic Gaussian, P(|x - mu| <= 3 std) = 1 - exp(-9 / 2).
    x = data.ring_of_gaussians(4000, seed=0)
    result = metrics.mode_coverage(x, data.ring_modes(), std=0.02, batch_size=500)
    assert result["modes_covered"] == 8
    assert result["high_quality_fraction"] == pytest.approx(1 - np.exp(-4.5), abs=0.006)
    assert result["per_mode_counts"].sum() == round(result["high_quality_fraction"] * 4000)


def test_mode_coverage_bad_inputs():
    with pytest.raises(ValueError, match="`std` must be positive"):
        metrics.mode_coverage(np.zeros((3, 2)), data.ring_modes(), std=0.0)
    with pytest.raises(ValueError, match="different feature dimensions"):
        metrics.mode_coverage(np.zeros((3, 3)), data.ring_modes(), std=0.1)


# --------------------------------------------------------- nearest neighbours


def test_nearest_neighbours_match_brute_force():
    rng = _rng(18)
    samples = rng.normal(size=(13, 4, 4, 1))
    train = rng.normal(size=(50, 4, 4, 1)).astype("float32")
    d = cdist(samples.reshape(13, -1), train.reshape(50, -1).astype(np.float64))
    order = np.argsort(d, axis=1)[:, :3]
    indices, distances = metrics.nearest_neighbours(samples, train, k=3, batch_size=7)
    assert indices.shape == distances.shape == (13, 3)
    np.testing.assert_array_equal(indices, order)
    np.testing.assert_allclose(distances, np.take_along_axis(d, order, axis=1), rtol=1e-12)


def test_nearest_neighbours_find_copies_of_training_images():
    train = _rng(19).integers(0, 256, size=(30, 5, 5, 3), dtype=np.uint8)
    indices, distances = metrics.nearest_neighbours(train[[4, 17]], train)
    assert indices[:, 0].tolist() == [4, 17]
    assert distances[:, 0].tolist() == [0.0, 0.0]


def test_nearest_neighbours_bad_inputs():
    x = np.zeros((3, 4))
    with pytest.raises(ValueError, match="in \\[1, 3\\]"):
        metrics.nearest_neighbours(x, x, k=4)
    with pytest.raises(ValueError, match="different sizes per sample: 4 vs 5"):
        metrics.nearest_neighbours(x, np.zeros((3, 5)))
    bad = x.copy()
    bad[1, 2] = np.nan
    with pytest.raises(ValueError, match="`training_data` contains 1 non-finite"):
        metrics.nearest_neighbours(x, bad)


def test_nearest_neighbour_grid_png(tmp_path):
    from PIL import Image

    rng = _rng(20)
    samples = np.tanh(rng.normal(size=(5, 8, 6, 1)))
    train = np.tanh(rng.normal(size=(20, 8, 6, 1)))
    path = tmp_path / "nn.png"
    assert metrics.save_nearest_neighbour_grid(samples, train, path, k=3) == path
    grid = np.asarray(Image.open(path))
    assert grid.shape == (5 * (8 + 2) + 2, 4 * (6 + 2) + 2)  # (height, width)

    def pixels(image):  # the mapping of kerasgan.utils.images.image_grid
        return np.round((image[..., 0] + 1.0) / 2.0 * 255.0).astype(np.uint8)

    indices, _ = metrics.nearest_neighbours(samples, train, k=3)
    for row in range(5):
        for col in range(4):
            y, x = 2 + row * 10, 2 + col * 8
            tile = samples[row] if col == 0 else train[indices[row, col - 1]]
            got = grid[y : y + 8, x : x + 6].astype(int)
            # Within 1: float32 vs float64 rounding at .5 boundaries.
            np.testing.assert_allclose(got, pixels(tile).astype(int), atol=1)

    # NHW input and an enlargement factor.
    path2 = tmp_path / "nn2.png"
    metrics.save_nearest_neighbour_grid(samples[:2, ..., 0], train[..., 0], path2, k=1, scale=2)
    assert Image.open(path2).size == (2 * (2 * 8 + 2), 2 * (2 * 10 + 2))  # (width, height)
