"""Converts pytorch-fid's FID Inception weights to a Keras `.weights.h5` file.

pytorch-fid (github.com/mseitzer/pytorch-fid) ported the 2015-12-05 TensorFlow
Inception graph that FID (TTUR) uses to PyTorch. This command reads that
state dict and writes the weights of `kerasgan.extractors.fid_inception_v3`:

    curl -LO https://github.com/mseitzer/pytorch-fid/releases/download/fid_weights/pt_inception-2015-12-05-6726825d.pth
    kerasgan convert-inception-weights pt_inception-2015-12-05-6726825d.pth

The output goes to ~/.keras/kerasgan/fid_inception_v3.weights.h5 unless
`--output` says otherwise (then set $KERASGAN_FID_INCEPTION_WEIGHTS to it).
Needs torch (only to read the .pth) and kerasgan; any Keras backend works.
Every tensor must map to a layer and every layer must get its tensors
(`kerasgan.extractors.fid_inception.load_pytorch_state_dict`), else it fails.
"""

import argparse
import hashlib
import os
import re
import sys

import numpy as np

from kerasgan.extractors.fid_inception import FID_WEIGHTS_URL
from kerasgan.extractors.fid_inception import convert_state_dict  # noqa: F401 (the core mapping)
from kerasgan.extractors.fid_inception import default_weights_path


def read_state_dict(path):
    """A `.pth` state dict -> {name: numpy array} (on the CPU)."""
    import torch

    state = torch.load(path, map_location="cpu", weights_only=True)
    if isinstance(state, dict) and "state_dict" in state:  # a checkpoint wrapping it
        state = state["state_dict"]
    if not isinstance(state, dict):
        raise ValueError(f"{path} does not hold a state dict (got {type(state).__name__}).")
    return {name: tensor.detach().cpu().numpy() for name, tensor in state.items()}


def check_hash(path):
    """torch.hub's convention: a `-<hex>.pth` name carries a sha256 prefix."""
    match = re.search(r"-([0-9a-f]{6,64})\.pth$", os.path.basename(path))
    if not match:
        return
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    if not digest.hexdigest().startswith(match.group(1)):
        raise ValueError(
            f"{path}: sha256 {digest.hexdigest()} does not start with {match.group(1)} as its "
            f"name says; the download is probably truncated. Get it again from {FID_WEIGHTS_URL} "
            "(or pass --no-check-hash)."
        )


def add_arguments(parser):
    """The command's arguments (`kerasgan convert-inception-weights`)."""
    parser.add_argument("input", help="pytorch-fid's pt_inception-2015-12-05-6726825d.pth")
    parser.add_argument(
        "--output",
        default=default_weights_path(),
        help="the .weights.h5 to write (default: %(default)s)",
    )
    parser.add_argument("--no-check-hash", action="store_true", help="skip the sha256 check")


def run(args):
    """Converts `args.input` to `args.output`; returns the exit code."""
    if not os.path.isfile(args.input):
        raise FileNotFoundError(
            f"{args.input}: no such file. Download pytorch-fid's weights first: {FID_WEIGHTS_URL}"
        )
    if not args.no_check_hash:
        check_hash(args.input)
    state_dict = read_state_dict(args.input)
    output = os.path.expanduser(args.output)
    model = convert_state_dict(state_dict, output_path=output)
    n = sum(int(np.prod(v.shape)) for v in model.weights)
    print(f"Wrote {output}: {len(state_dict)} tensors, {n:,} values.")
    if output != default_weights_path():
        print(f"Use it with: export KERASGAN_FID_INCEPTION_WEIGHTS={output}")
    return 0


def main(argv=None):
    parser = argparse.ArgumentParser(
        prog="kerasgan convert-inception-weights", description=__doc__.split("\n\n")[0]
    )
    add_arguments(parser)
    return run(parser.parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
