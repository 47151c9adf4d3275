"""Training throughput per model, with and without the batched augmentation.

    python benchmarks/train_throughput.py [--models minivggnet,googlenet,resnet] [--steps 8]

CIFAR-shaped random data (uint8, 32 x 32 x 3, 10 classes) through the project's real
training path (training.fit: the BatchSampler, the model with its Rescaling and
augmentation layers, Keras' fit). Each configuration trains 2 epochs of ``--steps``
steps; only the second epoch's training steps are timed (the first compiles), and
validation is excluded. Last line: one JSON object.
"""
import argparse
import time

import numpy as np
from common import machine, report


def timed_fit(model_name, augmentation, steps, batch_size, epochs=2):
    import keras
    from pyimagesearch import datasets, training

    class StepClock(keras.callbacks.Callback):
        def on_epoch_begin(self, epoch, logs=None):
            self.start = time.perf_counter()

        def on_train_batch_end(self, batch, logs=None):
            self.end = time.perf_counter()

        def on_epoch_end(self, epoch, logs=None):
            self.seconds = self.end - self.start

    rng = np.random.default_rng(0)
    n = steps * batch_size
    data = datasets.Dataset(rng.integers(0, 256, (n, 32, 32, 3), dtype=np.uint8),
                            rng.integers(0, 10, n), rng.integers(0, 256, (batch_size, 32, 32, 3),
                                                                 dtype=np.uint8),
                            rng.integers(0, 10, batch_size), [str(i) for i in range(10)])
    clock = StepClock()
    training.fit(data, model_name, keras.optimizers.Adam(1e-3), epochs, batch_size, seed=0,
                 augmentation=augmentation, verbose=0, callbacks=[clock])
    keras.backend.clear_session()
    return n / clock.seconds


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--models", default="minivggnet,googlenet,resnet")
    ap.add_argument("--steps", type=int, default=8, help="timed steps per configuration")
    ap.add_argument("--batch-size", type=int, default=128)
    args = ap.parse_args()

    results = {}
    for model in args.models.split(","):
        plain = timed_fit(model, "none", args.steps, args.batch_size)
        augmented = timed_fit(model, "batched", args.steps, args.batch_size)
        results[model] = {"images_per_s_without_augmentation": round(plain, 1),
                          "images_per_s_with_augmentation": round(augmented, 1),
                          "time_ratio_with_vs_without": round(plain / augmented, 3)}
        print(f"{model:11s} without augmentation {plain:8.1f} images/s, with {augmented:8.1f}"
              f" images/s: {plain / augmented:.3f}x the time")
    report({"benchmark": "train_throughput", "batch_size": args.batch_size,
            "shape": [32, 32, 3], "steps_timed": args.steps, "models": results, **machine()})


if __name__ == "__main__":
    main()
