"""Training throughput per model, with and without the batched augmentation.

    python benchmarks/train_throughput.py [--models minivggnet,googlenet,resnet] [--steps 8]

CIFAR-shaped random data (uint8, 32 x 32 x 3, 10 classes) through the project's
training pieces (training.build_model: Rescaling, the augmentation layer, the network;
the BatchSampler; Keras' fit). Two models are built, without and with augmentation,
and compiled by one untimed epoch each; then their epochs of ``--steps`` steps
alternate, ``--pairs`` times, so drift in this shared machine's speed hits both alike.
Each training step is timed on its own (a callback around it) and the median step
counts: on this machine one fit call in two was measured ~1.8x slower whichever
model ran, which whole-epoch timings turned into noise. The ratio is the median of
the pairs' ratios of median step times. From the rate with augmentation it also
estimates the hours the original 24-run grid would take (training steps only).
``--mixed-precision`` builds the networks in bfloat16 (train.py's flag of that name).
Last line: one JSON object.
"""
import argparse
import time

import numpy as np
from common import machine, report

from pyimagesearch import registry


# The original grid, per model: each optimizer x 60 epochs x (n_train // 128) steps of 128
# images on each of its four datasets (MNIST and Fashion-MNIST 60,000, CIFAR 50,000).
_BATCH = registry.DEFAULT_BATCH_SIZE
GRID_IMAGES_PER_MODEL = (len(registry.ORIGINAL_OPTIMIZERS) * registry.DEFAULT_EPOCHS * _BATCH
                         * sum(n // _BATCH for n in (60000, 60000, 50000, 50000)))


def grid_hours(images_per_s):
    """Hours of training steps for one model's 8 runs of the original grid at this rate
    (validation, ~10,000 test images per epoch at inference speed, comes on top)."""
    return GRID_IMAGES_PER_MODEL / images_per_s / 3600


def build(model_name, augmented, x, y, batch_size, mixed_precision=False):
    import keras
    from pyimagesearch.data import augment
    from pyimagesearch.train import training
    model = training.build_model(model_name, x.shape[1:], 10,
                                 augment.layer(seed=0) if augmented else None, mixed_precision)
    model.compile(optimizer=keras.optimizers.Adam(1e-3), loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"], jit_compile=training.jit_compile())
    sampler = training.BatchSampler(x, y, batch_size, seed=0)
    model.fit(sampler, epochs=1, verbose=0)  # compiles
    return model, sampler


def step_seconds(model, sampler):
    """The median duration of one training step over an epoch."""
    import keras

    class StepClock(keras.callbacks.Callback):
        def on_train_batch_begin(self, batch, logs=None):
            self.start = time.perf_counter()

        def on_train_batch_end(self, batch, logs=None):
            durations.append(time.perf_counter() - self.start)

    durations = []
    model.fit(sampler, epochs=1, verbose=0, callbacks=[StepClock()])
    return float(np.median(durations))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--models", default="minivggnet,googlenet,resnet")
    ap.add_argument("--steps", type=int, default=8, help="steps per timed epoch")
    ap.add_argument("--pairs", type=int, default=6, help="alternating epoch pairs per model")
    ap.add_argument("--batch-size", type=int, default=128)
    ap.add_argument("--mixed-precision", action="store_true")
    args = ap.parse_args()

    import keras
    rng = np.random.default_rng(0)
    n = args.steps * args.batch_size
    x = rng.integers(0, 256, (n, 32, 32, 3), dtype=np.uint8)
    y = rng.integers(0, 10, n)
    results = {}
    for model_name in args.models.split(","):
        plain = build(model_name, False, x, y, args.batch_size, args.mixed_precision)
        augmented = build(model_name, True, x, y, args.batch_size, args.mixed_precision)
        pairs = [(step_seconds(*plain), step_seconds(*augmented)) for _ in range(args.pairs)]
        keras.backend.clear_session()
        without = args.batch_size / float(np.median([p for p, _ in pairs]))
        with_aug = args.batch_size / float(np.median([a for _, a in pairs]))
        ratio = float(np.median([a / p for p, a in pairs]))
        results[model_name] = {"images_per_s_without_augmentation": round(without, 1),
                               "images_per_s_with_augmentation": round(with_aug, 1),
                               "time_ratio_with_vs_without": round(ratio, 3),
                               "pair_ratios": [round(a / p, 3) for p, a in pairs],
                               "grid_hours": round(grid_hours(with_aug), 2)}
        print(f"{model_name:11s} without augmentation {without:8.1f} images/s, with {with_aug:8.1f}"
              f" images/s: {ratio:.3f}x the time (target for minivggnet: <= 1.10x); its 8 grid "
              f"runs: {grid_hours(with_aug):.2f} h")
    total = sum(r["grid_hours"] for r in results.values())
    print(f"the original grid's training steps at these rates: {total:.2f} h")
    report({"benchmark": "train_throughput", "batch_size": args.batch_size,
            "shape": [32, 32, 3], "steps_per_epoch": args.steps, "pairs": args.pairs,
            "mixed_precision": args.mixed_precision, "models": results,
            "grid_hours_total": round(total, 2), **machine()})


if __name__ == "__main__":
    main()
