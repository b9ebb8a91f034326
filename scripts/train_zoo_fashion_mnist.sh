#!/usr/bin/env bash
# Trains, publishes and evaluates the zoo model VARIANT_fashion_mnist: one
# `kerasgan train --model VARIANT` run on the 60,000 Fashion-MNIST training
# images, `kerasgan zoo publish` (weights, SHA-256, card with the command,
# backend, machine and training time, samples, loss plot), then
# scripts/evaluate_zoo_model.py --card (FMNIST-FID / IS / KID / precision /
# recall against the test split with the real-data floor, into the card and
# the registry's headline).
#
# Usage: bash scripts/train_zoo_fashion_mnist.sh VARIANT "SUMMARY" [kerasgan train options]
#   e.g. bash scripts/train_zoo_fashion_mnist.sh lsgan "LSGAN (Mao et al. 2017), 28x28 Fashion-MNIST" --epochs 8
# The options are the run's (the card records them); --seed 0, --verbose 2 and
# --out runs/zoo_VARIANT_fashion_mnist are added. KERAS_BACKEND defaults to
# tensorflow; KERASGAN_SETUP=0 skips scripts/setup.sh; PUBLISH_ARGS adds
# options to `kerasgan zoo publish` (e.g. --fold-ema); EVAL_ARGS adds options
# to evaluate_zoo_model.py (the published cards use its defaults).
set -euo pipefail
cd "$(dirname "$0")/.."
if [ $# -lt 2 ]; then
  echo "usage: bash scripts/train_zoo_fashion_mnist.sh VARIANT \"SUMMARY\" [kerasgan train options]" >&2
  exit 2
fi
variant=$1
summary=$2
shift 2
if [ "${KERASGAN_SETUP:-1}" != 0 ]; then
  . scripts/setup.sh
fi
export KERAS_BACKEND=${KERAS_BACKEND:-tensorflow}
name=${variant}_fashion_mnist
out=${OUT:-runs/zoo_$name}
# The multi-domain models train on their built-in Fashion-MNIST task (the
# CLI's default for them: garments <-> edge maps, or four domains for stargan).
case $variant in
  cyclegan | cogan | stargan) dataset=() ;;
  *) dataset=(--dataset fashion_mnist) ;;
esac
python -m kerasgan.cli train --model "$variant" "${dataset[@]}" --seed 0 --verbose 2 --out "$out" "$@"
# shellcheck disable=SC2086
python -m kerasgan.cli zoo publish "$out" --name "$name" --summary "$summary" ${PUBLISH_ARGS:-}
# shellcheck disable=SC2086
python scripts/evaluate_zoo_model.py --model "$name" --card ${EVAL_ARGS:-}
