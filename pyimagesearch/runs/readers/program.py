"""A user's program's runs (pyimagesearch.program.wrap): its metric at every evaluation
point against ``step``, its final values under their own names, and no test or
validation accuracy it never had."""
import math
import re

import numpy as np

from pyimagesearch.runs.readers.common import DRESSED, diverged, number_list, wall_seconds
from pyimagesearch.stats.measure import infer_goal

KIND = "program"


def history(raw, record, path):
    """The program's series as float lists. The figures and summaries draw
    ``val_accuracy``, ``loss``...: in memory only, the verdict's metric stands as
    ``val_accuracy`` and the losses the program logged as ``loss``/``val_loss`` (nan where
    it logged none), each listed under DRESSED so that no verdict, table or final value
    reads them (a loss is never judged as an accuracy)."""
    metric = record.get("metric")
    out = {k: (number_list(v, k, path) if isinstance(v, (list, tuple, np.ndarray)) else v)
           for k, v in raw.items()}
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
    out[DRESSED] = tuple(dressed)
    return out


_FINAL = re.compile(r"^metric (\S+) \(final, at step [^)]*\): (\S+)$", re.M)


def is_report(text):
    return _FINAL.search(text) is not None


def report(text, path):
    """The wrapper's report: the program's final metric (no test accuracy: the program's
    metric is read from its history, under its own name)."""
    found = _FINAL.search(text)
    try:
        value = float(found[2])
    except ValueError:
        raise ValueError(f"{path}: final {found[1]} {found[2]!r} is not a number") from None
    return {"accuracy": math.nan, "macro_precision": math.nan, "macro_f1": math.nan,
            "classes": None, "test_images": None, "metric": found[1],
            "final": value if math.isfinite(value) else math.nan}


def metrics(history, report, record):
    """The run's row in its own terms: its metric's final value, the losses it logged;
    tuning selects a program's setting on its own metric, in its own direction."""
    dressed = history.get(DRESSED, ())
    metric = record.get("metric")
    values = history[metric]
    negated = (record.get("goal") or infer_goal(metric)) != "max"
    oriented = -values[-1] if negated else values[-1]

    def final(*names):
        return next((history[n][-1] for n in names if n in history and n not in dressed),
                    math.nan)
    return {
        "status": diverged(history), "learned": True, "validation": "the program's metric",
        "program": True, "program_metric": metric, "final_metric": values[-1],
        "final_val_accuracy": math.nan, "test_accuracy": math.nan, "test_images": None,
        "macro_f1": math.nan, "final_train_loss": final("train_loss", "loss"),
        "final_val_loss": final("val_loss", "eval_loss"), "best_val_accuracy": math.nan,
        "best_epoch": None, "val_loss_std_last_quarter": math.nan, "stability_epochs": 0,
        "epochs": len(values), "wall_seconds": wall_seconds(history),
        "selection_score": oriented, "outcome_score": oriented, "selection_negated": negated}


LOSSES = ("train_loss", "loss", "val_loss", "eval_loss")


def figure_panels(histories):
    """What a program's figures draw, [(title, [series])]: its metric against the steps it
    logged, then the losses it logged (if any); never an accuracy panel it does not have."""
    metric = histories[0]["run"]["metric"]
    logged = sorted({key for h in histories for key in LOSSES
                     if key in h and key not in h.get(DRESSED, ()) and key != metric})
    return [(metric, [metric])] + ([("loss", logged)] if logged else [])


def is_train_series(key):
    """A training-set series (drawn dotted beside its held-out one)."""
    return key.startswith("train") or key == "loss"
