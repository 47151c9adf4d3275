"""Write the shell script of the grid: one train.py line per run.

    python combinations.py --output output --script experiments.sh
    ./experiments.sh

With only those flags it writes the original study's 24 runs, line for line.
"""
import argparse
import contextlib
import io
import os
import shlex
import stat
import sys
import tomllib

from pyimagesearch import grid, registry, specs
from pyimagesearch.cli import (margin as margin_type, OneLineParser, positive_float, positive_int,
                               size, spec_list)
from pyimagesearch.commands import train
from pyimagesearch.data import datasets as data
from pyimagesearch.launch import launchers
from pyimagesearch.program import command
from pyimagesearch.runs import storage
from pyimagesearch.stats import measure


def seed_list(text):
    try:
        seeds = [int(s) for s in text.split(",") if s.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a comma-separated list of integers") from None
    if not seeds or any(s < 0 for s in seeds) or len(set(seeds)) != len(seeds):
        raise argparse.ArgumentTypeError(f"{text!r}: give distinct non-negative integers")
    return seeds


def gpu_list(text):
    gpus = [g.strip() for g in text.split(",") if g.strip()]
    if not gpus or not all(g.isdigit() for g in gpus):
        raise argparse.ArgumentTypeError(f"{text!r}: give GPU numbers, e.g. 0,1,2,3")
    return gpus


def add_grid_arguments(ap):
    """What the grid is: a preset, or your datasets, models, optimizers and trials, seeds."""
    ap.add_argument("--preset", choices=registry.PRESETS, default="original",
                    help="original: the study's 24 runs (default); ablation: + adam_sched and "
                         "radam_nosched, which separate RAdam's rectification from its schedule; "
                         "flux: study B's 18 MLP runs; modern: adam, radam, adamw, lion, muon "
                         "and schedulefreeadamw at their Keras defaults; tuned: adam, radam, "
                         "radam_nosched, adamw at 3 learning rates each (x1/3, x1, x3), for "
                         "--seeds and --train-args \"--validation-split 0.1\"; search: the same "
                         "four, learning rate log-uniform over two decades around each default, "
                         "8 trials each; lm: adamw, muon, lion and schedulefreeadamw on gpt and "
                         "text (a small transformer on the standard library's source), searched "
                         "as search does, seeds 0,1,2; lm-scale: adamw and muon on gpt at "
                         "widths 32, 64 and 128, each on 5 learning rates 2x apart at every "
                         "width, seed 0 (decide.py adds seeds; plot.py gives the trend over "
                         "sizes)")
    ap.add_argument("--datasets", type=spec_list(registry.resolve_dataset, "dataset"),
                    help="comma-separated names, folder:PATH or npz:PATH (default: the preset's)")
    ap.add_argument("--models", type=spec_list(registry.resolve_model, "model"),
                    help="comma-separated names or package.module:callable; gpt with its shape: "
                         "gpt(width=64), gpt(width=256, layers=8) (default: the preset's)")
    ap.add_argument("--optimizers", type=spec_list(specs.parse, "optimizer"),
                    help="comma-separated optimizer specs; a [list] value is a grid: "
                         "\"adam(learning_rate=[1e-4,3e-4,1e-3]), lion(learning_rate=[3e-5,1e-4])\" "
                         "writes 5 runs per model and dataset; loguniform(lo, hi), uniform(lo, hi) "
                         "and choice(a, b, ...) are search spaces for --trials (default: the "
                         "preset's)")
    ap.add_argument("--trials", type=positive_int,
                    help="draw T settings from every optimizer's search space (a Latin "
                         "hypercube: the same budget for each, one trial in each T-th of every "
                         "range), e.g. \"adam(learning_"
                         "rate=loguniform(1e-4, 1e-2), beta_1=uniform(0.8, 0.99))\" --trials 8 "
                         "(default: the preset's)")
    ap.add_argument("--tune", action="store_true",
                    help="the settings of each [list] grid are one optimizer's tuning trials: "
                         "the summary then compares each optimizer at its setting selected on "
                         "validation (as --trials and the tuned preset do); without it every "
                         "setting is a rival of its own")
    ap.add_argument("--search-seed", type=int, default=0,
                    help="seeds the trials' quasi-random sequence: the same command always "
                         "writes the same trials (default 0)")
    ap.add_argument("--seeds", type=seed_list,
                    help="comma-separated, e.g. 0,1,2: every run once per seed, named ..._s{seed}")
    ap.add_argument("--budget-scale", type=float, default=1.0,
                    help="multiply the preset's iteration budgets (flux: 4,000 full-batch, "
                         "2,048,000 otherwise), e.g. 0.01 for a quick look")


def add_launcher_arguments(ap):
    """--launcher and each launcher's own flags."""
    launch = ap.add_argument_group("launchers (running the grid on many GPUs or a cluster)")
    launch.add_argument("--launcher", choices=launchers.LAUNCHERS, default="sh",
                        help="sh: the original script (default); parallel: GNU parallel on one "
                             "machine; slurm: an sbatch job array; ray: each run a Ray task")
    launch.add_argument("--logs", action="store_true",
                        help="sh: send each run's output to {output}/{run}.log "
                             "(parallel and slurm always do)")
    launch.add_argument("--gpus", type=gpu_list,
                        help="parallel: one run per GPU at a time, e.g. 0,1,2,3; a GPU named "
                             "twice holds two runs at once (0,0,1,1), which then allocate GPU "
                             "memory as they need it")
    launch.add_argument("--jobs", type=positive_int, help="parallel: runs at once (without --gpus)")
    launch.add_argument("--gres-gpu", action="store_true", help="slurm: #SBATCH --gres=gpu:1")
    launch.add_argument("--partition", help="slurm: #SBATCH --partition")
    launch.add_argument("--time", help="slurm: #SBATCH --time, e.g. 04:00:00")
    launch.add_argument("--throttle", type=positive_int,
                        help="slurm: at most N array tasks at once (--array=0-K%%N)")
    launch.add_argument("--sbatch", action="append", default=[], metavar="LINE",
                        help="slurm: an extra #SBATCH line (repeatable); write it as --sbatch=--mem=16G")
    add_ray_arguments(launch)


def add_ray_arguments(group):
    """The ray launcher's flags (combinations.py and decide.py)."""
    group.add_argument("--ray-address", metavar="ADDRESS",
                       help="ray: a running cluster's address (ray start --head prints it; auto: "
                            "the one on this machine); default: a local Ray started by the script")
    group.add_argument("--gpus-per-run", type=positive_float, default=None, metavar="G",
                       help="ray: GPUs each run holds (0.5: two runs share a GPU; default 0)")
    group.add_argument("--cpus-per-run", type=positive_float, default=None, metavar="C",
                       help="ray: CPUs each run holds (default 1)")


def add_program_arguments(ap):
    """--command and what a grid over your own program needs: its metric, goal, margin."""
    own = ap.add_argument_group("your own training program (instead of train.py)")
    own.add_argument("--command", metavar="TEMPLATE",
                     help="the command that trains once, with placeholders {optimizer}, {args} "
                          "(--name value pairs), {NAME} (one argument), {seed}, {run_dir} and "
                          "{problem}: e.g. \"python mine.py --opt {optimizer} {args} --seed {seed} "
                          "--out {run_dir}\"; its metrics are read from the files it writes in "
                          "{run_dir} (metrics.jsonl, Lightning's metrics.csv, trainer_state.json, "
                          "TensorBoard events) or its last line of output as JSON")
    own.add_argument("--metric", help="with --command: the metric the verdicts compare (its "
                                      "final value), e.g. val_acc or val_loss; plot.py and "
                                      "decide.py judge it unless told otherwise")
    own.add_argument("--goal", choices=("max", "min"), default=None,
                     help="with --command: higher (max) or lower (min) is better (default: min "
                          "where the metric's name says loss, error or perplexity, else max)")
    own.add_argument("--margin", type=margin_type, default=None, metavar="M",
                     help="with --command: differences smaller than M do not matter, in the "
                          "metric's units (0.02) or relative to the pair's median (1%%); accuracies "
                          "default to 1 point, any other metric needs one here or at plot.py")
    own.add_argument("--problems", type=lambda text: [p.strip() for p in text.split(",") if p.strip()],
                     help="with --command: comma-separated names for {problem}, each a "
                          "problem of the verdicts (a program that trains several models or "
                          "datasets)")
    own.add_argument("--sizes", type=lambda text: [size(t) for t in text.split(",") if t.strip()],
                     metavar="N,N,...",
                     help="with --problems: each problem's size in parameters (e.g. 1M,2M,4M), "
                          "recorded as its runs' n_params: the trend over sizes (plot.py "
                          "--project-to) for a program that logs none")
    own.add_argument("--timeout", type=positive_float, default=None, metavar="SECONDS",
                     help="with --command: a run taking longer fails")


def parse_args(argv=None):
    ap = OneLineParser(prog="combinations.py", description=__doc__.split("\n")[0])
    ap.add_argument("-o", "--output", help="folder the runs write their outputs to (required)")
    ap.add_argument("-s", "--script", help="path of the shell script to write (required)")
    add_grid_arguments(ap)
    add_launcher_arguments(ap)
    add_program_arguments(ap)
    ap.add_argument("--experiment", metavar="FILE.toml",
                    help="the grid as a file kept in your repository: command, metric, "
                         "optimizers, seeds, problems, trials, output, script, launcher, ... "
                         "(the flags' names; flags given too win)")
    ap.add_argument("--tensorboard", metavar="DIR",
                    help="every run logs for TensorBoard to DIR/{run} (tensorboard --logdir DIR)")
    ap.add_argument("--train-args", default="",
                    help='appended verbatim to every line, e.g. "--epochs 3 --train-limit 500"')
    argv = list(sys.argv[1:] if argv is None else argv)
    early = argparse.ArgumentParser(add_help=False)
    early.add_argument("--experiment")
    known = early.parse_known_args(argv)[0]
    if known.experiment:
        try:
            argv = experiment_argv(known.experiment) + argv  # flags given after win
        except ValueError as e:
            ap.error(f"--experiment {known.experiment}: {e}")
    args = ap.parse_args(argv)
    for flag in ("output", "script"):
        if not getattr(args, flag):
            ap.error(f"the following arguments are required: --{flag}")
    if args.command is not None:
        return program_args(ap, args)
    if args.metric or args.goal or args.margin or args.problems or args.timeout or args.sizes:
        ap.error("--metric, --goal, --margin, --problems, --sizes and --timeout are for --command "
                 "(your own program); train.py's runs are judged by plot.py's and decide.py's flags")
    check_launcher_flags(ap, args)
    # grids and searches expanded into concrete settings now, before anything is written
    preset = registry.PRESETS[args.preset]
    trials = args.trials or (None if args.optimizers else preset.trials)
    try:
        # a preset's grid is a tuning budget by design; a grid of the user's, when --tune says so
        args.optimizers, args.family = grid.expand_optimizers(
            args.optimizers or preset.optimizers, trials, args.search_seed,
            tune=args.tune or not args.optimizers)
    except specs.SpecError as e:
        ap.exit(2, f"{ap.prog}: error: argument --optimizers: {e}\n")
    return args


# each launcher's own flags: given with another launcher, they would silently do nothing
LAUNCHER_FLAGS = {"parallel": ("gpus", "jobs"),
                  "slurm": ("gres_gpu", "partition", "time", "throttle", "sbatch"),
                  "ray": ("ray_address", "gpus_per_run", "cpus_per_run")}


def check_launcher_flags(ap, args):
    for launcher, flags in LAUNCHER_FLAGS.items():
        given = [f for f in flags if getattr(args, f)]
        if args.launcher != launcher and given:
            ap.error(f"{', '.join('--' + f.replace('_', '-') for f in given)}: "
                     f"for --launcher {launcher}")
    if args.gpus and args.jobs:
        ap.error("give --gpus or --jobs, not both")


EXPERIMENT_KEYS = {"command", "metric", "goal", "margin", "optimizers", "seeds", "problems", "sizes", "trials",
                   "search_seed", "timeout", "tune", "output", "script", "launcher", "logs",
                   "gpus", "jobs", "gres_gpu", "partition", "time", "throttle", "sbatch",
                   "ray_address", "gpus_per_run", "cpus_per_run"}


def experiment_argv(path):
    """combinations.py's flags from a TOML file (the standard library's tomllib): keys are
    the flags' names with underscores; lists for optimizers, seeds, problems, gpus."""
    try:
        with open(path, "rb") as f:
            table = tomllib.load(f)
    except OSError as e:
        raise ValueError(e.strerror or str(e)) from None
    except tomllib.TOMLDecodeError as e:
        raise ValueError(f"not TOML ({e})") from None
    unknown = sorted(set(table) - EXPERIMENT_KEYS)
    if unknown:
        raise ValueError(f"unknown key {unknown[0]!r} (keys: {', '.join(sorted(EXPERIMENT_KEYS))})")
    out = []
    for key, value in table.items():
        flag = "--" + key.replace("_", "-")
        if isinstance(value, bool):
            out += [flag] if value else []
        elif isinstance(value, list):
            if key == "sbatch":
                out += [f"--sbatch={v}" for v in value]
            else:
                out += [flag, ",".join(str(v) for v in value)]
        elif isinstance(value, (str, int, float)):
            out += [f"{flag}={value}"]
        else:
            raise ValueError(f"{key}: give a string, number, boolean or list")
    return out


def program_args(ap, args):
    """--command: a grid over the user's own program; its specs are handed to it, never
    resolved by Keras. Everything that can be known is checked before anything is written."""
    if args.datasets or args.models or args.preset != "original" or args.train_args \
            or args.tensorboard or args.budget_scale != 1.0:
        ap.error("--command runs your own program: --datasets, --models, --preset, "
                 "--train-args, --tensorboard and --budget-scale are train.py's")
    if not args.metric:
        ap.error("--command needs --metric NAME: the metric the verdicts compare")
    if not args.optimizers:
        ap.error("--command needs --optimizers: the settings handed to your program")
    if args.sizes and len(args.sizes) != len(args.problems or []):
        ap.error(f"--sizes: {len(args.sizes)} sizes for {len(args.problems or [])} --problems: "
                 "give one per problem, in its order")
    if args.problems and any(not command.PROBLEM.match(p) for p in args.problems):
        ap.error(f"--problems {','.join(args.problems)}: give names (letters, digits, _)")
    check_launcher_flags(ap, args)
    try:
        args.optimizers, args.family = grid.expand_optimizers(
            args.optimizers, args.trials, args.search_seed, tune=args.tune, resolve=False)
        command.check(args.command, args.optimizers, args.problems)
    except (specs.SpecError, command.TemplateError) as e:
        ap.exit(2, f"{ap.prog}: error: {e}\n")
    args.seeds = args.seeds or [0, 1, 2]
    judged = measure.Measure(args.metric)
    if args.margin is None and not judged.accuracy:
        print(f"[INFO] --metric {args.metric} is not an accuracy and has no --margin: plot.py "
              "and decide.py will ask for one (the difference that does not matter, in its "
              "units)", file=sys.stderr)
    return args


def program_main(args):
    """The script of a grid over the user's program: one wrapper line per run."""
    runs, lines = [], []
    sizes = dict(zip(args.problems or [], args.sizes or []))
    for problem in args.problems or [None]:
        for setting in args.optimizers:
            for seed in args.seeds:
                spec = command.ProgramSpec(args.command, setting, args.metric, seed, problem,
                                           args.timeout, args.family.get(setting), args.goal,
                                           args.margin, round(sizes[problem]) if problem in sizes
                                           else None)
                run, line = spec.line(args.output)
                runs.append(run)
                lines.append(line)
    return runs, lines


# train.py's short flags by their long names: a grid line sets the long ones
SHORT_FLAGS = {"-i": "--history", "-r": "--report", "-d": "--dataset", "-m": "--model",
               "-o": "--optimizer"}


def check_train_args(base, train_args):
    """The message of train.py's own parser for a grid line, or None when it accepts it:
    a typo in --train-args is refused now, not in every run's log hours later."""
    try:
        extra = shlex.split(train_args)
    except ValueError as e:
        return f"--train-args {train_args!r}: {e}"
    own = set(shlex.split(base))  # the words the grid line itself has
    for word in extra:
        flag = word.split("=", 1)[0]
        flag = SHORT_FLAGS.get(flag, flag)
        if flag.startswith("--") and flag in own:
            return (f"--train-args {train_args!r}: sets {flag}, which the grid sets per run "
                    "(use combinations.py's own flags)")
    stderr = io.StringIO()
    try:
        with contextlib.redirect_stderr(stderr):
            train.parse_args(shlex.split(base)[2:] + extra)
    except SystemExit as e:
        if e.code:
            message = stderr.getvalue().strip().splitlines()[-1:] or ["refused"]
            return f"--train-args {train_args!r}: {message[0].removeprefix('train.py: error: ')}"
    return None


def check_datasets(datasets):
    """The message for a folder: dataset whose class folders a classifier cannot learn
    from (fewer than 2 with images), or None: refused now, not in every run."""
    for text in datasets:
        kind, _, path = text.partition(":")
        if kind == "folder":
            classes = data.folder_classes(path)
            if len(classes) < 2:
                return (f"--datasets {text}: {len(classes)} class folder"
                        f"{'' if len(classes) == 1 else 's'} with images in {path} "
                        f"({', '.join(classes) or 'none'}): a classifier needs at least 2")
    return None


def main(argv=None):
    args = parse_args(argv)
    if args.command is not None:
        runs, lines = program_main(args)
        return write_script(args, runs, lines, original=False)
    preset = registry.PRESETS[args.preset]
    batches = [(b, max(1, round(n * args.budget_scale))) for b, n in preset.batches or []]
    runs = grid.runs(args.datasets or preset.datasets, args.models or preset.models,
                     args.optimizers, args.seeds or preset.seeds, batches, args.family)
    # the original study's 24 lines stay as they were, byte for byte; every other grid gets
    # progress lines, the tally, an exit status that says whether a run failed, and runs
    # from any working directory
    original = (args.launcher == "sh" and not args.logs and not args.train_args
                and not args.tensorboard and runs == grid.runs(preset.datasets, preset.models,
                                                               preset.optimizers)
                and args.preset == "original")
    command = grid.ORIGINAL_COMMAND if original else grid.program()
    lines = [grid.train_line(run, args.output, args.train_args, args.tensorboard, command)
             for run in runs]
    problem = check_train_args(grid.train_line(runs[0], args.output, "", args.tensorboard),
                               args.train_args) if args.train_args and runs else None
    problem = problem or check_datasets(args.datasets or [])
    if problem:
        print(f"combinations.py: error: {problem}", file=sys.stderr)
        return 2

    return write_script(args, runs, lines, original)


def write_script(args, runs, lines, original):
    try:
        os.makedirs(os.path.dirname(os.path.abspath(args.script)), exist_ok=True)
        storage.check_writable(args.script, "--script")
    except (OSError, ValueError) as e:
        print(f"combinations.py: error: {e}", file=sys.stderr)
        return 2
    text = launchers.script(args.launcher, runs, args.output, lines, logs=args.logs,
                            original=original, jobs=args.jobs, gpus=args.gpus,
                            gres_gpu=args.gres_gpu, partition=args.partition, time=args.time,
                            throttle=args.throttle, sbatch=args.sbatch,
                            ray_address=args.ray_address, gpus_per_run=args.gpus_per_run,
                            cpus_per_run=args.cpus_per_run)
    storage.write_text(args.script, text)
    mode = os.stat(args.script).st_mode
    os.chmod(args.script, mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
    # the runs refuse to start when their output folder is missing: make it now
    os.makedirs(args.output, exist_ok=True)
    print(f"[INFO] wrote {len(lines)} runs to {args.script}; outputs go to {args.output}/")
    return 0


if __name__ == "__main__":
    sys.exit(main())
