"""Reading finished runs back: histories, reports, the numbers a summary needs, a whole
folder of runs (plot.py and decide.py), and the same as tidy tables (runs.csv,
epochs.csv, and :func:`load` for pandas).

Histories are loaded with the restricted unpickler (they never run code) and
checked for shape; every problem is a ValueError that names the file, so a
caller can report it and go on with the other runs.
"""
import csv
import dataclasses
import io
import itertools
import json
import math
import os
import sys
from collections import defaultdict

import numpy as np

from pyimagesearch import grid, registry, specs
from pyimagesearch.runs import metrics as metric_files, readers, runspec, safepickle
from pyimagesearch.runs.readers.common import DRESSED, run_size
# train.py's diagnoses, where they have always been read from
from pyimagesearch.runs.readers.trainpy import (  # noqa: F401
    BN_NOT_SETTLED, CHANCE_MARGIN, FAR_ABOVE_CHANCE, batchnorm_diagnosis, batchnorm_not_settled,
    classes_of, did_not_learn, stability_window)
from pyimagesearch.stats.measure import BOOKKEEPING, value
from pyimagesearch.stats.problems import model_of as _model, problem  # noqa: F401  (theirs)


def load_history(path):
    """A history as a dict of float lists in its reader's terms (pyimagesearch.runs.readers:
    train.py's under Keras' current key names, a program's against its steps)."""
    obj = safepickle.load(path)
    if not isinstance(obj, dict):
        raise ValueError(f"{path}: holds a {type(obj).__name__}, not a history dict")
    history = {key: value for key, value in obj.items() if isinstance(key, str)}
    record = history.get(runspec.RECORD_KEY)
    return readers.of_record(record if isinstance(record, dict) else None).history(
        history, record if isinstance(record, dict) else {}, path)


def is_program(history):
    record = runspec.from_history(history) or {}
    return record.get("kind") == "program"


def parse_report(text, path="<report>"):
    """A run's report read by the reader whose report it is: for train.py, accuracy, macro
    precision and macro F1 of a classification_report; for a user's program (the
    wrapper's), its final metric and no test accuracy."""
    return readers.of_report(text).report(text, path)


def load_report(path):
    try:
        with open(path, encoding="utf-8") as f:
            return parse_report(f.read(), path)
    except (OSError, UnicodeDecodeError) as e:
        raise ValueError(f"{path}: cannot read ({e})") from None


def run_metrics(history, report=None):
    """The summary's per-run numbers from a history (and its report, when there is one),
    in the terms of the run's reader."""
    record = runspec.from_history(history) or {}
    return readers.of_record(record).metrics(history, report, record)


def time_to_target(history, target):
    """AlgoPerf-style: the first epoch (1-based) whose validation accuracy reaches
    ``target``, and the training seconds spent until then; (None, nan) if never."""
    for i, acc in enumerate(history["val_accuracy"]):
        if acc >= target:
            seconds = history.get("epoch_seconds") or []
            return i + 1, (float(sum(seconds[:i + 1])) if len(seconds) > i else math.nan)
    return None, math.nan


TARGET_FRACTION = 0.99  # time-to-target: this fraction of the best validation accuracy
# (a language model's: its validation loss within 1 - TARGET_FRACTION above the best)


def figure_stem(dataset, model, batch=None):
    """A problem's file-safe stem, as its figures are named: ``gpt-width=64_text``, and
    ``_b32`` after it for a batching of its own (an iteration budget's)."""
    return f"{registry.label(model)}_{registry.label(dataset)}" + \
        ("" if batch is None else f"_b{batch}")


def problem_stem(dataset, model):
    """:func:`figure_stem` of a problem as :func:`problem` names it, its model carrying its
    batching ("gpt (batch 32)" -> ``gpt_text_b32``)."""
    base, _, batch = model.partition(" (batch ")
    return figure_stem(dataset, base, batch.rstrip(")") or None)


def add_time_to_target(rows, histories, fraction=TARGET_FRACTION):
    """Give each row its target (``fraction`` of the best validation accuracy any run
    reached on the same model and dataset) and the epochs and seconds it took to reach it.
    ``histories`` is parallel to ``rows``. A run that did not learn (test accuracy at
    chance) neither sets the target nor ever reaches it. A language model's target is in
    its own terms: the validation loss (nats per byte) within ``1 - fraction`` above the
    best any run reached, and the steps to it (:func:`add_loss_to_target`)."""
    language = [not r.get("program") and registry.is_language_model(r.get("model"))
                and "val_loss" in h for r, h in zip(rows, histories)]
    add_loss_to_target([r for r, lm in zip(rows, language) if lm],
                       [h for h, lm in zip(histories, language) if lm], fraction)
    rows = [r for r, lm in zip(rows, language) if not lm]
    histories = [h for h, lm in zip(histories, language) if not lm]
    best = defaultdict(float)
    for row, history in zip(rows, histories):
        if not row.get("learned", True) or row.get("program"):
            continue
        key = problem(row)
        best[key] = max(best[key], max(v for v in history["val_accuracy"] if not math.isnan(v))
                        if any(not math.isnan(v) for v in history["val_accuracy"]) else 0.0)
    for row, history in zip(rows, histories):
        if row.get("program"):  # a program's metric may be a loss: no accuracy target
            row.update(target_val_accuracy=None, epochs_to_target=None, seconds_to_target=math.nan)
            continue
        target = fraction * best[problem(row)]
        epoch, seconds = time_to_target(history, target) \
            if row.get("learned", True) and target and not row.get("program") else (None, math.nan)
        row.update(target_val_accuracy=target, epochs_to_target=epoch, seconds_to_target=seconds)


def add_loss_to_target(rows, histories, fraction=TARGET_FRACTION):
    """A language model's time to target: the first evaluation point whose validation loss
    is at most the best (lowest) any run of the problem reached times ``2 - fraction``;
    ``steps_to_target`` the updates until then, ``epochs_to_target`` the evaluation
    points, ``target_val_loss`` the level."""
    best = {}
    for row, history in zip(rows, histories):
        finite = [v for v in history["val_loss"] if math.isfinite(v)]
        if finite:
            best[problem(row)] = min(best.get(problem(row), math.inf), min(finite))
    for row, history in zip(rows, histories):
        target = best.get(problem(row), math.nan) * (2 - fraction)
        point = next((i for i, v in enumerate(history["val_loss"]) if v <= target), None)
        seconds = history.get("epoch_seconds") or []
        steps = history.get("iterations") or []
        row.update(target_val_accuracy=None, target_val_loss=target,
                   epochs_to_target=None if point is None else point + 1,
                   steps_to_target=None if point is None or point >= len(steps)
                   else int(steps[point]),
                   seconds_to_target=math.nan if point is None or point >= len(seconds)
                   else float(sum(seconds[:point + 1])))


def seed_band(histories, key):
    """A curve over seeds: the mean and the sample std (None for one seed) of ``key``, per
    epoch, over the epochs every history has. The PNG figures and the report draw it."""
    length = min(len(h[key]) for h in histories)
    values = np.array([h[key][:length] for h in histories], float)
    return values.mean(axis=0), (values.std(axis=0, ddof=1) if len(histories) > 1 else None)


# ------------------------------------------------------------------ a folder of runs

def warn(message):
    print(f"[WARNING] {message}", file=sys.stderr)


DESIGN_FILE = "decide.json"  # decide.py's design and looks (pyimagesearch.runs.rounds)
# RunSpec fields a grid's file names already tell apart, or that do not change what a run is
_NAMED = ("dataset", "model", "optimizer", "seed", "data_dir", "setting_of")


def _variant(record):
    """What a run is beyond its name (dataset, model, optimizer, seed, batching): every
    other run-spec field, so two runs that differ in --precise-bn, say, are not one."""
    if not record:
        return ()
    fields = runspec.RunSpec.__dataclass_fields__
    # a language model's shape is in its name already (registry.shaped_model)
    skip = set(_NAMED) | set(registry.GPT_SHAPE) | \
        ({"batch_size", "steps"} if record.get("steps") else set())
    return tuple((k, repr(record.get(k, fields[k].default))) for k in fields if k not in skip)


def find_runs(folder):
    """{Run: (history path, history or None, error)} for every history pickle in
    ``folder``: described by the record it holds, or (the original study's histories,
    which have none) by its file name. Runs of one name that differ in another field of
    what a run is (``--precise-bn``, ``--epochs``, ...) are told apart: their optimizer
    is written with the fields that differ, ``adam [precise_bn=auto]``."""
    found, variants = {}, {}
    for entry in sorted(os.listdir(folder)):
        stem, ext = os.path.splitext(entry)
        if ext != ".pickle":
            continue
        path = os.path.join(folder, entry)
        history, error = None, None
        try:
            history = load_history(path)
        except ValueError as e:
            error = e
        record = runspec.from_history(history) if history is not None else None
        run = grid.from_record(record) if record else grid.parse_name(stem)
        if run is None:
            warn(f"{error}; skipped" if error else
                 f"{path}: holds no run record and is not named like a run "
                 "({model}_{optimizer}_{dataset}.pickle); skipped")
            continue
        key = (run, _variant(record))
        if key in found:  # e.g. two files of one spec differing only in --learning-rate
            warn(f"{path}: the same run as {found[key][0]} (dataset, model, optimizer, seed and "
                 "every training flag); skipped: keep such runs in separate folders")
            continue
        found[key] = (path, history, error)
        variants.setdefault(dataclasses.replace(run, seed=None), set()).add(key[1])
    out = {}
    for (run, variant), value in found.items():
        kinds = variants[dataclasses.replace(run, seed=None)]
        if len(kinds) > 1:  # name each by the fields in which the kinds differ
            differ = [i for i in range(len(variant)) if len({v[i] for v in kinds if v}) > 1]
            extra = ", ".join(variant[i][0] + "=" + variant[i][1].strip("'") for i in differ)
            run = dataclasses.replace(run, optimizer=f"{run.optimizer} [{extra or 'no record'}]")
        if run in out:
            warn(f"{value[0]}: the same run as {out[run][0]}; skipped")
            continue
        out[run] = value
    return out


def finals(history):
    """{series: its final value} of a history: any metric a run recorded, for a verdict
    on it (plot.py --metric)."""
    out = {}
    dressed = history.get(DRESSED, ())
    for key, values in history.items():
        if key in dressed:
            continue
        if isinstance(values, list) and values and all(isinstance(v, float) for v in values):
            out[key] = values[-1]  # a diverged run's nan stays nan: left out, as diverged
    return out


def load_rows(folder, missing=None, trials_by_name=False):
    """Every run in ``folder``: (rows for the summary, their histories, and per (dataset,
    model, batch) the histories of each optimizer). Damaged files are warned about by
    name and left out. The runs the grid's axes lead one to expect but that are not
    there are appended to ``missing`` as (Run, history path) when it is a list (plot.py
    and decide.py tell the seeds decide.py chose not to add from runs that are lost);
    otherwise each is warned about, unless decide.py's rounds made the holes.
    ``trials_by_name`` (or decide.json's, once decide.py fixed it): the settings of one
    optimizer name that carry no tuning family are its trials (:func:`mark_trials`)."""
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
    # a tuning trial belongs to its problem's search, and searches may differ by problem (a
    # ladder shifted or widened at one width): a trial is expected, at every seed, only on
    # the problems where it ran
    searched = {(r.dataset, r.model, r.batch, r.optimizer) for r in found if r.setting_of}
    trials = {key[3] for key in searched}
    expected = [r for r in expected if r.optimizer not in trials
                or (r.dataset, r.model, r.batch, r.optimizer) in searched]

    # load what is there; report what is damaged, and go on
    rows, histories, groups = [], [], defaultdict(lambda: defaultdict(list))
    rounds_ran = os.path.exists(os.path.join(folder, DESIGN_FILE))
    for run in expected:
        if run not in found:
            if missing is not None:
                missing.append((run, grid.outputs(run, folder)[0]))
            elif not rounds_ran:
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
                report = load_report(report_path)
            except ValueError as e:
                warn(str(e))
        else:
            warn(f"{report_path}: missing; test accuracy left blank")
        groups[(run.dataset, run.model, run.batch)][run.optimizer].append(history)
        histories.append(history)
        rows.append(row_of(run, os.path.splitext(os.path.basename(history_path))[0],
                           history_path, history, report))
    mark_trials(folder, rows, trials_by_name or _design_says_trials_by_name(folder))
    return rows, histories, groups


def row_of(run, name, path, history, report=None):
    """A run's row, what the analysis reads: what it was (``run``, a grid.Run), its
    numbers in its reader's terms, every final value (``finals``), its size."""
    record = runspec.from_history(history) or {}
    ends = finals(history)
    # a value logged only at steps of its own (a size logged once, at step 1), whose series
    # aligned on the metric's steps is all nan: its last value
    ends.update({key: float(value)
                 for key, value in (history.get(metric_files.LAST_LOGGED) or {}).items()})
    return {"dataset": run.dataset, "model": run.model, "batch": run.batch,
            "optimizer": run.optimizer, "seed": run.seed,
            **run_metrics(history, report),
            "run": name, "path": path, "setting_of": record.get("setting_of"),
            "finals": ends, "written_for": _written_for(record),
            "tensorboard": record.get("tensorboard"), "n_params": run_size(record, ends),
            "family_recorded": "setting_of" in record,
            # a source that knows which setting of a tuning was chosen (DeepOBS's)
            **({"selected": bool(record["selected"])} if "selected" in record else {})}


def _design_says_trials_by_name(folder):
    try:
        with open(os.path.join(folder, DESIGN_FILE), encoding="utf-8") as f:
            return bool(json.load(f).get("trials_by_name"))
    except (OSError, ValueError, AttributeError):
        return False  # no design, or a damaged one (rounds.read names it)


def mark_trials(folder, rows, trials_by_name):
    """Runs written before records held their tuning family (``setting_of``: a --trials
    grid's trials of adam) read as rivals, every pair of settings compared. With
    ``trials_by_name`` the settings of one optimizer name that carry no family are its
    trials; without it, one line says so where such a folder has several settings of a
    name, and how to mark them."""
    name_of = {}
    for row in rows:
        if row["setting_of"] is None and not row["family_recorded"]:
            try:
                name_of[row["optimizer"]] = specs.parse(row["optimizer"]).name
            except specs.SpecError:
                continue
    settings = defaultdict(set)
    for setting, name in name_of.items():
        settings[name].add(setting)
    several = {name for name, found in settings.items() if len(found) > 1}
    if trials_by_name:
        for row in rows:
            if name_of.get(row["optimizer"]) in several:
                row["setting_of"] = name_of[row["optimizer"]]
    elif any(len(settings[name]) > 2 for name in several):
        name = max(several, key=lambda n: len(settings[n]))
        print(f"[NOTE] {folder}: {len(settings[name])} settings of {name} from before runs "
              "recorded their tuning family: each compared with each as a rival; if a --trials "
              "grid wrote them, add --trials-by-name to compare the optimizers, each at its "
              "setting selected on validation", file=sys.stderr)


def _written_for(record):
    """(metric, goal, margin) a program's run was written to be judged on, else None (a
    run read from another system's store was written for no metric of ours)."""
    if record.get("kind") != "program" or not record.get("metric") or record.get("source"):
        return None
    return record["metric"], record.get("goal"), record.get("margin")


def failed_runs(folder):
    """The runs that left no result, each a dict: ``run`` (its name), ``status`` (failed
    with its exit code, timed out, metrics unreadable...), ``reason``, and what the run
    was where its ``.failed`` file says (dataset, model, optimizer, seed: written by
    pyimagesearch.program.wrap beside where its result would be)."""
    out = []
    for entry in sorted(os.listdir(folder)):
        stem, ext = os.path.splitext(entry)
        if ext != ".failed" or os.path.exists(os.path.join(folder, stem + ".pickle")):
            continue
        try:
            with open(os.path.join(folder, entry), encoding="utf-8") as f:
                state = json.load(f)
            out.append({**{k: state.get(k) for k in ("dataset", "model", "optimizer", "seed")},
                        "run": stem, "status": str(state["status"]),
                        "reason": str(state["reason"])})
        except (OSError, ValueError, KeyError, TypeError, AttributeError):
            out.append({"run": stem, "status": "failed", "reason": "its .failed file unreadable"})
    return out


def left_out(failed, rows, measure=None):
    """The runs no verdict reads, each with why: (run name, reason) for a run that failed
    or timed out (``failed``: :func:`failed_runs`, or the folder to read them from), a
    diverged one, and one whose ``measure`` is not a finite number."""
    if isinstance(failed, str):
        failed = failed_runs(failed)
    out = [(f["run"], f"{f['status']}: {f['reason']}" if f["reason"] != "its .failed file "
            "unreadable" else f["status"]) for f in failed]
    for row in rows:
        if str(row.get("status", "")).startswith("diverged"):
            out.append((row["run"], row["status"]))
        elif measure is not None and not math.isfinite(value(row, measure)):
            out.append((row["run"], f"no finite final {measure.name} (diverged, or not logged)"))
    return out


# ------------------------------------------------------------------ tidy tables

RUN_FIELDS = [f for f in runspec.RunSpec.__dataclass_fields__ if f not in ("dataset", "model",
                                                                            "optimizer", "seed")]
METRICS = ["n_params", "test_accuracy", "macro_f1", "final_train_loss", "final_val_loss",
           "final_val_accuracy", "validation", "best_val_accuracy", "best_epoch",
           "val_loss_std_last_quarter", "epochs_run", "wall_seconds", "status", "learned",
           "test_images", "target_val_accuracy", "epochs_to_target", "seconds_to_target"]
RUN_COLUMNS = ["run", "dataset", "model", "optimizer", "seed", "batch", *RUN_FIELDS, *METRICS]
EPOCH_COLUMNS = ["run", "epoch", "metric", "value"]


def tidy(rows, histories, failed=()):
    """One row per run (``RUN_COLUMNS``: its id, every run-spec field, every summary
    metric; a field its history does not record is None), a run that left no result
    (``failed``, :func:`failed_runs`) with its status and reason only, and one row per
    run, epoch and metric (``EPOCH_COLUMNS``, epochs from 1; a --steps run's evaluations
    count as its epochs, and its ``iterations`` are one of the metrics)."""
    runs, epochs = [], []
    for row, history in zip(rows, histories):
        record = runspec.from_history(history) or {}
        runs.append({**{f: record.get(f) for f in RUN_FIELDS},
                     **{k: row.get(k) for k in ("run", "dataset", "model", "optimizer", "seed",
                                                "batch")},
                     **{m: row.get("epochs" if m == "epochs_run" else m) for m in METRICS},
                     **optimizer_arguments(row.get("setting", row["optimizer"]), record),
                     # a program's finals under their own names (train.py's are above)
                     **({FINAL_PREFIX + k: v for k, v in row["finals"].items()
                         if k not in BOOKKEEPING}
                        if row.get("program") else {})})
    for row, history in zip(rows, histories):
        length = len(history["val_accuracy"])
        dressed = history.get(DRESSED, ())
        for metric, values in history.items():
            if isinstance(values, list) and len(values) == length and metric not in dressed:
                epochs += [(row["run"], i + 1, metric, v) for i, v in enumerate(values)]
    for run in failed:
        runs.append({**{k: run.get(k) for k in ("run", "dataset", "model", "optimizer", "seed")},
                     "status": f"{run['status']}: {run['reason']}", "learned": None})
    columns = run_columns(runs)
    return [{c: r.get(c) for c in columns} for r in runs], epochs


ARGUMENT_PREFIX = "opt_"  # runs.csv's column of an optimizer argument: opt_learning_rate


def optimizer_arguments(optimizer, record):
    """{opt_NAME: value} for every argument a run's optimizer spec gives (and the registry
    entry it names fixes), and its learning rate whichever way it was set: the spec's,
    train.py's --learning-rate, or the rate the built optimizer had (its Keras config), so
    that a searched run's rate is in runs.csv."""
    try:
        spec = specs.parse(optimizer)
    except specs.SpecError:
        return {}
    if record.get("kind") == "program":  # handed to the program as given: no Keras default
        return {ARGUMENT_PREFIX + k: (v if isinstance(v, (int, float, str, bool)) or v is None
                                      else repr(v)) for k, v in spec.arguments}
    entry = registry.OPTIMIZERS.get(spec.name)
    # the registry entry's own arguments (sgd's momentum 0.9), then the spec's over them
    arguments = {**(entry.defaults if entry else {}), **dict(spec.arguments)}
    if record.get("learning_rate") is not None:  # train.py --learning-rate wins
        arguments["learning_rate"] = record["learning_rate"]
    if "learning_rate" not in arguments:  # as Keras built it (float32: to 7 digits)
        config = (record.get("optimizer_config") or {}).get("learning_rate")
        if isinstance(config, (int, float)) and not isinstance(config, bool):
            arguments["learning_rate"] = float(f"{config:.7g}")
    return {ARGUMENT_PREFIX + k: (v if isinstance(v, (int, float, str, bool)) or v is None
                                  else repr(v)) for k, v in arguments.items()}


FINAL_PREFIX = "final:"  # runs.csv's column of a program's final value: final:val_loss


def run_columns(runs):
    """runs.csv's columns: RUN_COLUMNS, then one per optimizer argument any run has, then
    a program's final values (its metrics under their own names)."""
    extra = sorted({k for r in runs for k in r if k.startswith(ARGUMENT_PREFIX)})
    finals_ = sorted({k for r in runs for k in r if k.startswith(FINAL_PREFIX)})
    return RUN_COLUMNS + extra + finals_


def _cell(value):
    """A CSV cell: floats to 10 significant digits (p-values keep their small ones)."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    return format(value, ".10g") if isinstance(value, float) else value


def csv_text(columns, records):
    """CSV of ``records`` (dicts or tuples in ``columns``' order), floats to 10 digits."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(columns)
    for record in records:
        values = [record[c] for c in columns] if isinstance(record, dict) else record
        writer.writerow([_cell(v) for v in values])
    return buffer.getvalue()


def load(folder):
    """The runs of ``folder`` (train.py's outputs) as two pandas DataFrames, ``(runs,
    epochs)``: one row per run, and one per run, epoch and metric (long format).

        runs, epochs = results.load("output")
        runs.groupby(["model", "optimizer"]).test_accuracy.mean()
        epochs[epochs.metric == "val_accuracy"].pivot(index="epoch", columns="run", values="value")

    Missing or damaged files are warned about by name and left out, as plot.py does."""
    import pandas as pd

    rows, histories, _ = load_rows(folder)
    add_time_to_target(rows, histories)
    runs, epochs = tidy(rows, histories, failed_runs(folder))
    return pd.DataFrame(runs, columns=run_columns(runs)), pd.DataFrame(epochs, columns=EPOCH_COLUMNS)
