"""Changes to StarGAN tried against its garment swap on the built-in
Fashion-MNIST task, and a probe of how the swap carries the garment
(docs/cogan_stargan.md, "What does not undo the swap" and "Longer training
leaves the swap; a semantic term breaks it"). This script makes them for
its own run only; the semantic term has since become the library's
`StarGAN(content_classifier=f, lambda_content=λ)` (the same loss, logged as
`content`), and `semantic` here reproduces the recorded runs.

    # StarGAN with a conditional instance norm in every generator norm layer
    python benchmarks/stargan_ablations.py conditional-norm TRAIN-ARGS...
    # StarGAN plus a geometry-consistency term (GcGAN, weight 10)
    python benchmarks/stargan_ablations.py geometry --lambda-geometry 10 TRAIN-ARGS...
    # StarGAN plus CUT's patchwise contrastive term (weight 1)
    python benchmarks/stargan_ablations.py patch-nce --lambda-nce 1 TRAIN-ARGS...
    # StarGAN plus CyCADA's semantic-consistency term (weight 1), a garment classifier's
    python benchmarks/stargan_ablations.py semantic --lambda-semantic 1 TRAIN-ARGS...
    # the published model's round trip through "negative" under noise and blur
    python benchmarks/stargan_ablations.py noise-probe --json OUT.json --png GRID.png
    # a model with a content classifier: the garment kept where f reads the source right, and where not
    python benchmarks/stargan_ablations.py content-split --json OUT.json

TRAIN-ARGS are `scripts/train_stargan_fashion_mnist.py`'s (its JSON report
and grid are written as that script writes them).

- `conditional-norm`: each of the generator's affine instance norms takes
  its scale and shift from the target-domain vector c, γ = c·Γ and β = c·B
  with one row of Γ, B per domain (Dumoulin et al. 2017, "A Learned
  Representation for Artistic Style", §2.2: conditional instance
  normalization), besides the paper's tiled c at the input. The paper's
  generator receives c only through its first convolution, whose constant
  response the instance norm after it subtracts (`kerasgan.nets.resnet`):
  this asks whether a weak condition is why "negative" is learnt as a swap.
- `geometry`: adds λ_gc·E|G(x, c) − R⁻¹(G(R(x), c))| to L_G, R a rotation by
  90° (Fu et al. 2019, "Geometry-Consistent Generative Adversarial Networks
  for One-Sided Unsupervised Domain Mapping", eq. 3, with their rotation
  transform). The four domains' transforms commute with rotations; a
  swap of garments does not.
- `patch-nce`: adds λ_NCE·PatchNCE(G(x, c), x) to L_G (Park et al. 2020,
  "Contrastive Learning for Unpaired Image-to-Image Translation", §3.2,
  eq. 5, with CUT's settings: τ = 0.07, 256 locations per layer (all of
  a smaller layer's), a two-layer MLP head of 256 units per layer,
  L2-normalized, keys without gradient, negatives from the same image;
  the heads are trained with the generator). The features are those of the
  generator's own encoder (its input image, first conv, both downsamplings
  and the middle residual block), given the target domain for both the
  source and the translation. A location of the translation must be told
  apart from the source's other locations by its features: a
  translation that keeps the garment where it was passes, a swap of
  garments does not.
- `semantic`: adds λ_sem·CE(f(G(x, c)), argmax f(x)) to L_G (Hoffman et
  al. 2018, "CyCADA: Cycle-Consistent Adversarial Domain Adaptation", §3,
  eq. 4: the translation must keep the class a fixed classifier f reads in
  the source image; the pseudo-label is f's, without gradient). f is a
  garment classifier trained before StarGAN, for `--semantic-epochs`
  epochs, on the same training images StarGAN sees, in their domains, with
  their garment labels (`domain_classifier_model`'s CNN with 10 outputs;
  CyCADA trains its f on the labelled source domain only). It is the one
  change here that uses labels of the images' content, which the StarGAN
  paper does not have: it tests whether the swap goes when the objective
  itself tells garments apart.
- `noise-probe`: originals translated into "negative" by the zoo model
  (`benchmarks/results/stargan_noise_probe.json` is of the one published
  before the content term, weights sha256 87c27247…), Gaussian noise (σ on
  the [−1, 1] scale) or a 3×3 box blur added, then translated back into
  "original" and read by the garment classifier. A
  code hidden in a low-amplitude signal (Chu et al. 2017) would not survive
  σ = 0.1. `--png` draws two test images of each class (columns): the
  image, its true negative, the model's translation into "negative", and
  that translated back into "original" (rows).
- `content-split`: a zoo model trained with `lambda_content` (the published
  one by default). All 10,000 test images in each source domain, translated
  into "original" and read by the published garment classifier, split by
  whether the model's own content classifier f reads the source's garment
  right: how much of what is lost follows f's own errors, which the term
  teaches G. `benchmarks/results/stargan_content_split.json` is of the zoo
  model with λ_content = 1 and the narrow f (weights sha256 6b7a80a8…),
  `stargan_content_split_wide_f.json` of the one with λ_content = 2 and the
  wider f that replaced it, `stargan_content_split_one_downsampling.json` of
  the one with one generator downsampling (sha256 8079af75…) and
  `stargan_content_split_g24.json` of the one with one downsampling and 24
  generator filters (sha256 742cabb4…).
"""

import argparse
import json
import os
import sys

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "scripts"))

import keras  # noqa: E402
from keras import ops  # noqa: E402

import kerasgan  # noqa: E402
from kerasgan.data.domains import DOMAIN_TASKS  # noqa: E402

NEGATIVE = DOMAIN_TASKS["fashion_mnist_domains"].index("negative")
ORIGINAL = DOMAIN_TASKS["fashion_mnist_domains"].index("original")


class ConditionalInstanceNormalization(keras.layers.Layer):
    """`[x, c]` → (x − mean) / std · (c·Γ) + c·B, the statistics per sample
    and channel over the image (Γ starts at ones, B at zeros: one-hot c then
    starts as the affine instance norm)."""

    def build(self, shapes):
        channels, domains = shapes[0][-1], shapes[1][-1]
        self.gamma = self.add_weight(shape=(domains, channels), initializer="ones", name="gamma")
        self.beta = self.add_weight(shape=(domains, channels), initializer="zeros", name="beta")

    def call(self, inputs):
        x, condition = inputs
        mean = ops.mean(x, axis=(1, 2), keepdims=True)
        variance = ops.var(x, axis=(1, 2), keepdims=True)
        normalized = (x - mean) * ops.rsqrt(variance + 1e-5)
        gamma = ops.matmul(condition, self.gamma)[:, None, None, :]
        beta = ops.matmul(condition, self.beta)[:, None, None, :]
        return normalized * gamma + beta


def conditional_norm_generator():
    """`kerasgan.nets.resnet.resnet_generator`, its affine instance norms
    replaced by `ConditionalInstanceNormalization` on the condition input."""
    from kerasgan.nets import resnet
    from kerasgan.nets import translation_options

    stock_normalize, stock_input = translation_options.normalize, keras.Input

    def generator(image_shape, *args, condition_dim=0, **kwargs):
        condition = []

        def tracked_input(shape, name=None, **kw):
            tensor = stock_input(shape, name=name, **kw)
            if name == "condition":
                condition.append(tensor)
            return tensor

        def normalize(h, normalization, name):
            if condition and normalization == "instance_affine":
                return ConditionalInstanceNormalization(name=name)([h, condition[0]])
            return stock_normalize(h, normalization, name)

        keras.Input, translation_options.normalize = tracked_input, normalize
        try:
            return resnet.resnet_generator(image_shape, *args, condition_dim=condition_dim, **kwargs)
        finally:
            keras.Input, translation_options.normalize = stock_input, stock_normalize

    return generator


def rotate(images):
    """90° clockwise, `(n, h, w, c)` with h = w."""
    return ops.flip(ops.transpose(images, (0, 2, 1, 3)), axis=2)


def unrotate(images):
    return ops.transpose(ops.flip(images, axis=2), (0, 2, 1, 3))


def with_generator_term(name, weight, term):
    """A StarGAN whose L_G adds `weight`·term(model, real, G(x, c_trg), target), logged as `name`.
    G(x, c_trg) is computed again: StarGAN.generator_loss keeps its own to itself (the step's
    time counts it)."""

    class StarGANWithTerm(kerasgan.models.StarGAN):
        def generator_loss(self, real, original, target):
            loss, logs = super().generator_loss(real, original, target)
            value = term(self, real, self.translate_batch(real, target), target)
            return loss + weight * value, {**logs, name: value}

        def log_names(self):
            return super().log_names() + (name,)

    return StarGANWithTerm


def geometry_stargan(weight):
    """A StarGAN whose L_G adds `weight`·E|G(x, c) − R⁻¹(G(R(x), c))| (logged as `geometry`)."""

    def geometry(model, real, fake, target):
        rotated = unrotate(model.translate_batch(rotate(real), target))
        return ops.mean(ops.abs(ops.cast(fake, "float32") - ops.cast(rotated, "float32")))

    return with_generator_term("geometry", weight, geometry)


def swap_grid(model, x, y, path):
    """The first two images of each class in `x` (labels `y`) and their way
    through "negative" (the docstring's rows)."""
    from kerasgan.utils.images import save_image_grid

    x = x[np.concatenate([np.flatnonzero(y == c)[:2] for c in range(10)])]
    negatives = model.translate(x, NEGATIVE)
    save_image_grid(np.concatenate([x, -x, negatives, model.translate(negatives, ORIGINAL)]), path,
                    rows=4, scale=2)


NCE_LAYERS = ("in_relu", "down_0_relu", "down_1_relu")


def patch_nce_loss(queries, keys, temperature=0.07):
    """CUT's PatchNCE on `(n, p, d)` L2-normalized features: for each of the
    p locations, the cross-entropy of picking its own key among the same
    image's p keys by dot product / temperature; the mean over n and p."""
    logits = ops.einsum("npd,nqd->npq", queries, ops.stop_gradient(keys)) / temperature
    labels = ops.broadcast_to(ops.arange(ops.shape(logits)[1]), ops.shape(logits)[:2])
    return ops.mean(ops.sparse_categorical_crossentropy(labels, logits, from_logits=True))


def _l2_normalize(x):
    # ε inside the root: a location whose features are all zero (after a ReLU) has a finite gradient.
    return x / ops.sqrt(ops.sum(ops.square(x), axis=-1, keepdims=True) + 1e-12)


def patch_nce_stargan(weight, patches=256, units=256, temperature=0.07):
    """A StarGAN whose L_G adds `weight`·PatchNCE(G(x, c_trg), x) (logged as `nce`); the MLP heads
    are attributes of the generator, so its optimizer trains them."""

    def nce(model, real, fake, target):
        return model.patch_nce(real, fake, model.condition(target))

    class PatchNCEStarGAN(with_generator_term("nce", weight, nce)):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            g = self.generator
            names = list(NCE_LAYERS)
            if self.hyperparameters["residual_blocks"]:
                names.append(f"res_{self.hyperparameters['residual_blocks'] // 2}_add")
            outputs = [g.inputs[0]] + [g.get_layer(name).output for name in names]
            heads = []
            for output in outputs:
                head = keras.Sequential([keras.layers.Dense(units, activation="relu"), keras.layers.Dense(units)])
                head.build((None, None, output.shape[-1]))
                heads.append(head)
            g.nce_heads = heads
            # Not an attribute Keras tracks: its layers are the generator's.
            self.nce = argparse.Namespace(encoder=keras.Model(g.inputs, outputs), heads=heads)

        def patch_nce(self, real, fake, condition):
            source = self.nce.encoder([real, condition], training=True)
            translated = self.nce.encoder([fake, condition], training=True)
            total = 0.0
            for k, q, head in zip(source, translated, self.nce.heads):
                _, height, width, channels = k.shape
                locations = height * width
                ids = keras.random.shuffle(ops.arange(locations), seed=self.seed_generator)[
                    : min(patches, locations)]
                k = ops.take(ops.reshape(ops.cast(k, "float32"), (-1, locations, channels)), ids, axis=1)
                q = ops.take(ops.reshape(ops.cast(q, "float32"), (-1, locations, channels)), ids, axis=1)
                total = total + patch_nce_loss(_l2_normalize(head(q)), _l2_normalize(head(k)), temperature)
            return total / len(source)

    return PatchNCEStarGAN


def garment_classifier(epochs=2, seed=0):
    """f for `semantic`: `train_content_classifier` (`domain_classifier_model`'s
    CNN with one logit per garment class, Adam 1e-3, batch 64) on every
    domain's training images of the task with their garment labels, frozen."""
    from kerasgan.metrics.domain_translation import train_content_classifier

    domains, labels = kerasgan.data.load_domain_task("fashion_mnist_domains", with_labels=True)
    return train_content_classifier(np.concatenate(domains), np.concatenate(labels), num_classes=10,
                                    epochs=epochs, seed=seed)


def reads_right(classifier, x, y):
    """Whether `classifier`'s most likely class of each image in `x` is its label in `y`."""
    return np.argmax(classifier.predict(x, batch_size=500, verbose=0), axis=1) == y


def garment_classifier_accuracy(classifier):
    """f's accuracy on each domain's test images (the 10,000 Fashion-MNIST
    test images under that domain's transform), by domain name."""
    domains, labels = kerasgan.data.load_domain_task("fashion_mnist_domains", split="test", with_labels=True)
    return {
        name: float(np.mean(reads_right(classifier, x, y)))
        for name, x, y in zip(DOMAIN_TASKS["fashion_mnist_domains"], domains, labels)
    }


def semantic_stargan(weight, classifier):
    """A StarGAN whose L_G adds `weight`·CE(f(G(x, c_trg)), argmax f(x)) (logged as `semantic`); f is
    `classifier`, frozen and kept off the model (its weights are no player's)."""

    from kerasgan.models.stargan import content_loss

    def semantic(model, real, fake, target):
        return content_loss(classifier, real, fake)

    return with_generator_term("semantic", weight, semantic)


def noise_probe(model_name, num_images, seed, png=None):
    import scipy.ndimage

    from kerasgan.extractors.fashion_mnist_classifier import FashionMNISTFeatureExtractor

    model = kerasgan.zoo.load(model_name)
    x, y = kerasgan.data.load_fashion_mnist("test", with_labels=True)
    if png:
        swap_grid(model, x, y, png)
    rng = np.random.default_rng(seed)
    index = rng.choice(len(x), num_images, replace=False)
    x, y = x[index], y[index]
    classifier = FashionMNISTFeatureExtractor()
    negatives = model.translate(x, NEGATIVE)
    report = {
        "model": model_name, "images": num_images, "seed": seed,
        "real_images_read": float(np.mean(classifier.predict_classes(x) == y)),
        "negatives_read_after_negating": float(np.mean(classifier.predict_classes(-negatives) == y)),
        "round_trip_kept": {},
    }
    for sigma in (0.0, 0.02, 0.05, 0.1, 0.2, 0.3):
        noisy = np.clip(negatives + sigma * rng.standard_normal(negatives.shape), -1, 1).astype("float32")
        back = model.translate(noisy, ORIGINAL)
        report["round_trip_kept"][f"noise {sigma:g}"] = float(np.mean(classifier.predict_classes(back) == y))
    blurred = scipy.ndimage.uniform_filter(negatives, size=(1, 3, 3, 1))
    back = model.translate(blurred, ORIGINAL)
    report["round_trip_kept"]["box blur 3x3"] = float(np.mean(classifier.predict_classes(back) == y))
    return report


def content_split(model_name):
    from kerasgan.extractors.fashion_mnist_classifier import FashionMNISTFeatureExtractor

    model = kerasgan.zoo.load(model_name)
    if getattr(model, "content_classifier", None) is None:
        raise SystemExit(f"content-split: {model_name} has no content classifier (it was trained without "
                         "lambda_content).")
    domains, labels = kerasgan.data.load_domain_task("fashion_mnist_domains", split="test", with_labels=True)
    scorer = FashionMNISTFeatureExtractor()
    report = {"model": model_name, "by_source": {}}
    for name, x, y in zip(DOMAIN_TASKS["fashion_mnist_domains"], domains, labels):
        f_right = reads_right(model.content_classifier, x, y)
        kept = scorer.predict_classes(model.translate(x, ORIGINAL, batch_size=500)) == y
        report["by_source"][name] = {
            "images": len(x), "f_accuracy": float(f_right.mean()), "kept": float(kept.mean()),
            # None: no image in that group
            "kept_where_f_right": float(kept[f_right].mean()) if f_right.any() else None,
            "kept_where_f_wrong": float(kept[~f_right].mean()) if (~f_right).any() else None,
        }
    parts = report["by_source"].values()
    report["kept"] = float(np.mean([p["kept"] for p in parts]))
    right = [p["kept_where_f_right"] for p in parts if p["kept_where_f_right"] is not None]
    report["kept_where_f_right"] = float(np.mean(right)) if right else None
    return report


def main(argv=None):
    argv = sys.argv[1:] if argv is None else list(argv)
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("ablation",
                        choices=("conditional-norm", "geometry", "patch-nce", "semantic", "noise-probe",
                                 "content-split"))
    parser.add_argument("--lambda-geometry", type=float, default=10.0, help="geometry: λ_gc")
    parser.add_argument("--lambda-nce", type=float, default=1.0, help="patch-nce: λ_NCE")
    parser.add_argument("--lambda-semantic", type=float, default=1.0, help="semantic: λ_sem")
    parser.add_argument("--semantic-epochs", type=int, default=2,
                        help="semantic: epochs of the garment classifier")
    parser.add_argument("--model", default="stargan_fashion_mnist", help="noise-probe, content-split: the zoo model")
    parser.add_argument("--images", type=int, default=1000, help="noise-probe: test images")
    parser.add_argument("--seed", type=int, default=0, help="noise-probe: the images' and noise's seed")
    parser.add_argument("--json", default=None, help="noise-probe, content-split: write the report here")
    parser.add_argument("--png", default=None, help="noise-probe: draw the swap grid here")
    args, train_args = parser.parse_known_args(argv)
    if args.ablation in ("noise-probe", "content-split"):
        if train_args:
            parser.error(f"{args.ablation} takes no training arguments; got {train_args}")
        if args.ablation == "content-split":
            report = content_split(args.model)
        else:
            report = noise_probe(args.model, args.images, args.seed, args.png)
        print(json.dumps(report, indent=2))
        if args.json:
            with open(args.json, "w") as f:
                json.dump(report, f, indent=2)
        return report

    import train_stargan_fashion_mnist as train
    from kerasgan.models import stargan

    stock_model, stock_generator = kerasgan.models.StarGAN, stargan.resnet_generator
    if args.ablation == "conditional-norm":
        stargan.resnet_generator = conditional_norm_generator()
    elif args.ablation == "geometry":
        kerasgan.models.StarGAN = geometry_stargan(args.lambda_geometry)
    elif args.ablation == "semantic":
        classifier = garment_classifier(args.semantic_epochs)
        kerasgan.models.StarGAN = semantic_stargan(args.lambda_semantic, classifier)
    else:
        kerasgan.models.StarGAN = patch_nce_stargan(args.lambda_nce)
    try:
        result = train.main(train_args)
    finally:
        kerasgan.models.StarGAN, stargan.resnet_generator = stock_model, stock_generator
    # The training script's report, with what this run changed.
    result["ablation"] = {"name": args.ablation}
    if args.ablation == "geometry":
        result["ablation"]["lambda_geometry"] = args.lambda_geometry
    if args.ablation == "patch-nce":
        result["ablation"]["lambda_nce"] = args.lambda_nce
    if args.ablation == "semantic":
        result["ablation"].update(lambda_semantic=args.lambda_semantic, semantic_epochs=args.semantic_epochs,
                                  garment_classifier_test_accuracy=garment_classifier_accuracy(classifier))
    path = os.path.join(os.path.dirname(result["preview"]), "stargan_fashion_mnist.json")
    with open(path, "w") as f:
        json.dump(result, f, indent=2, default=float)
    return result


if __name__ == "__main__":
    main()
