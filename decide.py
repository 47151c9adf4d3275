"""Run more seeds only where a pair of optimizers is still undecided, round after round.

    python decide.py --input output [--plots plots] [--max-seeds 20] [--metric NAME] \
        [--goal max|min] [--margin M] [--baseline NAME | --race] \
        [--launcher local|parallel|slurm]

Takes a finished grid's folder, writes its verdicts as plot.py does, and where a pair is
undecided trains the recorded runs of both optimizers with new seeds, up to the next look
of a schedule fixed before the first round (decide.json), until every pair is decided or
the cap is reached. Under Slurm it submits the round and exits: run it again when the
round has finished. Killed mid-round, it is simply run again: the round is finished
(train.py skips finished runs and resumes checkpoints) and no look is taken twice.
--baseline compares each other optimizer with NAME only; --race looks for the best, an
optimizer decided worse than another leaving. On a tuned grid each optimizer's setting is
selected on validation from the seeds run and fixed before the first round.
"""
import sys

# the command itself: pyimagesearch/commands/decide.py (installed: optimizer-decide)
from pyimagesearch.commands.decide import main, parse_args

__all__ = ["main", "parse_args"]  # for tests and notebooks

if __name__ == "__main__":
    sys.exit(main())
