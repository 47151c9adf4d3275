"""How long the original 24-run grid takes here: one command, per backend.

    python benchmarks/grid_estimate.py [--backend jax] [--mixed-precision] [--runs-at-once N]

Per model, on CIFAR-shaped random data (uint8, 32 x 32 x 3) through the project's
training pieces: the training rate with the batched augmentation at batch 128 (the
median step of a timed epoch, after an untimed one that compiles) and the validation
rate (Keras' evaluate at batch 128). Then the grid's wall time: per model, 8 runs (2
optimizers x 4 datasets) of 60 epochs, each epoch the dataset's training steps
(MNIST and Fashion-MNIST 468, CIFAR 390, of 128 images) and 10,000 validation images.

With ``--runs-at-once N`` the same measurement runs in N processes at once (started
together behind a barrier) and the estimate uses their summed rates: measured, not
multiplied. Both estimates are printed; the last line is one JSON object.
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from common import report  # noqa: E402

BATCH, EPOCHS, VALIDATION_IMAGES = 128, 60, 10_000
TRAIN_STEPS = {"mnist": 468, "fashion_mnist": 468, "cifar10": 390, "cifar100": 390}
OPTIMIZERS = 2


def grid_seconds(train_rate, val_rate):
    """One model's 8 runs at these rates, in seconds."""
    per_epoch = [s * BATCH / train_rate + VALIDATION_IMAGES / val_rate
                 for s in TRAIN_STEPS.values()]
    return OPTIMIZERS * EPOCHS * sum(per_epoch)


def worker(args):
    """Measure one model's rates in this process; print them as JSON."""
    import keras
    from train_throughput import build, step_seconds
    rng = np.random.default_rng(0)
    n = args.steps * BATCH
    x = rng.integers(0, 256, (n, 32, 32, 3), dtype=np.uint8)
    y = rng.integers(0, 10, n)
    model, sampler = build(args.worker, True, x, y, BATCH, args.mixed_precision)
    model.evaluate(x, y, batch_size=BATCH, verbose=0)  # compiles the validation step
    if args.barrier:  # N processes: measure together, once all have compiled
        open(os.path.join(args.barrier, f"ready-{os.getpid()}"), "w").close()
        while len(os.listdir(args.barrier)) < args.runs_at_once:
            time.sleep(0.05)
    train = BATCH / step_seconds(model, sampler)
    start = time.perf_counter()
    for _ in range(args.val_repeats):
        model.evaluate(x, y, batch_size=BATCH, verbose=0)
    val = args.val_repeats * n / (time.perf_counter() - start)
    print(json.dumps({"model": args.worker, "train_images_per_s": train,
                      "val_images_per_s": val, "backend": keras.backend.backend()}))


def measure(model, args, processes):
    """Rates of ``processes`` workers measuring at once."""
    env = dict(os.environ, KERAS_BACKEND=args.backend or os.environ.get("KERAS_BACKEND",
                                                                        "tensorflow"))
    with tempfile.TemporaryDirectory() as barrier:
        command = [sys.executable, os.path.abspath(__file__), "--worker", model,
                   "--steps", str(args.steps), "--val-repeats", str(args.val_repeats),
                   "--runs-at-once", str(processes)]
        if processes > 1:
            command += ["--barrier", barrier]
        if args.mixed_precision:
            command.append("--mixed-precision")
        procs = [subprocess.Popen(command, env=env, stdout=subprocess.PIPE,
                                  stderr=subprocess.PIPE, text=True) for _ in range(processes)]
        results = []
        for proc in procs:
            out, err = proc.communicate()
            if proc.returncode != 0:
                sys.exit(f"grid_estimate.py: a worker for {model} failed:\n{err[-2000:]}")
            results.append(json.loads(out.strip().splitlines()[-1]))
    return results


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--backend", choices=("tensorflow", "jax", "torch"),
                    help="Keras backend (default: KERAS_BACKEND, else tensorflow)")
    ap.add_argument("--mixed-precision", action="store_true")
    ap.add_argument("--runs-at-once", type=int, default=1, help="N processes measuring together")
    ap.add_argument("--models", default="minivggnet,googlenet,resnet")
    ap.add_argument("--steps", type=int, default=8, help="timed training steps per measurement")
    ap.add_argument("--val-repeats", type=int, default=2)
    ap.add_argument("--worker", help=argparse.SUPPRESS)
    ap.add_argument("--barrier", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.worker:
        return worker(args)

    results, total_one, total_many = {}, 0.0, 0.0
    for model in args.models.split(","):
        alone = measure(model, args, 1)[0]
        entry = {"train_images_per_s": round(alone["train_images_per_s"], 1),
                 "val_images_per_s": round(alone["val_images_per_s"], 1),
                 "grid_hours_one_at_a_time": round(grid_seconds(
                     alone["train_images_per_s"], alone["val_images_per_s"]) / 3600, 3)}
        total_one += entry["grid_hours_one_at_a_time"]
        line = (f"{model:11s} training {alone['train_images_per_s']:9.1f} images/s (augmented, "
                f"batch {BATCH}), validation {alone['val_images_per_s']:9.1f} images/s: its 8 "
                f"grid runs {entry['grid_hours_one_at_a_time']:.2f} h one at a time")
        if args.runs_at_once > 1:
            together = measure(model, args, args.runs_at_once)
            train = sum(r["train_images_per_s"] for r in together)
            val = sum(r["val_images_per_s"] for r in together)
            entry.update(train_images_per_s_all=round(train, 1), val_images_per_s_all=round(val, 1),
                         grid_hours_at_once=round(grid_seconds(train, val) / 3600, 3))
            total_many += entry["grid_hours_at_once"]
            line += f", {entry['grid_hours_at_once']:.2f} h {args.runs_at_once} at once"
        results[model] = entry
        print(line, flush=True)
    print(f"the original 24-run grid (training and validation, 60 epochs): {total_one:.2f} h "
          "one run at a time" + (f", {total_many:.2f} h with {args.runs_at_once} runs at once"
                                  if args.runs_at_once > 1 else ""))
    os.environ["KERAS_BACKEND"] = args.backend or os.environ.get("KERAS_BACKEND", "tensorflow")
    from common import machine
    report({"benchmark": "grid_estimate", "batch_size": BATCH, "shape": [32, 32, 3],
            "steps": args.steps, "mixed_precision": args.mixed_precision,
            "runs_at_once": args.runs_at_once, "models": results,
            "grid_hours_one_at_a_time": round(total_one, 3),
            "grid_hours_at_once": round(total_many, 3) if args.runs_at_once > 1 else None,
            **machine()})


if __name__ == "__main__":
    main()
