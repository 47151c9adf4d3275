"""What every reader shares: a history's series as float lists, and the mark of series
named only for the figures."""
import numpy as np

DRESSED = "_dressed"  # a program's history: the series named only for the figures


def number_list(value, key, path):
    """``value`` as a list of floats; ValueError naming ``path`` and ``key`` otherwise."""
    if isinstance(value, np.ndarray):
        value = value.tolist()
    if not isinstance(value, (list, tuple)):
        raise ValueError(f"{path}: '{key}' is {type(value).__name__}, not a list of numbers")
    try:
        return [float(v) for v in value]
    except (TypeError, ValueError):
        raise ValueError(f"{path}: '{key}' holds something other than numbers") from None


def run_size(record, finals=None):
    """The run's size in parameters where known: the record's ``n_params`` (train.py's
    models count theirs), a language model's weights (older records), or the
    ``n_params`` a program logged among its metrics; else None."""
    for value in (record.get("n_params"), (record.get("language_model") or {}).get("weights"),
                  (finals or {}).get("n_params")):
        if isinstance(value, (int, float)) and not isinstance(value, bool) and value > 0:
            return int(value)
    return None


def wall_seconds(history):
    """The run's training seconds: its total where logged, else the sum of its epochs'."""
    seconds = history.get("total_seconds") or []
    per_epoch = history.get("epoch_seconds") or []
    return seconds[0] if seconds else (sum(per_epoch) if per_epoch else float("nan"))


def diverged(history):
    """'diverged at epoch N' for a run stopped by a non-finite loss, else 'ok'."""
    at = history.get("diverged_epoch")
    return f"diverged at epoch {int(at[0])}" if at else "ok"
