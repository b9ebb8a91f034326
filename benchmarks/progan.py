"""One ProGAN training iteration at full resolution: kerasgan against plain PyTorch.

The reference is a plain PyTorch implementation (torch.nn, no Keras) of
kerasgan's ProGAN networks and iteration, written for this benchmark from
`kerasgan/nets/progan.py` and `kerasgan/models/progan.py` (themselves the
official `networks.py` / `loss.py`): equalized-learning-rate convolutions
and dense layers (weights ~ N(0, 1) scaled at run time by gain/√fan_in),
pixel normalization, LeakyReLU(0.2), nearest-neighbour upsampling, 2×2
average pooling, the minibatch standard deviation (groups of 4) before the
critic's last block; both networks hold every stage's blocks (as
kerasgan's), and both run the last stage (full resolution) with α = 1,
the fade-in included: the generator's previous-stage toRGB, upsampled and
lerped with α, the critic's previous-stage fromRGB on the pooled images,
and the reals faded the same way. One iteration: one critic step
(WGAN-GP: D(G(z)) − D(x) + 10·(‖∇D(x̂)‖₂ − 1)² + 0.001·D(x)², the penalty
through `torch.autograd.grad(create_graph=True)`), then one generator step
on −D(G(z)) with fresh z, then the generator's moving average (β = 0.999);
Adam(1e-3, β = (0, 0.99), ε = 1e-8) for both.

kerasgan runs `kerasgan.models.ProGAN(image_shape=(R, R, 3),
schedule=(1, 1), ...)` with its images-seen counter set past the
schedule's end (so every step is the last stage's, α = 1), compiled with
its defaults (TensorFlow: graph mode, ProGAN opts out of XLA; JAX: jit,
one program for the stage; torch: eager), one `train_on_batch` per
iteration on a fixed random batch in [−1, 1]. Every (configuration,
resolution) runs in a process of its own, one after another, the
reference first; each runs `--warmup` untimed iterations, then times
`--iterations` iterations one by one (fewer, but at least 3, once they
have taken `--time-cap` seconds). The
report gives the median seconds per iteration and the ratio reference /
kerasgan (> 1: kerasgan is faster), and checks that the reference's
networks have as many trainable parameters as kerasgan's.

Defaults: 32×32 with 128 feature maps per block and 128×128 with 32
(64 took 7–8 s per iteration on a 2-core CPU), batch 16, latent 128:
0.6–3 s per reference iteration there. Wide configurations take long to
time where a backend is slow: `--time-cap` bounds the timed part,
`--timeout` the whole process.

Example:

    python benchmarks/progan.py                                    # 32×32 and 128×128, every backend
    python benchmarks/progan.py --backends torch --iterations 3 --json results/progan.json
    python benchmarks/progan.py --quick                            # 8×8, tiny: checks that all runs
"""

import argparse
import json
import math
import os
import statistics
import subprocess
import sys
import time

import numpy as np

BACKENDS = ("tensorflow", "jax", "torch")
REFERENCE = "torch-reference"


def filters(spec, k):
    """nf(k) = min(filter_base / 2^k, max_filters), at least 1 (kerasgan.nets.progan)."""
    return max(1, min(spec["filter_base"] // 2**k, spec["max_filters"]))


def reference_networks(spec):
    """Plain-PyTorch ProGAN networks: `(Generator, Discriminator)` classes;
    `forward` runs the last stage with `alpha`."""
    import torch
    import torch.nn.functional as F
    from torch import nn

    resolution, channels, latent_dim = spec["resolution"], 3, spec["latent_dim"]
    stages = int(math.log2(resolution)) - 1
    nf = lambda k: filters(spec, k)  # noqa: E731

    class EqualizedConv2d(nn.Module):
        def __init__(self, cin, cout, k, gain=math.sqrt(2.0)):
            super().__init__()
            self.weight = nn.Parameter(torch.randn(cout, cin, k, k))
            self.bias = nn.Parameter(torch.zeros(cout))
            self.scale, self.padding = gain / math.sqrt(cin * k * k), k // 2

        def forward(self, x):
            return F.conv2d(x, self.weight * self.scale, self.bias, padding=self.padding)

    class EqualizedLinear(nn.Module):
        def __init__(self, cin, cout, gain=math.sqrt(2.0)):
            super().__init__()
            self.weight = nn.Parameter(torch.randn(cout, cin))
            self.bias = nn.Parameter(torch.zeros(cout))
            self.scale = gain / math.sqrt(cin)

        def forward(self, x):
            return F.linear(x, self.weight * self.scale, self.bias)

    def pixel_norm(x):
        return x * torch.rsqrt(x.square().mean(dim=1, keepdim=True) + 1e-8)

    def lrelu(x):
        return F.leaky_relu(x, 0.2)

    def upsample(x):
        return F.interpolate(x, scale_factor=2, mode="nearest")

    def lerp(low, high, alpha):
        return low + (high - low) * alpha

    def minibatch_stddev(x, group_size=4):
        n, c, h, w = x.shape
        g = min(group_size, n)
        y = x.reshape(g, -1, c, h, w)
        y = (y - y.mean(dim=0, keepdim=True)).square().mean(dim=0)
        y = (y + 1e-8).sqrt().mean(dim=(1, 2, 3), keepdim=True)  # (M, 1, 1, 1)
        return torch.cat([x, y.repeat(g, 1, h, w)], dim=1)  # sample g·M + m gets group m's

    class Generator(nn.Module):
        def __init__(self):
            super().__init__()
            self.dense = EqualizedLinear(latent_dim, nf(1) * 16, gain=math.sqrt(2.0) / 4)
            blocks = [nn.ModuleList([EqualizedConv2d(nf(1), nf(1), 3)])]
            for s in range(1, stages):
                blocks.append(nn.ModuleList([EqualizedConv2d(nf(s), nf(s + 1), 3),
                                             EqualizedConv2d(nf(s + 1), nf(s + 1), 3)]))
            self.blocks = nn.ModuleList(blocks)
            self.to_rgb = nn.ModuleList([EqualizedConv2d(nf(s + 1), channels, 1, gain=1.0)
                                         for s in range(stages)])

        def forward(self, z, alpha=1.0):
            x = self.dense(pixel_norm(z)).view(-1, nf(1), 4, 4)
            x = pixel_norm(lrelu(x))
            previous = None
            for s, block in enumerate(self.blocks):
                if s > 0:
                    previous, x = x, upsample(x)
                for conv in block:
                    x = pixel_norm(lrelu(conv(x)))
            images = self.to_rgb[-1](x)
            if stages == 1:
                return images
            return lerp(upsample(self.to_rgb[-2](previous)), images, alpha)

    class Discriminator(nn.Module):
        def __init__(self):
            super().__init__()
            self.from_rgb = nn.ModuleList([EqualizedConv2d(channels, nf(s + 1), 1) for s in range(stages)])
            self.conv0 = EqualizedConv2d(nf(1) + 1, nf(1), 3)
            self.dense0 = EqualizedLinear(16 * nf(1), nf(0))
            self.score = EqualizedLinear(nf(0), 1, gain=1.0)
            self.blocks = nn.ModuleList([None] + [
                nn.ModuleList([EqualizedConv2d(nf(s + 1), nf(s + 1), 3), EqualizedConv2d(nf(s + 1), nf(s), 3)])
                for s in range(1, stages)])

        def block(self, x, s):
            if s == 0:
                x = lrelu(self.conv0(minibatch_stddev(x)))
                return self.score(lrelu(self.dense0(x.flatten(1))))
            for conv in self.blocks[s]:
                x = lrelu(conv(x))
            return F.avg_pool2d(x, 2)

        def forward(self, images, alpha=1.0):
            last = stages - 1
            x = self.block(lrelu(self.from_rgb[last](images)), last)
            if last > 0:
                x = lerp(lrelu(self.from_rgb[last - 1](F.avg_pool2d(images, 2))), x, alpha)
                for s in range(last - 1, -1, -1):
                    x = self.block(x, s)
            return x

    return Generator, Discriminator


def count(module):
    return sum(p.numel() for p in module.parameters() if p.requires_grad)


def reference_iteration(spec):
    """A plain-PyTorch ProGAN, its parameter counts and a function running one iteration."""
    import copy

    import torch
    import torch.nn.functional as F

    torch.manual_seed(0)
    torch.set_num_threads(spec["threads"])
    Generator, Discriminator = reference_networks(spec)
    generator, discriminator = Generator(), Discriminator()
    ema = copy.deepcopy(generator).requires_grad_(False)
    adam = dict(lr=1e-3, betas=(0.0, 0.99), eps=1e-8)
    g_opt = torch.optim.Adam(generator.parameters(), **adam)
    d_opt = torch.optim.Adam(discriminator.parameters(), **adam)
    n, size, alpha, beta = spec["batch_size"], spec["resolution"], 1.0, 0.999
    reals = torch.rand(n, 3, size, size) * 2 - 1

    def iteration():
        # The critic step: reals faded as the generator's output (α = 1 at the last stage).
        real = reals
        if size > 4:
            low = F.interpolate(F.avg_pool2d(reals, 2), scale_factor=2)
            real = low + (reals - low) * alpha
        with torch.no_grad():
            fake = generator(torch.randn(n, spec["latent_dim"]), alpha)
        real_scores, fake_scores = discriminator(real, alpha), discriminator(fake, alpha)
        epsilon = torch.rand(n, 1, 1, 1)
        interpolates = (epsilon * real + (1 - epsilon) * fake).requires_grad_(True)
        grads, = torch.autograd.grad(discriminator(interpolates, alpha).sum(), interpolates, create_graph=True)
        penalty = (grads.flatten(1).norm(dim=1) - 1).square().mean()
        loss = (fake_scores.mean() - real_scores.mean() + 10.0 * penalty
                + 1e-3 * real_scores.square().mean())
        d_opt.zero_grad(set_to_none=True)
        loss.backward()
        d_opt.step()
        # The generator step, fresh z, the critic frozen.
        discriminator.requires_grad_(False)
        loss = -discriminator(generator(torch.randn(n, spec["latent_dim"]), alpha), alpha).mean()
        g_opt.zero_grad(set_to_none=True)
        loss.backward()
        g_opt.step()
        discriminator.requires_grad_(True)
        with torch.no_grad():
            for average, weight in zip(ema.parameters(), generator.parameters()):
                average.lerp_(weight, 1 - beta)
        return float(loss)

    return iteration, {"generator": count(generator), "discriminator": count(discriminator)}


def kerasgan_iteration(spec):
    """kerasgan's ProGAN on the active backend at its last stage, its
    parameter counts and one training iteration."""
    import keras

    import kerasgan

    keras.utils.set_random_seed(0)
    size = spec["resolution"]
    model = kerasgan.models.ProGAN(image_shape=(size, size, 3), latent_dim=spec["latent_dim"],
                                   filter_base=spec["filter_base"], max_filters=spec["max_filters"],
                                   schedule=(1, 1), seed=0)
    model.images_seen.assign(10**6)  # past the schedule's end: the last stage, α = 1
    model.compile()
    reals = np.random.default_rng(0).uniform(-1, 1, (spec["batch_size"], size, size, 3)).astype("float32")
    trainable = lambda net: sum(int(np.prod(v.shape)) for v in net.trainable_weights)  # noqa: E731
    assert model.growth()[:2] == (model.stages - 1, 1.0), model.growth()

    def iteration():
        logs = model.train_on_batch(reals, return_dict=True)
        # The step ran the last stage with α = 1 (level = stage − 1 + α).
        assert (float(logs["level"]), float(logs["alpha"])) == (model.stages - 1, 1.0), logs

    return iteration, {"generator": trainable(model.generator), "discriminator": trainable(model.discriminator)}


def child(config, spec):
    os.environ.setdefault("KERAS_BACKEND", "torch")
    iteration, parameters = reference_iteration(spec) if config == REFERENCE else kerasgan_iteration(spec)
    start = time.perf_counter()
    for _ in range(spec["warmup"]):
        iteration()
    first = time.perf_counter() - start
    times = []
    for _ in range(spec["iterations"]):
        start = time.perf_counter()
        iteration()
        times.append(time.perf_counter() - start)
        if sum(times) > spec["time_cap"] and len(times) >= 3:
            break  # a very slow configuration: enough for a median
    return {"config": config, "resolution": spec["resolution"], "parameters": parameters,
            "seconds_per_iteration": times, "warmup_seconds": first}


def run(config, spec, timeout):
    env = dict(os.environ)
    if config != REFERENCE:
        env["KERAS_BACKEND"] = config
    command = [sys.executable, __file__, "--child", config, "--child-spec", json.dumps(spec)]
    try:
        done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return {"config": config, "resolution": spec["resolution"], "error": f"timed out after {timeout} s"}
    for line in reversed(done.stdout.splitlines()):
        if line.startswith("{"):
            return json.loads(line)
    return {"config": config, "resolution": spec["resolution"], "error": done.stderr[-2000:]}


def default_max_filters(resolution):
    """128 maps up to 32×32, 64 at 64×64, 32 from 128×128 up: 0.6–3 s per iteration on 2 cores."""
    return min(128, max(32, 4096 // resolution))


def per_resolution(text, resolutions, name, default=None):
    if text is None:
        return [default(r) for r in resolutions]
    values = [int(v) for v in str(text).split(",")]
    if len(values) == 1:
        values *= len(resolutions)
    if len(values) != len(resolutions):
        raise SystemExit(f"--{name} needs one value or one per resolution ({len(resolutions)}); got {text!r}")
    return values


def parse(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--backends", default=",".join(BACKENDS),
                   help=f"comma-separated, from {BACKENDS}; the plain-PyTorch reference always runs first")
    p.add_argument("--resolutions", default="32,128", help="comma-separated powers of two")
    p.add_argument("--max-filters", help="one value, or one per resolution; default: 128 up to 32×32, "
                                          "64 at 64×64, 32 from 128×128 up")
    p.add_argument("--batch-size", default="16", help="one value, or one per resolution (multiples of 4)")
    p.add_argument("--latent-dim", type=int, default=128)
    p.add_argument("--filter-base", type=int, default=8192)
    p.add_argument("--iterations", type=int, default=10, help="timed iterations (the median is reported)")
    p.add_argument("--warmup", type=int, default=2, help="untimed iterations first (compilation)")
    p.add_argument("--time-cap", type=float, default=300,
                   help="stop timing a configuration once its timed iterations took this many seconds "
                        "(after at least 3)")
    p.add_argument("--timeout", type=int, default=1200, help="seconds per configuration and resolution")
    p.add_argument("--quick", action="store_true",
                   help="8×8, 16 maps, latent 16, batch 4, 1 warm-up and 1 timed iteration: checks that all runs")
    p.add_argument("--json", "--out", dest="json", metavar="OUT", help="write the results there")
    p.add_argument("--child", help=argparse.SUPPRESS)
    p.add_argument("--child-spec", help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.quick:
        args.resolutions, args.max_filters, args.batch_size = "8", "16", "4"
        args.latent_dim, args.iterations, args.warmup = 16, 1, 1
    return args


def main(argv=None):
    args = parse(argv)
    if args.child:
        print(json.dumps(child(args.child, json.loads(args.child_spec))), flush=True)
        return 0
    backends = [b for b in args.backends.split(",") if b]
    unknown = sorted(set(backends) - set(BACKENDS))
    if unknown:
        raise SystemExit(f"unknown backends {unknown}; choose from {BACKENDS}")
    resolutions = [int(r) for r in args.resolutions.split(",")]
    for r in resolutions:
        if r < 4 or r & (r - 1):
            raise SystemExit(f"resolutions must be powers of two >= 4; got {r}")
    max_filters = per_resolution(args.max_filters, resolutions, "max-filters", default_max_filters)
    batch_sizes = per_resolution(args.batch_size, resolutions, "batch-size")
    common = {"latent_dim": args.latent_dim, "filter_base": args.filter_base, "iterations": args.iterations,
              "warmup": args.warmup, "time_cap": args.time_cap, "threads": os.cpu_count()}
    specs = [{**common, "resolution": r, "max_filters": f, "batch_size": b}
             for r, f, b in zip(resolutions, max_filters, batch_sizes)]
    results, failed = [], False
    for spec in specs:
        block = []
        for config in (REFERENCE, *backends):
            print(f"{spec['resolution']}x{spec['resolution']} {config} ...", file=sys.stderr, flush=True)
            block.append(run(config, spec, args.timeout))
        reference = block[0] if "error" not in block[0] else None
        base = statistics.median(reference["seconds_per_iteration"]) if reference else None
        size = spec["resolution"]
        print(f"ProGAN {size}x{size} (last stage, alpha 1), max_filters {spec['max_filters']}, "
              f"latent {spec['latent_dim']}, batch {spec['batch_size']}: median s/iteration of "
              f"up to {spec['iterations']} after {spec['warmup']} warm-up")
        counts = {json.dumps(r["parameters"], sort_keys=True) for r in block if "error" not in r}
        for r in block:
            if "error" in r:
                failed = True
                print(f"  {r['config']:16s} failed: {r['error'][-500:]}")
                continue
            median = statistics.median(r["seconds_per_iteration"])
            r["median_seconds_per_iteration"] = median
            r["speed_vs_reference"] = base / median if base else float("nan")
            print(f"  {r['config']:16s} {median:7.3f} s  x{r['speed_vs_reference']:.2f} vs plain PyTorch  "
                  f"({len(r['seconds_per_iteration'])} timed; min {min(r['seconds_per_iteration']):.3f}, max {max(r['seconds_per_iteration']):.3f}; "
                  f"first {spec['warmup']}: {r['warmup_seconds']:.1f} s)")
        for text in sorted(counts):
            p = json.loads(text)
            print(f"  trainable parameters: generator {p['generator']:,}, discriminator {p['discriminator']:,}")
        if len(counts) > 1:
            failed = True
            print("  PARAMETER COUNTS DIFFER between the reference and kerasgan")
        results += block
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"spec": {**common, "resolutions": resolutions, "max_filters": max_filters,
                                "batch_sizes": batch_sizes}, "results": results}, f, indent=1)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
