"""PyTorch steps: gradients by autograd."""

import torch


def train_step(model, data):
    return model.adversarial_step(data)


def take_step(model, player, loss_fn):
    variables = model.player_variables(player)
    own = {id(v) for v in variables}
    # Autograd need not record the other players' parameters: the D step then
    # builds no graph through G, and the G step computes no weight gradients
    # of D (TensorFlow and JAX prune these by themselves).
    frozen = [
        v.value for v in model.trainable_variables
        if id(v) not in own and v.value.requires_grad
    ]
    for parameter in frozen:
        parameter.requires_grad_(False)
    try:
        loss, logs = loss_fn()
        grads = torch.autograd.grad(
            loss, [v.value for v in variables], allow_unused=True
        )
    finally:
        for parameter in frozen:
            parameter.requires_grad_(True)
    with torch.no_grad():
        model.player_optimizer(player).apply(list(grads), variables)
    return logs


def input_gradient(fn, x):
    """`(fn(x), d sum(fn(x)) / dx)`, with the graph kept for a second backward."""
    x = torch.as_tensor(x)
    if not x.requires_grad:
        x = x.detach().requires_grad_(True)
    with torch.enable_grad():
        outputs = fn(x)
        (grad,) = torch.autograd.grad(outputs.sum(), x, create_graph=True)
    return outputs, grad


# torch.compile is opt-in (`jit_compile=True`): its compile time is long.
AUTO_JIT_COMPILE = False

# How SubPixelConv2DTranspose(implementation="auto") computes on this backend.
# The native conv_transpose2d measured as fast or faster than the sub-pixel
# form here (benchmarks/upsampling_layer.py).
FAST_UPSAMPLING = "transpose"
