"""PyTorch steps: gradients by autograd."""

import torch


def train_step(model, data):
    return model.adversarial_step(data)


def take_step(model, player, loss_fn):
    variables = model.player_variables(player)
    for variable in variables:
        # The other player's backward pass may have left gradients here.
        variable.value.grad = None
    loss, logs = loss_fn()
    loss.backward()
    grads = [variable.value.grad for variable in variables]
    with torch.no_grad():
        model.player_optimizer(player).apply(grads, variables)
    return logs

# torch.compile is opt-in (`jit_compile=True`): its compile time is long.
AUTO_JIT_COMPILE = False
