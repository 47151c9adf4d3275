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
    """{Run: (history path, history or None, error)} for every history pickle in
    ``folder``: described by the record it holds, or (the original study's histories,
    which have none) by its file name."""
    from pyimagesearch import grid, results, runspec
    found = {}
    for entry in sorted(os.listdir(folder)):
        stem, ext = os.path.splitext(entry)
        if ext != ".pickle":
            continue
        path = os.path.join(folder, entry)
        history, error = None, None
        try:
            history = results.load_history(path)
        except ValueError as e:
            error = e
        record = runspec.from_history(history) if history is not None else None
        run = grid.from_record(record) if record else grid.parse_name(stem)
        if run is None:
            warn(f"{error}; skipped" if error else
                 f"{path}: holds no run record and is not named like a run "
                 "({model}_{optimizer}_{dataset}.pickle); skipped")
            continue
        if run in found:  # e.g. two files of one spec differing only in --learning-rate
            warn(f"{path}: the same run as {found[run][0]} (dataset, model, optimizer, seed); "
                 "skipped: keep such runs in separate folders")
            continue
        found[run] = (path, history, error)
    return found


def load_rows(folder):
    """Every run in ``folder``: (rows for the summary, their histories, and per (dataset,
    model, batch) the histories of each optimizer). Missing and damaged files are warned
    about by name and left out."""
    from pyimagesearch import grid, registry, results, rounds
    # the grid the outputs describe: every dataset x model x optimizer (x seed, x batching)
    # seen, taken apart for runs that vary the batching (study B) and runs that do not
    found = find_runs(folder)
    expected = []
    for family in ([r for r in found if r.batch is None], [r for r in found if r.batch is not None]):
        axes = [sorted({getattr(r, a) for r in family}, key=key)
                for a, key in (("dataset", lambda d: registry.order(registry.DATASETS, d)),
                               ("model", lambda m: registry.order(registry.MODELS, m)),
                               ("optimizer", lambda o: registry.order(registry.OPTIMIZERS, o)),
                               ("seed", lambda s: -1 if s is None else s),
                               ("batch", lambda b: (-1, 0) if b is None else
                                (0, 0) if b == "full" else (1, int(b))))]
        expected += [grid.Run(*combo) for combo in itertools.product(*axes)]

    # load what is there; report what is missing or damaged, and go on
    rows, histories, groups = [], [], defaultdict(lambda: defaultdict(list))
    # decide.py adds seeds only where a pair is undecided: the grid has holes by design
    rounds_ran = os.path.exists(os.path.join(folder, rounds.DESIGN_FILE))
    holes = 0
    for run in expected:
        if run not in found:
            holes += 1
            if not rounds_ran:
                warn(f"{grid.outputs(run, folder)[0]}: missing")
            continue
        history_path, history, error = found[run]
        if history is None:
            warn(f"{error}; skipped")
            continue
        report_path = os.path.splitext(history_path)[0] + ".txt"
        report = None
        if os.path.exists(report_path):
            try:
                report = results.load_report(report_path)
            except ValueError as e:
                warn(str(e))
        else:
            warn(f"{report_path}: missing; test accuracy left blank")
        groups[(run.dataset, run.model, run.batch)][run.optimizer].append(history)
        histories.append(history)
        rows.append({"dataset": run.dataset, "model": run.model, "batch": run.batch,
                     "optimizer": run.optimizer, "seed": run.seed,
                     **results.run_metrics(history, report)})

    if holes and rounds_ran:
        print(f"[INFO] {holes} seed x optimizer combinations not run: decide.py adds seeds only "
              "to the pairs still undecided")
    return rows, histories, groups


def write_tuning(rows, margin, folder):
    """Where optimizers were run at several settings (trials or a grid): tuning_curves.csv,
    and per problem a tuning-budget figure and, for searches over the learning rate, a
    sensitivity figure. Returns what was written (nothing for folders without trials)."""
    from pyimagesearch import figures, registry, storage, summary
    curves = summary.tuning_curves(rows)
    if not curves:
        return []
    storage.write_text(os.path.join(folder, "tuning_curves.csv"), summary.tuning_csv(curves))
    written = ["tuning_curves.csv"]
    by_problem = defaultdict(list)
    for row in curves:
        by_problem[(row["dataset"], row["model"])].append(row)
    flat = defaultdict(list)
    for s in summary.sensitivity(rows, margin):
        flat[(s["dataset"], s["model"])].append({**s, "width_text": summary.width_text(s)})
    for (dataset, model), members in by_problem.items():
        stem = f"{registry.label(model)}_{registry.label(dataset)}"
        figures.tuning_curve(members, model, dataset,
                             os.path.join(folder, f"tuning_{stem}.png"))
        written.append(f"tuning_{stem}.png")
        if flat.get((dataset, model)):
            figures.sensitivity(flat[(dataset, model)], model, dataset, margin,
                                os.path.join(folder, f"sensitivity_{stem}.png"))
            written.append(f"sensitivity_{stem}.png")
    return written


def margin_type(text):
    from pyimagesearch.cli import positive_float
    return positive_float(text)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("-i", "--input", required=True, help="folder of histories and reports")
    ap.add_argument("-p", "--plots", required=True, help="folder for figures and the summary")
    ap.add_argument("--margin", type=margin_type, default=None, metavar="M",
                    help="accuracy points: a difference smaller than M does not matter in "
                         "practice, so the verdict can be 'equivalent within ±M' (default "
                         "1.0, or the margin decide.py fixed for this folder)")
    args = ap.parse_args(argv)
    if not os.path.isdir(args.input):
        print(f"plot.py: error: --input {args.input}: not a directory", file=sys.stderr)
        return 2
    try:
        os.makedirs(args.plots, exist_ok=True)
    except OSError as e:
        print(f"plot.py: error: --plots {args.plots}: {e.strerror}", file=sys.stderr)
        return 2

    from pyimagesearch import figures, registry, rounds, storage, summary
    try:
        margin, plan = rounds.design(args.input, args.margin)
    except ValueError as e:
        print(f"plot.py: error: {e}", file=sys.stderr)
        return 2

    rows, histories, groups = load_rows(args.input)
    if not groups:
        print(f"plot.py: error: nothing to plot in {args.input} "
              "(no readable history named {model}_{optimizer}_{dataset}.pickle)", file=sys.stderr)
        return 1

    # one figure per model and dataset, as the original (and per batching, for study B)
    for (dataset, model, batch), by_optimizer in groups.items():
        stem = f"{registry.label(model)}_{registry.label(dataset)}"
        if batch is None:
            path = os.path.join(args.plots, f"{stem}.png")
            figures.comparison(by_optimizer, model, dataset, path)
        else:
            path = os.path.join(args.plots, f"{stem}_b{batch}.png")
            figures.learning_curves(by_optimizer, model, dataset, batch, path)
        print(f"[INFO] {path}")
    step_rows = [(r, h) for r, h in zip(rows, histories) if "iterations" in h]
    if step_rows:
        for name, draw in (("accuracy_vs_time.png", figures.accuracy_vs_time),
                           ("effort.png", figures.effort_ranking)):
            draw(step_rows, os.path.join(args.plots, name))
            print(f"[INFO] {os.path.join(args.plots, name)}")

    # the summary and the overview
    summary.add_time_to_target(rows, histories)
    storage.write_text(os.path.join(args.plots, "summary.csv"), summary.to_csv(rows))
    table = summary.verdict_table(rows, margin, plan)  # once: the summary, the CSV, the print
    storage.write_text(os.path.join(args.plots, "summary.md"),
                       summary.to_markdown(rows, margin=margin, plan=plan, table=table)
                       + summary.iterations_markdown(step_rows))
    storage.write_text(os.path.join(args.plots, "verdicts.csv"), summary.verdicts_csv(*table))
    written = write_tuning(rows, margin, args.plots)
    figures.overview(rows, os.path.join(args.plots, "overview.png"))
    print(f"[INFO] {len(groups)} figures, summary.md, summary.csv, verdicts.csv"
          f"{', ' + ', '.join(written) if written else ''} and overview.png in {args.plots}/")
    print("\n" + "\n".join(summary.verdict_markdown(rows, margin, plan, table)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
