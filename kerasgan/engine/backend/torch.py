"""PyTorch steps: gradients by autograd."""

import contextlib

import keras
import torch

from kerasgan import fast_ops


def train_step(model, data):
    # Keras's conv ops copy every activation twice, and its conv_transpose
    # computes borders it crops; its batch norm is 5-8x slower than torch's
    # fused kernel (kerasgan/fast_ops/torch_*.py).
    with fast_ops.scope("torch"):
        return model.train_iteration(data)


def take_step(model, player, loss_fn):
    variables = model.player_variables(player)
    with _frozen_except(model, variables):
        loss, logs = loss_fn()
        grads = torch.autograd.grad(
            loss, [v.value for v in variables], allow_unused=True
        )
    _apply(model, player, grads, variables)
    return logs


def forward_with_pullback(model, player, fn):
    variables = model.player_variables(player)
    parameters = [v.value for v in variables]
    with _frozen_except(model, variables), torch.enable_grad():
        outputs = fn()
    flat_outputs = keras.tree.flatten(outputs)

    def pullback(cotangent):
        return torch.autograd.grad(
            flat_outputs, parameters, keras.tree.flatten(cotangent), allow_unused=True
        )

    return outputs, pullback


def take_step_through(model, player, outputs, pullback, loss_fn):
    # `outputs` may be a structure of tensors (CycleGAN's translations).
    inputs = keras.tree.map_structure(lambda t: t.detach().requires_grad_(True), outputs)
    flat_inputs = keras.tree.flatten(inputs)
    with _frozen_except(model, ()), torch.enable_grad():
        loss, logs = loss_fn(inputs)
        cotangents = torch.autograd.grad(loss, flat_inputs, allow_unused=True)
    cotangents = [
        torch.zeros_like(x) if c is None else c for x, c in zip(flat_inputs, cotangents)
    ]
    variables = model.player_variables(player)
    _apply(model, player, pullback(keras.tree.pack_sequence_as(inputs, cotangents)), variables)
    return logs


@contextlib.contextmanager
def _frozen_except(model, variables):
    """Autograd records none of the model's parameters but `variables`.

    The D step then builds no graph through G, and the G step computes no
    weight gradients of D (TensorFlow and JAX prune these by themselves).
    """
    own = {id(v) for v in variables}
    frozen = [
        v.value for v in model.trainable_variables
        if id(v) not in own and v.value.requires_grad
    ]
    for parameter in frozen:
        parameter.requires_grad_(False)
    try:
        yield
    finally:
        for parameter in frozen:
            parameter.requires_grad_(True)


def _apply(model, player, grads, variables):
    with torch.no_grad():
        model.player_optimizer(player).apply(list(grads), variables)


def input_gradient(fn, x):
    """`(fn(x), d sum(fn(x)) / dx)`, with the graph kept for a second backward."""
    x = torch.as_tensor(x)
    if not x.requires_grad:
        x = x.detach().requires_grad_(True)
    with torch.enable_grad():
        outputs = fn(x)
        (grad,) = torch.autograd.grad(outputs.sum(), x, create_graph=True)
    return outputs, grad


def slow_precision(compute_dtype):
    """Why computing in `compute_dtype` would be slow here, or None.

    PyTorch's CPU convolutions take bfloat16 / float16 through oneDNN only
    on CPUs with those units (AVX-512 BF16 / FP16, AMX); elsewhere they fall
    back to reference kernels. Measured on an AMD EPYC with AVX2 only: a
    DCGAN-64 iteration under `mixed_bfloat16` took 49 s against 1.9 s in
    float32 (benchmarks/README.md, `torch-bf16`).
    """
    if compute_dtype not in ("bfloat16", "float16"):
        return None
    if not _on_cpu() or _cpu_supports(compute_dtype):
        return None
    return (
        f"PyTorch's convolutions on this CPU have no {compute_dtype} support (no AVX-512 "
        f"{'BF16' if compute_dtype == 'bfloat16' else 'FP16'} or AMX): they fall back to "
        f"reference kernels (a DCGAN-64 iteration in bfloat16 measured 26x slower than in "
        f"float32). Train in float32 here (keras.config.set_dtype_policy('float32')), or on "
        f"the jax or tensorflow backend (bfloat16 cost them about 5% on such a CPU)."
    )


def _on_cpu():
    from keras.src.backend.torch.core import get_device  # private: Keras's torch device

    return get_device() == "cpu"


def _cpu_supports(compute_dtype):
    # Private torch ops: what oneDNN's CPU kernels support on this CPU.
    mkldnn = torch.ops.mkldnn
    if compute_dtype == "bfloat16":
        return mkldnn._is_mkldnn_bf16_supported()
    return mkldnn._is_mkldnn_fp16_supported()


# torch.compile is opt-in (`jit_compile=True`): its compile time is long.
AUTO_JIT_COMPILE = False
