"""plot.py on a folder whose truth is known: 34 problems (Adam against RAdam), 32 with 10
seeds per optimizer and 2 with 3; 4 problems with a true +3-point difference at a spread
of 0.5, 4 tight ones (no difference, spread 0.1), the rest no difference at a spread of 2.
Then the same folder with one run of a 10-seed problem damaged. No training: the runs'
files are written with the accuracies drawn, and plot.py reads them as it reads any grid.

    python benchmarks/known_truth.py [--seed 0]
"""
import argparse
import contextlib
import csv
import io
import os
import sys
import tempfile

import pathlib

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import plot  # noqa: E402
from pyimagesearch.runs import runspec  # noqa: E402
from tests.synthetic import history, write_run  # noqa: E402

PROBLEMS = 34


def truth():
    """Per problem: (true RAdam - Adam in points, spread in points, seeds)."""
    out = [(3.0, 0.5, 10)] * 4 + [(0.0, 0.1, 10)] * 4 + [(0.0, 2.0, 10)] * 24
    return out + [(0.0, 2.0, 3)] * 2


def write_folder(folder, rng, seeds_override=None):
    for k, (diff, spread, seeds) in enumerate(truth()):
        seeds = seeds_override or seeds
        model = f"mymodels:net{k:02d}"
        base = rng.normal(85.0, 1.0, seeds)
        for optimizer, shift in (("adam", 0.0), ("radam", diff)):
            for s in range(seeds):
                acc = (base[s] + shift + rng.normal(0, spread / np.sqrt(2))) / 100
                record = runspec.RunSpec("digits", model, optimizer, epochs=3, seed=s).record()
                write_run(pathlib.Path(folder), f"net{k:02d}_{optimizer}_s{s}",
                          history(epochs=3, run=record),
                          acc=acc)


def answer(folder, plots):
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        assert plot.main(["-i", folder, "-p", plots]) == 0
    with open(os.path.join(plots, "verdicts.csv")) as f:
        rows = [r for r in csv.DictReader(f) if r["scope"] == "problem"]
    return sorted(rows, key=lambda r: r["model"])


def report(name, rows, seeds_override=None):
    t = truth()
    strong = [r for r, (d, _, _) in zip(rows, t) if d == 3]
    tight = [r for r, (d, s, _) in zip(rows, t) if d == 0 and s == 0.1]
    null = [r for r, (d, _, _) in zip(rows, t) if d == 0]
    read_all = sum(int(r["n"]) == (seeds_override or n) for r, (_, _, n) in zip(rows, t))
    print(f"| {name} | {read_all}/{len(rows)} | "
          f"{sum(r['verdict'] == 'better' for r in strong)}/{len(strong)} better | "
          f"{sum(r['verdict'] == 'equivalent' for r in tight)}/{len(tight)} equivalent | "
          f"{sum(r['verdict'] in ('better', 'worse') for r in null)} | "
          f"{', '.join(sorted({r['n'] for r in rows}, key=int))} |")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    from pyimagesearch import environment
    environment.load_backend()  # run records name the package versions: Keras, quietly
    print("| folder | problems read on all their seeds | +3 points (4) | tight (4) | "
          "false better/worse | seeds read |")
    print("| --- | --- | --- | --- | --- | --- |")
    pages = []
    with tempfile.TemporaryDirectory() as tmp:
        for name, override in (("32 at 10 seeds, 2 at 3", None), ("all 34 at 10 seeds", 10)):
            folder = os.path.join(tmp, name.replace(" ", "_"))
            os.makedirs(folder)
            write_folder(folder, np.random.default_rng(args.seed), override)
            report(name, answer(folder, folder + "_plots"), override)
            pages.append((name, os.path.getsize(os.path.join(folder + "_plots", "report.html"))))
            if override is None:
                with open(os.path.join(folder, "net00_radam_s4.pickle"), "wb") as f:
                    f.write(b"damaged")  # one run of a 10-seed problem with a true +3
                rows = answer(folder, folder + "_plots")
                print(f"| the same, one run of a 10-seed problem damaged | "
                      f"{sum(int(r['n']) == n for r, (_, _, n) in zip(rows, truth()))}/34 "
                      f"(that one reads {rows[0]['n']} shared seeds: {rows[0]['verdict']}) | "
                      f"{sum(r['verdict'] == 'better' for r in rows[:4])}/4 better | "
                      f"{sum(r['verdict'] == 'equivalent' for r in rows[4:8])}/4 equivalent | "
                      f"{sum(r['verdict'] in ('better', 'worse') for r in rows[8:])} | "
                      f"{', '.join(sorted({r['n'] for r in rows}, key=int))} |")

    print("\n" + "; ".join(f"report.html of the folder \"{name}\": {size / 1e6:.2f} MB"
                           for name, size in pages) + " (target: at most 2.5 MB)")


if __name__ == "__main__":
    main()
