"""compare() on a big folder: 10,000 program runs of 100 evaluation points each.

A synthetic folder written as the wrapper writes a program's runs (history pickle with
its record, the report line): ``--problems`` problems x ``--optimizers`` settings x
``--seeds`` seeds, the metric (val_loss, lower is better) logged at 100 steps. Then, each
in a fresh process measured from outside (wall seconds, peak resident memory):
load_runs + compare, and plot.py on the same folder. Targets (issue "runs mean what they
say"): compare() under 10 s and 1 GB.

    python benchmarks/compare_scale.py [--problems 10 --optimizers 10 --seeds 100] [--points 100]
"""
import argparse
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, ROOT)

import numpy as np  # noqa: E402

from benchmarks.common import report  # noqa: E402
from pyimagesearch.program import command  # noqa: E402
from pyimagesearch.runs import storage

TEMPLATE = "python train_mine.py --opt {optimizer} {args} --seed {seed} --out {run_dir}"


def write_folder(folder, problems, optimizers, seeds, points):
    rng = np.random.default_rng(0)
    steps = [float(10 * (k + 1)) for k in range(points)]
    t = np.arange(1, points + 1, dtype=float)
    for p in range(problems):
        for o in range(optimizers):
            setting = f"opt{o}(lr=0.01)"
            for seed in seeds:
                spec = command.ProgramSpec(TEMPLATE, setting, "val_loss", seed, f"p{p}",
                                           goal="min", margin="0.01")
                run = spec.run()
                curve = 1.0 + 0.02 * o + 2.0 / t + rng.normal(0, 0.01, points)
                history = {"step": steps, "val_loss": curve.tolist(), "train_loss": (0.9 * curve).tolist(),
                           "total_seconds": [60.0],
                           "run": {**spec.record(), "command": TEMPLATE.split()}}
                storage.write_pickle(os.path.join(folder, run.name + ".pickle"), history)
                with open(os.path.join(folder, run.name + ".txt"), "w") as f:
                    f.write(f"metric val_loss (final, at step {steps[-1]:g}): {float(curve[-1])!r}\n")
    return problems * optimizers * len(seeds)


def measured(argv):
    """(wall seconds, peak resident MB) of a child process."""
    start = time.perf_counter()
    done = subprocess.run(argv, cwd=ROOT, capture_output=True, text=True)
    wall = time.perf_counter() - start
    if done.returncode:
        raise SystemExit(f"{argv}: exit {done.returncode}: {done.stderr[-2000:]}")
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024  # the largest child
    return wall, peak, done.stdout


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--problems", type=int, default=10)
    ap.add_argument("--optimizers", type=int, default=10)
    ap.add_argument("--seeds", type=int, default=100)
    ap.add_argument("--points", type=int, default=100)
    ap.add_argument("--no-plot", action="store_true", help="compare() only")
    args = ap.parse_args()
    folder = tempfile.mkdtemp(prefix="compare_scale_")
    try:
        start = time.perf_counter()
        runs = write_folder(folder, args.problems, args.optimizers, range(args.seeds), args.points)
        print(f"wrote {runs:,} runs in {time.perf_counter() - start:.1f} s")
        code = ("import sys, time; from pyimagesearch import load_runs, compare; "
                "t = time.perf_counter(); r = load_runs(sys.argv[1]); t1 = time.perf_counter(); "
                "c = compare(r, fixed=True); t2 = time.perf_counter(); "
                "print(len(r), len(c.verdicts), round(t1 - t, 2), round(t2 - t1, 2))")
        wall, peak, out = measured([sys.executable, "-c", code, folder])
        n, verdict_rows, load_s, compare_s = out.split()[-4:]
        print(f"load_runs + compare: {wall:.1f} s in all (load {load_s} s, compare {compare_s} s), "
              f"peak {peak:.0f} MB, {verdict_rows} verdict rows")
        result = {"benchmark": "compare_scale", "runs": runs, "points": args.points,
                  "compare_wall_s": round(wall, 2), "load_s": float(load_s),
                  "compare_s": float(compare_s), "compare_peak_mb": round(peak)}
        if not args.no_plot:
            plots = os.path.join(folder, "plots")
            wall, peak, _ = measured([sys.executable, "plot.py", "-i", folder, "-p", plots,
                                      "--fixed"])
            print(f"plot.py: {wall:.1f} s, peak {peak:.0f} MB (the largest process so far)")
            result.update(plot_wall_s=round(wall, 2), plot_peak_mb=round(peak))
        report({**result, "cpus": os.cpu_count()})
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
