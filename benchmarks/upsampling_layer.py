"""Micro-benchmark: keras.layers.Conv2DTranspose vs SubPixelConv2DTranspose.

Times the forward pass, the gradient w.r.t. the input and the gradient w.r.t.
the kernel of both layers (same weights) under the current KERAS_BACKEND:

* jax:         jax.jit
* tensorflow:  tf.function, with and without jit_compile=True (XLA)
* torch:       eager

Usage::

    KERAS_BACKEND=jax python benchmarks/upsampling_layer.py
    KERAS_BACKEND=tensorflow python benchmarks/upsampling_layer.py --repeats 3

Defaults are the DCGAN-like shapes batch 64, 256 -> 128 channels,
16x16 -> 32x32, kernel 4, stride 2, padding "same".  Each number is the median
wall time of ``--repeats`` calls after one warm-up (compile) call that is
also used to check that both layers agree (``rel.diff`` = max abs difference
over max abs value); a call that takes longer than ``--slow`` seconds is only
repeated ``--min-repeats`` times.
"""

import argparse
import importlib.util
import os
import statistics
import sys
import time

import numpy as np

if importlib.util.find_spec("kerasgan") is None:  # run from a source checkout
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import keras  # noqa: E402

from kerasgan.layers.subpixel_conv2d_transpose import (  # noqa: E402
    SubPixelConv2DTranspose,
)

BACKEND = keras.backend.backend()


def _parse():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--batch", type=int, default=64)
    p.add_argument("--size", type=int, default=16, help="input height=width")
    p.add_argument("--in-channels", type=int, default=256)
    p.add_argument("--filters", type=int, default=128)
    p.add_argument("--kernel", type=int, default=4)
    p.add_argument("--strides", type=int, default=2)
    p.add_argument("--padding", default="same")
    p.add_argument("--repeats", type=int, default=5)
    p.add_argument("--min-repeats", type=int, default=2)
    p.add_argument("--slow", type=float, default=3.0)
    p.add_argument("--ops", default="forward,grad_input,grad_kernel")
    return p.parse_args()


def _time(fn, args):
    # (the caller has already run fn once: warm-up / compile)
    times = []
    for i in range(args.repeats):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
        if i + 1 >= args.min_repeats and times[-1] > args.slow:
            break
    return statistics.median(times)


def _make_fns(layer, x, g, mode):
    """Return {op: zero-arg callable that blocks until the result is ready}."""
    if BACKEND == "jax":
        import jax
        import jax.numpy as jnp

        tv = [v.value for v in layer.trainable_variables]
        xj, gj = jnp.asarray(x), jnp.asarray(g)

        def f(tv, x):
            return layer.stateless_call(tv, [], x)[0]

        # everything is passed as an argument: closed-over arrays would
        # become XLA constants (and invite very slow constant folding)
        def loss(tv, x, g):
            return jnp.sum(f(tv, x) * g)

        fwd = jax.jit(f)
        gx = jax.jit(jax.grad(loss, argnums=1))
        gk = jax.jit(lambda tv, x, g: jax.grad(loss)(tv, x, g)[0])
        return {
            "forward": lambda: fwd(tv, xj).block_until_ready(),
            "grad_input": lambda: gx(tv, xj, gj).block_until_ready(),
            "grad_kernel": lambda: gk(tv, xj, gj).block_until_ready(),
        }
    if BACKEND == "tensorflow":
        import tensorflow as tf

        jit = mode == "tf.function+XLA"
        xt, gt = tf.constant(x), tf.constant(g)

        @tf.function(jit_compile=jit)
        def fwd(x):
            return layer(x)

        @tf.function(jit_compile=jit)
        def gx(x):
            with tf.GradientTape() as tape:
                tape.watch(x)
                loss = tf.reduce_sum(layer(x) * gt)
            return tape.gradient(loss, x)

        @tf.function(jit_compile=jit)
        def gk(x):
            with tf.GradientTape() as tape:
                loss = tf.reduce_sum(layer(x) * gt)
            return tape.gradient(loss, layer.kernel)

        return {
            "forward": lambda: fwd(xt).numpy(),
            "grad_input": lambda: gx(xt).numpy(),
            "grad_kernel": lambda: gk(xt).numpy(),
        }
    if BACKEND == "torch":
        import torch

        xt = torch.tensor(x)
        xg = torch.tensor(x, requires_grad=True)
        gt = torch.tensor(g)
        kernel = layer.kernel.value

        def fwd():
            with torch.no_grad():
                return layer(xt)

        def gx():
            return torch.autograd.grad((layer(xg) * gt).sum(), [xg])[0]

        def gk():
            return torch.autograd.grad((layer(xt) * gt).sum(), [kernel])[0]

        return {"forward": fwd, "grad_input": gx, "grad_kernel": gk}
    raise SystemExit(f"unsupported backend {BACKEND}")


def main():
    args = _parse()
    rng = np.random.default_rng(0)
    shape = (args.batch, args.size, args.size, args.in_channels)
    x = rng.standard_normal(shape).astype("float32")
    kw = dict(strides=args.strides, padding=args.padding)
    dense = keras.layers.Conv2DTranspose(args.filters, args.kernel, **kw)
    sub = SubPixelConv2DTranspose(args.filters, args.kernel, **kw)
    dense.build(shape)
    sub.build(shape)
    sub.set_weights(dense.get_weights())
    out_shape = tuple(dense.compute_output_shape(shape))
    g = rng.standard_normal(out_shape).astype("float32")
    modes = {
        "jax": ["jax.jit"],
        "tensorflow": ["tf.function", "tf.function+XLA"],
        "torch": ["eager"],
    }[BACKEND]
    ops_ = args.ops.split(",")

    print(
        f"backend={BACKEND} keras={keras.__version__} input={shape} -> "
        f"{out_shape}, kernel={args.kernel} strides={args.strides} "
        f"padding={args.padding}, median of <= {args.repeats} runs"
    )
    header = (
        f"{'mode':<16} {'op':<12} {'Conv2DTranspose ms':>19} "
        f"{'SubPixel ms':>12} {'speedup':>8} {'rel.diff':>10}"
    )
    print(header)
    print("-" * len(header))
    for mode in modes:
        fd, fs = _make_fns(dense, x, g, mode), _make_fns(sub, x, g, mode)
        for op in ops_:
            # the first call of each function doubles as warm-up / compile
            ref = keras.ops.convert_to_numpy(fd[op]())
            got = keras.ops.convert_to_numpy(fs[op]())
            diff = np.abs(got - ref).max() / np.abs(ref).max()
            td, ts = _time(fd[op], args), _time(fs[op], args)
            print(
                f"{mode:<16} {op:<12} {td * 1e3:>19.1f} {ts * 1e3:>12.1f} "
                f"{td / ts:>7.2f}x {diff:>10.2e}",
                flush=True,
            )


if __name__ == "__main__":
    main()
