"""One training iteration of kerasgan's CycleGAN or StarGAN against plain PyTorch.

The references are plain PyTorch implementations of the same networks and
iterations (written for this benchmark from the papers and the official
code's settings):

- `--model cyclegan`: two ResNet generators (reflection padding, instance
  norm, `--residual-blocks` blocks), two 70×70 PatchGANs, least-squares
  losses, cycle λ = 10, identity 0.5·λ, a 50-image pool per discriminator;
  per iteration the generators' step, then both discriminators' on pooled
  fakes, Adam(2e-4, β₁ = 0.5).
- `--model stargan`: kerasgan's StarGAN networks (a ResNet generator with
  affine instance norm and the target domain tiled over the image, a
  discriminator of stride-2 convs with a critic head and a domain head),
  `--domains` single-label domains; per iteration 5 critic updates (WGAN-GP
  with λ_gp = 10 and its second-order gradient, domain cross-entropy with
  λ_cls = 1), each on its own minibatch of `--batch-size` images and its own
  random target domains, then one generator update (adversarial, domain and
  λ_rec = 10 reconstruction terms) on the last minibatch, Adam(1e-4,
  β₁ = 0.5).

kerasgan runs `CycleGAN` / `StarGAN` with the same settings on each backend:
`tensorflow` and `jax` compiled with their default `jit_compile="auto"`
(XLA), `tensorflow-graph` TensorFlow's graph without XLA
(`jit_compile=False`), torch eager. Every configuration runs in a process of
its own, one after another, on random images; each times `--iterations`
iterations after `--warmup` untimed ones, `--repeats` times, and the report
gives the median seconds per iteration and its ratio to the reference's
(> 1: kerasgan is faster).

Example:

    python benchmarks/translation.py --image-size 128 --residual-blocks 6 --json results/cyclegan.json
    python benchmarks/translation.py --model stargan --image-size 64 --filters 32 --batch-size 8
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import time

import numpy as np

CONFIGS = ("torch-reference", "tensorflow", "tensorflow-graph", "jax", "torch")
MODELS = ("cyclegan", "stargan")


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


def stargan_reference_networks(spec):
    """Plain-PyTorch StarGAN networks with kerasgan's layout: (generator,
    discriminator) builders. The generator takes `[image, one-hot target]`."""
    import torch
    from torch import nn

    channels, f, domains, size = 3, spec["filters"], spec["domains"], spec["image_size"]

    def norm(c):
        return nn.InstanceNorm2d(c, affine=True)

    class Block(nn.Module):
        def __init__(self, c):
            super().__init__()
            self.body = nn.Sequential(nn.ReflectionPad2d(1), nn.Conv2d(c, c, 3, bias=False), norm(c), nn.ReLU(True),
                                      nn.ReflectionPad2d(1), nn.Conv2d(c, c, 3, bias=False), norm(c))

        def forward(self, x):
            return x + self.body(x)

    class Generator(nn.Module):
        def __init__(self):
            super().__init__()
            layers = [nn.Conv2d(channels + domains, f, 7, padding=3, bias=False), norm(f), nn.ReLU(True)]
            for i in range(2):
                layers += [nn.Conv2d(f * 2**i, f * 2 ** (i + 1), 3, 2, 1, bias=False), norm(f * 2 ** (i + 1)),
                           nn.ReLU(True)]
            layers += [Block(4 * f) for _ in range(spec["residual_blocks"])]
            for i in range(2):
                c = f * 2 ** (2 - i)
                layers += [nn.ConvTranspose2d(c, c // 2, 3, 2, 1, output_padding=1, bias=False), norm(c // 2),
                           nn.ReLU(True)]
            layers += [nn.ReflectionPad2d(3), nn.Conv2d(f, channels, 7), nn.Tanh()]
            self.body = nn.Sequential(*layers)

        def forward(self, x, c):
            maps = c.view(c.size(0), c.size(1), 1, 1).expand(-1, -1, x.size(2), x.size(3))
            return self.body(torch.cat([x, maps], dim=1))

    layers = 0
    while layers < 6 and size // 2 ** (layers + 1) >= 1:
        layers += 1

    class Discriminator(nn.Module):
        def __init__(self):
            super().__init__()
            body, c = [], channels
            for i in range(layers):
                body += [nn.Conv2d(c, f * 2**i, 4, 2, 1), nn.LeakyReLU(0.01)]
                c = f * 2**i
            self.body = nn.Sequential(*body)
            self.source = nn.Conv2d(c, 1, 3, 1, 1, bias=False)
            self.domains = nn.Conv2d(c, domains, size // 2**layers, bias=False)

        def forward(self, x):
            h = self.body(x)
            return self.source(h), self.domains(h).view(h.size(0), -1)

    return Generator, Discriminator


def stargan_reference_iteration(spec):
    """A plain-PyTorch StarGAN and a function running one training iteration."""
    import torch
    import torch.nn.functional as F

    torch.manual_seed(0)
    torch.set_num_threads(spec["threads"])
    size, channels, domains, batch = spec["image_size"], 3, spec["domains"], spec["batch_size"]
    generator, discriminator = stargan_reference_networks(spec)
    g, d = generator(), discriminator()
    g_opt = torch.optim.Adam(g.parameters(), 1e-4, betas=(0.5, 0.999))
    d_opt = torch.optim.Adam(d.parameters(), 1e-4, betas=(0.5, 0.999))
    images = torch.tanh(torch.randn(5 * batch, channels, size, size))
    labels = torch.randint(domains, (5 * batch,))

    def one_hot(y):
        return F.one_hot(y, domains).float()

    def iteration():
        for k in range(5):
            real, original = images[k * batch:(k + 1) * batch], labels[k * batch:(k + 1) * batch]
            target = original[torch.randperm(batch)]
            src_real, cls_real = d(real)
            with torch.no_grad():
                fake = g(real, one_hot(target))
            src_fake, _ = d(fake)
            alpha = torch.rand(batch, 1, 1, 1)
            mixed = (alpha * real + (1 - alpha) * fake).requires_grad_(True)
            src_mixed, _ = d(mixed)
            grad = torch.autograd.grad(src_mixed.sum(), mixed, create_graph=True)[0]
            penalty = ((grad.view(batch, -1).norm(dim=1) - 1) ** 2).mean()
            loss = -src_real.mean() + src_fake.mean() + F.cross_entropy(cls_real, original) + 10 * penalty
            d_opt.zero_grad()
            loss.backward()
            d_opt.step()
        fake = g(real, one_hot(target))
        src_fake, cls_fake = d(fake)
        reconstructed = g(fake, one_hot(original))
        loss = (-src_fake.mean() + F.cross_entropy(cls_fake, target)
                + 10 * (reconstructed - real).abs().mean())
        g_opt.zero_grad()
        loss.backward()
        g_opt.step()

    return iteration


def kerasgan_iteration(spec, jit_compile="auto"):
    """kerasgan's model (`spec["model"]`) on the active backend and one training iteration."""
    import keras

    import kerasgan

    keras.utils.set_random_seed(0)
    size = spec["image_size"]
    rng = np.random.default_rng(0)
    if spec.get("model", "cyclegan") == "stargan":
        model = kerasgan.models.StarGAN(image_shape=(size, size, 3), num_domains=spec["domains"],
                                        generator_filters=spec["filters"], residual_blocks=spec["residual_blocks"],
                                        discriminator_filters=spec["filters"], seed=0)
        model.compile(jit_compile=jit_compile)
        n = model.discriminator_steps * spec["batch_size"]
        images = np.tanh(rng.standard_normal((n, size, size, 3))).astype("float32")
        labels = rng.integers(spec["domains"], size=n).astype("int32")
        return lambda: model.train_on_batch(images, labels)
    model = kerasgan.models.CycleGAN(image_shape=(size, size, 3), generator_filters=spec["filters"],
                                     residual_blocks=spec["residual_blocks"],
                                     discriminator_filters=spec["filters"], seed=0)
    model.compile(jit_compile=jit_compile)
    a, b = (np.tanh(rng.standard_normal((spec["batch_size"], size, size, 3))).astype("float32") for _ in "ab")
    return lambda: model.train_on_batch(a, b)


def child(config, spec):
    os.environ.setdefault("KERAS_BACKEND", "torch")
    if config == "torch-reference":
        reference = stargan_reference_iteration if spec.get("model") == "stargan" else reference_iteration
        iteration = reference(spec)
    else:
        iteration = kerasgan_iteration(spec, jit_compile=False if config == "tensorflow-graph" else "auto")
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
        env["KERAS_BACKEND"] = "tensorflow" if config == "tensorflow-graph" else config
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
    p.add_argument("--model", choices=MODELS, default="cyclegan")
    p.add_argument("--configs", default=",".join(CONFIGS), help=f"comma-separated, from {CONFIGS}")
    p.add_argument("--domains", type=int, default=5, help="StarGAN's domains (5: the paper's CelebA)")
    p.add_argument("--image-size", type=int, default=128)
    p.add_argument("--residual-blocks", type=int, default=6)
    p.add_argument("--filters", type=int, default=64)
    p.add_argument("--batch-size", type=int, default=None,
                   help="CycleGAN: images per domain (1, the paper's); StarGAN: per critic update (16)")
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
    if args.batch_size is None:
        args.batch_size = 16 if args.model == "stargan" else 1
    spec = {"model": args.model, "domains": args.domains, "image_size": args.image_size, "residual_blocks": args.residual_blocks, "filters": args.filters,
            "batch_size": args.batch_size, "iterations": args.iterations, "repeats": args.repeats,
            "warmup": args.warmup, "threads": os.cpu_count()}
    results = [run(config, spec, args.timeout) for config in configs]
    reference = next((r for r in results if r["config"] == "torch-reference" and "error" not in r), None)
    base = statistics.median(reference["seconds_per_iteration"]) if reference else None
    name = {"cyclegan": "CycleGAN", "stargan": f"StarGAN ({args.domains} domains, 5 critic updates)"}[args.model]
    print(f"{name} {args.image_size}x{args.image_size}, ResNet-{args.residual_blocks}, {args.filters} filters, "
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
