"""Augmentation throughput: the legacy ImageDataGenerator vs the batched layer.

    python benchmarks/augment.py [--batches 20]

CIFAR-shaped batches (128 x 32 x 32 x 3, uint8 as stored). The legacy path is what
the original ran: one image at a time on the CPU. The batched layer is called the way
fit calls it: compiled (tf.function on TensorFlow, eager elsewhere), in training mode.
Last line: one JSON object.
"""
import argparse

import numpy as np
from common import images_per_second, machine, report


def compiled(layer):
    import keras
    if keras.backend.backend() == "tensorflow":
        import tensorflow as tf
        return tf.function(lambda x: layer(x, training=True))
    return lambda x: layer(x, training=True)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--batches", type=int, default=20, help="timed batches per method")
    ap.add_argument("--batch-size", type=int, default=128)
    ap.add_argument("--rounds", type=int, default=5, help="alternating rounds; medians count")
    args = ap.parse_args()

    import keras
    from pyimagesearch.data import augment
    rng = np.random.default_rng(0)
    batch = rng.integers(0, 256, (args.batch_size, 32, 32, 3), dtype=np.uint8)

    legacy = augment.legacy_transform()
    fn = compiled(augment.layer(seed=0))
    device_batch = keras.ops.convert_to_tensor(batch.astype("float32"))
    # alternate the two, --rounds times, so drift in the machine's speed hits both alike
    pairs = [(images_per_second(lambda x: legacy(x, rng), batch, args.batches),
              images_per_second(fn, device_batch, args.batches * 5)) for _ in range(args.rounds)]
    legacy_rate = float(np.median([p[0] for p in pairs]))
    batched_rate = float(np.median([p[1] for p in pairs]))
    ratio = float(np.median([b / a for a, b in pairs]))
    print(f"legacy ImageDataGenerator: {legacy_rate:,.0f} images/s")
    print(f"batched layer:             {batched_rate:,.0f} images/s")
    print(f"ratio:                     {ratio:.1f}x (target: >= 10x)")
    report({"benchmark": "augment", "batch_size": args.batch_size, "shape": [32, 32, 3],
            "legacy_images_per_s": round(legacy_rate), "batched_images_per_s": round(batched_rate),
            "ratio": round(ratio, 2), "rounds": args.rounds, **machine()})


if __name__ == "__main__":
    main()
