"""Training throughput of kerasgan on each Keras backend against plain PyTorch.

Models (``--models``): DCGAN-64 (64×64×3, nz 100, ngf = ndf = 64), DCGAN-28
(28×28×1, the Fashion-MNIST size) and WGAN-GP-64 (the DCGAN-64 networks, a
critic without batch norm, n_critic = 5, λ = 10: its double backward).

Every configuration runs in its own subprocess (``KERAS_BACKEND`` is set
before Keras is imported), one after the other, never in parallel:

* ``torch-reference``: the same model written in plain PyTorch, eager, like
  the classic PyTorch DCGAN example (BCE, Adam(2e-4, 0.5, 0.999), one D step
  on a real and a detached fake batch, one G step reusing that fake batch;
  for WGAN-GP the paper's Algorithm 1 with ``torch.autograd.grad``). It runs
  at the start AND at the end of each model's block; the ratios divide by
  the median of those runs.
* kerasgan (``DCGAN(..., reuse_fakes=True)``, the reference's schedule, and
  ``WGANGP``; ``compile()`` defaults, ``fit`` on a fixed random array in
  [-1, 1]; the ``-fresh`` configs use kerasgan's default fresh G step) on tensorflow (XLA = kerasgan's default, and
  without), jax (jit = default, and eager), torch (eager = default, and
  ``torch.compile``), and with the ``mixed_bfloat16`` dtype policy.

Per configuration: one warm-up epoch of ``--warmup`` iterations (its wall time,
tracing/compilation included, is the "first epoch" column), then ``--repeats``
epochs of ``--iterations`` iterations, each iteration timed (time between
consecutive ``on_train_batch_end`` calls; the logs are synchronised every
batch). One iteration = n_critic discriminator steps (each on its own real
minibatch of 64) and one generator step; images/s counts the real images an
iteration consumes (64 · n_critic) over the median iteration time.

Usage::

    .venv/bin/python benchmarks/backends.py                      # every model, default configs
    .venv/bin/python benchmarks/backends.py --models dcgan64 --quick
    .venv/bin/python benchmarks/backends.py --models dcgan64 --configs jax,torch --repeats 5
    .venv/bin/python benchmarks/backends.py --profile            # + where the time goes (benchmarks/profiles.py)
    .venv/bin/python benchmarks/backends.py --gpu --json out.json  # on a GPU machine: jax and torch
    bash benchmarks/gpu.sh --cpus 2 runs/xeon --models dcgan64     # CPU run pinned to 2 cores (taskset)
    .venv/bin/python benchmarks/backends.py --list-configs
"""

import argparse
import functools
import importlib.metadata
import importlib.util
import json
import os
import platform
import resource
import select
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
if HERE not in sys.path:  # its sibling module, also when the script is loaded by path
    sys.path.insert(0, HERE)

import profiles  # noqa: E402

RESULT_TAG = "@@BACKENDS_RESULT@@ "
LOCKSTEP_TAG = "@@BACKENDS_LOCKSTEP@@ "
MINIBATCH = 64
NZ = 100
WIDTH = 64
REFERENCE = "torch-reference"

# `reuse_fakes`: the G step's fakes are those of the D step, in the reference
# (the PyTorch DCGAN example) and in kerasgan (`reuse_fakes=True`), so both
# compute the same iteration; the "-fresh" configs run kerasgan's default
# (fresh latent vectors for the G step: one more G forward). WGAN-GP's
# reference draws fresh ones (Gulrajani et al. 2017, Algorithm 1), as kerasgan.
MODELS = {
    "dcgan64": dict(title="DCGAN-64", image=(64, 64, 3), critic_steps=1, gp=False,
                    iterations=8, warmup=2, reuse_fakes=True),
    "dcgan28": dict(title="DCGAN-28", image=(28, 28, 1), critic_steps=1, gp=False,
                    iterations=16, warmup=2, reuse_fakes=True),
    "wgangp64": dict(title="WGAN-GP-64 (n_critic 5, λ 10)", image=(64, 64, 3), critic_steps=5, gp=True,
                     iterations=3, warmup=1, reuse_fakes=False),
}

# name -> settings. `default`: in a run without --configs; `models`: the
# models it runs on by default (all when absent); `slow`: --slow-time-cap.
# The backends whose steps replace Keras's batch norm ({backend}_batch_normalization.py:
# dot-product sums on JAX, torch's kernels on torch), and the key that records it.
BATCH_NORMALIZATION_KEYS = {"jax": "dot_sum_batch_normalization", "torch": "fused_batch_normalization"}
CONFIGS = {
    REFERENCE: dict(kind="reference", backend="torch"),
    # What plain PyTorch itself gets from the tuning its CPU guide recommends
    # (opt-in bounds, not references: ratios still divide by REFERENCE):
    # channels-last memory format, and that plus bf16 autocast (AMX, GPUs).
    f"{REFERENCE}-channels-last": dict(kind="reference", backend="torch", channels_last=True,
                                       default=False, models=("dcgan64", "dcgan28")),
    f"{REFERENCE}-bf16": dict(kind="reference", backend="torch", channels_last=True, autocast=True,
                              default=False, models=("dcgan64", "dcgan28")),
    "tensorflow": dict(kind="kerasgan", backend="tensorflow", jit_compile=None),
    "tensorflow-nojit": dict(kind="kerasgan", backend="tensorflow", jit_compile=False),
    "jax": dict(kind="kerasgan", backend="jax", jit_compile=None),
    "jax-nojit": dict(kind="kerasgan", backend="jax", jit_compile=False, slow=True),
    "torch": dict(kind="kerasgan", backend="torch", jit_compile=None),
    # kerasgan's default schedule: a fresh G forward for the G step.
    "tensorflow-fresh": dict(kind="kerasgan", backend="tensorflow", jit_compile=None,
                             reuse_fakes=False, models=("dcgan64",)),
    "jax-fresh": dict(kind="kerasgan", backend="jax", jit_compile=None,
                      reuse_fakes=False, models=("dcgan64",)),
    "torch-fresh": dict(kind="kerasgan", backend="torch", jit_compile=None,
                        reuse_fakes=False, models=("dcgan64",)),
    # Opt-in: torch.compile of kerasgan's step had not finished compiling
    # DCGAN-28 after 8 minutes here (dynamo recompiles Keras's layer
    # __setattr__ hook past its recompile limit).
    "torch-compile": dict(kind="kerasgan", backend="torch", jit_compile=True, default=False),
    "tensorflow-bf16": dict(kind="kerasgan", backend="tensorflow", jit_compile=None,
                            dtype_policy="mixed_bfloat16", models=("dcgan64",)),
    "jax-bf16": dict(kind="kerasgan", backend="jax", jit_compile=None,
                     dtype_policy="mixed_bfloat16", models=("dcgan64",)),
    "torch-bf16": dict(kind="kerasgan", backend="torch", jit_compile=None,
                       dtype_policy="mixed_bfloat16", models=("dcgan64",), slow=True),
    # The other upsampling form than the backend's "auto" (opt-in).
    "tensorflow-subpixel": dict(kind="kerasgan", backend="tensorflow", jit_compile=None,
                                upsampling="subpixel", default=False),
    "jax-transpose": dict(kind="kerasgan", backend="jax", jit_compile=None,
                          upsampling="transpose", default=False, slow=True),
    "torch-subpixel": dict(kind="kerasgan", backend="torch", jit_compile=None,
                           upsampling="subpixel", default=False),
    # XLA-CPU's own options instead of kerasgan's CPU_COMPILER_OPTIONS
    # (YNNPACK convolutions; opt-in).
    "jax-xla-defaults": dict(kind="kerasgan", backend="jax", jit_compile=None,
                             xla_defaults=True, default=False),
    # Keras's own conv ops instead of kerasgan's faster forms of the same maps
    # ({backend}_convolutions.ENABLED = False; opt-in): XLA's input gradients
    # of strided convolutions on TF and JAX, Keras's layout copies and crops
    # on torch.
    **{f"{b}-keras-convolutions": dict(kind="kerasgan", backend=b, jit_compile=None,
                                       keras_convolutions=True, default=False)
       for b in ("tensorflow", "jax", "torch")},
    # torch's own convolutions where the torch step would take Winograd's form
    # (torch_convolutions.WINOGRAD = False; opt-in).
    "torch-direct": dict(kind="kerasgan", backend="torch", jit_compile=None, winograd=False, default=False),
    # Keras's own batch-norm ops instead of the dot-product sums of
    # jax_batch_normalization.py and torch's fused kernels of
    # torch_batch_normalization.py ({backend}_batch_normalization.ENABLED = False; opt-in).
    **{f"{b}-keras-batch-normalization": dict(kind="kerasgan", backend=b, jit_compile=None,
                                              keras_batch_normalization=True, default=False)
       for b in BATCH_NORMALIZATION_KEYS},
}
GPU_CONFIGS = ("jax", "jax-bf16", "torch", "torch-compile", "torch-bf16")


def describe(name):
    c = CONFIGS[name]
    if c["kind"] == "reference":
        return "plain PyTorch, eager" + (", channels-last" if c.get("channels_last") else "") + (
            ", bf16 autocast" if c.get("autocast") else "")
    jit = {
        (None, "tensorflow"): "XLA (default)", (None, "jax"): "jit (default)",
        (None, "torch"): "eager (default)", (False, "tensorflow"): "tf.function, no XLA",
        (False, "jax"): "eager (jit_compile=False)", (True, "torch"): "torch.compile (jit_compile=True)",
    }[(c["jit_compile"], c["backend"])]
    extra = ""
    if c.get("dtype_policy"):
        extra += f", dtype policy {c['dtype_policy']}"
    if c.get("upsampling"):
        extra += f", upsampling={c['upsampling']!r}"
    if c.get("reuse_fakes") is False:
        extra += ", reuse_fakes=False (fresh G forward for the G step)"
    if c.get("xla_defaults"):
        extra += ", XLA-CPU's default options (CPU_COMPILER_OPTIONS = {})"
    if c.get("keras_convolutions"):
        extra += f", Keras's own conv ops ({c['backend']}_convolutions.ENABLED = False)"
    if c.get("keras_batch_normalization"):
        extra += f", Keras's own batch-norm ops ({c['backend']}_batch_normalization.ENABLED = False)"
    if c.get("winograd") is False:
        extra += ", torch's own convolutions instead of Winograd's (torch_convolutions.WINOGRAD = False)"
    return f"kerasgan, KERAS_BACKEND={c['backend']}, {jit}{extra}"


def reuses_fakes(config, model):
    """Whether kerasgan runs `model` with `reuse_fakes` in `config`."""
    return config.get("reuse_fakes", model["reuse_fakes"])


def default_configs(model):
    return [n for n, c in CONFIGS.items()
            if n != REFERENCE and c.get("default", True) and model in c.get("models", MODELS)]


def flop_key(name, model):
    """Which schedule's FLOPs (`dcgan_flops`) configuration `name` computes."""
    if CONFIGS[name]["kind"] == "reference":
        return REFERENCE
    return "kerasgan_reuse_fakes" if reuses_fakes(CONFIGS[name], model) else "kerasgan_fresh_fakes"


def dcgan_base(image):
    """(first map size, ×2 upsamplings) of kerasgan's DCGAN for `image`.

    The rule of `kerasgan.nets.dcgan.dcgan_base_size`, restated so that the
    parent process and the reference import neither Keras nor kerasgan.
    """
    size, steps = image[0], 0
    while size % 2 == 0 and size > 4 and size != 7:
        size //= 2
        steps += 1
    return size, steps


def dcgan_forward_flops(image):
    """FLOPs (2 × multiply-adds) of one image through kerasgan's DCGAN G and D.

    Convolutions, transposed convolutions and dense layers; batch norm and
    activations (elementwise) are not counted.
    """
    size, steps = dcgan_base(image)
    c = WIDTH * 2 ** (steps - 1)
    g = NZ * size * size * c  # project
    h = size
    for i in range(steps):
        out = image[2] if i == steps - 1 else c // 2
        g += h * h * c * 16 * out  # transposed conv: input pixels × k² × Cin × Cout
        h, c = h * 2, out
    d, h, cin = 0, image[0], image[2]
    for i in range(steps):
        h //= 2
        cout = WIDTH * 2 ** i
        d += h * h * cout * 16 * cin
        cin = cout
    d += h * h * cin  # logit
    return 2 * g, 2 * d


def dcgan_flops(image, critic_steps, reuse_fakes):
    """FLOPs of one training iteration: (kerasgan's schedule, the reference's).

    A backward costs two forwards (input and weight gradients), one where
    only input gradients are needed. kerasgan: each D step = G forward + D
    forward and backward on 2m images; the G step = G backward + D forward +
    D input gradient (D's weight gradients are not computed), plus a G
    forward unless `reuse_fakes`. The reference's G step reuses the D step's
    fakes (no second G forward) but computes D's weight gradients.
    """
    g, d = dcgan_forward_flops(image)
    m = MINIBATCH
    generator_step = (2 if reuse_fakes else 3) * g + 2 * d
    kerasgan = critic_steps * m * (g + 3 * 2 * d) + m * generator_step
    reference = critic_steps * m * (g + 3 * 2 * d) + m * (2 * g + 3 * d)
    return kerasgan, reference


# =========================================================================
# child side
# =========================================================================
def usable_cpus():
    """Logical CPUs this process may run on (its affinity mask: `taskset`)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count()


def _peak_rss_mb():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0  # Linux: KiB


def _summary(times, first_epoch_s, spec, extra):
    median = statistics.median(times)
    extra["capped"] = not spec.get("lockstep") and len(times) < spec["repeats"] * spec["iterations"]
    return {
        "iterations_timed": len(times),
        "iteration_ms": [round(t * 1000.0, 3) for t in times],
        "median_iteration_ms": median * 1000.0,
        "images_per_s": spec["images_per_iteration"] / median,
        "first_epoch_s": first_epoch_s,
        "peak_rss_mb": _peak_rss_mb(),
        **extra,
    }


class _Budget:
    """Stops the timed phase after `cap` seconds once `minimum` iterations are timed."""

    def __init__(self, cap, minimum):
        self.cap, self.minimum = cap, minimum
        self.start = time.perf_counter()
        self.capped = False

    def exhausted(self, timed):
        if timed >= self.minimum and time.perf_counter() - self.start > self.cap:
            self.capped = True
        return self.capped


class _Lockstep:
    """The child's side of `--lockstep`: each timed iteration starts when the parent says so.

    After its warm-up the child says `ready`; then, for every line `go` on
    stdin, it runs one iteration and answers with its wall time; `stop` ends
    the timed phase. The parent runs one child at a time this way, so that
    the reference and each configuration alternate iteration by iteration.
    """

    def __init__(self):
        self.start = None

    @staticmethod
    def _say(text):
        print(LOCKSTEP_TAG + text, flush=True)

    def ready(self):
        self._say("ready")

    def wait(self):
        """Blocks until the parent's next word: True for `go` (the clock starts), False for `stop`."""
        line = sys.stdin.readline().strip()
        if line != "go":
            return False
        self.start = time.perf_counter()
        return True

    def done(self):
        elapsed = time.perf_counter() - self.start
        self._say(repr(elapsed))
        return elapsed


def reference_networks(image):
    """Plain torch G and D with the architecture of kerasgan's DCGAN nets."""
    from torch import nn

    size, steps = dcgan_base(image)
    channels = WIDTH * 2 ** (steps - 1)
    g = [nn.ConvTranspose2d(NZ, channels, size, 1, 0, bias=False)]  # 1x1 -> size x size
    for i in range(steps):
        out = image[2] if i == steps - 1 else channels // 2
        g += [nn.BatchNorm2d(channels), nn.ReLU(True), nn.ConvTranspose2d(channels, out, 4, 2, 1, bias=False)]
        channels = out
    g.append(nn.Tanh())
    return nn.Sequential(*g), steps, size


def reference_discriminator(image, steps, size, batch_norm=True):
    from torch import nn

    d, cin = [], image[2]
    for i in range(steps):
        cout = WIDTH * 2 ** i
        d.append(nn.Conv2d(cin, cout, 4, 2, 1, bias=False))
        if i > 0 and batch_norm:
            d.append(nn.BatchNorm2d(cout))
        d.append(nn.LeakyReLU(0.2, inplace=True))
        cin = cout
    d.append(nn.Conv2d(cin, 1, size, 1, 0, bias=False))  # one logit
    return nn.Sequential(*d)


def run_reference(spec, model, config=None):
    """The model in plain eager PyTorch, written after the classic example.

    `config` may ask for the channels-last memory format and bf16 autocast
    of the forward passes (DCGAN only; losses in float32).
    """
    import contextlib

    import numpy as np
    import torch
    from torch import nn

    config = config or CONFIGS[REFERENCE]
    if model["gp"] and (config.get("channels_last") or config.get("autocast")):
        raise ValueError("the channels-last and autocast references are DCGAN only")
    device = torch.device("cuda" if spec["gpu"] else "cpu")
    extra = {"torch_default_threads": torch.get_num_threads(), "device": str(device)}
    torch.set_num_threads(usable_cpus())
    torch.manual_seed(spec["seed"])
    image = model["image"]
    generator, steps, size = reference_networks(image)
    discriminator = reference_discriminator(image, steps, size, batch_norm=not model["gp"])

    def init_weights(m):
        name = type(m).__name__
        if "Conv" in name:
            nn.init.normal_(m.weight, 0.0, 0.02)
        elif "BatchNorm" in name:
            nn.init.normal_(m.weight, 1.0, 0.02)
            nn.init.zeros_(m.bias)

    layout = torch.channels_last if config.get("channels_last") else torch.contiguous_format
    generator.apply(init_weights).to(device, memory_format=layout)
    discriminator.apply(init_weights).to(device, memory_format=layout)
    if config.get("autocast"):
        autocast = functools.partial(torch.autocast, device.type, dtype=torch.bfloat16)
    else:
        autocast = contextlib.nullcontext
    extra["parameters"] = sum(p.numel() for p in generator.parameters()) + sum(
        p.numel() for p in discriminator.parameters())
    if model["gp"]:
        opt_d = torch.optim.Adam(discriminator.parameters(), lr=1e-4, betas=(0.0, 0.9))
        opt_g = torch.optim.Adam(generator.parameters(), lr=1e-4, betas=(0.0, 0.9))
    else:
        opt_d = torch.optim.Adam(discriminator.parameters(), lr=2e-4, betas=(0.5, 0.999))
        opt_g = torch.optim.Adam(generator.parameters(), lr=2e-4, betas=(0.5, 0.999))
    criterion = nn.BCEWithLogitsLoss()  # Sigmoid + BCELoss, in its stable form
    m, k = MINIBATCH, model["critic_steps"]
    n_batches = max(spec["iterations"], spec["warmup"])
    rng = np.random.default_rng(spec["seed"])
    data = torch.from_numpy(
        rng.uniform(-1.0, 1.0, (n_batches * k * m, image[2], image[0], image[1])).astype("float32")
    ).to(device).contiguous(memory_format=layout)
    real_label, fake_label = torch.ones(m, device=device), torch.zeros(m, device=device)

    def dcgan_iteration(i):
        real = data[(i % n_batches) * m : (i % n_batches + 1) * m]
        discriminator.zero_grad()
        with autocast():
            logits = discriminator(real).view(-1)
        err_real = criterion(logits.float(), real_label)
        err_real.backward()
        with autocast():
            fake = generator(torch.randn(m, NZ, 1, 1, device=device))
            logits = discriminator(fake.detach()).view(-1)
        err_fake = criterion(logits.float(), fake_label)
        err_fake.backward()
        opt_d.step()
        generator.zero_grad()
        with autocast():
            logits = discriminator(fake).view(-1)
        err_g = criterion(logits.float(), real_label)
        err_g.backward()
        opt_g.step()
        return (err_real + err_fake).item(), err_g.item()

    def wgangp_iteration(i):
        base = (i % n_batches) * k * m
        for j in range(k):  # Gulrajani et al. (2017), Algorithm 1
            real = data[base + j * m : base + (j + 1) * m]
            fake = generator(torch.randn(m, NZ, 1, 1, device=device)).detach()
            eps = torch.rand(m, 1, 1, 1, device=device)
            mixed = (eps * real + (1 - eps) * fake).requires_grad_(True)
            (grad,) = torch.autograd.grad(discriminator(mixed).sum(), mixed, create_graph=True)
            penalty = ((grad.flatten(1).norm(dim=1) - 1) ** 2).mean()
            loss_d = discriminator(fake).mean() - discriminator(real).mean() + 10.0 * penalty
            opt_d.zero_grad()
            loss_d.backward()
            opt_d.step()
        opt_g.zero_grad()
        loss_g = -discriminator(generator(torch.randn(m, NZ, 1, 1, device=device))).mean()
        loss_g.backward()
        opt_g.step()
        return loss_d.item(), loss_g.item()

    iteration = wgangp_iteration if model["gp"] else dcgan_iteration
    t0 = time.perf_counter()
    for i in range(spec["warmup"]):
        iteration(i)
    first_epoch_s = time.perf_counter() - t0
    budget = _Budget(spec["time_cap"], spec["min_iterations"])
    times = []
    lockstep = _Lockstep() if spec.get("lockstep") else None
    if lockstep:
        lockstep.ready()
        while lockstep.wait():
            iteration(len(times))
            times.append(lockstep.done())
    for _ in range(0 if lockstep else spec["repeats"]):
        last = time.perf_counter()
        for i in range(spec["iterations"]):
            iteration(i)
            now = time.perf_counter()
            times.append(now - last)
            last = now
            if budget.exhausted(len(times)):
                break
        if budget.capped:
            break
    if spec["profile"]:
        extra["profile"] = profiles.torch_profile(lambda: [iteration(i) for i in range(2)])
    extra["torch_threads"] = torch.get_num_threads()
    return _summary(times, first_epoch_s, spec, extra)


def run_kerasgan(spec, model, config):
    import numpy as np

    extra = {}
    if config["backend"] == "torch":
        import torch

        extra["torch_default_threads"] = torch.get_num_threads()
        torch.set_num_threads(usable_cpus())  # as many threads as the reference
        extra["torch_threads"] = torch.get_num_threads()
    t0 = time.perf_counter()
    import keras

    if importlib.util.find_spec("kerasgan") is None:  # run from a source checkout
        sys.path.insert(0, ROOT)
    import kerasgan
    from kerasgan.nets.dcgan import dcgan_discriminator
    from kerasgan.nets.dcgan import dcgan_generator

    assert keras.backend.backend() == config["backend"], keras.backend.backend()
    extra["import_s"] = time.perf_counter() - t0
    if config.get("dtype_policy"):
        keras.config.set_dtype_policy(config["dtype_policy"])
    keras.utils.set_random_seed(spec["seed"])

    class IterationTimer(keras.callbacks.Callback):
        """Wall time between consecutive batch ends (the logs are synced per batch)."""

        def __init__(self, times, budget):
            super().__init__()
            self.times, self.budget = times, budget

        def on_epoch_begin(self, epoch, logs=None):
            self.last = time.perf_counter()

        def on_train_batch_end(self, batch, logs=None):
            now = time.perf_counter()
            self.times.append(now - self.last)
            self.last = now
            if self.budget is not None and self.budget.exhausted(len(self.times)):
                self.model.stop_training = True

    class LockstepTimer(keras.callbacks.Callback):
        """Each batch starts on the parent's `go` and is timed to its end; `stop` ends fit."""

        def __init__(self, lockstep, times):
            super().__init__()
            self.lockstep, self.times, self.stopped = lockstep, times, False

        def on_train_batch_begin(self, batch, logs=None):
            if not self.stopped and not self.lockstep.wait():
                self.stopped = self.model.stop_training = True  # this batch runs untimed

        def on_train_batch_end(self, batch, logs=None):
            if not self.stopped:
                self.times.append(self.lockstep.done())

    t0 = time.perf_counter()
    image, upsampling = model["image"], config.get("upsampling", "auto")
    reuse_fakes = reuses_fakes(config, model)
    if model["gp"]:
        generator = dcgan_generator(image, NZ, WIDTH, upsampling=upsampling)
        critic = dcgan_discriminator(image, WIDTH, normalization=None)
        gan = kerasgan.models.WGANGP(generator=generator, discriminator=critic, reuse_fakes=reuse_fakes)
    else:
        gan = kerasgan.models.DCGAN(image_shape=image, latent_dim=NZ, upsampling=upsampling,
                                    reuse_fakes=reuse_fakes)
    if config["jit_compile"] is None:
        gan.compile()
    else:
        gan.compile(jit_compile=config["jit_compile"])
    extra.update(build_s=time.perf_counter() - t0, jit_compile=gan.jit_compile, reuse_fakes=reuse_fakes,
                 parameters=int(gan.count_params()), dtype_policy=keras.config.dtype_policy().name)
    if config["backend"] == "jax":
        from kerasgan.engine.backend import jax as jax_steps

        if config.get("xla_defaults"):
            jax_steps.CPU_COMPILER_OPTIONS = {}  # read when fit builds the train function
        extra["xla_compiler_options"] = jax_steps.compiler_options()
    if config["backend"] in BATCH_NORMALIZATION_KEYS:
        batch_normalization = importlib.import_module(
            f"kerasgan.fast_ops.{config['backend']}_batch_normalization")
        if config.get("keras_batch_normalization"):
            batch_normalization.ENABLED = False  # read when each step starts (is traced)
        extra[BATCH_NORMALIZATION_KEYS[config["backend"]]] = batch_normalization.enabled()
    # Every backend's step has faster forms of Keras's conv ops.
    convolutions = importlib.import_module(f"kerasgan.fast_ops.{config['backend']}_convolutions")
    if config.get("keras_convolutions"):
        convolutions.ENABLED = False  # read when each step starts (is traced)
    extra["fast_convolutions"] = convolutions.enabled()  # on this device
    if config["backend"] == "torch":
        if config.get("winograd") is False:
            convolutions.WINOGRAD = False  # read at each call
        # The step takes it on the CPU only (torch_convolutions._winograd_tile).
        extra["winograd"] = convolutions.WINOGRAD and convolutions.enabled() and not spec["gpu"]
    batch = MINIBATCH * model["critic_steps"]
    n_batches = max(spec["iterations"], spec["warmup"])
    x = np.random.default_rng(spec["seed"]).uniform(-1.0, 1.0, (n_batches * batch,) + image).astype("float32")

    def fit(n, callbacks, epochs=1):
        return gan.fit(x[: n * batch], batch_size=batch, epochs=epochs, shuffle=False, verbose=0,
                       callbacks=callbacks)

    t0 = time.perf_counter()
    fit(spec["warmup"], [])
    first_epoch_s = time.perf_counter() - t0
    budget = _Budget(spec["time_cap"], spec["min_iterations"])
    times = []
    if spec.get("lockstep"):
        lockstep = _Lockstep()
        lockstep.ready()
        history = fit(n_batches, [LockstepTimer(lockstep, times)], epochs=10**6)  # until `stop`
    for _ in range(0 if spec.get("lockstep") else spec["repeats"]):
        history = fit(spec["iterations"], [IterationTimer(times, budget)])
        if budget.capped:
            break
    extra["last_logs"] = {k: float(v[-1]) for k, v in history.history.items()}
    if spec["profile"] and config["backend"] == "torch":
        extra["profile"] = profiles.torch_profile(lambda: fit(2, []))
    elif spec["profile"] and spec["gpu"]:
        extra["profile"] = {"note": "not profiled: the XLA profile reads the CPU's threads only"}
    elif spec["profile"]:
        extra["profile"] = profiles.xla_profile(lambda: fit(2, []), config["backend"], 2, usable_cpus())
    return _summary(times, first_epoch_s, spec, extra)


def child_main(name, model_name, spec):
    config, model = CONFIGS[name], MODELS[model_name]
    if config["kind"] == "reference":
        result = run_reference(spec, model, config)
    else:
        if os.environ.get("KERAS_BACKEND") != config["backend"]:
            raise SystemExit(f"{name}: KERAS_BACKEND must be {config['backend']!r} before keras is imported")
        result = run_kerasgan(spec, model, config)
    result.update(config=name, model=model_name, pid=os.getpid())
    print(RESULT_TAG + json.dumps(result), flush=True)


def matmul_peak(gpu, size=2048, repeats=5):
    """fp32 matmul GFLOP/s with torch on this machine (the roofline's ceiling)."""
    import torch

    torch.set_num_threads(usable_cpus())
    device = "cuda" if gpu else "cpu"
    a = torch.randn(size, size, device=device)
    b = torch.randn(size, size, device=device)
    times = []
    for _ in range(repeats + 1):
        t = time.perf_counter()
        (a @ b).sum().item()
        times.append(time.perf_counter() - t)
    return 2.0 * size**3 / statistics.median(times[1:]) / 1e9


# =========================================================================
# parent side
# =========================================================================
def _version(*dists):
    for d in dists:
        try:
            return importlib.metadata.version(d)
        except importlib.metadata.PackageNotFoundError:
            pass
    return "not installed"


def machine_info(gpu):
    cpu, flags = platform.processor() or "unknown", set()
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name") and cpu in ("unknown", platform.processor()):
                    cpu = line.split(":", 1)[1].strip()
                if line.startswith("flags"):
                    flags = set(line.split(":", 1)[1].split())
    except OSError:
        pass
    info = {
        "cpu": cpu,
        "cpu_count": usable_cpus(),
        "cpu_count_machine": os.cpu_count(),
        # What bf16 needs to be fast on a CPU (AMX tiles or AVX-512 BF16).
        "cpu_bf16": sorted(f for f in flags if f in ("amx_bf16", "amx_tile", "avx512_bf16", "avx512f")),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "versions": {
            name: _version(*dists) for name, dists in {
                "torch": ("torch",), "jax": ("jax",), "jaxlib": ("jaxlib",),
                "tensorflow": ("tensorflow", "tensorflow-cpu"), "keras": ("keras",),
                "kerasgan": ("kerasgan",), "numpy": ("numpy",)}.items()
        },
    }
    if gpu:
        try:
            info["gpu"] = subprocess.run(
                ["nvidia-smi", "--query-gpu=name,memory.total,driver_version", "--format=csv,noheader"],
                capture_output=True, text=True, timeout=30).stdout.strip()
        except (OSError, subprocess.SubprocessError) as error:
            info["gpu"] = f"nvidia-smi failed: {error}"
    return info


def loadavg():
    try:
        with open("/proc/loadavg") as f:
            return f.read().split()[0]
    except OSError:
        return "?"


def child_env(name=None):
    """The environment of configuration `name`'s process (None: the matmul peak's)."""
    env = dict(os.environ)
    env.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    if name is not None and CONFIGS[name]["kind"] != "reference":
        env["KERAS_BACKEND"] = CONFIGS[name]["backend"]
    return env


def failure(error, output):
    """A child's result when it gave none: why, and the last lines it wrote."""
    return {"error": error, "stderr_tail": "\n".join(output.strip().splitlines()[-15:])}


def run_child(args_list, env, timeout):
    cmd = [sys.executable, os.path.abspath(__file__)] + args_list
    t0 = time.perf_counter()
    try:
        proc = subprocess.run(cmd, env=env, cwd=ROOT, capture_output=True, text=True, timeout=timeout)
        out, err, rc = proc.stdout, proc.stderr, proc.returncode
    except subprocess.TimeoutExpired as e:
        out = e.stdout.decode() if isinstance(e.stdout, bytes) else (e.stdout or "")
        err = e.stderr.decode() if isinstance(e.stderr, bytes) else (e.stderr or "")
        rc = f"timeout after {timeout} s"
    result = None
    for line in out.splitlines():
        if line.startswith(RESULT_TAG):
            result = json.loads(line[len(RESULT_TAG):])
    if result is None:
        result = failure(f"exit status {rc}", err or out)
    result["process_wall_s"] = time.perf_counter() - t0
    return result


class _LineReader:
    """Lines of a child's stdout, read with a deadline (select on the raw pipe)."""

    def __init__(self, proc):
        self.proc, self.buffer, self.lines = proc, b"", []

    def tagged(self, tag, deadline):
        """The text after `tag` of the next line that starts with it, or None at EOF / the deadline."""
        while True:
            while self.lines:
                line = self.lines.pop(0)
                if line.startswith(tag):
                    return line[len(tag):]
            remaining = deadline - time.monotonic()
            if remaining <= 0 or not select.select([self.proc.stdout], [], [], remaining)[0]:
                return None
            chunk = os.read(self.proc.stdout.fileno(), 65536)
            if not chunk:
                return None
            self.buffer += chunk
            *complete, self.buffer = self.buffer.split(b"\n")
            self.lines += [line.decode(errors="replace") for line in complete]


def run_lockstep(names, model_name, spec, rounds, timeout):
    """Runs `names` (the reference first) as live children, iteration by iteration.

    Each child warms up alone (its "first epoch" is timed as usual) and then
    waits. Every round runs one iteration of the reference and one of the
    first configuration, then one of the reference and one of the next, and
    so on; one last reference iteration closes the run. Only one child
    computes at a time, so every iteration of a configuration is compared
    with the reference iterations run just before and just after it, a few
    seconds apart: the machine's drift, which moves whole runs by 10-30%
    here, cancels out in these ratios. Returns one result per name, with
    `paired_ratios` (reference time around / own time, per iteration) for
    the configurations.
    """
    children, failed = {}, {}
    deadline = time.monotonic() + timeout
    for name in names:
        stderr = tempfile.TemporaryFile()
        cmd = [sys.executable, os.path.abspath(__file__), "--child", name, "--child-model", model_name,
               "--child-spec", json.dumps(dict(spec, lockstep=True, time_cap=0.0))]
        print(f"[{model_name} lockstep] warming up {name}: {describe(name)} ...", file=sys.stderr, flush=True)
        proc = subprocess.Popen(cmd, env=child_env(name), cwd=ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                stderr=stderr)
        child = children[name] = dict(proc=proc, reader=_LineReader(proc), stderr=stderr, start=time.perf_counter())
        if child["reader"].tagged(LOCKSTEP_TAG, deadline) != "ready":
            failed[name] = "did not get ready"

    def say(name, word):
        try:
            children[name]["proc"].stdin.write(word.encode() + b"\n")
            children[name]["proc"].stdin.flush()
        except OSError:
            failed.setdefault(name, "exited early")

    configs = [n for n in names[1:] if n not in failed]
    sequence = [] if names[0] in failed else [
        name for _ in range(rounds) for config in configs for name in (names[0], config)] + [names[0]]
    timeline = []  # (name, seconds) in the order run
    for name in sequence:
        if name in failed:
            continue
        say(name, "go")
        answer = children[name]["reader"].tagged(LOCKSTEP_TAG, deadline)
        if answer is None:
            failed[name] = "no answer to go"
            continue
        timeline.append((name, float(answer)))
        print(f"    {name}: {1000 * float(answer):.0f} ms", file=sys.stderr, flush=True)

    results = {}
    for name, child in children.items():
        say(name, "stop")
        text = child["reader"].tagged(RESULT_TAG, deadline) if name not in failed else None
        try:
            child["proc"].wait(timeout=max(1.0, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            child["proc"].kill()
            child["proc"].wait()
        child["stderr"].seek(0)
        err = child["stderr"].read().decode(errors="replace")
        child["stderr"].close()
        if text is None:
            results[name] = failure(failed.get(name, f"exit status {child['proc'].returncode}"), err)
        else:
            results[name] = json.loads(text)
        results[name]["process_wall_s"] = time.perf_counter() - child["start"]

    for name, ratios in paired_ratios(timeline, names[0]).items():
        if "error" not in results[name]:
            results[name].update(paired_ratios=ratios, vs_paired_references=statistics.median(ratios),
                                 paired_ratio_quartiles=quartiles(ratios))
    return [results[name] for name in names]


def paired_ratios(timeline, reference):
    """name -> [mean time of the `reference` iterations just before and after / own time].

    `timeline` is [(name, seconds)] in the order run; an iteration counts
    only with a reference iteration on both sides.
    """
    ratios = {}
    for i, (name, seconds) in enumerate(timeline):
        if name == reference:
            continue
        around = [t for n, t in timeline[max(i - 1, 0):i] + timeline[i + 1:i + 2] if n == reference]
        if len(around) == 2:
            ratios.setdefault(name, []).append(statistics.mean(around) / seconds)
    return ratios


def quartiles(values):
    """(25th, 75th) percentiles, linear interpolation (NumPy's default)."""
    if len(values) == 1:  # statistics.quantiles needs two before Python 3.13
        return values[0], values[0]
    low, _, high = statistics.quantiles(values, n=4, method="inclusive")
    return low, high


def sequential_plan(configs, interleave):
    """(config, label) in the order run: the reference first and last, or
    (`interleave`) also after every configuration."""
    if interleave:
        plan = [(REFERENCE, f"{REFERENCE} (start)")]
        for n in configs:
            plan += [(n, n), (REFERENCE, f"{REFERENCE} (after {n})")]
        return plan
    return [(REFERENCE, f"{REFERENCE} (start)")] + [(n, n) for n in configs] + [(REFERENCE, f"{REFERENCE} (end)")]


def report(r):
    """One configuration's outcome, on stderr."""
    if "error" in r:
        print(f"    {r['label']} FAILED ({r['error']}):\n{r['stderr_tail']}", file=sys.stderr, flush=True)
    else:
        print(f"    {r['label']}: {r['images_per_s']:.1f} images/s, median {r['median_iteration_ms']:.0f} "
              f"ms/iter, first epoch {r['first_epoch_s']:.1f} s", file=sys.stderr, flush=True)


def fmt(value, spec):
    return "-" if value is None else format(value, spec)


def add_neighbour_ratios(results):
    """Each configuration's images/s over the mean of the reference runs just
    before and just after it (drift of the machine's speed cancels out)."""
    for i, r in enumerate(results):
        if r["config"] == REFERENCE or "error" in r:
            continue
        before = [x for x in results[:i] if x["config"] == REFERENCE and "error" not in x][-1:]
        after = [x for x in results[i + 1:] if x["config"] == REFERENCE and "error" not in x][:1]
        if before and after:
            r["neighbour_reference_images_per_s"] = statistics.mean(
                [before[0]["images_per_s"], after[0]["images_per_s"]])
            r["vs_neighbour_references"] = r["images_per_s"] / r["neighbour_reference_images_per_s"]


def table(results, reference_ips, peak_gflops):
    neighbours = any(r["config"] == REFERENCE for r in results[1:-1])  # interleaved run
    paired = any("vs_paired_references" in r for r in results)  # lockstep run
    head = ["config", "images/s (median)", "median iter ms", "first epoch (compile) s",
            "peak RSS MB", "GFLOP/s (% of matmul peak)", "iters timed", f"vs {REFERENCE}"]
    if neighbours:
        head.append("vs the references before and after")
    if paired:
        head.append("vs the reference iterations around each iteration: median (quartiles)")
    lines = ["| " + " | ".join(head) + " |",
             "|" + "|".join("---" if i == 0 else "---:" for i in range(len(head))) + "|"]
    for r in results:
        if "error" in r:
            lines.append("| " + r["label"] + " | FAILED: " + r["error"] + " |" + " |" * (len(head) - 2))
            continue
        ratio = None if not reference_ips else r["images_per_s"] / reference_ips
        gflops = r.get("gflop_per_iteration")
        rate = "-"
        if gflops:
            achieved = gflops / (r["median_iteration_ms"] / 1000.0)
            rate = f"{achieved:.0f}" + (f" ({100 * achieved / peak_gflops:.0f}%)" if peak_gflops else "")
        row = [
            r["label"], fmt(r["images_per_s"], ".1f"), fmt(r["median_iteration_ms"], ".0f"),
            fmt(r["first_epoch_s"], ".1f"), fmt(r["peak_rss_mb"], ".0f"), rate,
            str(r["iterations_timed"]) + (" (capped)" if r.get("capped") else ""),
            "-" if ratio is None else f"{ratio:.2f}x",
            *([fmt(r.get("vs_neighbour_references"), ".2f") + ("x" if r.get("vs_neighbour_references") else "")]
              if neighbours else []),
            *([paired_text(r)] if paired else []),
        ]
        lines.append("| " + " | ".join(row) + " |")
    return "\n".join(lines)


def paired_text(r):
    if "vs_paired_references" not in r:
        return "-"
    low, high = r["paired_ratio_quartiles"]
    return f"{r['vs_paired_references']:.2f}x ({low:.2f}-{high:.2f}, {len(r['paired_ratios'])} pairs)"


def profile_text(r):
    """One Markdown bullet: where a run's `--profile` iterations went."""
    profile = r.get("profile")
    if not profile:
        return ""
    if isinstance(profile, list):  # torch.profiler: share of the self CPU time
        ops = "; ".join(f"{p['op']} {p['self_cpu_percent']}%" for p in profile[:8])
        return f"- {r['label']} (self CPU time): {ops}"
    if "note" in profile:
        return f"- {r['label']}: {profile['note']}"
    kinds = "; ".join(f"{k} {v}%" for k, v in profile["kinds"].items() if v >= 0.1)
    ops = "; ".join(f"{p['op']} {p['core_percent']}% ({p['calls_per_iteration']:g} per iteration)"
                    for p in profile["rows"][:6])
    return (f"- {r['label']} (cores' time: {profile['wall_ms_per_iteration']:.0f} ms x {profile['cores']} per "
            f"iteration): untraced task work {profile['untraced_task_core_percent']}%, idle "
            f"{profile['idle_core_percent']}%; XLA operations: {kinds}. Top: {ops}")


def parse(argv=None):
    listing = "\n".join(
        f"  {n:20s} {describe(n)}{'' if c.get('default', True) else '  [opt-in]'}"
        + (f"  [default only for {', '.join(c['models'])}]" if "models" in c else "")
        for n, c in CONFIGS.items()
    )
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter,
                                epilog="Configurations:\n" + listing)
    p.add_argument("--models", default=",".join(MODELS), help=f"comma-separated, from {list(MODELS)}")
    p.add_argument("--configs", help="comma-separated configurations (see below; default: each model's "
                   "defaults); the reference always runs at the start and the end of each model")
    p.add_argument("--quick", action="store_true", help="1 warm-up + 1 x 2 timed iterations: checks that all runs")
    p.add_argument("--iterations", type=int, help="timed iterations per repeat (default: per model, 3 to 16)")
    p.add_argument("--repeats", type=int, help="timed epochs per configuration (default 3)")
    p.add_argument("--warmup", type=int, help="iterations of the untimed first (compile) epoch (default 1-2)")
    p.add_argument("--time-cap", type=float, default=90.0, help="seconds of timed iterations per configuration")
    p.add_argument("--slow-time-cap", type=float, default=30.0, help="the same for configs marked slow")
    p.add_argument("--min-iterations", type=int, default=3, help="timed iterations done before a cap applies")
    p.add_argument("--profile", action="store_true", help="also profile 2 iterations of each run: torch's "
                   "operators by self CPU time, XLA's operations by share of the cores' time (jax, tensorflow "
                   "on the CPU; benchmarks/profiles.py)")
    p.add_argument("--gpu", action="store_true", help=f"GPU machine: configs {', '.join(GPU_CONFIGS)} and "
                   "the reference on CUDA")
    p.add_argument("--interleave", action="store_true", help="run the reference after every configuration, "
                   "and give each configuration's ratio to the reference runs just before and after it")
    p.add_argument("--lockstep", action="store_true", help="keep the reference and every configuration "
                   "alive after their warm-ups and run them one iteration at a time, the reference between "
                   "every two: each iteration is compared with the reference iterations just before and after "
                   "it (for a machine whose speed drifts within seconds)")
    p.add_argument("--rounds", type=int, default=12, help="with --lockstep: iterations of each configuration")
    p.add_argument("--json", metavar="OUT", help="write machine, settings and every result to OUT")
    p.add_argument("--child-timeout", type=int, default=900, help="kill a configuration after this many seconds")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--list-configs", action="store_true")
    p.add_argument("--child", help=argparse.SUPPRESS)
    p.add_argument("--child-model", help=argparse.SUPPRESS)
    p.add_argument("--child-spec", help=argparse.SUPPRESS)
    p.add_argument("--child-peak", action="store_true", help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    args.models = [m.strip() for m in args.models.split(",") if m.strip()]
    unknown = [m for m in args.models if m not in MODELS]
    if unknown:
        p.error(f"unknown model(s) {unknown}; choose from {list(MODELS)}")
    if args.configs:
        names = [n.strip() for n in args.configs.split(",") if n.strip()]
        unknown = [n for n in names if n not in CONFIGS]
        if unknown:
            p.error(f"unknown configuration(s) {unknown}; choose from {list(CONFIGS)}")
        args.configs = [n for n in dict.fromkeys(names) if n != REFERENCE]
    elif args.gpu:
        args.configs = list(GPU_CONFIGS)
    if args.quick:
        args.iterations, args.repeats, args.warmup, args.min_iterations = 2, 1, 1, 1
    if args.lockstep and args.interleave:
        p.error("--lockstep and --interleave are two ways of pairing runs; choose one")
    if args.quick:
        args.rounds = min(args.rounds, 2)
    for flag in ("iterations", "repeats", "warmup", "min_iterations", "rounds"):
        if getattr(args, flag) is not None and getattr(args, flag) < 1:
            p.error(f"--{flag.replace('_', '-')} must be >= 1")
    return args


def main(argv=None):
    args = parse(argv)
    if args.child_peak:
        print(RESULT_TAG + json.dumps({"gflops": matmul_peak(args.gpu)}), flush=True)
        return 0
    if args.child:
        child_main(args.child, args.child_model, json.loads(args.child_spec))
        return 0
    if args.list_configs:
        for n, c in CONFIGS.items():
            print(f"{n:20s} {describe(n)}{'' if c.get('default', True) else '  [opt-in]'}")
        return 0

    machine = machine_info(args.gpu)
    v = machine["versions"]
    print("# kerasgan training throughput by backend, against plain PyTorch\n")
    pinned = ("" if machine["cpu_count"] == machine["cpu_count_machine"]
              else f" (pinned) of the machine's {machine['cpu_count_machine']}")
    print(f"- CPU: {machine['cpu']}, {machine['cpu_count']} logical cores{pinned}; bf16-relevant CPU flags: "
          f"{', '.join(machine['cpu_bf16']) or 'none (no AVX-512, no AMX)'}")
    if args.gpu:
        print(f"- GPU: {machine.get('gpu')}")
    print(f"- Python {machine['python']}, torch {v['torch']}, jax {v['jax']} (jaxlib {v['jaxlib']}), "
          f"tensorflow {v['tensorflow']}, keras {v['keras']}, kerasgan {v['kerasgan']}, numpy {v['numpy']}")
    print(f"- load average at start: {loadavg()}", flush=True)
    peak = run_child(["--child-peak"] + (["--gpu"] if args.gpu else []), child_env(), 300).get("gflops")
    print(f"- fp32 matmul peak (torch, 2048^3, median of 5): {fmt(peak, '.0f')} GFLOP/s", flush=True)

    t_run = time.perf_counter()
    blocks = []
    for model_name in args.models:
        model = MODELS[model_name]
        configs = args.configs or default_configs(model_name)
        spec = {
            # A GPU iteration takes milliseconds: more of them for the medians.
            "iterations": args.iterations or (50 if args.gpu else model["iterations"]),
            "repeats": args.repeats or 3,
            "warmup": args.warmup or (5 if args.gpu else model["warmup"]),
            "min_iterations": args.min_iterations,
            "images_per_iteration": MINIBATCH * model["critic_steps"],
            "profile": args.profile,
            "gpu": args.gpu,
            "seed": args.seed,
        }
        flops = None
        if not model["gp"]:
            reused, reference = dcgan_flops(model["image"], model["critic_steps"], True)
            fresh, _ = dcgan_flops(model["image"], model["critic_steps"], False)
            flops = {"kerasgan_reuse_fakes": reused, "kerasgan_fresh_fakes": fresh, REFERENCE: reference}
        if args.lockstep:
            names = [REFERENCE] + configs
            results = run_lockstep(names, model_name, spec, args.rounds, args.child_timeout * len(names))
            for name, r in zip(names, results):
                label = f"{REFERENCE} (between every two iterations)" if name == REFERENCE else name
                r.update(label=label, config=name, description=describe(name))
                report(r)
        else:
            results = []
            for i, (name, label) in enumerate(sequential_plan(configs, args.interleave), 1):
                child_spec = dict(spec, time_cap=args.slow_time_cap if CONFIGS[name].get("slow") else args.time_cap)
                print(f"[{model_name} {i}] {label}: {describe(name)} ...", file=sys.stderr, flush=True)
                r = run_child(["--child", name, "--child-model", model_name, "--child-spec",
                               json.dumps(child_spec)], child_env(name), args.child_timeout)
                r.update(label=label, config=name, description=describe(name))
                results.append(r)
                report(r)
        for r in results:
            if flops and "error" not in r:
                r["gflop_per_iteration"] = flops[flop_key(r["config"], model)] / 1e9
        refs = [r["images_per_s"] for r in results if r["config"] == REFERENCE and "error" not in r]
        reference_ips = statistics.median(refs) if refs else None
        add_neighbour_ratios(results)
        blocks.append({"model": model_name, "spec": spec, "flops": flops,
                       "reference_images_per_s": reference_ips, "results": results})
        print(f"\n## {model['title']}: {model['image'][0]}x{model['image'][1]}x{model['image'][2]}, "
              f"{model['critic_steps']} D step(s) of {MINIBATCH} + 1 G step per iteration; warm-up "
              + (f"{spec['warmup']}, then {args.rounds} timed iterations of each, in lockstep with the "
                 "reference\n" if args.lockstep else
                 f"{spec['warmup']}, then {spec['repeats']} x {spec['iterations']} timed iterations\n"))
        print(table(results, reference_ips, peak))
        print()
        if reference_ips and args.lockstep:
            print(f"`vs {REFERENCE}` divides by the reference's median iteration ({reference_ips:.1f} images/s); "
                  "the last column pairs each iteration with the reference iterations run just before and "
                  "after it.")
        elif reference_ips:
            print(f"Ratios divide by the median of the {len(refs)} reference runs: {reference_ips:.1f} images/s "
                  f"(runs: {', '.join(f'{x:.1f}' for x in refs)}).")
        profile_lines = [profile_text(r) for r in results if r.get("profile")]
        if profile_lines:
            print("\nWhere the time goes (2 iterations; torch: share of the self CPU time by operator, "
                  "torch.profiler; jax, tensorflow: share of the cores' time, from the backend's profiler: "
                  "'untraced task work' is what XLA-CPU's thread pool ran without an operation event, "
                  "the convolutions' arithmetic and the other cores' part of split fusions; see "
                  "benchmarks/profiles.py):\n")
            print("\n".join(profile_lines))
        print(flush=True)
    total = time.perf_counter() - t_run
    print(f"Total time {total:.0f} s; load average at end: {loadavg()}.")
    if args.json:
        payload = {"machine": machine, "matmul_peak_gflops": peak, "total_s": total,
                   "settings": {k: getattr(args, k) for k in ("models", "configs", "quick", "time_cap",
                                                              "slow_time_cap", "seed", "gpu", "interleave",
                                                              "lockstep", "rounds")},
                   "models": blocks}
        os.makedirs(os.path.dirname(os.path.abspath(args.json)), exist_ok=True)
        with open(args.json, "w") as f:
            json.dump(payload, f, indent=2)
        print(f"Results written to {args.json}.")
    return 1 if any("error" in r for b in blocks for r in b["results"]) else 0


if __name__ == "__main__":
    sys.exit(main())
