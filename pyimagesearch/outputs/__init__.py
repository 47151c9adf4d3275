"""The tables plot.py writes, found by name: each entry a file name and a function of the
comparison (:class:`pyimagesearch.api.Comparison`) to its text. Writers format, never
compute: a new output is one module and one entry here.

    from pyimagesearch.outputs import TABLES
    for name, write in TABLES.items():
        text = write(result)
"""
from pyimagesearch.outputs import latex, scale, tables

TABLES = {
    "summary.csv": tables.summary_csv,
    "verdicts.csv": tables.verdicts_csv,
    "verdicts.tex": latex.verdicts_tex,
    "speedups.csv": tables.speedups_csv,
    "scale.csv": scale.scale_csv,
    "runs.csv": tables.runs_csv,
    "epochs.csv": tables.epochs_csv,
}
