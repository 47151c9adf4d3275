"""Training steps per second of the default gpt (--model gpt) on every backend here.

    python benchmarks/gpt_throughput.py [--rounds 3] [--steps 30] [--backends tensorflow,jax,torch]
        [--optimizers adamw,muon] [--batch-size 32]

The very loop train.py runs (pyimagesearch.train.language: the model, its compile options, one
train_on_batch per step on windows drawn by (seed, step)), timed after two warm-up steps,
in a fresh process per backend, optimizer and round, so drift in a shared machine's speed
hits all alike; medians over rounds. On a GPU machine the same command measures the GPU
(JAX and PyTorch are what lent machines have). Last line: one JSON object.
"""
import argparse
import importlib.util
import json
import os
import subprocess
import sys
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from common import machine, report  # noqa: E402


def worker(optimizer, steps, batch):
    from pyimagesearch.train import language
    from pyimagesearch.runs import runspec
    from pyimagesearch.data import text
    run = runspec.RunSpec(dataset="text", model="gpt", optimizer=optimizer, batch_size=batch,
                          steps=steps, seed=0)
    data = text.load()
    model = language.compiled_model(run)
    context = language.shape(run)[3]
    for step in range(2):  # compiles
        model.train_on_batch(*text.batch(data.train, context, batch, 0, step))
    start = time.perf_counter()
    for step in range(2, 2 + steps):
        result = model.train_on_batch(*text.batch(data.train, context, batch, 0, step),
                                      return_dict=True)
    float(result["loss"])  # the last step is done
    seconds = time.perf_counter() - start
    print(json.dumps({"steps_per_s": steps / seconds, **machine()}))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--steps", type=int, default=30)
    ap.add_argument("--batch-size", type=int, default=32)
    ap.add_argument("--backends", default="tensorflow,jax,torch")
    ap.add_argument("--optimizers", default="adamw,muon")
    ap.add_argument("--worker", metavar="OPTIMIZER", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.worker:
        return worker(args.worker, args.steps, args.batch_size)
    backends = [b for b in args.backends.split(",") if importlib.util.find_spec(b)]
    rates, info = {}, {}
    for round_ in range(args.rounds):
        for backend in backends:
            for optimizer in args.optimizers.split(","):
                out = subprocess.run(
                    [sys.executable, __file__, "--worker", optimizer, "--steps", str(args.steps),
                     "--batch-size", str(args.batch_size)],
                    env=dict(os.environ, KERAS_BACKEND=backend), capture_output=True, text=True)
                if out.returncode != 0:
                    sys.exit(f"gpt_throughput.py: {backend} {optimizer} failed:\n{out.stderr[-2000:]}")
                result = json.loads(out.stdout.strip().splitlines()[-1])
                info[backend] = {k: v for k, v in result.items() if k != "steps_per_s"}
                rates.setdefault(f"{backend} {optimizer}", []).append(result["steps_per_s"])
                print(f"round {round_ + 1}: {backend:10s} {optimizer:8s} "
                      f"{result['steps_per_s']:7.2f} steps/s", flush=True)
    from pyimagesearch import registry
    medians = {k: round(float(np.median(v)), 2) for k, v in rates.items()}
    per_step = args.batch_size * registry.GPT_SHAPE["context"]  # bytes predicted
    for key, median in medians.items():
        print(f"{key:20s} median {median:7.2f} steps/s ({median * per_step:,.0f} "
              f"bytes/s) over {args.rounds} rounds")
    report({"benchmark": "gpt_throughput", "shape": registry.GPT_SHAPE, "batch_size": args.batch_size,
            "rounds": args.rounds, "steps": args.steps, "steps_per_s_median": medians,
            "steps_per_s_rounds": {k: [round(x, 2) for x in v] for k, v in rates.items()},
            "machine": info})


if __name__ == "__main__":
    main()
