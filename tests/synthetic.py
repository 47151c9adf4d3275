"""Synthetic run outputs whose numbers the tests know."""
import pickle

import numpy as np

REPORT = """              precision    recall  f1-score   support

           0     {p:.4f}    0.5000    0.5000      1000
           1     {p:.4f}    0.5000    0.5000      1000

    accuracy                         {acc:.4f}      2000
   macro avg     {p:.4f}    0.5000    {f1:.4f}      2000
weighted avg     {p:.4f}    0.5000    0.5000      2000
"""


def history(epochs=12, offset=0.0, old_keys=False, **extra):
    t = np.arange(1, epochs + 1, dtype=float)
    h = {"loss": list(1.0 / t + offset), "val_loss": list(1.2 / t + offset),
         "accuracy": list(1 - 0.5 / t), "val_accuracy": list(1 - 0.6 / t)}
    if old_keys:
        h["acc"], h["val_acc"] = h.pop("accuracy"), h.pop("val_accuracy")
    h.update(extra)
    return h


def write_run(folder, name, hist, acc=0.9, f1=0.85, precision=0.8):
    with open(folder / f"{name}.pickle", "wb") as f:
        pickle.dump(hist, f)
    (folder / f"{name}.txt").write_text(REPORT.format(acc=acc, f1=f1, p=precision))


def families(settings):
    """{setting: its optimizer} for settings of one optimizer that a grid tuned (as
    combinations.py --trials or --tune would mark them), None for a setting alone."""
    from pyimagesearch import specs
    names = [specs.parse(s).name for s in settings]
    return {s: (n if names.count(n) > 1 else None) for s, n in zip(settings, names)}
