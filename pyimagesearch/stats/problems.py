"""What a run's row is compared within: its problem, (dataset, model), the model carrying
its batching where an iteration budget gave it one (study B). The statistics read this
from a row; the run table (runs/) writes the rows, and imports it from here,
so that the statistics import nothing of how runs are stored."""


def model_of(row):
    """The model, with its batching when the grid varies it (study B)."""
    return row["model"] if row.get("batch") is None else f"{row['model']} (batch {row['batch']})"


def problem(row):
    """The problem a row's run belongs to: (dataset, model with its batching)."""
    return row["dataset"], model_of(row)


def family(row):
    """The optimizer a run's setting is a trial of, when the grid made its settings one
    tuning family (combinations.py --trials, a preset's grid, or --tune: the run record's
    ``setting_of``); else the setting itself: specs of one optimizer are rivals unless the
    grid said otherwise (``adam`` against ``adam(epsilon=1e-06)`` is the question asked)."""
    return row.get("setting_of") or row["optimizer"]
