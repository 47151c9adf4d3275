"""Pair the runs' histories into figures, and write a summary of the whole grid.

    python plot.py --input output --plots plots

For every model and dataset found in --input: plots/{model}_{dataset}.png with the
accuracy and loss curves of every optimizer; then plots/report.html (the whole grid on
one page), summary.csv, summary.md, verdicts.csv, runs.csv and epochs.csv (tidy tables
for pandas), overview.png, and, where optimizers were tried at several settings,
tuning_curves.csv with tuning and sensitivity figures. A missing or damaged file is a
warning naming it; the exit status is non-zero only when nothing at all could be plotted.
"""
import os
import sys
from collections import defaultdict

from pyimagesearch import environment
from pyimagesearch.cli import margin as margin_type, Once, OneLineParser, size
from pyimagesearch.runs import results, sources, storage
from pyimagesearch.stats.measure import available, direction

# The analysis (scipy, statsmodels, matplotlib: pyimagesearch.api, .stats, .outputs, and
# what imports them) is imported inside the functions that use it, once the arguments
# are read and environment.require_packages has said in one line what is missing: so
# --help and a bad flag answer at once, and a missing package is not a traceback.


def write_tuning(curves, flat, margin, folder):
    """Where optimizers were run at several settings (trials or a grid): tuning_curves.csv,
    and per problem a tuning-budget figure and, for searches over the learning rate, a
    sensitivity figure (``curves``, ``flat``: analysis.tuning_curves and .sensitivity).
    Returns what was written (nothing for folders without trials)."""
    # the analysis, imported here: see the top of this file
    from pyimagesearch.outputs import figures, summary
    if not curves:
        return []
    storage.write_text(os.path.join(folder, "tuning_curves.csv"), summary.tuning_csv(curves))
    written = ["tuning_curves.csv"]
    by_problem = defaultdict(list)
    for row in curves:
        by_problem[(row["dataset"], row["model"])].append(row)
    by_problem_flat = defaultdict(list)
    for s in flat:
        by_problem_flat[(s["dataset"], s["model"])].append({**s, "width_text": summary.width_text(s)})
    for (dataset, model), members in by_problem.items():
        stem = results.problem_stem(dataset, model)
        figures.tuning_curve(members, model, dataset,
                             os.path.join(folder, f"tuning_{stem}.png"))
        written.append(f"tuning_{stem}.png")
        if by_problem_flat.get((dataset, model)):
            figures.sensitivity(by_problem_flat[(dataset, model)], model, dataset, margin,
                                os.path.join(folder, f"sensitivity_{stem}.png"))
            written.append(f"sensitivity_{stem}.png")
    return written


def add_measure_arguments(ap):
    """--metric, --goal and --margin: what plot.py and decide.py compare."""
    ap.add_argument("--metric", default=None, metavar="NAME",
                    help="the metric the verdicts compare, its final value: test_accuracy "
                         "(default), val_accuracy, val_loss, train_loss, or any series the runs' "
                         "histories hold (your program's own)")
    ap.add_argument("--goal", choices=("max", "min"), default=None,
                    help="higher (max) or lower (min) is better (default: min where the name "
                         "says loss, error or perplexity, else max; the output says which)")
    ap.add_argument("--margin", type=margin_type, default=None, metavar="M",
                    help="a difference smaller than M does not matter in practice, so the "
                         "verdict can be 'equivalent within ±M': in the metric's units (accuracy "
                         "points for accuracies, default 1) or relative to the pair's median "
                         "(1%%: both optimizers' values at the first look); "
                         "other metrics need one (default: the one decide.py fixed)")
    ap.add_argument("--baseline", default=None, metavar="NAME",
                    help="compare each other optimizer against NAME only (k - 1 comparisons, "
                         "their family-wise error controlled over those), e.g. adamw; "
                         "default: every pair")
    ap.add_argument("--trials-by-name", action="store_true",
                    help="the settings of one optimizer name are its tuning trials (a --trials "
                         "grid written before runs recorded their family): the optimizers are "
                         "compared each at its setting selected on validation, not every "
                         "setting against every other")


def add_scale_arguments(ap):
    """--size-key, --trend-margin, --project-to: the trends of the speed-up and of the
    difference across the sizes of a series (plots/scale.csv)."""
    ap.add_argument("--size-key", metavar="NAME",
                    help="the logged value or parameter that is a run's size (default: the "
                         "n_params it logged); problems of different sizes form a series")
    ap.add_argument("--trend-margin", type=margin_type, default="5%", metavar="R",
                    help="a speed-up steady within R per doubling of size (default 5%%)")
    ap.add_argument("--project-to", type=size, metavar="SIZE",
                    help="project each trend to SIZE parameters (e.g. 1B), marked as an "
                         "extrapolation; at most 8 doublings beyond the largest size run")


def scale_options(args):
    return {"size_key": args.size_key, "trend_margin": args.trend_margin,
            "project_to": args.project_to}


def add_source_arguments(ap):
    """How runs logged elsewhere (a table, TensorBoard) are read: plot.py's and decide.py's."""
    group = ap.add_argument_group(
        "runs you already have (-i a .csv/.parquet table, mlflow:URI or a TensorBoard log "
        "directory)")
    group.add_argument("--optimizer-key", default=None, metavar="KEY",
                       help="the parameter that names the optimizer (default: optimizer, optim "
                            "or opt); every other parameter that varies makes a setting of its own")
    group.add_argument("--seed-key", default=None, metavar="KEY", help="the seed (default: seed)")
    group.add_argument("--problem-key", default=None, metavar="KEY",
                       help="the parameter that names the problem (default: one problem)")
    group.add_argument("--step-key", default=None, metavar="COLUMN",
                       help="a long table's step column (default: the first of step, epoch, "
                            "iteration, _step, global_step, trainer/global_step)")
    group.add_argument("--param-keys", default="", metavar="A,B",
                       help="a table's unmarked number columns that are parameters, not results "
                            "(lr, batch_size and the like are known; params./config. prefixes "
                            "say so too)")
    group.add_argument("--duplicates", choices=("refuse", "latest"), default="refuse",
                       help="two runs of one setting, problem and seed: refused (default), or "
                            "the later one kept")
    group.add_argument("--experiment", default=None, metavar="NAME",
                       help="-i mlflow:URI: the experiment (default: the one with runs)")
    group.add_argument("--leave-out-missing", action="store_true",
                       help="runs that did not log the metric are left out (named), not refused")


def read_runs(args, folder=None):
    """The runs ``args.input`` names (a folder of ours, or runs logged elsewhere: said in
    one line), decide.json kept beside them or, for runs logged elsewhere, in ``folder``
    (default: the plots folder)."""
    # the analysis, imported here: see the top of this file
    from pyimagesearch import api
    elsewhere = sources.source_of(args.input) is not None
    runs = api.load_runs(
        args.input, args.trials_by_name,
        sources.Keys(args.optimizer_key, args.seed_key, args.problem_key, args.duplicates,
                     args.experiment, args.step_key),
        tuple(k for k in args.param_keys.split(",") if k), args.metric, args.leave_out_missing,
        design_folder=(folder or args.plots) if elsewhere else None)
    print(f"[INFO] read {runs.read or args.input + ': ' + runs.count_line()}")
    return runs


def say_measure(measure, note):
    """The line that says which metric is judged when the grid chose it, not a flag."""
    if note:
        print(f"[INFO] judging {measure.name} ({direction(measure.goal)}), margin "
              f"{measure.margin_text()}: {note}; --metric NAME to judge another")


def main(argv=None):
    ap = OneLineParser(prog="plot.py", description=__doc__.split("\n")[0])
    ap.add_argument("-i", "--input", required=True, action=Once,
                    help="folder of histories and reports, or runs logged elsewhere")
    ap.add_argument("-p", "--plots", required=True, help="folder for figures and the summary")
    add_measure_arguments(ap)
    ap.add_argument("--target", type=float, default=None, metavar="X",
                    help="the speed-up's target value of the metric (default: for each pair, "
                         "the worse optimizer's worst final value at the first look, which "
                         "every run of both reached)")
    ap.add_argument("--speed-margin", type=margin_type, default="5%", metavar="R",
                    help="as fast within R (default 5%%): the speed-up's equivalence margin")
    ap.add_argument("--fixed", action="store_true",
                    help="a grid that will never add seeds: one look with all of alpha (by "
                         "default plot.py takes the first look of decide.py's plan, spending "
                         "its share, so that decide.py may add seeds later); recorded in "
                         "the folder's decide.json, so that decide.py then adds none")
    add_scale_arguments(ap)
    add_source_arguments(ap)
    args = ap.parse_args(argv)
    environment.require_packages("plot.py", environment.ANALYSIS_PACKAGES)
    # the analysis, imported here: see the top of this file
    from pyimagesearch import api
    from pyimagesearch.runs import rounds
    elsewhere = sources.source_of(args.input) is not None
    if args.experiment is not None and not args.input.startswith("mlflow:"):
        print(f"plot.py: error: --experiment {args.experiment}: only an MLflow store "
              f"(-i mlflow:URI) has experiments, not {args.input}", file=sys.stderr)
        return 2
    if not elsewhere and not os.path.isdir(args.input):
        print(f"plot.py: error: --input {args.input}: not a directory, a table (.csv, .parquet) "
              "or a TensorBoard log directory", file=sys.stderr)
        return 2
    if os.path.exists(args.plots) and not os.path.isdir(args.plots):
        print(f"plot.py: error: --plots {args.plots}: not a directory", file=sys.stderr)
        return 2
    try:
        runs = read_runs(args)
    except ValueError as e:
        print(f"plot.py: error: {e}", file=sys.stderr)
        return 2
    if not runs.rows:
        what = (runs.read if elsewhere else "no run here (neither train.py's histories, "
                "{model}_{optimizer}_{dataset}.pickle, nor a program's runs)")
        print(f"plot.py: error: nothing to compare in {args.input}: {what}", file=sys.stderr)
        return 1
    fixed_before = rounds.read(runs.folder)
    try:
        result = api.compare(runs, args.metric, args.goal, args.margin, args.baseline,
                             getattr(args, "race", False), args.fixed, args.target,
                             args.speed_margin, **scale_options(args))
    except ValueError as e:
        print(f"plot.py: error: {e}", file=sys.stderr)
        return 2
    try:  # made once there is something to write: a refusal leaves no folder behind
        os.makedirs(args.plots, exist_ok=True)
    except OSError as e:
        print(f"plot.py: error: --plots {args.plots}: {e.strerror}", file=sys.stderr)
        return 2
    measure, design = result.measure, result.design
    say_measure(measure, result.note)
    if not result.problems and measure.name not in available(runs.rows):
        print(f"[INFO] no verdict: no run here has {measure.name}"
              + (" (train.py's test report: no run has its .txt)"
                 if measure.name == "test_accuracy" else "")
              + f"; they have {', '.join(sorted(available(runs.rows))) or 'no metric'}: "
              "--metric NAME judges one; the figures and tables are written")
    if not elsewhere:
        rounds.explain_missing(args.input, list(runs.missing), bool(fixed_before))
    if args.fixed and not fixed_before:  # recorded, so that decide.py adds no seeds here
        rounds.start(runs.folder, measure, None, [], list(result.rows), kind="fixed")
        print(f"[INFO] a fixed design, one look with all of alpha: recorded in "
              f"{os.path.join(runs.folder, rounds.DESIGN_FILE)} (decide.py adds no seeds here)")
    if measure.goal_assumed:
        print(f"[INFO] --metric {measure.name}: {measure.better} taken as better (from its "
              "name); --goal max or min to say otherwise")
    if design.kind == "first look":
        print(f"[INFO] the first look: {design.spent():.1%} of alpha (its share of the looks at "
              f"{', '.join(map(str, design.plan))} seeds), so that decide.py may add seeds; "
              "plot.py --fixed spends all of it for a grid that will never add seeds")
    write(result, args.plots)
    return 0


def write(result, plots):
    """Every output of plot.py from the comparison (:func:`pyimagesearch.api.compare`)
    into the folder ``plots``: figures, summary, tables, page; and the verdicts printed."""
    # the analysis, imported here: see the top of this file
    from pyimagesearch import outputs
    from pyimagesearch.outputs import figures, report, scale as trends, summary
    from pyimagesearch.stats import analysis
    measure, design = result.measure, result.design
    rows, histories = list(result.rows), list(result.histories)
    margin = measure.points_margin
    groups = {}
    for row, history in zip(rows, histories):
        groups.setdefault((row["dataset"], row["model"], row["batch"]), {}).setdefault(
            row["optimizer"], []).append(history)
    table = (list(result.problems), list(result.overall))
    tuned = list(result.tuned_rows)
    tuned_table = None if result.tuned is None else (list(result.tuned),
                                                     list(result.tuned_overall))
    speed_rows = list(result.speed_rows)
    tuned_speed = None if result.tuned_speed_rows is None else list(result.tuned_speed_rows)
    left_out = list(result.left_out)

    # one figure per model and dataset, as the original (and per batching, for study B)
    for (dataset, model, batch), by_optimizer in groups.items():
        path = os.path.join(plots, f"{results.figure_stem(dataset, model, batch)}.png")
        if batch is None:
            figures.comparison(by_optimizer, model, dataset, path)
        else:
            figures.learning_curves(by_optimizer, model, dataset, batch, path)
        print(f"[INFO] {path}")
    step_rows = [(r, h) for r, h in zip(rows, histories) if "iterations" in h]
    if step_rows:
        for name, draw in (("accuracy_vs_time.png", figures.accuracy_vs_time),
                           ("effort.png", figures.effort_ranking)):
            draw(step_rows, os.path.join(plots, name))
            print(f"[INFO] {os.path.join(plots, name)}")

    # the tables, found by name (pyimagesearch.outputs); every setting's speed-ups in
    # speedups.csv, while the page shows a tuned grid's tuned optimizers' (their own family)
    for name, table_text in outputs.TABLES.items():
        storage.write_text(os.path.join(plots, name), table_text(result))
    storage.write_text(os.path.join(plots, "summary.md"),
                       summary.to_markdown(rows, margin=margin, design=design, table=table,
                                           tuned_table=tuned_table, measure=measure,
                                           speed_rows=speed_rows, left_out=left_out)
                       + "".join(f"{line}\n" for line in trends.scale_markdown(list(result.scale)))
                       + summary.iterations_markdown(step_rows))
    if trends.figure(list(result.scale), os.path.join(plots, "scale.png")):
        print(f"[INFO] {os.path.join(plots, 'scale.png')}")
    curves, flat = analysis.tuning_curves(rows), analysis.sensitivity(rows, margin)
    written = write_tuning(curves, flat, margin, plots)
    figures.overview(rows, os.path.join(plots, "overview.png"), measure)
    storage.write_text(os.path.join(plots, "report.html"), report.page(
        rows, histories, groups, table, measure, design, plots,
        # the folder by its name: a page (or a picture of it) does not show the machine's paths
        title=f"Optimizer comparison: {os.path.basename(os.path.normpath(result.runs.source))}", curves=curves,
        sensitivity=flat, tuned_table=tuned_table, left_out=left_out,
        speed_rows=speed_rows if tuned_speed is None else tuned_speed,
        scale_rows=list(result.scale)))
    print(f"[INFO] report.html, {len(groups)} figures, summary.md, {', '.join(outputs.TABLES)}"
          f"{', ' + ', '.join(written) if written else ''} and overview.png in {plots}/")
    if len({r["optimizer"] for r in tuned}) > 1:  # settings of one optimizer are not rivals:
        # print the tuned optimizers' answer
        print(f"\n[INFO] {len(table[0])} comparisons of every setting with every other: "
              "summary.md and report.html; each optimizer at its setting selected on validation:")
        print("\n" + "\n".join(summary.verdict_markdown(tuned, margin, design, tuned_table,
                                                          measure)))
    else:
        print("\n" + "\n".join(summary.verdict_markdown(rows, margin, design, table, measure)))
    shown = speed_rows if tuned_speed is None else tuned_speed  # the tuned ones, if tuned
    if shown:
        print("\n[INFO] speed-up (speedups.csv): " + "; ".join(r["text"] for r in shown[:6])
              + ("; ..." if len(shown) > 6 else ""))
    elif table[0]:  # never a silent empty table: say why there is no speed-up
        # the analysis, imported here: see the top of this file
        from pyimagesearch.stats import speed
        flat = speed.without_curves(rows, histories, measure)
        print(f"\n[INFO] speedups.csv: no speed-up: {len(flat)} of {len(rows)} runs logged "
              f"{measure.name} at fewer than two steps (no curve to time), e.g. "
              f"{', '.join(flat[:3])}" if flat else
              "\n[INFO] speedups.csv: no speed-up: no pair has curves on seeds both ran")
    fitted = [r for r in result.scale if r["method"]]
    if fitted:
        print("\n[INFO] across sizes (scale.csv):\n" + "\n".join(
            f"- {trends.trend_text(r)}" for r in fitted))
    return 0


if __name__ == "__main__":
    sys.exit(main())
