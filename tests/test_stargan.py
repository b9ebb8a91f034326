"""StarGAN: its losses against numpy, the critic/generator schedule of one
train step, single- and multi-label training, saving, errors; the optional
content term and its frozen classifier."""

import json

import keras
import numpy as np
import pytest
from keras import ops

from kerasgan.models import StarGAN
from kerasgan.metrics.domain_translation import train_content_classifier
from kerasgan.models.stargan import classification_loss
from kerasgan.engine import split_batch

SHAPE = (16, 16, 1)
DOMAINS = 3


def tiny(**kwargs):
    options = dict(image_shape=SHAPE, num_domains=DOMAINS, generator_filters=4,
                   residual_blocks=1, discriminator_filters=4, discriminator_layers=1, seed=0)
    options.update(kwargs)
    return StarGAN(**options)


def images(n=10, seed=0):
    return np.random.default_rng(seed).uniform(-1, 1, (n, *SHAPE)).astype("float32")


def numpy_of(t):
    return ops.convert_to_numpy(ops.cast(t, "float32"))


def np_cross_entropy(logits, labels):
    z = logits - logits.max(axis=1, keepdims=True)
    log_p = z - np.log(np.exp(z).sum(axis=1, keepdims=True))
    return -np.mean(log_p[np.arange(len(labels)), labels])


def np_bce_summed(logits, targets):
    per_value = np.maximum(logits, 0) - logits * targets + np.log1p(np.exp(-np.abs(logits)))
    return np.mean(per_value.sum(axis=1))


def test_losses_match_numpy():
    rng = np.random.default_rng(1)
    logits = rng.standard_normal((6, DOMAINS)).astype("float32") * 3
    labels = rng.integers(0, DOMAINS, 6)
    attributes = rng.integers(0, 2, (6, DOMAINS)).astype("float32")
    np.testing.assert_allclose(
        float(numpy_of(classification_loss(logits, labels))), np_cross_entropy(logits, labels), rtol=1e-5)
    np.testing.assert_allclose(
        float(numpy_of(classification_loss(logits, attributes, "multi"))),
        np_bce_summed(logits, attributes), rtol=1e-5)

    model = tiny()
    x = images(6)
    original, target = np.array([0, 1, 2, 0, 1, 2]), np.array([2, 0, 1, 1, 2, 0])
    onehot = np.eye(DOMAINS, dtype="float32")
    run_g = lambda im, lab: numpy_of(model.generator([im, onehot[lab]], training=True))  # noqa: E731
    run_d = lambda im: [numpy_of(t) for t in model.discriminator(im, training=True)]  # noqa: E731
    fake = run_g(x, target)
    (real_source, real_logits), (fake_source, fake_logits) = run_d(x), run_d(fake)
    tensors = [ops.convert_to_tensor(v) for v in (x, original.astype("int32"), target.astype("int32"))]

    d_loss, d_logs = model.discriminator_loss(*tensors)
    np.testing.assert_allclose(float(numpy_of(d_logs["d_real"])), real_source.mean(), rtol=1e-4, atol=1e-6)
    np.testing.assert_allclose(float(numpy_of(d_logs["d_fake"])), fake_source.mean(), rtol=1e-4, atol=1e-6)
    np.testing.assert_allclose(float(numpy_of(d_logs["d_cls"])), np_cross_entropy(real_logits, original), rtol=1e-5)
    penalty = float(numpy_of(d_logs["gradient_penalty"]))
    assert penalty > 0
    expected = -real_source.mean() + fake_source.mean() + np_cross_entropy(real_logits, original) + 10 * penalty
    np.testing.assert_allclose(float(numpy_of(d_loss)), expected, rtol=1e-4)

    g_loss, g_logs = model.generator_loss(*tensors)
    reconstruction = np.abs(x - run_g(fake, original)).mean()
    np.testing.assert_allclose(float(numpy_of(g_logs["reconstruction"])), reconstruction, rtol=1e-4)
    np.testing.assert_allclose(float(numpy_of(g_logs["g_cls"])), np_cross_entropy(fake_logits, target), rtol=1e-4)
    expected = -fake_source.mean() + np_cross_entropy(fake_logits, target) + 10 * reconstruction
    np.testing.assert_allclose(float(numpy_of(g_loss)), expected, rtol=1e-4)

    # The optional identity-mapping term (not in the paper): λ_id·|x − G(x, c_org)|.
    with_identity = tiny(lambda_identity=5.0)
    with_identity.set_weights(model.get_weights())
    g_loss_id, g_logs_id = with_identity.generator_loss(*tensors)
    identity = np.abs(x - run_g(x, original)).mean()
    np.testing.assert_allclose(float(numpy_of(g_logs_id["identity"])), identity, rtol=1e-4)
    np.testing.assert_allclose(float(numpy_of(g_loss_id)), expected + 5 * identity, rtol=1e-4)
    assert "identity" not in g_logs and "identity" not in model.log_names()
    assert "identity" in with_identity.log_names()
    assert StarGAN.from_config(with_identity.get_config()).lambda_identity == 5.0
    with pytest.raises(ValueError, match="lambda_identity must be a finite number >= 0"):
        tiny(lambda_identity=-1)

    # Multi-attribute: the summed BCE on D's logits, with the vectors as condition.
    multi = tiny(domain_type="multi")
    a_org = np.array([[1, 0, 1], [0, 0, 0], [1, 1, 1], [0, 1, 0], [1, 0, 0], [0, 0, 1]], "float32")
    a_trg = a_org[::-1].copy()
    _, d_logs = multi.discriminator_loss(*(ops.convert_to_tensor(v) for v in (x, a_org, a_trg)))
    logits_real = numpy_of(multi.discriminator(x, training=True)[1])
    np.testing.assert_allclose(float(numpy_of(d_logs["d_cls"])), np_bce_summed(logits_real, a_org), rtol=1e-5)
    _, g_logs = multi.generator_loss(*(ops.convert_to_tensor(v) for v in (x, a_org, a_trg)))
    fake = numpy_of(multi.generator([x, a_trg], training=True))
    logits_fake = numpy_of(multi.discriminator(fake, training=True)[1])
    np.testing.assert_allclose(float(numpy_of(g_logs["g_cls"])), np_bce_summed(logits_fake, a_trg), rtol=1e-4)


def test_target_labels_are_a_permutation_of_the_batch_labels():
    model = tiny()
    labels = np.array([0, 0, 1, 2, 2, 2, 1, 0, 1, 2, 0, 1, 2, 0, 1, 1], "int32")
    draws = [numpy_of(model.target_labels(ops.convert_to_tensor(labels))).astype(int) for _ in range(3)]
    for draw in draws:
        np.testing.assert_array_equal(np.sort(draw), np.sort(labels))
    assert any(not np.array_equal(d, labels) for d in draws)
    vectors = np.eye(16, DOMAINS, dtype="float32") + np.arange(16, dtype="float32")[:, None]
    permuted = numpy_of(tiny(domain_type="multi").target_labels(ops.convert_to_tensor(vectors)))
    assert sorted(map(tuple, permuted)) == sorted(map(tuple, vectors))  # whole rows move
    # A batch shorter than discriminator_steps is cycled through (no empty minibatch).
    parts = split_batch(ops.convert_to_tensor(np.arange(3)), 5)
    assert [numpy_of(p).tolist() for p in parts] == [[0], [1], [2], [0], [1]]
    assert [numpy_of(p).tolist() for p in split_batch(ops.convert_to_tensor(np.arange(11)), 5)][-1] == [8, 9]


def test_the_generator_sees_the_target_domain():
    # Each target gives another translation (the tiled condition survives the
    # first conv's instance norm: resnet_generator zero-pads it, as the official code).
    for model, targets in ((tiny(), (0, 1, 2)), (tiny(domain_type="multi"), np.eye(DOMAINS))):
        outputs = [model.translate(images(2), t) for t in targets]
        for i in range(1, len(outputs)):
            assert np.abs(outputs[i] - outputs[0]).max() > 1e-3


def test_one_step_takes_k_critic_updates_and_one_generator_update():
    model = tiny()
    model.compile()
    x, y = images(20), np.arange(20) % DOMAINS
    players = {p: model.player_variables(p) for p in model.players}
    start = {p: [v.numpy().copy() for v in vs] for p, vs in players.items()}
    history = model.fit(x, y, batch_size=10, epochs=1, shuffle=False, verbose=0)
    assert int(model.optimizer.iterations.numpy()) == 2  # train steps
    assert int(model.player_optimizer("discriminator").iterations.numpy()) == 10
    assert int(model.player_optimizer("generator").iterations.numpy()) == 2
    for player, variables in players.items():
        kernels = [(v.path, np.allclose(v.numpy(), s)) for v, s in zip(variables, start[player])
                   if v.path.endswith("kernel")]
        assert len(kernels) >= 3 and not any(same for _, same in kernels), (player, kernels)
    logs = {k: v[-1] for k, v in history.history.items()}
    assert set(logs) == {"d_loss", "g_loss", "d_real", "d_fake", "d_cls", "g_cls", "reconstruction",
                         "gradient_penalty"}
    assert all(np.isfinite(v) for v in logs.values()), logs
    grid, rows = model.preview(x[:4])
    assert rows == 1 + DOMAINS and grid.shape == (4 * rows, *SHAPE)
    np.testing.assert_array_equal(grid[:4], x[:4])
    # k has one name across models; configs saved under its earlier name load.
    assert model.discriminator_steps == 5 and "discriminator_steps" in model.get_config()
    legacy = {k: v for k, v in model.get_config().items() if k != "discriminator_steps"}
    assert StarGAN.from_config({**legacy, "critic_steps": 3}).discriminator_steps == 3
    with pytest.raises(ValueError, match="earlier name of discriminator_steps"):
        tiny(critic_steps=3, discriminator_steps=2)
    np.testing.assert_array_equal(grid[4 * 3 : 4 * 4], model.translate(x[:4], 2))


def test_multi_label_training_and_keras_round_trip(tmp_path):
    model = tiny(domain_type="multi", historical_averaging=1e-3, discriminator_steps=2,
                 generator_downsamplings=1)
    model.compile(optimizers=model.reference_optimizers(steps=4))
    x = images(20)
    y = np.random.default_rng(0).integers(0, 2, (20, DOMAINS)).astype("float32")
    history = model.fit(x, y, batch_size=10, epochs=1, shuffle=False, verbose=0)
    assert all(np.isfinite(v[-1]) for v in history.history.values()), history.history
    assert int(model.player_optimizer("discriminator").iterations.numpy()) == 4
    path = tmp_path / "stargan.keras"
    model.save(path)
    loaded = keras.saving.load_model(path)
    assert type(loaded) is StarGAN
    assert loaded.get_config() == model.get_config()
    # One downsampling: the residual blocks work on an 8×8 map of twice the base width.
    assert loaded.get_config()["generator_downsamplings"] == 1
    assert loaded.generator.get_layer("res_0_add").output.shape[1:] == (8, 8, 8)
    for a, b in zip(model.variables + model.optimizer.variables, loaded.variables + loaded.optimizer.variables):
        np.testing.assert_array_equal(a.numpy(), b.numpy(), err_msg=a.path)
    target = np.array([1, 0, 1], "float32")
    np.testing.assert_array_equal(model.translate(x, target), loaded.translate(x, target))
    # Half of the 4 steps taken: D's schedule (over 2·4 updates) decays from update 4.
    rate = loaded.player_optimizer("discriminator").learning_rate
    assert float(ops.convert_to_numpy(rate)) < 1e-4
    grid, rows = model.preview((x[:2], y[:2]))  # each attribute flipped
    assert rows == 1 + DOMAINS and grid.shape == (2 * rows, *SHAPE)


def test_bad_input_gives_clear_errors():
    with pytest.raises(ValueError, match="downsamplings=3 needs an image height and width divisible by 8 and at least 32"):
        tiny(generator_downsamplings=3)
    with pytest.raises(ValueError, match="domain_type must be 'single'"):
        tiny(domain_type="both")
    with pytest.raises(ValueError, match="num_domains must be an integer >= 2"):
        tiny(num_domains=1)
    with pytest.raises(ValueError, match="StarGAN cannot apply gradient_penalty"):
        tiny(gradient_penalty=10.0)
    with pytest.raises(ValueError, match="StarGAN cannot apply feature_matching"):
        tiny(feature_matching=True)
    assert tiny(historical_averaging=0.1).historical_averaging == 0.1
    model, multi = tiny(), tiny(domain_type="multi")
    model.compile()
    multi.compile()
    x = images(4)
    with pytest.raises(ValueError, match="Domain index 3 is out of range: this StarGAN has 3 domains"):
        model.translate(x, 3)
    with pytest.raises(ValueError, match="Domain index -1 is out of range"):
        model.translate(x, [0, 1, -1, 2])
    with pytest.raises(ValueError, match="domain_type='single'; 0/1 vectors"):
        model.translate(x, np.eye(DOMAINS)[[0, 1, 2, 0]])
    with pytest.raises(ValueError, match="width num_domains=3; got width 4"):
        multi.translate(x, [1, 0, 1, 0])
    with pytest.raises(ValueError, match="width num_domains=3, shape \\(n, 3\\); got shape \\(4, 2\\)"):
        multi.translate(x, np.zeros((4, 2)))
    with pytest.raises(ValueError, match="translate expects images of shape \\(n, 16, 16, 1\\)"):
        model.translate(np.zeros((2, 8, 8, 1)), 0)
    with pytest.raises(ValueError, match="Domain index 5 is out of range"):
        model.fit(x, np.array([0, 1, 5, 2]), epochs=1, verbose=0)
    with pytest.raises(ValueError, match="Training labels must be attribute vectors of width num_domains=3"):
        multi.fit(x, np.zeros((4, 4)), epochs=1, verbose=0)
    with pytest.raises(ValueError, match="0/1 attribute values"):
        multi.fit(x, np.full((4, 3), 0.5), epochs=1, verbose=0)
    with pytest.raises(ValueError, match="StarGAN trains on images and their domain labels"):
        model.fit(x, epochs=1, verbose=0)
    with pytest.raises(ValueError, match="Expected training samples of shape \\(16, 16, 1\\)"):
        model.fit(np.zeros((4, 16, 16, 3), "float32"), np.zeros(4, int), epochs=1, verbose=0)
    with pytest.raises(ValueError, match="Got 3 training labels for 4 images"):
        model.fit(x, np.zeros(3, int), epochs=1, verbose=0)


def content_classifier(classes=5, **network):
    """A content classifier trained briefly on made images (labels: which of `classes` bands is brightest);
    `network`: its filters and dropout."""
    rng = np.random.default_rng(3)
    labels = rng.integers(0, classes, 60)
    x = rng.uniform(-1, -0.5, (60, *SHAPE)).astype("float32")
    for i, c in enumerate(labels):
        x[i, :, c * 3 : c * 3 + 3] = 1.0
    return (train_content_classifier(x, labels, num_classes=classes, epochs=10, batch_size=10, **network),
            x, labels)


def test_content_classifier_learns_and_is_frozen():
    f, x, labels = content_classifier()
    assert not f.trainable and not f.trainable_weights and getattr(f, "optimizer", None) is None
    assert f.output.shape[-1] == 5
    assert np.mean(np.argmax(numpy_of(f(x)), axis=1) == labels) >= 0.9
    with pytest.raises(ValueError, match="one int label per image"):
        train_content_classifier(x, labels[:-1])
    with pytest.raises(ValueError, match="non-negative ints"):
        train_content_classifier(x, labels - 1)
    with pytest.raises(ValueError, match="num_classes must be at least 2 and above every label"):
        train_content_classifier(x, labels, num_classes=3)


def test_content_classifier_takes_a_wider_network_with_dropout_that_acts_only_in_training():
    f, x, labels = content_classifier(filters=(8, 12, 12), dropout=0.5)
    assert [f.get_layer(f"conv_{i}").filters for i in range(3)] == [8, 12, 12]
    assert f.get_layer("dropout").rate == 0.5 and not f.trainable
    assert np.mean(np.argmax(numpy_of(f(x)), axis=1) == labels) >= 0.9
    # The content term reads f in inference: the same logits on every call, dropout off.
    np.testing.assert_array_equal(numpy_of(f(x, training=False)), numpy_of(f(x, training=False)))
    dropped = numpy_of(f(x, training=True))
    assert not np.allclose(dropped, numpy_of(f(x, training=False)))
    model = tiny(content_classifier=f, lambda_content=1.0)
    fake = model.generator([x[:4], np.eye(DOMAINS, dtype="float32")[[0, 1, 2, 0]]], training=False)
    from kerasgan.models.stargan import content_loss

    first, second = (float(numpy_of(content_loss(f, x[:4], fake))) for _ in range(2))
    assert first == second
    for filters in [(8, 0), (), (8, 2.5)]:
        with pytest.raises(ValueError, match="filters must be one or more positive ints"):
            train_content_classifier(x, labels, filters=filters)
    with pytest.raises(ValueError, match=r"dropout must be in \[0, 1\)"):
        train_content_classifier(x, labels, dropout=1.0)


def test_content_term_matches_numpy_trains_no_classifier_weight_and_round_trips(tmp_path):
    f, x, _ = content_classifier()
    plain = tiny()
    model = tiny(content_classifier=f, lambda_content=2.0, discriminator_steps=2)
    model.generator.set_weights(plain.generator.get_weights())
    model.discriminator.set_weights(plain.discriminator.get_weights())
    x = x[:6]
    original, target = np.array([0, 1, 2, 0, 1, 2], "int32"), np.array([2, 0, 1, 1, 2, 0], "int32")
    tensors = [ops.convert_to_tensor(v) for v in (x, original, target)]
    g_plain, _ = plain.generator_loss(*tensors)
    g_loss, logs = model.generator_loss(*tensors)
    # CyCADA's eq. 4: cross-entropy of f on G(x, c_trg) against f's class of x.
    fake = numpy_of(model.generator([x, np.eye(DOMAINS, dtype="float32")[target]], training=True))
    expected = np_cross_entropy(numpy_of(f(fake)), np.argmax(numpy_of(f(x)), axis=1))
    np.testing.assert_allclose(float(numpy_of(logs["content"])), expected, rtol=1e-4)
    np.testing.assert_allclose(float(numpy_of(g_loss)), float(numpy_of(g_plain)) + 2.0 * expected, rtol=1e-4)
    assert "content" in model.log_names() and "content" not in plain.log_names()

    # f belongs to no player and one train step leaves it as it was.
    f_ids = {id(v) for v in f.weights}
    for player in model.players:
        assert not f_ids & {id(v) for v in model.player_variables(player)}
    before = [w.copy() for w in f.get_weights()]
    g_before = model.generator.get_weights()
    model.compile()
    history = model.fit(x[:6], original, batch_size=6, epochs=1, shuffle=False, verbose=0)
    assert np.isfinite(history.history["content"][-1])
    for a, b in zip(before, f.get_weights()):
        np.testing.assert_array_equal(a, b)
    assert any(not np.array_equal(a, b) for a, b in zip(g_before, model.generator.get_weights()))

    path = tmp_path / "content.keras"
    model.save(path)
    loaded = keras.saving.load_model(path)
    assert loaded.lambda_content == 2.0 and not loaded.content_classifier.trainable
    # As JSON, as saved: Keras gives the classifier's build shapes as tuples, and lists once loaded.
    assert json.dumps(loaded.get_config(), sort_keys=True) == json.dumps(model.get_config(), sort_keys=True)
    np.testing.assert_allclose(numpy_of(loaded.content_classifier(x)), numpy_of(f(x)), atol=1e-6)
    np.testing.assert_array_equal(loaded.translate(x, 1), model.translate(x, 1))
    again = StarGAN.from_config(model.get_config())
    assert again.content_classifier is not None and again.lambda_content == 2.0
    assert tiny().get_config()["content_classifier"] is None


def test_content_options_are_checked():
    f, _, _ = content_classifier()
    with pytest.raises(ValueError, match="lambda_content=1.0 weighs a content term that needs content_classifier"):
        tiny(lambda_content=1.0)
    with pytest.raises(ValueError, match="content_classifier is read only by the content term: give lambda_content"):
        tiny(content_classifier=f)
    with pytest.raises(ValueError, match="lambda_content must be a finite number >= 0"):
        tiny(content_classifier=f, lambda_content=-1.0)
    with pytest.raises(ValueError, match="content_classifier must be a keras.Model"):
        tiny(content_classifier=lambda images: images, lambda_content=1.0)
    inputs = keras.Input((8, 8, 1))
    with pytest.raises(ValueError, match="one input of shape \\(n, 16, 16, 1\\)"):
        tiny(content_classifier=keras.Model(inputs, keras.layers.Dense(3)(keras.layers.Flatten()(inputs))),
             lambda_content=1.0)
    inputs = keras.Input(SHAPE)
    with pytest.raises(ValueError, match="one output of logits \\(n, classes\\)"):
        tiny(content_classifier=keras.Model(inputs, keras.layers.Conv2D(3, 3)(inputs)), lambda_content=1.0)
