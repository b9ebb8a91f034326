"""DCGAN-64 training throughput: kerasgan on each Keras backend vs plain PyTorch.

Every configuration runs in its own subprocess (``KERAS_BACKEND`` is set
before Keras is imported), one after the other, never in parallel:

* ``torch-reference``: a plain PyTorch eager DCGAN-64 written like the classic
  PyTorch DCGAN example (nz=100, ngf=ndf=64, nc=3, BCE, Adam(2e-4, 0.5, 0.999),
  one D step on a real and a detached fake batch, one G step, batch 64, fresh
  noise every iteration).  It runs at the start AND at the end of the run; the
  ratios in the table divide by the median of those reference runs.
* kerasgan ``DCGAN(image_shape=(64, 64, 3))`` compiled with ``compile()``
  (defaults) and trained with ``fit`` on a fixed random array in [-1, 1]:
  tensorflow (XLA, the default, and ``jit_compile=False``), jax (jit), torch
  (eager), each with the default sub-pixel upsampling and with
  ``upsampling="transpose"`` (plain ``keras.layers.Conv2DTranspose``).

Per configuration: one warm-up epoch of ``--warmup`` iterations (its wall time,
compilation included, is the "first epoch" column), then ``--repeats`` epochs
of ``--iterations`` iterations, each iteration timed (time between consecutive
``on_train_batch_end`` calls; the logs are synchronised every batch).  The
table reports the median iteration time and 64 / median as images/s.  Timed
iterations stop early once ``--time-cap`` seconds (``--slow-time-cap`` for the
known-slow jax + Conv2DTranspose configuration) are spent and at least
``--min-iterations`` iterations are timed.

Usage::

    .venv/bin/python benchmarks/dcgan64_backends.py                # full run, < 15 min on 2 cores
    .venv/bin/python benchmarks/dcgan64_backends.py --quick        # just checks that all runs
    .venv/bin/python benchmarks/dcgan64_backends.py --configs jax,torch --json out.json
    .venv/bin/python benchmarks/dcgan64_backends.py --list-configs
"""

import argparse
import importlib.metadata
import importlib.util
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
RESULT_TAG = "@@DCGAN64_RESULT@@ "
BATCH = 64
IMAGE_SIZE = 64
REFERENCE = "torch-reference"

# name -> settings.  `default`: part of a run without --configs.
CONFIGS = {
    REFERENCE: dict(kind="reference", backend="torch (plain)"),
    "tensorflow-xla": dict(kind="kerasgan", backend="tensorflow", upsampling="subpixel", jit_compile=None),
    "tensorflow-nojit": dict(kind="kerasgan", backend="tensorflow", upsampling="subpixel", jit_compile=False),
    "jax": dict(kind="kerasgan", backend="jax", upsampling="subpixel", jit_compile=None),
    "torch": dict(kind="kerasgan", backend="torch", upsampling="subpixel", jit_compile=None),
    "tensorflow-xla-transpose": dict(kind="kerasgan", backend="tensorflow", upsampling="transpose", jit_compile=None),
    "jax-transpose": dict(kind="kerasgan", backend="jax", upsampling="transpose", jit_compile=None, slow=True),
    "torch-transpose": dict(kind="kerasgan", backend="torch", upsampling="transpose", jit_compile=None),
    # Not in the default run (time budget); select with --configs.
    "tensorflow-nojit-transpose": dict(
        kind="kerasgan", backend="tensorflow", upsampling="transpose", jit_compile=False, default=False
    ),
}


def describe(name):
    c = CONFIGS[name]
    if c["kind"] == "reference":
        return "plain PyTorch eager DCGAN-64 (classic example)"
    jit = {None: "default", False: "jit_compile=False", True: "jit_compile=True"}[c["jit_compile"]]
    if c["jit_compile"] is None:
        jit = {"tensorflow": "XLA (default)", "jax": "jit (default)", "torch": "eager (default)"}[c["backend"]]
    return f"kerasgan DCGAN, KERAS_BACKEND={c['backend']}, {jit}, upsampling={c['upsampling']!r}"


# =========================================================================
# child side
# =========================================================================
def _peak_rss_mb():
    # Linux: ru_maxrss in KiB.
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def _summary(times, first_epoch_s, spec, extra):
    median = statistics.median(times)
    # Capped: the time cap cut short iterations that would otherwise have run.
    extra["capped"] = len(times) < spec["repeats"] * spec["iterations"]
    return {
        "iterations_timed": len(times),
        "iteration_ms": [round(t * 1000.0, 3) for t in times],
        "median_iteration_ms": median * 1000.0,
        "images_per_s": spec["batch"] / median,
        "first_epoch_s": first_epoch_s,
        "warmup_iterations": spec["warmup"],
        "peak_rss_mb": _peak_rss_mb(),
        **extra,
    }


class _Budget:
    """Stops the timed phase after `cap` seconds once `minimum` iterations are timed."""

    def __init__(self, cap, minimum):
        self.cap, self.minimum = cap, minimum
        self.start = None
        self.capped = False

    def begin(self):
        self.start = time.perf_counter()

    def exhausted(self, timed):
        if timed >= self.minimum and time.perf_counter() - self.start > self.cap:
            self.capped = True
        return self.capped


def run_reference(spec):
    """Plain PyTorch eager DCGAN-64, written after the classic PyTorch example."""
    import numpy as np
    import torch
    from torch import nn

    default_threads = torch.get_num_threads()
    torch.set_num_threads(os.cpu_count())
    torch.manual_seed(spec["seed"])
    nz, ngf, ndf, nc = 100, 64, 64, 3

    def init_weights(m):
        name = type(m).__name__
        if "Conv" in name:
            nn.init.normal_(m.weight, 0.0, 0.02)
        elif "BatchNorm" in name:
            nn.init.normal_(m.weight, 1.0, 0.02)
            nn.init.zeros_(m.bias)

    def up(cin, cout):
        return [nn.ConvTranspose2d(cin, cout, 4, 2, 1, bias=False), nn.BatchNorm2d(cout), nn.ReLU(True)]

    def down(cin, cout, bn=True):
        layers = [nn.Conv2d(cin, cout, 4, 2, 1, bias=False)]
        if bn:
            layers.append(nn.BatchNorm2d(cout))
        return layers + [nn.LeakyReLU(0.2, inplace=True)]

    generator = nn.Sequential(
        nn.ConvTranspose2d(nz, ngf * 8, 4, 1, 0, bias=False),  # 1x1 -> 4x4x512
        nn.BatchNorm2d(ngf * 8),
        nn.ReLU(True),
        *up(ngf * 8, ngf * 4),  # 8x8x256
        *up(ngf * 4, ngf * 2),  # 16x16x128
        *up(ngf * 2, ngf),  # 32x32x64
        nn.ConvTranspose2d(ngf, nc, 4, 2, 1, bias=False),  # 64x64x3
        nn.Tanh(),
    )
    discriminator = nn.Sequential(
        *down(nc, ndf, bn=False),  # 32x32x64
        *down(ndf, ndf * 2),  # 16x16x128
        *down(ndf * 2, ndf * 4),  # 8x8x256
        *down(ndf * 4, ndf * 8),  # 4x4x512
        nn.Conv2d(ndf * 8, 1, 4, 1, 0, bias=False),  # one logit
    )
    generator.apply(init_weights)
    discriminator.apply(init_weights)
    # Sigmoid + BCELoss of the classic example, in its numerically stable form.
    criterion = nn.BCEWithLogitsLoss()
    opt_d = torch.optim.Adam(discriminator.parameters(), lr=2e-4, betas=(0.5, 0.999))
    opt_g = torch.optim.Adam(generator.parameters(), lr=2e-4, betas=(0.5, 0.999))

    batch = spec["batch"]
    n_batches = max(spec["iterations"], spec["warmup"])
    rng = np.random.default_rng(spec["seed"])
    data = torch.from_numpy(
        rng.uniform(-1.0, 1.0, (n_batches * batch, nc, IMAGE_SIZE, IMAGE_SIZE)).astype("float32")
    )
    real_label = torch.ones(batch)
    fake_label = torch.zeros(batch)
    generator.train()
    discriminator.train()

    def iteration(i):
        real = data[(i % n_batches) * batch : (i % n_batches + 1) * batch]
        # (1) D: maximise log D(x) + log(1 - D(G(z)))
        discriminator.zero_grad()
        err_real = criterion(discriminator(real).view(-1), real_label)
        err_real.backward()
        noise = torch.randn(batch, nz, 1, 1)
        fake = generator(noise)
        err_fake = criterion(discriminator(fake.detach()).view(-1), fake_label)
        err_fake.backward()
        opt_d.step()
        # (2) G: maximise log D(G(z))
        generator.zero_grad()
        err_g = criterion(discriminator(fake).view(-1), real_label)
        err_g.backward()
        opt_g.step()
        return (err_real + err_fake).item(), err_g.item()  # as the example's logging

    t0 = time.perf_counter()
    for i in range(spec["warmup"]):
        iteration(i)
    first_epoch_s = time.perf_counter() - t0

    budget = _Budget(spec["time_cap"], spec["min_iterations"])
    budget.begin()
    times, repeat_wall = [], []
    for _ in range(spec["repeats"]):
        if budget.capped:
            break
        start = last = time.perf_counter()
        for i in range(spec["iterations"]):
            iteration(i)
            now = time.perf_counter()
            times.append(now - last)
            last = now
            if budget.exhausted(len(times)):
                break
        repeat_wall.append((last - start, i + 1))
    return _summary(
        times,
        first_epoch_s,
        spec,
        {
            "repeat_images_per_s": [batch * n / w for w, n in repeat_wall],
            "torch_threads": torch.get_num_threads(),
            "torch_default_threads": default_threads,
        },
    )


def run_kerasgan(spec, config):
    import numpy as np

    extra = {}
    if config["backend"] == "torch":
        import torch

        # The same thread count as the reference.
        extra["torch_default_threads"] = torch.get_num_threads()
        torch.set_num_threads(os.cpu_count())
        extra["torch_threads"] = torch.get_num_threads()
    t0 = time.perf_counter()
    import keras

    if importlib.util.find_spec("kerasgan") is None:  # run from a source checkout
        sys.path.insert(0, ROOT)
    import kerasgan

    assert keras.backend.backend() == config["backend"], keras.backend.backend()
    extra["import_s"] = time.perf_counter() - t0
    keras.utils.set_random_seed(spec["seed"])

    class IterationTimer(keras.callbacks.Callback):
        """Wall time between consecutive batch ends (the logs are synced per batch)."""

        def __init__(self, times, budget):
            super().__init__()
            self.times, self.budget = times, budget
            self.last = None

        def on_epoch_begin(self, epoch, logs=None):
            self.last = time.perf_counter()

        def on_train_batch_end(self, batch, logs=None):
            now = time.perf_counter()
            self.times.append(now - self.last)
            self.last = now
            if self.budget is not None and self.budget.exhausted(len(self.times)):
                self.model.stop_training = True

    t0 = time.perf_counter()
    model = kerasgan.models.DCGAN(image_shape=(IMAGE_SIZE, IMAGE_SIZE, 3), upsampling=config["upsampling"])
    if config["jit_compile"] is None:
        model.compile()
    else:
        model.compile(jit_compile=config["jit_compile"])
    extra["build_s"] = time.perf_counter() - t0
    extra["jit_compile"] = model.jit_compile
    extra["parameters"] = int(model.count_params())

    batch = spec["batch"]
    n_batches = max(spec["iterations"], spec["warmup"])
    rng = np.random.default_rng(spec["seed"])
    x = rng.uniform(-1.0, 1.0, (n_batches * batch, IMAGE_SIZE, IMAGE_SIZE, 3)).astype("float32")

    def fit(n, callbacks):
        return model.fit(x[: n * batch], batch_size=batch, epochs=1, shuffle=False, verbose=0, callbacks=callbacks)

    warm = []
    t0 = time.perf_counter()
    history = fit(spec["warmup"], [IterationTimer(warm, None)])
    first_epoch_s = time.perf_counter() - t0
    extra["warmup_iteration_ms"] = [round(t * 1000.0, 3) for t in warm]

    budget = _Budget(spec["time_cap"], spec["min_iterations"])
    budget.begin()
    times, repeat_wall = [], []
    for _ in range(spec["repeats"]):
        if budget.capped:
            break
        before = len(times)
        t0 = time.perf_counter()
        history = fit(spec["iterations"], [IterationTimer(times, budget)])
        # fit() wall time, including per-fit overhead (data adapter, callbacks).
        repeat_wall.append((time.perf_counter() - t0, len(times) - before))
    extra["repeat_images_per_s"] = [batch * n / w for w, n in repeat_wall]
    extra["last_logs"] = {k: float(v[-1]) for k, v in history.history.items()}
    return _summary(times, first_epoch_s, spec, extra)


def child_main(name, spec):
    config = CONFIGS[name]
    if config["kind"] == "reference":
        result = run_reference(spec)
    else:
        if os.environ.get("KERAS_BACKEND") != config["backend"]:
            raise SystemExit(f"{name}: KERAS_BACKEND must be {config['backend']!r} before keras is imported")
        result = run_kerasgan(spec, config)
    result.update(config=name, time_cap_s=spec["time_cap"], pid=os.getpid())
    print(RESULT_TAG + json.dumps(result), flush=True)


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


def machine_info():
    cpu = platform.processor() or "unknown"
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    try:
        affinity = len(os.sched_getaffinity(0))
    except AttributeError:
        affinity = os.cpu_count()
    return {
        "cpu": cpu,
        "cpu_count": os.cpu_count(),
        "usable_cores": affinity,
        "python": platform.python_version(),
        "platform": platform.platform(),
        "versions": {
            "torch": _version("torch"),
            "jax": _version("jax"),
            "jaxlib": _version("jaxlib"),
            "tensorflow": _version("tensorflow", "tensorflow-cpu"),
            "keras": _version("keras"),
            "kerasgan": _version("kerasgan"),
            "numpy": _version("numpy"),
        },
    }


def loadavg():
    try:
        with open("/proc/loadavg") as f:
            return f.read().split()[0]
    except OSError:
        return "?"


def run_child(name, spec, label, timeout):
    config = CONFIGS[name]
    env = dict(os.environ)
    env.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    if config["kind"] == "kerasgan":
        env["KERAS_BACKEND"] = config["backend"]
    cmd = [sys.executable, os.path.abspath(__file__), "--child", name, "--child-spec", json.dumps(spec)]
    t0 = time.perf_counter()
    try:
        proc = subprocess.run(cmd, env=env, cwd=ROOT, capture_output=True, text=True, timeout=timeout)
        out, err, rc = proc.stdout, proc.stderr, proc.returncode
    except subprocess.TimeoutExpired as e:
        out = e.stdout.decode() if isinstance(e.stdout, bytes) else (e.stdout or "")
        err = e.stderr.decode() if isinstance(e.stderr, bytes) else (e.stderr or "")
        rc = f"timeout after {timeout} s"
    wall = time.perf_counter() - t0
    result = None
    for line in out.splitlines():
        if line.startswith(RESULT_TAG):
            result = json.loads(line[len(RESULT_TAG):])
    if result is None:
        tail = "\n".join((err or out).strip().splitlines()[-15:])
        result = {"config": name, "error": f"exit status {rc}", "stderr_tail": tail}
    result["label"] = label
    result["description"] = describe(name)
    result["process_wall_s"] = wall
    return result


def fmt(value, spec):
    return "-" if value is None else format(value, spec)


def table(results, reference_ips):
    head = ["config", "images/s (median)", "median iter ms", "first epoch (compile) s",
            "peak RSS MB", "iters timed", f"vs {REFERENCE}"]
    rows = []
    for r in results:
        if "error" in r:
            rows.append([r["label"], "FAILED: " + r["error"], "", "", "", "", ""])
            continue
        ratio = None if not reference_ips else r["images_per_s"] / reference_ips
        iters = str(r["iterations_timed"]) + (" (capped)" if r.get("capped") else "")
        rows.append([
            r["label"],
            fmt(r["images_per_s"], ".1f"),
            fmt(r["median_iteration_ms"], ".0f"),
            fmt(r["first_epoch_s"], ".1f"),
            fmt(r["peak_rss_mb"], ".0f"),
            iters,
            "-" if ratio is None else f"{ratio:.2f}x",
        ])
    lines = ["| " + " | ".join(head) + " |", "|" + "|".join("---" if i == 0 else "---:" for i in range(len(head))) + "|"]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)


def parse(argv=None):
    p = argparse.ArgumentParser(
        description=__doc__.splitlines()[0],
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="Configurations (default run = all but those marked opt-in):\n"
        + "\n".join(
            f"  {n:28s} {describe(n)}{'' if c.get('default', True) else '  [opt-in]'}"
            for n, c in CONFIGS.items()
        ),
    )
    p.add_argument("--quick", action="store_true",
                   help="few iterations (image size stays 64): only checks that every configuration runs")
    p.add_argument("--iterations", type=int, help="timed iterations per repeat (default 8; --quick: 2)")
    p.add_argument("--repeats", type=int, help="timed epochs per configuration (default 3; --quick: 1)")
    p.add_argument("--warmup", type=int, help="iterations of the untimed first (compile) epoch (default 2; --quick: 1)")
    p.add_argument("--configs", help="comma-separated configurations (see below); the reference always runs "
                   "at the start and the end")
    p.add_argument("--json", metavar="OUT", help="write machine info, settings and all results to OUT")
    p.add_argument("--time-cap", type=float, default=120.0,
                   help="seconds of timed iterations per configuration (default 120)")
    p.add_argument("--slow-time-cap", type=float, default=30.0,
                   help="the same for the known-slow configurations (jax-transpose; default 30)")
    p.add_argument("--min-iterations", type=int, help="timed iterations always done before a time cap applies "
                   "(default 3; --quick: 1)")
    p.add_argument("--child-timeout", type=int, default=900, help="kill a configuration after this many seconds")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--list-configs", action="store_true", help="list the configurations and exit")
    p.add_argument("--child", help=argparse.SUPPRESS)
    p.add_argument("--child-spec", help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    quick = args.quick
    if args.iterations is None:
        args.iterations = 2 if quick else 8
    if args.repeats is None:
        args.repeats = 1 if quick else 3
    if args.warmup is None:
        args.warmup = 1 if quick else 2
    if args.min_iterations is None:
        args.min_iterations = 1 if quick else 3
    for flag in ("iterations", "repeats", "warmup", "min_iterations"):
        if getattr(args, flag) < 1:
            p.error(f"--{flag.replace('_', '-')} must be >= 1")
    if args.configs:
        names = [n.strip() for n in args.configs.split(",") if n.strip()]
        unknown = [n for n in names if n not in CONFIGS]
        if unknown:
            p.error(f"unknown configuration(s) {unknown}; choose from {list(CONFIGS)}")
        args.selected = [n for n in dict.fromkeys(names) if n != REFERENCE]
    else:
        args.selected = [n for n, c in CONFIGS.items() if n != REFERENCE and c.get("default", True)]
    return args


def main(argv=None):
    args = parse(argv)
    if args.child:
        child_main(args.child, json.loads(args.child_spec))
        return 0
    if args.list_configs:
        for n, c in CONFIGS.items():
            print(f"{n:28s} {describe(n)}{'' if c.get('default', True) else '  [opt-in]'}")
        return 0

    machine = machine_info()
    v = machine["versions"]
    print("# DCGAN-64 training throughput: kerasgan backends vs plain PyTorch\n")
    print(f"- CPU: {machine['cpu']}, {machine['cpu_count']} logical cores ({machine['usable_cores']} usable)")
    print(f"- Python {machine['python']}, torch {v['torch']}, jax {v['jax']} (jaxlib {v['jaxlib']}), "
          f"tensorflow {v['tensorflow']}, keras {v['keras']}, kerasgan {v['kerasgan']}, numpy {v['numpy']}")
    print(f"- batch {BATCH}, {IMAGE_SIZE}x{IMAGE_SIZE}x3; warm-up epoch {args.warmup} iteration(s), then "
          f"{args.repeats} x {args.iterations} timed iterations (time cap {args.time_cap:g} s, "
          f"{args.slow_time_cap:g} s for slow configs){'; QUICK mode' if args.quick else ''}")
    print(f"- load average at start: {loadavg()}", flush=True)

    plan = [(REFERENCE, f"{REFERENCE} (start)")] + [(n, n) for n in args.selected] + [(REFERENCE, f"{REFERENCE} (end)")]
    results = []
    t_run = time.perf_counter()
    for i, (name, label) in enumerate(plan, 1):
        spec = {
            "batch": BATCH,
            "iterations": args.iterations,
            "repeats": args.repeats,
            "warmup": args.warmup,
            "min_iterations": args.min_iterations,
            "time_cap": args.slow_time_cap if CONFIGS[name].get("slow") else args.time_cap,
            "seed": args.seed,
        }
        print(f"[{i}/{len(plan)}] {label}: {describe(name)} ...", file=sys.stderr, flush=True)
        r = run_child(name, spec, label, args.child_timeout)
        results.append(r)
        if "error" in r:
            print(f"    FAILED ({r['error']}):\n{r['stderr_tail']}", file=sys.stderr, flush=True)
        else:
            print(f"    {r['images_per_s']:.1f} images/s, median {r['median_iteration_ms']:.0f} ms/iter, "
                  f"first epoch {r['first_epoch_s']:.1f} s, process {r['process_wall_s']:.0f} s",
                  file=sys.stderr, flush=True)
    total = time.perf_counter() - t_run

    ref_runs = [r["images_per_s"] for r in results if r["config"] == REFERENCE and "error" not in r]
    reference_ips = statistics.median(ref_runs) if ref_runs else None
    print()
    print(table(results, reference_ips))
    print()
    if reference_ips:
        print(f"Ratios divide by the median of the {len(ref_runs)} reference runs: {reference_ips:.1f} images/s "
              f"(runs: {', '.join(f'{x:.1f}' for x in ref_runs)}).")
    else:
        print("The reference failed: no ratios.")
    print(f"Total time {total:.0f} s; load average at end: {loadavg()}.")

    if args.json:
        payload = {
            "machine": machine,
            "settings": {k: getattr(args, k) for k in ("quick", "iterations", "repeats", "warmup", "time_cap",
                                                       "slow_time_cap", "min_iterations", "seed", "selected")},
            "reference_images_per_s": reference_ips,
            "total_s": total,
            "results": results,
        }
        with open(args.json, "w") as f:
            json.dump(payload, f, indent=2)
        print(f"Results written to {args.json}.")
    return 1 if any("error" in r for r in results) else 0


if __name__ == "__main__":
    sys.exit(main())
