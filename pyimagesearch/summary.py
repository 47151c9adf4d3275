"""The summary a person reads at a glance: one row per run, and who won where."""
import csv
import io
import math
from collections import defaultdict

import numpy as np

from . import registry

COLUMNS = ["dataset", "model", "optimizer", "seed", "test_accuracy", "macro_f1",
           "final_train_loss", "final_val_loss", "best_val_accuracy", "best_epoch",
           "val_loss_std_last10", "epochs", "wall_seconds", "status"]

METRIC_NOTE = (
    "Test accuracy is the accuracy row of each run's classification report (the test set, "
    "after the last epoch). The original article's prose quoted macro-average *precision* "
    "instead (e.g. \"84% vs 74%\" for MiniVGGNet on CIFAR-10); this summary reports accuracy, "
    "as the article's own table of results did.")


def _mean(values):
    values = [v for v in values if not math.isnan(v)]
    return float(np.mean(values)) if values else math.nan


def winners(rows):
    """Per (dataset, model): the optimizer with the highest mean test accuracy, and its lead.

    Returns dicts with dataset, model, winner, runner_up, margin_points (percentage
    points), or winner None when fewer than two optimizers have a test accuracy.
    """
    groups = defaultdict(lambda: defaultdict(list))
    for row in rows:
        groups[(row["dataset"], row["model"])][row["optimizer"]].append(row["test_accuracy"])
    out = []
    for (dataset, model), by_opt in groups.items():
        means = sorted(((m, opt) for opt, accs in by_opt.items()
                        if not math.isnan(m := _mean(accs))), reverse=True)
        entry = {"dataset": dataset, "model": model, "winner": None, "runner_up": None,
                 "margin_points": math.nan, "means": {o: m for m, o in means}}
        if len(means) >= 2:
            (best, winner), (second, runner_up) = means[0], means[1]
            entry.update(winner=winner if best > second else None, runner_up=runner_up,
                         margin_points=100 * (best - second))
            if best == second:
                entry["tie"] = [o for m, o in means if m == best]
        out.append(entry)
    return out


def _fmt(value, digits=4):
    if value is None:
        return ""
    if isinstance(value, float):
        return "" if math.isnan(value) else f"{value:.{digits}f}"
    return str(value)


def to_csv(rows):
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(COLUMNS)
    for row in rows:
        writer.writerow([_fmt(row.get(c)) for c in COLUMNS])
    return buffer.getvalue()


def verdict(entry):
    if entry.get("tie"):
        return "tie: " + ", ".join(registry.display_name(o) for o in entry["tie"])
    if entry["winner"] is None:
        return "not enough runs with a test accuracy to compare"
    return (f"{registry.display_name(entry['winner'])} ahead of "
            f"{registry.display_name(entry['runner_up'])} by {entry['margin_points']:.2f} points")


def to_markdown(rows, title="Summary"):
    headers = ["dataset", "model", "optimizer", "seed", "test acc.", "macro-F1",
               "final train loss", "final val loss", "best val acc. (epoch)",
               "val loss std, last 10", "epochs", "wall s", "status"]
    lines = [f"# {title}", "", METRIC_NOTE, "", "## Runs", "",
             "| " + " | ".join(headers) + " |", "|" + " --- |" * len(headers)]
    for r in rows:
        cells = [r["dataset"], r["model"], registry.display_name(r["optimizer"]),
                 _fmt(r.get("seed")), _fmt(r["test_accuracy"]), _fmt(r["macro_f1"]),
                 _fmt(r["final_train_loss"]), _fmt(r["final_val_loss"]),
                 f"{_fmt(r['best_val_accuracy'])} ({r['best_epoch']})",
                 _fmt(r["val_loss_std_last10"]), str(r["epochs"]), _fmt(r["wall_seconds"], 0), r.get("status", "ok")]
        lines.append("| " + " | ".join(cells) + " |")
    lines += ["", "## Who won (mean test accuracy)", "",
              "| dataset | model | verdict |", "| --- | --- | --- |"]
    for entry in winners(rows):
        lines.append(f"| {entry['dataset']} | {entry['model']} | {verdict(entry)} |")
    lines += ["", "Validation-loss std is the sample standard deviation over the last "
              "10 epochs (fewer when the run is shorter): the study's \"stability\" claim, "
              "as a number.", ""]
    return "\n".join(lines)
