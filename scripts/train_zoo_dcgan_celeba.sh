#!/usr/bin/env bash
# Trains and publishes the zoo model `dcgan_celeba`: DCGAN-64 (Radford et al.
# 2015) on the aligned CelebA faces, each center-cropped to a square and
# resized to 64x64 (kerasgan.data.load_celeba). Its card is
# kerasgan/zoo/dcgan_celeba/README.md (how to run this on a GPU machine).
#
# Needs CelebA: the folder img_align_celeba/ (202,599 JPEGs, from
# https://mmlab.ie.cuhk.edu.hk/projects/CelebA.html) under $KERASGAN_DATA_DIR,
# or TensorFlow Datasets' `celeb_a` (`tfds build celeb_a`).
#
# Usage: bash scripts/train_zoo_dcgan_celeba.sh
# Settings (environment, defaults as published): EPOCHS=10, BATCH_SIZE=128,
# LIMIT (all images), OUT=runs/zoo_dcgan_celeba, ZOO_DIR (kerasgan/zoo),
# KERAS_BACKEND=jax (tensorflow or torch work as well); KERASGAN_SETUP=0 skips
# scripts/setup.sh and uses the `python` on PATH as it is (a GPU machine with
# its own JAX or PyTorch: see the card).
set -euo pipefail
cd "$(dirname "$0")/.."
if [ "${KERASGAN_SETUP:-1}" != 0 ]; then
  . scripts/setup.sh
fi
export KERAS_BACKEND=${KERAS_BACKEND:-jax}
OUT=${OUT:-runs/zoo_dcgan_celeba}
limit=()
if [ -n "${LIMIT:-}" ]; then limit=(--limit "$LIMIT"); fi
zoo=()
if [ -n "${ZOO_DIR:-}" ]; then zoo=(--zoo-dir "$ZOO_DIR"); fi
# Radford et al. §4: minibatch 128, Adam(2e-4, beta1 0.5), z ~ 100-d.
python -m kerasgan.cli train --model dcgan --dataset celeb_a --image-size 64 "${limit[@]}" \
  --epochs "${EPOCHS:-10}" --batch-size "${BATCH_SIZE:-128}" --filters 64 --latent-dim 100 \
  --lr 2e-4 --beta1 0.5 --seed 0 --verbose 2 --out "$OUT"
python -m kerasgan.cli zoo publish "$OUT" --name dcgan_celeba "${zoo[@]}" \
  --summary "DCGAN (Radford et al. 2015) for 64x64 CelebA faces"
