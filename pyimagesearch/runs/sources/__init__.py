"""Sources: runs logged elsewhere (a tracker's table, TensorBoard log directories ...)
read into the same run table as this project's own folders, found by name. Each is one
module with ``NAME``, ``claims(location)`` and ``read(location, keys, param_keys)``
returning :class:`keys.Logged` runs; :func:`read` sorts them into problem, setting and
seed (pyimagesearch.runs.sources.keys) and dresses each as a program's run, the form
every analysis reads. A user's store is only read, never written."""
import dataclasses
import os
import re
from dataclasses import dataclass

from pyimagesearch import grid
from pyimagesearch.runs import metrics as metric_files
from pyimagesearch.runs import results
from pyimagesearch.runs.sources import keys as keys_
from pyimagesearch.runs.sources import deepobs, mlflow, table, tensorboard, wandb
from pyimagesearch.runs.sources.keys import Keys  # noqa: F401  (the API's)

# in the order asked: a folder of W&B runs before one that merely holds event files
SOURCES = {module.NAME: module for module in (mlflow, deepobs, wandb, table, tensorboard)}


def source_of(location):
    """The source that reads ``location``, or None: a folder of this project's runs."""
    return next((s for s in SOURCES.values() if s.claims(location)), None)


def label_of(location):
    """The source's name as the outputs show it, a plain name: ``runs.csv`` -> ``runs``."""
    if not isinstance(location, str):
        return "DataFrame"
    if location.startswith(mlflow.PREFIX):  # the store's file, or its server's host
        location = location[len(mlflow.PREFIX):].split("://", 1)[-1].split("?")[0]
    root = location.split(":", 1)[1] if location.startswith(tensorboard.PREFIX) else location
    stem = os.path.splitext(os.path.basename(os.path.normpath(root)))[0]
    name = re.sub(r"[^A-Za-z0-9_]", "_", stem).strip("_") or "runs"
    return name if name[0].isalpha() else "runs_" + name


def count_line(read, left_out):
    """"18 runs read, 1 left out (sgd-crash: FAILED)": the runs the analysis reads and
    those it leaves out (``left_out``: failed_runs' dicts), the same words wherever said."""
    if not left_out:
        return f"{read} runs read, none left out"
    why = ", ".join(f"{f['run']}: {f['status']}" for f in left_out[:3])
    return f"{read} runs read, {len(left_out)} left out ({why}{', ...' if len(left_out) > 3 else ''})"


@dataclass(frozen=True)
class SourceRuns:
    """A source's runs as the analysis reads them (``rows``, ``histories``), those left
    out (``failed``: results.failed_runs' form), and the line that says what was read."""
    rows: list
    histories: list
    failed: list
    line: str


def read(location, keys=None, param_keys=(), metric=None, leave_out_missing=False):
    """The runs at ``location`` (one line, ValueError, for what cannot be read)."""
    source = source_of(location)
    if source is None:
        raise ValueError(f"{location}: not a table (.csv, .parquet), a TensorBoard log "
                         "directory or a folder of this project's runs")
    keys = keys or Keys()
    try:
        logged = source.read(location, keys, param_keys)
    except ValueError:
        raise
    except Exception as e:  # noqa: BLE001  (whatever a tracker's library raises: one line)
        first = (str(e).strip().splitlines() or [""])[0]
        raise ValueError(f"{location if isinstance(location, str) else 'the DataFrame'}: "
                         f"cannot read it ({type(e).__name__}: {first})") from None
    if keys.problem is None and getattr(logged, "problem_key", None):
        keys = dataclasses.replace(keys, problem=logged.problem_key)  # the source knows it
    found = keys_.identify(logged, keys, label_of(location) if not isinstance(location, str)
                           else location)
    names = sorted({m for *_, run in found.runs for m in run.metrics})
    if metric is not None and found.runs and metric not in names:
        raise ValueError(f"{location}: no run logged {metric} (they logged: "
                         f"{', '.join(names) or 'no metric'})")
    # the curves' steps are the judged metric's; with none asked, the first logged
    judged = metric or (names[0] if names else None)
    lacking = [run.id for *_, run in found.runs if judged not in run.metrics]
    if metric is not None and lacking and not leave_out_missing:
        raise ValueError(f"{location}: metric {metric} absent from {len(lacking)} run(s) "
                         f"({', '.join(lacking[:5])}{', ...' if len(lacking) > 5 else ''}); "
                         "--leave-out-missing to leave them out (they are then named)")
    label = label_of(location)
    rows, histories = [], []
    failed = [{"run": run.id, "status": str(why), "reason": (
        f"left out (it logged {why})" if str(why).startswith("no ") else "left out (not finished)")}
        for run, why in found.failed]
    for problem, setting, seed, run in found.runs:
        if judged not in run.metrics:
            failed.append({"run": run.id, "optimizer": setting, "seed": seed,
                           "status": f"no {judged}", "reason": "the metric was not logged"})
            continue
        history = metric_files.history({k: [(s, None, v) for s, v in points]
                                        for k, points in run.metrics.items()}, judged)
        model = problem or "runs"
        history["run"] = {"kind": "program", "source": f"{source.NAME}:{label}",
                          "metric": judged, "goal": None, "margin": None, "dataset": label,
                          "model": model, "optimizer": setting, "seed": seed,
                          "setting_of": run.family if run.tuned is not None else None,
                          **({"selected": run.tuned} if run.tuned is not None else {}),
                          "problem": problem or None,
                          "parameters": {k: v for k, v in run.params.items()},
                          "command": None, "run_id": run.id, "seed_key": found.seed_key}
        history = results.readers.program.history(history, history["run"], run.id)
        histories.append(history)
        rows.append(results.row_of(grid.Run(label, model, setting, seed), run.id,
                                   f"{location}#{run.id}" if isinstance(location, str) else run.id,
                                   history))
    how = getattr(logged, "note", "")
    line = f"{label}: {how + '; ' if how else ''}{found.line}; {count_line(len(rows), failed)}" + (
        f"; judged: {judged}" if metric else f"; metrics logged: {', '.join(names) or 'none'}")
    return SourceRuns(rows, histories, failed, line)
