"""The CSV tables of a comparison (:class:`pyimagesearch.api.Comparison`)."""
from pyimagesearch.outputs import summary
from pyimagesearch.runs import results
from pyimagesearch.stats.speed import SPEEDUP_COLUMNS


def _tuned(result):
    return None if result.tuned is None else (list(result.tuned), list(result.tuned_overall))


def summary_csv(result):
    return summary.to_csv(list(result.rows))


def verdicts_csv(result):
    """Every setting's verdicts, then the tuned optimizers' (B - A in the metric's own
    direction)."""
    return summary.verdicts_csv(list(result.problems), list(result.overall), tuned=_tuned(result))


def speedups_csv(result):
    return results.csv_text(SPEEDUP_COLUMNS, list(result.speed_rows))


def runs_csv(result):
    table = list(result.runs.table)
    return results.csv_text(results.run_columns(table), table)


def epochs_csv(result):
    return results.csv_text(results.EPOCH_COLUMNS, list(result.runs.epoch_rows))
