#!/usr/bin/env bash
# Trains, publishes and evaluates the zoo model `dcgan_fashion_mnist`: 60
# epochs with a moving average of the generator's weights (decay 0.999), which
# the published model samples from. The exact command, its measured time and
# the evaluation land in kerasgan/zoo/dcgan_fashion_mnist/README.md.
# Usage: bash scripts/train_zoo_dcgan_fashion_mnist.sh   (KERASGAN_SETUP=0 skips scripts/setup.sh)
set -euo pipefail
cd "$(dirname "$0")/.."
exec bash scripts/train_zoo_fashion_mnist.sh dcgan \
  "DCGAN (Radford et al. 2015) for 28x28 Fashion-MNIST, trained 60 epochs, sampled from the generator's moving average" \
  --epochs 60 --batch-size 64 --filters 64 --latent-dim 100 --lr 2e-4 --beta1 0.5 --generator-ema 0.999
