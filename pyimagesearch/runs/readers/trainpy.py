"""train.py's runs (and the original study's histories): Keras' accuracy and loss series
per epoch, a classification report (or a language model's) with the test accuracy, and
the diagnoses of a run that did not learn or whose BatchNorm statistics never settled."""
import math
import re

import numpy as np

from pyimagesearch.runs import runspec
from pyimagesearch.runs.readers.common import diverged, number_list, wall_seconds

KIND = "train.py"
# Very old Keras wrote acc/val_acc; Keras 2.3+ and 3 write accuracy/val_accuracy.
SPELLINGS = {"accuracy": ("accuracy", "acc"), "val_accuracy": ("val_accuracy", "val_acc"),
             "loss": ("loss",), "val_loss": ("val_loss",)}
CHANCE_MARGIN = 0.02  # a test accuracy within 2 points of chance (1 / classes): did not learn


def stability_window(epochs):
    """How many last epochs the validation-loss spread covers: the last quarter, at
    least 2 (the first epochs' BatchNorm warm-up would otherwise dominate it)."""
    return min(epochs, max(2, math.ceil(epochs / 4)))


def history(raw, record, path):
    """A Keras history as a dict of float lists under the current key names."""
    raw = dict(raw)
    for key, spellings in SPELLINGS.items():
        found = next((s for s in spellings if s in raw), None)
        if found is None:
            raise ValueError(f"{path}: no '{spellings[0]}' series"
                             + (f" (nor '{spellings[1]}')" if len(spellings) > 1 else ""))
        raw[key] = raw.pop(found)
    out = {key: (number_list(value, key, path) if isinstance(value, (list, tuple, np.ndarray))
                 else value) for key, value in raw.items()}
    lengths = {len(out[k]) for k in SPELLINGS}
    if len(lengths) != 1 or 0 in lengths:
        raise ValueError(f"{path}: series of unequal or zero length {sorted(lengths)}")
    return out


_ROW = re.compile(r"^\s*(accuracy|macro avg|weighted avg)\s+(.*)$")
_LANGUAGE_REPORT = "language model report"  # pyimagesearch.train.language writes it
_LANGUAGE_LINE = re.compile(r"^test (loss \(nats per byte\)|bits per byte|next-byte accuracy|"
                            r"bytes predicted): (\S+)$", re.M)


def is_report(text):
    return True  # whatever no other reader claims: a classification report, or not one


def report(text, path):
    """Accuracy, macro precision and macro F1 from a classification_report text (a
    language model's report: its next-byte accuracy)."""
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


def _status(history, record, val_loss, test_accuracy, classes):
    """'ok', or what went wrong: diverged, BatchNorm never settled, did not learn (at
    chance, or a language model no better than byte frequencies), classes missing."""
    status = diverged(history)
    if batchnorm_not_settled(history, test_accuracy, classes):
        status = BN_NOT_SETTLED if status == "ok" else f"{status}; {BN_NOT_SETTLED}"
    elif did_not_learn(test_accuracy, classes):
        status = ("did not learn" if status == "ok" else f"{status}; did not learn") + \
            f" (chance {1 / classes:.2f})"
    baseline = record.get("byte_frequency_loss")  # a language model's: order learned or not
    if baseline is not None and not history.get("diverged_epoch") and \
            not val_loss[-1] < baseline - CHANCE_MARGIN:
        status = (f"did not learn (validation loss {val_loss[-1]:.3f}, byte-frequency "
                  f"baseline {baseline:.3f} nats per byte)")
    lacking = [f"{split} set lacks {len(names)} of {classes or '?'} classes"
               for split, names in (record.get("missing_classes") or {}).items()]
    if lacking:  # from a --train-limit/--test-limit too small for every class, say
        status = "; ".join(([] if status == "ok" else [status]) + lacking)
    return status


def metrics(history, report, record):
    """The summary's per-run numbers from a history and its report (when there is one)."""
    val_acc, val_loss = history["val_accuracy"], history["val_loss"]
    best = int(np.nanargmax(val_acc)) if not all(math.isnan(v) for v in val_acc) else 0
    tail = val_loss[-stability_window(len(val_loss)):]
    test_accuracy = report["accuracy"] if report else math.nan
    status = _status(history, record, val_loss, test_accuracy, classes_of(history, report))
    # a language model validates on its text's own validation split, and is tuned on its
    # own objective there: the validation loss (lower is better), not next-byte accuracy
    language = record.get("byte_frequency_loss") is not None
    selection = -val_loss[-1] if language else val_acc[-1]
    return {
        "status": status,
        "learned": "did not learn" not in status,
        "validation": "validation split" if language else
                      "hold-out" if record.get("validation_split") else "test set",
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
        "wall_seconds": wall_seconds(history),
        # what tuning selects on (validation) and what it yields (test), higher is better
        "selection_score": selection, "outcome_score": test_accuracy,
        "selected_on": "validation loss" if language else "validation accuracy",
        "selection_negated": language,
    }
