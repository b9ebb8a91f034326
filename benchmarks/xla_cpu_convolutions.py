"""XLA-CPU's convolutions under JAX: XLA's default options against kerasgan's.

kerasgan compiles the JAX train step with
`kerasgan.engine.backend.jax.CPU_COMPILER_OPTIONS`, which keep XLA-CPU from
handing convolutions to YNNPACK. This script times, for each strided
convolution of DCGAN-64's discriminator (4x4, stride 2, "same", batch 64 by default),
the forward pass, the gradient with respect to the input and the gradient
with respect to the kernel, each jitted on its own, under both sets of
options, one after the other in the same process, and prints the medians and
their ratios as a Markdown table.

    KERAS_BACKEND=jax python benchmarks/xla_cpu_convolutions.py --repeats 7
"""

import argparse
import time

import jax
import jax.numpy as jnp
import numpy as np

from kerasgan.engine.backend import jax as jax_steps

# (input size, input channels, output channels) of DCGAN-64's discriminator.
LAYERS = ((64, 3, 64), (32, 64, 128), (16, 128, 256), (8, 256, 512))


def conv(x, w):
    return jax.lax.conv_general_dilated(
        x, w, (2, 2), "SAME", dimension_numbers=("NHWC", "HWIO", "NHWC")
    )


def programs(options):
    """name -> jitted function of (x, w, g) compiled with `options`."""
    def loss(x, w, g):
        return jnp.sum(conv(x, w) * g)

    return {
        "forward": jax.jit(lambda x, w, g: conv(x, w), compiler_options=options),
        "d input": jax.jit(jax.grad(loss, 0), compiler_options=options),
        "d kernel": jax.jit(jax.grad(loss, 1), compiler_options=options),
    }


def median_ms(fn, args, repeats):
    jax.block_until_ready(fn(*args))  # compile
    jax.block_until_ready(fn(*args))
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        jax.block_until_ready(fn(*args))
        times.append(time.perf_counter() - start)
    return float(np.median(times)) * 1e3


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--batch", type=int, default=64)
    args = parser.parse_args(argv)
    rng = np.random.default_rng(0)
    variants = {"XLA defaults": {}, "kerasgan": jax_steps.compiler_options()}
    print(f"jax {jax.__version__}, backend {jax.default_backend()}, "
          f"kerasgan options {variants['kerasgan']}\n")
    print("| layer (input, Cin → Cout) | op | XLA defaults ms | kerasgan ms | speed-up |")
    print("|---|---|---:|---:|---:|")
    totals = dict.fromkeys(variants, 0.0)
    for size, c_in, c_out in LAYERS:
        x = jnp.asarray(rng.standard_normal((args.batch, size, size, c_in), dtype="float32"))
        w = jnp.asarray(0.05 * rng.standard_normal((4, 4, c_in, c_out), dtype="float32"))
        g = jnp.asarray(rng.standard_normal((args.batch, size // 2, size // 2, c_out), dtype="float32"))
        compiled = {name: programs(options) for name, options in variants.items()}
        for op in compiled["kerasgan"]:
            ms = {name: median_ms(compiled[name][op], (x, w, g), args.repeats) for name in variants}
            for name in variants:
                totals[name] += ms[name]
            print(f"| {size}×{size}, {c_in} → {c_out} | {op} | {ms['XLA defaults']:.1f} | "
                  f"{ms['kerasgan']:.1f} | {ms['XLA defaults'] / ms['kerasgan']:.2f}× |")
    print(f"| all | all | {totals['XLA defaults']:.1f} | {totals['kerasgan']:.1f} | "
          f"{totals['XLA defaults'] / totals['kerasgan']:.2f}× |")


if __name__ == "__main__":
    main()
