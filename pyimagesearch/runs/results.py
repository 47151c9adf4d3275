"""Reading finished runs back: histories, reports, the numbers a summary needs, a whole
folder of runs (plot.py and decide.py), and the same as tidy tables (runs.csv,
epochs.csv, and :func:`load` for pandas).

Histories are loaded with the restricted unpickler (they never run code) and
checked for shape; every problem is a ValueError that names the file, so a
caller can report it and go on with the other runs.
"""
import dataclasses
import itertools
import math
import os
import re
import sys
from collections import defaultdict

import numpy as np

from pyimagesearch.runs import runspec, safepickle
from pyimagesearch.stats.measure import BOOKKEEPING

# Very old Keras wrote acc/val_acc; Keras 2.3+ and 3 write accuracy/val_accuracy.
_SPELLINGS = {"accuracy": ("accuracy", "acc"), "val_accuracy": ("val_accuracy", "val_acc"),
              "loss": ("loss",), "val_loss": ("val_loss",)}
CHANCE_MARGIN = 0.02  # a test accuracy within 2 points of chance (1 / classes): did not learn


def stability_window(epochs):
    """How many last epochs the validation-loss spread covers: the last quarter, at
    least 2 (the first epochs' BatchNorm warm-up would otherwise dominate it)."""
    return min(epochs, max(2, math.ceil(epochs / 4)))


def _number_list(value, key, path):
    if isinstance(value, np.ndarray):
        value = value.tolist()
    if not isinstance(value, (list, tuple)):
        raise ValueError(f"{path}: '{key}' is {type(value).__name__}, not a list of numbers")
    try:
        return [float(v) for v in value]
    except (TypeError, ValueError):
        raise ValueError(f"{path}: '{key}' holds something other than numbers") from None


def load_history(path):
    """A history as a dict of float lists with the current key names."""
    obj = safepickle.load(path)
    if not isinstance(obj, dict):
        raise ValueError(f"{path}: holds a {type(obj).__name__}, not a history dict")
    history = {}
    for key, value in obj.items():
        if isinstance(key, str):
            history[key] = value
    record = history.get(runspec.RECORD_KEY)
    if isinstance(record, dict) and record.get("kind") == "program":
        return _program_history(history, record, path)
    for key, spellings in _SPELLINGS.items():
        found = next((s for s in spellings if s in history), None)
        if found is None:
            raise ValueError(f"{path}: no '{spellings[0]}' series"
                             + (f" (nor '{spellings[1]}')" if len(spellings) > 1 else ""))
        history[key] = history.pop(found)
    out = {}
    for key, value in history.items():
        if isinstance(value, (list, tuple, np.ndarray)):
            out[key] = _number_list(value, key, path)
        else:
            out[key] = value
    lengths = {len(out[k]) for k in _SPELLINGS}
    if len(lengths) != 1 or 0 in lengths:
        raise ValueError(f"{path}: series of unequal or zero length {sorted(lengths)}")
    return out


def _program_history(history, record, path):
    """A user's program's history (pyimagesearch.program.wrap): its metric at every evaluation
    point, against ``step``. The figures and summaries draw ``val_accuracy``, ``loss``...:
    in memory only, the verdict's metric stands as ``val_accuracy`` and the losses the
    program logged as ``loss``/``val_loss`` (nan where it logged none)."""
    metric = record.get("metric")
    out = {k: (_number_list(v, k, path) if isinstance(v, (list, tuple, np.ndarray)) else v)
           for k, v in history.items()}
    if not isinstance(out.get(metric), list) or not out[metric]:
        raise ValueError(f"{path}: no {metric!r} series (the program's metric)")
    length = len(out[metric])
    missing = [math.nan] * length
    dressed = []
    for name, sources in (("val_accuracy", (metric,)), ("accuracy", ("train_" + metric,)),
                          ("loss", ("train_loss", "loss")), ("val_loss", ("val_loss", "eval_loss"))):
        if name not in out:
            out[name] = next((out[k] for k in sources if isinstance(out.get(k), list)
                              and len(out[k]) == length), missing)
            dressed.append(name)
    # the names above are the figures' and never a metric of the run: no verdict, table or
    # final value reads them (a loss is not judged as an accuracy)
    out[DRESSED] = tuple(dressed)
    return out


DRESSED = "_dressed"  # a program's history: the series named only for the figures


def is_program(history):
    record = runspec.from_history(history) or {}
    return record.get("kind") == "program"


_ROW = re.compile(r"^\s*(accuracy|macro avg|weighted avg)\s+(.*)$")
_PROGRAM_FINAL = re.compile(r"^metric (\S+) \(final, at step [^)]*\): (\S+)$", re.M)


def parse_report(text, path="<report>"):
    """Accuracy, macro precision and macro F1 from a classification_report text; for a
    user's program's run (pyimagesearch.program.wrap), its final metric stands as the accuracy."""
    program = _PROGRAM_FINAL.search(text)
    if program:
        try:
            value = float(program[2])
        except ValueError:
            raise ValueError(f"{path}: final {program[1]} {program[2]!r} is not a number") from None
        # no test accuracy: the program's metric is read from its history, under its name
        return {"accuracy": math.nan, "macro_precision": math.nan, "macro_f1": math.nan,
                "classes": None, "test_images": None, "metric": program[1],
                "final": value if math.isfinite(value) else math.nan}
    if text.startswith(_LANGUAGE_REPORT):
        return _language_report(text, path)
    values = {}
    for line in text.splitlines():
        match = _ROW.match(line)
        if match:
            values[match[1]] = [float(x) for x in match[2].split()]
    if "accuracy" not in values or "macro avg" not in values:
        raise ValueError(f"{path}: not a classification report (no accuracy / macro avg rows)")
    macro = values["macro avg"]
    return {"accuracy": values["accuracy"][0], "macro_precision": macro[0], "macro_f1": macro[2],
            "classes": _class_rows(text),
            "test_images": int(values["accuracy"][-1]) if len(values["accuracy"]) > 1 else None}


_LANGUAGE_REPORT = "language model report"  # pyimagesearch.train.language writes it
_LANGUAGE_LINE = re.compile(r"^test (loss \(nats per byte\)|bits per byte|next-byte accuracy|"
                            r"bytes predicted): (\S+)$", re.M)


def _language_report(text, path):
    """A language model's report: its next-byte accuracy stands as the accuracy (of 256
    classes); the test loss is in the history (``test_loss``, for --metric)."""
    found = {name: value for name, value in _LANGUAGE_LINE.findall(text)}
    try:
        accuracy = float(found["next-byte accuracy"])
        predicted = int(found["bytes predicted"])
    except (KeyError, ValueError):
        raise ValueError(f"{path}: a language model report without its test lines") from None
    return {"accuracy": accuracy, "macro_precision": math.nan, "macro_f1": math.nan,
            "classes": None, "test_images": predicted}


def _class_rows(text):
    """How many classes a report lists: the rows between its header and 'accuracy'."""
    rows = 0
    for line in text.splitlines():
        if _ROW.match(line):
            break
        parts = line.split()
        if len(parts) >= 5 and "precision" not in line:
            try:
                [float(x) for x in parts[-4:]]
                rows += 1
            except ValueError:
                pass
    return rows or None


def load_report(path):
    try:
        with open(path, encoding="utf-8") as f:
            return parse_report(f.read(), path)
    except (OSError, UnicodeDecodeError) as e:
        raise ValueError(f"{path}: cannot read ({e})") from None


def classes_of(history, report=None):
    """The number of classes: from the run's record, else from its report's rows."""
    record = runspec.from_history(history) or {}
    if record.get("labels"):
        return len(record["labels"])
    return (report or {}).get("classes")


def did_not_learn(test_accuracy, classes):
    """Within CHANCE_MARGIN of chance (1 / classes), or below it."""
    return bool(classes) and not math.isnan(test_accuracy) and \
        test_accuracy <= 1.0 / classes + CHANCE_MARGIN


FAR_ABOVE_CHANCE = 0.3  # training accuracy this far above chance: the model did learn
BN_NOT_SETTLED = "evaluation at chance: BatchNorm statistics not settled"


def batchnorm_not_settled(history, test_accuracy, classes):
    """A model with BatchNorm (and no precise BN) whose training accuracy is far above
    chance while its validation or test accuracy is at chance: it learned, but its moving
    statistics still hold their first values, so evaluation says chance."""
    batchnorm = (runspec.from_history(history) or {}).get("batchnorm") or {}
    if not batchnorm.get("layers") or batchnorm.get("precise_bn_batches") or not classes:
        return False
    train = history.get("accuracy") or [math.nan]
    val = history.get("val_accuracy") or [math.nan]
    at_chance = did_not_learn(test_accuracy, classes) or did_not_learn(val[-1], classes)
    return at_chance and train[-1] >= 1.0 / classes + FAR_ABOVE_CHANCE


def batchnorm_diagnosis(history, report, classes):
    """One line naming the cause and the fix, or None (see :func:`batchnorm_not_settled`)."""
    test = report["accuracy"] if report else math.nan
    if not batchnorm_not_settled(history, test, classes):
        return None
    batchnorm = runspec.from_history(history)["batchnorm"]
    momentum = batchnorm["momentum"]
    return (f"{BN_NOT_SETTLED}: training accuracy {history['accuracy'][-1]:.2f}, validation "
            f"{history['val_accuracy'][-1]:.2f}, test {test:.2f} (chance {1 / classes:.2f}) after "
            f"{batchnorm['steps']:,} steps; the slowest of its {batchnorm['layers']} BatchNorm "
            f"layers has momentum {momentum:g}, so its moving statistics need about "
            f"{round(3 / (1 - momentum)) if momentum < 1 else 'infinitely many':,} steps to forget "
            "their first values. Add --precise-bn to recompute them from training batches "
            "before every evaluation (or train longer)")


def run_metrics(history, report=None):
    """The summary's per-run numbers from a history (and its report, when there is one)."""
    val_acc, val_loss = history["val_accuracy"], history["val_loss"]
    best = int(np.nanargmax(val_acc)) if not all(math.isnan(v) for v in val_acc) else 0
    tail = val_loss[-stability_window(len(val_loss)):]
    seconds = history.get("total_seconds") or []
    per_epoch = history.get("epoch_seconds") or []
    wall = seconds[0] if seconds else (sum(per_epoch) if per_epoch else math.nan)
    diverged = history.get("diverged_epoch")
    test_accuracy = report["accuracy"] if report else math.nan
    classes = classes_of(history, report)
    status = f"diverged at epoch {int(diverged[0])}" if diverged else "ok"
    if batchnorm_not_settled(history, test_accuracy, classes):
        status = BN_NOT_SETTLED if status == "ok" else f"{status}; {BN_NOT_SETTLED}"
    elif did_not_learn(test_accuracy, classes):
        status = ("did not learn" if status == "ok" else f"{status}; did not learn") + \
            f" (chance {1 / classes:.2f})"
    record = runspec.from_history(history) or {}
    baseline = record.get("byte_frequency_loss")  # a language model's: order learned or not
    if baseline is not None and not history.get("diverged_epoch") and \
            not val_loss[-1] < baseline - CHANCE_MARGIN:
        status = (f"did not learn (validation loss {val_loss[-1]:.3f}, byte-frequency "
                  f"baseline {baseline:.3f} nats per byte)")
    lacking = [f"{split} set lacks {len(names)} of {classes or '?'} classes"
               for split, names in (record.get("missing_classes") or {}).items()]
    if lacking:  # from a --train-limit/--test-limit too small for every class, say
        status = "; ".join(([] if status == "ok" else [status]) + lacking)
    if record.get("kind") == "program":
        return _program_metrics(history, record, status, wall)
    return {
        "status": status,
        "learned": "did not learn" not in status,
        "validation": ("the program's metric" if record.get("kind") == "program" else
                       "hold-out" if record.get("validation_split") else "test set"),
        "final_val_accuracy": val_acc[-1],
        "test_accuracy": test_accuracy,
        "test_images": (report or {}).get("test_images"),
        "macro_f1": report["macro_f1"] if report else math.nan,
        "final_train_loss": history["loss"][-1],
        "final_val_loss": val_loss[-1],
        "best_val_accuracy": val_acc[best],
        "best_epoch": best + 1,
        "val_loss_std_last_quarter": float(np.std(tail, ddof=1)) if len(tail) > 1 else math.nan,
        "stability_epochs": len(tail),
        "epochs": len(val_acc),
        "wall_seconds": wall,
        # what tuning selects on (validation) and what it yields (test), higher is better
        "selection_score": val_acc[-1], "outcome_score": test_accuracy,
    }


def _program_metrics(history, record, status, wall):
    """A program's run in its own terms: its metric's final value under its name, the
    losses it logged, and no test or validation accuracy it never had."""
    dressed = history.get(DRESSED, ())
    metric = record.get("metric")
    values = history[metric]
    from pyimagesearch.stats.measure import infer_goal
    # tuning selects a program's setting on its own metric, in its own direction
    oriented = values[-1] if (record.get("goal") or infer_goal(metric)) == "max" else -values[-1]

    def final(*names):
        return next((history[n][-1] for n in names if n in history and n not in dressed),
                    math.nan)
    return {
        "status": status, "learned": True, "validation": "the program's metric",
        "program": True, "program_metric": metric, "final_metric": values[-1],
        "final_val_accuracy": math.nan, "test_accuracy": math.nan, "test_images": None,
        "macro_f1": math.nan, "final_train_loss": final("train_loss", "loss"),
        "final_val_loss": final("val_loss", "eval_loss"), "best_val_accuracy": math.nan, "best_epoch": None,
        "val_loss_std_last_quarter": math.nan, "stability_epochs": 0, "epochs": len(values),
        "wall_seconds": wall, "selection_score": oriented, "outcome_score": oriented}


def time_to_target(history, target):
    """AlgoPerf-style: the first epoch (1-based) whose validation accuracy reaches
    ``target``, and the training seconds spent until then; (None, nan) if never."""
    for i, acc in enumerate(history["val_accuracy"]):
        if acc >= target:
            seconds = history.get("epoch_seconds") or []
            return i + 1, (float(sum(seconds[:i + 1])) if len(seconds) > i else math.nan)
    return None, math.nan


TARGET_FRACTION = 0.99  # time-to-target: this fraction of the best validation accuracy


def _model(row):
    """The model, with its batching when the grid varies it (study B)."""
    return row["model"] if row.get("batch") is None else f"{row['model']} (batch {row['batch']})"


def problem(row):
    """The problem a row's run belongs to: (dataset, model with its batching)."""
    return row["dataset"], _model(row)


def add_time_to_target(rows, histories, fraction=TARGET_FRACTION):
    """Give each row its target (``fraction`` of the best validation accuracy any run
    reached on the same model and dataset) and the epochs and seconds it took to reach it.
    ``histories`` is parallel to ``rows``. A run that did not learn (test accuracy at
    chance) neither sets the target nor ever reaches it."""
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
    skip = set(_NAMED) | ({"batch_size", "steps"} if record.get("steps") else set())
    return tuple((k, repr(record.get(k, fields[k].default))) for k in fields if k not in skip)


def find_runs(folder):
    """{Run: (history path, history or None, error)} for every history pickle in
    ``folder``: described by the record it holds, or (the original study's histories,
    which have none) by its file name. Runs of one name that differ in another field of
    what a run is (``--precise-bn``, ``--epochs``, ...) are told apart: their optimizer
    is written with the fields that differ, ``adam [precise_bn=auto]``."""
    from pyimagesearch import grid
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


def load_rows(folder, missing=None):
    """Every run in ``folder``: (rows for the summary, their histories, and per (dataset,
    model, batch) the histories of each optimizer). Damaged files are warned about by
    name and left out. The runs the grid's axes lead one to expect but that are not
    there are appended to ``missing`` as (Run, history path) when it is a list (plot.py
    and decide.py tell the seeds decide.py chose not to add from runs that are lost);
    otherwise each is warned about, unless decide.py's rounds made the holes."""
    from pyimagesearch import grid, registry
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
        record = runspec.from_history(history) or {}
        groups[(run.dataset, run.model, run.batch)][run.optimizer].append(history)
        histories.append(history)
        rows.append({"dataset": run.dataset, "model": run.model, "batch": run.batch,
                     "optimizer": run.optimizer, "seed": run.seed,
                     **run_metrics(history, report),
                     "run": os.path.splitext(os.path.basename(history_path))[0],
                     "path": history_path, "setting_of": record.get("setting_of"),
                     "finals": finals(history),
                     "written_for": _written_for(record),
                     "tensorboard": record.get("tensorboard")})
    return rows, histories, groups


def _written_for(record):
    """(metric, goal, margin) a program's run was written to be judged on, else None."""
    if record.get("kind") != "program" or not record.get("metric"):
        return None
    return record["metric"], record.get("goal"), record.get("margin")


def left_out(folder, rows, measure=None):
    """The runs no verdict reads, each with why: (run name, reason) for a run that failed
    or timed out (its ``.failed`` status beside where its result would be, written by
    pyimagesearch.program.wrap), a diverged one, and one whose ``measure`` is not a finite number."""
    from pyimagesearch.stats.measure import value
    import json
    out = []
    for entry in sorted(os.listdir(folder)):
        stem, ext = os.path.splitext(entry)
        if ext != ".failed" or os.path.exists(os.path.join(folder, stem + ".pickle")):
            continue
        try:
            with open(os.path.join(folder, entry), encoding="utf-8") as f:
                state = json.load(f)
            out.append((stem, f"{state['status']}: {state['reason']}"))
        except (OSError, ValueError, KeyError, TypeError):
            out.append((stem, "failed"))
    for row in rows:
        if str(row.get("status", "")).startswith("diverged"):
            out.append((row["run"], row["status"]))
        elif measure is not None and not math.isfinite(value(row, measure)):
            out.append((row["run"], f"no finite final {measure.name} (diverged, or not logged)"))
    return out


# ------------------------------------------------------------------ tidy tables

RUN_FIELDS = [f for f in runspec.RunSpec.__dataclass_fields__ if f not in ("dataset", "model",
                                                                            "optimizer", "seed")]
METRICS = ["test_accuracy", "macro_f1", "final_train_loss", "final_val_loss",
           "final_val_accuracy", "validation", "best_val_accuracy", "best_epoch",
           "val_loss_std_last_quarter", "epochs_run", "wall_seconds", "status", "learned",
           "test_images", "target_val_accuracy", "epochs_to_target", "seconds_to_target"]
RUN_COLUMNS = ["run", "dataset", "model", "optimizer", "seed", "batch", *RUN_FIELDS, *METRICS]
EPOCH_COLUMNS = ["run", "epoch", "metric", "value"]


def tidy(rows, histories):
    """One row per run (``RUN_COLUMNS``: its id, every run-spec field, every summary
    metric; a field its history does not record is None) and one per run, epoch and
    metric (``EPOCH_COLUMNS``, epochs from 1; a --steps run's evaluations count as its
    epochs, and its ``iterations`` are one of the metrics)."""
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
    columns = run_columns(runs)
    return [{c: r.get(c) for c in columns} for r in runs], epochs


ARGUMENT_PREFIX = "opt_"  # runs.csv's column of an optimizer argument: opt_learning_rate


def optimizer_arguments(optimizer, record):
    """{opt_NAME: value} for every argument a run's optimizer spec gives (and the registry
    entry it names fixes), and its learning rate whichever way it was set: the spec's,
    train.py's --learning-rate, or the rate the built optimizer had (its Keras config), so
    that a searched run's rate is in runs.csv."""
    from pyimagesearch import registry, specs
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
    import csv
    import io
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
    runs, epochs = tidy(rows, histories)
    return pd.DataFrame(runs, columns=run_columns(runs)), pd.DataFrame(epochs, columns=EPOCH_COLUMNS)
