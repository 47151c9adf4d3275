"""Pair the runs' histories into figures, and write a summary of the whole grid.

    python plot.py --input output --plots plots

For every model and dataset found in --input: plots/{model}_{dataset}.png with the
accuracy and loss curves of every optimizer; then plots/report.html (the whole grid on
one page), summary.csv, summary.md, verdicts.csv, runs.csv and epochs.csv (tidy tables
for pandas), overview.png, and, where optimizers were tried at several settings,
tuning_curves.csv with tuning and sensitivity figures. A missing or damaged file is a
warning naming it; the exit status is non-zero only when nothing at all could be plotted.
"""
import sys

# the command itself: pyimagesearch/commands/plot.py (installed: optimizer-plot)
from pyimagesearch.commands.plot import main, add_measure_arguments

__all__ = ["main", "add_measure_arguments"]  # for tests and notebooks

if __name__ == "__main__":
    sys.exit(main())
