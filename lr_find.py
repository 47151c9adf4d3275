"""Find a learning rate: the range test (Smith 2017), any optimizer spec.

    python lr_find.py --dataset digits --model minivggnet --optimizer adam --output lr/adam

Trains from fresh weights while the learning rate rises exponentially from --min-lr to
--max-lr, one batch per rate, records the smoothed training loss, stops once it passes
4x its best, and writes DIR/lr_find.png and DIR/lr_find.json (the suggested rate, the
rule that chose it, and the curve). The optimizer's learning rate is the one swept; a
scheduled registry optimizer (radam) is swept with its schedule off, at its base rate;
one whose rate is itself a schedule (adam_sched, a callable's) is refused.
"""
import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")  # keep TensorFlow's start-up chatter out of the log

from pyimagesearch.environment import require_packages  # noqa: E402 (imports nothing heavy)

if __name__ == "__main__":
    require_packages("lr_find.py")  # before anything that needs them: one line, not a traceback

# the command itself: pyimagesearch/commands/lr_find.py (installed: optimizer-lr-find)
from pyimagesearch.commands.lr_find import main, parse_args  # noqa: E402

__all__ = ["main", "parse_args"]  # for tests and notebooks

if __name__ == "__main__":
    sys.exit(main())
