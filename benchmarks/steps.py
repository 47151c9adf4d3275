"""Steps per second of 4LS at batch size 1: the per-step overhead test of study B.

    python benchmarks/steps.py [--steps 200000] [--backend jax]

MNIST-shaped random data (60,000 uint8 images, 28 x 28). Two mechanisms, both as
the project uses them:
- the project's real iteration-budget path (training.fit with steps=...: the compiled
  multi-step loop), timed from the first evaluation point (500 steps, which includes
  compilation) to the end, evaluation excluded;
- Keras' own fit at batch size 1 (what study A's epoch-based runs use), for reference.
Last line: one JSON object.
"""
import argparse
import os
import time

import numpy as np
from common import machine, report


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--steps", type=int, default=200_000, help="budget of the compiled loop")
    ap.add_argument("--backend", choices=("tensorflow", "jax", "torch"),
                    help="Keras backend (default: KERAS_BACKEND, else tensorflow)")
    ap.add_argument("--fit-steps", type=int, default=3000, help="steps timed through fit")
    args = ap.parse_args()
    if args.backend:
        os.environ["KERAS_BACKEND"] = args.backend

    import keras
    from pyimagesearch.data import datasets
    from pyimagesearch import registry
    from pyimagesearch.runs import runspec
    from pyimagesearch.train import training
    rng = np.random.default_rng(0)
    n = 60000
    data = datasets.Dataset(rng.integers(0, 256, (n, 28, 28, 1), dtype=np.uint8),
                            rng.integers(0, 10, n), rng.integers(0, 256, (1000, 28, 28, 1),
                                                                 dtype=np.uint8),
                            rng.integers(0, 10, 1000), [str(i) for i in range(10)])

    run = runspec.RunSpec("synthetic", "4ls", "descent", batch_size=1, steps=args.steps, seed=0)
    _, history = training.fit(data, run, log=lambda *a: None)
    it, seconds = history["iterations"], history["train_seconds"]
    loop_rate = (it[-1] - it[0]) / (seconds[-1] - seconds[0])
    kind = {"tensorflow": "XLA while_loop", "jax": "jitted fori_loop"}.get(
        keras.backend.backend(), "one train_on_batch per step")
    print(f"training.fit with steps ({kind}): {loop_rate:,.0f} steps/s "
          f"over {int(it[-1] - it[0]):,} steps")
    keras.backend.clear_session()

    model = training.build_model("4ls", (28, 28, 1), 10)
    model.compile(optimizer=registry.OPTIMIZERS["descent"].build(),
                  loss="sparse_categorical_crossentropy")
    x, y = data.train_x[:args.fit_steps], data.train_y[:args.fit_steps]
    model.fit(x[:200], y[:200], batch_size=1, epochs=1, verbose=0)  # compile
    start = time.perf_counter()
    model.fit(x, y, batch_size=1, epochs=1, verbose=0)
    fit_rate = args.fit_steps / (time.perf_counter() - start)
    print(f"Keras fit, batch size 1:                 {fit_rate:,.0f} steps/s")
    report({"benchmark": "steps", "model": "4ls", "batch_size": 1,
            "compiled_loop_steps_per_s": round(loop_rate), "fit_steps_per_s": round(fit_rate),
            "ratio": round(loop_rate / fit_rate, 1), "target_steps_per_s": 50000, **machine()})


if __name__ == "__main__":
    main()
