"""Training throughput per model, with and without the batched augmentation.

    python benchmarks/train_throughput.py [--models minivggnet,googlenet,resnet] [--steps 8]

CIFAR-shaped random data (uint8, 32 x 32 x 3, 10 classes) through the project's real
training path (training.fit: the BatchSampler, the model with its Rescaling and
augmentation layers, Keras' fit). Each configuration trains ``--rounds`` + 1 epochs of
``--steps`` steps; the first epoch (which compiles) is not timed, validation is
excluded, and the median epoch counts. Without and with augmentation alternate over
``--repeats`` fresh fits, so drift in the machine's speed hits both alike; the ratio
is the median of the pairs' ratios. Last line: one JSON object.
"""
import argparse
import time

import numpy as np
from common import machine, report


def timed_fit(model_name, augmentation, steps, batch_size, rounds):
    import keras
    from pyimagesearch import datasets, training

    class StepClock(keras.callbacks.Callback):
        seconds = []

        def on_epoch_begin(self, epoch, logs=None):
            self.start = time.perf_counter()

        def on_train_batch_end(self, batch, logs=None):
            self.end = time.perf_counter()

        def on_epoch_end(self, epoch, logs=None):
            if epoch > 0:  # the first epoch compiles
                self.seconds.append(self.end - self.start)

    rng = np.random.default_rng(0)
    n = steps * batch_size
    data = datasets.Dataset(rng.integers(0, 256, (n, 32, 32, 3), dtype=np.uint8),
                            rng.integers(0, 10, n), rng.integers(0, 256, (batch_size, 32, 32, 3),
                                                                 dtype=np.uint8),
                            rng.integers(0, 10, batch_size), [str(i) for i in range(10)])
    clock = StepClock()
    training.fit(data, model_name, keras.optimizers.Adam(1e-3), rounds + 1, batch_size, seed=0,
                 augmentation=augmentation, verbose=0, callbacks=[clock])
    keras.backend.clear_session()
    return n / float(np.median(clock.seconds))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--models", default="minivggnet,googlenet,resnet")
    ap.add_argument("--steps", type=int, default=8, help="steps per epoch")
    ap.add_argument("--rounds", type=int, default=3, help="timed epochs per fit")
    ap.add_argument("--repeats", type=int, default=2, help="fits per configuration, alternating")
    ap.add_argument("--batch-size", type=int, default=128)
    args = ap.parse_args()

    results = {}
    for model in args.models.split(","):
        pairs = [(timed_fit(model, "none", args.steps, args.batch_size, args.rounds),
                  timed_fit(model, "batched", args.steps, args.batch_size, args.rounds))
                 for _ in range(args.repeats)]
        plain = float(np.median([p for p, _ in pairs]))
        augmented = float(np.median([a for _, a in pairs]))
        ratio = float(np.median([p / a for p, a in pairs]))
        results[model] = {"images_per_s_without_augmentation": round(plain, 1),
                          "images_per_s_with_augmentation": round(augmented, 1),
                          "time_ratio_with_vs_without": round(ratio, 3)}
        print(f"{model:11s} without augmentation {plain:8.1f} images/s, with {augmented:8.1f}"
              f" images/s: {ratio:.3f}x the time")
    report({"benchmark": "train_throughput", "batch_size": args.batch_size,
            "shape": [32, 32, 3], "steps_per_epoch": args.steps, "timed_epochs": args.rounds,
            "repeats": args.repeats, "models": results, **machine()})


if __name__ == "__main__":
    main()
