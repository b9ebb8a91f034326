"""Trains the Fashion-MNIST classifier of the GAN metrics and publishes it to the zoo.

`kerasgan.extractors.fashion_mnist_classifier.fashion_mnist_classifier(blocks=...)` is
trained on the 60,000 training images less a validation split (the last
`--val-size` images of a seeded permutation), which picks the epoch whose
weights are kept; the 10,000 test images are used once, at the end, for the
accuracy reported in the model card.

Writes `kerasgan/zoo/fashion_mnist_classifier/` (`model.weights.h5`, `README.md`,
`training.json`) and the registry entry with the weights' SHA-256 in
`kerasgan/zoo/registry.json`.

An interrupted run (the process killed) is resumed by rerunning the same
command: a checkpoint is saved after every epoch (`--checkpoint-dir`).

Usage (any backend; TensorFlow was the fastest on a 2-core CPU), e.g. the
published classifier's command as recorded in its card:

    KERAS_BACKEND=tensorflow python scripts/train_fashion_mnist_classifier.py \
        --epochs 20 --augment flip-shift --blocks 32x1,64x2,128x2
"""

import argparse
import json
import os
import platform
import shutil
import sys
import time

import numpy as np

ZOO_NAME = "fashion_mnist_classifier"


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--epochs", type=int, default=15)
    p.add_argument("--batch-size", type=int, default=128)
    p.add_argument("--lr", type=float, default=1e-3, help="Adam peak rate (cosine decay to 0)")
    p.add_argument("--weight-decay", type=float, default=1e-4, help="AdamW decoupled decay")
    p.add_argument("--val-size", type=int, default=5000)
    p.add_argument(
        "--augment",
        choices=("none", "flip-shift"),
        default="none",
        help="flip-shift: random horizontal flips and shifts of up to 2 pixels",
    )
    p.add_argument(
        "--blocks",
        default="32x1,64x1,128x1",
        help="FILTERSxCONVS per block (the builder's `blocks`), e.g. 32x1,64x2,128x2",
    )
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--limit", type=int, default=None, help="train on this many images (smoke tests)")
    p.add_argument("--zoo-dir", default=None, help="default: kerasgan.zoo.zoo_dir()")
    p.add_argument("--no-publish", action="store_true", help="train and evaluate only")
    p.add_argument(
        "--checkpoint-dir",
        default=os.path.join("runs", "fashion_mnist_classifier_checkpoint"),
        help="saved after every epoch; rerunning the same command resumes from it "
        "(deleted after publishing); '' for none",
    )
    return p.parse_args(argv)


def augment(images, rng, max_shift=2):
    """Random horizontal flips, and shifts of up to `max_shift` pixels (background -1)."""
    n, h, w, c = images.shape
    flip = rng.random(n) < 0.5
    x = images.copy()
    x[flip] = x[flip, :, ::-1]
    padded = np.pad(x, ((0, 0), (max_shift,) * 2, (max_shift,) * 2, (0, 0)), constant_values=-1.0)
    dy = rng.integers(0, 2 * max_shift + 1, n)
    dx = rng.integers(0, 2 * max_shift + 1, n)
    rows = dy[:, None] + np.arange(h)[None]  # (n, h)
    cols = dx[:, None] + np.arange(w)[None]  # (n, w)
    return padded[np.arange(n)[:, None, None], rows[:, :, None], cols[:, None, :]]


def parse_blocks(text):
    try:
        blocks = tuple(tuple(int(v) for v in b.split("x")) for b in text.split(","))
    except ValueError:
        blocks = ()
    if not blocks or any(len(b) != 2 or min(b) < 1 for b in blocks):
        raise SystemExit(f"--blocks must look like 32x1,64x2,128x2; got {text!r}.")
    return blocks


def main(argv=None):
    args = parse_args(argv)
    blocks = parse_blocks(args.blocks)
    start = time.time()
    import keras

    import kerasgan
    from kerasgan import zoo
    from kerasgan.extractors.fashion_mnist_classifier import DEFAULT_BLOCKS
    from kerasgan.extractors.fashion_mnist_classifier import fashion_mnist_classifier
    from kerasgan.utils.files import save_model_atomic
    from kerasgan.utils.files import write_json_atomic

    def save_network_weights(weights, path):
        """The network's weights only: an uncompiled copy carries no optimizer state."""
        bare = fashion_mnist_classifier(blocks=blocks)
        bare.set_weights(weights)
        save_model_atomic(bare, path)

    keras.utils.set_random_seed(args.seed)
    rng = np.random.default_rng(args.seed)
    images, labels = kerasgan.data.load_fashion_mnist("train", with_labels=True)
    test_images, test_labels = kerasgan.data.load_fashion_mnist("test", with_labels=True)
    order = rng.permutation(len(images))
    val_idx, train_idx = order[-args.val_size :], order[: -args.val_size]
    if args.limit:
        train_idx = train_idx[: args.limit]
    x_train, y_train = images[train_idx], labels[train_idx]
    x_val, y_val = images[val_idx], labels[val_idx]
    print(f"backend {keras.backend.backend()}: {len(x_train)} train, {len(x_val)} validation, "
          f"{len(test_images)} test images", flush=True)

    # A checkpoint after every epoch: the same command resumes an interrupted run.
    ckpt = args.checkpoint_dir
    run_args = {k: v for k, v in vars(args).items() if k not in ("zoo_dir", "no_publish")}
    state_path = os.path.join(ckpt, "state.json") if ckpt else None
    state = None
    if state_path and os.path.exists(state_path):
        with open(state_path) as f:
            state = json.load(f)
        if state["args"] != run_args:
            raise SystemExit(
                f"{ckpt} holds a run with other arguments ({state['args']}); delete it or "
                "pass another --checkpoint-dir."
            )
    if state:
        model = keras.saving.load_model(os.path.join(ckpt, "model.keras"))
        best_model = fashion_mnist_classifier(blocks=blocks)
        best_model.load_weights(os.path.join(ckpt, "best.weights.h5"))
        history, best, best_epoch = state["history"], state["best"], state["best_epoch"]
        best_weights = best_model.get_weights()
        rng.bit_generator.state = state["rng"]
        previous_seconds, resumed = state["seconds"], state["resumed_after_epochs"]
        resumed.append(len(history))
        print(f"resuming after epoch {len(history)} from {ckpt}", flush=True)
    else:
        model = fashion_mnist_classifier(blocks=blocks)
        steps = -(-len(x_train) // args.batch_size)
        schedule = keras.optimizers.schedules.CosineDecay(args.lr, decay_steps=args.epochs * steps)
        model.compile(
            optimizer=keras.optimizers.AdamW(schedule, weight_decay=args.weight_decay),
            loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
            metrics=["accuracy"],
        )
        history, best, best_weights, best_epoch = [], -1.0, None, None
        previous_seconds, resumed = 0.0, []
    for epoch in range(len(history), args.epochs):
        t = time.time()
        x = augment(x_train, rng) if args.augment == "flip-shift" else x_train
        logs = model.fit(
            x, y_train, batch_size=args.batch_size, epochs=epoch + 1, initial_epoch=epoch,
            shuffle=True, verbose=0,
        ).history
        val_loss, val_acc = model.evaluate(x_val, y_val, batch_size=1000, verbose=0)
        row = {
            "epoch": epoch + 1,
            "loss": float(logs["loss"][-1]),
            "accuracy": float(logs["accuracy"][-1]),
            "val_loss": float(val_loss),
            "val_accuracy": float(val_acc),
            "seconds": round(time.time() - t, 1),
        }
        history.append(row)
        print(json.dumps(row), flush=True)
        if val_acc > best:
            best, best_weights, best_epoch = val_acc, model.get_weights(), epoch + 1
            if ckpt:
                save_network_weights(best_weights, os.path.join(ckpt, "best.weights.h5"))
        if ckpt:
            save_model_atomic(model, os.path.join(ckpt, "model.keras"))
            write_json_atomic(
                {"args": run_args, "history": history, "best": float(best),
                 "best_epoch": best_epoch, "rng": rng.bit_generator.state,
                 "seconds": previous_seconds + time.time() - start,
                 "resumed_after_epochs": resumed},
                state_path,
            )
    model.set_weights(best_weights)
    test_loss, test_acc = model.evaluate(test_images, test_labels, batch_size=1000, verbose=0)
    predictions = np.argmax(model.predict(test_images, batch_size=1000, verbose=0), axis=1)
    per_class = {
        name: float(np.mean(predictions[test_labels == k] == k))
        for k, name in enumerate(kerasgan.data.FASHION_MNIST_CLASSES)
    }
    seconds = previous_seconds + time.time() - start
    print(f"best epoch {best_epoch} (validation accuracy {best:.4f}); test accuracy "
          f"{test_acc:.4f}, test loss {test_loss:.4f}; {seconds:.0f} s in all", flush=True)
    if args.no_publish:
        return 0

    directory = args.zoo_dir or zoo.zoo_dir()
    target = os.path.join(directory, ZOO_NAME)
    os.makedirs(target, exist_ok=True)
    weights = os.path.join(target, "model.weights.h5")
    save_network_weights(model.get_weights(), weights)
    command = "KERAS_BACKEND={} python scripts/train_fashion_mnist_classifier.py {}".format(
        keras.backend.backend(), " ".join(sys.argv[1:] if argv is None else argv)
    ).strip()
    record = {
        "command": command,
        "backend": keras.backend.backend(),
        "keras": keras.__version__,
        "machine": f"{platform.machine()}, {os.cpu_count()} CPUs",
        "args": vars(args),
        "train_images": len(x_train),
        "validation_images": len(x_val),
        "blocks": [list(b) for b in blocks],
        "parameters": int(model.count_params()),
        "best_epoch": best_epoch,
        "validation_accuracy": float(best),
        "test_accuracy": float(test_acc),
        "test_loss": float(test_loss),
        "test_accuracy_per_class": per_class,
        "seconds": round(seconds, 1),
        "resumed_after_epochs": resumed,
        "history": history,
    }
    write_json_atomic(record, os.path.join(target, "training.json"))
    with open(os.path.join(target, "README.md"), "w") as f:
        f.write(card_text(record))
    entries = zoo.registry(directory)
    entries[ZOO_NAME] = {
        "summary": "Fashion-MNIST CNN classifier (features for FID/KID/PR, probabilities for IS), "
        f"test accuracy {test_acc:.4f}",
        "kind": "feature_extractor",
        "builder": "kerasgan.extractors.fashion_mnist_classifier.fashion_mnist_classifier",
        "config": {} if blocks == DEFAULT_BLOCKS else {"blocks": [list(b) for b in blocks]},
        "weights": f"{ZOO_NAME}/model.weights.h5",
        "sha256": zoo.sha256(weights),
        "card": f"{ZOO_NAME}/README.md",
    }
    write_json_atomic(dict(sorted(entries.items())), os.path.join(directory, "registry.json"))
    if ckpt:
        shutil.rmtree(ckpt)
    print(f"published {ZOO_NAME}: {weights} ({os.path.getsize(weights)} bytes, "
          f"sha256 {entries[ZOO_NAME]['sha256'][:12]}...)")
    return 0


def card_text(r):
    rows = "\n".join(
        f"| {h['epoch']} | {h['loss']:.4f} | {h['accuracy']:.4f} | {h['val_loss']:.4f} | "
        f"{h['val_accuracy']:.4f} | {h['seconds']:.0f} |"
        for h in r["history"]
    )
    classes = " | ".join(f"{name} {acc:.3f}" for name, acc in r["test_accuracy_per_class"].items())
    a = r["args"]
    arch = " → ".join(
        ("" if n == 1 else f"{n} × ") + f"conv3x3 {f} → pool" for f, n in r["blocks"]
    )
    resumed = ""
    if r["resumed_after_epochs"]:
        resumed = (
            "; the process was interrupted and the same command resumed it from its "
            "checkpoint after epoch(s) " + ", ".join(map(str, r["resumed_after_epochs"]))
            + ", the time of the lost partial epochs not counted"
        )
    augment = "none" if a["augment"] == "none" else "random horizontal flips and shifts of up to 2 pixels"
    return f"""# {ZOO_NAME}

A small CNN classifier of 28x28 Fashion-MNIST images, published for GAN
evaluation on Fashion-MNIST: its 128-d penultimate features (layer
`features`) for FID, KID and precision/recall, and its 10-class softmax for
the Inception Score.

```python
from kerasgan.extractors.fashion_mnist_classifier import FashionMNISTFeatureExtractor
extractor = FashionMNISTFeatureExtractor()  # these weights, SHA-256 checked
features = extractor(images)                # (N, 128); images (N, 28, 28, 1) in [-1, 1]
probs = extractor.probabilities(images)     # (N, 10)
```

| | |
|---|---|
| model | `kerasgan.extractors.fashion_mnist_classifier.fashion_mnist_classifier(blocks=...)`, {r['parameters']:,} parameters |
| data | Fashion-MNIST: {r['train_images']:,} training images, {r['validation_images']:,} held out from the training split for validation (epoch selection), the 10,000 test images for the accuracy below |
| **test accuracy** | **{r['test_accuracy']:.4f}** (10,000 test images; test loss {r['test_loss']:.4f}) |
| validation accuracy | {r['validation_accuracy']:.4f} (epoch {r['best_epoch']} of {a['epochs']}, the best; its weights are published) |
| command | `{r['command']}` |
| backend | {r['backend']} (Keras {r['keras']}) |
| machine | {r['machine']}, shared with other jobs while training |
| wall time | {r['seconds']:.0f} s (data loading, training, validation and test{resumed}) |
| training | AdamW (lr {a['lr']:g}, cosine decay to 0, weight decay {a['weight_decay']:g}), batch {a['batch_size']}, {a['epochs']} epochs, dropout 0.3 before the logits, seed {a['seed']}; augmentation: {augment} |

Architecture (`blocks={tuple(tuple(b) for b in r['blocks'])}`, recorded in the
registry entry's `config`): 28x28x1 → {arch} → 3x3 → flatten → dense 128
(`features`) → dropout 0.3 → dense 10 (`logits`); every 3x3 convolution and
the dense 128 are followed by BatchNorm and ReLU, every block by a 2x2
max-pool. The published file holds the network's weights only (no optimizer
state).

Test accuracy per class: {classes}

Per epoch (training loss/accuracy are means over the epoch, with dropout):

| epoch | loss | accuracy | val loss | val accuracy | seconds |
|---|---|---|---|---|---|
{rows}

`training.json` holds the same record.
"""


if __name__ == "__main__":
    sys.exit(main())
