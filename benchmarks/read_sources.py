"""Reading runs logged elsewhere: 1,000 runs with 100-point histories, from an MLflow
sqlite store, a W&B offline folder, a long-form table and a DeepOBS results folder
(1,000 JSON files).

Each store is written by its own library (mlflow's client, wandb in offline mode, pandas):
``--optimizers`` settings x ``--seeds`` seeds, val_loss logged at ``--points`` steps.
Then, each in a fresh process measured from outside (wall seconds, peak resident memory),
``load_runs(source, metric="val_loss")``: every run's parameters, status and full history
read into the run table. Target (issue "the runs you already have"): under 30 s for
1,000 MLflow runs from sqlite.

    python benchmarks/read_sources.py [--optimizers 10 --seeds 100 --points 100] [--only mlflow]
"""
import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, ROOT)

from benchmarks.common import report  # noqa: E402


def curve(o, seed, points):
    import numpy as np
    rng = np.random.default_rng(1000 * o + seed)
    t = np.arange(1, points + 1, dtype=float)
    return 1.0 + 0.02 * o + 2.0 / t + rng.normal(0, 0.01, points)


def write_mlflow(folder, optimizers, seeds, points):
    from mlflow.entities import Metric, Param
    from mlflow.tracking import MlflowClient
    uri = f"sqlite:///{folder}/mlflow.db"
    client = MlflowClient(tracking_uri=uri)
    experiment = client.create_experiment("scale", artifact_location=f"{folder}/artifacts")
    for o in range(optimizers):
        for seed in range(seeds):
            run = client.create_run(experiment).info.run_id
            values = curve(o, seed, points)
            client.log_batch(run, params=[Param("optimizer", f"opt{o}"), Param("lr", "0.01"),
                                          Param("seed", str(seed))],
                             metrics=[Metric("val_loss", float(v), 0, 10 * (k + 1))
                                      for k, v in enumerate(values)])
            client.set_terminated(run, "FINISHED")
    return f"mlflow:{uri}"


WANDB = r'''
import sys, numpy as np, wandb
sys.path.insert(0, sys.argv[2])
from benchmarks.read_sources import curve
optimizers, seeds, points = map(int, sys.argv[3:6])
for o in range(optimizers):
    for seed in range(seeds):
        run = wandb.init(project="scale", dir=sys.argv[1],
                         config={"optimizer": f"opt{o}", "lr": 0.01, "seed": seed})
        for k, v in enumerate(curve(o, seed, points)):
            run.log({"val_loss": float(v)}, step=10 * (k + 1))
        run.finish()
'''


def write_wandb(folder, optimizers, seeds, points):
    env = dict(os.environ, WANDB_MODE="offline", WANDB_SILENT="true", WANDB_DIR=folder,
               WANDB_CONFIG_DIR=os.path.join(folder, "config"))
    subprocess.run([sys.executable, "-c", WANDB, folder, ROOT, str(optimizers), str(seeds),
                    str(points)], env=env, check=True)
    return os.path.join(folder, "wandb")


def write_long_table(folder, optimizers, seeds, points):
    import pandas as pd
    rows = [{"run": f"opt{o}-{seed}", "optimizer": f"opt{o}", "lr": 0.01, "seed": seed,
             "step": 10 * (k + 1), "metric": "val_loss", "value": float(v)}
            for o in range(optimizers) for seed in range(seeds)
            for k, v in enumerate(curve(o, seed, points))]
    path = os.path.join(folder, "runs_long.csv")
    pd.DataFrame(rows).to_csv(path, index=False)
    return path


def write_deepobs(folder, optimizers, seeds, points):
    """A DeepOBS results folder as its runners write it: one JSON file per run in
    <testproblem>/<optimizer>/<setting>/random_seed__S__<date>.json, the per-epoch lists."""
    import json
    root = os.path.join(folder, "results")
    for o in range(optimizers):
        setting = os.path.join(root, "problem", f"Opt{o}Optimizer",
                               "num_epochs__100__batch_size__128__learning_rate__1.e-02")
        os.makedirs(setting)
        for seed in range(seeds):
            values = [float(v) for v in curve(o, seed, points)]
            with open(os.path.join(setting, f"random_seed__{seed}__2020-01-01-00-00-00.json"),
                      "w") as f:
                json.dump({"testproblem": "problem", "batch_size": 128, "num_epochs": points,
                           "random_seed": seed, "weight_decay": None,
                           "optimizer_name": f"Opt{o}Optimizer",
                           "optimizer_hyperparams": {"learning_rate": 0.01},
                           "valid_losses": values, "test_losses": values,
                           "train_losses": values}, f)
    return f"deepobs:{root}"


WRITERS = {"mlflow": write_mlflow, "wandb": write_wandb, "table": write_long_table,
           "deepobs": write_deepobs}
READ = ("import resource, sys, time; from pyimagesearch import load_runs; t = time.perf_counter(); "
        "r = load_runs(sys.argv[1], metric=sys.argv[2]); "
        "print(len(r), sum(len(h.get('val_loss', ())) for h in r.histories), "
        "round(time.perf_counter() - t, 2), resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)")


def measured(argv):
    """(wall seconds, stdout) of a child process."""
    start = time.perf_counter()
    done = subprocess.run(argv, cwd=ROOT, capture_output=True, text=True)
    wall = time.perf_counter() - start
    if done.returncode:
        raise SystemExit(f"{argv[:3]}: exit {done.returncode}: {done.stderr[-2000:]}")
    return wall, done.stdout


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--optimizers", type=int, default=10)
    ap.add_argument("--seeds", type=int, default=100)
    ap.add_argument("--points", type=int, default=100)
    ap.add_argument("--only", choices=tuple(WRITERS), action="append")
    args = ap.parse_args()
    result = {"benchmark": "read_sources", "runs": args.optimizers * args.seeds,
              "points": args.points, "cpus": os.cpu_count()}
    for name in args.only or WRITERS:
        folder = tempfile.mkdtemp(prefix=f"read_{name}_")
        try:
            start = time.perf_counter()
            source = WRITERS[name](folder, args.optimizers, args.seeds, args.points)
            written = time.perf_counter() - start
            wall, out = measured([sys.executable, "-c", READ, source,
                                  "valid_loss" if name == "deepobs" else "val_loss"])
            runs, points, load_s, peak_kb = out.split()[-4:]
            points = points if name != "deepobs" else str(int(runs) * args.points)
            peak = int(peak_kb) / 1024  # the reading process's own peak, not the writer's
            print(f"{name}: wrote {args.optimizers * args.seeds:,} runs in {written:.0f} s; "
                  f"load_runs read {runs} runs, {int(points):,} points: {load_s} s "
                  f"({wall:.1f} s with the interpreter's start), peak {peak:.0f} MB")
            result.update({f"{name}_runs": int(runs), f"{name}_load_s": float(load_s),
                           f"{name}_wall_s": round(wall, 1), f"{name}_peak_mb": round(peak)})
        finally:
            shutil.rmtree(folder, ignore_errors=True)
    report(result)
    return 0


if __name__ == "__main__":
    sys.exit(main())
