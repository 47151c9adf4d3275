"""Pair the runs' histories into figures, and write a summary of the whole grid.

    python plot.py --input output --plots plots

For every model and dataset found in --input: plots/{model}_{dataset}.png with the
accuracy and loss curves of every optimizer; then plots/summary.csv, summary.md and
overview.png. A missing or damaged file is a warning naming it; the exit status is
non-zero only when nothing at all could be plotted.
"""
import argparse
import itertools
import os
import sys
from collections import defaultdict


def warn(message):
    print(f"[WARNING] {message}", file=sys.stderr)


def find_runs(folder):
    """{Run: history path} for every history pickle in ``folder`` named like a run."""
    from pyimagesearch import grid
    found = {}
    for entry in sorted(os.listdir(folder)):
        stem, ext = os.path.splitext(entry)
        if ext != ".pickle":
            continue
        run = grid.parse_name(stem)
        if run is None:
            warn(f"{os.path.join(folder, entry)}: not named like a run "
                 "({model}_{optimizer}_{dataset}.pickle); skipped")
        else:
            found[run] = os.path.join(folder, entry)
    return found


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("-i", "--input", required=True, help="folder of histories and reports")
    ap.add_argument("-p", "--plots", required=True, help="folder for figures and the summary")
    args = ap.parse_args(argv)
    if not os.path.isdir(args.input):
        print(f"plot.py: error: --input {args.input}: not a directory", file=sys.stderr)
        return 2
    try:
        os.makedirs(args.plots, exist_ok=True)
    except OSError as e:
        print(f"plot.py: error: --plots {args.plots}: {e.strerror}", file=sys.stderr)
        return 2

    from pyimagesearch import figures, grid, registry, results, storage, summary

    # the grid the outputs describe: every dataset x model x optimizer (x seed) seen
    found = find_runs(args.input)
    axes = [sorted({getattr(r, a) for r in found}, key=key)
            for a, key in (("dataset", list(registry.DATASETS).index),
                           ("model", list(registry.MODELS).index),
                           ("optimizer", list(registry.OPTIMIZERS).index),
                           ("seed", lambda s: -1 if s is None else s))]
    expected = [grid.Run(*combo) for combo in itertools.product(*axes)]

    # load what is there; report what is missing or damaged, and go on
    rows, histories, groups = [], [], defaultdict(lambda: defaultdict(list))
    for run in expected:
        history_path, report_path = grid.outputs(run, args.input)
        if run not in found:
            warn(f"{history_path}: missing")
            continue
        try:
            history = results.load_history(history_path)
        except ValueError as e:
            warn(f"{e}; skipped")
            continue
        report = None
        if os.path.exists(report_path):
            try:
                report = results.load_report(report_path)
            except ValueError as e:
                warn(str(e))
        else:
            warn(f"{report_path}: missing; test accuracy left blank")
        groups[(run.dataset, run.model)][run.optimizer].append(history)
        histories.append(history)
        rows.append({"dataset": run.dataset, "model": run.model, "optimizer": run.optimizer,
                     "seed": run.seed, **results.run_metrics(history, report)})

    if not groups:
        print(f"plot.py: error: nothing to plot in {args.input} "
              "(no readable history named {model}_{optimizer}_{dataset}.pickle)", file=sys.stderr)
        return 1

    # one figure per model and dataset, as the original
    for (dataset, model), by_optimizer in groups.items():
        path = os.path.join(args.plots, f"{model}_{dataset}.png")
        figures.comparison(by_optimizer, model, dataset, path)
        print(f"[INFO] {path}")

    # the summary and the overview
    summary.add_time_to_target(rows, histories)
    storage.write_text(os.path.join(args.plots, "summary.csv"), summary.to_csv(rows))
    storage.write_text(os.path.join(args.plots, "summary.md"), summary.to_markdown(rows))
    figures.overview(rows, os.path.join(args.plots, "overview.png"))
    print(f"[INFO] {len(groups)} figures, summary.md, summary.csv and overview.png in {args.plots}/")
    return 0


if __name__ == "__main__":
    sys.exit(main())
