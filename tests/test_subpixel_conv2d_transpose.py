"""SubPixelConv2DTranspose must reproduce keras.layers.Conv2DTranspose exactly.

Runs under whichever backend KERAS_BACKEND selects (tensorflow, jax, torch).
"""

import itertools

import keras
import numpy as np
import pytest
from keras import ops

from kerasgan.layers import SubPixelConv2DTranspose
from kerasgan.layers.subpixel_conv2d_transpose import (
    conv_transpose_kernel_to_subpixel,
    subpixel_geometry,
    subpixel_kernel_to_conv_transpose,
)

BACKEND = keras.backend.backend()
KERNELS = [1, 2, 3, 4, 5]
STRIDES = [1, 2, 3, (2, 1)]
PADDINGS = ["same", "valid"]


def _pair(v):
    return (v, v) if isinstance(v, int) else tuple(v)


# --------------------------------------------------------------------------
# numpy references (independent of the layer's index math)
# --------------------------------------------------------------------------
def _expected_len(n, k, s, padding):
    return n * s if padding == "same" else (n - 1) * s + max(k, s)


def ref_conv_transpose(x, w, strides, padding):
    """Direct TF-semantics transposed conv: out[i*s + k - p] += x[i] w[k]."""
    (sh, sw), (kh, kw) = _pair(strides), w.shape[:2]
    b, h, wd, _ = x.shape
    full = np.zeros((b, (h - 1) * sh + kh, (wd - 1) * sw + kw, w.shape[2]))
    for a in range(kh):
        for c in range(kw):
            rows = slice(a, a + (h - 1) * sh + 1, sh)
            cols = slice(c, c + (wd - 1) * sw + 1, sw)
            full[:, rows, cols] += np.einsum("bhwc,fc->bhwf", x, w[a, c])
    lh = _expected_len(h, kh, sh, padding)
    lw = _expected_len(wd, kw, sw, padding)
    ph = max(kh - sh, 0) // 2 if padding == "same" else 0
    pw = max(kw - sw, 0) // 2 if padding == "same" else 0
    # "valid" with kernel < stride: Keras appends zeros up to (n-1)*s + s
    full = np.pad(full, ((0, 0), (0, max(ph + lh - full.shape[1], 0)),
                         (0, max(pw + lw - full.shape[2], 0)), (0, 0)))
    return full[:, ph : ph + lh, pw : pw + lw]


def ref_conv_valid(x, v):
    """Stride-1 'valid' cross-correlation, channels_last, kernel (T,T,C,O)."""
    th, tw = v.shape[:2]
    oh, ow = x.shape[1] - th + 1, x.shape[2] - tw + 1
    y = np.zeros((x.shape[0], oh, ow, v.shape[3]))
    for a in range(th):
        for c in range(tw):
            y += np.einsum("bhwc,co->bhwo", x[:, a : a + oh, c : c + ow], v[a, c])
    return y


def ref_depth_to_space(y, sh, sw):
    b, h, w, c = y.shape
    y = y.reshape(b, h, w, sh, sw, c // (sh * sw)).transpose(0, 1, 3, 2, 4, 5)
    return y.reshape(b, h * sh, w * sw, c // (sh * sw))


# --------------------------------------------------------------------------
# helpers
# --------------------------------------------------------------------------
def _pair_of_layers(filters, k, s, padding, use_bias, cin, rng, **kw):
    """A Conv2DTranspose and a SubPixelConv2DTranspose with equal weights."""
    # O(1) outputs, so that a 1e-5 absolute tolerance is meaningful in float32
    scale = 1.0 / np.sqrt(np.prod(_pair(k)) * cin)
    kernel = (rng.standard_normal((*_pair(k), filters, cin)) * scale)
    weights = [kernel.astype("float32")]
    if use_bias:
        weights.append(rng.standard_normal(filters).astype("float32"))

    def const(value):  # avoids a per-shape XLA compile at init under JAX
        def init(shape, dtype=None):
            value_ = value.astype(dtype or "float32")
            if BACKEND == "jax":
                import jax

                return jax.device_put(value_)
            return value_

        return init

    layers = [
        cls(filters, k, strides=s, padding=padding, use_bias=use_bias,
            kernel_initializer=const(weights[0]),
            bias_initializer=const(weights[-1]), **kw)
        for cls in (keras.layers.Conv2DTranspose, SubPixelConv2DTranspose)
    ]
    for layer in layers:
        layer.build((None, None, None, cin))
        for a, b in zip(layer.get_weights(), weights):
            assert np.array_equal(a, b)
    return layers[0], layers[1], weights


def _forward(pairs):
    """[layer(x) for (layer, x) in pairs] as numpy (one jit under JAX)."""
    layers = [layer for layer, _ in pairs]
    if BACKEND == "jax":  # one XLA compile instead of one per eager op
        import jax

        def fn(tvs, xs):
            return [l.stateless_call(tv, [], x)[0]
                    for l, tv, x in zip(layers, tvs, xs)]

        tvs = [[v.value for v in l.trainable_variables] for l in layers]
        outs = jax.jit(fn)(tvs, [x for _, x in pairs])
        return [np.asarray(y) for y in outs]
    return [ops.convert_to_numpy(layer(x)) for layer, x in pairs]


def _grads(layers, x, g):
    """For each layer: d(sum(layer(x) * g)) / d(x, *trainable_variables)."""
    if BACKEND == "tensorflow":
        import tensorflow as tf

        result = []
        for layer in layers:
            xt = tf.constant(x)
            with tf.GradientTape() as tape:
                tape.watch(xt)
                loss = tf.reduce_sum(layer(xt) * g)
            result.append(
                tape.gradient(loss, [xt] + list(layer.trainable_variables))
            )
    elif BACKEND == "jax":
        import jax
        import jax.numpy as jnp

        def loss(tvs, xs, g):
            return sum(jnp.sum(l.stateless_call(tv, [], x)[0] * g)
                       for l, tv, x in zip(layers, tvs, xs))

        tvs = [[v.value for v in l.trainable_variables] for l in layers]
        dtvs, dxs = jax.jit(jax.grad(loss, argnums=(0, 1)))(
            tvs, [x] * len(layers), g
        )
        result = [[dx] + list(dtv) for dx, dtv in zip(dxs, dtvs)]
    elif BACKEND == "torch":
        import torch

        result = []
        for layer in layers:
            xt = torch.tensor(x, requires_grad=True)
            out = layer(xt)
            loss = (out * torch.as_tensor(g, device=out.device)).sum()
            tv = [v.value for v in layer.trainable_variables]
            result.append(torch.autograd.grad(loss, [xt] + tv))
    else:  # pragma: no cover
        pytest.skip(f"no gradient helper for backend {BACKEND}")
    return [[ops.convert_to_numpy(d) for d in grads] for grads in result]


# --------------------------------------------------------------------------
# forward equivalence
# --------------------------------------------------------------------------
GRID = list(itertools.product(KERNELS, STRIDES, PADDINGS))
SUBCASES = list(itertools.product([(5, 7), (6, 4)], [True, False]))


@pytest.mark.parametrize("k,s,padding", GRID)
def test_forward_matches_conv2d_transpose(k, s, padding):
    """Each grid point runs odd & even input sizes, with & without bias.

    (Grouped so that JAX compiles one program per grid point.)
    """
    case = GRID.index((k, s, padding))
    rng = np.random.default_rng(case)
    pairs, refs = [], []
    for n, (hw, use_bias) in enumerate(SUBCASES):
        cin, filters = 1 + (case + n) % 8, 1 + (3 * case + 5 * n) % 8
        x = rng.standard_normal((2, *hw, cin)).astype("float32")
        dense, sub, weights = _pair_of_layers(filters, k, s, padding,
                                              use_bias, cin, rng)
        pairs += [(dense, x), (sub, x)]
        ref = ref_conv_transpose(x.astype("float64"), weights[0], s, padding)
        refs.append(ref + weights[1] if use_bias else ref)
    outs = _forward(pairs)
    for n, ref in enumerate(refs):
        what = f"input {SUBCASES[n][0]}, use_bias={SUBCASES[n][1]}"
        (_, x), (sub, _) = pairs[2 * n], pairs[2 * n + 1]
        y_dense, y_sub = outs[2 * n], outs[2 * n + 1]
        assert y_sub.shape == y_dense.shape == ref.shape, what
        assert y_sub.shape == tuple(sub.compute_output_shape(x.shape)), what
        assert np.abs(y_sub - y_dense).max() <= 1e-5, what
        # ...and both agree with the direct numpy definition
        assert np.abs(y_sub - ref).max() <= 1e-5, what
        assert np.abs(y_dense - ref).max() <= 1e-5, what


def test_activation_and_dynamic_spatial_shape():
    rng = np.random.default_rng(1)
    kw = dict(strides=2, padding="same", activation="tanh")
    inp = keras.Input((None, None, 3))
    dense = keras.Model(inp, keras.layers.Conv2DTranspose(5, 4, **kw)(inp))
    inp = keras.Input((None, None, 3))
    sub = keras.Model(inp, SubPixelConv2DTranspose(5, 4, **kw)(inp))
    sub.set_weights(dense.get_weights())
    for hw in [(3, 5), (8, 8)]:
        x = rng.standard_normal((2, *hw, 3)).astype("float32")
        a = dense.predict(x, verbose=0)
        b = sub.predict(x, verbose=0)
        assert b.shape == (2, 2 * hw[0], 2 * hw[1], 5)
        assert np.abs(a - b).max() <= 1e-5


# --------------------------------------------------------------------------
# gradients
# --------------------------------------------------------------------------
GRAD_CASES = [
    (k, s, p)
    for (k, s) in [(1, 2), (2, 3), (3, 1), (4, 2), (5, 3), (4, (2, 1))]
    for p in PADDINGS
]


@pytest.mark.parametrize("k,s,padding", GRAD_CASES)
def test_gradients_match_conv2d_transpose(k, s, padding):
    rng = np.random.default_rng(7)
    dense, sub, _ = _pair_of_layers(3, k, s, padding, True, 2, rng)
    x = rng.standard_normal((2, 5, 6, 2)).astype("float32")
    out_shape = tuple(dense.compute_output_shape(x.shape))
    g = rng.standard_normal(out_shape).astype("float32")
    gd, gs = _grads([dense, sub], x, g)
    names = ["input", "kernel", "bias"]
    for name, a, b in zip(names, gd, gs):
        assert a.shape == b.shape, name
        assert np.abs(a - b).max() <= 1e-4 * max(1.0, np.abs(a).max()), name


def test_one_sgd_step_matches():
    rng = np.random.default_rng(3)
    x = rng.standard_normal((4, 5, 5, 2)).astype("float32")

    def model(cls):
        inp = keras.Input((5, 5, 2))
        h = keras.layers.Conv2D(3, 3, padding="same", name="pre")(inp)
        return keras.Model(inp, cls(2, 4, strides=2, padding="same")(h))

    dense, sub = model(keras.layers.Conv2DTranspose), model(SubPixelConv2DTranspose)
    sub.set_weights(dense.get_weights())
    y = rng.standard_normal((4, 10, 10, 2)).astype("float32")
    for m in (dense, sub):
        m.compile(optimizer=keras.optimizers.SGD(0.1), loss="mse")
        m.fit(x, y, batch_size=4, epochs=1, verbose=0, shuffle=False)
    # the "pre" layer's update depends on the gradient w.r.t. the input
    for a, b in zip(dense.get_weights(), sub.get_weights()):
        assert np.abs(a - b).max() <= 1e-5


# --------------------------------------------------------------------------
# kernel conversion
# --------------------------------------------------------------------------
@pytest.mark.parametrize("k", [(1, 1), (2, 3), (3, 3), (4, 4), (5, 2)])
@pytest.mark.parametrize("s", [1, 2, 3, (2, 1), (1, 3)])
def test_kernel_round_trip_and_numpy_reference(k, s):
    rng = np.random.default_rng(0)
    w = rng.standard_normal((*k, 3, 2))
    v = conv_transpose_kernel_to_subpixel(w, s)
    (sh, sw), (kh, kw) = _pair(s), k
    th, tw = -(-kh // sh), -(-kw // sw)
    assert v.shape == (th, tw, 2, sh * sw * 3)
    # every kernel entry appears exactly once; the rest are zeros
    assert np.count_nonzero(v) == w.size
    assert np.array_equal(np.sort(v[v != 0]), np.sort(w.ravel()))
    assert np.array_equal(subpixel_kernel_to_conv_transpose(v, s, k), w)

    x = rng.standard_normal((2, 4, 5, 2))
    for padding in PADDINGS:
        geo = subpixel_geometry(k, s, padding)
        assert geo["taps"] == (th, tw)
        xp = np.pad(x, ((0, 0), *geo["input_padding"], (0, 0)))
        y = ref_depth_to_space(ref_conv_valid(xp, v), sh, sw)
        (ct, cb), (cl, cr) = geo["output_crop"]
        y = y[:, ct : y.shape[1] - cb, cl : y.shape[2] - cr]
        ref = ref_conv_transpose(x, w, s, padding)
        assert y.shape == ref.shape
        np.testing.assert_allclose(y, ref, rtol=1e-12, atol=1e-12)


def test_numpy_conversion_is_what_call_uses():
    rng = np.random.default_rng(0)
    layer = SubPixelConv2DTranspose(3, (5, 3), strides=(2, 3), padding="same")
    layer.build((None, 6, 6, 4))
    w = rng.standard_normal(layer.kernel.shape).astype("float32")
    layer.kernel.assign(w)
    in_call = ops.convert_to_numpy(layer._subpixel_kernel(layer.kernel))
    assert np.array_equal(in_call, conv_transpose_kernel_to_subpixel(w, (2, 3)))


def test_conversion_rejects_mismatched_shapes():
    v = conv_transpose_kernel_to_subpixel(np.ones((4, 4, 2, 3)), 2)
    with pytest.raises(ValueError):
        subpixel_kernel_to_conv_transpose(v, 2, 5)
    with pytest.raises(ValueError):
        conv_transpose_kernel_to_subpixel(np.ones((4, 4, 2)), 2)


# --------------------------------------------------------------------------
# serialization and weight compatibility
# --------------------------------------------------------------------------
def _model(cls, **kw):
    inp = keras.Input((6, 5, 3))
    out = cls(4, 3, strides=2, padding="same", activation="relu", **kw)(inp)
    return keras.Model(inp, out)


def test_keras_file_round_trip(tmp_path):
    rng = np.random.default_rng(0)
    model = _model(SubPixelConv2DTranspose, bias_initializer="glorot_uniform")
    x = rng.standard_normal((2, 6, 5, 3)).astype("float32")
    path = str(tmp_path / "model.keras")
    model.save(path)
    loaded = keras.models.load_model(path)
    assert isinstance(loaded.layers[-1], SubPixelConv2DTranspose)
    np.testing.assert_array_equal(
        loaded.predict(x, verbose=0), model.predict(x, verbose=0)
    )


def test_config_round_trip():
    layer = SubPixelConv2DTranspose(
        7, (3, 5), strides=(2, 1), padding="valid", activation="relu",
        use_bias=False, name="up",
    )
    config = layer.get_config()
    twin = keras.layers.Conv2DTranspose(
        7, (3, 5), strides=(2, 1), padding="valid", activation="relu",
        use_bias=False, name="up",
    )
    # Conv2DTranspose's config plus the choice of computation.
    assert config == {**twin.get_config(), "implementation": "subpixel"}
    clone = SubPixelConv2DTranspose.from_config(config)
    assert clone.get_config() == config
    ser = keras.saving.serialize_keras_object(layer)
    assert ser["registered_name"] == "kerasgan>SubPixelConv2DTranspose"
    assert isinstance(
        keras.saving.deserialize_keras_object(ser), SubPixelConv2DTranspose
    )


def test_weights_interchangeable_with_conv2d_transpose():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((2, 6, 5, 3)).astype("float32")
    dense = _model(keras.layers.Conv2DTranspose, bias_initializer="glorot_uniform")
    sub = _model(SubPixelConv2DTranspose)
    assert [w.shape for w in sub.weights] == [w.shape for w in dense.weights]
    assert [w.path.split("/")[-1] for w in sub.weights] == ["kernel", "bias"]
    sub.set_weights(dense.get_weights())
    expected = dense.predict(x, verbose=0)
    assert np.abs(sub.predict(x, verbose=0) - expected).max() <= 1e-5
    # converting a whole model with clone_model (recipe in the docstring)
    def swap(layer):
        if type(layer) is keras.layers.Conv2DTranspose:
            return SubPixelConv2DTranspose.from_config(layer.get_config())
        return layer.__class__.from_config(layer.get_config())

    fast = keras.models.clone_model(dense, clone_function=swap)
    assert isinstance(fast.layers[-1], SubPixelConv2DTranspose)
    fast.set_weights(dense.get_weights())
    assert np.abs(fast.predict(x, verbose=0) - expected).max() <= 1e-5
    # and back: the layer's own variable store is interchangeable too
    store = {}
    sub.layers[-1].save_own_variables(store)
    back = _model(keras.layers.Conv2DTranspose)
    back.layers[-1].load_own_variables(store)
    assert np.abs(back.predict(x, verbose=0) - expected).max() <= 1e-5


# --------------------------------------------------------------------------
# unsupported options
# --------------------------------------------------------------------------
@pytest.mark.parametrize(
    "kwargs",
    [
        dict(dilation_rate=2),
        dict(output_padding=1, strides=2),
        dict(data_format="channels_first"),
    ],
    ids=["dilation", "output_padding", "channels_first"],
)
def test_unsupported_options_raise(kwargs):
    with pytest.raises(ValueError, match="keras.layers.Conv2DTranspose"):
        SubPixelConv2DTranspose(4, 3, **kwargs)


@pytest.mark.parametrize("implementation", ["transpose", "auto"])
def test_every_implementation_computes_the_same_function(implementation):
    """'transpose' (the backend's op) and 'auto' match the sub-pixel form."""
    x = np.random.default_rng(0).standard_normal((2, 5, 6, 3)).astype("float32")
    reference = SubPixelConv2DTranspose(4, 4, strides=2, padding="same")
    other = SubPixelConv2DTranspose(4, 4, strides=2, padding="same", implementation=implementation)
    reference.build(x.shape)
    other.build(x.shape)
    other.set_weights(reference.get_weights())
    np.testing.assert_allclose(
        keras.ops.convert_to_numpy(other(x)), keras.ops.convert_to_numpy(reference(x)), atol=1e-5
    )
    assert SubPixelConv2DTranspose.from_config(other.get_config()).implementation == implementation


def test_unknown_implementation_is_a_clear_error():
    with pytest.raises(ValueError, match="implementation must be 'subpixel', 'transpose' or 'auto'"):
        SubPixelConv2DTranspose(4, 4, implementation="fast")
