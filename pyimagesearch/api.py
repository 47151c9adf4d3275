"""The analysis as a library: read a folder of runs, compare its optimizers, get result
objects. No files are written here; plot.py and decide.py write what :func:`compare`
returns (summary.md, the CSVs, the page, the figures).

    from pyimagesearch import load_runs, compare
    runs = load_runs("output")                     # runs.frame: one row per run (pandas)
    result = compare(runs, metric="val_loss", margin=0.02)
    result.verdicts                                # verdicts.csv's rows, a DataFrame
    result.answer                                  # the answer in one sentence

Everything a verdict reads is said by the result: ``measure`` (which metric, which way,
which margin, and where it came from), ``design`` (the looks and their shares of alpha),
``left_out`` (runs no verdict reads, and why).
"""
import dataclasses
import functools
import os
from dataclasses import dataclass
from typing import Optional

from pyimagesearch.outputs import summary
from pyimagesearch.runs import results, rounds, sources
from pyimagesearch.runs.sources import count_line
from pyimagesearch.stats import analysis, measure as measures, scale, speed, verdicts


@dataclass(frozen=True)
class Runs:
    """A folder of runs as read: ``frame`` (one row per run: runs.csv's columns, each
    final metric under its own name), ``epochs`` (every logged value: run, epoch, metric,
    value), both pandas DataFrames made when first asked for; ``table`` and
    ``epoch_rows``, the same as runs.csv's and epochs.csv's records; and what the analysis
    reads (``rows``, ``histories``; runs the grid's axes lead one to expect but that are
    not there, ``missing``)."""
    folder: Optional[str]  # where decide.json is kept (None: nowhere, nothing recorded)
    table: tuple
    epoch_rows: tuple
    rows: tuple
    histories: tuple
    missing: tuple
    failed: tuple = ()  # runs that left no result, each with its status and why
    read: Optional[str] = None  # for another system's runs: the line that says how
    source: Optional[str] = None  # what was read: the folder, the table, the log directory

    def __len__(self):
        """The runs read (``rows``); ``frame`` has a row for each run left out too."""
        return len(self.rows)

    @property
    def n_left_out(self):
        """How many runs were left out (failed, not finished, without the metric): each
        has its row in ``frame``, with its status and why."""
        return len(self.failed)

    def count_line(self):
        """"14 runs read, 1 left out (sgd-crash: FAILED)", as the first line says it."""
        return count_line(len(self), list(self.failed))

    @functools.cached_property
    def frame(self):
        import pandas as pd
        return pd.DataFrame(list(self.table), columns=results.run_columns(self.table))

    @functools.cached_property
    def epochs(self):
        import pandas as pd
        return pd.DataFrame(list(self.epoch_rows), columns=results.EPOCH_COLUMNS)


@dataclass(frozen=True)
class Comparison:
    """What :func:`compare` finds. ``verdicts``/``speedups``: DataFrames with verdicts.csv's
    and speedups.csv's columns; ``problems``/``overall``/``tuned``: the same as rows (dicts)
    with the sentence a person reads (``text``), ``tuned`` those of each optimizer at its
    setting selected on validation (``tuned_rows``: their runs), where the grid tuned;
    ``race``: a race's standings per problem;
    ``answer``: the answer in one sentence; ``note``: where the metric came from when no
    flag named it (the grid's record), else None; ``scale``: the trends of each pair's
    speed-up, difference and effective speed-up across the sizes of a series
    (:mod:`.stats.scale`; on a tuned grid, the tuned optimizers'), as rows, and
    ``trends``, scale.csv's columns as a DataFrame."""
    measure: measures.Measure
    design: verdicts.Design
    table_rows: tuple  # verdicts.csv's rows
    problems: tuple
    overall: tuple
    tuned: Optional[tuple]
    tuned_overall: Optional[tuple]
    tuned_rows: tuple
    speed_rows: tuple
    tuned_speed_rows: Optional[tuple]
    race: tuple
    answer: str
    left_out: tuple
    note: Optional[str]
    rows: tuple
    histories: tuple
    runs: Runs
    scale: tuple = ()

    # the DataFrames made when asked for (plot.py writes its tables from the rows)
    @functools.cached_property
    def verdicts(self):
        import pandas as pd
        return pd.DataFrame(list(self.table_rows), columns=summary.VERDICT_COLUMNS)

    @functools.cached_property
    def speedups(self):
        import pandas as pd
        return pd.DataFrame(list(self.speed_rows), columns=speed.SPEEDUP_COLUMNS)

    @functools.cached_property
    def trends(self):
        import pandas as pd
        return pd.DataFrame(list(self.scale), columns=scale.SCALE_COLUMNS)


def load_runs(path, trials_by_name=False, keys=None, param_keys=(), metric=None,
              leave_out_missing=False, design_folder=None):
    """Every run at ``path``: a folder of this project's runs (train.py's and a program's
    through the wrapper; damaged files warned about by name and left out), or runs logged
    elsewhere (pyimagesearch.runs.sources: a ``.csv``/``.parquet`` table or a pandas
    DataFrame, a TensorBoard log directory), sorted by ``keys`` (sources.Keys: which
    recorded key is the optimizer, the seed, the problem; every other parameter that
    varies makes a setting of its own), ``param_keys`` naming a table's unmarked number
    columns that are parameters, ``metric`` the one judged (a run without it refused, or
    left out and named with ``leave_out_missing``). Failed runs have their row (status and
    reason) in ``frame`` and no analysis reads them. ``trials_by_name``: the settings of
    one optimizer name are its tuning trials, for runs written before records held their
    family (plot.py --trials-by-name). ``design_folder``: where decide.json is kept (a
    folder's own; for another system's runs, the plots folder). ValueError, one line, for
    what cannot be read."""
    if sources.source_of(path) is not None:
        read = sources.read(path, keys, param_keys, metric, leave_out_missing)
        rows, histories, failed, missing, line = read.rows, read.histories, read.failed, [], \
            read.line
        folder = design_folder
    else:
        if not os.path.isdir(path):
            raise ValueError(f"{path}: not a directory, a table (.csv, .parquet) or a "
                             "TensorBoard log directory")
        missing = []
        rows, histories, _ = results.load_rows(path, missing, trials_by_name)
        failed, line, folder = results.failed_runs(path), None, design_folder or path
    results.add_time_to_target(rows, histories)
    table, epoch_rows = results.tidy(rows, histories, failed)
    return Runs(folder, tuple(table), tuple(epoch_rows), tuple(rows), tuple(histories),
                tuple(missing), tuple(failed), line,
                path if isinstance(path, str) else "DataFrame")


def choose_measure(folder, rows, metric=None, goal=None, margin=None, baseline=None,
                   race=False, max_seeds=None):
    """(Measure, the folder's Design or None, note): what the arguments ask for, completed
    from what the runs' grid recorded (``note`` says so); decide.json's measure where
    decide.py fixed one and nothing was asked. ValueError, one line: a disagreement with
    decide.json, a metric no run has, runs written for different metrics, no margin."""
    given = not (metric is None and goal is None and margin is None and baseline is None
                 and not race)
    if not given and (rounds.read(folder) or measures.recorded(rows) is None):
        chosen, note = None, None
    else:
        chosen, note = measures.for_runs(rows, metric, goal, None if margin is None
                                         else str(margin), baseline, race)
    held, design = rounds.design(folder, chosen, max_seeds)
    if metric is not None or design is not None:
        # a metric asked for (or fixed by decide.py) must be there; without one, runs that
        # lack the default (train.py's histories without their test reports) are still
        # drawn and tabled, and the verdicts say in one line that there is none to make
        measures.check_present(held, rows)
    return held, design, note


def compare(runs, metric=None, goal=None, margin=None, baseline=None, race=False, fixed=False,
            target=None, speed_margin="5%", size_key=None, trend_margin="5%", project_to=None):
    """Compare the optimizers of ``runs`` (:func:`load_runs`): the verdict of every pair
    on every problem (or each against ``baseline``, or a ``race``), the speed-ups, their
    trends over sizes, and the answer. ``metric``/``goal``/``margin``: as plot.py's flags
    (default: what the grid recorded, else test accuracy); ``fixed``: one look with all of
    alpha (plot.py --fixed; nothing is recorded here); ``size_key``: which logged value or
    parameter is a run's size (default its n_params); ``trend_margin``: a speed-up steady
    within it per doubling; ``project_to``: a size to project each trend to. ValueError,
    one line, for what cannot be compared."""
    if isinstance(runs, str):
        runs = load_runs(runs)
    rows = [dict(r) for r in runs.rows]  # the Runs stay as read
    histories = list(runs.histories)
    measure, design, note = choose_measure(runs.folder, rows, metric, goal, margin, baseline,
                                           race)
    if fixed and design is not None and design.kind != "fixed":
        raise ValueError(f"--fixed: decide.py has fixed a sequential design for {runs.folder} "
                         f"({rounds.DESIGN_FILE}) and taken {design.taken()} look(s); its "
                         "verdicts spend alpha by that design")
    rounds.fixed_selection(runs.folder, rows)  # tuned settings decide.py fixed, if any
    if measure.baseline:
        measure = dataclasses.replace(measure, baseline=analysis.resolve_baseline(
            rows, measure.baseline))
    _, design = rounds.design(runs.folder, measure, rows=rows)  # an old decide.json's looks
    if fixed and design is None:
        design = verdicts.Design("fixed", (), (1.0,), (rounds.snapshot(rows),))
    design = analysis.design_for(rows, design, measure)
    margin_points = measure.points_margin
    problems, overall = summary.verdict_table(rows, margin_points, design, measure)
    tuned = analysis.tuned_rows(rows)
    tuned_table = summary.verdict_table(tuned, margin_points, design, measure) if tuned else None
    speed_value, relative = measures.parse_margin(speed_margin)
    speed_value = speed_value if relative else speed_value / 100
    speed_rows = speed.speedups(rows, histories, measure, design, target, speed_value)
    tuned_speed = None
    if len({r["optimizer"] for r in tuned}) > 1:  # the tuned optimizers' own family
        history_of = {r["path"]: h for r, h in zip(rows, histories)}
        tuned_histories = [history_of[r["path"]] for r in tuned]
        tuned_speed = speed.speedups(tuned, tuned_histories, measure, design, target,
                                     speed_value)
    # the trend over sizes of what the answer compares: on a tuned grid, each optimizer at
    # its setting selected at each size (only so do the pairs line up across sizes)
    trend_value, relative = measures.parse_margin(trend_margin)
    scale_rows = scale.scale_trends(
        *((tuned, tuned_histories, measure, tuned_speed) if tuned_speed is not None else
          (rows, histories, measure, speed_rows)),
        size_key, trend_value if relative else trend_value / 100, project_to)
    shown = tuned_table[0] if tuned_table and len({r["optimizer"] for r in tuned}) > 1 \
        else problems
    answer = summary.answer_sentence(shown, tuned_table[1] if shown is not problems else overall,
                                     measure) if overall else ""
    table_rows = summary.verdict_rows(problems, overall, tuned_table)
    return Comparison(
        measure=measure, design=design,
        table_rows=tuple(table_rows),
        problems=tuple(problems), overall=tuple(overall),
        tuned=None if tuned_table is None else tuple(tuned_table[0]),
        tuned_overall=None if tuned_table is None else tuple(tuned_table[1]),
        tuned_rows=tuple(tuned),
        speed_rows=tuple(speed_rows),
        tuned_speed_rows=None if tuned_speed is None else tuple(tuned_speed),
        race=tuple(analysis.race_standings(shown)) if measure.race else (),
        answer=answer, left_out=tuple(results.left_out(runs.failed, rows, measure)),
        note=note, rows=tuple(rows), histories=tuple(histories), runs=runs, scale=scale_rows)
