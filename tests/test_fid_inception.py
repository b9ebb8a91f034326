"""The FID Inception network: architecture, weight conversion and loading, inputs.

The reference for names, shapes and forward passes is pytorch-fid
(`src/pytorch_fid/inception.py`: torchvision's Inception3 with 1008 classes,
no AuxLogits, and FIDInceptionA/C/E_1/E_2). It is restated here independently of
`kerasgan.extractors` as (a) a table of state-dict names and shapes and (b)
when torch is importable, small pure-PyTorch modules with the same names.
No real weights are needed: random ones stand in for them.
"""


import keras
import numpy as np
import pytest

from kerasgan.extractors import AveragePooling2DExcludePad
from kerasgan.extractors import InceptionFeatureExtractor
from kerasgan.extractors import InceptionWeightsNotFoundError
from kerasgan.extractors import convert_state_dict
from kerasgan.extractors import fid_inception as fi

ENV = "KERASGAN_FID_INCEPTION_WEIGHTS"

# ---------------------------------------------------------------------------
# pytorch-fid's state dict, restated: (name, shape) in module order
# ---------------------------------------------------------------------------


def _conv(name, cin, cout, k):
    kh, kw = (k, k) if isinstance(k, int) else k
    bn = [(f"{name}.bn.{s}", (cout,)) for s in ("weight", "bias", "running_mean", "running_var")]
    counter = (f"{name}.bn.num_batches_tracked", ())
    return [(f"{name}.conv.weight", (cout, cin, kh, kw)), *bn, counter]


def _block_a(p, cin, pool_features):  # InceptionA
    return [
        *_conv(f"{p}.branch1x1", cin, 64, 1),
        *_conv(f"{p}.branch5x5_1", cin, 48, 1),
        *_conv(f"{p}.branch5x5_2", 48, 64, 5),
        *_conv(f"{p}.branch3x3dbl_1", cin, 64, 1),
        *_conv(f"{p}.branch3x3dbl_2", 64, 96, 3),
        *_conv(f"{p}.branch3x3dbl_3", 96, 96, 3),
        *_conv(f"{p}.branch_pool", cin, pool_features, 1),
    ]


def _block_b(p, cin):  # InceptionB
    return [
        *_conv(f"{p}.branch3x3", cin, 384, 3),
        *_conv(f"{p}.branch3x3dbl_1", cin, 64, 1),
        *_conv(f"{p}.branch3x3dbl_2", 64, 96, 3),
        *_conv(f"{p}.branch3x3dbl_3", 96, 96, 3),
    ]


def _block_c(p, cin, c7):  # InceptionC
    return [
        *_conv(f"{p}.branch1x1", cin, 192, 1),
        *_conv(f"{p}.branch7x7_1", cin, c7, 1),
        *_conv(f"{p}.branch7x7_2", c7, c7, (1, 7)),
        *_conv(f"{p}.branch7x7_3", c7, 192, (7, 1)),
        *_conv(f"{p}.branch7x7dbl_1", cin, c7, 1),
        *_conv(f"{p}.branch7x7dbl_2", c7, c7, (7, 1)),
        *_conv(f"{p}.branch7x7dbl_3", c7, c7, (1, 7)),
        *_conv(f"{p}.branch7x7dbl_4", c7, c7, (7, 1)),
        *_conv(f"{p}.branch7x7dbl_5", c7, 192, (1, 7)),
        *_conv(f"{p}.branch_pool", cin, 192, 1),
    ]


def _block_d(p, cin):  # InceptionD
    return [
        *_conv(f"{p}.branch3x3_1", cin, 192, 1),
        *_conv(f"{p}.branch3x3_2", 192, 320, 3),
        *_conv(f"{p}.branch7x7x3_1", cin, 192, 1),
        *_conv(f"{p}.branch7x7x3_2", 192, 192, (1, 7)),
        *_conv(f"{p}.branch7x7x3_3", 192, 192, (7, 1)),
        *_conv(f"{p}.branch7x7x3_4", 192, 192, 3),
    ]


def _block_e(p, cin):  # InceptionE
    return [
        *_conv(f"{p}.branch1x1", cin, 320, 1),
        *_conv(f"{p}.branch3x3_1", cin, 384, 1),
        *_conv(f"{p}.branch3x3_2a", 384, 384, (1, 3)),
        *_conv(f"{p}.branch3x3_2b", 384, 384, (3, 1)),
        *_conv(f"{p}.branch3x3dbl_1", cin, 448, 1),
        *_conv(f"{p}.branch3x3dbl_2", 448, 384, 3),
        *_conv(f"{p}.branch3x3dbl_3a", 384, 384, (1, 3)),
        *_conv(f"{p}.branch3x3dbl_3b", 384, 384, (3, 1)),
        *_conv(f"{p}.branch_pool", cin, 192, 1),
    ]


def pytorch_fid_shapes():
    return [
        *_conv("Conv2d_1a_3x3", 3, 32, 3),
        *_conv("Conv2d_2a_3x3", 32, 32, 3),
        *_conv("Conv2d_2b_3x3", 32, 64, 3),
        *_conv("Conv2d_3b_1x1", 64, 80, 1),
        *_conv("Conv2d_4a_3x3", 80, 192, 3),
        *_block_a("Mixed_5b", 192, 32),
        *_block_a("Mixed_5c", 256, 64),
        *_block_a("Mixed_5d", 288, 64),
        *_block_b("Mixed_6a", 288),
        *_block_c("Mixed_6b", 768, 128),
        *_block_c("Mixed_6c", 768, 160),
        *_block_c("Mixed_6d", 768, 160),
        *_block_c("Mixed_6e", 768, 192),
        *_block_d("Mixed_7a", 768),
        *_block_e("Mixed_7b", 1280),
        *_block_e("Mixed_7c", 2048),
        ("fc.weight", (1008, 2048)),
        ("fc.bias", (1008,)),
    ]


def _is_buffer(name):
    return name.endswith(("running_mean", "running_var", "num_batches_tracked"))


# torch.nn.Module.parameters() of pytorch-fid's FIDInceptionV3 (buffers excluded).
# Cross-check: torchvision documents inception_v3 (1000 classes, with AuxLogits)
# at 27,161,264 parameters; its AuxLogits hold 768*128 + 2*128 (conv0, bn)
# + 5*5*128*768 + 2*768 (conv1, bn) + 768*1000 + 1000 (fc) = 3,326,696, and
# the 1008-class fc adds 8*2048 + 8 = 16,392: 27,161,264 - 3,326,696 + 16,392.
PYTORCH_FID_PARAMETERS = 23_850_960


def fake_state_dict(seed=0, shapes=None):
    """Random pytorch-fid-style tensors that keep activations O(1) through the net."""
    rng = np.random.default_rng(seed)
    out = {}
    for name, shape in shapes or pytorch_fid_shapes():
        if name.endswith("num_batches_tracked"):
            out[name] = np.array(7, dtype="int64")
        elif name.endswith("conv.weight") or name == "fc.weight":
            fan_in = int(np.prod(shape[1:]))
            out[name] = rng.normal(0, np.sqrt(2.0 / fan_in), shape).astype("float32")
        elif name.endswith(("bn.weight", "running_var")):
            out[name] = rng.uniform(0.5, 1.5, shape).astype("float32")
        else:  # bn.bias, running_mean, fc.bias
            out[name] = rng.normal(0, 0.1, shape).astype("float32")
    return out


# ---------------------------------------------------------------------------
# A pure-PyTorch reference (written from torchvision's module structure)
# ---------------------------------------------------------------------------


def torch_reference():
    torch = pytest.importorskip("torch")
    from torch import nn
    from torch.nn import functional as F

    class BasicConv2d(nn.Module):
        def __init__(self, cin, cout, k, stride=1, padding=0):
            super().__init__()
            self.conv = nn.Conv2d(cin, cout, k, stride=stride, padding=padding, bias=False)
            self.bn = nn.BatchNorm2d(cout, eps=0.001)

        def forward(self, x):
            return F.relu(self.bn(self.conv(x)))

    class A(nn.Module):
        def __init__(self, cin, pool_features):
            super().__init__()
            self.branch1x1 = BasicConv2d(cin, 64, 1)
            self.branch5x5_1 = BasicConv2d(cin, 48, 1)
            self.branch5x5_2 = BasicConv2d(48, 64, 5, padding=2)
            self.branch3x3dbl_1 = BasicConv2d(cin, 64, 1)
            self.branch3x3dbl_2 = BasicConv2d(64, 96, 3, padding=1)
            self.branch3x3dbl_3 = BasicConv2d(96, 96, 3, padding=1)
            self.branch_pool = BasicConv2d(cin, pool_features, 1)

        def forward(self, x):
            b5 = self.branch5x5_2(self.branch5x5_1(x))
            b3 = self.branch3x3dbl_3(self.branch3x3dbl_2(self.branch3x3dbl_1(x)))
            bp = F.avg_pool2d(x, 3, stride=1, padding=1, count_include_pad=False)
            return torch.cat([self.branch1x1(x), b5, b3, self.branch_pool(bp)], 1)

    class B(nn.Module):
        def __init__(self, cin):
            super().__init__()
            self.branch3x3 = BasicConv2d(cin, 384, 3, stride=2)
            self.branch3x3dbl_1 = BasicConv2d(cin, 64, 1)
            self.branch3x3dbl_2 = BasicConv2d(64, 96, 3, padding=1)
            self.branch3x3dbl_3 = BasicConv2d(96, 96, 3, stride=2)

        def forward(self, x):
            bd = self.branch3x3dbl_3(self.branch3x3dbl_2(self.branch3x3dbl_1(x)))
            return torch.cat([self.branch3x3(x), bd, F.max_pool2d(x, 3, stride=2)], 1)

    class C(nn.Module):
        def __init__(self, cin, c7):
            super().__init__()
            self.branch1x1 = BasicConv2d(cin, 192, 1)
            self.branch7x7_1 = BasicConv2d(cin, c7, 1)
            self.branch7x7_2 = BasicConv2d(c7, c7, (1, 7), padding=(0, 3))
            self.branch7x7_3 = BasicConv2d(c7, 192, (7, 1), padding=(3, 0))
            self.branch7x7dbl_1 = BasicConv2d(cin, c7, 1)
            self.branch7x7dbl_2 = BasicConv2d(c7, c7, (7, 1), padding=(3, 0))
            self.branch7x7dbl_3 = BasicConv2d(c7, c7, (1, 7), padding=(0, 3))
            self.branch7x7dbl_4 = BasicConv2d(c7, c7, (7, 1), padding=(3, 0))
            self.branch7x7dbl_5 = BasicConv2d(c7, 192, (1, 7), padding=(0, 3))
            self.branch_pool = BasicConv2d(cin, 192, 1)

        def forward(self, x):
            b7 = self.branch7x7_3(self.branch7x7_2(self.branch7x7_1(x)))
            bd = self.branch7x7dbl_1(x)
            for i in (2, 3, 4, 5):
                bd = getattr(self, f"branch7x7dbl_{i}")(bd)
            bp = F.avg_pool2d(x, 3, stride=1, padding=1, count_include_pad=False)
            return torch.cat([self.branch1x1(x), b7, bd, self.branch_pool(bp)], 1)

    class D(nn.Module):
        def __init__(self, cin):
            super().__init__()
            self.branch3x3_1 = BasicConv2d(cin, 192, 1)
            self.branch3x3_2 = BasicConv2d(192, 320, 3, stride=2)
            self.branch7x7x3_1 = BasicConv2d(cin, 192, 1)
            self.branch7x7x3_2 = BasicConv2d(192, 192, (1, 7), padding=(0, 3))
            self.branch7x7x3_3 = BasicConv2d(192, 192, (7, 1), padding=(3, 0))
            self.branch7x7x3_4 = BasicConv2d(192, 192, 3, stride=2)

        def forward(self, x):
            b3 = self.branch3x3_2(self.branch3x3_1(x))
            b7 = self.branch7x7x3_1(x)
            for m in (self.branch7x7x3_2, self.branch7x7x3_3, self.branch7x7x3_4):
                b7 = m(b7)
            return torch.cat([b3, b7, F.max_pool2d(x, 3, stride=2)], 1)

    class E(nn.Module):
        def __init__(self, cin, pool):
            super().__init__()
            self.pool = pool
            self.branch1x1 = BasicConv2d(cin, 320, 1)
            self.branch3x3_1 = BasicConv2d(cin, 384, 1)
            self.branch3x3_2a = BasicConv2d(384, 384, (1, 3), padding=(0, 1))
            self.branch3x3_2b = BasicConv2d(384, 384, (3, 1), padding=(1, 0))
            self.branch3x3dbl_1 = BasicConv2d(cin, 448, 1)
            self.branch3x3dbl_2 = BasicConv2d(448, 384, 3, padding=1)
            self.branch3x3dbl_3a = BasicConv2d(384, 384, (1, 3), padding=(0, 1))
            self.branch3x3dbl_3b = BasicConv2d(384, 384, (3, 1), padding=(1, 0))
            self.branch_pool = BasicConv2d(cin, 192, 1)

        def forward(self, x):
            b3 = self.branch3x3_1(x)
            b3 = torch.cat([self.branch3x3_2a(b3), self.branch3x3_2b(b3)], 1)
            bd = self.branch3x3dbl_2(self.branch3x3dbl_1(x))
            bd = torch.cat([self.branch3x3dbl_3a(bd), self.branch3x3dbl_3b(bd)], 1)
            if self.pool == "avg":  # FIDInceptionE_1
                bp = F.avg_pool2d(x, 3, stride=1, padding=1, count_include_pad=False)
            else:  # FIDInceptionE_2
                bp = F.max_pool2d(x, 3, stride=1, padding=1)
            return torch.cat([self.branch1x1(x), b3, bd, self.branch_pool(bp)], 1)

    class FIDInception(nn.Module):
        def __init__(self):
            super().__init__()
            self.Conv2d_1a_3x3 = BasicConv2d(3, 32, 3, stride=2)
            self.Conv2d_2a_3x3 = BasicConv2d(32, 32, 3)
            self.Conv2d_2b_3x3 = BasicConv2d(32, 64, 3, padding=1)
            self.Conv2d_3b_1x1 = BasicConv2d(64, 80, 1)
            self.Conv2d_4a_3x3 = BasicConv2d(80, 192, 3)
            self.Mixed_5b, self.Mixed_5c, self.Mixed_5d = A(192, 32), A(256, 64), A(288, 64)
            self.Mixed_6a = B(288)
            self.Mixed_6b, self.Mixed_6c = C(768, 128), C(768, 160)
            self.Mixed_6d, self.Mixed_6e = C(768, 160), C(768, 192)
            self.Mixed_7a = D(768)
            self.Mixed_7b, self.Mixed_7c = E(1280, "avg"), E(2048, "max")
            self.fc = nn.Linear(2048, 1008)

        def forward(self, images):
            """NCHW in [-1, 1], any size -> (pool_3, logits), like pytorch-fid."""
            x = F.interpolate(images, size=(299, 299), mode="bilinear", align_corners=False)
            x = self.Conv2d_2b_3x3(self.Conv2d_2a_3x3(self.Conv2d_1a_3x3(x)))
            x = F.max_pool2d(x, 3, stride=2)
            x = self.Conv2d_4a_3x3(self.Conv2d_3b_1x1(x))
            x = F.max_pool2d(x, 3, stride=2)
            for name in ("5b", "5c", "5d", "6a", "6b", "6c", "6d", "6e", "7a", "7b", "7c"):
                x = getattr(self, f"Mixed_{name}")(x)
            pool_3 = F.adaptive_avg_pool2d(x, 1).flatten(1)
            return pool_3, self.fc(pool_3)

    return torch, {"A": A, "B": B, "C": C, "D": D, "E": E, "FIDInception": FIDInception}


def _to_torch(torch, state_dict):
    return {k: torch.from_numpy(np.asarray(v)) for k, v in state_dict.items()}


def _assert_close(actual, expected, rtol=1e-4):
    scale = float(np.max(np.abs(expected)))
    assert scale > 1e-3, "degenerate reference"
    np.testing.assert_allclose(actual, expected, rtol=rtol, atol=rtol * scale)


# ---------------------------------------------------------------------------
# Fixtures: one converted full model and its weights file per backend run
# ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def state_dict():
    return fake_state_dict(seed=0)


@pytest.fixture(scope="module")
def converted(state_dict, tmp_path_factory):
    path = str(tmp_path_factory.mktemp("fid") / "fid_inception_v3.weights.h5")
    model = convert_state_dict(state_dict, output_path=path)
    return model, path


# ---------------------------------------------------------------------------
# (e) average pooling without the padding
# ---------------------------------------------------------------------------


def _brute_force_avg_pool_exclude_pad(x, pool, strides):
    n, h, w, c = x.shape
    out_shape, pad_before = [], []
    for size, k, s in zip((h, w), pool, strides):
        out = -(-size // s)  # TF/Keras "same"
        out_shape.append(out)
        pad_before.append(max((out - 1) * s + k - size, 0) // 2)
    y = np.zeros((n, *out_shape, c))
    for i in range(out_shape[0]):
        for j in range(out_shape[1]):
            r0, c0 = i * strides[0] - pad_before[0], j * strides[1] - pad_before[1]
            window = x[:, max(r0, 0) : r0 + pool[0], max(c0, 0) : c0 + pool[1], :]
            y[:, i, j, :] = window.mean(axis=(1, 2))  # only real pixels
    return y


@pytest.mark.parametrize(
    "shape, pool, strides",
    [
        ((2, 5, 6, 3), (3, 3), (1, 1)),  # the FID case
        ((1, 7, 5, 2), (2, 3), (1, 2)),  # asymmetric padding
        ((1, 6, 7, 1), (3, 3), (2, 2)),
    ],
)
def test_average_pooling_exclude_pad_matches_brute_force(shape, pool, strides):
    x = np.random.default_rng(1).normal(size=shape).astype("float32")
    layer = AveragePooling2DExcludePad(pool, strides)
    y = keras.ops.convert_to_numpy(layer(x))
    expected = _brute_force_avg_pool_exclude_pad(x, pool, strides)
    assert y.shape == expected.shape == layer.compute_output_shape(shape)
    np.testing.assert_allclose(y, expected, rtol=1e-5, atol=1e-6)


def test_average_pooling_exclude_pad_serializes():
    layer = AveragePooling2DExcludePad((2, 3), 1, name="p")
    clone = keras.layers.deserialize(keras.layers.serialize(layer))
    assert isinstance(clone, AveragePooling2DExcludePad)
    assert clone.get_config() == layer.get_config()
    assert clone.pool_size == (2, 3) and clone.strides == (1, 1)
    with pytest.raises(ValueError, match="pool_size"):
        AveragePooling2DExcludePad(0)


# ---------------------------------------------------------------------------
# (a) architecture
# ---------------------------------------------------------------------------


def test_reference_table_matches_torch_modules():
    torch, ref = torch_reference()
    table = dict(pytorch_fid_shapes())
    with torch.device("meta"):  # shapes only, no memory or initialization
        net = ref["FIDInception"]()
    actual = {k: tuple(v.shape) for k, v in net.state_dict().items()}
    assert actual == table


def test_parameter_count(converted):
    model, _ = converted
    table = pytorch_fid_shapes()
    params = sum(int(np.prod(s)) for n, s in table if not _is_buffer(n))
    buffers = sum(int(np.prod(s)) for n, s in table if _is_buffer(n) and s)  # not the step counters
    assert params == PYTORCH_FID_PARAMETERS
    trainable = sum(int(np.prod(w.shape)) for w in model.trainable_weights)
    assert trainable == PYTORCH_FID_PARAMETERS
    # Keras also counts BatchNorm's moving mean/variance (PyTorch buffers).
    assert model.count_params() == params + buffers == 23_885_392
    # Per block (a mistake in one block would show here): Mixed_5b and Mixed_7c.
    for block in ("Mixed_5b", "Mixed_7c"):
        keras_n = sum(
            int(np.prod(w.shape))
            for layer in model.layers
            if layer.name.startswith(block + "-")
            for w in layer.trainable_weights
        )
        table_n = sum(
            int(np.prod(s)) for n, s in table if n.startswith(block + ".") and not _is_buffer(n)
        )
        assert keras_n == table_n


def test_pool3_only_model_shapes():
    with fi.zeros_initialization():
        model = fi.fid_inception_v3(include_logits=False, input_shape=(75, 75, 3))
    assert tuple(model.output.shape) == (None, 2048)
    assert model.get_layer("Mixed_7c-max_pool") is not None
    assert "fc" not in [layer.name for layer in model.layers]


# Each block in isolation against the PyTorch reference, on random normal
# inputs (negative values too: they test the max-pool and exclude-pad borders).
BLOCKS = [
    ("Mixed_5b", "A", (192, 32), lambda x: fi.fid_inception_a(x, 32, "Mixed_5b")),
    ("Mixed_6a", "B", (288,), lambda x: fi.inception_b(x, "Mixed_6a")),
    ("Mixed_6b", "C", (768, 128), lambda x: fi.fid_inception_c(x, 128, "Mixed_6b")),
    ("Mixed_7a", "D", (768,), lambda x: fi.inception_d(x, "Mixed_7a")),
    ("Mixed_7b", "E", (1280, "avg"), lambda x: fi.fid_inception_e(x, "avg", "Mixed_7b")),
    ("Mixed_7c", "E", (2048, "max"), lambda x: fi.fid_inception_e(x, "max", "Mixed_7c")),
]


@pytest.mark.parametrize("name, kind, args, build", BLOCKS, ids=[b[0] for b in BLOCKS])
def test_block_matches_pytorch_reference(name, kind, args, build):
    torch, ref = torch_reference()
    block = ref[kind](*args).eval()
    shapes = [(f"{name}.{k}", tuple(v.shape)) for k, v in block.state_dict().items()]
    weights = fake_state_dict(seed=3, shapes=shapes)
    block.load_state_dict({k.split(".", 1)[1]: v for k, v in _to_torch(torch, weights).items()})

    cin = args[0]
    x = np.random.default_rng(4).normal(size=(2, 7, 7, cin)).astype("float32")
    inputs = keras.Input((7, 7, cin))
    with fi.zeros_initialization():
        model = keras.Model(inputs, build(inputs))
    fi.load_pytorch_state_dict(model, weights)
    actual = keras.ops.convert_to_numpy(model(x, training=False))
    with torch.no_grad():
        expected = block(torch.from_numpy(x).permute(0, 3, 1, 2)).permute(0, 2, 3, 1).numpy()
    assert actual.shape == expected.shape
    _assert_close(actual, expected)


# ---------------------------------------------------------------------------
# (b) conversion and loading
# ---------------------------------------------------------------------------


def test_conversion_maps_conv_bn_fc(converted, state_dict):
    model, _ = converted
    conv, bn = model.get_layer("Conv2d_1a_3x3-conv"), model.get_layer("Conv2d_1a_3x3-bn")
    probe = keras.Model(model.input, [conv.output, bn.output])
    x = np.random.default_rng(5).uniform(-1, 1, (1, 299, 299, 3)).astype("float32")
    conv_out, bn_out = (keras.ops.convert_to_numpy(t) for t in probe.predict_on_batch(x))

    # Direct 3x3 stride-2 "valid" convolution with the original OIHW weights.
    w = state_dict["Conv2d_1a_3x3.conv.weight"]
    windows = np.lib.stride_tricks.sliding_window_view(x[0], (3, 3), axis=(0, 1))[::2, ::2]
    expected = np.einsum("ijchw,ochw->ijo", windows, w)  # (149, 149, 32)
    assert conv_out.shape == (1, 149, 149, 32)
    _assert_close(conv_out[0], expected)

    p = "Conv2d_1a_3x3.bn."
    expected_bn = (conv_out - state_dict[p + "running_mean"]) / np.sqrt(
        state_dict[p + "running_var"] + 1e-3
    ) * state_dict[p + "weight"] + state_dict[p + "bias"]
    _assert_close(bn_out, expected_bn)

    pool = np.random.default_rng(6).normal(size=(3, 2048)).astype("float32")
    fc_out = keras.ops.convert_to_numpy(model.get_layer("fc")(pool))
    _assert_close(fc_out, pool @ state_dict["fc.weight"].T + state_dict["fc.bias"])


def test_conversion_is_strict(converted, state_dict):
    model, _ = converted
    missing = {k: v for k, v in state_dict.items() if k != "Mixed_6e.branch_pool.bn.running_var"}
    with pytest.raises(ValueError, match=r"missing: Mixed_6e\.branch_pool\.bn\.running_var"):
        fi.load_pytorch_state_dict(model, missing)
    extra = {**state_dict, "AuxLogits.fc.weight": np.zeros((1008, 768), "float32")}
    with pytest.raises(ValueError, match=r"unmapped: AuxLogits\.fc\.weight"):
        fi.load_pytorch_state_dict(model, extra)
    wrong = {**state_dict, "fc.weight": np.zeros((1000, 2048), "float32")}
    with pytest.raises(ValueError, match=r"wrong shape: fc\.weight"):
        fi.load_pytorch_state_dict(model, wrong)
    # Nothing was assigned by the failed calls.
    np.testing.assert_array_equal(
        keras.ops.convert_to_numpy(model.get_layer("fc").kernel), state_dict["fc.weight"].T
    )
    # num_batches_tracked is optional.
    trimmed = {k: v for k, v in state_dict.items() if not k.endswith("num_batches_tracked")}
    fi.load_pytorch_state_dict(model, trimmed)


def test_extractor_loads_weights_via_env_and_matches_pytorch(converted, state_dict, monkeypatch):
    """The one full-network test: 2 images, 299x299 after resizing."""
    _, path = converted
    monkeypatch.setenv(ENV, path)
    extractor = InceptionFeatureExtractor(batch_size=2)
    images = np.tanh(np.random.default_rng(7).normal(size=(2, 40, 36, 3))).astype("float32")
    features, logits = extractor.features_and_logits(images)
    assert features.shape == (2, 2048) and logits.shape == (2, 1008)
    assert features.dtype == logits.dtype == np.float32
    assert np.all(np.isfinite(features)) and np.all(features >= 0)  # a mean of ReLUs
    assert features.std() > 0

    try:
        torch, ref = torch_reference()
    except pytest.skip.Exception:
        torch = None
    if torch is not None:
        with torch.device("meta"):
            net = ref["FIDInception"]().eval()
        net.load_state_dict(_to_torch(torch, state_dict), assign=True)  # strict
        with torch.no_grad():
            t_features, t_logits = net(torch.from_numpy(images).permute(0, 3, 1, 2))
        _assert_close(features, t_features.numpy(), rtol=1e-3)
        _assert_close(logits, t_logits.numpy(), rtol=1e-3)

    # Other weights, other features: the weights really are in use.
    changed = dict(state_dict)
    changed["Mixed_5b.branch1x1.conv.weight"] = -state_dict["Mixed_5b.branch1x1.conv.weight"]
    fi.load_pytorch_state_dict(extractor.model, changed)
    features2 = extractor(images, verbose=True)
    assert features2.shape == (2, 2048)
    assert not np.allclose(features2, features, rtol=1e-3, atol=1e-4)


@pytest.mark.once  # the conversion is numpy; loading the weights is tested per backend above
def test_converter_script(converted, state_dict, tmp_path):
    torch = pytest.importorskip("torch")
    model, _ = converted
    pth = tmp_path / "pt_inception-fake.pth"
    torch.save(_to_torch(torch, state_dict), pth)
    from kerasgan import cli
    from kerasgan.extractors import convert_fid_inception_weights as script

    assert script.convert_state_dict is convert_state_dict
    out = tmp_path / "out.weights.h5"
    # The shipped command (`kerasgan convert-inception-weights`).
    assert cli.main(["convert-inception-weights", str(pth), "--output", str(out)]) == 0
    model.load_weights(str(out))  # same values as the fixture's: nothing changes
    np.testing.assert_array_equal(
        keras.ops.convert_to_numpy(model.get_layer("Mixed_7c-branch_pool-conv").kernel),
        state_dict["Mixed_7c.branch_pool.conv.weight"].transpose(2, 3, 1, 0),
    )
    bad = tmp_path / "pt_inception-deadbeef.pth"  # a name carrying a wrong sha256 prefix
    bad.write_bytes(pth.read_bytes())
    with pytest.raises(ValueError, match="sha256"):
        script.main([str(bad), "--output", str(out)])
    # From the command line: a clear error, no traceback.
    assert cli.main(["convert-inception-weights", str(bad), "--output", str(out)]) == 2
    assert cli.main(["convert-inception-weights", str(tmp_path / "missing.pth")]) == 2


# ---------------------------------------------------------------------------
# (c) missing weights
# ---------------------------------------------------------------------------


def test_weights_resolution_order(tmp_path, monkeypatch):
    explicit, from_env = tmp_path / "a.weights.h5", tmp_path / "b.weights.h5"
    explicit.touch()
    from_env.touch()
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setenv(ENV, str(from_env))
    assert fi.resolve_weights_path(explicit) == str(explicit)
    assert fi.resolve_weights_path() == str(from_env)
    monkeypatch.delenv(ENV)
    default = tmp_path / "home" / ".keras" / "kerasgan" / "fid_inception_v3.weights.h5"
    assert fi.default_weights_path() == str(default)
    default.parent.mkdir(parents=True)
    default.touch()
    assert fi.resolve_weights_path() == str(default)


@pytest.mark.parametrize("where", ["argument", "env", "default"])
def test_missing_weights_error(where, tmp_path, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.delenv(ENV, raising=False)
    weights = "fid"
    if where == "argument":
        weights = str(tmp_path / "nope.weights.h5")
    elif where == "env":
        monkeypatch.setenv(ENV, str(tmp_path / "nope.weights.h5"))
    with pytest.raises(InceptionWeightsNotFoundError) as info:
        InceptionFeatureExtractor(weights=weights)
    message = str(info.value)
    assert isinstance(info.value, FileNotFoundError)
    assert fi.FID_WEIGHTS_URL in message
    assert "kerasgan convert-inception-weights" in message
    assert ENV in message and fi.default_weights_path() in message
    assert ("nope.weights.h5" in message) == (where != "default")


# ---------------------------------------------------------------------------
# (d) inputs: validation, scaling, resizing
# ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def extractor(converted):
    return InceptionFeatureExtractor(model=converted[0])


@pytest.mark.parametrize(
    "images, kwargs, match",
    [
        (np.zeros((8, 8, 3), "float32"), {}, r"rank 3.*images\[None\]"),
        (np.zeros((2, 8, 8, 4), "float32"), {}, "1 or 3 channels.*got 4 channels"),
        (np.zeros((2, 3, 8, 8), "float32"), {}, "channels-first"),
        (np.full((1, 8, 8, 3), 200.0, "float32"), {}, r"\[-1, 1\].*input_range=\(0, 255\)"),
        (np.full((1, 8, 8, 3), -1.5, "float32"), {}, r"got values in \[-1.5, -1.5\]"),
        (np.zeros((1, 8, 8, 3), "uint8"), {}, r"uint8.*input_range=\(0, 255\)"),
        (np.full((1, 8, 8, 3), 2.0, "float32"), {"input_range": (0, 1)}, r"\[0, 1\]"),
        (np.full((1, 8, 8, 3), np.nan, "float32"), {}, "NaN"),
        (np.zeros((1, 8, 8, 3), "float32"), {"input_range": (1, 0)}, "low < high"),
        (np.zeros((1, 8, 8, 3), "float32"), {"batch_size": 0}, "batch_size"),
    ],
)
def test_bad_inputs(extractor, images, kwargs, match):
    with pytest.raises(ValueError, match=match):
        extractor.features(images, **kwargs)


def test_empty_batch(extractor):
    features, logits = extractor.features_and_logits(np.zeros((0, 8, 8, 3), "float32"))
    assert features.shape == (0, 2048) and logits.shape == (0, 1008)


def test_preprocess_scales_and_repeats_grayscale():
    gray = np.random.default_rng(8).integers(0, 256, (2, 299, 299, 1)).astype("uint8")
    x = keras.ops.convert_to_numpy(fi._preprocess(gray, (0.0, 255.0)))
    assert x.shape == (2, 299, 299, 3) and x.dtype == np.float32
    np.testing.assert_allclose(x, np.repeat(gray / 127.5 - 1, 3, axis=-1), atol=1e-6)
    unit = np.random.default_rng(9).uniform(0, 1, (1, 299, 299, 3)).astype("float32")
    np.testing.assert_allclose(
        keras.ops.convert_to_numpy(fi._preprocess(unit, (0.0, 1.0))), 2 * unit - 1, atol=1e-6
    )


def _bilinear_half_pixel(x, out_h, out_w):
    """PyTorch `F.interpolate(bilinear, align_corners=False)` on NHWC, in numpy."""

    def weights(n_in, n_out):
        src = np.maximum((np.arange(n_out) + 0.5) * (n_in / n_out) - 0.5, 0)
        i0 = np.floor(src).astype(int)
        i1 = np.minimum(i0 + 1, n_in - 1)
        m = np.zeros((n_out, n_in))
        m[np.arange(n_out), i0] += 1 - (src - i0)
        m[np.arange(n_out), i1] += src - i0
        return m

    rows, cols = weights(x.shape[1], out_h), weights(x.shape[2], out_w)
    return np.einsum("ph,nhwc,qw->npqc", rows, x, cols, optimize=True)


@pytest.mark.parametrize("size", [(17, 23), (420, 350)], ids=["upsample", "downsample"])
def test_resize_matches_pytorch_bilinear(size):
    x = np.random.default_rng(10).uniform(-1, 1, (1, *size, 3)).astype("float32")
    actual = keras.ops.convert_to_numpy(fi._preprocess(x, (-1.0, 1.0)))
    # float32 source coordinates (~420 * 2**-24 off) make every backend, and
    # PyTorch's own float32 resize, differ from float64 by up to ~5e-5.
    np.testing.assert_allclose(actual, _bilinear_half_pixel(x, 299, 299), atol=1e-4)
    try:
        import torch
    except ImportError:
        return
    expected = torch.nn.functional.interpolate(
        torch.from_numpy(x).permute(0, 3, 1, 2),
        size=(299, 299),
        mode="bilinear",
        align_corners=False,
    )
    np.testing.assert_allclose(actual, expected.permute(0, 2, 3, 1).numpy(), atol=1e-4)
