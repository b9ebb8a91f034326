"""Loads a saved model under the backend given by KERAS_BACKEND and writes its samples.

Usage: python cross_backend_worker.py MODEL.keras WEIGHTS.weights.h5 CONFIG.json OUT.npz
"""

import json
import sys

import numpy as np


def main(model_path, weights_path, config_path, out_path):
    import keras

    import kerasgan

    loaded = keras.saving.load_model(model_path)
    with open(config_path) as f:
        spec = json.load(f)
    fresh = getattr(kerasgan.models, spec["class"]).from_config(spec["config"])
    fresh.load_weights(weights_path)
    z = np.load(config_path.replace(".json", "_latent.npy"))
    np.savez(
        out_path,
        from_keras=loaded.generate(latent=z),
        from_weights=fresh.generate(latent=z),
        discriminator=keras.ops.convert_to_numpy(loaded.discriminator(loaded.generate(latent=z))),
        backend=keras.backend.backend(),
    )


if __name__ == "__main__":
    main(*sys.argv[1:])
