#!/usr/bin/env bash
# Trains and publishes the zoo model `dcgan_fashion_mnist` (the exact command
# and its measured time land in kerasgan/zoo/dcgan_fashion_mnist/README.md).
# Usage: bash scripts/train_zoo_dcgan_fashion_mnist.sh   (after scripts/setup.sh)
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/setup.sh
export KERAS_BACKEND=${KERAS_BACKEND:-tensorflow}
kerasgan train --model dcgan --dataset fashion_mnist --epochs 8 --batch-size 64 \
  --filters 64 --latent-dim 100 --lr 2e-4 --beta1 0.5 --seed 0 --verbose 2 \
  --out runs/zoo_dcgan_fashion_mnist
kerasgan zoo publish runs/zoo_dcgan_fashion_mnist --name dcgan_fashion_mnist \
  --summary "DCGAN (Radford et al. 2015) for 28x28 Fashion-MNIST, trained 8 epochs"
