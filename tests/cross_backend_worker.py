"""Saves trained models, or loads every other backend's, under the backend in KERAS_BACKEND.

Usage: python cross_backend_worker.py DIR ACTION [ACTION ...], ACTION `save` or `load`.

`save` trains each model of `FACTORIES` for one epoch under this backend and
writes, for each, `DIR/<backend>-<factory>.keras`, `.weights.h5`, `.json`
(class and config), `.latent.npy` (fixed noise) and `.expected.npz` (the
generator's samples on that noise and the discriminator's outputs on them).
`load` loads every model in DIR saved under another backend, both from the
`.keras` file and as `from_config` + `.weights.h5`, and writes
`DIR/<source>-<factory>.loaded-by-<backend>.npz` with the same outputs.
tests/test_saving.py runs it under each backend and compares.
"""

import glob
import json
import os
import sys

import numpy as np

FACTORIES = ("dcgan", "gan", "cyclegan", "progan", "stargan")
SHAPE = (16, 16, 1)


def build(factory):
    import kerasgan

    if factory == "cyclegan":
        return kerasgan.models.CycleGAN(image_shape=SHAPE, generator_filters=4, residual_blocks=1,
                                        discriminator_filters=4, discriminator_layers=1, pool_size=3, seed=0)
    if factory == "stargan":  # with a content classifier, whose weights travel with the model's
        from kerasgan.metrics.domain_translation import train_content_classifier

        rng = np.random.default_rng(1)
        images, classes = np.tanh(rng.standard_normal((32, *SHAPE))).astype("float32"), np.arange(32) % 3
        content = train_content_classifier(images, classes, epochs=1, batch_size=8)
        return kerasgan.models.StarGAN(image_shape=SHAPE, num_domains=3, generator_filters=4, residual_blocks=1,
                                       discriminator_filters=4, discriminator_layers=1, discriminator_steps=2,
                                       content_classifier=content, lambda_content=1.0, seed=0)
    if factory == "progan":  # saved mid-fade of 16×16 (stage 2, α = 0.5)
        return kerasgan.models.ProGAN(image_shape=SHAPE, latent_dim=8, filter_base=32, max_filters=8,
                                      schedule=(20, 16), seed=0)
    if factory == "dcgan":
        return kerasgan.models.DCGAN(image_shape=(28, 28, 1), generator_filters=8, discriminator_filters=8,
                                     latent_dim=16, seed=1)
    return kerasgan.models.GAN(data_shape=(28, 28, 1), latent_dim=16, generator_units=(64,),
                               discriminator_units=(32,), seed=0)


def outputs(model, z):
    import keras

    if hasattr(model, "content_classifier"):  # StarGAN; z: fixed images, each into its own target
        fake = model.translate(z, np.arange(len(z)) % model.num_domains)
        source, logits = (keras.ops.convert_to_numpy(t) for t in model.discriminator(fake))
        content = keras.ops.convert_to_numpy(model.content_classifier(fake))
        return {"samples": fake,
                "discriminator": np.concatenate([source.reshape(len(fake), -1), logits, content], axis=1)}
    if hasattr(model, "translate"):  # z: fixed images of both domains
        fake_b, fake_a = model.translate(z[0], "a_to_b"), model.translate(z[1], "b_to_a")
        return {"samples": np.stack([fake_b, fake_a]),
                "discriminator": np.stack([keras.ops.convert_to_numpy(model.discriminator_b(fake_b)),
                                           keras.ops.convert_to_numpy(model.discriminator_a(fake_a))])}
    samples = model.generate(latent=z)
    if hasattr(model, "growth"):  # ProGAN: the critic at the current stage and α
        stage, alpha, _ = model.growth()
        scores = model.discriminator(samples, stage=stage, alpha=alpha)
        return {"samples": samples, "discriminator": keras.ops.convert_to_numpy(scores)}
    return {"samples": samples, "discriminator": keras.ops.convert_to_numpy(model.discriminator(samples))}


def save(directory, backend):
    import keras

    for factory in FACTORIES:
        keras.utils.set_random_seed(0)
        model = build(factory)
        if factory == "cyclegan":
            model.compile()
            rng = np.random.default_rng(0)
            a, b = (np.tanh(rng.standard_normal((8, *SHAPE))).astype("float32") for _ in "ab")
            model.fit(a, b, batch_size=4, epochs=1, verbose=0, shuffle=False)
            z = np.tanh(rng.standard_normal((2, 4, *SHAPE))).astype("float32")
        elif factory == "stargan":
            model.compile()
            rng = np.random.default_rng(0)
            images = np.tanh(rng.standard_normal((16, *SHAPE))).astype("float32")
            model.fit(images, np.arange(16) % 3, batch_size=8, epochs=1, verbose=0, shuffle=False)
            z = np.tanh(rng.standard_normal((6, *SHAPE))).astype("float32")
        elif factory == "progan":
            model.compile()
            images = np.tanh(np.random.default_rng(0).standard_normal((64, *SHAPE))).astype("float32")
            model.fit(images, batch_size=16, epochs=1, verbose=0, shuffle=False)
            z = model.latent_noise(16, seed=5)
        else:
            model.compile(loss="minimax", label_smoothing=0.1)
            images = np.tanh(np.random.default_rng(0).standard_normal((64, 28, 28, 1))).astype("float32")
            model.fit(images, batch_size=32, epochs=1, verbose=0, shuffle=False)
            z = model.latent_noise(16, seed=5)
        stem = os.path.join(directory, f"{backend}-{factory}")
        model.save(stem + ".keras")
        model.save_weights(stem + ".weights.h5")
        with open(stem + ".json", "w") as f:
            json.dump({"class": type(model).__name__, "config": model.get_config()}, f)
        np.save(stem + ".latent.npy", z)
        np.savez(stem + ".expected.npz", **outputs(model, z))


def load(directory, backend):
    import keras

    import kerasgan

    for path in sorted(glob.glob(os.path.join(directory, "*.keras"))):
        stem = path[: -len(".keras")]
        source = os.path.basename(stem).split("-")[0]
        if source == backend:
            continue
        z = np.load(stem + ".latent.npy")
        with open(stem + ".json") as f:
            spec = json.load(f)
        loaded = keras.saving.load_model(path)
        fresh = getattr(kerasgan.models, spec["class"]).from_config(spec["config"])
        fresh.load_weights(stem + ".weights.h5")
        from_keras, from_weights = outputs(loaded, z), outputs(fresh, z)
        np.savez(
            f"{stem}.loaded-by-{backend}.npz",
            backend=keras.backend.backend(),
            **{f"from_keras_{k}": v for k, v in from_keras.items()},
            **{f"from_weights_{k}": v for k, v in from_weights.items()},
        )


def main(directory, *actions):
    import keras

    backend = keras.backend.backend()
    if backend == "tensorflow" and os.environ.get("KERASGAN_TEST_XLA") != "default":
        # The suite's cheap compile mode (conftest.py's `_compile_mode`): a graph without XLA.
        from kerasgan.engine import backend as backend_steps

        backend_steps.get().AUTO_JIT_COMPILE = False
    for action in actions:
        {"save": save, "load": load}[action](directory, backend)


if __name__ == "__main__":
    main(*sys.argv[1:])
