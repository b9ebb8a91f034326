"""One training iteration of kerasgan's CycleGAN against plain PyTorch.

The reference is a plain PyTorch implementation of the same networks and
iteration (written for this benchmark from the paper and the official
code's settings): two ResNet generators (reflection padding, instance
norm, `--residual-blocks` blocks), two 70×70 PatchGANs, least-squares
losses, cycle λ = 10, identity 0.5·λ, a 50-image pool per discriminator;
per iteration the generators' step, then both discriminators' on pooled
fakes, Adam(2e-4, β₁ = 0.5). kerasgan runs `CycleGAN` with the same
settings on each backend (TensorFlow and JAX compiled with their default
`jit_compile="auto"`, torch eager). Every configuration runs in a process of
its own, one after another, on random images; each times `--iterations`
iterations after `--warmup` untimed ones, `--repeats` times, and the report
gives the median seconds per iteration and its ratio to the reference's
(> 1: kerasgan is faster).

Example:

    python benchmarks/translation.py --image-size 128 --residual-blocks 6 --json results/cyclegan.json
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import time

import numpy as np

CONFIGS = ("torch-reference", "tensorflow", "jax", "torch")


def reference_networks(spec):
    """Plain-PyTorch CycleGAN networks: (generator, discriminator) builders."""
    from torch import nn

    channels, f = 3, spec["filters"]

    def norm(c):
        return nn.InstanceNorm2d(c, affine=False)

    class Block(nn.Module):
        def __init__(self, c):
            super().__init__()
            self.body = nn.Sequential(nn.ReflectionPad2d(1), nn.Conv2d(c, c, 3), norm(c), nn.ReLU(True),
                                      nn.ReflectionPad2d(1), nn.Conv2d(c, c, 3), norm(c))

        def forward(self, x):
            return x + self.body(x)

    def generator():
        layers = [nn.ReflectionPad2d(3), nn.Conv2d(channels, f, 7), norm(f), nn.ReLU(True)]
        for i in range(2):
            layers += [nn.Conv2d(f * 2**i, f * 2 ** (i + 1), 3, 2, 1), norm(f * 2 ** (i + 1)), nn.ReLU(True)]
        layers += [Block(4 * f) for _ in range(spec["residual_blocks"])]
        for i in range(2):
            c = f * 2 ** (2 - i)
            layers += [nn.ConvTranspose2d(c, c // 2, 3, 2, 1, output_padding=1), norm(c // 2), nn.ReLU(True)]
        layers += [nn.ReflectionPad2d(3), nn.Conv2d(f, channels, 7), nn.Tanh()]
        return nn.Sequential(*layers)

    def discriminator():
        layers = [nn.Conv2d(channels, f, 4, 2, 1), nn.LeakyReLU(0.2, True)]
        c = f
        for stride in (2, 2, 1):
            layers += [nn.Conv2d(c, min(2 * c, 8 * f), 4, stride, 1), norm(min(2 * c, 8 * f)),
                       nn.LeakyReLU(0.2, True)]
            c = min(2 * c, 8 * f)
        layers += [nn.Conv2d(c, 1, 4, 1, 1)]
        return nn.Sequential(*layers)

    return generator, discriminator


def reference_iteration(spec):
    """A plain-PyTorch CycleGAN and a function running one training iteration."""
    import torch
    from torch import nn

    torch.manual_seed(0)
    torch.set_num_threads(spec["threads"])
    size, channels = spec["image_size"], 3
    generator, discriminator = reference_networks(spec)
    g_ab, g_ba, d_a, d_b = generator(), generator(), discriminator(), discriminator()
    g_opt = torch.optim.Adam(list(g_ab.parameters()) + list(g_ba.parameters()), 2e-4, betas=(0.5, 0.999))
    d_opt = torch.optim.Adam(list(d_a.parameters()) + list(d_b.parameters()), 2e-4, betas=(0.5, 0.999))
    pools = ([], [])
    rng = np.random.default_rng(0)

    def query(pool, images):
        out = []
        for image in images:
            image = image.unsqueeze(0)
            if len(pool) < 50:
                pool.append(image)
                out.append(image)
            elif rng.uniform() > 0.5:
                i = int(rng.integers(50))
                out.append(pool[i].clone())
                pool[i] = image
            else:
                out.append(image)
        return torch.cat(out)

    mse, l1 = nn.MSELoss(), nn.L1Loss()
    batch = spec["batch_size"]
    a = torch.tanh(torch.randn(batch, channels, size, size))
    b = torch.tanh(torch.randn(batch, channels, size, size))

    def iteration():
        fake_b, fake_a = g_ab(a), g_ba(b)
        for p in list(d_a.parameters()) + list(d_b.parameters()):
            p.requires_grad_(False)
        g_opt.zero_grad()
        pred_b, pred_a = d_b(fake_b), d_a(fake_a)
        loss = (mse(pred_b, torch.ones_like(pred_b)) + mse(pred_a, torch.ones_like(pred_a))
                + 10 * (l1(g_ba(fake_b), a) + l1(g_ab(fake_a), b))
                + 5 * (l1(g_ab(b), b) + l1(g_ba(a), a)))
        loss.backward()
        g_opt.step()
        for p in list(d_a.parameters()) + list(d_b.parameters()):
            p.requires_grad_(True)
        d_opt.zero_grad()
        pooled_a, pooled_b = query(pools[0], fake_a.detach()), query(pools[1], fake_b.detach())
        total = 0
        for d, real, fake in ((d_a, a, pooled_a), (d_b, b, pooled_b)):
            real_pred, fake_pred = d(real), d(fake)
            total = total + 0.5 * (mse(real_pred, torch.ones_like(real_pred))
                                   + mse(fake_pred, torch.zeros_like(fake_pred)))
        total.backward()
        d_opt.step()

    return iteration


def kerasgan_iteration(spec):
    """kerasgan's CycleGAN on the active backend and one training iteration."""
    import keras

    import kerasgan

    keras.utils.set_random_seed(0)
    size = spec["image_size"]
    model = kerasgan.models.CycleGAN(image_shape=(size, size, 3), generator_filters=spec["filters"],
                                     residual_blocks=spec["residual_blocks"],
                                     discriminator_filters=spec["filters"], seed=0)
    model.compile()
    rng = np.random.default_rng(0)
    a, b = (np.tanh(rng.standard_normal((spec["batch_size"], size, size, 3))).astype("float32") for _ in "ab")
    return lambda: model.train_on_batch(a, b)


def child(config, spec):
    os.environ.setdefault("KERAS_BACKEND", "torch")
    iteration = reference_iteration(spec) if config == "torch-reference" else kerasgan_iteration(spec)
    start = time.perf_counter()
    for _ in range(spec["warmup"]):
        iteration()
    first = time.perf_counter() - start
    repeats = []
    for _ in range(spec["repeats"]):
        start = time.perf_counter()
        for _ in range(spec["iterations"]):
            iteration()
        repeats.append((time.perf_counter() - start) / spec["iterations"])
    return {"config": config, "seconds_per_iteration": repeats, "warmup_seconds": first}


def run(config, spec, timeout):
    env = dict(os.environ)
    if config != "torch-reference":
        env["KERAS_BACKEND"] = config
    command = [sys.executable, __file__, "--child", config, "--child-spec", json.dumps(spec)]
    try:
        done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return {"config": config, "error": f"timed out after {timeout} s"}
    for line in reversed(done.stdout.splitlines()):
        if line.startswith("{"):
            return json.loads(line)
    return {"config": config, "error": done.stderr[-2000:]}


def parse(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--configs", default=",".join(CONFIGS), help=f"comma-separated, from {CONFIGS}")
    p.add_argument("--image-size", type=int, default=128)
    p.add_argument("--residual-blocks", type=int, default=6)
    p.add_argument("--filters", type=int, default=64)
    p.add_argument("--batch-size", type=int, default=1, help="1: the paper's")
    p.add_argument("--iterations", type=int, default=5, help="timed iterations per repeat")
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--warmup", type=int, default=2, help="untimed iterations first (compilation)")
    p.add_argument("--timeout", type=int, default=1200, help="seconds per configuration")
    p.add_argument("--json", metavar="OUT")
    p.add_argument("--child", help=argparse.SUPPRESS)
    p.add_argument("--child-spec", help=argparse.SUPPRESS)
    return p.parse_args(argv)


def main(argv=None):
    args = parse(argv)
    if args.child:
        print(json.dumps(child(args.child, json.loads(args.child_spec))), flush=True)
        return 0
    configs = args.configs.split(",")
    unknown = sorted(set(configs) - set(CONFIGS))
    if unknown:
        raise SystemExit(f"unknown configs {unknown}; choose from {CONFIGS}")
    spec = {"image_size": args.image_size, "residual_blocks": args.residual_blocks, "filters": args.filters,
            "batch_size": args.batch_size, "iterations": args.iterations, "repeats": args.repeats,
            "warmup": args.warmup, "threads": os.cpu_count()}
    results = [run(config, spec, args.timeout) for config in configs]
    reference = next((r for r in results if r["config"] == "torch-reference" and "error" not in r), None)
    base = statistics.median(reference["seconds_per_iteration"]) if reference else None
    print(f"CycleGAN {args.image_size}x{args.image_size}, ResNet-{args.residual_blocks}, "
          f"batch {args.batch_size}: median s/iteration over {args.repeats} repeats of {args.iterations}")
    for r in results:
        if "error" in r:
            print(f"  {r['config']:16s} failed: {r['error'][-500:]}")
            continue
        median = statistics.median(r["seconds_per_iteration"])
        r["median_seconds_per_iteration"] = median
        ratio = base / median if base else float("nan")
        r["speed_vs_reference"] = ratio
        print(f"  {r['config']:16s} {median:7.3f} s  x{ratio:.2f} vs plain PyTorch  "
              f"(repeats {', '.join(f'{t:.3f}' for t in r['seconds_per_iteration'])}; "
              f"first {args.warmup}: {r['warmup_seconds']:.1f} s)")
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"spec": spec, "results": results}, f, indent=1)
    return 1 if any("error" in r for r in results) else 0


if __name__ == "__main__":
    sys.exit(main())
