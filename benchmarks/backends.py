"""Which Keras backend trains fastest here: MiniVGGNet training images/s per backend.

    python benchmarks/backends.py [--model minivggnet] [--rounds 3] [--backends tensorflow,jax,torch]

Each round measures every backend once, in turn (a fresh process each: grid_estimate's
worker, augmented training at batch 128, median step), so drift in a shared machine's
speed hits all alike; the medians over rounds are reported. Last line: one JSON object.
"""
import argparse
import importlib.util
import json
import os
import subprocess
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from common import report  # noqa: E402

MODULES = {"tensorflow": "tensorflow", "jax": "jax", "torch": "torch"}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--model", default="minivggnet")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--steps", type=int, default=8)
    ap.add_argument("--backends", default="tensorflow,jax,torch")
    args = ap.parse_args()
    backends = [b for b in args.backends.split(",") if importlib.util.find_spec(MODULES[b])]
    rates = {b: [] for b in backends}
    for round_ in range(args.rounds):
        for backend in backends:
            out = subprocess.run(
                [sys.executable, os.path.join(HERE, "grid_estimate.py"), "--worker", args.model,
                 "--steps", str(args.steps), "--val-repeats", "1"],
                env=dict(os.environ, KERAS_BACKEND=backend), capture_output=True, text=True)
            if out.returncode != 0:
                sys.exit(f"backends.py: {backend} failed:\n{out.stderr[-2000:]}")
            rates[backend].append(json.loads(out.stdout.strip().splitlines()[-1])
                                  ["train_images_per_s"])
            print(f"round {round_ + 1}: {backend:10s} {rates[backend][-1]:8.1f} images/s",
                  flush=True)
    medians = {b: round(float(np.median(r)), 1) for b, r in rates.items()}
    for backend, median in sorted(medians.items(), key=lambda t: -t[1]):
        print(f"{backend:10s} median {median:8.1f} images/s over {args.rounds} rounds")
    import platform
    report({"benchmark": "backends", "model": args.model, "batch_size": 128, "shape": [32, 32, 3],
            "augmented": True, "rounds": args.rounds, "steps": args.steps,
            "images_per_s_median": medians,
            "images_per_s_rounds": {b: [round(v, 1) for v in r] for b, r in rates.items()},
            "cpus": os.cpu_count(), "python": platform.python_version()})


if __name__ == "__main__":
    main()
