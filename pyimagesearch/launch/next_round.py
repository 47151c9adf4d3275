"""The runs a round of decide.py launches: the wanted runs (pyimagesearch.runs.rounds
decides which) as the lines that run them (train.py's, or a program's template expanded
again with the new seed), or as a table anyone can run in any system (decide.py --ask)."""
import glob
import os
import shlex

from pyimagesearch import grid, registry
from pyimagesearch.program import command
from pyimagesearch.runs import runspec
from pyimagesearch.runs.results import ARGUMENT_PREFIX, optimizer_arguments
from pyimagesearch.runs.rounds import wanted_runs


def round_scripts(folder):
    """decide.py's round scripts in ``folder`` (evidence of looks already taken)."""
    return sorted(glob.glob(os.path.join(folder, "decide_round*.sh")))


def missing_runs(rows, records, problems, seeds_wanted):
    """:func:`wanted_runs` as the runs to launch (RunSpecs, or a program's specs)."""
    return [spec_of(record, seed) for record, seed in wanted_runs(rows, records, problems,
                                                                  seeds_wanted)]


def next_run_rows(wanted, folder=None):
    """The next round as a table anyone can run in any system (decide.py --ask): one row
    per run, its problem, its setting, each of its parameters (a tracker's, with the new
    seed; else the optimizer's arguments) and its seed, and for runs of this project the
    line that runs it. Returns (columns, rows)."""
    out = []
    for record, seed in wanted:
        if record.get("source"):  # another system's run: its parameters, the seed changed
            params = dict(record.get("parameters") or {})
            if record.get("seed_key"):
                params[record["seed_key"]] = seed
            line = None
        else:
            params = {k[len(ARGUMENT_PREFIX):]: v for k, v in
                      optimizer_arguments(record["optimizer"], record).items()}
            line = train_line(spec_of(record, seed), folder)[1] if folder else None
        problem = record.get("problem") if record.get("source") else \
            f"{registry.shaped_model(record.get('model'), record)} on {record.get('dataset')}"
        out.append({"problem": problem or "", "setting": record["optimizer"],
                    **{f"param:{k}": v for k, v in params.items()}, "seed": seed,
                    **({"command": line} if line else {})})
    params = sorted({k for r in out for k in r if k.startswith("param:")})
    columns = ["problem", "setting", *params, "seed"] + (
        ["command"] if any("command" in r for r in out) else [])
    return columns, [{c: r.get(c) for c in columns} for r in out]


def spec_of(record, seed):
    """The run a record describes, with another seed: a train.py run (RunSpec) or a run of
    the user's own program (command.ProgramSpec: its template expanded again)."""
    if record.get("kind") == "program":
        return command.ProgramSpec.from_record(record, seed=seed)
    return runspec.RunSpec.from_record(record, seed=seed)


def train_line(spec, folder):
    """The line of a run (a train.py RunSpec, or a program's), with the outputs a grid
    would give it: (grid.Run, line)."""
    if isinstance(spec, command.ProgramSpec):
        return spec.line(folder)
    run = grid.Run(spec.dataset, spec.model_name, spec.optimizer, spec.seed,
                   None if spec.steps is None else str(spec.batch_size))
    history, report = grid.outputs(run, folder)
    words = ["--history", history, "--report", report, *spec.to_argv()]
    return run, " ".join([grid.program(), *(shlex.quote(w) for w in words)])
