"""The HTML report of a big grid: its size and the seconds to write it.

A synthetic folder shaped like `--preset tuned --seeds 0,1,2` (4 datasets x 3 models x
4 optimizers x 3 learning rates x 3 seeds = 432 runs) of 30 epochs each, written with
records and reports as train.py writes them (no training); then plot.py on it, timed as
a whole and the report alone. Targets: report.html at most 8 MB, written in at most 20 s.

    python benchmarks/report.py [--runs-folder DIR] [--epochs 30]
"""
import argparse
import os
import shutil
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import numpy as np  # noqa: E402

from benchmarks.common import report  # noqa: E402
from pyimagesearch import registry  # noqa: E402
from pyimagesearch.runs import runspec, storage
from tests.synthetic import REPORT  # noqa: E402


def write_grid(folder, epochs, seeds=(0, 1, 2)):
    """--preset tuned's 432 runs, with curves that differ by run (so nothing compresses
    away in the page)."""
    rng = np.random.default_rng(0)
    preset = registry.PRESETS["tuned"]
    from pyimagesearch import grid
    settings, family = grid.expand_optimizers(preset.optimizers, tune=True)
    count = 0
    t = np.arange(1, epochs + 1, dtype=float)
    for dataset in preset.datasets:
        for model in preset.models:
            for setting in settings:
                for seed in seeds:
                    record = runspec.RunSpec(dataset, model, setting, epochs=epochs, seed=seed,
                                             validation_split=0.1,
                                             setting_of=family[setting]).record(
                        labels=[str(i) for i in range(10)])
                    noise = rng.normal(0, 0.01, (4, epochs))
                    history = {"loss": list(1 / t + noise[0] ** 2), "val_loss": list(1.2 / t + noise[1] ** 2),
                               "accuracy": list(1 - 0.5 / t + noise[2]),
                               "val_accuracy": list(1 - 0.6 / t + noise[3]),
                               "epoch_seconds": list(5 + rng.random(epochs)),
                               "test_accuracy": [0.9], "run": record}
                    name = f"{model}_{registry.label(setting)}_{dataset}_s{seed}"
                    storage.write_pickle(os.path.join(folder, name + ".pickle"), history)
                    with open(os.path.join(folder, name + ".txt"), "w") as f:
                        f.write(REPORT.format(acc=0.9 + rng.normal(0, 0.01), f1=0.85, p=0.8))
                    count += 1
    return count


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--runs-folder", help="keep the synthetic runs here (default: a temporary folder)")
    ap.add_argument("--epochs", type=int, default=30)
    args = ap.parse_args()
    root = args.runs_folder or tempfile.mkdtemp()
    runs_folder, plots = os.path.join(root, "output"), os.path.join(root, "plots")
    os.makedirs(runs_folder, exist_ok=True)
    runs = write_grid(runs_folder, args.epochs)

    import plot
    from pyimagesearch.stats import analysis, verdicts
    from pyimagesearch.outputs import report as page, summary
    from pyimagesearch.runs import results
    start = time.perf_counter()
    assert plot.main(["-i", runs_folder, "-p", plots]) == 0
    whole = time.perf_counter() - start
    # the report alone, from the rows plot.py loads
    rows, histories, groups = results.load_rows(runs_folder)
    results.add_time_to_target(rows, histories)
    start = time.perf_counter()
    table = summary.verdict_table(rows)
    text = page.page(rows, histories, groups, table, verdicts.MARGIN, None, plots,
                     curves=analysis.tuning_curves(rows), sensitivity=analysis.sensitivity(rows))
    alone = time.perf_counter() - start
    size = os.path.getsize(os.path.join(plots, "report.html"))
    print(f"{runs} runs x {args.epochs} epochs: report.html {size / 1e6:.2f} MB "
          f"(Plotly's bundle {len(page.plotly_js()) / 1e6:.2f} MB of it); the report's "
          f"statistics and page {alone:.1f} s; plot.py in all (PNG figures, tables, report) "
          f"{whole:.1f} s")
    report({"runs": runs, "epochs": args.epochs, "report_mb": round(size / 1e6, 2),
            "report_seconds": round(alone, 1), "plot_seconds": round(whole, 1),
            "page_chars": len(text)})
    if not args.runs_folder:
        shutil.rmtree(root)


if __name__ == "__main__":
    main()
