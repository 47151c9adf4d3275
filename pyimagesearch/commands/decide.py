"""Run more seeds only where a pair of optimizers is still undecided, round after round.

    python decide.py --input output [--plots plots] [--max-seeds 20] [--metric NAME] \
        [--goal max|min] [--margin M] [--baseline NAME | --race] \
        [--launcher local|parallel|slurm|ray]

Takes a finished grid's folder, writes its verdicts as plot.py does, and where a pair is
undecided trains the recorded runs of both optimizers with new seeds, up to the next look
of a schedule fixed before the first round (decide.json), until every pair is decided or
the cap is reached. Under Slurm it submits the round and exits: run it again when the
round has finished. Killed mid-round, it is simply run again: the round is finished
(train.py skips finished runs and resumes checkpoints) and no look is taken twice.
--baseline compares each other optimizer with NAME only; --race looks for the best, an
optimizer decided worse than another leaving. On a tuned grid each optimizer's setting is
selected on validation from the seeds run and fixed before the first round.
"""
import dataclasses
import os
import subprocess
import sys

from pyimagesearch import environment
from pyimagesearch.cli import Once, OneLineParser, positive_int
from pyimagesearch.commands import plot
from pyimagesearch.commands.combinations import add_ray_arguments
from pyimagesearch.commands.plot import (add_measure_arguments, add_scale_arguments,
                                         add_source_arguments, read_runs, say_measure,
                                         scale_options)
from pyimagesearch.launch import launchers
from pyimagesearch.program import wrap
from pyimagesearch.runs import results, sources, storage
from pyimagesearch.runs.sources import tensorboard

# The analysis (scipy, statsmodels, matplotlib: pyimagesearch.api, .stats, .outputs, and
# what imports them) is imported inside the functions that use it, once the arguments
# are read and environment.require_packages has said in one line what is missing: so
# --help and a bad flag answer at once, and a missing package is not a traceback.

# decide.py runs a round here one after another ("local": the sh launcher), or hands it on
LAUNCHERS = ("local",) + tuple(name for name in launchers.TABLE if name != "sh")


def parse_args(argv=None):
    ap = OneLineParser(prog="decide.py", description=__doc__.split("\n")[0])
    ap.add_argument("-i", "--input", required=True, action=Once,
                    help="the grid's output folder, or runs logged elsewhere (with --ask)")
    ap.add_argument("-p", "--plots", default=None,
                    help="folder for the figures and verdicts (default: beside --input, named after "
                         "it: output -> output_plots)")
    ap.add_argument("--max-seeds", type=positive_int, default=None,
                    help="seeds per optimizer at most (default 20)")
    add_measure_arguments(ap)  # --metric, --goal, --margin: fixed in decide.json at the first call
    ap.add_argument("--race", action="store_true",
                    help="the best of k: at each look an optimizer decided worse than another "
                         "leaves (gets no more seeds); the survivors go on until one is better "
                         "than every other, they are equivalent within the margin, or the cap")
    ap.add_argument("--launcher", choices=LAUNCHERS, default="local",
                    help="local: one run after another, here; parallel: GNU parallel "
                         "(--jobs at once); slurm: an sbatch array per round; ray: each run a "
                         "Ray task (--ray-address, --gpus-per-run)")
    ap.add_argument("--jobs", type=positive_int, default=1, help="parallel: runs at once")
    add_ray_arguments(ap)
    ap.add_argument("--ask", action="store_true",
                    help="take the look and write the next round's runs (next_runs.csv in the "
                         "plots folder, and printed) instead of running them: run them however "
                         "you run things, then decide.py again; the only way for runs logged "
                         "elsewhere (a table, TensorBoard)")
    add_scale_arguments(ap)
    add_source_arguments(ap)
    args = ap.parse_args(argv)
    environment.require_packages("decide.py", environment.ANALYSIS_PACKAGES)
    args.elsewhere = sources.source_of(args.input) is not None
    if not args.elsewhere and not os.path.isdir(args.input):
        ap.error(f"--input {args.input}: not a directory, a table (.csv, .parquet) or a "
                 "TensorBoard log directory")
    if args.experiment is not None and not args.input.startswith("mlflow:"):
        ap.error(f"--experiment {args.experiment}: only an MLflow store (-i mlflow:URI) has "
                 f"experiments, not {args.input}")
    if args.elsewhere and not args.ask:
        ap.error(f"--input {args.input}: runs logged elsewhere are not run from here: add "
                 "--ask to get the next round's runs as a table")
    return args


def default_plots(folder):
    """The plots folder beside a grid's folder, named after it (output -> output_plots), so
    that two grids side by side never write over each other's verdicts."""
    folder = folder.removeprefix(tensorboard.PREFIX)
    if os.path.isfile(folder):  # a table: runs.csv -> runs_plots
        folder = os.path.splitext(folder)[0]
    return os.path.abspath(folder).rstrip(os.sep) + "_plots"


def fail(message):
    print(f"decide.py: error: {message}", file=sys.stderr)
    return 2


def one_optimizer(folder, rows):
    return (f"--input {folder}: one optimizer only "
            f"({', '.join(sorted({r['optimizer'] for r in rows})) or 'no runs'}): nothing to compare")


def launch(args, specs, look, metric=None):
    """Run one round's new runs through the chosen launcher; returns its exit status
    (None for Slurm: submitted, to be awaited by the user)."""
    # the analysis, imported here: see the top of this file
    from pyimagesearch.launch import next_round
    from pyimagesearch.runs import rounds
    pairs = [next_round.train_line(spec, args.input) for spec in specs]
    runs, lines = [p[0] for p in pairs], [p[1] for p in pairs]
    rounds.record_round(args.input, look, [run.name for run in runs])
    script = os.path.join(args.input, f"decide_round{look}.sh")
    name = "sh" if args.launcher == "local" else args.launcher
    storage.write_text(script, launchers.script(
        name, runs, args.input, lines, logs=True, jobs=args.jobs, job_name=f"decide{look}",
        joblog=os.path.join(args.input, f"decide_round{look}.joblog"),
        ray_address=args.ray_address, gpus_per_run=args.gpus_per_run,
        cpus_per_run=args.cpus_per_run))
    os.chmod(script, 0o755)
    print(f"[INFO] round {look}: {len(runs)} runs ({script})", flush=True)
    submit = launchers.TABLE[name].submit
    if submit:  # a scheduler runs the round later
        done = subprocess.run([*submit, script], text=True, capture_output=True,
                              env=dict(os.environ, **({wrap.JUDGED: metric} if metric else {})))
        if done.returncode:
            raise RuntimeError(f"{submit[0]} {script} failed: {done.stderr.strip()}")
        print(f"[INFO] {done.stdout.strip()}; run decide.py again when it has finished")
        return None
    # the round's lines say `python`, as a grid's do: this interpreter's, activated or not
    env = dict(os.environ, PATH=os.path.dirname(sys.executable) + os.pathsep + os.environ.get("PATH", ""))
    if metric:  # a program's progress lines show the metric decided, not only the grid's
        env[wrap.JUDGED] = metric
    return subprocess.run(["sh", script], env=env).returncode


def main(argv=None):
    args = parse_args(argv)
    try:
        return decide(args)
    except KeyboardInterrupt:  # Ctrl-C: the runs stop at a safe point; nothing is lost
        print("\ndecide.py: interrupted; finished runs are kept and an interrupted run resumes "
              "from its checkpoint: run the same command again to go on", file=sys.stderr)
        return 130


class Refused(ValueError):
    """What decide.py refuses, in one line (exit 2)."""


def decide(args):
    try:
        return rounds_until_decided(args)
    except Refused as e:
        return fail(e)


def opening(args, rows, where):
    """(measure, the design kept in ``where`` or None): decide.json's, or the flags' and
    the grid's before the first round; Refused for what cannot go on."""
    # the analysis, imported here: see the top of this file
    from pyimagesearch import api
    from pyimagesearch.launch import next_round
    from pyimagesearch.runs import rounds
    try:
        measure, design, note = api.choose_measure(
            where, rows, args.metric, args.goal, args.margin, args.baseline, args.race,
            args.max_seeds)
    except ValueError as e:
        raise Refused(e) from None
    if design is None:
        say_measure(measure, note)
    if design is not None and design.kind == "fixed":
        raise Refused(f"--input {args.input}: its design is fixed (one look with all of alpha, "
                      f"plot.py --fixed, {rounds.DESIGN_FILE}): seeds added now would be tested "
                      "with alpha already spent; start a new folder to decide by rounds")
    scripts = [] if args.elsewhere else next_round.round_scripts(args.input)
    if design is None and scripts:
        raise Refused(f"--input {args.input}: has decide.py's round scripts "
                      f"({os.path.basename(scripts[0])}, ...) but no {rounds.DESIGN_FILE}: its "
                      "looks were taken under a design now lost, and a new one would spend "
                      f"alpha again after a peek; restore {rounds.DESIGN_FILE}, or copy the "
                      "grid's own runs (not the rounds') to a new folder to start over")
    return measure, design


def first_look(args, rows, measure, cap, where):
    """Fix the design in decide.json and take look 0 (the grid as run): on a tuned grid
    each optimizer's setting is selected on validation now, once. Returns (measure with
    its baseline resolved, design)."""
    # the analysis, imported here: see the top of this file
    from pyimagesearch.runs import rounds
    from pyimagesearch.stats import analysis, verdicts
    chosen = analysis.tuned_selection(rows)
    selection = {(s["dataset"], s["model"], s["optimizer"]): s["chosen"] for s in chosen
                 } if any(s["budget"] > 1 for s in chosen) else {}
    compare = analysis.tuned_rows(rows) if selection else rows
    if measure.baseline:
        try:
            measure = dataclasses.replace(measure, baseline=analysis.resolve_baseline(
                compare, measure.baseline))
        except ValueError as e:
            raise Refused(e) from None
    counts = analysis.seed_counts(compare, measure)
    if not counts:
        raise Refused(one_optimizer(args.input, rows))
    if max(counts) > cap:
        raise Refused(f"--max-seeds {cap}: {args.input} already has {max(counts)} seeds of a "
                      "pair; give at least that many")
    plan = analysis.default_plan(counts, cap, verdicts.RACE_LOOKS if measure.race
                                 else verdicts.LOOKS)
    if min(counts) < plan[0]:
        # the grid as run has too few seeds to test (a tuning grid on one seed): its look
        # spends no alpha, and the first round brings every pair to plan[0] (without this,
        # --max-seeds 3 spent all of alpha on the one-seed grid and added nothing)
        plan = [min(counts)] + plan
    design = rounds.start(where, measure, cap, plan, rows, tuned=selection,
                          trials_by_name=args.trials_by_name)
    print(f"[INFO] {rounds.DESIGN_FILE}: {measure.sentence()}; margin "
          f"{measure.margin_text()}; looks at {', '.join(map(str, plan))} seeds "
          f"(alpha {', '.join(f'{w:.1%}' for w in design.weights)}); look 0: the grid as run")
    if selection:
        print(f"[INFO] {rounds.DESIGN_FILE}: each optimizer's tuned setting, selected on "
              "validation from the seeds run and fixed now (only they get new seeds): "
              + "; ".join(f"{o} on {d} / {m}: {c}" for (d, m, o), c in selection.items()))
    return measure, design


def records_of(rows, histories, compare, undecided):
    """{(dataset, model, optimizer): a run record of it} for the undecided comparisons'
    optimizers (a tuned optimizer's: its chosen setting's); Refused where a run has none."""
    by_setting = {(*results.problem(r), r["optimizer"]): h["run"]
                  for r, h in zip(rows, histories) if isinstance(h.get("run"), dict)}
    records = {(*results.problem(r), r["optimizer"]):
               by_setting[(*results.problem(r), r.get("setting", r["optimizer"]))]
               for r in compare if (*results.problem(r), r.get("setting", r["optimizer"]))
               in by_setting}
    lacking = [p for p in undecided if (p["dataset"], p["model"], p["a"]) not in records
               or (p["dataset"], p["model"], p["b"]) not in records]
    if lacking:
        raise Refused(f"{lacking[0]['dataset']} / {lacking[0]['model']}: runs without a run "
                      "record (from before records existed) cannot be run again with new seeds")
    return records


def rounds_until_decided(args):
    """Look, and where a comparison is undecided run the next round, until every one is
    decided or the plan's last look; then write the verdicts."""
    # the analysis, imported here: see the top of this file
    from pyimagesearch.launch import next_round
    from pyimagesearch.outputs import summary
    from pyimagesearch.runs import rounds
    from pyimagesearch.stats import analysis, verdicts
    plots = args.plots or default_plots(args.input)
    # decide.json beside the runs; for runs logged elsewhere, in the plots folder
    where = plots if args.elsewhere else args.input
    runs = read(args, where)  # the plots folder is made when decide.json is first written
    rows, histories = [dict(r) for r in runs.rows], list(runs.histories)
    measure, design = opening(args, rows, where)
    try:  # a bad --size-key or --project-to now, not after the rounds
        # the analysis, imported here: see the top of this file
        from pyimagesearch.stats import scale
        scale.check(rows, histories, args.size_key, args.project_to)
    except ValueError as e:
        raise Refused(e) from None
    cap = args.max_seeds or (verdicts.MAX_SEEDS if design is None else None)
    while True:
        if design is None:  # the first call fixes the design and takes the first look
            measure, design = first_look(args, rows, measure, cap, where)
        else:
            _, design = rounds.design(where, measure, rows=rows)
        selection = rounds.fixed_selection(where, rows)
        # on a tuned grid the comparisons are the tuned optimizers' (each at its fixed setting)
        compare = analysis.tuned_rows(rows) if selection else rows
        problems, _ = summary.verdict_table(compare, measure.points_margin, design, measure)
        if not problems:
            raise Refused(one_optimizer(args.input, rows))
        # a race's comparisons with a side that left get no more seeds
        undecided = [p for p in problems if p["verdict"] == "undecided" and p["learned"]
                     and p.get("a_left") is None and p.get("b_left") is None]
        look = design.taken()
        if not undecided or look >= len(design.plan):
            break
        records = records_of(rows, histories, compare, undecided)
        wanted = rounds.wanted_runs(compare, records, undecided, design.plan[look])
        if wanted and args.ask:
            return ask(args, wanted, look, design, plots)
        if wanted:
            status = run_round(args, [next_round.spec_of(r, s) for r, s in wanted], look,
                               measure)
            if status is not None:
                return status
            runs = read(args, where)
            rows, histories = [dict(r) for r in runs.rows], list(runs.histories)
        else:
            print(f"[INFO] look {look}: no runs to add (every undecided pair has "
                  f"{design.plan[look]} seeds or more)")
        design = rounds.take_look(where, rows)
        print(f"[INFO] look {look} taken ({design.spent():.1%} of alpha spent)", flush=True)
    return write(args, plots, runs)


def read(args, where):
    """The runs as they stand (:class:`pyimagesearch.api.Runs`): a folder of ours, or runs
    logged elsewhere read anew (said in one line); the analysis works on copies of its rows,
    the last look's read is what the verdicts are written from."""
    # the analysis, imported here: see the top of this file
    from pyimagesearch import api
    try:
        return read_runs(args, where) if args.elsewhere else \
            api.load_runs(args.input, args.trials_by_name)
    except ValueError as e:
        raise Refused(e) from None


def ask(args, wanted, look, design, plots):
    """The next round as a table (next_runs.csv in ``plots``, and printed), not run:
    decide.py takes look ``look`` when they have finished and it is called again."""
    # the analysis, imported here: see the top of this file
    from pyimagesearch.launch import next_round
    columns, rows = next_round.next_run_rows(wanted, None if args.elsewhere else args.input)
    path = os.path.join(plots, "next_runs.csv")
    text = results.csv_text(columns, rows)
    os.makedirs(plots, exist_ok=True)
    storage.write_text(path, text)
    print(f"[INFO] look {look} needs {len(rows)} more runs ({design.plan[look]} seeds a "
          f"pair): {path}; run them however you run things, then decide.py again with the same "
          "arguments (it reads the runs anew and takes the look)\n" + text, end="", flush=True)
    return 0


def run_round(args, specs, look, measure):
    """Launch a round's runs; None when they finished here, else decide.py's exit status
    (0: handed to a scheduler, to be awaited; 2: some runs failed)."""
    script = os.path.join(args.input, f"decide_round{look}.sh")
    if args.launcher != "local" and launchers.TABLE[args.launcher].submit \
            and os.path.exists(script):
        print(f"[INFO] round {look} was submitted ({script}) and {len(specs)} of its runs "
              "have not finished: wait for its jobs (squeue), or resubmit it with sbatch "
              "if they failed; then run decide.py again")
        return 0
    status = launch(args, specs, look, measure.name)
    if status is None:
        return 0
    if status != 0:
        return fail(f"round {look}: some runs failed (see the lines above and their logs); "
                    "fix them and run decide.py again: finished runs are kept")
    return None


def write(args, plots, runs):
    """The verdicts as they stand after the last look, from ``runs`` as it read them:
    plot.py's outputs in ``plots``, and a race's best named last."""
    # the analysis, imported here: see the top of this file
    from pyimagesearch import api
    from pyimagesearch.outputs import summary
    from pyimagesearch.runs import rounds
    try:
        os.makedirs(plots, exist_ok=True)
    except OSError as e:
        return fail(f"--plots {plots}: {e.strerror or e}")
    try:
        result = api.compare(runs, **scale_options(args))
    except ValueError as e:
        return fail(e)
    if not args.elsewhere:
        rounds.explain_missing(args.input, list(result.runs.missing), True)
    plot.write(result, plots)
    if result.measure.race:  # the last lines name the best
        print("\n" + "\n".join(f"- Race: {summary.race_answer(standing, result.measure)}."
                                for standing in result.race))
    return 0


if __name__ == "__main__":
    sys.exit(main())
