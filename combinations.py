"""Write the shell script of the grid: one train.py line per run.

    python combinations.py --output output --script experiments.sh
    ./experiments.sh

With only those flags it writes the original study's 24 runs, line for line.
"""
import sys

# the command itself: pyimagesearch/commands/combinations.py (installed: optimizer-grid)
from pyimagesearch.commands.combinations import main, parse_args

__all__ = ["main", "parse_args"]  # for tests and notebooks

if __name__ == "__main__":
    sys.exit(main())
